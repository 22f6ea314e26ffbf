"""Helpers for tests: a GraphQL client and factories that write through the real API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from storage.database import Stores
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response body; fails on anything but a JSON 200."""
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}})
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
        "status": "PUBLISHED",
        "problem": "Sampah rumah tangga menumpuk di TPS dan sungai.",
        "approach": "Bank sampah per RW dengan penimbangan mingguan dan saldo digital.",
        "stage": "APPLIED",
        "funding": [{"source": "DANA_KELURAHAN", "amount": 150_000_000}],
        "period": {"start": "2023-01-01", "end": "2025-12-31"},
        **overrides,
    }


async def create_organization(api: GraphQLClient, **overrides: Any) -> str:
    payload = await api.mutate(CREATE_ORGANIZATION, organization_input(**overrides))
    assert payload["errors"] == [], payload["errors"]
    organization_id: str = payload["organization"]["id"]
    return organization_id


async def create_practice(api: GraphQLClient, organization_id: str, **overrides: Any) -> dict[str, Any]:
    payload = await api.mutate(CREATE_PRACTICE, practice_input(organization_id, **overrides))
    assert payload["errors"] == [], payload["errors"]
    practice: dict[str, Any] = payload["practice"]
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
            "status": "PUBLISHED",
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
