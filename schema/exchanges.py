"""Peer exchanges: the ExchangeRequest type, its listings and the mutations of its steps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from resolvers import exchanges
from resolvers.content import WriteResult
from resolvers.context import Context
from resolvers.exchanges import ExchangeDirection, ExchangeStep
from schema.accounts import User, load_user
from schema.audit import AuditEntry
from schema.content import Partnership, Practice, Replication
from schema.enums import ExchangeKind, ExchangeState
from schema.inputs import to_fields
from schema.node import Node, copy_record
from schema.pagination import Connection
from schema.payload import Error, errors_of
from schema.regions import Organization, Region, load_organization
from storage import records
from storage.vocabulary import ExchangeSubjectKind

ExchangeSubject = Annotated[
    Practice | Partnership,
    strawberry.union("ExchangeSubject", description="What an exchange is about."),
]


@strawberry.type
class DateRange:
    start: date
    end: date


@strawberry.type(description="When and where an exchange takes place: a place, an online link, or both.")
class ExchangeSchedule:
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    online_url: str | None = strawberry.field(description="An https:// link.")


_TEXT = "Plain text as the user wrote it: render it as text, never as HTML."


@strawberry.type(
    description="Pertukaran: a government asks the organization behind a practice or a partnership "
    "for a study visit, mentoring or documents. Visible to the users of both organizations and the "
    "reviewers."
)
class ExchangeRequest(Node):
    kind: ExchangeKind
    state: ExchangeState
    message: str = strawberry.field(description=_TEXT)
    preferred_dates: list[DateRange] = strawberry.field(description="One to three date ranges.")
    participants: int
    decline_reason: str | None = strawberry.field(description=_TEXT)
    schedule: ExchangeSchedule | None
    feedback: str | None = strawberry.field(description="The requester's feedback on completion. " + _TEXT)
    rating: int | None = strawberry.field(description="The requester's rating on completion, 1 to 5.")
    cancel_reason: str | None = strawberry.field(description=_TEXT)
    is_demo: bool
    version: int = strawberry.field(description="Increases with every step; pass it back to take the next.")
    created_at: datetime
    updated_at: datetime
    stored: strawberry.Private[records.ExchangeRecord]

    @classmethod
    def from_record(cls, record: records.ExchangeRecord) -> ExchangeRequest:
        return copy_record(
            cls,
            record,
            id=cls.global_id(record.id),
            preferred_dates=[copy_record(DateRange, dates) for dates in record.preferred_dates],
            schedule=copy_record(ExchangeSchedule, record.schedule) if record.schedule else None,
            stored=record,
        )

    @strawberry.field(description="The practice or partnership asked about; null once unreadable.")
    async def subject(self, info: Info[Context, None]) -> ExchangeSubject | None:
        loaders = info.context.loaders
        if self.stored.subject_kind is ExchangeSubjectKind.PRACTICE:
            practice = await loaders.practices.load(self.stored.subject_id)
            return Practice.from_record(practice) if practice else None
        partnership = await loaders.partnerships.load(self.stored.subject_id)
        return Partnership.from_record(partnership) if partnership else None

    @strawberry.field(description="The organization asked: the subject's owner when it was asked.")
    async def owner_organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.stored.owner_organization_id)

    @strawberry.field(description="The government that asks.")
    async def requester_organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.stored.requester_organization_id)

    @strawberry.field(description="The region the requesting delegation comes from.")
    async def requesting_region(self, info: Info[Context, None]) -> Region | None:
        record = await info.context.loaders.regions.load(self.stored.requesting_region_code)
        return Region.from_record(record) if record else None

    @strawberry.field(description="The user who asked; null once that account is removed.")
    async def requested_by(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.stored.requested_by)

    @strawberry.field(description="The replication this exchange became, once converted.")
    async def replication(self, info: Info[Context, None]) -> Replication | None:
        if self.stored.replication_id is None:
            return None
        record = await info.context.loaders.replications.load(self.stored.replication_id)
        return Replication.from_record(record) if record else None

    @strawberry.field(
        description="The organizations a notifier must tell of the latest step: the parties other "
        "than the one that took it. The stored audit entry of each step names its own."
    )
    async def notify_organizations(self, info: Info[Context, None]) -> list[Organization]:
        found = await info.context.loaders.organizations.load_many(self.stored.notify_organization_ids)
        return [Organization.from_record(record) for record in found if record is not None]

    @strawberry.field(description="Every step, newest first (at most 200), with its actor and comment.")
    async def audit_trail(self, info: Info[Context, None]) -> list[AuditEntry]:
        entries = await info.context.loaders.audit_trail.load(self.stored.id)
        return [AuditEntry.from_record(entry) for entry in entries]

    @strawberry.field(description="The steps the viewer may take now, for a client's buttons.")
    def viewer_steps(self, info: Info[Context, None]) -> list[ExchangeStep]:
        return exchanges.available_steps(info.context.viewer, self.stored)


async def exchange_connection(
    info: Info[Context, None],
    organization_id: str,
    *,
    direction: ExchangeDirection,
    states: list[ExchangeState] | None,
    first: int,
    after: str | None,
) -> Connection[ExchangeRequest] | None:
    found = await exchanges.exchanges_of(
        info.context, organization_id, direction=direction, states=states or (), first=first, after=after
    )
    return Connection.of(found.page, ExchangeRequest.from_record, found.count) if found else None


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input
class DateRangeInput:
    start: date | None = UNSET
    end: date | None = UNSET


@strawberry.input(
    description="Required: subjectId (a published practice or partnership of another organization), "
    "kind, message (10-4,000 characters), preferredDates (1-3 ranges, none in the past), "
    "participants (1-200), requestingRegionCode."
)
class RequestExchangeInput:
    subject_id: strawberry.ID | None = UNSET
    kind: ExchangeKind | None = UNSET
    message: str | None = UNSET
    preferred_dates: list[DateRangeInput] | None = UNSET
    participants: int | None = UNSET
    requesting_region_code: str | None = UNSET
    organization_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The requesting government: the viewer's own organization when omitted; only "
        "the hub's admins may name another.",
    )


@strawberry.input
class AcceptExchangeInput:
    id: strawberry.ID
    version: int
    comment: str | None = UNSET


@strawberry.input
class DeclineExchangeInput:
    id: strawberry.ID
    version: int
    reason: str | None = strawberry.field(default=UNSET, description="Why (required).")


@strawberry.input(description="startsAt is required, and a place or an https:// online link (or both).")
class ScheduleExchangeInput:
    id: strawberry.ID
    version: int
    starts_at: datetime | None = UNSET
    ends_at: datetime | None = UNSET
    place: str | None = UNSET
    online_url: str | None = UNSET


@strawberry.input
class CompleteExchangeInput:
    id: strawberry.ID
    version: int
    feedback: str | None = strawberry.field(default=UNSET, description="Required, 10-4,000 characters.")
    rating: int | None = strawberry.field(default=UNSET, description="Required, 1 to 5.")


@strawberry.input
class CancelExchangeInput:
    id: strawberry.ID
    version: int
    reason: str | None = UNSET


@strawberry.input(
    description="The replication is prefilled from the exchange; title and adaptations replace the "
    "prefilled title and the feedback."
)
class ConvertExchangeInput:
    id: strawberry.ID
    version: int
    title: str | None = UNSET
    adaptations: str | None = UNSET


@strawberry.type
class ExchangeRequestPayload:
    exchange_request: ExchangeRequest | None
    errors: list[Error]


@strawberry.type
class ConvertExchangePayload:
    exchange_request: ExchangeRequest | None
    replication: Replication | None
    errors: list[Error]


def _payload(result: WriteResult[records.ExchangeRecord]) -> ExchangeRequestPayload:
    record = result.record
    return ExchangeRequestPayload(
        exchange_request=ExchangeRequest.from_record(record) if record else None,
        errors=errors_of(result.errors),
    )


def _details(input: Any) -> dict[str, Any]:
    """A step input's own fields, without the ``id`` and ``version`` every step carries."""
    fields: dict[str, Any] = to_fields(input)
    return {name: value for name, value in fields.items() if name not in ("id", "version")}


