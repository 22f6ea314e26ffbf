"""Helpers for tests: a GraphQL client and factories that write through the real API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from resolvers.accounts import create_user, issue_session
from resolvers.auth import AuthConfig
from storage.database import Stores
from storage.records import OrganizationRecord, UserRecord
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING
from storage.vocabulary import OrganizationKind, Role

# Accounts in tests: a fixed secret key (tokens minted by the tests work in the app) and the
# cheapest argon2 parameters (a hash takes about a millisecond instead of a tenth of a second).
TEST_SECRET_KEY = "lumbung-test-secret-key-" + "0123456789" * 3
TEST_HASH_COST = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}
TEST_AUTH = AuthConfig(secret_key=TEST_SECRET_KEY.encode(), hash_time_cost=1, hash_memory_kib=1024)
TEST_PASSWORD = "kata-sandi-uji-123"


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    # Sent as a bearer token with every request when set.
    token: str | None = None

    def as_user(self, token: str | None) -> GraphQLClient:
        """A client of the same app that signs its requests with ``token`` (None: anonymous)."""
        return GraphQLClient(self.http, token)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response body; fails on anything but a JSON 200."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a response that must have no errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, input: dict[str, Any]) -> dict[str, Any]:
        """The payload of a single-field mutation document (whatever its errors)."""
        data = await self.data(query, {"input": input})
        (payload,) = data.values()
        result: dict[str, Any] = payload
        return result


CREATE_ORGANIZATION = """
mutation($input: OrganizationInput!) {
  createOrganization(input: $input) { organization { id version name } errors { field code message } }
}
"""

CREATE_PRACTICE = """
mutation($input: PracticeInput!) {
  createPractice(input: $input) {
    practice { id version title status stage themes sdgs regions { code } organization { id name } }
    errors { field code message }
  }
}
"""

MOVE_PRACTICE = """
mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) { practice { id version organization { id } } errors { field code message } }
}
"""

CREATE_REPLICATION = """
mutation($input: ReplicationInput!) {
  createReplication(input: $input) { replication { id version } errors { field code message } }
}
"""


def organization_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Pemerintah Kecamatan Sukmajaya",
        "kind": "KECAMATAN_GOVERNMENT",
        "regionCode": "32.76.05",
        **overrides,
    }


def practice_input(organization_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Bank Sampah Digital Kelurahan Sukmajaya",
        "titleEn": "Digital waste bank of Sukmajaya",
        "summary": "Warga menabung sampah terpilah dan mencatat saldo lewat aplikasi.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [11, 12],
        "problem": "Sampah rumah tangga menumpuk di TPS dan sungai.",
        "approach": "Bank sampah per RW dengan penimbangan mingguan dan saldo digital.",
        "stage": "APPLIED",
        "funding": [{"source": "DANA_KELURAHAN", "amount": 150_000_000}],
        "period": {"start": "2023-01-01", "end": "2025-12-31"},
        **overrides,
    }


SUBMIT = """
mutation($input: StepInput!) {
  submitForReview(input: $input) { content { id version status } errors { field code message } }
}
"""
PUBLISH = """
mutation($input: StepInput!) {
  publish(input: $input) { content { id version status } errors { field code message } }
}
"""


async def publish(api: GraphQLClient, id: str, version: int) -> int:
    """Submit and publish an item as ``api``'s user (a hub admin may do both); its new version."""
    submitted = await api.mutate(SUBMIT, {"id": id, "version": version})
    assert submitted["errors"] == [], submitted["errors"]
    published = await api.mutate(PUBLISH, {"id": id, "version": submitted["content"]["version"]})
    assert published["errors"] == [], published["errors"]
    new_version: int = published["content"]["version"]
    return new_version


async def organization_record(
    stores: Stores, *, name: str = "Pemerintah Kelurahan Depok Jaya", kind: OrganizationKind, **fields: Any
) -> OrganizationRecord:
    """An organization written straight to the store (for the users of account tests)."""
    return await stores.organizations.insert({"name": name, "kind": kind.value, "verified": True, **fields})


_user_serial = 0


async def user_with_token(
    stores: Stores,
    *,
    role: Role,
    organization_id: str,
    email: str | None = None,
    name: str | None = None,
    password: str = TEST_PASSWORD,
) -> tuple[UserRecord, str]:
    """A user of ``organization_id`` with ``role``, and a live access token of theirs."""
    global _user_serial
    _user_serial += 1
    user = await create_user(
        stores,
        TEST_AUTH,
        email=email or f"pengguna{_user_serial}@contoh.go.id",
        name=name or f"Pengguna Uji {_user_serial}",
        password=password,
        role=role,
        organization_id=organization_id,
    )
    session = await issue_session(stores, TEST_AUTH, user)
    return user, session.access_token


# The organization of the hub admin that most tests act as: it shows in organization listings.
HUB_ADMIN_ORGANIZATION = "Asosiasi Pemerintah Kecamatan dan Kelurahan (uji)"


async def hub_admin_token(stores: Stores) -> str:
    """A token of an admin of the association (allowed everything)."""
    association = await organization_record(
        stores, name=HUB_ADMIN_ORGANIZATION, kind=OrganizationKind.ASSOCIATION
    )
    _, token = await user_with_token(stores, role=Role.ADMIN, organization_id=association.id)
    return token


async def create_organization(api: GraphQLClient, **overrides: Any) -> str:
    payload = await api.mutate(CREATE_ORGANIZATION, organization_input(**overrides))
    assert payload["errors"] == [], payload["errors"]
    organization_id: str = payload["organization"]["id"]
    return organization_id


async def create_practice(
    api: GraphQLClient, organization_id: str, *, published: bool = False, **overrides: Any
) -> dict[str, Any]:
    """A practice, a draft unless ``published`` (then submitted and published as ``api``'s user)."""
    payload = await api.mutate(CREATE_PRACTICE, practice_input(organization_id, **overrides))
    assert payload["errors"] == [], payload["errors"]
    practice: dict[str, Any] = payload["practice"]
    if published:
        version = await publish(api, practice["id"], practice["version"])
        practice = {**practice, "version": version, "status": "PUBLISHED"}
    return practice


async def create_replication(
    api: GraphQLClient, organization_id: str, practice_id: str, **overrides: Any
) -> str:
    payload = await api.mutate(
        CREATE_REPLICATION,
        {
            "title": "Replikasi Bank Sampah di Kelurahan Keputih",
            "summary": "Kelurahan Keputih meniru bank sampah digital.",
            "organizationId": organization_id,
            "regionCodes": ["35.78.09.1001"],
            "themes": ["WASTE_MANAGEMENT"],
            "practiceId": practice_id,
            "adaptations": "Penimbangan dua mingguan, pencatatan manual di buku tabungan.",
            **overrides,
        },
    )
    assert payload["errors"] == [], payload["errors"]
    replication_id: str = payload["replication"]["id"]
    return replication_id


async def wait_until_indexed(stores: Stores, *, within: float = 60.0) -> None:
    """Wait until the app's indexer has no pending record or deletion left (it runs in the app)."""
    for _ in range(int(within * 20)):
        pending = [
            await store.collection.count_documents({SEARCH_PENDING: True}) for store in stores.searchable
        ]
        deletions = await stores.database[SEARCH_OUTBOX].count_documents({"done": False})
        if not any(pending) and not deletions:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still pending after {within} s: {pending} records, {deletions} deletions")
