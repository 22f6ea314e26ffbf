"""Who may do what: every mutation against every role, and no read path that leaks a draft.

The cast: a government organization A with a member and an admin, an NGO P with a partner, the
association with a reviewer and a hub admin, a member of another government organization B
(the outsider), and anonymous visitors. Practices and replications belong to A, case studies and
partnerships to P. Each cell of the matrix gets fresh items, made by the hub admin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.exchange_drafts import today_in_indonesia
from schema import build_schema
from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.support import (
    PUBLISH,
    SUBMIT,
    TEST_PASSWORD,
    GraphQLClient,
    create_practice,
    hub_admin_token,
    organization_record,
    practice_input,
    publish,
    user_with_token,
)

ROLES = ("anonymous", "member", "org_admin", "partner", "reviewer", "hub_admin", "outsider")
OK = "ok"


def _mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ field code message }} }} }}"
    )


@dataclass
class World:
    api: GraphQLClient
    stores: Stores
    clients: dict[str, GraphQLClient]
    org_a: str  # global IDs
    org_b: str
    org_p: str
    association: str
    org_a_local: str

    @property
    def admin(self) -> GraphQLClient:
        return self.clients["hub_admin"]


def _global(type_name: str, local_id: str) -> str:
    from resolvers.ids import encode_id

    return encode_id(type_name, local_id)


@pytest.fixture
async def world(api: GraphQLClient, stores: Stores) -> World:
    org_a = await organization_record(
        stores, name="Pemerintah Kelurahan Depok Jaya", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    org_b = await organization_record(
        stores, name="Pemerintah Kelurahan Keputih", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    org_p = await organization_record(stores, name="Yayasan Lestari Kampung", kind=OrganizationKind.NGO)
    association = await organization_record(stores, name="Asosiasi", kind=OrganizationKind.ASSOCIATION)
    tokens: dict[str, str | None] = {"anonymous": None, "hub_admin": await hub_admin_token(stores)}
    for role_name, role, organization in (
        ("member", Role.MEMBER, org_a),
        ("org_admin", Role.ADMIN, org_a),
        ("partner", Role.PARTNER, org_p),
        ("reviewer", Role.REVIEWER, association),
        ("outsider", Role.MEMBER, org_b),
    ):
        _, tokens[role_name] = await user_with_token(stores, role=role, organization_id=organization.id)
    return World(
        api=api,
        stores=stores,
        clients={name: api.as_user(token) for name, token in tokens.items()},
        org_a=_global("Organization", org_a.id),
        org_b=_global("Organization", org_b.id),
        org_p=_global("Organization", org_p.id),
        association=_global("Organization", association.id),
        org_a_local=org_a.id,
    )


# --- items, made fresh for each cell by the hub admin --------------------------------------------

CREATE = {
    "Practice": _mutation("createPractice", "PracticeInput"),
    "CaseStudy": _mutation("createCaseStudy", "CaseStudyInput"),
    "Partnership": _mutation("createPartnership", "PartnershipInput"),
    "Replication": _mutation("createReplication", "ReplicationInput"),
}
CREATED_ID = """
mutation($input: {input}!) {{ {name}(input: $input) {{ {field} {{ id version }} errors {{ code }} }} }}
"""


def case_study_input(organization_id: str) -> dict[str, Any]:
    return {
        "title": "Studi Kasus Bank Sampah",
        "summary": "Bagaimana bank sampah mengubah kebiasaan warga.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "context": "Kelurahan padat.",
        "methodology": "Wawancara nasabah.",
        "findings": "Sampah ke TPS turun.",
    }


def partnership_input(organization_id: str) -> dict[str, Any]:
    return {
        "title": "Kemitraan Bank Sampah",
        "summary": "LSM dan kelurahan menjalankan bank sampah bersama.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05"],
        "themes": ["WASTE_MANAGEMENT"],
        "partners": [{"organizationId": organization_id, "role": "LEAD"}],
    }


async def replication_input(world: World, organization_id: str) -> dict[str, Any]:
    source = await create_practice(world.admin, world.org_b, published=True, regionCodes=["35.78.09.1001"])
    return {
        "title": "Replikasi Bank Sampah di Depok Jaya",
        "summary": "Depok Jaya meniru bank sampah Keputih.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "practiceId": source["id"],
        "adaptations": "Penimbangan dua mingguan.",
    }


async def new_input(world: World, kind: str) -> dict[str, Any]:
    match kind:
        case "Practice":
            return practice_input(world.org_a)
        case "CaseStudy":
            return case_study_input(world.org_p)
        case "Partnership":
            return partnership_input(world.org_p)
        case _:
            return await replication_input(world, world.org_a)


_FIELDS = {
    "Practice": "practice",
    "CaseStudy": "caseStudy",
    "Partnership": "partnership",
    "Replication": "replication",
}


async def item(world: World, kind: str, status: str = "DRAFT") -> tuple[str, int]:
    """A fresh item of ``kind`` owned by its usual organization, in ``status``; (ID, version)."""
    field = _FIELDS[kind]
    document = CREATED_ID.format(input=f"{kind}Input", name=f"create{kind}", field=field)
    payload = await world.admin.mutate(document, await new_input(world, kind))
    assert payload["errors"] == [], payload["errors"]
    item_id, version = payload[field]["id"], payload[field]["version"]
    if status in ("SUBMITTED", "PUBLISHED"):
        submitted = await world.admin.mutate(SUBMIT, {"id": item_id, "version": version})
        version = submitted["content"]["version"]
    if status == "PUBLISHED":
        published = await world.admin.mutate(PUBLISH, {"id": item_id, "version": version})
        version = published["content"]["version"]
    return item_id, version


# --- the matrix ----------------------------------------------------------------------------------

Prepare = Callable[[World], Awaitable[tuple[str, dict[str, Any]]]]


def allowed(*roles: str, hidden_from: tuple[str, ...] = ()) -> dict[str, str]:
    """The expected outcome per role: OK, NOT_FOUND for who cannot even read it, else refused."""
    return {
        role: OK
        if role in roles
        else "UNAUTHENTICATED"
        if role == "anonymous"
        else "NOT_FOUND"
        if role in hidden_from
        else "FORBIDDEN"
        for role in ROLES
    }


def create(kind: str) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        return CREATE[kind], await new_input(world, kind)

    return prepare


def update(kind: str, status: str = "DRAFT") -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        item_id, version = await item(world, kind, status)
        document = _mutation(f"update{kind}", f"Update{kind}Input")
        return document, {"id": item_id, "version": version, "changes": {"summary": "Ringkasan baru."}}

    return prepare


def delete(kind: str) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        item_id, version = await item(world, kind)
        return _mutation(f"delete{kind}", "DeleteInput"), {"id": item_id, "version": version}

    return prepare


def step(name: str, input_type: str, status: str, **extra: Any) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        item_id, version = await item(world, "Practice", status)
        return _mutation(name, input_type), {"id": item_id, "version": version, **extra}

    return prepare


async def _new_organization(world: World) -> tuple[str, dict[str, Any]]:
    input = {"name": "Kelompok Tani Maju", "kind": "COMMUNITY_GROUP"}
    return _mutation("createOrganization", "OrganizationInput"), input


async def _update_organization(world: World) -> tuple[str, dict[str, Any]]:
    data = await world.admin.data(
        "query($id: ID!) { node(id: $id) { ... on Organization { version } } }", {"id": world.org_a}
    )
    input = {"id": world.org_a, "version": data["node"]["version"], "changes": {"description": "Baru."}}
    return _mutation("updateOrganization", "UpdateOrganizationInput"), input


async def _delete_organization(world: World) -> tuple[str, dict[str, Any]]:
    record = await organization_record(world.stores, name="Organisasi Sementara", kind=OrganizationKind.NGO)
    return _mutation("deleteOrganization", "DeleteInput"), {
        "id": _global("Organization", record.id),
        "version": 1,
    }


def _invite(role: str) -> Prepare:
    """An invitation with ``role`` into A, or into the association for a reviewer."""

    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        global _invites
        _invites += 1
        organization = world.association if role == "REVIEWER" else world.org_a
        input = {"email": f"undangan{_invites}@depok.go.id", "organizationId": organization, "role": role}
        return _mutation("inviteUser", "InviteUserInput"), input

    return prepare


_invites = 0


async def _remove_user(world: World) -> tuple[str, dict[str, Any]]:
    user, _ = await user_with_token(world.stores, role=Role.MEMBER, organization_id=world.org_a_local)
    return _mutation("removeUser", "RemoveUserInput"), {"id": _global("User", user.id)}


async def _change_password(world: World) -> tuple[str, dict[str, Any]]:
    input = {"currentPassword": TEST_PASSWORD, "newPassword": "kata-sandi-baru-sekali"}
    return _mutation("changePassword", "ChangePasswordInput"), input


async def _sign_out(world: World) -> tuple[str, dict[str, Any]]:
    return "mutation { signOut { errors { field code message } } }", {}


# --- discussions: threads on A's practice ------------------------------------------------------

START_THREAD = """
mutation($input: StartThreadInput!) { startThread(input: $input) { thread { id version } errors { code } } }
"""
REPLY_TO = """
mutation($input: ReplyInput!) { replyToThread(input: $input) { reply { id version } errors { code } } }
"""


async def _thread(world: World, *, by: str = "hub_admin", status: str = "PUBLISHED") -> tuple[str, int]:
    """A fresh question on a practice of A, asked by ``by``; (ID, version)."""
    practice, _ = await item(world, "Practice", status)
    payload = await world.clients[by].mutate(
        START_THREAD,
        {"subjectId": practice, "kind": "QUESTION", "title": "Berapa biayanya?", "body": "Mohon rinciannya."},
    )
    assert payload["errors"] == [], payload["errors"]
    return payload["thread"]["id"], payload["thread"]["version"]


async def _answered(world: World) -> tuple[str, str]:
    """A question asked by B's member (the outsider) and answered by P's partner; (thread, reply)."""
    thread_id, _ = await _thread(world, by="outsider")
    reply = await world.clients["partner"].mutate(
        REPLY_TO, {"threadId": thread_id, "body": "Sekitar 2 juta."}
    )
    assert reply["errors"] == [], reply["errors"]
    return thread_id, reply["reply"]["id"]


def start_thread(status: str) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        practice, _ = await item(world, "Practice", status)
        input = {"subjectId": practice, "kind": "COMMENT", "body": "Menarik sekali."}
        return _mutation("startThread", "StartThreadInput"), input

    return prepare


async def _reply_to_thread(world: World) -> tuple[str, dict[str, Any]]:
    thread_id, _ = await _thread(world)
    return _mutation("replyToThread", "ReplyInput"), {"threadId": thread_id, "body": "Terima kasih."}


def own_post(name: str, input_type: str, **extra: Any) -> Prepare:
    """A mutation on a fresh question posted by A's member."""

    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        thread_id, version = await _thread(world, by="member")
        return _mutation(name, input_type), {"id": thread_id, "version": version, **extra}

    return prepare


