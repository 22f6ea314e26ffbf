"""Organizations: create, read, update, delete, validation, listing and what keeps one from deletion."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from storage.database import Stores
from storage.store import AuditNote, VersionedStore
from tests.support import (
    CREATE_ORGANIZATION,
    CREATE_PRACTICE,
    HUB_ADMIN_ORGANIZATION,
    MOVE_PRACTICE,
    GraphQLClient,
    create_organization,
    create_practice,
    organization_input,
    practice_input,
)

ORGANIZATION = """
query($id: ID!) {
  organization(id: $id) {
    id name kind verified description website version
    region { code name level }
  }
}
"""

ORGANIZATIONS = """
query(
  $kind: [OrganizationKind!], $regionCode: String, $order: OrganizationOrder, $first: Int, $after: String
) {
  organizations(kind: $kind, regionCode: $regionCode, order: $order, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

UPDATE_ORGANIZATION = """
mutation($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { id version name kind description website region { code } }
    errors { field code message }
  }
}
"""

DELETE_ORGANIZATION = """
mutation($input: DeleteInput!) {
  deleteOrganization(input: $input) { organization { id name } errors { field code message } }
}
"""

DELETE_PRACTICE = """
mutation($input: DeleteInput!) {
  deletePractice(input: $input) { practice { id } errors { field code message } }
}
"""

CREATE_PARTNERSHIP = """
mutation($input: PartnershipInput!) {
  createPartnership(input: $input) { partnership { id version } errors { field code message } }
}
"""

UPDATE_PARTNERSHIP = """
mutation($input: UpdatePartnershipInput!) {
  updatePartnership(input: $input) { partnership { id version } errors { field code message } }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def names(api: GraphQLClient, **variables: Any) -> list[str]:
    """Names listed, but for the signed-in hub admin's own association."""
    data = await api.data(ORGANIZATIONS, variables)
    listed = [edge["node"]["name"] for edge in data["organizations"]["edges"]]
    return [name for name in listed if name != HUB_ADMIN_ORGANIZATION]


async def total(api: GraphQLClient, **variables: Any) -> int:
    """The total count, but for the signed-in hub admin's own association (which has no region)."""
    count: int = (await api.data(ORGANIZATIONS, variables))["organizations"]["totalCount"]
    return count - 1 if not variables.get("regionCode") and not variables.get("kind") else count


async def create_partnership(
    api: GraphQLClient, organization_id: str, partners: list[dict[str, str]], **overrides: Any
) -> str:
    payload = await api.mutate(
        CREATE_PARTNERSHIP,
        {
            "title": "Kemitraan Pengelolaan Sampah Sukmajaya",
            "summary": "Kecamatan dan LSM mengelola bank sampah bersama.",
            "organizationId": organization_id,
            "regionCodes": ["32.76.05"],
            "themes": ["WASTE_MANAGEMENT"],
            "partners": partners,
            **overrides,
        },
    )
    assert payload["errors"] == [], payload["errors"]
    partnership_id: str = payload["partnership"]["id"]
    return partnership_id


async def test_create_organization_is_readable_by_id(api: GraphQLClient) -> None:
    # given
    payload = await api.mutate(
        CREATE_ORGANIZATION,
        organization_input(
            verified=True,
            description="Kantor kecamatan di pusat Kota Depok.",
            website="https://sukmajaya.depok.go.id",
        ),
    )
    # when
    data = await api.data(ORGANIZATION, {"id": payload["organization"]["id"]})
    # then
    assert payload["errors"] == []
    assert data["organization"] == {
        "id": payload["organization"]["id"],
        "name": "Pemerintah Kecamatan Sukmajaya",
        "kind": "KECAMATAN_GOVERNMENT",
        "verified": True,
        "description": "Kantor kecamatan di pusat Kota Depok.",
        "website": "https://sukmajaya.depok.go.id",
        "version": 1,
        "region": {"code": "32.76.05", "name": "Sukmajaya", "level": "KECAMATAN"},
    }


async def test_create_organization_without_name_or_kind_reports_both_as_required(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_ORGANIZATION, {"regionCode": "32.76.05"})
    # then
    assert payload["organization"] is None
    assert set(codes(payload)) == {("name", "REQUIRED"), ("kind", "REQUIRED")}
    assert await total(api) == 0


async def test_create_organization_with_too_long_name_is_rejected(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_ORGANIZATION, organization_input(name="Kelompok " + "x" * 200))
    # then
    assert payload["organization"] is None
    assert codes(payload) == [("name", "TOO_LONG")]
    assert await total(api) == 0


async def test_create_organization_in_unknown_region_is_rejected(api: GraphQLClient) -> None:
    # when: Kota Depok has no kecamatan 99
    payload = await api.mutate(CREATE_ORGANIZATION, organization_input(regionCode="32.76.99"))
    # then
    assert payload["organization"] is None
    assert codes(payload) == [("regionCode", "UNKNOWN_REGION")]
    assert await total(api) == 0


@pytest.mark.parametrize(
    "website", ["sukmajaya.depok.go.id", "ftp://sukmajaya.depok.go.id", "https://sukmajaya depok"]
)
async def test_create_organization_with_website_that_is_not_a_web_url_is_invalid(
    api: GraphQLClient, website: str
) -> None:
    # when
    payload = await api.mutate(CREATE_ORGANIZATION, organization_input(website=website))
    # then
    assert payload["organization"] is None
    assert codes(payload) == [("website", "INVALID")]
    assert await total(api) == 0


async def test_update_organization_changes_only_given_fields_and_bumps_version(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api, description="Kantor kecamatan.")
    # when
    payload = await api.mutate(
        UPDATE_ORGANIZATION,
        {"id": organization_id, "version": 1, "changes": {"website": "https://sukmajaya.depok.go.id"}},
    )
    # then
    assert payload["errors"] == []
    assert payload["organization"] == {
        "id": organization_id,
        "version": 2,
        "name": "Pemerintah Kecamatan Sukmajaya",
        "kind": "KECAMATAN_GOVERNMENT",
        "description": "Kantor kecamatan.",
        "website": "https://sukmajaya.depok.go.id",
        "region": {"code": "32.76.05"},
    }


async def test_update_organization_with_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    first = await api.mutate(
        UPDATE_ORGANIZATION, {"id": organization_id, "version": 1, "changes": {"name": "Kecamatan A"}}
    )
    # when
    second = await api.mutate(
        UPDATE_ORGANIZATION, {"id": organization_id, "version": 1, "changes": {"name": "Kecamatan B"}}
    )
    # then
    assert first["errors"] == []
    assert second["organization"] is None
    assert codes(second) == [("version", "CONFLICT")]
    organization = (await api.data(ORGANIZATION, {"id": organization_id}))["organization"]
    assert (organization["name"], organization["version"]) == ("Kecamatan A", 2)


async def test_update_organization_region_moves_it_to_the_new_region_listing(api: GraphQLClient) -> None:
    # given: an organization in Kota Depok
    organization_id = await create_organization(api, name="Komunitas Peduli Sungai")
    # when: it moves to kelurahan Keputih, Kota Surabaya
    payload = await api.mutate(
        UPDATE_ORGANIZATION,
        {"id": organization_id, "version": 1, "changes": {"regionCode": "35.78.09.1001"}},
    )
    # then
    assert payload["errors"] == []
    assert await names(api, regionCode="35.78") == ["Komunitas Peduli Sungai"]
    assert await names(api, regionCode="32.76") == []


async def test_organizations_in_a_city_include_those_in_its_kecamatan_and_kelurahan(
    api: GraphQLClient,
) -> None:
    # given
    await create_organization(api, name="Pemerintah Kecamatan Sukmajaya", regionCode="32.76.05")
    await create_organization(
        api, name="Pemerintah Kelurahan Abadijaya", kind="KELURAHAN_GOVERNMENT", regionCode="32.76.05.1003"
    )
    await create_organization(api, name="Pemerintah Kecamatan Gambir", regionCode="31.71.01")
    await create_organization(api, name="Yayasan Tanpa Wilayah", kind="NGO", regionCode=None)
    # when
    in_depok = await names(api, regionCode="32.76")
    in_sukmajaya = await names(api, regionCode="32.76.05")
    in_abadijaya = await names(api, regionCode="32.76.05.1003")
    # then
    assert in_depok == ["Pemerintah Kecamatan Sukmajaya", "Pemerintah Kelurahan Abadijaya"]
    assert in_sukmajaya == in_depok
    assert in_abadijaya == ["Pemerintah Kelurahan Abadijaya"]
    assert await total(api, regionCode="32.76") == 2
    assert await total(api) == 4


async def test_organizations_of_several_kinds_match_any_of_them(api: GraphQLClient) -> None:
    # given
    await create_organization(api, name="Yayasan Bumi Lestari", kind="NGO")
    await create_organization(api, name="Universitas Indonesia", kind="ACADEMIC")
    await create_organization(api, name="Pemerintah Kecamatan Sukmajaya", kind="KECAMATAN_GOVERNMENT")
    # when
    found = await names(api, kind=["NGO", "ACADEMIC"])
    # then
    assert found == ["Universitas Indonesia", "Yayasan Bumi Lestari"]
    assert await total(api, kind=["NGO", "ACADEMIC"]) == 2
    assert await names(api, kind=["ASSOCIATION"]) == []  # but for the hub admin's own


async def test_organizations_by_name_ignore_case_and_newest_puts_the_latest_first(
    api: GraphQLClient,
) -> None:
    # given: created in this order, which is neither alphabetical nor newest first
    await create_organization(api, name="Bank Sampah Induk")
    await create_organization(api, name="apotek Hidup Warga")
    await create_organization(api, name="cendana Community")
    # when
    by_name = await names(api, order="NAME")
    by_default = await names(api)
    newest = await names(api, order="NEWEST")
    # then
    assert by_name == ["apotek Hidup Warga", "Bank Sampah Induk", "cendana Community"]
    assert by_default == by_name
    assert newest == ["cendana Community", "apotek Hidup Warga", "Bank Sampah Induk"]


@pytest.mark.parametrize("order", ["NAME", "NEWEST"])
async def test_organizations_pages_return_every_organization_exactly_once(
    api: GraphQLClient, order: str
) -> None:
    # given: seven organizations, three of them sharing one name
    created = [
        await create_organization(api, name=name)
        for name in [
            "Karang Taruna",
            "posyandu Melati",
            "Karang Taruna",
            "Bank Sampah",
            "Karang Taruna",
            "PKK Sukmajaya",
            "Apel Foundation",
        ]
    ]
    # when: read three at a time
    seen: list[dict[str, str]] = []
    totals: list[int] = []
    after: str | None = None
    while True:
        data = await api.data(
            ORGANIZATIONS, {"order": order, "first": 3, "after": after, "kind": ["KECAMATAN_GOVERNMENT"]}
        )
        page = data["organizations"]
        seen += [edge["node"] for edge in page["edges"]]
        totals.append(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert sorted(node["id"] for node in seen) == sorted(created)
    assert totals == [7, 7, 7]
    if order == "NEWEST":
        assert [node["id"] for node in seen] == created[::-1]
    else:
        assert [node["name"] for node in seen] == [
            "Apel Foundation",
            "Bank Sampah",
            "Karang Taruna",
            "Karang Taruna",
            "Karang Taruna",
            "PKK Sukmajaya",
            "posyandu Melati",
        ]


async def test_organization_by_id_is_null_once_deleted(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    # when
    stale = await api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 2})
    deleted = await api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1})
    again = await api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1})
    # then
    assert codes(stale) == [("version", "CONFLICT")]
    assert deleted == {
        "organization": {"id": organization_id, "name": "Pemerintah Kecamatan Sukmajaya"},
        "errors": [],
    }
    assert codes(again) == [("id", "NOT_FOUND")]
    assert (await api.data(ORGANIZATION, {"id": organization_id}))["organization"] is None
    assert await total(api) == 0


