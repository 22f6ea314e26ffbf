"""Events and trainings: the types, the `events` listing, registration and certificates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from resolvers import events, visibility
from resolvers.content import WriteResult
from resolvers.context import Context
from resolvers.events import RegistrationResult
from schema import following
from schema.accounts import User, load_user
from schema.audit import AuditEntry
from schema.enums import EventKind, EventStatus, RegistrationStatus, Theme
from schema.inputs import LinkInput, to_fields
from schema.node import Node, copy_record
from schema.pagination import DEFAULT_PAGE_SIZE, After, Connection, First
from schema.payload import Error, errors_of
from schema.regions import Organization, Region, load_organization
from storage.events import EventRecord, RegistrationRecord, count_events
from storage.pagination import Page
from storage.store import utc_now
from storage.vocabulary import FollowKind

if TYPE_CHECKING:
    from schema.content import Practice


@strawberry.type
class EventLink:
    label: str
    url: str


@strawberry.type(description="Where an event takes place.")
class Venue:
    name: str
    address: str | None
    region_code: strawberry.Private[str]

    @strawberry.field
    async def region(self, info: Info[Context, None]) -> Region | None:
        record = await info.context.loaders.regions.load(self.region_code)
        return Region.from_record(record) if record else None


@strawberry.type(
    description="A training, workshop, webinar, study forum or association meeting. Times are UTC; "
    "`timeZone` and the `local*` fields give the venue's own time (WIB, WITA or WIT), or Jakarta "
    "time for an online event."
)
class Event(Node):
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    kind: EventKind
    online_url: str | None
    venue: Venue | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_deadline: datetime | None
    themes: list[Theme]
    materials: list[EventLink]
    status: EventStatus
    cancellation_reason: str | None
    version: int
    is_demo: bool
    registered_count: int = strawberry.field(description="Seats taken.")
    waitlist_count: int = strawberry.field(description="People on the waiting list.")
    source: strawberry.Private[EventRecord]

    @property
    def record(self) -> EventRecord:
        return self.source

    @classmethod
    def from_record(cls, record: EventRecord) -> Event:
        result: Event = copy_record(
            cls,
            record,
            id=cls.global_id(record.id),
            venue=Venue(
                name=record.venue.name, address=record.venue.address, region_code=record.venue.region_code
            )
            if record.venue
            else None,
            materials=[EventLink(label=link.label, url=link.url) for link in record.materials],
            source=record,
        )
        return result

    @strawberry.field(description="Seats still free.")
    def seats_left(self) -> int:
        return self.record.seats_left

    @strawberry.field(description="IANA zone of the venue's region, or Asia/Jakarta online.")
    def time_zone(self) -> str:
        return events.time_zone_of(self.record)

    @strawberry.field(description="WIB, WITA or WIT.")
    def time_zone_abbreviation(self) -> str:
        return events.zone_abbreviation(events.time_zone_of(self.record))

    @strawberry.field(description="The start in the event's time zone, with its offset.")
    def local_starts_at(self) -> datetime:
        return events.local_time(self.record.starts_at, events.time_zone_of(self.record))

    @strawberry.field(description="The end in the event's time zone, with its offset.")
    def local_ends_at(self) -> datetime:
        return events.local_time(self.record.ends_at, events.time_zone_of(self.record))

    @strawberry.field(description="The iCalendar (RFC 5545) file of this event.")
    def calendar_url(self) -> str:
        return f"/events/{self.id}.ics"

    @strawberry.field
    async def organizer(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.record.organizer_id)

    @strawberry.field
    async def co_organizers(self, info: Info[Context, None]) -> list[Organization]:
        found = await info.context.loaders.organizations.load_many(self.record.co_organizer_ids)
        return [Organization.from_record(record) for record in found if record is not None]

    @strawberry.field
    async def related_practices(
        self, info: Info[Context, None]
    ) -> list[Annotated[Practice, strawberry.lazy("schema.content")]]:
        from schema.content import Practice  # practices may show their events later: a cycle

        found = await info.context.loaders.practices.load_many(self.record.related_practice_ids)
        return [Practice.from_record(record) for record in found if record is not None]

    @strawberry.field(description="The viewer's registration; null when none or anonymous.")
    async def viewer_registration(self, info: Info[Context, None]) -> EventRegistration | None:
        user_id = info.context.viewer.user_id
        if user_id is None:
            return None
        found = await info.context.loaders.registrations_of_event.load(self.record.id)
        mine = next((r for r in found if r.user_id == user_id), None)
        return EventRegistration.of(mine, self.record) if mine else None

    @strawberry.field(
        description="Seats, then the waiting list in order; for the organizers and reviewers, "
        "empty for anyone else."
    )
    async def registrations(self, info: Info[Context, None]) -> list[EventRegistration]:
        viewer = info.context.viewer
        if not (viewer.is_reviewer or any(viewer.belongs_to(o) for o in self.record.organizers)):
            return []
        found = await info.context.loaders.registrations_of_event.load(self.record.id)
        return [EventRegistration.of(registration, self.record) for registration in found]

    @strawberry.field(description="Every edit, step and attendance record; for the organizers and reviewers.")
    async def audit_trail(self, info: Info[Context, None]) -> list[AuditEntry]:
        viewer = info.context.viewer
        if not (viewer.is_reviewer or any(viewer.belongs_to(o) for o in self.record.organizers)):
            return []
        return [
            AuditEntry.from_record(e) for e in await info.context.loaders.audit_trail.load(self.record.id)
        ]

    @strawberry.field(description="How many users follow this.")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, FollowKind.EVENT, self.record.id)

    @strawberry.field(description="Whether the signed-in user follows this; false for anonymous viewers.")
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, FollowKind.EVENT, self.record.id)

    @strawberry.field(description="Whether the viewer may change this event and keep its attendance.")
    def viewer_is_organizer(self, info: Info[Context, None]) -> bool:
        viewer = info.context.viewer
        return viewer.is_hub_admin or any(viewer.belongs_to(o) for o in self.record.organizers)


@strawberry.type(description="A seat at an event or a place on its waiting list.")
class EventRegistration:
    status: RegistrationStatus
    position: int | None = strawberry.field(description="Order on the waiting list (1 is next).")
    registered_at: datetime
    cancelled_at: datetime | None
    attended: bool
    user_name: str | None
    record: strawberry.Private[RegistrationRecord]
    event_record: strawberry.Private[EventRecord]

    @classmethod
    def of(cls, record: RegistrationRecord, event: EventRecord) -> EventRegistration:
        return cls(
            status=record.status,
            position=record.position,
            registered_at=record.registered_at,
            cancelled_at=record.cancelled_at,
            attended=record.attended,
            user_name=record.user_name,
            record=record,
            event_record=event,
        )

    @strawberry.field(description="The certificate of attendance's code, to verify with `verifyCertificate`.")
    def certificate_code(self, info: Info[Context, None]) -> str | None:
        if not visibility.can_read_registration(info.context.viewer, self.record, self.event_record):
            return None
        return self.record.certificate_code

    @strawberry.field
    async def user(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.record.user_id)

    @strawberry.field
    def event(self) -> Event:
        return Event.from_record(self.event_record)


@strawberry.type(description="What a certificate code stands for, when it is genuine.")
class CertificateVerification:
    valid: bool
    code: str
    participant_name: str | None
    attended_event: Event | None
    marked_at: datetime | None


# --- inputs and payloads -----------------------------------------------------------------------


@strawberry.input
class VenueInput:
    name: str | None = UNSET
    address: str | None = UNSET
    region_code: str | None = UNSET


@strawberry.input(
    description="Fields of an event; times need their offset (+07:00 WIB, +08:00 WITA, +09:00 WIT)."
)
class EventInput:
    title: str | None = UNSET
    title_en: str | None = UNSET
    description: str | None = UNSET
    description_en: str | None = UNSET
    kind: EventKind | None = UNSET
    organizer_id: strawberry.ID | None = UNSET
    co_organizer_ids: list[strawberry.ID] | None = UNSET
    online_url: str | None = UNSET
    venue: VenueInput | None = UNSET
    starts_at: datetime | None = UNSET
    ends_at: datetime | None = UNSET
    capacity: int | None = UNSET
    registration_deadline: datetime | None = UNSET
    themes: list[Theme] | None = UNSET
    related_practice_ids: list[strawberry.ID] | None = UNSET
    materials: list[LinkInput] | None = UNSET


@strawberry.input
class UpdateEventInput:
    id: strawberry.ID
    version: int
    changes: EventInput


@strawberry.input
class EventStepInput:
    id: strawberry.ID
    version: int
    reason: str | None = strawberry.field(
        default=None, description="Required to cancel: registrants are told."
    )


@strawberry.input
class RegistrationInput:
    event_id: strawberry.ID


@strawberry.input
class AttendanceInput:
    event_id: strawberry.ID
    user_ids: list[strawberry.ID]
    attended: bool = True


@strawberry.input(description="Events starting in [from, to), soonest first; values in a list are OR-ed.")
class EventFilterInput:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None
    region_code: str | None = strawberry.field(default=None, description="The venue at or below it.")
    themes: list[Theme] | None = None
    kinds: list[EventKind] | None = None
    organizer_ids: list[strawberry.ID] | None = None
    statuses: list[EventStatus] | None = None


@strawberry.type
class EventPayload:
    event: Event | None
    errors: list[Error]


@strawberry.type
class RegistrationPayload:
    registration: EventRegistration | None
    event: Event | None
    errors: list[Error]


@strawberry.type
class AttendancePayload:
    registrations: list[EventRegistration]
    errors: list[Error]


def _event_payload(result: WriteResult[EventRecord]) -> EventPayload:
    return EventPayload(
        event=Event.from_record(result.record) if result.record else None, errors=errors_of(result.errors)
    )


async def _registration_payload(info: Info[Context, None], result: RegistrationResult) -> RegistrationPayload:
    if result.registration is None or result.event is None:
        return RegistrationPayload(registration=None, event=None, errors=errors_of(result.errors))
    # The counts changed with this registration: read the event again.
    (event,) = await info.context.stores.events.get_many([result.event.id])
    event = event or result.event
    return RegistrationPayload(
        registration=EventRegistration.of(result.registration, event),
        event=Event.from_record(event),
        errors=errors_of(result.errors),
    )


def filter_of(context: Context, given: EventFilterInput | None) -> Any:
    if given is None:
        return events.event_filter(context)
    return events.event_filter(
        context,
        starts_from=given.from_,
        starts_before=given.to,
        region_code=given.region_code,
        themes=given.themes or (),
        kinds=given.kinds or (),
        organizer_ids=given.organizer_ids or (),
        statuses=given.statuses or (),
    )


async def event_connection(
    info: Info[Context, None], store_filter: Any, *, first: int, after: str | None
) -> Connection[Event]:
    context = info.context
    page = await events.find_events(context, filter=store_filter, first=first, after=after)

    async def total() -> int:
        return await count_events(context.stores.events, filter=store_filter)

    return Connection.of(page, Event.from_record, total)


@strawberry.type
class EventQuery:
    @strawberry.field(description="Events, soonest first.")
    async def events(
        self,
        info: Info[Context, None],
        filter: EventFilterInput | None = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Event]:
        return await event_connection(info, filter_of(info.context, filter), first=first, after=after)

    @strawberry.field(description="Check a certificate of attendance by its code; anyone may ask.")
    async def verify_certificate(self, info: Info[Context, None], code: str) -> CertificateVerification:
        found = await events.verify_certificate(info.context, code)
        if found is None:
            return CertificateVerification(
                valid=False, code=code[:40], participant_name=None, attended_event=None, marked_at=None
            )
        registration, event = found
        return CertificateVerification(
            valid=True,
            code=registration.certificate_code or code,
            participant_name=registration.user_name,
            attended_event=Event.from_record(event),
            marked_at=registration.attendance_marked_at,
        )


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="A new event of the viewer's organization, as a draft.")
    async def create_event(self, info: Info[Context, None], input: EventInput) -> EventPayload:
        return _event_payload(await events.create_event(info.context, to_fields(input)))

    @strawberry.mutation(description="Registrants are told when the time or the place changes.")
    async def update_event(self, info: Info[Context, None], input: UpdateEventInput) -> EventPayload:
        result = await events.update_event(
            info.context, id=input.id, version=input.version, patch=to_fields(input.changes)
        )
        return _event_payload(result)

    @strawberry.mutation(description="Open the event for registration.")
    async def publish_event(self, info: Info[Context, None], input: EventStepInput) -> EventPayload:
        return _event_payload(
            await events.step_event(info.context, "publish", id=input.id, version=input.version)
        )

    @strawberry.mutation(description="Cancel with a reason; registrants are told.")
    async def cancel_event(self, info: Info[Context, None], input: EventStepInput) -> EventPayload:
        result = await events.step_event(
            info.context, "cancel", id=input.id, version=input.version, reason=input.reason
        )
        return _event_payload(result)

    @strawberry.mutation(description="The event took place (after its start).")
    async def finish_event(self, info: Info[Context, None], input: EventStepInput) -> EventPayload:
        return _event_payload(
            await events.step_event(info.context, "finish", id=input.id, version=input.version)
        )

    @strawberry.mutation(description="A seat, or a place on the waiting list when the event is full.")
    async def register_for_event(
        self, info: Info[Context, None], input: RegistrationInput
    ) -> RegistrationPayload:
        return await _registration_payload(info, await events.register(info.context, event_id=input.event_id))

    @strawberry.mutation(description="Give the seat up (the first on the waiting list gets it).")
    async def cancel_registration(
        self, info: Info[Context, None], input: RegistrationInput
    ) -> RegistrationPayload:
        result = await events.cancel_registration(info.context, event_id=input.event_id)
        return await _registration_payload(info, result)

    @strawberry.mutation(description="Organizers: record who attended; attendees get a certificate code.")
    async def mark_attendance(self, info: Info[Context, None], input: AttendanceInput) -> AttendancePayload:
        marked, errors = await events.mark_attendance(
            info.context, event_id=input.event_id, user_ids=input.user_ids, attended=input.attended
        )
        if not marked:
            return AttendancePayload(registrations=[], errors=errors_of(errors))
        (event,) = await info.context.stores.events.get_many([marked[0].event_id])
        assert event is not None
        return AttendancePayload(
            registrations=[EventRegistration.of(r, event) for r in marked], errors=errors_of(errors)
        )


async def events_of_organization(
    info: Info[Context, None], organization_id: str, *, upcoming: bool, first: int, after: str | None
) -> Connection[Event]:
    store_filter = events.event_filter(
        info.context,
        organizer_ids=[Organization.global_id(organization_id)],
        starts_from=utc_now() if upcoming else None,
    )
    return await event_connection(info, store_filter, first=first, after=after)


async def registrations_of_user(
    info: Info[Context, None], user_id: str, *, first: int, after: str | None
) -> Connection[EventRegistration]:
    context = info.context
    page = await events.registrations_of_user(context, user_id, first=first, after=after)
    found = await context.loaders.events.load_many([r.event_id for r in page.items])
    by_id = {event.id: event for event in found if event is not None}

    def convert(record: RegistrationRecord) -> EventRegistration:
        return EventRegistration.of(record, by_id[record.event_id])

    kept = [(r, c) for r, c in zip(page.items, page.cursors, strict=True) if r.event_id in by_id]

    async def total() -> int:
        return len(kept)

    shown: Page[RegistrationRecord] = Page(
        items=[r for r, _ in kept], cursors=[c for _, c in kept], has_next_page=page.has_next_page
    )
    return Connection.of(shown, convert, total)