async def _step(info: Info[Context, None], step: ExchangeStep, input: Any) -> ExchangeRequestPayload:
    result = await exchanges.take_step(
        info.context, step, id=input.id, version=input.version, data=_details(input)
    )
    return _payload(result)


@strawberry.type
class ExchangeMutation:
    @strawberry.mutation(
        description="Ask the organization behind a published practice or partnership for a study "
        "visit, mentoring or documents. Members and admins of a government, for their organization."
    )
    async def request_exchange(
        self, info: Info[Context, None], input: RequestExchangeInput
    ) -> ExchangeRequestPayload:
        return _payload(await exchanges.request_exchange(info.context, to_fields(input)))

    @strawberry.mutation(description="Requested -> accepted. The owning organization.")
    async def accept_exchange(
        self, info: Info[Context, None], input: AcceptExchangeInput
    ) -> ExchangeRequestPayload:
        return await _step(info, ExchangeStep.ACCEPT, input)

    @strawberry.mutation(description="Requested -> declined, with a reason. The owning organization.")
    async def decline_exchange(
        self, info: Info[Context, None], input: DeclineExchangeInput
    ) -> ExchangeRequestPayload:
        return await _step(info, ExchangeStep.DECLINE, input)

    @strawberry.mutation(
        description="Accepted (or scheduled: a new date) -> scheduled. The owning organization."
    )
    async def schedule_exchange(
        self, info: Info[Context, None], input: ScheduleExchangeInput
    ) -> ExchangeRequestPayload:
        return await _step(info, ExchangeStep.SCHEDULE, input)

    @strawberry.mutation(
        description="Scheduled -> completed, with feedback and a 1-5 rating. The requesting organization."
    )
    async def complete_exchange(
        self, info: Info[Context, None], input: CompleteExchangeInput
    ) -> ExchangeRequestPayload:
        return await _step(info, ExchangeStep.COMPLETE, input)

    @strawberry.mutation(description="Requested, accepted or scheduled -> cancelled. Either organization.")
    async def cancel_exchange(
        self, info: Info[Context, None], input: CancelExchangeInput
    ) -> ExchangeRequestPayload:
        return await _step(info, ExchangeStep.CANCEL, input)

    @strawberry.mutation(
        description="A completed exchange about a practice becomes a draft replication (PLANNED) of "
        "the requesting organization, once. The requesting organization."
    )
    async def convert_exchange_to_replication(
        self, info: Info[Context, None], input: ConvertExchangeInput
    ) -> ConvertExchangePayload:
        result = await exchanges.convert_to_replication(
            info.context, id=input.id, version=input.version, data=_details(input)
        )
        return ConvertExchangePayload(
            exchange_request=ExchangeRequest.from_record(result.record) if result.record else None,
            replication=Replication.from_record(result.replication) if result.replication else None,
            errors=errors_of(result.errors),
        )