async def _accept_answer(world: World) -> tuple[str, dict[str, Any]]:
    _, reply_id = await _answered(world)
    return _mutation("acceptAnswer", "AcceptAnswerInput"), {"replyId": reply_id}


async def _withdraw_answer(world: World) -> tuple[str, dict[str, Any]]:
    thread_id, reply_id = await _answered(world)
    accepted = await world.admin.mutate(
        "mutation($input: AcceptAnswerInput!) "
        "{ acceptAnswer(input: $input) { thread { version } errors { code } } }",
        {"replyId": reply_id},
    )
    assert accepted["errors"] == [], accepted["errors"]
    input = {"threadId": thread_id, "version": accepted["thread"]["version"]}
    return _mutation("withdrawAcceptedAnswer", "WithdrawAnswerInput"), input


async def _report_post(world: World) -> tuple[str, dict[str, Any]]:
    thread_id, _ = await _thread(world)
    return _mutation("reportPost", "ReportPostInput"), {"id": thread_id, "reason": "SPAM"}


def moderated(name: str, input_type: str, *, before: str | None = None, versioned: bool = True) -> Prepare:
    """A moderator's mutation on a fresh question; ``before``: hidden or reported first."""

    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        thread_id, version = await _thread(world, by="member")
        if before == "hidden":
            hidden = await world.admin.mutate(
                "mutation($input: ModeratePostInput!) { hidePost(input: $input) "
                "{ thread { version } errors { code } } }",
                {"id": thread_id, "version": version, "reason": "Iklan."},
            )
            version = hidden["thread"]["version"]
        if before == "reported":
            reported = await world.clients["outsider"].mutate(
                _mutation("reportPost", "ReportPostInput"), {"id": thread_id, "reason": "SPAM"}
            )
            assert reported["errors"] == []
        input: dict[str, Any] = {"id": thread_id, "reason": "Alasan moderator."}
        return _mutation(name, input_type), {**input, "version": version} if versioned else input

    return prepare