async def test_delete_organization_owning_a_practice_is_refused_until_the_practice_is_gone(
    api: GraphQLClient,
) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    # when
    refused = await api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1})
    removed = await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1})
    allowed = await api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1})
    # then
    assert refused["organization"] is None
    assert codes(refused) == [("id", "IN_USE")]
    assert refused["errors"][0]["message"]
    assert removed["errors"] == []
    assert allowed["errors"] == []
    assert (await api.data(ORGANIZATION, {"id": organization_id}))["organization"] is None


async def test_delete_organization_partnering_in_a_partnership_is_refused_until_removed_from_it(
    api: GraphQLClient,
) -> None:
    # given: an NGO that owns nothing but is a partner of the kecamatan's partnership
    kecamatan_id = await create_organization(api)
    ngo_id = await create_organization(api, name="Yayasan Bumi Lestari", kind="NGO")
    partnership_id = await create_partnership(
        api,
        kecamatan_id,
        [{"organizationId": kecamatan_id, "role": "LEAD"}, {"organizationId": ngo_id, "role": "IMPLEMENTER"}],
    )
    # when
    refused = await api.mutate(DELETE_ORGANIZATION, {"id": ngo_id, "version": 1})
    removed = await api.mutate(
        UPDATE_PARTNERSHIP,
        {
            "id": partnership_id,
            "version": 1,
            "changes": {"partners": [{"organizationId": kecamatan_id, "role": "LEAD"}]},
        },
    )
    allowed = await api.mutate(DELETE_ORGANIZATION, {"id": ngo_id, "version": 1})
    # then
    assert codes(refused) == [("id", "IN_USE")]
    assert removed["errors"] == []
    assert allowed["errors"] == []
    assert (await api.data(ORGANIZATION, {"id": ngo_id}))["organization"] is None
    assert (await api.data(ORGANIZATION, {"id": kecamatan_id}))["organization"] is not None


