"""Regions and organizations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers.context import Context
from schema import following
from schema.enums import ExchangeDirection, ExchangeState, OrganizationKind, RegionLevel
from schema.node import Node, copy_record
from schema.pagination import DEFAULT_PAGE_SIZE, After, Connection, First
from schema.permissions import OwnerOrReviewer, OwnOrganizationOrReviewer, hidden_unless
from storage.records import OrganizationRecord, RegionRecord
from storage.vocabulary import FollowKind

if TYPE_CHECKING:
    from schema.audit import AuditEntry
    from schema.events import Event
    from schema.exchanges import ExchangeRequest


@strawberry.type(description="A province, regency/city, kecamatan or kelurahan/desa (Kemendagri 2025 codes).")
class Region(Node):
    code: str = strawberry.field(description="Dotted Kemendagri code, e.g. `31.71.01.1001`.")
    name: str
    level: RegionLevel
    kind: str = strawberry.field(
        description="provinsi, kabupaten, kota, kecamatan, distrik, kelurahan, desa..."
    )
    postal_code: str | None
    parent_code: strawberry.Private[str | None]
    ancestor_codes: strawberry.Private[list[str]]

    @classmethod
    def from_record(cls, record: RegionRecord) -> Region:
        return copy_record(cls, record, id=cls.global_id(record.code), ancestor_codes=record.ancestor_codes)

    @strawberry.field
    async def parent(self, info: Info[Context, None]) -> Region | None:
        if self.parent_code is None:
            return None
        record = await info.context.loaders.regions.load(self.parent_code)
        return Region.from_record(record) if record else None

    @strawberry.field(description="The enclosing regions, the province first.")
    async def ancestors(self, info: Info[Context, None]) -> list[Region]:
        records = await info.context.loaders.regions.load_many(self.ancestor_codes)
        return [Region.from_record(r) for r in records if r is not None]

    @strawberry.field(description="The regions directly below, ordered by code.")
    async def children(self, info: Info[Context, None]) -> list[Region]:
        return [Region.from_record(r) for r in await info.context.loaders.region_children.load(self.code)]

    @strawberry.field(description="How many users follow this region (and so everything below it).")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, FollowKind.REGION, self.code)

    @strawberry.field(description="Whether the signed-in user follows this; false for anonymous viewers.")
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, FollowKind.REGION, self.code)


async def load_regions(info: Info[Context, None], codes: list[str]) -> list[Region]:
    records = await info.context.loaders.regions.load_many(codes)
    return [Region.from_record(r) for r in records if r is not None]


@strawberry.type(description="A government, NGO, university, company, community group or the association.")
class Organization(Node):
    name: str
    kind: OrganizationKind
    verified: bool
    description: str | None
    website: str | None
    is_demo: bool
    version: int
    created_at: datetime
    updated_at: datetime
    region_code: strawberry.Private[str | None]
    local_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: OrganizationRecord) -> Organization:
        return copy_record(cls, record, id=cls.global_id(record.id), local_id=record.id)

    @property
    def organization_id(self) -> str:
        """An organization is its own owner (for OwnerOrReviewer)."""
        return self.local_id

    @strawberry.field
    async def region(self, info: Info[Context, None]) -> Region | None:
        if self.region_code is None:
            return None
        record = await info.context.loaders.regions.load(self.region_code)
        return Region.from_record(record) if record else None

    @strawberry.field(
        description="Every edit of this organization, newest first (at most 200); for its own "
        "users and the reviewers, empty for anyone else.",
        extensions=hidden_unless(OwnerOrReviewer()),
    )
    async def audit_trail(
        self, info: Info[Context, None]
    ) -> list[Annotated[AuditEntry, strawberry.lazy("schema.audit")]]:
        # Imported here: schema.audit imports schema.accounts, which imports this module.
        from schema.audit import AuditEntry

        entries = await info.context.loaders.audit_trail.load(self.local_id)
        return [AuditEntry.from_record(entry) for entry in entries]

    @strawberry.field(description="How many users follow this.")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, FollowKind.ORGANIZATION, self.local_id)

    @strawberry.field(description="Whether the signed-in user follows this; false for anonymous viewers.")
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, FollowKind.ORGANIZATION, self.local_id)

    @strawberry.field(description="Events this organization organizes or co-organizes, soonest first.")
    async def events(
        self,
        info: Info[Context, None],
        upcoming: Annotated[bool, strawberry.argument(description="Only those not started yet.")] = True,
        first: Annotated[int, strawberry.argument(description="Page size, at most 100.")] = 20,
        after: str | None = None,
    ) -> Connection[Annotated[Event, strawberry.lazy("schema.events")]]:
        from schema.events import events_of_organization  # events show their organizers: a cycle

        return await events_of_organization(info, self.local_id, upcoming=upcoming, first=first, after=after)

    @strawberry.field(
        description="Peer exchanges asked of this organization (INCOMING) or by it (OUTGOING), newest "
        "first, in any of `states` when given; for its own users and the reviewers, null for anyone else.",
        extensions=hidden_unless(OwnOrganizationOrReviewer()),
    )
    async def exchange_requests(
        self,
        info: Info[Context, None],
        direction: ExchangeDirection,
        states: list[ExchangeState] | None = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Annotated[ExchangeRequest, strawberry.lazy("schema.exchanges")]] | None:
        # Imported here: schema.exchanges imports schema.content, which imports this module.
        from schema.exchanges import exchange_connection

        return await exchange_connection(
            info, self.local_id, direction=direction, states=states, first=first, after=after
        )


async def load_organization(info: Info[Context, None], organization_id: str) -> Organization | None:
    record = await info.context.loaders.organizations.load(organization_id)
    return Organization.from_record(record) if record else None