# --- events: organized by P (the NGO) ------------------------------------------------------------

EVENT_INPUT = {
    "title": "Pelatihan Bank Sampah",
    "description": "Praktik pencatatan dan penimbangan.",
    "kind": "TRAINING",
    "venue": {"name": "Aula Kecamatan", "regionCode": "32.76.05"},
    "startsAt": "2099-03-01T09:00:00+07:00",
    "endsAt": "2099-03-01T15:00:00+07:00",
    "capacity": 20,
}


async def _event(world: World, *, published: bool = True) -> tuple[str, int]:
    created = await world.admin.mutate(
        "mutation($input: EventInput!) "
        "{ createEvent(input: $input) { event { id version } errors { code } } }",
        {**EVENT_INPUT, "organizerId": world.org_p},
    )
    assert created["errors"] == [], created["errors"]
    event_id, version = created["event"]["id"], created["event"]["version"]
    if published:
        done = await world.admin.mutate(
            "mutation($input: EventStepInput!) "
            "{ publishEvent(input: $input) { event { version } errors { code } } }",
            {"id": event_id, "version": version},
        )
        version = done["event"]["version"]
    return event_id, version


async def _create_event(world: World) -> tuple[str, dict[str, Any]]:
    return _mutation("createEvent", "EventInput"), {**EVENT_INPUT, "organizerId": world.org_p}


def event_step(name: str, input_type: str, *, published: bool, **extra: Any) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        event_id, version = await _event(world, published=published)
        return _mutation(name, input_type), {"id": event_id, "version": version, **extra}

    return prepare


async def _register(world: World) -> tuple[str, dict[str, Any]]:
    event_id, _ = await _event(world)
    return _mutation("registerForEvent", "RegistrationInput"), {"eventId": event_id}


