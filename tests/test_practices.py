"""Best practices: create, read, update, delete, validation and listing."""

from __future__ import annotations

from typing import Any

from tests.support import (
    CREATE_PRACTICE,
    GraphQLClient,
    create_organization,
    create_practice,
    practice_input,
)

UPDATE_PRACTICE = """
mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) {
    practice { id version title summary period { start end } funding { source amount } updatedAt }
    errors { field code message }
  }
}
"""

DELETE_PRACTICE = """
mutation($input: DeleteInput!) {
  deletePractice(input: $input) { practice { id title } errors { field code message } }
}
"""

PRACTICE = """
query($id: ID!) {
  node(id: $id) {
    ... on Practice {
      title titleEn stage isDigital version status
      funding { source amount }
      period { start end }
      organization { name kind region { code name level } }
      regions { code name level parent { code name } }
    }
  }
}
"""

PRACTICES = """
query($filter: PracticeFilter, $order: ContentOrder, $first: Int, $after: String) {
  practices(filter: $filter, order: $order, first: $first, after: $after) {
    totalCount
    edges { cursor node { title } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def titles(api: GraphQLClient, **variables: Any) -> list[str]:
    data = await api.data(PRACTICES, variables)
    return [edge["node"]["title"] for edge in data["practices"]["edges"]]


async def test_create_practice_is_readable_with_its_relations(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    # when
    created = await create_practice(api, organization_id)
    data = await api.data(PRACTICE, {"id": created["id"]})
    # then
    practice = data["node"]
    assert practice["title"] == "Bank Sampah Digital Kelurahan Sukmajaya"
    assert practice["version"] == 1
    assert practice["funding"] == [{"source": "DANA_KELURAHAN", "amount": 150_000_000}]
    assert practice["period"] == {"start": "2023-01-01", "end": "2025-12-31"}
    assert practice["organization"]["region"] == {
        "code": "32.76.05",
        "name": "Sukmajaya",
        "level": "KECAMATAN",
    }
    assert practice["regions"] == [
        {
            "code": "32.76.05.1001",
            "name": "Sukmajaya",
            "level": "KELURAHAN_DESA",
            "parent": {"code": "32.76.05", "name": "Sukmajaya"},
        }
    ]


async def test_create_practice_without_required_fields_reports_each_field(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_PRACTICE, {"title": "Posyandu"})
    # then
    assert payload["practice"] is None
    assert set(codes(payload)) >= {
        ("summary", "REQUIRED"),
        ("organizationId", "REQUIRED"),
        ("regionCodes", "REQUIRED"),
        ("themes", "REQUIRED"),
        ("problem", "REQUIRED"),
        ("approach", "REQUIRED"),
        ("stage", "REQUIRED"),
    }
    assert all(error["message"] for error in payload["errors"])
    assert (await api.data(PRACTICES))["practices"]["totalCount"] == 0


async def test_create_practice_rejects_bad_values_without_writing(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    bad = practice_input(
        organization_id,
        title="x" * 201,
        regionCodes=["32.76.05.1001", "99.99"],
        sdgs=[18],
        funding=[{"source": "APBD", "amount": -5}],
        period={"start": "2024-05-01", "end": "2024-01-01"},
        contact={"name": "Bu Rina", "email": "not-an-email"},
    )
    # when
    payload = await api.mutate(CREATE_PRACTICE, bad)
    # then
    assert set(codes(payload)) == {
        ("title", "TOO_LONG"),
        ("sdgs.0", "OUT_OF_RANGE"),
        ("funding.0.amount", "OUT_OF_RANGE"),
        ("period", "DATE_ORDER"),
        ("contact.email", "INVALID"),
    }
    assert (await api.data(PRACTICES))["practices"]["totalCount"] == 0


async def test_create_practice_rejects_unknown_references(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    # when
    unknown = await api.mutate(
        CREATE_PRACTICE,
        practice_input(
            "T3JnYW5pemF0aW9uOjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA==", regionCodes=["32.76.05.1001", "32.76.99"]
        ),
    )
    wrong_type = await api.mutate(CREATE_PRACTICE, practice_input(practice["id"]))
    garbage = await api.mutate(CREATE_PRACTICE, practice_input("%%%"))
    # then
    assert codes(unknown) == [("organizationId", "UNKNOWN_ORGANIZATION"), ("regionCodes.1", "UNKNOWN_REGION")]
    assert codes(wrong_type) == [("organizationId", "INVALID_ID")]
    assert "Practice" in wrong_type["errors"][0]["message"]
    assert codes(garbage) == [("organizationId", "INVALID_ID")]
    assert (await api.data(PRACTICES))["practices"]["totalCount"] == 1


async def test_update_practice_changes_only_given_fields_and_bumps_version(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_practice(api, organization_id)
    # when
    payload = await api.mutate(
        UPDATE_PRACTICE,
        {"id": created["id"], "version": 1, "changes": {"title": "Bank Sampah Sukmajaya Bersih"}},
    )
    # then
    assert payload["errors"] == []
    practice = payload["practice"]
    assert practice["version"] == 2
    assert practice["title"] == "Bank Sampah Sukmajaya Bersih"
    assert practice["summary"] == "Warga menabung sampah terpilah dan mencatat saldo lewat aplikasi."
    assert practice["funding"] == [{"source": "DANA_KELURAHAN", "amount": 150_000_000}]


async def test_update_practice_with_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_practice(api, organization_id)
    first = await api.mutate(
        UPDATE_PRACTICE, {"id": created["id"], "version": 1, "changes": {"title": "Versi A"}}
    )
    # when
    second = await api.mutate(
        UPDATE_PRACTICE, {"id": created["id"], "version": 1, "changes": {"title": "Versi B"}}
    )
    # then
    assert first["errors"] == []
    assert codes(second) == [("version", "CONFLICT")]
    assert second["practice"] is None
    data = await api.data(PRACTICE, {"id": created["id"]})
    assert (data["node"]["title"], data["node"]["version"]) == ("Versi A", 2)


async def test_update_practice_keeps_cross_field_rules_over_stored_values(api: GraphQLClient) -> None:
    # given: stored period 2023-01-01 .. 2025-12-31
    organization_id = await create_organization(api)
    created = await create_practice(api, organization_id)
    # when: only the start moves past the stored end
    payload = await api.mutate(
        UPDATE_PRACTICE,
        {
            "id": created["id"],
            "version": 1,
            "changes": {"period": {"start": "2026-06-01", "end": "2025-12-31"}},
        },
    )
    cleared = await api.mutate(
        UPDATE_PRACTICE, {"id": created["id"], "version": 1, "changes": {"title": None}}
    )
    # then
    assert codes(payload) == [("period", "DATE_ORDER")]
    assert codes(cleared) == [("title", "INVALID")]
    assert (await api.data(PRACTICE, {"id": created["id"]}))["node"]["version"] == 1


async def test_delete_practice_removes_it_and_a_second_delete_is_not_found(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_practice(api, organization_id)
    # when
    stale = await api.mutate(DELETE_PRACTICE, {"id": created["id"], "version": 7})
    deleted = await api.mutate(DELETE_PRACTICE, {"id": created["id"], "version": 1})
    again = await api.mutate(DELETE_PRACTICE, {"id": created["id"], "version": 1})
    # then
    assert codes(stale) == [("version", "CONFLICT")]
    assert deleted == {"practice": {"id": created["id"], "title": created["title"]}, "errors": []}
    assert codes(again) == [("id", "NOT_FOUND")]
    assert (await api.data(PRACTICE, {"id": created["id"]}))["node"] is None
