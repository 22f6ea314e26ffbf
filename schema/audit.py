"""The audit trail of an item and a practice's last verification."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers.context import Context
from schema.accounts import User, load_user
from schema.enums import AuditAction
from storage import records


@strawberry.type(description="One field an edit or a step changed, with its values as stored (JSON).")
class FieldChange:
    field: str
    before: JSON | None
    after: JSON | None


@strawberry.type(description="Who did what to an item, and when.")
class AuditEntry:
    at: datetime
    action: AuditAction
    version: int | None = strawberry.field(description="The item's version after the change.")
    changes: list[FieldChange]
    comment: str | None = strawberry.field(description="The reviewer's comment on a request for changes.")
    actor_name: str | None = strawberry.field(description="The actor's name at the time of the change.")
    actor_id: strawberry.Private[str | None]

    @strawberry.field(description="The user who made the change; null once that account is removed.")
    async def actor(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.actor_id)

    @classmethod
    def from_record(cls, record: records.AuditEntryRecord) -> AuditEntry:
        return cls(
            at=record.at,
            action=record.action,
            version=record.version,
            changes=[FieldChange(field=c.field, before=c.before, after=c.after) for c in record.changes],
            comment=record.comment,
            actor_name=record.actor_name,
            actor_id=record.actor_id,
        )


@strawberry.type(description="A reviewer's check that a published practice still runs.")
class Verification:
    verified_at: datetime
    still_active: bool
    comment: str | None
    verified_by_id: strawberry.Private[str | None]

    @strawberry.field
    async def verified_by(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.verified_by_id)

    @classmethod
    def from_record(cls, record: records.Verification) -> Verification:
        return cls(
            verified_at=record.verified_at,
            still_active=record.still_active,
            comment=record.comment,
            verified_by_id=record.verified_by,
        )