async def _cancel_registration(world: World) -> tuple[str, dict[str, Any]]:
    """An event each role registered for, except anonymous visitors (who cannot)."""
    event_id, _ = await _event(world)
    for role in ROLES[1:]:
        await world.clients[role].mutate(
            _mutation("registerForEvent", "RegistrationInput"), {"eventId": event_id}
        )
    return _mutation("cancelRegistration", "RegistrationInput"), {"eventId": event_id}


async def _mark_attendance(world: World) -> tuple[str, dict[str, Any]]:
    event_id, _ = await _event(world)
    user, token = await user_with_token(world.stores, role=Role.MEMBER, organization_id=world.org_a_local)
    registered = await world.api.as_user(token).mutate(
        _mutation("registerForEvent", "RegistrationInput"), {"eventId": event_id}
    )
    assert registered["errors"] == []
    return _mutation("markAttendance", "AttendanceInput"), {
        "eventId": event_id,
        "userIds": [_global("User", user.id)],
    }


def follow(name: str) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        return _mutation(name, "FollowInput"), {"target": {"id": world.org_a}}

    return prepare


# --- peer exchanges: A (member, org_admin) asks B (the outsider's organization) about B's practice --

EXCHANGE_ID = """
mutation($input: {input}!) {{
  {name}(input: $input) {{ exchangeRequest {{ id version }} errors {{ code }} }}
}}
"""


def exchange_request_input(world: World, practice_id: str) -> dict[str, Any]:
    start = today_in_indonesia() + timedelta(days=30)
    return {
        "subjectId": practice_id,
        "kind": "STUDY_VISIT",
        "message": "Kami ingin belajar pengelolaan bank sampah digital.",
        "preferredDates": [{"start": start.isoformat(), "end": start.isoformat()}],
        "participants": 8,
        "requestingRegionCode": "32.76.05.1001",
        "organizationId": world.org_a,
    }


def exchange_schedule() -> dict[str, Any]:
    return {"startsAt": (datetime.now(UTC) + timedelta(days=30)).isoformat(), "place": "Kantor Kelurahan"}


# The steps that bring a fresh exchange to each state, taken by the hub admin (who acts for both sides).
_EXCHANGE_PATH: tuple[tuple[str, str, str, Callable[[], dict[str, Any]]], ...] = (
    ("ACCEPTED", "acceptExchange", "AcceptExchangeInput", lambda: {}),
    ("SCHEDULED", "scheduleExchange", "ScheduleExchangeInput", exchange_schedule),
    (
        "COMPLETED",
        "completeExchange",
        "CompleteExchangeInput",
        lambda: {"feedback": "Kunjungan sangat bermanfaat bagi tim kami.", "rating": 5},
    ),
)


async def exchange(world: World, state: str) -> tuple[str, int]:
    """A fresh exchange asked by A about a new published practice of B, in ``state``; (ID, version)."""
    practice = await create_practice(world.admin, world.org_b, published=True, regionCodes=["35.78.09.1001"])
    document = EXCHANGE_ID.format(input="RequestExchangeInput", name="requestExchange")
    payload = await world.admin.mutate(document, exchange_request_input(world, practice["id"]))
    assert payload["errors"] == [], payload["errors"]
    exchange_id, version = payload["exchangeRequest"]["id"], payload["exchangeRequest"]["version"]
    for reached, name, input_type, details in _EXCHANGE_PATH:
        if state == "REQUESTED":
            break
        document = EXCHANGE_ID.format(input=input_type, name=name)
        stepped = await world.admin.mutate(document, {"id": exchange_id, "version": version, **details()})
        assert stepped["errors"] == [], stepped["errors"]
        version = stepped["exchangeRequest"]["version"]
        if reached == state:
            break
    return exchange_id, version


async def _request_exchange(world: World) -> tuple[str, dict[str, Any]]:
    practice = await create_practice(world.admin, world.org_b, published=True, regionCodes=["35.78.09.1001"])
    return _mutation("requestExchange", "RequestExchangeInput"), exchange_request_input(world, practice["id"])


def exchange_step(name: str, input_type: str, state: str, details: Callable[[], dict[str, Any]]) -> Prepare:
    async def prepare(world: World) -> tuple[str, dict[str, Any]]:
        exchange_id, version = await exchange(world, state)
        return _mutation(name, input_type), {"id": exchange_id, "version": version, **details()}

    return prepare


async def _mark_read(world: World) -> tuple[str, dict[str, Any]]:
    return _mutation("markNotificationsRead", "MarkNotificationsReadInput"), {"all": True}


async def _notification_settings(world: World) -> tuple[str, dict[str, Any]]:
    return _mutation("updateNotificationSettings", "NotificationSettingsInput"), {"digest": "DAILY"}


REQUESTERS = ("member", "org_admin", "hub_admin")  # A's side
ANSWERERS = ("outsider", "hub_admin")  # B's side
NOT_PARTIES = ("partner",)  # cannot read the exchange

# --- indicator reports: on a published practice of A --------------------------------------------

