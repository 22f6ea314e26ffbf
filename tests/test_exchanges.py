"""Peer exchanges: a government asks the organization behind a practice or a partnership for a
study visit, mentoring or documents; each side takes its steps, every one audited.

The cast: kelurahan A owns a published practice (its member answers), kelurahan B asks (its
member and admin), kelurahan C stands outside, NGO P owns a published partnership (its partner
answers), a reviewer of the association reads everything, and anonymous visitors read nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from resolvers.context import Context
from resolvers.exchange_drafts import today_in_indonesia
from resolvers.ids import decode_id, encode_id
from resolvers.notifier import Notifier
from resolvers.viewer import Viewer
from schema import build_schema
from server.supervisor import LocalService
from storage.database import Stores
from storage.exchanges import STATS_HINT, Party, completion_pipeline, listing_pipeline
from storage.filters import ContentFilter, ExchangeFilter
from storage.pagination import SortOrder, encode_cursor, page_query
from storage.store import Document, new_id
from storage.vocabulary import ExchangeState, OrganizationKind, Role
from tests.conftest import TEST_REGION_ROOTS
from tests.support import (
    TEST_AUTH,
    GraphQLClient,
    create_practice,
    organization_record,
    publish,
    user_with_token,
)
from tests.test_query_cost import CommandCounter

FIELDS = """
  id version state kind message participants preferredDates { start end }
  declineReason feedback rating cancelReason viewerSteps
  schedule { startsAt endsAt place onlineUrl }
  subject { __typename ... on Practice { id } ... on Partnership { id } }
  requesterOrganization { id } ownerOrganization { id } requestingRegion { code name }
  requestedBy { name } replication { id } notifyOrganizations { id }
"""
PAYLOAD = f"exchangeRequest {{ {FIELDS} }} errors {{ field code message }}"
REQUEST = f"mutation($input: RequestExchangeInput!) {{ requestExchange(input: $input) {{ {PAYLOAD} }} }}"
ACCEPT = f"mutation($input: AcceptExchangeInput!) {{ acceptExchange(input: $input) {{ {PAYLOAD} }} }}"
DECLINE = f"mutation($input: DeclineExchangeInput!) {{ declineExchange(input: $input) {{ {PAYLOAD} }} }}"
SCHEDULE = f"mutation($input: ScheduleExchangeInput!) {{ scheduleExchange(input: $input) {{ {PAYLOAD} }} }}"
COMPLETE = f"mutation($input: CompleteExchangeInput!) {{ completeExchange(input: $input) {{ {PAYLOAD} }} }}"
CANCEL = f"mutation($input: CancelExchangeInput!) {{ cancelExchange(input: $input) {{ {PAYLOAD} }} }}"
CONVERT = """
mutation($input: ConvertExchangeInput!) {
  convertExchangeToReplication(input: $input) {
    exchangeRequest { id version state replication { id } }
    replication {
      id title summary status replicationStatus adaptations themes sdgs authorName
      organization { id } regions { code } practice { id }
      auditTrail { action }
    }
    errors { field code message }
  }
}
"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on ExchangeRequest {{ {FIELDS} }} }} }}"
TRAIL = """
query($id: ID!) {
  node(id: $id) {
    ... on ExchangeRequest { auditTrail { action version comment actorName changes { field before after } } }
  }
}
"""
LISTING = """
query($id: ID!, $direction: ExchangeDirection!, $states: [ExchangeState!], $first: Int!, $after: String) {
  node(id: $id) {
    ... on Organization {
      exchangeRequests(direction: $direction, states: $states, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id state message }
      }
    }
  }
}
"""
STATS = """
query($id: ID!) { node(id: $id) { ... on Practice { exchangeStats { completedCount meanRating } } } }
"""
CREATE_PARTNERSHIP = """
mutation($input: PartnershipInput!) {
  createPartnership(input: $input) { partnership { id version } errors { code } }
}
"""
DELETE_PRACTICE = """
mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { field code message } } }
"""

VISIT = "Kami ingin belajar langsung cara kerja bank sampah digital dan pencatatan saldo nasabah."
FEEDBACK = "Kunjungan sangat bermanfaat; kami akan mulai dengan dua bank sampah unit di RW 03 dan RW 07."


def day(offset: int) -> str:
    """A date ``offset`` days after today (in Indonesia), as the API takes it."""
    return (today_in_indonesia() + timedelta(days=offset)).isoformat()


