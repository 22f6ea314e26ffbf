"""Partnerships: create, read, update, delete, validation of partners and money, and listing."""

from __future__ import annotations

from typing import Any

from tests.support import GraphQLClient, create_organization, create_practice

CREATE_PARTNERSHIP = """
mutation($input: PartnershipInput!) {
  createPartnership(input: $input) {
    partnership {
      id version title partnershipStatus objectives outcomes
      period { start end }
      agreement { kind number signedOn }
      organization { name }
      regions { code name level }
      partners { role organization { name } }
      contributions { description amount organization { name } }
      relatedPractices { id title }
    }
    errors { field code message }
  }
}
"""

UPDATE_PARTNERSHIP = """
mutation($input: UpdatePartnershipInput!) {
  updatePartnership(input: $input) {
    partnership {
      id version title partnershipStatus
      partners { role organization { name } }
      contributions { amount organization { name } }
    }
    errors { field code message }
  }
}
"""

DELETE_PARTNERSHIP = """
mutation($input: DeleteInput!) {
  deletePartnership(input: $input) { partnership { id title } errors { field code message } }
}
"""

DELETE_PRACTICE = """
mutation($input: DeleteInput!) {
  deletePractice(input: $input) { practice { id } errors { field code message } }
}
"""

PARTNERSHIP = """
query($id: ID!) {
  node(id: $id) {
    ... on Partnership {
      title version partnershipStatus
      organization { name }
      regions { code }
      partners { role organization { name } }
      contributions { description amount organization { name } }
      relatedPractices { title }
    }
  }
}
"""