_INDICATOR = {"name": "Prevalensi stunting balita", "unit": "%", "baseline": 20.0, "target": 10.0}
_REPORT = {
    "indicatorKey": "prevalensi-stunting-balita",
    "granularity": "YEAR",
    "period": "2025",
    "value": 15.0,
}


async def _reported_practice(world: World) -> str:
    document = CREATED_ID.format(input="PracticeInput", name="createPractice", field="practice")
    payload = await world.admin.mutate(document, practice_input(world.org_a, results=[_INDICATOR]))
    practice = payload["practice"]
    await publish(world.admin, practice["id"], practice["version"])
    return str(practice["id"])


async def _report_indicator(world: World) -> tuple[str, dict[str, Any]]:
    practice = await _reported_practice(world)
    return _mutation("reportIndicator", "ReportIndicatorInput"), {"subjectId": practice, **_REPORT}


async def _delete_indicator_report(world: World) -> tuple[str, dict[str, Any]]:
    practice = await _reported_practice(world)
    reported = await world.admin.mutate(
        "mutation($input: ReportIndicatorInput!) "
        "{ reportIndicator(input: $input) { report { id version } errors { code } } }",
        {"subjectId": practice, **_REPORT},
    )
    assert reported["errors"] == [], reported["errors"]
    report = reported["report"]
    return _mutation("deleteIndicatorReport", "DeleteIndicatorReportInput"), {
        "id": report["id"],
        "version": report["version"],
    }


SIGNED_IN = ("member", "org_admin", "partner", "reviewer", "hub_admin", "outsider")
# Mutations anyone may call, signed in or not: they check credentials, not roles.
OPEN = {"signIn", "refreshSession", "acceptInvitation"}
AUTHORS_A = ("member", "org_admin", "hub_admin")
AUTHORS_P = ("partner", "hub_admin")
NOT_A = ("partner", "outsider")  # cannot read A's drafts
NOT_P = ("member", "org_admin", "outsider")  # cannot read P's drafts
REVIEW = ("reviewer", "hub_admin")

