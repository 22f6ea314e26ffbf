"""The root Query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import content, nodes, regions
from resolvers.context import Context
from resolvers.ids import encode_id
from resolvers.kinds import CASE_STUDY, ORGANIZATION, PARTNERSHIP, PRACTICE, REPLICATION
from schema.accounts import AccountQuery, User
from schema.content import CaseStudy, Partnership, Practice, Replication
from schema.discussions import DiscussionQuery, Reply, Thread
from schema.enums import ContentOrder, OrganizationKind, OrganizationOrder, RegionLevel
from schema.events import Event, EventQuery
from schema.exchanges import ExchangeRequest
from schema.follows import FollowQuery
from schema.funding import FundingQuery
from schema.inputs import (
    CaseStudyFilter,
    ContentFilterInput,
    PartnershipFilter,
    PracticeFilter,
    ReplicationFilter,
    to_fields,
)
from schema.node import Node
from schema.notifications import Notification
from schema.pagination import DEFAULT_PAGE_SIZE, After, Connection, First
from schema.regions import Organization, Region
from schema.search import SearchQuery
from storage.filters import OrganizationFilter
from storage.pagination import SortOrder

_NODE_TYPES: dict[str, Callable[[Any], Node]] = {
    "Region": Region.from_record,
    "Organization": Organization.from_record,
    "Practice": Practice.from_record,
    "CaseStudy": CaseStudy.from_record,
    "Partnership": Partnership.from_record,
    "Replication": Replication.from_record,
    "User": User.from_record,
    "Thread": Thread.from_record,
    "Reply": Reply.from_record,
    "Event": Event.from_record,
    "Notification": Notification.from_record,
    "ExchangeRequest": ExchangeRequest.from_record,
}
_CONTENT_ORDER = {ContentOrder.NEWEST: SortOrder.NEWEST, ContentOrder.TITLE: SortOrder.TITLE}
_ORGANIZATION_ORDER = {OrganizationOrder.NAME: SortOrder.TITLE, OrganizationOrder.NEWEST: SortOrder.NEWEST}


def _node(found: tuple[str, Any] | None) -> Node | None:
    return _NODE_TYPES[found[0]](found[1]) if found else None


async def node_of(info: Info[Context, None], type_name: str, local_id: str) -> Node | None:
    """The node of a stored ID of a known type, through the request's loaders."""
    return _node(await nodes.get_node(info.context, encode_id(type_name, local_id)))


async def _content_page(
    info: Info[Context, None],
    kind: content.Kind[Any, Any],
    convert: Callable[[Any], Any],
    filter: ContentFilterInput | None,
    order: ContentOrder,
    first: int,
    after: str | None,
) -> Any:
    context = info.context
    store_filter = content.content_filter(context, **to_fields(filter) if filter else {})
    page = await content.find_page(
        context, kind, filter=store_filter, order=_CONTENT_ORDER[order], first=first, after=after
    )
    return Connection.of(page, convert, lambda: content.count(context, kind, filter=store_filter))


@strawberry.type
class Query(SearchQuery, AccountQuery, DiscussionQuery, EventQuery, FollowQuery, FundingQuery):
    @strawberry.field(description="Any object by its global ID; null when there is none.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        return _node(await nodes.get_node(info.context, id))

    @strawberry.field(description="Objects by global ID, in the given order (at most 100).")
    async def nodes(self, info: Info[Context, None], ids: list[strawberry.ID]) -> list[Node | None]:
        return [_node(found) for found in await nodes.get_nodes(info.context, ids)]

    @strawberry.field(description="A region by its Kemendagri code.")
    async def region(self, info: Info[Context, None], code: str) -> Region | None:
        record = await regions.get_region(info.context, code)
        return Region.from_record(record) if record else None

    @strawberry.field(
        description="Regions ordered by code. `nameStartsWith` matches the start of the name, ignoring "
        "case, accents and the words Kota/Kabupaten (`depok` and `kota dep` find Kota Depok)."
    )
    async def regions(
        self,
        info: Info[Context, None],
        level: RegionLevel | None = None,
        parent_code: str | None = None,
        name_starts_with: str | None = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Region]:
        context = info.context
        store_filter = regions.region_filter(
            level=level, parent_code=parent_code, name_starts_with=name_starts_with
        )
        page = await regions.find_regions(context, filter=store_filter, first=first, after=after)
        return Connection.of(
            page, Region.from_record, lambda: regions.count_regions(context, filter=store_filter)
        )

    @strawberry.field
    async def organization(self, info: Info[Context, None], id: strawberry.ID) -> Organization | None:
        record = await content.get(info.context, ORGANIZATION, id)
        return Organization.from_record(record) if record else None

    @strawberry.field(description="Organizations, by name unless ordered otherwise.")
    async def organizations(
        self,
        info: Info[Context, None],
        kind: list[OrganizationKind] | None = None,
        region_code: Annotated[
            str | None, strawberry.argument(description="Organizations in this region or below it.")
        ] = None,
        order: OrganizationOrder = OrganizationOrder.NAME,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Organization]:
        context = info.context
        store_filter = OrganizationFilter(kinds=kind or (), region_code=region_code)
        page = await content.find_page(
            context,
            ORGANIZATION,
            filter=store_filter,
            order=_ORGANIZATION_ORDER[order],
            first=first,
            after=after,
        )
        return Connection.of(
            page, Organization.from_record, lambda: content.count(context, ORGANIZATION, filter=store_filter)
        )

    @strawberry.field(description="Best practices (praktik baik).")
    async def practices(
        self,
        info: Info[Context, None],
        filter: PracticeFilter | None = None,
        order: ContentOrder = ContentOrder.NEWEST,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Practice]:
        page: Connection[Practice] = await _content_page(
            info, PRACTICE, Practice.from_record, filter, order, first, after
        )
        return page

    @strawberry.field(description="Case studies (studi kasus) contributed by partners.")
    async def case_studies(
        self,
        info: Info[Context, None],
        filter: CaseStudyFilter | None = None,
        order: ContentOrder = ContentOrder.NEWEST,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[CaseStudy]:
        page: Connection[CaseStudy] = await _content_page(
            info, CASE_STUDY, CaseStudy.from_record, filter, order, first, after
        )
        return page

    @strawberry.field(description="Partnerships (kemitraan).")
    async def partnerships(
        self,
        info: Info[Context, None],
        filter: PartnershipFilter | None = None,
        order: ContentOrder = ContentOrder.NEWEST,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Partnership]:
        page: Connection[Partnership] = await _content_page(
            info, PARTNERSHIP, Partnership.from_record, filter, order, first, after
        )
        return page

    @strawberry.field(description="Replications (replikasi): practices adopted by other regions.")
    async def replications(
        self,
        info: Info[Context, None],
        filter: ReplicationFilter | None = None,
        order: ContentOrder = ContentOrder.NEWEST,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Replication]:
        page: Connection[Replication] = await _content_page(
            info, REPLICATION, Replication.from_record, filter, order, first, after
        )
        return page