PARTNERSHIPS = """
query($filter: PartnershipFilter, $order: ContentOrder, $first: Int, $after: String) {
  partnerships(filter: $filter, order: $order, first: $first, after: $after) {
    totalCount
    edges { node { title } }
  }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def partnership_input(organization_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Kemitraan Bank Sampah Sukmajaya",
        "summary": "Kecamatan, LSM dan swasta membiayai dan menjalankan bank sampah bersama.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05"],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [12, 17],
        "partners": [{"organizationId": organization_id, "role": "LEAD"}],
        **overrides,
    }


async def create_partnership(api: GraphQLClient, organization_id: str, **overrides: Any) -> dict[str, Any]:
    payload = await api.mutate(CREATE_PARTNERSHIP, partnership_input(organization_id, **overrides))
    assert payload["errors"] == [], payload["errors"]
    partnership: dict[str, Any] = payload["partnership"]
    return partnership


async def titles(api: GraphQLClient, **variables: Any) -> list[str]:
    data = await api.data(PARTNERSHIPS, variables)
    return [edge["node"]["title"] for edge in data["partnerships"]["edges"]]


async def total(api: GraphQLClient) -> int:
    count: int = (await api.data(PARTNERSHIPS))["partnerships"]["totalCount"]
    return count


async def test_create_partnership_returns_it_with_partners_contributions_and_practices(
    api: GraphQLClient,
) -> None:
    # given
    kecamatan_id = await create_organization(api)
    ngo_id = await create_organization(api, name="Yayasan Bumi Lestari", kind="NGO")
    company_id = await create_organization(api, name="PT Daur Ulang Nusantara", kind="PRIVATE_SECTOR")
    practice = await create_practice(api, kecamatan_id)
    # when
    partnership = await create_partnership(
        api,
        kecamatan_id,
        partners=[
            {"organizationId": kecamatan_id, "role": "LEAD"},
            {"organizationId": ngo_id, "role": "IMPLEMENTER"},
            {"organizationId": company_id, "role": "FUNDER"},
        ],
        contributions=[
            # more than 2^31 rupiah: amounts are not 32-bit integers
            {"organizationId": company_id, "description": "Dana CSR tiga tahun", "amount": 3_500_000_000},
            {"organizationId": ngo_id, "description": "Pendamping lapangan di setiap RW"},
        ],
        partnershipStatus="ACTIVE",
        period={"start": "2024-01-01", "end": "2026-12-31"},
        agreement={"kind": "PKS", "number": "PKS/012/2024", "signedOn": "2023-12-15"},
        objectives=["Bank sampah di setiap RW"],
        relatedPracticeIds=[practice["id"]],
    )
    # then
    assert partnership["version"] == 1
    assert partnership["partnershipStatus"] == "ACTIVE"
    assert partnership["organization"] == {"name": "Pemerintah Kecamatan Sukmajaya"}
    assert partnership["regions"] == [{"code": "32.76.05", "name": "Sukmajaya", "level": "KECAMATAN"}]
    assert partnership["partners"] == [
        {"role": "LEAD", "organization": {"name": "Pemerintah Kecamatan Sukmajaya"}},
        {"role": "IMPLEMENTER", "organization": {"name": "Yayasan Bumi Lestari"}},
        {"role": "FUNDER", "organization": {"name": "PT Daur Ulang Nusantara"}},
    ]
    assert partnership["contributions"] == [
        {
            "description": "Dana CSR tiga tahun",
            "amount": 3_500_000_000,
            "organization": {"name": "PT Daur Ulang Nusantara"},
        },
        {
            "description": "Pendamping lapangan di setiap RW",
            "amount": None,
            "organization": {"name": "Yayasan Bumi Lestari"},
        },
    ]
    assert partnership["period"] == {"start": "2024-01-01", "end": "2026-12-31"}
    assert partnership["agreement"] == {"kind": "PKS", "number": "PKS/012/2024", "signedOn": "2023-12-15"}
    assert partnership["relatedPractices"] == [
        {"id": practice["id"], "title": "Bank Sampah Digital Kelurahan Sukmajaya"}
    ]


async def test_created_partnership_is_readable_by_id(api: GraphQLClient) -> None:
    # given
    kecamatan_id = await create_organization(api)
    ngo_id = await create_organization(api, name="Yayasan Bumi Lestari", kind="NGO")
    practice = await create_practice(api, kecamatan_id)
    created = await create_partnership(
        api,
        kecamatan_id,
        partners=[
            {"organizationId": kecamatan_id, "role": "LEAD"},
            {"organizationId": ngo_id, "role": "TECHNICAL_ADVISOR"},
        ],
        contributions=[{"organizationId": ngo_id, "description": "Pelatihan kader", "amount": 25_000_000}],
        relatedPracticeIds=[practice["id"]],
    )
    # when
    data = await api.data(PARTNERSHIP, {"id": created["id"]})
    # then
    assert data["node"] == {
        "title": "Kemitraan Bank Sampah Sukmajaya",
        "version": 1,
        "partnershipStatus": "PROPOSED",
        "organization": {"name": "Pemerintah Kecamatan Sukmajaya"},
        "regions": [{"code": "32.76.05"}],
        "partners": [
            {"role": "LEAD", "organization": {"name": "Pemerintah Kecamatan Sukmajaya"}},
            {"role": "TECHNICAL_ADVISOR", "organization": {"name": "Yayasan Bumi Lestari"}},
        ],
        "contributions": [
            {
                "description": "Pelatihan kader",
                "amount": 25_000_000,
                "organization": {"name": "Yayasan Bumi Lestari"},
            }
        ],
        "relatedPractices": [{"title": "Bank Sampah Digital Kelurahan Sukmajaya"}],
    }


async def test_create_partnership_without_required_fields_reports_each_field(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_PARTNERSHIP, {"title": "Kemitraan"})
    # then
    assert payload["partnership"] is None
    assert set(codes(payload)) == {
        ("summary", "REQUIRED"),
        ("organizationId", "REQUIRED"),
        ("regionCodes", "REQUIRED"),
        ("themes", "REQUIRED"),
        ("partners", "REQUIRED"),
    }
    assert all(error["message"] for error in payload["errors"])
    assert await total(api) == 0


async def test_create_partnership_with_a_partner_id_of_another_type_is_an_invalid_id(
    api: GraphQLClient,
) -> None:
    # given: the ID of a practice where an organization's belongs
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    # when
    payload = await api.mutate(
        CREATE_PARTNERSHIP,
        partnership_input(
            organization_id,
            partners=[
                {"organizationId": organization_id, "role": "LEAD"},
                {"organizationId": practice["id"], "role": "FUNDER"},
            ],
        ),
    )
    # then
    assert payload["partnership"] is None
    assert codes(payload) == [("partners.1.organizationId", "INVALID_ID")]
    assert "Practice" in payload["errors"][0]["message"]
    assert await total(api) == 0


async def test_create_partnership_ending_before_it_starts_is_a_date_order_error(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    # when
    payload = await api.mutate(
        CREATE_PARTNERSHIP,
        partnership_input(organization_id, period={"start": "2025-01-01", "end": "2024-12-31"}),
    )
    # then
    assert payload["partnership"] is None
    assert codes(payload) == [("period", "DATE_ORDER")]
    assert await total(api) == 0


async def test_create_partnership_with_a_negative_contribution_is_out_of_range(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    # when
    payload = await api.mutate(
        CREATE_PARTNERSHIP,
        partnership_input(
            organization_id,
            contributions=[
                {"organizationId": organization_id, "description": "Gedung serbaguna", "amount": 0},
                {"organizationId": organization_id, "description": "Dana APBD", "amount": -1_000_000},
            ],
        ),
    )
    # then
    assert payload["partnership"] is None
    assert codes(payload) == [("contributions.1.amount", "OUT_OF_RANGE")]
    assert await total(api) == 0


async def test_create_partnership_about_an_unknown_practice_names_its_position(api: GraphQLClient) -> None:
    # given: one practice that exists and one that was deleted
    organization_id = await create_organization(api)
    kept = await create_practice(api, organization_id)
    gone = await create_practice(api, organization_id, title="Posyandu Remaja Sukmajaya")
    assert (await api.mutate(DELETE_PRACTICE, {"id": gone["id"], "version": 1}))["errors"] == []
    # when
    payload = await api.mutate(
        CREATE_PARTNERSHIP, partnership_input(organization_id, relatedPracticeIds=[kept["id"], gone["id"]])
    )
    # then
    assert payload["partnership"] is None
    assert codes(payload) == [("relatedPracticeIds.1", "UNKNOWN_PRACTICE")]
    assert await total(api) == 0


async def test_update_partnership_changes_only_given_fields_and_bumps_version(api: GraphQLClient) -> None:
    # given
    kecamatan_id = await create_organization(api)
    company_id = await create_organization(api, name="PT Daur Ulang Nusantara", kind="PRIVATE_SECTOR")
    created = await create_partnership(
        api,
        kecamatan_id,
        partners=[
            {"organizationId": kecamatan_id, "role": "LEAD"},
            {"organizationId": company_id, "role": "FUNDER"},
        ],
        contributions=[{"organizationId": company_id, "description": "Dana CSR", "amount": 500_000_000}],
    )
    # when
    payload = await api.mutate(
        UPDATE_PARTNERSHIP, {"id": created["id"], "version": 1, "changes": {"partnershipStatus": "ACTIVE"}}
    )
    # then
    assert payload["errors"] == []
    assert payload["partnership"] == {
        "id": created["id"],
        "version": 2,
        "title": "Kemitraan Bank Sampah Sukmajaya",
        "partnershipStatus": "ACTIVE",
        "partners": [
            {"role": "LEAD", "organization": {"name": "Pemerintah Kecamatan Sukmajaya"}},
            {"role": "FUNDER", "organization": {"name": "PT Daur Ulang Nusantara"}},
        ],
        "contributions": [{"amount": 500_000_000, "organization": {"name": "PT Daur Ulang Nusantara"}}],
    }


async def test_update_partnership_still_works_after_one_of_its_practices_is_deleted(
    api: GraphQLClient,
) -> None:
    # given: a partnership around two practices, one of which is then deleted (nothing replicated it)
    organization_id = await create_organization(api)
    kept = await create_practice(api, organization_id)
    gone = await create_practice(api, organization_id, title="Posyandu Remaja Sukmajaya")
    created = await create_partnership(api, organization_id, relatedPracticeIds=[kept["id"], gone["id"]])
    assert (await api.mutate(DELETE_PRACTICE, {"id": gone["id"], "version": 1}))["errors"] == []
    # when: the partnership starts
    payload = await api.mutate(
        UPDATE_PARTNERSHIP, {"id": created["id"], "version": 1, "changes": {"partnershipStatus": "ACTIVE"}}
    )
    # then
    assert payload["errors"] == []
    assert (payload["partnership"]["version"], payload["partnership"]["partnershipStatus"]) == (2, "ACTIVE")
    node = (await api.data(PARTNERSHIP, {"id": created["id"]}))["node"]
    assert node["relatedPractices"] == [{"title": "Bank Sampah Digital Kelurahan Sukmajaya"}]


async def test_update_partnership_with_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_partnership(api, organization_id)
    first = await api.mutate(
        UPDATE_PARTNERSHIP, {"id": created["id"], "version": 1, "changes": {"partnershipStatus": "ACTIVE"}}
    )
    # when
    second = await api.mutate(
        UPDATE_PARTNERSHIP, {"id": created["id"], "version": 1, "changes": {"partnershipStatus": "ENDED"}}
    )
    # then
    assert first["errors"] == []
    assert second["partnership"] is None
    assert codes(second) == [("version", "CONFLICT")]
    node = (await api.data(PARTNERSHIP, {"id": created["id"]}))["node"]
    assert (node["partnershipStatus"], node["version"]) == ("ACTIVE", 2)


async def test_delete_partnership_removes_it(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_partnership(api, organization_id)
    # when
    stale = await api.mutate(DELETE_PARTNERSHIP, {"id": created["id"], "version": 2})
    deleted = await api.mutate(DELETE_PARTNERSHIP, {"id": created["id"], "version": 1})
    again = await api.mutate(DELETE_PARTNERSHIP, {"id": created["id"], "version": 1})
    # then
    assert codes(stale) == [("version", "CONFLICT")]
    assert deleted == {"partnership": {"id": created["id"], "title": created["title"]}, "errors": []}
    assert codes(again) == [("id", "NOT_FOUND")]
    assert (await api.data(PARTNERSHIP, {"id": created["id"]}))["node"] is None
    assert await total(api) == 0


async def test_partnerships_filtered_by_partnership_status_match_any_of_them(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_partnership(api, organization_id, title="Kemitraan Usulan", partnershipStatus="PROPOSED")
    await create_partnership(api, organization_id, title="Kemitraan Berjalan", partnershipStatus="ACTIVE")
    await create_partnership(api, organization_id, title="Kemitraan Tuntas", partnershipStatus="COMPLETED")
    await create_partnership(api, organization_id, title="Kemitraan Putus", partnershipStatus="ENDED")
    # when
    found = await titles(api, filter={"partnershipStatuses": ["ACTIVE", "COMPLETED"]}, order="TITLE")
    # then
    assert found == ["Kemitraan Berjalan", "Kemitraan Tuntas"]
    assert await titles(api, filter={"partnershipStatuses": ["ENDED"]}) == ["Kemitraan Putus"]


async def test_partnerships_in_a_city_include_those_in_its_kecamatan(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_partnership(api, organization_id, title="Kemitraan Sukmajaya", regionCodes=["32.76.05"])
    await create_partnership(api, organization_id, title="Kemitraan Keputih", regionCodes=["35.78.09.1001"])
    await create_partnership(
        api, organization_id, title="Kemitraan Dua Kota", regionCodes=["31.71.06", "35.78.07"]
    )
    # when
    in_surabaya = await titles(api, filter={"regionCode": "35.78"}, order="TITLE")
    in_jakarta_pusat = await titles(api, filter={"regionCode": "31.71"}, order="TITLE")
    # then
    assert in_surabaya == ["Kemitraan Dua Kota", "Kemitraan Keputih"]
    assert in_jakarta_pusat == ["Kemitraan Dua Kota"]


async def test_partnerships_filtered_by_theme_and_status_must_match_both(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_partnership(
        api, organization_id, title="Sampah Aktif", themes=["WASTE_MANAGEMENT"], partnershipStatus="ACTIVE"
    )
    await create_partnership(
        api, organization_id, title="Sampah Usulan", themes=["WASTE_MANAGEMENT"], partnershipStatus="PROPOSED"
    )
    await create_partnership(
        api, organization_id, title="Gizi Aktif", themes=["NUTRITION_STUNTING"], partnershipStatus="ACTIVE"
    )
    # when
    found = await titles(
        api, filter={"themes": ["WASTE_MANAGEMENT"], "partnershipStatuses": ["ACTIVE"]}, order="TITLE"
    )
    # then
    assert found == ["Sampah Aktif"]


async def test_partnerships_by_title_are_alphabetical_and_by_default_newest_first(
    api: GraphQLClient,
) -> None:
    # given: created in this order
    organization_id = await create_organization(api)
    await create_partnership(api, organization_id, title="Kemitraan Posyandu")
    await create_partnership(api, organization_id, title="air Bersih untuk Warga")
    await create_partnership(api, organization_id, title="Musrenbang Anak")
    # when
    by_title = await titles(api, order="TITLE")
    newest = await titles(api)
    # then
    assert by_title == ["air Bersih untuk Warga", "Kemitraan Posyandu", "Musrenbang Anak"]
    assert newest == ["Musrenbang Anak", "air Bersih untuk Warga", "Kemitraan Posyandu"]
