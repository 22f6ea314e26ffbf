"""Events and trainings: writing them, registering, waiting lists, attendance and certificates.

Who may write is decided in ``resolvers/permissions.py`` (an event's organizers) and who reads
in ``resolvers/visibility.py`` (everyone once an event is out of draft).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from resolvers import permissions, visibility
from resolvers.content import (
    Kind,
    WriteResult,
    actor,
    changes_between,
    check_page_size,
    current,
    write_fields,
)
from resolvers.context import Context
from resolvers.drafts import EventDraft, ReferenceKind
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id_of
from resolvers.validation import check_references, held_references, missing_reference_error, validate_draft
from storage.errors import MissingReference, NotFound
from storage.events import (
    ZONE_ABBREVIATIONS,
    AlreadyRegistered,
    EventFilter,
    EventRecord,
    RegistrationRecord,
    event_page,
    time_zone_of_region,
)
from storage.pagination import InvalidCursor, Page
from storage.store import utc_now
from storage.vocabulary import ActivityKind, AuditAction, EventKind, EventStatus, Theme

MAX_REASON = 1000
MAX_ATTENDANCE_BATCH = 200

EVENT: Kind[EventRecord, EventDraft] = Kind(
    name="Event",
    draft=EventDraft,
    store=lambda stores: stores.events,
    loader=lambda loaders: loaders.events,
)


def time_zone_of(record: EventRecord) -> str:
    """The venue's zone; an online event shows Jakarta time (WIB), as the issue asks."""
    return time_zone_of_region(record.venue.region_code if record.venue else None)


def zone_abbreviation(zone: str) -> str:
    return ZONE_ABBREVIATIONS[zone]