MATRIX: dict[str, tuple[Prepare, dict[str, str]]] = {
    "createOrganization": (_new_organization, allowed("hub_admin")),
    "updateOrganization": (_update_organization, allowed("org_admin", "hub_admin")),
    "deleteOrganization": (_delete_organization, allowed("hub_admin")),
    "createPractice": (create("Practice"), allowed(*AUTHORS_A)),
    "updatePractice (draft)": (update("Practice"), allowed(*AUTHORS_A, "reviewer", hidden_from=NOT_A)),
    "updatePractice (published)": (update("Practice", "PUBLISHED"), allowed(*REVIEW)),
    "deletePractice (draft)": (delete("Practice"), allowed(*AUTHORS_A, hidden_from=NOT_A)),
    "createCaseStudy": (create("CaseStudy"), allowed(*AUTHORS_P)),
    "updateCaseStudy (draft)": (update("CaseStudy"), allowed(*AUTHORS_P, "reviewer", hidden_from=NOT_P)),
    "deleteCaseStudy (draft)": (delete("CaseStudy"), allowed(*AUTHORS_P, hidden_from=NOT_P)),
    "createPartnership": (create("Partnership"), allowed(*AUTHORS_P)),
    "updatePartnership (draft)": (update("Partnership"), allowed(*AUTHORS_P, "reviewer", hidden_from=NOT_P)),
    "deletePartnership (draft)": (delete("Partnership"), allowed(*AUTHORS_P, hidden_from=NOT_P)),
    "createReplication": (create("Replication"), allowed(*AUTHORS_A)),
    "updateReplication (draft)": (update("Replication"), allowed(*AUTHORS_A, "reviewer", hidden_from=NOT_A)),
    "deleteReplication (draft)": (delete("Replication"), allowed(*AUTHORS_A, hidden_from=NOT_A)),
    "submitForReview": (
        step("submitForReview", "StepInput", "DRAFT"),
        allowed(*AUTHORS_A, hidden_from=NOT_A),
    ),
    "requestChanges": (
        step("requestChanges", "RequestChangesInput", "SUBMITTED", comment="Lengkapi data hasil."),
        allowed(*REVIEW, hidden_from=NOT_A),
    ),
    "publish": (step("publish", "StepInput", "SUBMITTED"), allowed(*REVIEW, hidden_from=NOT_A)),
    "archive": (step("archive", "ArchiveInput", "PUBLISHED"), allowed(*AUTHORS_A, *REVIEW)),
    "verifyPractice": (
        step("verifyPractice", "VerifyPracticeInput", "PUBLISHED", stillActive=True),
        allowed(*REVIEW),
    ),
    "requestExchange": (_request_exchange, allowed(*REQUESTERS)),
    "acceptExchange": (
        exchange_step("acceptExchange", "AcceptExchangeInput", "REQUESTED", lambda: {"comment": "Silakan."}),
        allowed(*ANSWERERS, hidden_from=NOT_PARTIES),
    ),
    "declineExchange": (
        exchange_step("declineExchange", "DeclineExchangeInput", "REQUESTED", lambda: {"reason": "Penuh."}),
        allowed(*ANSWERERS, hidden_from=NOT_PARTIES),
    ),
    "scheduleExchange": (
        exchange_step("scheduleExchange", "ScheduleExchangeInput", "ACCEPTED", exchange_schedule),
        allowed(*ANSWERERS, hidden_from=NOT_PARTIES),
    ),
    "completeExchange": (
        exchange_step(
            "completeExchange",
            "CompleteExchangeInput",
            "SCHEDULED",
            lambda: {"feedback": "Kunjungan yang sangat bermanfaat.", "rating": 4},
        ),
        allowed(*REQUESTERS, hidden_from=NOT_PARTIES),
    ),
    "cancelExchange": (
        exchange_step("cancelExchange", "CancelExchangeInput", "REQUESTED", lambda: {}),
        allowed(*REQUESTERS, *ANSWERERS, hidden_from=NOT_PARTIES),
    ),
    "convertExchangeToReplication": (
        exchange_step("convertExchangeToReplication", "ConvertExchangeInput", "COMPLETED", lambda: {}),
        allowed(*REQUESTERS, hidden_from=NOT_PARTIES),
    ),
    "inviteUser (member)": (_invite("MEMBER"), allowed("org_admin", "hub_admin")),
    "inviteUser (reviewer)": (_invite("REVIEWER"), allowed("hub_admin")),
    "removeUser": (_remove_user, allowed("org_admin", "hub_admin")),
    "startThread (published)": (start_thread("PUBLISHED"), allowed(*SIGNED_IN)),
    "startThread (draft)": (
        start_thread("DRAFT"),
        allowed("member", "org_admin", *REVIEW, hidden_from=NOT_A),
    ),
    "replyToThread": (_reply_to_thread, allowed(*SIGNED_IN)),
    "editPost (own, in time)": (
        own_post("editPost", "EditPostInput", body="Teks yang dibetulkan."),
        allowed("member", *REVIEW),
    ),
    "deletePost": (own_post("deletePost", "PostVersionInput"), allowed("member", *REVIEW)),
    # The asker (B's member) and the item's organization (A) accept an answer.
    "acceptAnswer": (_accept_answer, allowed("outsider", "member", "org_admin", "hub_admin")),
    "withdrawAcceptedAnswer": (_withdraw_answer, allowed("outsider", "member", "org_admin", "hub_admin")),
    "reportPost": (_report_post, allowed(*SIGNED_IN)),
    "hidePost": (moderated("hidePost", "ModeratePostInput"), allowed(*REVIEW)),
    "restorePost": (moderated("restorePost", "ModeratePostInput", before="hidden"), allowed(*REVIEW)),
    "dismissReports": (
        moderated("dismissReports", "DismissReportsInput", before="reported", versioned=False),
        allowed(*REVIEW),
    ),
    # Events belong to their organizers (P here); anyone signed in registers.
    "createEvent": (_create_event, allowed("partner", "hub_admin")),
    "updateEvent (draft)": (
        event_step("updateEvent", "UpdateEventInput", published=False, changes={"capacity": 25}),
        allowed("partner", "hub_admin", hidden_from=("member", "org_admin", "outsider")),
    ),
    "publishEvent": (
        event_step("publishEvent", "EventStepInput", published=False),
        allowed("partner", "hub_admin", hidden_from=("member", "org_admin", "outsider")),
    ),
    "cancelEvent": (
        event_step("cancelEvent", "EventStepInput", published=True, reason="Narasumber berhalangan."),
        allowed("partner", "hub_admin"),
    ),
    "finishEvent (not started)": (
        event_step("finishEvent", "EventStepInput", published=True),
        {
            **allowed("partner", "hub_admin"),
            "partner": "INVALID_TRANSITION",
            "hub_admin": "INVALID_TRANSITION",
        },
    ),
    "registerForEvent": (_register, allowed(*SIGNED_IN)),
    "cancelRegistration": (_cancel_registration, allowed(*SIGNED_IN)),
    "markAttendance": (_mark_attendance, allowed("partner", "hub_admin")),
    "follow": (follow("follow"), allowed(*SIGNED_IN)),
    # One's own notifications only: the store filters by the viewer (test_notifications.py).
    "markNotificationsRead": (_mark_read, allowed(*SIGNED_IN)),
    "updateNotificationSettings": (_notification_settings, allowed(*SIGNED_IN)),
    "unfollow": (follow("unfollow"), allowed(*SIGNED_IN)),
    # The owning organization's members and admins, and the hub's admins; not the reviewers.
    "reportIndicator": (_report_indicator, allowed(*AUTHORS_A)),
    "deleteIndicatorReport": (_delete_indicator_report, allowed(*AUTHORS_A)),
    "changePassword": (_change_password, allowed(*SIGNED_IN)),
    "signOut": (_sign_out, allowed(*SIGNED_IN)),
}


