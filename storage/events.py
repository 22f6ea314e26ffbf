"""Events and trainings, their registrations, waiting lists, attendance and certificates.

Capacity is kept by the event document itself: a registration takes a seat only through a
conditional increment of ``registered_count`` below ``capacity``, in the same transaction as the
registration. Concurrent registrations for the last seats conflict on that document, MongoDB
commits one at a time, and the others are retried against the new count, so the seats taken can
never exceed the capacity. Whoever finds it full joins the waiting list at the next position; a
cancellation hands its seat to the first in line in the same transaction. Whoever leaves the
list (for a seat, or giving up) moves those behind up one place, so a position is always the
place in line: 1 is next.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from storage.activity import record_activity
from storage.errors import NotFound
from storage.pagination import (
    InvalidCursor,
    Page,
    SortOrder,
    decode_cursor,
    encode_cursor,
    newest_key,
)
from storage.records import Id, Link, Record, VersionedRecord
from storage.store import (
    AuditNote,
    Document,
    VersionedStore,
    region_scope,
    sort_key,
    translate_errors,
    utc_now,
)
from storage.vocabulary import ActivityKind, EventKind, EventStatus, RegistrationStatus, Theme

EVENTS = "events"
REGISTRATIONS = "event_registrations"
# Who may read an event: everyone once it is out of draft, always its organizers.
PUBLIC = "public"

# Indonesia's three time zones by province code (Kemendagri): WIT in Maluku and Papua, WITA in
# Bali, Nusa Tenggara, Kalimantan Selatan, Timur and Utara and Sulawesi, WIB elsewhere. Kept
# here, below every layer that needs it: the API shows times in it, the demo content is
# written in it.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
JAKARTA = "Asia/Jakarta"
ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def time_zone_of_region(region_code: str | None) -> str:
    """The IANA zone of a region; no region (an online event) is Jakarta time (WIB)."""
    province = (region_code or "")[:2]
    if province in _WIT:
        return "Asia/Jayapura"
    if province in _WITA:
        return "Asia/Makassar"
    return JAKARTA


class AlreadyRegistered(Exception):
    """The user holds a seat or a place on the waiting list already."""


class Venue(Record):
    name: str
    address: str | None = None
    region_code: str


class EventRecord(VersionedRecord):
    title: str
    title_en: str | None = None
    description: str
    description_en: str | None = None
    kind: EventKind
    organizer_id: Id
    co_organizer_ids: list[Id] = Field(default_factory=list)
    online_url: str | None = None
    venue: Venue | None = None
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1)
    registration_deadline: datetime | None = None
    themes: list[Theme] = Field(default_factory=list)
    related_practice_ids: list[Id] = Field(default_factory=list)
    materials: list[Link] = Field(default_factory=list)
    status: EventStatus
    cancellation_reason: str | None = None
    registered_count: int = 0
    waitlist_count: int = 0

    @property
    def organizers(self) -> list[str]:
        return [self.organizer_id, *self.co_organizer_ids]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.registered_count, 0)


class RegistrationRecord(Record):
    id: str = Field(alias="_id")
    event_id: Id
    user_id: Id
    user_name: str | None = None
    organization_id: Id | None = None
    status: RegistrationStatus
    # Order on the waiting list (lower first); kept once registered, for the record.
    position: int | None = None
    registered_at: datetime
    cancelled_at: datetime | None = None
    attended: bool = False
    attendance_marked_at: datetime | None = None
    certificate_code: str | None = None


def starts_key(starts_at: Any, record_id: str) -> str:
    moment = datetime.fromisoformat(starts_at) if isinstance(starts_at, str) else starts_at
    return newest_key(moment, record_id)


def event_sort_keys(fields: Mapping[str, Any], record_id: str) -> Document:
    return {"starts_key": starts_key(fields["starts_at"], record_id)}


def readers_of_event(fields: Mapping[str, Any]) -> list[str]:
    status = getattr(fields.get("status"), "value", fields.get("status"))
    organizers = [str(fields["organizer_id"]), *map(str, fields.get("co_organizer_ids", []))]
    return [*([PUBLIC] if status != EventStatus.DRAFT.value else []), *organizers]


def derive_event(fields: Mapping[str, Any]) -> Document:
    venue = fields.get("venue") or {}
    return {
        "sort_key": sort_key(fields["title"]),
        "region_scope": region_scope([venue["region_code"]] if venue.get("region_code") else []),
        "readers": readers_of_event(fields),
        "organizer_ids": [str(fields["organizer_id"]), *map(str, fields.get("co_organizer_ids", []))],
    }


EVENT_INDEXES = (
    (("starts_key", 1),),
    (("readers", 1), ("starts_key", 1)),
    (("region_scope", 1), ("starts_key", 1)),
    (("themes", 1), ("starts_key", 1)),
    (("kind", 1), ("starts_key", 1)),
    (("organizer_ids", 1), ("starts_key", 1)),
)
REGISTRATION_INDEXES = (
    (("event_id", 1), ("status", 1), ("position", 1)),
    (("user_id", 1), ("registered_at", -1)),
    (("certificate_code", 1),),
)
EVENT_ORDER = SortOrder.STARTS


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFilter:
    """Events starting within [starts_from, starts_before), in a region, of themes, kinds, organizers."""

    starts_from: datetime | None = None
    starts_before: datetime | None = None
    region_code: str | None = None
    themes: Sequence[Theme] = ()
    kinds: Sequence[EventKind] = ()
    organizer_ids: Sequence[str] = ()
    statuses: Sequence[EventStatus] = ()
    readers: Sequence[str] | None = None

    def to_query(self, *, after: str | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {}

        def one_or_any(field: str, values: Sequence[Any]) -> None:
            plain = list(dict.fromkeys(getattr(v, "value", v) for v in values))
            if plain:
                query[field] = plain[0] if len(plain) == 1 else {"$in": plain}

        if self.readers is not None:
            one_or_any("readers", self.readers or ["nobody"])
        one_or_any("themes", self.themes)
        one_or_any("kind", self.kinds)
        one_or_any("organizer_ids", self.organizer_ids)
        one_or_any("status", self.statuses)
        if self.region_code is not None:
            query["region_scope"] = self.region_code
        # One range on the sort key: the window and the cursor together (a planner uses an
        # index for one range on a field, not for two).
        bounds: dict[str, str] = {}
        lower = [newest_key(self.starts_from, "")] if self.starts_from else []
        if after is not None:
            lower.append(decode_cursor(EVENT_ORDER, after) + "\x00")
        if lower:
            bounds["$gte"] = max(lower)
        if self.starts_before is not None:
            bounds["$lt"] = newest_key(self.starts_before, "")
        if bounds:
            query["starts_key"] = bounds
        return query


def _certificate_code() -> str:
    # Unambiguous letters and digits: read aloud or typed from a printout.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"LMB-{body[:5]}-{body[5:]}"


class RegistrationStore:
    """Seats, the waiting list and attendance of events (see the module docstring)."""

    def __init__(self, events: AsyncCollection[Document], registrations: AsyncCollection[Document]) -> None:
        self.events = events
        self.collection = registrations
        self._database = events.database
        self._audit = events.database["audit_trail"]

    @staticmethod
    def _record(document: Document) -> RegistrationRecord:
        return RegistrationRecord.model_validate(document)

    async def _transaction(self, write: Any) -> Any:
        async with self.events.database.client.start_session() as session:
            return await session.with_transaction(write)

    @translate_errors
    async def register(
        self, *, event_id: str, user_id: str, user_name: str | None, organization_id: str | None
    ) -> RegistrationRecord:
        """A seat if one is left, else the next place on the waiting list (NotFound: no event)."""
        registration_id = f"{event_id}:{user_id}"

        async def write(session: AsyncClientSession) -> Document:
            # Read inside the transaction: two registrations of one user at once conflict on
            # the event's count, and the one retried finds the other's registration here.
            current = await self.collection.find_one({"_id": registration_id}, session=session)
            if current is not None and current["status"] != RegistrationStatus.CANCELLED.value:
                raise AlreadyRegistered(registration_id)
            now = utc_now()
            seat = await self.events.update_one(
                {"_id": event_id, "$expr": {"$lt": ["$registered_count", "$capacity"]}},
                {"$inc": {"registered_count": 1}},
                session=session,
            )
            status = RegistrationStatus.REGISTERED
            position = None
            if seat.modified_count == 0:
                queued = await self.events.find_one_and_update(
                    {"_id": event_id},
                    {"$inc": {"waitlist_count": 1, "waitlist_seq": 1}},
                    session=session,
                    projection={"waitlist_seq": 1},
                    return_document=True,
                )
                if queued is None:
                    raise NotFound(event_id)
                status, position = RegistrationStatus.WAITLISTED, int(queued["waitlist_seq"])
            document: Document = {
                "_id": registration_id,
                "event_id": event_id,
                "user_id": user_id,
                "user_name": user_name,
                "organization_id": organization_id,
                "status": status.value,
                "position": position,
                "registered_at": now,
                "cancelled_at": None,
                "attended": False,
            }
            await self.collection.replace_one(
                {"_id": registration_id}, document, upsert=True, session=session
            )
            return document

        return self._record(await self._transaction(write))

    @translate_errors
    async def cancel(
        self, *, event_id: str, user_id: str
    ) -> tuple[RegistrationRecord, RegistrationRecord | None]:
        """Cancel a registration; a freed seat goes to the first on the waiting list (returned)."""
        registration_id = f"{event_id}:{user_id}"

        async def write(session: AsyncClientSession) -> tuple[Document, Document | None]:
            current = await self.collection.find_one({"_id": registration_id}, session=session)
            if current is None or current["status"] == RegistrationStatus.CANCELLED.value:
                raise NotFound(registration_id)
            now = utc_now()
            await self.collection.update_one(
                {"_id": registration_id},
                {"$set": {"status": RegistrationStatus.CANCELLED.value, "cancelled_at": now}},
                session=session,
            )
            if current["status"] == RegistrationStatus.WAITLISTED.value:
                await self._leave_waitlist(event_id, current["position"], session)
                return {**current, "status": RegistrationStatus.CANCELLED.value, "cancelled_at": now}, None
            promoted = await self.collection.find_one(
                {"event_id": event_id, "status": RegistrationStatus.WAITLISTED.value},
                sort=[("position", 1)],
                session=session,
            )
            if promoted is None:
                await self.events.update_one(
                    {"_id": event_id}, {"$inc": {"registered_count": -1}}, session=session
                )
            else:  # the seat changes hands: the count stays, the waiting list shortens
                await self.collection.update_one(
                    {"_id": promoted["_id"]},
                    {"$set": {"status": RegistrationStatus.REGISTERED.value}},
                    session=session,
                )
                await self._leave_waitlist(event_id, promoted["position"], session)
                promoted = {**promoted, "status": RegistrationStatus.REGISTERED.value}
                await record_activity(
                    self._database,
                    [
                        {
                            "kind": ActivityKind.WAITLIST_PROMOTED,
                            "event_id": event_id,
                            "user_ids": [promoted["user_id"]],
                        }
                    ],
                    actor_id=user_id,
                    session=session,
                )
            return {**current, "status": RegistrationStatus.CANCELLED.value, "cancelled_at": now}, promoted

        cancelled, promoted = await self._transaction(write)
        return self._record(cancelled), self._record(promoted) if promoted else None

    async def _leave_waitlist(self, event_id: str, position: int, session: AsyncClientSession) -> None:
        """Everyone behind ``position`` moves up one place: a position is the place in line."""
        await self.collection.update_many(
            {
                "event_id": event_id,
                "status": RegistrationStatus.WAITLISTED.value,
                "position": {"$gt": position},
            },
            {"$inc": {"position": -1}},
            session=session,
        )
        await self.events.update_one(
            {"_id": event_id}, {"$inc": {"waitlist_count": -1, "waitlist_seq": -1}}, session=session
        )

    @translate_errors
    async def mark_attendance(
        self, *, event_id: str, user_ids: Sequence[str], attended: bool, audit: AuditNote
    ) -> list[RegistrationRecord]:
        """Mark registered users as attended (a certificate code once) or not; audited."""

        async def write(session: AsyncClientSession) -> list[Document]:
            ids = [f"{event_id}:{user_id}" for user_id in user_ids]
            found = await self.collection.find(
                {"_id": {"$in": ids}, "status": RegistrationStatus.REGISTERED.value}, session=session
            ).to_list()
            now = utc_now()
            changed = []
            for document in found:
                update: Document = {"attended": attended, "attendance_marked_at": now}
                if attended and not document.get("certificate_code"):
                    update["certificate_code"] = _certificate_code()
                await self.collection.update_one({"_id": document["_id"]}, {"$set": update}, session=session)
                changed.append({**document, **update})
            entry = audit.entry(collection=EVENTS, subject_id=event_id, version=None)
            await self._audit.insert_one(entry, session=session)
            return changed

        return [self._record(document) for document in await self._transaction(write)]

    def telling(
        self, kind: ActivityKind, *, event_id: str, actor_id: str | None
    ) -> Callable[[AsyncClientSession | None], Awaitable[None]]:
        """A write, for an event's transaction, that tells everyone holding a seat or waiting."""

        async def tell(session: AsyncClientSession | None) -> None:
            query = {
                "event_id": event_id,
                "status": {"$in": [RegistrationStatus.REGISTERED.value, RegistrationStatus.WAITLISTED.value]},
            }
            users = [
                doc["user_id"] async for doc in self.collection.find(query, {"user_id": 1}, session=session)
            ]
            activity = {"kind": kind, "user_ids": users}
            await record_activity(
                self._database, [activity], actor_id=actor_id, session=session, event_id=event_id
            )

        return tell

    @translate_errors
    async def of_events(self, event_ids: Sequence[str]) -> list[list[RegistrationRecord]]:
        """Each event's registrations that are not cancelled: seats first, then the waiting list."""
        grouped: dict[str, list[RegistrationRecord]] = {event_id: [] for event_id in event_ids}
        query = {
            "event_id": {"$in": list(event_ids)},
            "status": {"$in": [RegistrationStatus.REGISTERED.value, RegistrationStatus.WAITLISTED.value]},
        }
        async for document in self.collection.find(query):
            grouped[document["event_id"]].append(self._record(document))
        order = {RegistrationStatus.REGISTERED: 0, RegistrationStatus.WAITLISTED: 1}
        return [
            sorted(found, key=lambda r: (order[r.status], r.position or 0, r.registered_at))
            for found in (grouped[event_id] for event_id in event_ids)
        ]

    @translate_errors
    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Bulk load of prepared registrations (demo content); their events' counts must match."""
        if documents:
            await self.collection.insert_many([dict(document) for document in documents], ordered=False)

    @translate_errors
    async def get_many(self, ids: Sequence[str]) -> list[RegistrationRecord | None]:
        found = {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": list(ids)}})}
        return [self._record(found[i]) if i in found else None for i in ids]

    @translate_errors
    async def of_user(self, *, user_id: str, first: int, after: str | None) -> Page[RegistrationRecord]:
        query: dict[str, Any] = {"user_id": user_id}
        if after is not None:
            try:
                query["registered_at"] = {"$lt": datetime.fromisoformat(after)}
            except ValueError as exc:
                raise InvalidCursor("the cursor is malformed") from exc
        documents = await self.collection.find(query).sort("registered_at", -1).limit(first + 1).to_list()
        shown = [self._record(document) for document in documents[:first]]
        return Page(
            items=shown,
            cursors=[record.registered_at.isoformat() for record in shown],
            has_next_page=len(documents) > first,
        )

    @translate_errors
    async def by_certificate(self, code: str) -> RegistrationRecord | None:
        document = await self.collection.find_one({"certificate_code": code, "attended": True})
        return self._record(document) if document else None


@translate_errors
async def event_page(
    store: VersionedStore[EventRecord], *, filter: EventFilter, first: int, after: str | None
) -> Page[EventRecord]:
    """Events soonest first; the cursor folds into the one range on ``starts_key``."""
    query = filter.to_query(after=after)
    documents = await store.collection.find(query).sort(EVENT_ORDER.mongo_sort()).limit(first + 1).to_list()
    shown = [EventRecord.model_validate(document) for document in documents[:first]]
    return Page(
        items=shown,
        cursors=[event_cursor(record) for record in shown],
        has_next_page=len(documents) > first,
    )


@translate_errors
async def count_events(store: VersionedStore[EventRecord], *, filter: EventFilter) -> int:
    return await store.collection.count_documents(filter.to_query())


def event_cursor(record: EventRecord) -> str:
    return encode_cursor(EVENT_ORDER, {"starts_key": starts_key(record.starts_at, record.id)})