def local_time(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    registration: RegistrationRecord | None = None
    event: EventRecord | None = None
    errors: list[FieldError] = field(default_factory=list)


def _error(field_name: str | None, code: ErrorCode, message: str) -> RegistrationResult:
    return RegistrationResult(errors=[FieldError(field_name, code, message)])


async def _validated(
    context: Context, data: Mapping[str, Any], *, unchanged: Any = ()
) -> EventDraft | list[FieldError]:
    draft = validate_draft(EventDraft, data)
    if isinstance(draft, list):
        return draft
    if not draft.has_place:
        return [FieldError("venue", ErrorCode.REQUIRED, "Give a venue, an online link, or both.")]
    return await check_references(context, draft, unchanged=unchanged) or draft


def _organizer(data: Mapping[str, Any]) -> str:
    given = data.get("organizer_id")
    if not isinstance(given, str):
        return ""
    try:
        return decode_id_of("Organization", given)
    except InvalidGlobalId:
        return given


def _references(data: Mapping[str, Any]) -> set[tuple[ReferenceKind, str]]:
    draft = validate_draft(EventDraft, data)
    return {(ref.kind, ref.id) for ref in draft.references()} if isinstance(draft, EventDraft) else set()


def _stored(record: EventRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", include=set(EventDraft.model_fields))


async def create_event(context: Context, data: Mapping[str, Any]) -> WriteResult[EventRecord]:
    """A new event, always a draft until its organizers publish it."""
    if errors := permissions.authorize_event(context.viewer, organizer_ids=[_organizer(data)]):
        return WriteResult(errors=errors)
    draft = await _validated(context, data)
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    fields = {**draft.model_dump(mode="json"), "status": EventStatus.DRAFT.value}
    fields["starts_at"], fields["ends_at"] = draft.starts_at.astimezone(UTC), draft.ends_at.astimezone(UTC)
    if draft.registration_deadline is not None:
        fields["registration_deadline"] = draft.registration_deadline.astimezone(UTC)
    try:
        record = await context.stores.events.insert(
            fields,
            audit=actor(context, AuditAction.CREATED),
            references=held_references(context.stores, draft),
        )
    except MissingReference as exc:
        return WriteResult(errors=[missing_reference_error(context.stores, draft, exc)])
    context.on_write()
    return WriteResult(record=record)


def _as_stored(draft: EventDraft) -> dict[str, Any]:
    fields = draft.model_dump(mode="json")
    for name in ("starts_at", "ends_at", "registration_deadline"):
        if (moment := getattr(draft, name)) is not None:
            fields[name] = moment.astimezone(UTC)
    return fields


# Changes that registrants must hear of: when and where it takes place.
_NOTICEABLE = {"startsAt", "endsAt", "venue", "onlineUrl"}


async def update_event(
    context: Context, *, id: str, version: int, patch: Mapping[str, Any]
) -> WriteResult[EventRecord]:
    """Partial update by the organizers; registrants are told when the time or place changes."""
    if not context.viewer.is_authenticated:
        return WriteResult(errors=permissions.authorize_event(context.viewer, organizer_ids=[]))
    found = await current(context, EVENT, id, version)
    if isinstance(found, WriteResult):
        return found
    if errors := permissions.authorize_event(context.viewer, organizer_ids=found.organizers):
        return WriteResult(errors=errors)
    if found.status in (EventStatus.CANCELLED, EventStatus.FINISHED):
        message = f"A {found.status.label_en.lower()} event does not change any more."
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    if "organizer_id" in patch and _organizer(patch) != found.organizer_id:
        return WriteResult(
            errors=[FieldError("organizerId", ErrorCode.INVALID, "An event keeps its organizer.")]
        )
    stored = _stored(found)
    unchanged = _references(stored)
    draft = await _validated(context, {**stored, **patch}, unchanged=unchanged)
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    if draft.capacity < found.registered_count:
        message = f"{found.registered_count} people hold a seat already; the capacity cannot be lower."
        return WriteResult(errors=[FieldError("capacity", ErrorCode.OUT_OF_RANGE, message)])
    fields = _as_stored(draft)
    changes = changes_between(stored, draft.model_dump(mode="json"))
    if not changes:
        return WriteResult(record=found)
    noticed = {change["field"] for change in changes} & _NOTICEABLE
    tell = (
        context.stores.registrations.telling(
            ActivityKind.EVENT_CHANGED, event_id=found.id, actor_id=context.viewer.user_id
        )
        if found.status is EventStatus.PUBLISHED and noticed
        else None
    )
    note = actor(context, AuditAction.EDITED, changes=changes)
    return await write_fields(
        context, EVENT, found, fields, note, draft=draft, unchanged=unchanged, also=tell
    )


_STEPS = {
    "publish": ({EventStatus.DRAFT}, EventStatus.PUBLISHED, AuditAction.PUBLISHED),
    "cancel": ({EventStatus.DRAFT, EventStatus.PUBLISHED}, EventStatus.CANCELLED, AuditAction.CANCELLED),
    "finish": ({EventStatus.PUBLISHED}, EventStatus.FINISHED, AuditAction.FINISHED),
}


async def step_event(
    context: Context, step: str, *, id: str, version: int, reason: str | None = None
) -> WriteResult[EventRecord]:
    """Publish, cancel (with a reason, registrants told) or finish an event."""
    sources, target, audit_action = _STEPS[step]
    if not context.viewer.is_authenticated:
        return WriteResult(errors=permissions.authorize_event(context.viewer, organizer_ids=[]))
    found = await current(context, EVENT, id, version)
    if isinstance(found, WriteResult):
        return found
    if errors := permissions.authorize_event(context.viewer, organizer_ids=found.organizers):
        return WriteResult(errors=errors)
    if found.status not in sources:
        allowed = " or ".join(sorted(s.label_en.lower() for s in sources))
        message = f"This event is {found.status.label_en.lower()}; only {allowed} events can be {step}ed."
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    reason = reason.strip() if reason else None
    if step == "cancel" and not reason:
        return WriteResult(errors=[FieldError("reason", ErrorCode.REQUIRED, "Tell the registrants why.")])
    if reason and len(reason) > MAX_REASON:
        return WriteResult(
            errors=[FieldError("reason", ErrorCode.TOO_LONG, f"At most {MAX_REASON} characters.")]
        )
    if step == "finish" and found.starts_at > utc_now():
        message = "An event that has not started yet cannot be finished."
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    fields = {
        **_stored(found),
        "status": target.value,
        "cancellation_reason": reason if step == "cancel" else None,
    }
    fields.update({name: getattr(found, name) for name in ("starts_at", "ends_at", "registration_deadline")})
    change = {"field": "status", "before": found.status.value, "after": target.value}
    tell = (
        context.stores.registrations.telling(
            ActivityKind.EVENT_CANCELLED, event_id=found.id, actor_id=context.viewer.user_id
        )
        if step == "cancel"
        else None
    )
    note = actor(context, audit_action, changes=[change], comment=reason)
    return await write_fields(context, EVENT, found, fields, note, also=tell)


async def _event(context: Context, global_id: str) -> EventRecord | FieldError:
    try:
        local_id = decode_id_of("Event", global_id)
    except InvalidGlobalId as exc:
        return FieldError("eventId", ErrorCode.INVALID_ID, str(exc))
    record = await context.loaders.events.load(local_id)
    if record is None:
        return FieldError("eventId", ErrorCode.NOT_FOUND, "No event has this ID.")
    return record


async def register(context: Context, *, event_id: str) -> RegistrationResult:
    """A seat for the viewer, or a place on the waiting list when the event is full."""
    viewer = context.viewer
    if errors := permissions.authorize_registration(viewer):
        return RegistrationResult(errors=errors)
    event = await _event(context, event_id)
    if isinstance(event, FieldError):
        return RegistrationResult(errors=[event])
    if event.status is not EventStatus.PUBLISHED:
        return _error(
            "eventId", ErrorCode.INVALID_TRANSITION, "Registration is open for published events only."
        )
    closes = event.registration_deadline or event.starts_at
    if utc_now() >= closes:
        return _error("eventId", ErrorCode.INVALID_TRANSITION, "Registration for this event has closed.")
    assert viewer.user_id is not None
    try:
        registration = await context.stores.registrations.register(
            event_id=event.id,
            user_id=viewer.user_id,
            user_name=viewer.name,
            organization_id=viewer.organization_id,
        )
    except AlreadyRegistered:
        return _error("eventId", ErrorCode.DUPLICATE, "You are registered for this event already.")
    except NotFound:
        return _error("eventId", ErrorCode.NOT_FOUND, "No event has this ID.")
    return RegistrationResult(registration=registration, event=event)


async def cancel_registration(context: Context, *, event_id: str) -> RegistrationResult:
    """The viewer gives the seat up (the first on the waiting list gets it) or leaves the list."""
    viewer = context.viewer
    if errors := permissions.authorize_registration(viewer):
        return RegistrationResult(errors=errors)
    event = await _event(context, event_id)
    if isinstance(event, FieldError):
        return RegistrationResult(errors=[event])
    if event.starts_at <= utc_now():
        return _error("eventId", ErrorCode.INVALID_TRANSITION, "The event has started; ask its organizers.")
    assert viewer.user_id is not None
    try:
        cancelled, _ = await context.stores.registrations.cancel(event_id=event.id, user_id=viewer.user_id)
    except NotFound:
        return _error("eventId", ErrorCode.NOT_FOUND, "You are not registered for this event.")
    return RegistrationResult(registration=cancelled, event=event)


async def mark_attendance(
    context: Context, *, event_id: str, user_ids: Sequence[str], attended: bool
) -> tuple[list[RegistrationRecord], list[FieldError]]:
    """The organizers record who came; an attendee gets a certificate code to verify."""
    if not context.viewer.is_authenticated:
        return [], permissions.authorize_event(context.viewer, organizer_ids=[])
    event = await _event(context, event_id)
    if isinstance(event, FieldError):
        return [], [event]
    if errors := permissions.authorize_event(context.viewer, organizer_ids=event.organizers):
        return [], errors
    if event.status not in (EventStatus.PUBLISHED, EventStatus.FINISHED):
        return [], [
            FieldError("eventId", ErrorCode.INVALID_TRANSITION, "Attendance is kept for held events.")
        ]
    if not 1 <= len(user_ids) <= MAX_ATTENDANCE_BATCH:
        return [], [FieldError("userIds", ErrorCode.OUT_OF_RANGE, f"Give 1 to {MAX_ATTENDANCE_BATCH} users.")]
    try:
        local = [decode_id_of("User", user_id) for user_id in user_ids]
    except InvalidGlobalId as exc:
        return [], [FieldError("userIds", ErrorCode.INVALID_ID, str(exc))]
    change = {"field": "attended", "before": None, "after": {"users": local, "attended": attended}}
    marked = await context.stores.registrations.mark_attendance(
        event_id=event.id,
        user_ids=local,
        attended=attended,
        audit=actor(context, AuditAction.ATTENDANCE_MARKED, changes=[change]),
    )
    missing = sorted(set(local) - {registration.user_id for registration in marked})
    if missing:
        return marked, [
            FieldError(
                "userIds", ErrorCode.NOT_FOUND, f"{len(missing)} of the users hold no seat at this event."
            )
        ]
    return marked, []


# --- reading -----------------------------------------------------------------------------------


def event_filter(
    context: Context,
    *,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    region_code: str | None = None,
    themes: Sequence[Theme] = (),
    kinds: Sequence[EventKind] = (),
    organizer_ids: Sequence[str] = (),
    statuses: Sequence[EventStatus] = (),
) -> EventFilter:
    for name, moment in (("from", starts_from), ("to", starts_before)):
        if moment is not None and moment.tzinfo is None:
            raise UserInputError(f"`filter.{name}` needs a time zone offset.", argument=f"filter.{name}")
    try:
        organizers = [decode_id_of("Organization", value) for value in organizer_ids]
    except InvalidGlobalId as exc:
        raise UserInputError(
            f"`filter.organizerIds` holds an invalid ID: {exc}.", argument="filter.organizerIds"
        ) from exc
    return EventFilter(
        starts_from=starts_from.astimezone(UTC) if starts_from else None,
        starts_before=starts_before.astimezone(UTC) if starts_before else None,
        region_code=region_code.strip() if region_code else None,
        themes=themes,
        kinds=kinds,
        organizer_ids=organizers,
        statuses=statuses,
        readers=visibility.event_readers(context.viewer),
    )


async def find_events(
    context: Context, *, filter: EventFilter, first: int, after: str | None
) -> Page[EventRecord]:
    check_page_size(first)
    try:
        return await event_page(context.stores.events, filter=filter, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


async def registrations_of_user(
    context: Context, user_id: str, *, first: int, after: str | None
) -> Page[RegistrationRecord]:
    check_page_size(first)
    try:
        return await context.stores.registrations.of_user(user_id=user_id, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


async def get_event(context: Context, global_id: str) -> EventRecord | None:
    """An event the viewer may read, by global ID; None for anything else (malformed included)."""
    try:
        local_id = decode_id_of("Event", global_id)
    except InvalidGlobalId:
        return None
    record: EventRecord | None = await context.loaders.events.load(local_id)
    return record


async def verify_certificate(context: Context, code: str) -> tuple[RegistrationRecord, EventRecord] | None:
    """The attendance a certificate code stands for, if it is genuine (anyone may check)."""
    if len(code) > 40:
        return None
    registration = await context.stores.registrations.by_certificate(code.strip().upper())
    if registration is None:
        return None
    (event,) = await context.stores.events.get_many([registration.event_id])
    return (registration, event) if event is not None else None