async def test_delete_organization_contributing_to_a_partnership_is_refused(api: GraphQLClient) -> None:
    # given: a company that funds the kecamatan's partnership without being listed as a partner
    kecamatan_id = await create_organization(api)
    company_id = await create_organization(api, name="PT Daur Ulang Nusantara", kind="PRIVATE_SECTOR")
    await create_partnership(
        api,
        kecamatan_id,
        [{"organizationId": kecamatan_id, "role": "LEAD"}],
        contributions=[{"organizationId": company_id, "description": "Dana CSR", "amount": 100_000_000}],
    )
    # when
    payload = await api.mutate(DELETE_ORGANIZATION, {"id": company_id, "version": 1})
    # then: the partnership must not be left with a contribution from nobody
    assert payload["organization"] is None
    assert codes(payload) == [("id", "IN_USE")]
    assert (await api.data(ORGANIZATION, {"id": company_id}))["organization"] is not None


class PausedWrite:
    """Holds the transactions of one collection's writes open, just before their audit entry.

    While one is held, the write it belongs to has made all its changes but not committed them:
    the moment when a concurrent write must not slip past it.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, collection: str) -> None:
        self.reached = asyncio.Event()
        self.released = asyncio.Event()
        audit = VersionedStore._audit

        async def pausing(store: VersionedStore[Any], note: AuditNote | None, **kwargs: Any) -> None:
            if store.collection.name == collection:
                self.reached.set()
                await self.released.wait()
            await audit(store, note, **kwargs)

        monkeypatch.setattr(VersionedStore, "_audit", pausing)

    async def meanwhile(
        self, held: Awaitable[dict[str, Any]], concurrent: Callable[[], Awaitable[dict[str, Any]]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start ``held`` and hold it; start ``concurrent``, give it time to run; release both."""
        first = asyncio.ensure_future(held)
        await asyncio.wait_for(self.reached.wait(), timeout=30)
        second = asyncio.ensure_future(concurrent())
        await asyncio.sleep(0.5)  # the concurrent write runs into the held transaction
        self.released.set()
        return await first, await second