def test_the_matrix_covers_every_mutation_of_the_schema() -> None:
    mutation_type = build_schema()._schema.mutation_type
    assert mutation_type is not None
    covered = {name.split(" ")[0] for name in MATRIX} | OPEN
    assert covered == set(mutation_type.fields)


@pytest.mark.parametrize("mutation", list(MATRIX))
async def test_each_mutation_is_allowed_exactly_to_its_roles(world: World, mutation: str) -> None:
    prepare, expected = MATRIX[mutation]
    outcomes: dict[str, str] = {}
    for role in ROLES:
        # given: fresh items for this role
        document, input = await prepare(world)
        # when
        payload = await world.clients[role].mutate(document, input)
        # then (collected, so that a failure shows the whole row)
        outcomes[role] = payload["errors"][0]["code"] if payload["errors"] else OK
    assert outcomes == expected


# --- reads: no draft leaks through any path ------------------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { id ... on Practice { title } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
PRACTICES = """
query($statuses: [ContentStatus!]) { practices(filter: {statuses: $statuses}) { totalCount nodes { title } } }
"""
REPLICATION = "query($id: ID!) { node(id: $id) { ... on Replication { practice { id } } } }"
PRACTICE_REPLICATIONS = "query($id: ID!) { node(id: $id) { ... on Practice { replications { id } } } }"
CASE_STUDY = "query($id: ID!) { node(id: $id) { ... on CaseStudy { relatedPractices { id } } } }"
AUDIT = (
    "query($id: ID!) { node(id: $id) { ... on Practice { auditTrail { action actorName actor { name } } } } }"
)
CONTACT = "query($id: ID!) { node(id: $id) { ... on Practice { contact { name email phone } } } }"


async def test_a_draft_is_readable_only_by_its_organization_and_reviewers_through_node_and_lists(
    world: World,
) -> None:
    # given
    draft, _ = await item(world, "Practice")
    # when
    node = {role: (await client.data(NODE, {"id": draft}))["node"] for role, client in world.clients.items()}
    nodes = {
        role: (await client.data(NODES, {"ids": [draft]}))["nodes"] for role, client in world.clients.items()
    }
    listed = {
        role: (await client.data(PRACTICES, {"statuses": ["DRAFT"]}))["practices"]["totalCount"]
        for role, client in world.clients.items()
    }
    # then
    readers = {"member", "org_admin", "reviewer", "hub_admin"}
    assert {role for role, found in node.items() if found} == readers
    assert {role for role, found in nodes.items() if found != [None]} == readers
    assert {role for role, count in listed.items() if count} == readers


async def test_nested_fields_do_not_lead_to_an_item_one_may_not_read(world: World) -> None:
    # given: a published practice of A, replicated by B, then archived; a case study citing it
    practice = await create_practice(world.admin, world.org_a, published=True)
    replication = await world.admin.mutate(
        CREATED_ID.format(input="ReplicationInput", name="createReplication", field="replication"),
        {**await replication_input(world, world.org_b), "practiceId": practice["id"]},
    )
    replication_id = replication["replication"]["id"]
    await publish(world.admin, replication_id, replication["replication"]["version"])
    case_study = await world.admin.mutate(
        CREATED_ID.format(input="CaseStudyInput", name="createCaseStudy", field="caseStudy"),
        {**case_study_input(world.org_p), "relatedPracticeIds": [practice["id"]]},
    )
    case_study_id = case_study["caseStudy"]["id"]
    await publish(world.admin, case_study_id, case_study["caseStudy"]["version"])
    archived = await world.admin.mutate(
        _mutation("archive", "ArchiveInput"), {"id": practice["id"], "version": practice["version"]}
    )
    assert archived["errors"] == []
    anonymous, member = world.clients["anonymous"], world.clients["member"]
    # when
    via_replication = (await anonymous.data(REPLICATION, {"id": replication_id}))["node"]["practice"]
    via_case_study = (await anonymous.data(CASE_STUDY, {"id": case_study_id}))["node"]["relatedPractices"]
    owner_view = (await member.data(REPLICATION, {"id": replication_id}))["node"]["practice"]
    # then
    assert via_replication is None
    assert via_case_study == []
    assert owner_view == {"id": practice["id"]}


async def test_a_practice_lists_only_the_replications_its_viewer_may_read(world: World) -> None:
    # given: a published practice of B with a draft replication by A
    practice = await create_practice(world.admin, world.org_b, published=True)
    draft = await world.admin.mutate(
        CREATED_ID.format(input="ReplicationInput", name="createReplication", field="replication"),
        {**await replication_input(world, world.org_a), "practiceId": practice["id"]},
    )
    # when
    seen = {
        role: (await client.data(PRACTICE_REPLICATIONS, {"id": practice["id"]}))["node"]["replications"]
        for role, client in world.clients.items()
    }
    # then
    mine = [{"id": draft["replication"]["id"]}]
    assert seen["anonymous"] == seen["outsider"] == seen["partner"] == []
    assert seen["member"] == seen["reviewer"] == mine


