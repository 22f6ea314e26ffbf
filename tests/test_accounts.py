"""Accounts: sign-in, tokens with expiry and refresh, sign-out, passwords, invitations, removal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from resolvers.ids import encode_id
from server.supervisor import LocalService
from storage.database import Stores
from storage.store import utc_now
from storage.vocabulary import OrganizationKind, Role
from tests.conftest import running_app, settings_for
from tests.support import (
    TEST_PASSWORD,
    GraphQLClient,
    hub_admin_token,
    organization_record,
    user_with_token,
)

SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) {
    session { accessToken refreshToken accessTokenExpiresAt user { name role email } }
    errors { field code message }
  }
}
"""
REFRESH = """
mutation($input: RefreshSessionInput!) {
  refreshSession(input: $input) { session { accessToken refreshToken } errors { field code } }
}
"""
SIGN_OUT = "mutation { signOut { errors { code } } }"
CHANGE_PASSWORD = """
mutation($input: ChangePasswordInput!) {
  changePassword(input: $input) { user { name } errors { field code } }
}
"""
INVITE = """
mutation($input: InviteUserInput!) {
  inviteUser(input: $input) {
    invitation { email role organization { name } expiresAt }
    token
    errors { field code }
  }
}
"""
ACCEPT = """
mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    session { accessToken user { name role email organization { name } } }
    errors { field code }
  }
}
"""
REMOVE = (
    "mutation($input: RemoveUserInput!) { removeUser(input: $input) { user { name } errors { field code } } }"
)
VIEWER = "{ viewer { name role email organization { name } } }"
USERS = "query($id: ID!) { users(organizationId: $id) { nodes { name email } } }"

EMAIL = "lurah@depokjaya.go.id"


@pytest.fixture
async def hub(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[GraphQLClient]:
    """The app, anonymous, with sign-in limits low enough to reach: 3 per account, 6 per address."""
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_index_prefix="shared",
        search_indexer=False,
        sign_in_max_failures_per_account=3,
        sign_in_max_failures_per_address=6,
    )
    async with running_app(settings) as client:
        yield client


@pytest.fixture
async def organization(stores: Stores) -> str:
    record = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    return record.id


async def sign_in(hub: GraphQLClient, email: str = EMAIL, password: str = TEST_PASSWORD) -> dict[str, Any]:
    return await hub.mutate(SIGN_IN, {"email": email, "password": password})


