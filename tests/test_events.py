"""Events and trainings: writing, listing, time zones, registration under load, waiting lists."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import icalendar
import pytest

from resolvers.ids import encode_id
from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores
from storage.vocabulary import Role
from tests.support import GraphQLClient, create_organization, user_with_token
from tests.test_discussions import _local

EVENT_FIELDS = """
id version title status kind capacity seatsLeft registeredCount waitlistCount
startsAt endsAt timeZone timeZoneAbbreviation localStartsAt localEndsAt calendarUrl
venue { name region { code name } } onlineUrl organizer { name } viewerIsOrganizer
"""
CREATE = f"""
mutation($input: EventInput!) {{
  createEvent(input: $input) {{ event {{ {EVENT_FIELDS} }} errors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateEventInput!) {{
  updateEvent(input: $input) {{ event {{ {EVENT_FIELDS} }} errors {{ field code message }} }}
}}
"""
PUBLISH = """
mutation($input: EventStepInput!) {
  publishEvent(input: $input) { event { id version status } errors { field code } }
}
"""
CANCEL = """
mutation($input: EventStepInput!) {
  cancelEvent(input: $input) { event { id version status cancellationReason } errors { field code } }
}
"""
REGISTER = """
mutation($input: RegistrationInput!) {
  registerForEvent(input: $input) {
    registration { status position } event { registeredCount waitlistCount seatsLeft }
    errors { field code message }
  }
}
"""
CANCEL_REGISTRATION = """
mutation($input: RegistrationInput!) {
  cancelRegistration(input: $input) {
    registration { status } event { registeredCount waitlistCount } errors { code }
  }
}
"""
ATTENDANCE = """
mutation($input: AttendanceInput!) {
  markAttendance(input: $input) { registrations { attended certificateCode userName } errors { field code } }
}
"""
VERIFY = """
query($code: String!) {
  verifyCertificate(code: $code) { valid participantName markedAt attendedEvent { title } }
}
"""
EVENTS = """
query($filter: EventFilterInput, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { title startsAt status }
  }
}
"""
REGISTRATIONS = """
query($id: ID!) {
  node(id: $id) { ... on Event { registrations { status position userName user { name } } } }
}
"""
MINE = "{ viewer { eventRegistrations { totalCount nodes { status event { title } } } } }"


@dataclass
class Organizers:
    api: GraphQLClient
    stores: Stores
    organization: str
    organizer: GraphQLClient
    outsider: GraphQLClient
    anonymous: GraphQLClient


@pytest.fixture
async def hub(api: GraphQLClient, stores: Stores) -> Organizers:
    organization = await create_organization(api, name="Yayasan Pelatihan Desa", kind="NGO")
    other = await create_organization(api, name="Pemerintah Kelurahan Keputih")
    _, organizer = await user_with_token(stores, role=Role.PARTNER, organization_id=_local(organization))
    _, outsider = await user_with_token(stores, role=Role.MEMBER, organization_id=_local(other))
    return Organizers(
        api=api,
        stores=stores,
        organization=organization,
        organizer=api.as_user(organizer),
        outsider=api.as_user(outsider),
        anonymous=api.as_user(None),
    )


def _soon(days: float, hour: int = 9, offset: int = 7) -> str:
    """An ISO time ``days`` ahead at ``hour`` o'clock in the zone UTC+``offset``."""
    zone = timezone(timedelta(hours=offset))
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(zone)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def event_input(organizer: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Pelatihan Pengelolaan Bank Sampah",
        "description": "Dua hari praktik pencatatan, penimbangan dan pemasaran hasil pilah.",
        "kind": "TRAINING",
        "organizerId": organizer,
        "venue": {
            "name": "Aula Kecamatan Sukmajaya",
            "address": "Jl. Tole Iskandar",
            "regionCode": "32.76.05",
        },
        "startsAt": _soon(10),
        "endsAt": _soon(11, hour=16),
        "capacity": 30,
        "themes": ["WASTE_MANAGEMENT"],
        **overrides,
    }


async def _event(hub: Organizers, *, published: bool = True, **overrides: Any) -> dict[str, Any]:
    created = await hub.organizer.mutate(CREATE, event_input(hub.organization, **overrides))
    assert created["errors"] == [], created["errors"]
    event: dict[str, Any] = created["event"]
    if published:
        done = await hub.organizer.mutate(PUBLISH, {"id": event["id"], "version": event["version"]})
        assert done["errors"] == [], done["errors"]
        event = {**event, "version": done["event"]["version"], "status": "PUBLISHED"}
    return event


async def _participants(hub: Organizers, count: int) -> list[tuple[str, GraphQLClient]]:
    organization = _local(await create_organization(hub.api, name=f"Kelurahan Peserta {count}"))
    users = [
        await user_with_token(hub.stores, role=Role.MEMBER, organization_id=organization)
        for _ in range(count)
    ]
    return [(encode_id("User", user.id), hub.api.as_user(token)) for user, token in users]


async def test_event_shows_venue_local_time(hub: Organizers) -> None:
    # given events in Depok (WIB), Makassar (WITA), Jayapura (WIT) and online
    await hub.stores.regions.load(under=("73.71", "91.71"))
    depok = await _event(hub, published=False)
    makassar = await _event(
        hub,
        published=False,
        venue={"name": "Balai Kota Makassar", "regionCode": "73.71"},
        startsAt=_soon(10, hour=9, offset=8),
        endsAt=_soon(10, hour=12, offset=8),
    )
    jayapura = await _event(
        hub,
        published=False,
        venue={"name": "Aula Jayapura", "regionCode": "91.71"},
        startsAt=_soon(10, hour=9, offset=9),
        endsAt=_soon(10, hour=12, offset=9),
    )
    online = await _event(hub, published=False, venue=None, onlineUrl="https://meet.example.org/pelatihan")
    # then each is stored in UTC and shown in its venue's zone (online: Jakarta)
    assert [e["timeZoneAbbreviation"] for e in (depok, makassar, jayapura, online)] == [
        "WIB",
        "WITA",
        "WIT",
        "WIB",
    ]
    assert makassar["timeZone"] == "Asia/Makassar"
    assert makassar["startsAt"].endswith("01:00:00+00:00")
    assert makassar["localStartsAt"].endswith("09:00:00+08:00")
    assert jayapura["localStartsAt"].endswith("09:00:00+09:00")


async def test_invalid_event_refused_with_fields(hub: Organizers) -> None:
    # when an event ends before it starts, has nowhere to attend, or a plain-http online link
    backwards = await hub.organizer.mutate(CREATE, event_input(hub.organization, endsAt=_soon(9)))
    nowhere = await hub.organizer.mutate(CREATE, event_input(hub.organization, venue=None))
    insecure = await hub.organizer.mutate(CREATE, event_input(hub.organization, onlineUrl="http://x.org/a"))
    naive = await hub.organizer.mutate(CREATE, event_input(hub.organization, startsAt="2030-01-01T09:00:00"))
    late = await hub.organizer.mutate(CREATE, event_input(hub.organization, registrationDeadline=_soon(12)))
    # then each names its field and code, and nothing is stored
    assert [(e["field"], e["code"]) for e in backwards["errors"]] == [("endsAt", "DATE_ORDER")]
    assert [(e["field"], e["code"]) for e in nowhere["errors"]] == [("venue", "REQUIRED")]
    assert [(e["field"], e["code"]) for e in insecure["errors"]] == [("onlineUrl", "INVALID")]
    assert [(e["field"], e["code"]) for e in naive["errors"]] == [("startsAt", "INVALID")]
    assert [(e["field"], e["code"]) for e in late["errors"]] == [("registrationDeadline", "DATE_ORDER")]
    assert await hub.stores.events.collection.count_documents({}) == 0


async def test_only_organizers_write_events(hub: Organizers) -> None:
    outsider = await hub.outsider.mutate(CREATE, event_input(hub.organization))
    anonymous = await hub.anonymous.mutate(CREATE, event_input(hub.organization))
    assert [e["code"] for e in outsider["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


async def test_draft_event_visible_to_organizers_only(hub: Organizers) -> None:
    draft = await _event(hub, published=False)
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert (await hub.anonymous.data(query, {"id": draft["id"]}))["node"] is None
    assert (await hub.outsider.data(query, {"id": draft["id"]}))["node"] is None
    assert (await hub.organizer.data(query, {"id": draft["id"]}))["node"] == {"id": draft["id"]}
    listed = await hub.anonymous.data(EVENTS)
    assert listed["events"]["totalCount"] == 0


async def test_events_soonest_first_with_filters(hub: Organizers) -> None:
    # given three published events at different times, places and kinds
    await _event(
        hub,
        title="Webinar Posyandu Digital",
        startsAt=_soon(20),
        endsAt=_soon(20, hour=11),
        kind="WEBINAR",
        venue=None,
        onlineUrl="https://meet.example.org/w",
        themes=["HEALTH"],
    )
    await _event(hub, title="Pelatihan Bank Sampah", startsAt=_soon(5), endsAt=_soon(5, hour=15))
    await _event(
        hub,
        title="Lokakarya Surabaya",
        startsAt=_soon(12),
        endsAt=_soon(12, hour=15),
        kind="WORKSHOP",
        venue={"name": "Balai RW", "regionCode": "35.78.09.1001"},
    )
    # when listed in pages, and filtered
    first = await hub.anonymous.data(EVENTS, {"first": 2})
    rest = await hub.anonymous.data(EVENTS, {"first": 2, "after": first["events"]["pageInfo"]["endCursor"]})
    window = await hub.anonymous.data(EVENTS, {"filter": {"from": _soon(6), "to": _soon(15)}})
    jawa_barat = await hub.anonymous.data(EVENTS, {"filter": {"regionCode": "32"}})
    health = await hub.anonymous.data(EVENTS, {"filter": {"themes": ["HEALTH"]}})
    workshops = await hub.anonymous.data(EVENTS, {"filter": {"kinds": ["WORKSHOP", "WEBINAR"]}})
    # then soonest first, paged without overlap, and each filter narrows
    titles = [e["title"] for e in first["events"]["nodes"] + rest["events"]["nodes"]]
    assert titles == ["Pelatihan Bank Sampah", "Lokakarya Surabaya", "Webinar Posyandu Digital"]
    assert first["events"]["pageInfo"]["hasNextPage"] is True
    assert [e["title"] for e in window["events"]["nodes"]] == ["Lokakarya Surabaya"]
    assert [e["title"] for e in jawa_barat["events"]["nodes"]] == ["Pelatihan Bank Sampah"]
    assert [e["title"] for e in health["events"]["nodes"]] == ["Webinar Posyandu Digital"]
    assert workshops["events"]["totalCount"] == 2


async def test_concurrent_registrations_never_exceed_capacity(hub: Organizers) -> None:
    # given an event with 5 seats and 25 people registering at the same moment
    event = await _event(hub, capacity=5)
    people = await _participants(hub, 25)
    # when they all register at once
    results = await asyncio.gather(
        *(client.mutate(REGISTER, {"eventId": event["id"]}) for _, client in people)
    )
    # then exactly 5 hold a seat and the others wait in a strict order
    assert all(result["errors"] == [] for result in results)
    statuses = [result["registration"]["status"] for result in results]
    assert statuses.count("REGISTERED") == 5
    positions = sorted(
        r["registration"]["position"] for r in results if r["registration"]["status"] == "WAITLISTED"
    )
    assert positions == list(range(1, 21))
    stored = await hub.stores.events.collection.find_one({"_id": _local(event["id"])})
    assert stored is not None
    assert (stored["registered_count"], stored["waitlist_count"]) == (5, 20)


async def test_cancellation_moves_first_waiting_up(hub: Organizers) -> None:
    # given a full event of 2 seats with two people waiting
    event = await _event(hub, capacity=2)
    people = await _participants(hub, 4)
    for _, client in people:  # one after another: the order of the waiting list is known
        await client.mutate(REGISTER, {"eventId": event["id"]})
    # when a seat holder cancels
    cancelled = await people[0][1].mutate(CANCEL_REGISTRATION, {"eventId": event["id"]})
    # then the first on the waiting list holds the seat and is told; the second is next
    assert cancelled["errors"] == []
    assert cancelled["event"] == {"registeredCount": 2, "waitlistCount": 1}
    listed = await hub.organizer.data(REGISTRATIONS, {"id": event["id"]})
    rows = [(r["status"], r["position"]) for r in listed["node"]["registrations"]]
    assert rows == [("REGISTERED", None), ("REGISTERED", 1), ("WAITLISTED", 1)]
    promoted = await hub.stores.database[ACTIVITY_OUTBOX].find_one({"kind": "WAITLIST_PROMOTED"})
    assert promoted is not None
    assert promoted["user_ids"] == [_local(people[2][0])]
    # and others than the organizers do not see who registered
    assert (await hub.outsider.data(REGISTRATIONS, {"id": event["id"]}))["node"]["registrations"] == []


async def test_leaving_the_waiting_list_moves_those_behind_up(hub: Organizers) -> None:
    # given a full event of 1 seat with three people waiting, and one more to come
    event = await _event(hub, capacity=1)
    people = await _participants(hub, 5)
    for _, client in people[:4]:
        await client.mutate(REGISTER, {"eventId": event["id"]})
    # when the second in line gives up, and someone registers after
    left = await people[2][1].mutate(CANCEL_REGISTRATION, {"eventId": event["id"]})
    late = await people[4][1].mutate(REGISTER, {"eventId": event["id"]})
    # then the third is second now, and the newcomer joins at the end of the line
    assert left["errors"] == []
    assert late["registration"] == {"status": "WAITLISTED", "position": 3}
    listed = await hub.organizer.data(REGISTRATIONS, {"id": event["id"]})
    rows = [(r["status"], r["position"]) for r in listed["node"]["registrations"]]
    assert rows == [("REGISTERED", None), ("WAITLISTED", 1), ("WAITLISTED", 2), ("WAITLISTED", 3)]


async def test_register_twice_refused_and_after_cancel_allowed(hub: Organizers) -> None:
    event = await _event(hub)
    ((_, client),) = await _participants(hub, 1)
    await client.mutate(REGISTER, {"eventId": event["id"]})
    twice = await client.mutate(REGISTER, {"eventId": event["id"]})
    assert [e["code"] for e in twice["errors"]] == ["DUPLICATE"]
    await client.mutate(CANCEL_REGISTRATION, {"eventId": event["id"]})
    again = await client.mutate(REGISTER, {"eventId": event["id"]})
    assert again["errors"] == []
    assert again["registration"]["status"] == "REGISTERED"
    mine = await client.data(MINE)
    assert mine["viewer"]["eventRegistrations"]["totalCount"] == 1


async def test_registration_closed_for_drafts_and_after_deadline(hub: Organizers) -> None:
    draft = await _event(hub, published=False)
    past_deadline = await _event(hub, title="Tutup", registrationDeadline=_soon(-1))
    ((_, client),) = await _participants(hub, 1)
    refused_draft = await client.mutate(REGISTER, {"eventId": draft["id"]})
    refused_late = await client.mutate(REGISTER, {"eventId": past_deadline["id"]})
    assert [e["code"] for e in refused_draft["errors"]] == ["NOT_FOUND"]  # a draft does not exist for them
    assert [e["code"] for e in refused_late["errors"]] == ["INVALID_TRANSITION"]


async def test_attendance_gives_verifiable_certificate(hub: Organizers) -> None:
    # given two registered participants
    event = await _event(hub)
    people = await _participants(hub, 2)
    for _, client in people:
        await client.mutate(REGISTER, {"eventId": event["id"]})
    # when the organizer marks one of them as attended
    marked = await hub.organizer.mutate(ATTENDANCE, {"eventId": event["id"], "userIds": [people[0][0]]})
    # then that participant has a certificate anyone can verify, the other none
    assert marked["errors"] == []
    (registration,) = marked["registrations"]
    code = registration["certificateCode"]
    assert registration["attended"] is True
    assert code.startswith("LMB-")
    verified = await hub.anonymous.data(VERIFY, {"code": code})
    assert verified["verifyCertificate"]["valid"] is True
    assert verified["verifyCertificate"]["attendedEvent"]["title"] == event["title"]
    forged = await hub.anonymous.data(VERIFY, {"code": "LMB-AAAAA-BBBBB"})
    assert forged["verifyCertificate"] == {
        "valid": False,
        "participantName": None,
        "markedAt": None,
        "attendedEvent": None,
    }
    # and only organizers keep attendance
    refused = await people[1][1].mutate(ATTENDANCE, {"eventId": event["id"], "userIds": [people[1][0]]})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_changes_and_cancellation_told_to_registrants(hub: Organizers) -> None:
    # given a published event with a registrant
    event = await _event(hub)
    ((_, client),) = await _participants(hub, 1)
    await client.mutate(REGISTER, {"eventId": event["id"]})
    # when its time changes, then it is cancelled
    moved = await hub.organizer.mutate(
        UPDATE,
        {
            "id": event["id"],
            "version": event["version"],
            "changes": {"startsAt": _soon(9), "endsAt": _soon(9, 15)},
        },
    )
    assert moved["errors"] == []
    no_reason = await hub.organizer.mutate(CANCEL, {"id": event["id"], "version": moved["event"]["version"]})
    cancelled = await hub.organizer.mutate(
        CANCEL, {"id": event["id"], "version": moved["event"]["version"], "reason": "Narasumber berhalangan."}
    )
    # then the registrant is to be told of both, and a cancellation needs its reason
    assert [(e["field"], e["code"]) for e in no_reason["errors"]] == [("reason", "REQUIRED")]
    assert cancelled["event"]["status"] == "CANCELLED"
    kinds = [
        a["kind"] async for a in hub.stores.database[ACTIVITY_OUTBOX].find({"event_id": _local(event["id"])})
    ]
    assert kinds == ["EVENT_CHANGED", "EVENT_CANCELLED"]
    late = await client.mutate(REGISTER, {"eventId": event["id"]})
    assert [e["code"] for e in late["errors"]] == ["INVALID_TRANSITION"]


async def test_capacity_cannot_drop_below_seats_taken(hub: Organizers) -> None:
    event = await _event(hub, capacity=3)
    for _, client in await _participants(hub, 2):
        await client.mutate(REGISTER, {"eventId": event["id"]})
    payload = await hub.organizer.mutate(
        UPDATE, {"id": event["id"], "version": event["version"], "changes": {"capacity": 1}}
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("capacity", "OUT_OF_RANGE")]


async def test_calendar_feeds_are_valid_icalendar(hub: Organizers) -> None:
    # given a published event with a comma, a semicolon and a long description, and a draft
    event = await _event(
        hub,
        title="Pelatihan Bank Sampah, Angkatan 2; Depok",
        description="Materi: pencatatan, penimbangan; pemasaran. " * 12,
        venue={
            "name": "Aula Kecamatan",
            "address": "Jl. Tole Iskandar No. 1, Depok",
            "regionCode": "32.76.05",
        },
    )
    await _event(hub, title="Masih draf", published=False)
    await _event(hub, title="Tahun lalu", startsAt=_soon(-200), endsAt=_soon(-199))
    # when a calendar app fetches the event's file and the feed (no `from`: the last 90 days on)
    one = await hub.api.http.get(f"/events/{event['id']}.ics")
    feed = await hub.api.http.get("/events.ics", params={"regionCode": "32.76"})
    # then both parse as RFC 5545 calendars with the published event only, in UTC
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/calendar")
    assert all(len(line.encode()) <= 75 for line in one.text.split("\r\n"))
    (vevent,) = icalendar.Calendar.from_ical(one.text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Pelatihan Bank Sampah, Angkatan 2; Depok"
    assert vevent.decoded("DTSTART") == datetime.fromisoformat(event["startsAt"])
    assert str(vevent["LOCATION"]) == "Aula Kecamatan, Jl. Tole Iskandar No. 1, Depok"
    summaries = [str(v["SUMMARY"]) for v in icalendar.Calendar.from_ical(feed.text).walk("VEVENT")]
    assert summaries == ["Pelatihan Bank Sampah, Angkatan 2; Depok"]
    year = await hub.api.http.get("/events.ics", params={"from": _soon(-365), "regionCode": "32.76"})
    titles = [str(v["SUMMARY"]) for v in icalendar.Calendar.from_ical(year.text).walk("VEVENT")]
    assert titles == ["Tahun lalu", "Pelatihan Bank Sampah, Angkatan 2; Depok"]
    missing = await hub.api.http.get("/events/bm9uZQ.ics")
    assert missing.status_code == 404
    bad = await hub.api.http.get("/events.ics", params={"from": "kemarin"})
    assert bad.status_code == 400


async def test_organization_lists_its_upcoming_events(hub: Organizers) -> None:
    await _event(hub, title="Yang akan datang")
    query = "query($id: ID!) { node(id: $id) { ... on Organization { events { nodes { title } } } } }"
    data = await hub.anonymous.data(query, {"id": hub.organization})
    assert [e["title"] for e in data["node"]["events"]["nodes"]] == ["Yang akan datang"]


async def test_one_user_registering_twice_at_once_takes_one_seat(hub: Organizers) -> None:
    # a double click sends two registrations of one user at the same moment
    event = await _event(hub, capacity=3)
    ((_, client),) = await _participants(hub, 1)
    results = await asyncio.gather(*(client.mutate(REGISTER, {"eventId": event["id"]}) for _ in range(4)))
    assert sorted(len(result["errors"]) for result in results) == [0, 1, 1, 1]
    stored = await hub.stores.events.collection.find_one({"_id": _local(event["id"])})
    assert stored is not None
    assert stored["registered_count"] == 1