async def test_the_audit_trail_is_for_the_owner_and_reviewers(world: World) -> None:
    # given: a draft edited once
    draft, version = await item(world, "Practice")
    await world.clients["member"].mutate(
        _mutation("updatePractice", "UpdatePracticeInput"),
        {"id": draft, "version": version, "changes": {"title": "Judul Baru"}},
    )
    await publish(world.admin, draft, version + 1)
    # when
    trails = {
        role: (await client.data(AUDIT, {"id": draft}))["node"]["auditTrail"]
        for role, client in world.clients.items()
    }
    # then
    assert trails["anonymous"] == trails["outsider"] == trails["partner"] == []
    assert [entry["action"] for entry in trails["member"]] == ["PUBLISHED", "SUBMITTED", "EDITED", "CREATED"]
    assert trails["reviewer"] == trails["member"]
    assert trails["member"][2]["actor"] is not None


ORGANIZATION_AUDIT = """
query($id: ID!) {
  node(id: $id) { ... on Organization { auditTrail { action actorName changes { field } } } }
}
"""


async def test_an_organizations_audit_trail_is_for_its_own_users_and_reviewers(world: World) -> None:
    # given: the organization's admin edits its description
    mutation, input = await _update_organization(world)
    edited = await world.clients["org_admin"].mutate(mutation, input)
    assert edited["errors"] == []
    # when
    trails = {
        role: (await client.data(ORGANIZATION_AUDIT, {"id": world.org_a}))["node"]["auditTrail"]
        for role, client in world.clients.items()
    }
    # then
    assert trails["anonymous"] == trails["outsider"] == trails["partner"] == []
    assert [(entry["action"], entry["changes"]) for entry in trails["member"]] == [
        ("EDITED", [{"field": "description"}])
    ]
    assert trails["reviewer"] == trails["org_admin"] == trails["hub_admin"] == trails["member"]
    assert trails["member"][0]["actorName"]


async def test_contact_email_and_phone_are_only_for_signed_in_users(world: World) -> None:
    # given
    contact = {"name": "Ibu Lurah", "email": "lurah@depokjaya.go.id", "phone": "+62 21 555 0101"}
    practice = await create_practice(world.admin, world.org_a, published=True, contact=contact)
    # when
    anonymous = (await world.clients["anonymous"].data(CONTACT, {"id": practice["id"]}))["node"]["contact"]
    outsider = (await world.clients["outsider"].data(CONTACT, {"id": practice["id"]}))["node"]["contact"]
    # then
    assert anonymous == {"name": "Ibu Lurah", "email": None, "phone": None}
    assert outsider == contact


REPORTERS = (
    "query($id: ID!) { node(id: $id) { ... on Practice { results { reports { value reportedByName "
    "reportedBy { name } } latest { reportedByName } } } } }"
)


async def test_who_reported_an_indicator_is_only_for_signed_in_users(world: World) -> None:
    # given a published practice with a report
    practice = await _reported_practice(world)
    reported = await world.admin.mutate(
        "mutation($input: ReportIndicatorInput!) { reportIndicator(input: $input) { errors { code } } }",
        {"subjectId": practice, **_REPORT},
    )
    assert reported["errors"] == []
    # when
    seen = {
        role: (await client.data(REPORTERS, {"id": practice}))["node"]["results"][0]
        for role, client in world.clients.items()
    }
    # then everyone sees the value, only the signed-in see who reported it
    assert {role: found["reports"][0]["value"] for role, found in seen.items()} == dict.fromkeys(
        ROLES, _REPORT["value"]
    )
    named = {role for role, found in seen.items() if found["reports"][0]["reportedByName"]}
    assert named == set(SIGNED_IN)
    assert seen["anonymous"]["reports"][0]["reportedBy"] is None
    assert seen["anonymous"]["latest"]["reportedByName"] is None


async def test_content_stored_by_an_older_version_gets_its_derived_fields_once(stores: Stores) -> None:
    # given: a published and a draft practice as an older version stored them (no readers, no sort keys)
    base = {
        "title": "Lama",
        "summary": "Ringkasan",
        "organization_id": "org-lama",
        "version": 1,
        "created_at": datetime(2024, 5, 1, tzinfo=UTC),
    }
    await stores.practices.collection.insert_many(
        [
            {"_id": "old-published", **base, "status": "PUBLISHED"},
            {"_id": "old-draft", **base, "status": "DRAFT"},
        ]
    )
    # when: the app starts (indexes and migrations), twice
    await stores.ensure_indexes()
    await stores.practices.collection.insert_one({"_id": "after", **base, "status": "PUBLISHED"})
    await stores.ensure_indexes()
    # then: the old ones are readable, sortable and due for indexing; the migration ran only once
    stored = {d["_id"]: d async for d in stores.practices.collection.find({})}
    assert stored["old-published"]["readers"] == ["public", "org-lama"]
    assert stored["old-draft"]["readers"] == ["org-lama"]
    assert all(
        "newest_key" in stored[key] and stored[key]["search_pending"]
        for key in ("old-published", "old-draft")
    )
    assert "readers" not in stored["after"]