async def status_of(hub: GraphQLClient, token: str) -> int:
    response = await hub.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_sign_in_returns_tokens_that_identify_the_viewer(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    # when: the email's case and spaces do not matter
    payload = await sign_in(hub, email="  Lurah@DepokJaya.go.id ")
    viewer = await hub.as_user(payload["session"]["accessToken"]).data(VIEWER)
    anonymous = await hub.data(VIEWER)
    # then
    assert payload["errors"] == []
    assert payload["session"]["user"]["role"] == "MEMBER"
    assert viewer["viewer"]["email"] == EMAIL
    assert viewer["viewer"]["organization"] == {"name": "Pemerintah Kelurahan Depok Jaya"}
    assert anonymous == {"viewer": None}


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    # when
    wrong_password = await sign_in(hub, password="bukan-kata-sandinya")
    unknown_email = await sign_in(hub, email="siapa@contoh.go.id")
    # then
    assert wrong_password == unknown_email
    assert wrong_password["session"] is None
    assert wrong_password["errors"] == [
        {"field": None, "code": "INVALID_CREDENTIALS", "message": "The email or the password is wrong."}
    ]


async def test_sign_in_is_throttled_per_account_even_for_the_right_password(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: three failures on one account (the limit in this app)
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    for _ in range(3):
        await sign_in(hub, password="tebakan-salah-123")
    # when
    right = await sign_in(hub)
    unknown = [await sign_in(hub, email="tidak.ada@contoh.go.id", password="x" * 12) for _ in range(4)]
    # then: the same holds for an email nobody has, so throttling reveals nothing either
    assert [e["code"] for e in right["errors"]] == ["TOO_MANY_ATTEMPTS"]
    assert [e["code"] for e in unknown[-1]["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_sign_in_is_throttled_per_client_address(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: six failures from one address, spread over accounts so that none is throttled itself
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    for index in range(6):
        await sign_in(hub, email=f"coba{index}@contoh.go.id", password="tebakan-salah-123")
    # when
    right = await sign_in(hub)
    # then
    assert [e["code"] for e in right["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_refresh_rotates_the_tokens_and_the_old_ones_stop_working(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    first = (await sign_in(hub))["session"]
    # when
    refreshed = await hub.mutate(REFRESH, {"refreshToken": first["refreshToken"]})
    replayed = await hub.mutate(REFRESH, {"refreshToken": first["refreshToken"]})
    # then
    assert refreshed["errors"] == []
    assert await status_of(hub, refreshed["session"]["accessToken"]) == 200
    assert await status_of(hub, first["accessToken"]) == 401
    assert replayed == {"session": None, "errors": [{"field": "refreshToken", "code": "INVALID_TOKEN"}]}


async def test_sign_out_revokes_the_session(hub: GraphQLClient, stores: Stores, organization: str) -> None:
    # given
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    session = (await sign_in(hub))["session"]
    signed_in = hub.as_user(session["accessToken"])
    # when
    signed_out = (await signed_in.data(SIGN_OUT))["signOut"]
    refreshed = await hub.mutate(REFRESH, {"refreshToken": session["refreshToken"]})
    # then
    assert signed_out == {"errors": []}
    assert await status_of(hub, session["accessToken"]) == 401
    assert refreshed["errors"] == [{"field": "refreshToken", "code": "INVALID_TOKEN"}]


async def test_an_expired_access_token_is_refused_and_the_refresh_token_still_works(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: a session whose access token expired a second ago
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    session = (await sign_in(hub))["session"]
    session_id = session["accessToken"].split(".")[0]
    await stores.sessions.collection.update_one(
        {"_id": session_id}, {"$set": {"access_expires_at": utc_now() - timedelta(seconds=1)}}
    )
    # when
    response = await hub.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {session['accessToken']}"}
    )
    refreshed = await hub.mutate(REFRESH, {"refreshToken": session["refreshToken"]})
    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert refreshed["errors"] == []


async def test_changing_the_password_signs_out_the_other_sessions(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: signed in twice
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    here = (await sign_in(hub))["session"]["accessToken"]
    elsewhere = (await sign_in(hub))["session"]["accessToken"]
    client = hub.as_user(here)
    # when
    wrong = await client.mutate(
        CHANGE_PASSWORD, {"currentPassword": "salah-sekali-1", "newPassword": "baru-dan-panjang-1"}
    )
    weak = await client.mutate(CHANGE_PASSWORD, {"currentPassword": TEST_PASSWORD, "newPassword": "pendek"})
    changed = await client.mutate(
        CHANGE_PASSWORD, {"currentPassword": TEST_PASSWORD, "newPassword": "baru-dan-panjang-1"}
    )
    # then
    assert wrong["errors"] == [{"field": "currentPassword", "code": "INVALID_CREDENTIALS"}]
    assert weak["errors"] == [{"field": "newPassword", "code": "WEAK_PASSWORD"}]
    assert changed["errors"] == []
    assert await status_of(hub, here) == 200
    assert await status_of(hub, elsewhere) == 401
    assert (await sign_in(hub))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(hub, password="baru-dan-panjang-1"))["errors"] == []


async def test_an_invitation_creates_a_signed_in_account_once(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: the hub admin invites a member into the kelurahan
    admin = hub.as_user(await hub_admin_token(stores))
    invited = await admin.mutate(
        INVITE,
        {
            "email": "Sekretaris@DepokJaya.go.id",
            "organizationId": encode_id("Organization", organization),
            "role": "MEMBER",
        },
    )
    token = invited["token"]
    # when
    accepted = await hub.mutate(
        ACCEPT, {"token": token, "name": "Sekretaris Kelurahan", "password": "kata-sandi-baru-9"}
    )
    again = await hub.mutate(ACCEPT, {"token": token, "name": "Penyusup", "password": "kata-sandi-lain-9"})
    forged = await hub.mutate(
        ACCEPT, {"token": token[:-4] + "AAAA", "name": "Penyusup", "password": "kata-sandi-lain-9"}
    )
    # then
    assert invited["errors"] == []
    assert invited["invitation"]["email"] == "sekretaris@depokjaya.go.id"
    assert accepted["errors"] == []
    viewer = await hub.as_user(accepted["session"]["accessToken"]).data(VIEWER)
    assert viewer["viewer"] == {
        "name": "Sekretaris Kelurahan",
        "role": "MEMBER",
        "email": "sekretaris@depokjaya.go.id",
        "organization": {"name": "Pemerintah Kelurahan Depok Jaya"},
    }
    assert again == {"session": None, "errors": [{"field": "token", "code": "INVALID_TOKEN"}]}
    assert forged["errors"] == [{"field": "token", "code": "INVALID_TOKEN"}]
    assert (await sign_in(hub, email="sekretaris@depokjaya.go.id", password="kata-sandi-baru-9"))[
        "errors"
    ] == []


async def test_an_expired_invitation_cannot_be_accepted(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    admin = hub.as_user(await hub_admin_token(stores))
    invited = await admin.mutate(
        INVITE,
        {
            "email": "staf@depokjaya.go.id",
            "organizationId": encode_id("Organization", organization),
            "role": "MEMBER",
        },
    )
    await stores.invitations.collection.update_many(
        {}, {"$set": {"expires_at": utc_now() - timedelta(minutes=1)}}
    )
    # when
    accepted = await hub.mutate(
        ACCEPT, {"token": invited["token"], "name": "Staf", "password": "kata-sandi-baru-9"}
    )
    # then
    assert accepted["errors"] == [{"field": "token", "code": "INVALID_TOKEN"}]
    assert await stores.users.find_by_email("staf@depokjaya.go.id") is None


async def test_an_invitation_for_a_taken_email_or_a_bad_address_is_refused(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    admin = hub.as_user(await hub_admin_token(stores))
    organization_id = encode_id("Organization", organization)
    # when
    taken = await admin.mutate(
        INVITE, {"email": EMAIL.upper(), "organizationId": organization_id, "role": "MEMBER"}
    )
    malformed = await admin.mutate(
        INVITE, {"email": "bukan email", "organizationId": organization_id, "role": "MEMBER"}
    )
    # then
    assert taken["errors"] == [{"field": "email", "code": "DUPLICATE"}]
    assert malformed["errors"] == [{"field": "email", "code": "INVALID"}]


async def test_a_removed_user_cannot_use_their_tokens_or_sign_in(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    user, token = await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    admin = hub.as_user(await hub_admin_token(stores))
    # when
    removed = await admin.mutate(REMOVE, {"id": encode_id("User", user.id)})
    # then
    assert removed["errors"] == []
    assert await status_of(hub, token) == 401
    assert (await sign_in(hub))["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_emails_of_users_are_for_themselves_and_their_admins(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: a member and an admin of the kelurahan, and a member of another one
    _, member = await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    _, admin = await user_with_token(stores, role=Role.ADMIN, organization_id=organization)
    other = await organization_record(
        stores, name="Kelurahan Lain", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    _, outsider = await user_with_token(stores, role=Role.MEMBER, organization_id=other.id)
    organization_id = encode_id("Organization", organization)
    # when
    seen_by_admin = (await hub.as_user(admin).data(USERS, {"id": organization_id}))["users"]["nodes"]
    seen_by_member = (await hub.as_user(member).data(USERS, {"id": organization_id}))["users"]["nodes"]
    refused = await hub.as_user(outsider).post(USERS, {"id": organization_id})
    anonymous = await hub.post(USERS, {"id": organization_id})
    # then
    assert {user["email"] for user in seen_by_admin} >= {EMAIL}
    assert {user["email"] for user in seen_by_member} == {EMAIL, None}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"


USERS_PAGE = """
query($id: ID!, $after: String) {
  users(organizationId: $id, first: 2, after: $after) {
    totalCount
    nodes { name }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_the_users_of_an_organization_come_by_name_a_page_at_a_time(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: three users of the kelurahan, and one of another
    for name in ("Wulan", "Agus", "Made"):
        await user_with_token(stores, role=Role.MEMBER, organization_id=organization, name=name)
    other = await organization_record(
        stores, name="Kelurahan Lain", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    await user_with_token(stores, role=Role.MEMBER, organization_id=other.id, name="Bayu")
    reviewer = hub.as_user(await hub_admin_token(stores))
    organization_id = encode_id("Organization", organization)
    # when
    first = (await reviewer.data(USERS_PAGE, {"id": organization_id}))["users"]
    after = first["pageInfo"]["endCursor"]
    second = (await reviewer.data(USERS_PAGE, {"id": organization_id, "after": after}))["users"]
    bad_cursor = await reviewer.post(USERS_PAGE, {"id": organization_id, "after": "bukan-kursor"})
    # then
    assert first["nodes"] == [{"name": "Agus"}, {"name": "Made"}]
    assert first["totalCount"] == second["totalCount"] == 3
    assert (second["nodes"], second["pageInfo"]["hasNextPage"]) == ([{"name": "Wulan"}], False)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_invitation_must_fit_the_role_to_the_kind_of_organization(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given: a kelurahan government and an NGO
    admin = hub.as_user(await hub_admin_token(stores))
    ngo = await organization_record(stores, name="Yayasan Bumi", kind=OrganizationKind.NGO)
    kelurahan, yayasan = encode_id("Organization", organization), encode_id("Organization", ngo.id)
    # when
    member_of_ngo = await admin.mutate(
        INVITE, {"email": "a@bumi.or.id", "organizationId": yayasan, "role": "MEMBER"}
    )
    partner_of_kelurahan = await admin.mutate(
        INVITE, {"email": "b@depokjaya.go.id", "organizationId": kelurahan, "role": "PARTNER"}
    )
    reviewer_of_kelurahan = await admin.mutate(
        INVITE, {"email": "c@depokjaya.go.id", "organizationId": kelurahan, "role": "REVIEWER"}
    )
    partner_of_ngo = await admin.mutate(
        INVITE, {"email": "d@bumi.or.id", "organizationId": yayasan, "role": "PARTNER"}
    )
    # then
    for refused in (member_of_ngo, partner_of_kelurahan, reviewer_of_kelurahan):
        assert refused["errors"] == [{"field": "role", "code": "INVALID"}]
    assert partner_of_ngo["errors"] == []


async def test_users_are_not_readable_anonymously_through_node(
    hub: GraphQLClient, stores: Stores, organization: str
) -> None:
    # given
    user, token = await user_with_token(stores, role=Role.MEMBER, organization_id=organization, email=EMAIL)
    query = "query($id: ID!) { node(id: $id) { ... on User { name role } } }"
    user_id = encode_id("User", user.id)
    # when
    anonymous = await hub.data(query, {"id": user_id})
    colleague = await hub.as_user(token).data(query, {"id": user_id})
    # then
    assert anonymous == {"node": None}
    assert colleague == {"node": {"name": user.name, "role": "MEMBER"}}