async def test_organization_deleted_while_a_practice_is_created_for_it_is_kept_for_the_practice(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a practice for the organization, written but not yet committed
    organization_id = await create_organization(api)
    paused = PausedWrite(monkeypatch, "practices")
    # when: the organization is deleted in that moment
    created, deleted = await paused.meanwhile(
        api.mutate(CREATE_PRACTICE, practice_input(organization_id)),
        lambda: api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1}),
    )
    # then: the delete waited for the practice, and then found it
    assert created["errors"] == []
    assert codes(deleted) == [("id", "IN_USE")]
    assert (await api.data(ORGANIZATION, {"id": organization_id}))["organization"] is not None


async def test_practice_created_for_an_organization_being_deleted_is_refused(
    api: GraphQLClient, stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the organization's delete, written but not yet committed
    organization_id = await create_organization(api)
    paused = PausedWrite(monkeypatch, "organizations")
    # when: a practice is created for it in that moment
    deleted, created = await paused.meanwhile(
        api.mutate(DELETE_ORGANIZATION, {"id": organization_id, "version": 1}),
        lambda: api.mutate(CREATE_PRACTICE, practice_input(organization_id)),
    )
    # then: the practice is refused as it would be a moment later, and nothing points at nothing
    assert deleted["errors"] == []
    assert codes(created) == [("organizationId", "UNKNOWN_ORGANIZATION")]
    assert await stores.practices.collection.count_documents({}) == 0


async def test_practice_moved_to_an_organization_being_deleted_is_refused(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a practice of one organization, and another organization's delete, not yet committed
    owner_id = await create_organization(api)
    practice = await create_practice(api, owner_id)
    leaving_id = await create_organization(
        api, name="Pemerintah Kelurahan Abadijaya", kind="KELURAHAN_GOVERNMENT"
    )
    paused = PausedWrite(monkeypatch, "organizations")
    # when: the practice is moved to the organization being deleted, in that moment
    deleted, moved = await paused.meanwhile(
        api.mutate(DELETE_ORGANIZATION, {"id": leaving_id, "version": 1}),
        lambda: api.mutate(
            MOVE_PRACTICE,
            {"id": practice["id"], "version": practice["version"], "changes": {"organizationId": leaving_id}},
        ),
    )
    # then
    assert deleted["errors"] == []
    assert codes(moved) == [("organizationId", "UNKNOWN_ORGANIZATION")]