def moment(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def request_input(subject_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "subjectId": subject_id,
        "kind": "STUDY_VISIT",
        "message": VISIT,
        "preferredDates": [{"start": day(30), "end": day(31)}, {"start": day(45), "end": day(45)}],
        "participants": 12,
        "requestingRegionCode": "35.78.09.1001",
        **overrides,
    }


def schedule_input(**overrides: Any) -> dict[str, Any]:
    return {
        "startsAt": moment(30),
        "endsAt": moment(30.3),
        "place": "Kantor Kelurahan, Jl. Raya No. 1",
        "onlineUrl": "https://meet.example.id/kunjungan",
        **overrides,
    }


def _codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


@dataclass
class World:
    api: GraphQLClient
    stores: Stores
    clients: dict[str, GraphQLClient]
    org_a: str  # global IDs
    org_b: str
    org_c: str
    org_p: str
    practice: dict[str, Any]
    partnership: str

    def __getitem__(self, role: str) -> GraphQLClient:
        return self.clients[role]


@pytest.fixture
async def world(api: GraphQLClient, stores: Stores) -> World:
    orgs = {
        "a": await organization_record(
            stores,
            name="Pemerintah Kelurahan Depok Jaya",
            kind=OrganizationKind.KELURAHAN_GOVERNMENT,
            region_code="32.76.01.1007",
        ),
        "b": await organization_record(
            stores,
            name="Pemerintah Kelurahan Keputih",
            kind=OrganizationKind.KELURAHAN_GOVERNMENT,
            region_code="35.78.09.1001",
        ),
        "c": await organization_record(
            stores, name="Pemerintah Kecamatan Gambir", kind=OrganizationKind.KECAMATAN_GOVERNMENT
        ),
        "p": await organization_record(stores, name="Yayasan Lestari Kampung", kind=OrganizationKind.NGO),
        "association": await organization_record(stores, name="Asosiasi", kind=OrganizationKind.ASSOCIATION),
    }
    tokens: dict[str, str | None] = {"anonymous": None}
    for name, role, org in (
        ("a_member", Role.MEMBER, "a"),
        ("b_member", Role.MEMBER, "b"),
        ("b_admin", Role.ADMIN, "b"),
        ("c_member", Role.MEMBER, "c"),
        ("p_partner", Role.PARTNER, "p"),
        ("reviewer", Role.REVIEWER, "association"),
    ):
        _, tokens[name] = await user_with_token(
            stores, role=role, organization_id=orgs[org].id, name=f"{name} (uji)"
        )
    ids = {key: encode_id("Organization", org.id) for key, org in orgs.items()}
    practice = await create_practice(
        api, ids["a"], published=True, sdgs=[11, 12], themes=["WASTE_MANAGEMENT"]
    )
    created = await api.mutate(
        CREATE_PARTNERSHIP,
        {
            "title": "Kemitraan Bank Sampah Kampung",
            "summary": "LSM mendampingi bank sampah kelurahan.",
            "organizationId": ids["p"],
            "regionCodes": ["32.76.05"],
            "themes": ["WASTE_MANAGEMENT"],
            "partners": [{"organizationId": ids["p"], "role": "LEAD"}],
        },
    )
    partnership = created["partnership"]
    await publish(api, partnership["id"], partnership["version"])
    return World(
        api=api,
        stores=stores,
        clients={"hub_admin": api, **{name: api.as_user(token) for name, token in tokens.items()}},
        org_a=ids["a"],
        org_b=ids["b"],
        org_c=ids["c"],
        org_p=ids["p"],
        practice=practice,
        partnership=partnership["id"],
    )


async def requested(
    world: World, client: str = "b_member", subject: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A new exchange on A's practice (or ``subject``), asked by B's member; its fields."""
    payload = await world[client].mutate(REQUEST, request_input(subject or world.practice["id"], **overrides))
    assert payload["errors"] == [], payload["errors"]
    exchange: dict[str, Any] = payload["exchangeRequest"]
    return exchange


async def step(world: World, client: str, document: str, exchange: dict[str, Any], **input: Any) -> Any:
    """The payload of a step on ``exchange`` at its version (which a successful step moves on)."""
    payload = await world[client].mutate(
        document, {"id": exchange["id"], "version": exchange["version"], **input}
    )
    return payload


async def advanced(world: World, to: str, *, owner: str = "a_member", **overrides: Any) -> dict[str, Any]:
    """A new exchange on A's practice taken up to ``to`` (ACCEPTED, SCHEDULED or COMPLETED)."""
    exchange = await requested(world, **overrides)
    path = [
        ("ACCEPTED", owner, ACCEPT, {}),
        ("SCHEDULED", owner, SCHEDULE, schedule_input()),
        ("COMPLETED", "b_member", COMPLETE, {"feedback": FEEDBACK, "rating": 5}),
    ]
    for state, client, document, input in path:
        payload = await step(world, client, document, exchange, **input)
        assert payload["errors"] == [], payload["errors"]
        exchange = payload["exchangeRequest"]
        if state == to:
            break
    return exchange


# --- the happy path and its audit trail ----------------------------------------------------------


async def test_a_study_visit_goes_from_request_to_completion_with_every_step_audited(world: World) -> None:
    # given: B's member asks A for a study visit
    exchange = await requested(world)
    assert exchange["state"] == "REQUESTED"
    assert exchange["subject"] == {"__typename": "Practice", "id": world.practice["id"]}
    assert exchange["requesterOrganization"] == {"id": world.org_b}
    assert exchange["ownerOrganization"] == {"id": world.org_a}
    assert exchange["requestingRegion"] == {"code": "35.78.09.1001", "name": "Keputih"}
    assert exchange["requestedBy"] == {"name": "b_member (uji)"}
    assert exchange["notifyOrganizations"] == [{"id": world.org_a}]
    assert exchange["viewerSteps"] == ["CANCEL"]
    assert (await world["a_member"].data(NODE, {"id": exchange["id"]}))["node"]["viewerSteps"] == [
        "ACCEPT",
        "DECLINE",
        "CANCEL",
    ]
    # when: A accepts and schedules it, and B completes it
    accepted = await step(world, "a_member", ACCEPT, exchange, comment="Dengan senang hati, kami tunggu.")
    scheduled = await step(world, "a_member", SCHEDULE, accepted["exchangeRequest"], **schedule_input())
    completed = await step(
        world, "b_member", COMPLETE, scheduled["exchangeRequest"], feedback=FEEDBACK, rating=5
    )
    # then
    assert [p["errors"] for p in (accepted, scheduled, completed)] == [[], [], []]
    done = completed["exchangeRequest"]
    assert (done["state"], done["feedback"], done["rating"], done["version"]) == ("COMPLETED", FEEDBACK, 5, 4)
    assert done["schedule"]["place"] == "Kantor Kelurahan, Jl. Raya No. 1"
    assert done["schedule"]["onlineUrl"] == "https://meet.example.id/kunjungan"
    assert accepted["exchangeRequest"]["notifyOrganizations"] == [{"id": world.org_b}]
    assert done["notifyOrganizations"] == [{"id": world.org_a}]
    assert done["viewerSteps"] == ["CONVERT"]
    trail = (await world["b_member"].data(TRAIL, {"id": exchange["id"]}))["node"]["auditTrail"]
    assert [(e["action"], e["version"], e["actorName"]) for e in trail] == [
        ("EXCHANGE_COMPLETED", 4, "b_member (uji)"),
        ("EXCHANGE_SCHEDULED", 3, "a_member (uji)"),
        ("EXCHANGE_ACCEPTED", 2, "a_member (uji)"),
        ("EXCHANGE_REQUESTED", 1, "b_member (uji)"),
    ]
    assert trail[2]["comment"] == "Dengan senang hati, kami tunggu."
    assert trail[0]["comment"] == FEEDBACK
    assert {"field": "state", "before": "SCHEDULED", "after": "COMPLETED"} in trail[0]["changes"]
    assert {"field": "rating", "before": None, "after": 5} in trail[0]["changes"]
    # and each stored entry names whom a notifier must tell of its step
    _, local_id = decode_id(exchange["id"])
    stored = world.stores.audit_trail.collection.find({"subject_id": local_id}).sort("at", 1)
    told = [(entry["action"], entry["notify_organization_ids"]) async for entry in stored]
    _, a_local = decode_id(world.org_a)
    _, b_local = decode_id(world.org_b)
    assert told == [
        ("EXCHANGE_REQUESTED", [a_local]),
        ("EXCHANGE_ACCEPTED", [b_local]),
        ("EXCHANGE_SCHEDULED", [b_local]),
        ("EXCHANGE_COMPLETED", [a_local]),
    ]


async def test_a_request_is_declined_only_with_a_reason(world: World) -> None:
    # given
    exchange = await requested(world, kind="MENTORING")
    # when
    blank = await step(world, "a_member", DECLINE, exchange, reason="   ")
    declined = await step(
        world, "a_member", DECLINE, exchange, reason="Tim kami sedang menyiapkan Musrenbang."
    )
    # then
    assert _codes(blank) == [("reason", "REQUIRED")]
    assert declined["errors"] == []
    assert declined["exchangeRequest"]["state"] == "DECLINED"
    assert declined["exchangeRequest"]["declineReason"] == "Tim kami sedang menyiapkan Musrenbang."
    assert declined["exchangeRequest"]["viewerSteps"] == []
    trail = (await world["a_member"].data(TRAIL, {"id": exchange["id"]}))["node"]["auditTrail"]
    assert (trail[0]["action"], trail[0]["comment"]) == (
        "EXCHANGE_DECLINED",
        "Tim kami sedang menyiapkan Musrenbang.",
    )


# --- illegal steps ---------------------------------------------------------------------------------


async def test_steps_from_the_wrong_state_are_refused_and_change_nothing(world: World) -> None:
    # given: a request nobody answered yet, and a declined one (the hub admin may take any side)
    exchange = await requested(world)
    declined = (await step(world, "a_member", DECLINE, await requested(world), reason="Belum bisa."))[
        "exchangeRequest"
    ]
    # when
    refused = [
        await step(world, "hub_admin", SCHEDULE, exchange, **schedule_input()),
        await step(world, "hub_admin", COMPLETE, exchange, feedback=FEEDBACK, rating=4),
        await step(world, "hub_admin", CONVERT, exchange),
        await step(world, "hub_admin", ACCEPT, declined),
        await step(world, "hub_admin", CANCEL, declined),
    ]
    # then
    assert [_codes(payload) for payload in refused] == [[("id", "INVALID_TRANSITION")]] * 5
    assert refused[0]["errors"][0]["message"] == (
        "This exchange is 'requested'; only 'accepted' or 'scheduled' exchanges can be scheduled."
    )
    still = (await world["b_member"].data(NODE, {"id": exchange["id"]}))["node"]
    assert (still["state"], still["version"]) == ("REQUESTED", 1)


async def test_each_step_is_taken_only_by_its_side(world: World) -> None:
    # given
    exchange = await requested(world)
    scheduled = await advanced(world, "SCHEDULED")
    # when
    outcomes = {
        "requester accepts": await step(world, "b_admin", ACCEPT, exchange),
        "requester schedules": await step(world, "b_member", SCHEDULE, exchange, **schedule_input()),
        "reviewer accepts": await step(world, "reviewer", ACCEPT, exchange),
        "other government accepts": await step(world, "c_member", ACCEPT, exchange),
        "anonymous accepts": await step(world, "anonymous", ACCEPT, exchange),
        "owner completes": await step(world, "a_member", COMPLETE, scheduled, feedback=FEEDBACK, rating=5),
        "reviewer completes": await step(world, "reviewer", COMPLETE, scheduled, feedback=FEEDBACK, rating=5),
        "other government cancels": await step(world, "c_member", CANCEL, scheduled),
    }
    # then
    assert {name: _codes(payload) for name, payload in outcomes.items()} == {
        "requester accepts": [(None, "FORBIDDEN")],
        "requester schedules": [(None, "FORBIDDEN")],
        "reviewer accepts": [(None, "FORBIDDEN")],
        "other government accepts": [("id", "NOT_FOUND")],
        "anonymous accepts": [(None, "UNAUTHENTICATED")],
        "owner completes": [(None, "FORBIDDEN")],
        "reviewer completes": [(None, "FORBIDDEN")],
        "other government cancels": [("id", "NOT_FOUND")],
    }
    assert outcomes["requester accepts"]["errors"][0]["message"] == (
        "Only the owning organization may accept this exchange."
    )


async def test_a_step_on_a_stale_version_is_a_conflict(world: World) -> None:
    # given: A accepted at version 1
    exchange = await requested(world)
    await step(world, "a_member", ACCEPT, exchange)
    # when: B cancels what it saw before
    cancelled = await step(world, "b_member", CANCEL, exchange, reason="Jadwal kami berubah.")
    # then
    assert _codes(cancelled) == [("version", "CONFLICT")]


# --- the request's input ---------------------------------------------------------------------------


async def test_a_request_with_bad_input_reports_each_field_and_writes_nothing(world: World) -> None:
    # when
    attempts: dict[str, dict[str, Any]] = {
        "short message": {"message": "Tolong"},
        "no participants": {"participants": 0},
        "too many participants": {"participants": 201},
        "no dates": {"preferredDates": []},
        "four ranges": {"preferredDates": [{"start": day(10), "end": day(11)}] * 4},
        "past date": {"preferredDates": [{"start": day(-1), "end": day(3)}]},
        "end before start": {"preferredDates": [{"start": day(9), "end": day(8)}]},
        "unknown region": {"requestingRegionCode": "35.78.99.9999"},
        "malformed region": {"requestingRegionCode": "Surabaya"},
        "no kind": {"kind": None},
        "no subject": {"subjectId": None},
        "a region as subject": {"subjectId": encode_id("Region", "32.76")},
    }
    outcomes = {
        name: _codes(await world["b_member"].mutate(REQUEST, request_input(world.practice["id"], **change)))
        for name, change in attempts.items()
    }
    # then
    assert outcomes == {
        "short message": [("message", "TOO_SHORT")],
        "no participants": [("participants", "OUT_OF_RANGE")],
        "too many participants": [("participants", "OUT_OF_RANGE")],
        "no dates": [("preferredDates", "TOO_SHORT")],
        "four ranges": [("preferredDates", "TOO_LONG")],
        "past date": [("preferredDates.0.start", "OUT_OF_RANGE")],
        "end before start": [("preferredDates.0", "DATE_ORDER")],
        "unknown region": [("requestingRegionCode", "UNKNOWN_REGION")],
        "malformed region": [("requestingRegionCode", "INVALID")],
        "no kind": [("kind", "REQUIRED")],
        "no subject": [("subjectId", "REQUIRED")],
        "a region as subject": [("subjectId", "INVALID_ID")],
    }
    assert await world.stores.exchanges.count(filter=ExchangeFilter()) == 0


async def test_only_governments_ask_and_never_themselves_nor_about_an_unpublished_item(world: World) -> None:
    # given: a draft practice of A
    draft = await create_practice(world.api, world.org_a, title="Draf Posyandu Digital")
    # when
    outcomes = {
        "A asks itself": await world["a_member"].mutate(REQUEST, request_input(world.practice["id"])),
        "an NGO's partner asks": await world["p_partner"].mutate(
            REQUEST, request_input(world.practice["id"])
        ),
        "a reviewer asks": await world["reviewer"].mutate(REQUEST, request_input(world.practice["id"])),
        "B asks about a draft": await world["b_member"].mutate(REQUEST, request_input(draft["id"])),
        "B names C": await world["b_member"].mutate(
            REQUEST, request_input(world.practice["id"], organizationId=world.org_c)
        ),
        "a hub admin names an NGO": await world["hub_admin"].mutate(
            REQUEST, request_input(world.practice["id"], organizationId=world.org_p)
        ),
        "anonymous asks": await world["anonymous"].mutate(REQUEST, request_input(world.practice["id"])),
    }
    for_b = await world["hub_admin"].mutate(
        REQUEST, request_input(world.practice["id"], organizationId=world.org_b)
    )
    # then
    assert {name: _codes(payload) for name, payload in outcomes.items()} == {
        "A asks itself": [("subjectId", "INVALID")],
        "an NGO's partner asks": [(None, "FORBIDDEN")],
        "a reviewer asks": [(None, "FORBIDDEN")],
        "B asks about a draft": [("subjectId", "NOT_FOUND")],
        "B names C": [(None, "FORBIDDEN")],
        "a hub admin names an NGO": [("organizationId", "INVALID")],
        "anonymous asks": [(None, "UNAUTHENTICATED")],
    }
    assert for_b["errors"] == []
    assert for_b["exchangeRequest"]["requesterOrganization"] == {"id": world.org_b}


async def test_a_visit_is_scheduled_at_a_place_or_an_https_link_and_can_move(world: World) -> None:
    # given
    accepted = await advanced(world, "ACCEPTED")
    # when
    outcomes = {
        "nowhere": await step(
            world, "a_member", SCHEDULE, accepted, **schedule_input(place=None, onlineUrl=None)
        ),
        "plain http": await step(
            world, "a_member", SCHEDULE, accepted, **schedule_input(onlineUrl="http://x.id")
        ),
        "no time": await step(world, "a_member", SCHEDULE, accepted, **schedule_input(startsAt=None)),
        "in the past": await step(
            world, "a_member", SCHEDULE, accepted, **schedule_input(startsAt=moment(-1))
        ),
        "ends first": await step(world, "a_member", SCHEDULE, accepted, **schedule_input(endsAt=moment(29))),
    }
    online = await step(world, "a_member", SCHEDULE, accepted, **schedule_input(place=None))
    moved = await step(
        world,
        "a_member",
        SCHEDULE,
        online["exchangeRequest"],
        **schedule_input(startsAt=moment(40), endsAt=None, onlineUrl=None),
    )
    # then
    assert {name: _codes(payload) for name, payload in outcomes.items()} == {
        "nowhere": [("place", "REQUIRED")],
        "plain http": [("onlineUrl", "INVALID")],
        "no time": [("startsAt", "REQUIRED")],
        "in the past": [("startsAt", "OUT_OF_RANGE")],
        "ends first": [("endsAt", "DATE_ORDER")],
    }
    assert online["errors"] == moved["errors"] == []
    assert online["exchangeRequest"]["schedule"]["place"] is None
    schedule = moved["exchangeRequest"]["schedule"]
    assert (schedule["place"], schedule["onlineUrl"], schedule["endsAt"]) == (
        "Kantor Kelurahan, Jl. Raya No. 1",
        None,
        None,
    )


async def test_completing_takes_feedback_and_a_rating_from_1_to_5(world: World) -> None:
    # given
    scheduled = await advanced(world, "SCHEDULED")
    # when
    outcomes = [
        await step(world, "b_member", COMPLETE, scheduled, feedback=FEEDBACK, rating=6),
        await step(world, "b_member", COMPLETE, scheduled, feedback=FEEDBACK, rating=0),
        await step(world, "b_member", COMPLETE, scheduled, rating=4),
    ]
    # then
    assert [_codes(payload) for payload in outcomes] == [
        [("rating", "OUT_OF_RANGE")],
        [("rating", "OUT_OF_RANGE")],
        [("feedback", "REQUIRED")],
    ]


async def test_either_side_cancels_an_exchange_before_it_ends(world: World) -> None:
    # given
    exchange = await requested(world)
    scheduled = await advanced(world, "SCHEDULED")
    completed = await advanced(world, "COMPLETED")
    # when
    by_requester = await step(world, "b_member", CANCEL, exchange)
    by_owner = await step(world, "a_member", CANCEL, scheduled, reason="Ada banjir di wilayah kami.")
    too_late = await step(world, "b_member", CANCEL, completed)
    # then
    assert by_requester["errors"] == by_owner["errors"] == []
    assert by_requester["exchangeRequest"]["state"] == by_owner["exchangeRequest"]["state"] == "CANCELLED"
    assert by_owner["exchangeRequest"]["cancelReason"] == "Ada banjir di wilayah kami."
    assert by_owner["exchangeRequest"]["notifyOrganizations"] == [{"id": world.org_b}]
    assert _codes(too_late) == [("id", "INVALID_TRANSITION")]
    trail = (await world["b_member"].data(TRAIL, {"id": scheduled["id"]}))["node"]["auditTrail"]
    assert (trail[0]["action"], trail[0]["comment"], trail[0]["actorName"]) == (
        "EXCHANGE_CANCELLED",
        "Ada banjir di wilayah kami.",
        "a_member (uji)",
    )


# --- conversion into a replication -------------------------------------------------------------------


async def test_a_completed_exchange_becomes_a_prefilled_draft_replication_once(world: World) -> None:
    # given
    completed = await advanced(world, "COMPLETED")
    # when
    converted = await step(world, "b_member", CONVERT, completed)
    again = await step(world, "b_member", CONVERT, converted["exchangeRequest"])
    # then: a draft of B, planned, about A's practice, in the requesting region, with its themes
    assert converted["errors"] == []
    replication = converted["replication"]
    assert replication["title"] == f"Replikasi {world.practice['title']} di Keputih"
    assert (replication["status"], replication["replicationStatus"]) == ("DRAFT", "PLANNED")
    assert replication["adaptations"] == FEEDBACK
    assert replication["organization"] == {"id": world.org_b}
    assert replication["regions"] == [{"code": "35.78.09.1001"}]
    assert replication["practice"] == {"id": world.practice["id"]}
    assert (replication["themes"], replication["sdgs"]) == (["WASTE_MANAGEMENT"], [11, 12])
    assert replication["authorName"] == "b_member (uji)"
    assert "Pemerintah Kelurahan Keputih" in replication["summary"]
    assert replication["auditTrail"] == [{"action": "CREATED"}]
    assert converted["exchangeRequest"]["replication"] == {"id": replication["id"]}
    assert converted["exchangeRequest"]["state"] == "COMPLETED"
    assert _codes(again) == [("id", "INVALID_TRANSITION")]
    trail = (await world["a_member"].data(TRAIL, {"id": completed["id"]}))["node"]["auditTrail"]
    assert trail[0]["action"] == "EXCHANGE_CONVERTED"
    assert trail[0]["changes"][0]["field"] == "replicationId"
    assert await world.stores.replications.count(filter=ContentFilter()) == 1


async def test_two_conversions_at_once_make_one_replication(world: World) -> None:
    # given
    completed = await advanced(world, "COMPLETED")
    # when: B's member and B's admin convert the same version at the same time
    outcomes = await asyncio.gather(
        step(world, "b_member", CONVERT, completed), step(world, "b_admin", CONVERT, completed)
    )
    # then: one replication; the other conversion is told the exchange moved on
    assert sorted(str(_codes(payload)) for payload in outcomes) == ["[('version', 'CONFLICT')]", "[]"]
    assert await world.stores.replications.count(filter=ContentFilter()) == 1
    trail = (await world["b_member"].data(TRAIL, {"id": completed["id"]}))["node"]["auditTrail"]
    assert [entry["action"] for entry in trail].count("EXCHANGE_CONVERTED") == 1


async def test_a_conversion_takes_its_own_adaptations_and_only_the_requester_converts(world: World) -> None:
    # given
    completed = await advanced(world, "COMPLETED")
    # when
    by_owner = await step(world, "a_member", CONVERT, completed)
    too_long = await step(world, "b_member", CONVERT, completed, title="R" * 201)
    converted = await step(world, "b_member", CONVERT, completed, adaptations="Timbangan manual dulu.")
    # then
    assert _codes(by_owner) == [(None, "FORBIDDEN")]
    assert _codes(too_long) == [("title", "TOO_LONG")]
    assert converted["replication"]["adaptations"] == "Timbangan manual dulu."


async def test_an_exchange_about_a_partnership_is_answered_by_its_partner_but_not_converted(
    world: World,
) -> None:
    # given: B asks P about its partnership; P's partner accepts and schedules it
    completed = await advanced(
        world, "COMPLETED", owner="p_partner", subject=world.partnership, kind="DOCUMENTS"
    )
    # when
    converted = await step(world, "b_member", CONVERT, completed)
    # then
    assert completed["subject"] == {"__typename": "Partnership", "id": world.partnership}
    assert completed["ownerOrganization"] == {"id": world.org_p}
    assert completed["viewerSteps"] == []
    assert _codes(converted) == [("id", "INVALID")]


# --- reads -------------------------------------------------------------------------------------------


async def test_an_exchange_is_read_only_by_its_two_organizations_and_the_reviewers(world: World) -> None:
    # given
    exchange = await requested(world)
    # when
    seen = {
        name: (await client.data(NODE, {"id": exchange["id"]}))["node"] is not None
        for name, client in world.clients.items()
    }
    # then
    assert seen == {
        "hub_admin": True,
        "anonymous": False,
        "a_member": True,
        "b_member": True,
        "b_admin": True,
        "c_member": False,
        "p_partner": False,
        "reviewer": True,
    }


async def _listing(world: World, client: str, organization: str, direction: str, **variables: Any) -> Any:
    data = await world[client].data(
        LISTING, {"id": organization, "direction": direction, "first": 20, **variables}
    )
    return data["node"]["exchangeRequests"]


async def test_an_organization_lists_its_incoming_and_outgoing_exchanges_by_state_page_by_page(
    world: World,
) -> None:
    # given: B asks A three times (one declined), C asks A once
    first = await requested(world, message="Permintaan pertama tentang bank sampah.")
    await requested(world, message="Permintaan kedua tentang bank sampah.")
    third = await requested(world, message="Permintaan ketiga tentang bank sampah.")
    await step(world, "a_member", DECLINE, third, reason="Kuota kunjungan bulan ini penuh.")
    from_c = await requested(world, client="c_member", requestingRegionCode="31.71")
    # when
    incoming = await _listing(world, "a_member", world.org_a, "INCOMING")
    open_ones = await _listing(world, "a_member", world.org_a, "INCOMING", states=["REQUESTED"])
    both = await _listing(world, "a_member", world.org_a, "INCOMING", states=["REQUESTED", "DECLINED"])
    page_one = await _listing(world, "a_member", world.org_a, "INCOMING", first=3)
    page_two = await _listing(
        world, "a_member", world.org_a, "INCOMING", first=3, after=page_one["pageInfo"]["endCursor"]
    )
    outgoing = await _listing(world, "b_admin", world.org_b, "OUTGOING")
    b_incoming = await _listing(world, "b_member", world.org_b, "INCOMING")
    # then: newest first
    assert incoming["totalCount"] == 4
    newest_first = [node["id"] for node in incoming["nodes"]]
    assert (newest_first[0], newest_first[-1]) == (from_c["id"], first["id"])
    assert open_ones["totalCount"] == 3
    assert {node["state"] for node in open_ones["nodes"]} == {"REQUESTED"}
    assert both["totalCount"] == 4
    assert page_one["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in page_one["nodes"] + page_two["nodes"]] == [n["id"] for n in incoming["nodes"]]
    assert page_two["pageInfo"]["hasNextPage"] is False
    assert outgoing["totalCount"] == 3
    assert from_c["id"] not in {node["id"] for node in outgoing["nodes"]}
    assert b_incoming["totalCount"] == 0


async def test_exchange_listings_are_null_for_anyone_but_the_organization_and_reviewers(world: World) -> None:
    # given
    await requested(world)
    # when
    seen = {
        name: await _listing(world, name, world.org_a, "INCOMING")
        for name in ("anonymous", "b_member", "c_member", "p_partner", "reviewer", "a_member")
    }
    # then: no error, just nothing
    assert {name: listing is not None for name, listing in seen.items()} == {
        "anonymous": False,
        "b_member": False,
        "c_member": False,
        "p_partner": False,
        "reviewer": True,
        "a_member": True,
    }


async def test_a_practice_shows_its_completed_exchanges_and_their_mean_rating_to_everyone(
    world: World,
) -> None:
    # given: two completed exchanges (rated 5 and, by B's admin, 4) and a cancelled one
    await advanced(world, "COMPLETED")
    scheduled = await advanced(world, "SCHEDULED")
    await step(world, "b_admin", COMPLETE, scheduled, feedback=FEEDBACK, rating=4)
    await step(world, "b_member", CANCEL, await requested(world))
    other = await create_practice(world.api, world.org_a, published=True, title="Posyandu Digital Depok Jaya")
    # when
    stats = (await world["anonymous"].data(STATS, {"id": world.practice["id"]}))["node"]["exchangeStats"]
    none = (await world["anonymous"].data(STATS, {"id": other["id"]}))["node"]["exchangeStats"]
    # then
    assert stats == {"completedCount": 2, "meanRating": 4.5}
    assert none == {"completedCount": 0, "meanRating": None}


async def test_a_practice_or_an_organization_in_an_exchange_is_not_deleted(world: World) -> None:
    # given
    await requested(world)
    # when
    deleted = await world["hub_admin"].mutate(
        DELETE_PRACTICE, {"id": world.practice["id"], "version": world.practice["version"]}
    )
    # then
    assert _codes(deleted) == [("id", "IN_USE")]
    assert "exchanges" in deleted["errors"][0]["message"]


# --- cost and indexes --------------------------------------------------------------------------------

STATS_PAGE = """
query($first: Int!) {
  practices(first: $first) { nodes { title exchangeStats { completedCount meanRating } } }
}
"""


@pytest.fixture
async def counted(mongo: LocalService) -> AsyncIterator[tuple[Stores, CommandCounter]]:
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo.url, event_listeners=[counter], tz_aware=True)
    name = f"exchanges_{uuid.uuid4().hex[:8]}"
    stores = Stores.of(client[name])
    await stores.regions.load(under=TEST_REGION_ROOTS)
    await stores.ensure_indexes()
    yield stores, counter
    await client.drop_database(name)
    await client.close()


def _exchange(*, subject_id: str, state: str, rating: int | None) -> Document:
    """An exchange as stored, for seeding the store directly."""
    return {
        "_id": new_id(),
        "kind": "STUDY_VISIT",
        "state": state,
        "subject_kind": "PRACTICE",
        "subject_id": subject_id,
        "owner_organization_id": new_id(),
        "requester_organization_id": new_id(),
        "requesting_region_code": "35.78.09.1001",
        "message": VISIT,
        "preferred_dates": [{"start": day(30), "end": day(31)}],
        "participants": 10,
        "rating": rating,
    }


async def _seed_exchanges(stores: Stores, practices: int) -> None:
    owner = new_id()
    practice_ids = [new_id() for _ in range(practices)]
    await stores.practices.insert_many(
        [
            {
                "_id": practice_id,
                "title": f"Praktik {index:03d}",
                "summary": "Ringkasan",
                "organization_id": owner,
                "region_codes": ["32.76.05.1001"],
                "themes": ["HEALTH"],
                "status": "PUBLISHED",
                "problem": "Masalah",
                "approach": "Pendekatan",
                "stage": "PILOT",
            }
            for index, practice_id in enumerate(practice_ids)
        ]
    )
    await stores.exchanges.insert_many(
        [
            {**_exchange(subject_id=practice_id, state=state, rating=rating), "owner_organization_id": owner}
            for practice_id in practice_ids
            for state, rating in (("COMPLETED", 5), ("COMPLETED", 3), ("REQUESTED", None))
        ]
    )


async def _stats_commands(stores: Stores, counter: CommandCounter, first: int) -> list[str]:
    counter.commands.clear()
    result = await build_schema().execute(
        STATS_PAGE,
        variable_values={"first": first},
        context_value=Context.for_request(stores, request_id="t", auth=TEST_AUTH),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    nodes = result.data["practices"]["nodes"]
    assert len(nodes) == first
    assert all(node["exchangeStats"] == {"completedCount": 2, "meanRating": 4.0} for node in nodes)
    return list(counter.commands)


async def test_the_exchange_stats_of_a_page_of_practices_cost_one_aggregation(
    counted: tuple[Stores, CommandCounter],
) -> None:
    # given
    stores, counter = counted
    await _seed_exchanges(stores, practices=20)
    # when
    small = await _stats_commands(stores, counter, first=5)
    large = await _stats_commands(stores, counter, first=20)
    # then: the page's find, and one aggregation for all of its practices
    assert small == large == ["find", "aggregate"]


ORGANIZATIONS_PAGE = """
query($first: Int!) {
  organizations(first: $first, order: NEWEST) {
    nodes { name exchangeRequests(direction: INCOMING, first: 2) { totalCount nodes { message } } }
  }
}
"""


async def test_the_exchanges_of_a_page_of_organizations_cost_the_same_commands_for_3_and_10(
    counted: tuple[Stores, CommandCounter],
) -> None:
    # given: ten organizations asked three times each, and a reviewer who lists them all
    stores, counter = counted
    owners = [new_id() for _ in range(10)]
    await stores.organizations.insert_many(
        [
            {"_id": owner, "name": f"Kelurahan {i}", "kind": "KELURAHAN_GOVERNMENT"}
            for i, owner in enumerate(owners)
        ]
    )
    await stores.exchanges.insert_many(
        [
            {**_exchange(subject_id=new_id(), state="REQUESTED", rating=None), "owner_organization_id": owner}
            for owner in owners
            for _ in range(3)
        ]
    )
    reviewer = Viewer(user_id=new_id(), name="Peninjau", role=Role.REVIEWER, organization_id=new_id())
    commands = []
    for first in (3, 10):
        counter.commands.clear()
        # when
        result = await build_schema().execute(
            ORGANIZATIONS_PAGE,
            variable_values={"first": first},
            context_value=Context.for_request(stores, request_id="t", auth=TEST_AUTH, viewer=reviewer),
        )
        # then: each organization its own page, and one command per level however many there are
        assert result.errors is None, result.errors
        assert result.data is not None
        listings = [node["exchangeRequests"] for node in result.data["organizations"]["nodes"]]
        assert [(listing["totalCount"], len(listing["nodes"])) for listing in listings] == [(3, 2)] * first
        commands.append(list(counter.commands))
    assert commands[0] == commands[1] == ["find", "aggregate", "aggregate"]


EXCHANGE_LISTINGS = [
    ExchangeFilter(owner_organization_id="x"),
    ExchangeFilter(owner_organization_id="x", states=[ExchangeState.REQUESTED]),
    ExchangeFilter(requester_organization_id="x"),
    ExchangeFilter(requester_organization_id="x", states=[ExchangeState.COMPLETED]),
    ExchangeFilter(owner_organization_id="x", states=[ExchangeState.REQUESTED, ExchangeState.ACCEPTED]),
]


def _plan_stages(plan: dict[str, Any]) -> set[str]:
    stages = {plan.get("stage", "")}
    for key in ("inputStage", "queryPlan"):
        if isinstance(plan.get(key), dict):
            stages |= _plan_stages(plan[key])
    for child in plan.get("inputStages", []):
        stages |= _plan_stages(child)
    return stages


@pytest.mark.parametrize(
    ("listing", "next_page"),
    [
        *[(listing, False) for listing in EXCHANGE_LISTINGS],
        # Several states on a later page are an $in beside the cursor's range: SecantusDB's
        # planner scans the collection there, where MongoDB uses the (organization, state,
        # newest) index. A deviation of the local server, as for content (see the README).
        *[(listing, True) for listing in EXCHANGE_LISTINGS if len(listing.states) <= 1],
    ],
)
async def test_exchange_listings_are_served_by_an_index(
    counted: tuple[Stores, CommandCounter], listing: ExchangeFilter, next_page: bool
) -> None:
    # given
    stores, _ = counted
    await _seed_exchanges(stores, practices=3)
    collection = stores.exchanges.collection
    order = SortOrder.NEWEST
    after = None
    if next_page:
        first = await collection.find_one({}, sort=order.mongo_sort())
        assert first is not None
        after = encode_cursor(order, first)
    # when
    query = page_query(listing.to_query(), order, after)
    explained = await collection.find(query).sort(order.mongo_sort()).limit(21).explain()
    # then
    stages = _plan_stages(explained["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in stages
    assert "COLLSCAN" not in stages


@pytest.mark.parametrize("party", list(Party))
@pytest.mark.parametrize(
    "states", [(), (ExchangeState.REQUESTED,), (ExchangeState.REQUESTED, ExchangeState.ACCEPTED)]
)
@pytest.mark.parametrize("next_page", [False, True])
async def test_the_listings_of_several_organizations_match_through_an_index(
    counted: tuple[Stores, CommandCounter], party: Party, states: tuple[ExchangeState, ...], next_page: bool
) -> None:
    # given
    stores, _ = counted
    await _seed_exchanges(stores, practices=3)
    after = None
    if next_page:
        newest = await stores.exchanges.collection.find_one({}, sort=SortOrder.NEWEST.mongo_sort())
        assert newest is not None
        after = encode_cursor(SortOrder.NEWEST, newest)
    # when: the very aggregation the listing loader sends for a page of organizations
    pipeline = listing_pipeline(party, [new_id(), new_id()], states=states, first=20, after=after)
    explained = await stores.database.command(
        "explain", {"aggregate": "exchanges", "pipeline": pipeline, "hint": party.index(states), "cursor": {}}
    )
    # then
    stages = _plan_stages(explained["stages"][0]["$cursor"]["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in stages
    assert "COLLSCAN" not in stages


async def test_the_stats_aggregation_matches_through_an_index(counted: tuple[Stores, CommandCounter]) -> None:
    # given
    stores, _ = counted
    await _seed_exchanges(stores, practices=3)
    # when: the very aggregation the stats loader sends
    pipeline = completion_pipeline([new_id(), new_id()])
    explained = await stores.database.command(
        "explain", {"aggregate": "exchanges", "pipeline": pipeline, "hint": STATS_HINT, "cursor": {}}
    )
    # then
    stages = _plan_stages(explained["stages"][0]["$cursor"]["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in stages
    assert "COLLSCAN" not in stages


# --- whom each step tells ------------------------------------------------------------------------

NOTIFIED = "{ viewer { notifications { nodes { reason summary subject { __typename id } } } } }"
_NOTIFIED_CAST = ("a_member", "b_admin", "b_member", "c_member")


async def _exchange_notifications(world: World, client: str) -> list[dict[str, Any]]:
    """The client's notifications of exchanges (the practice's publication told A of its steps)."""
    nodes: list[dict[str, Any]] = (await world[client].data(NOTIFIED))["viewer"]["notifications"]["nodes"]
    return [node for node in nodes if node["reason"].startswith("EXCHANGE_")]


async def test_the_other_side_is_told_of_the_request_and_each_step(world: World) -> None:
    # given a request by B and its acceptance by A, delivered by the notifier
    exchange = await advanced(world, "ACCEPTED")
    notifier = Notifier(stores=world.stores, owner="test")
    while await notifier.run_once():
        pass
    # then A heard of the request and B of the acceptance; nobody of their own step
    owner, asker, acting, outsider = [await _exchange_notifications(world, c) for c in _NOTIFIED_CAST]
    assert [(n["reason"], n["subject"]["id"]) for n in owner] == [("EXCHANGE_REQUESTED", exchange["id"])]
    assert [n["reason"] for n in asker] == ["EXCHANGE_STEP"]
    assert [n["reason"] for n in acting] == ["EXCHANGE_STEP"]  # the request was B's own; the step A's
    assert outsider == []


REPORT_EXCHANGE = """
mutation($input: ReportPostInput!) {
  reportPost(input: $input) { report { reason exchangeRequest { id } post { id } } errors { field code } }
}
"""
QUEUE = "{ moderationQueue { totalCount nodes { reason exchangeRequest { id } } } }"


async def test_a_party_reports_an_exchange_request_to_the_moderators(world: World) -> None:
    # given a request that A's member finds abusive
    exchange = await requested(world)
    # when A reports it, and C (who cannot read it) tries to
    reported = await world["a_member"].mutate(
        REPORT_EXCHANGE, {"id": exchange["id"], "reason": "SPAM", "text": "Promosi jasa konsultan."}
    )
    outsider = await world["c_member"].mutate(REPORT_EXCHANGE, {"id": exchange["id"], "reason": "SPAM"})
    # then it waits in the reviewers' queue, and nobody else may report what they cannot read
    assert reported["errors"] == []
    assert reported["report"] == {"reason": "SPAM", "exchangeRequest": {"id": exchange["id"]}, "post": None}
    assert _codes(outsider) == [("id", "NOT_FOUND")]
    queue = await world["reviewer"].data(QUEUE)
    assert queue["moderationQueue"]["nodes"] == [
        {"reason": "SPAM", "exchangeRequest": {"id": exchange["id"]}}
    ]
