"""Replications: create, read, update, delete, validation, the practice they copy, and listing."""

from __future__ import annotations

from typing import Any

from tests.support import GraphQLClient, create_organization, create_practice

CREATE_REPLICATION = """
mutation($input: ReplicationInput!) {
  createReplication(input: $input) {
    replication {
      id version title replicationStatus startedOn adaptations comparison
      results { name unit baseline target achieved }
      organization { name }
      regions { code name level }
      practice { id title }
    }
    errors { field code message }
  }
}
"""

UPDATE_REPLICATION = """
mutation($input: UpdateReplicationInput!) {
  updateReplication(input: $input) {
    replication { id version title replicationStatus adaptations practice { title } }
    errors { field code message }
  }
}
"""

DELETE_REPLICATION = """
mutation($input: DeleteInput!) {
  deleteReplication(input: $input) { replication { id title } errors { field code message } }
}
"""

DELETE_PRACTICE = """
mutation($input: DeleteInput!) {
  deletePractice(input: $input) { practice { id title } errors { field code message } }
}
"""

REPLICATION = """
query($id: ID!) {
  node(id: $id) {
    ... on Replication {
      title version replicationStatus
      organization { name }
      regions { code }
      practice { title }
    }
  }
}
"""

REPLICATIONS_OF_PRACTICE = """
query($id: ID!) {
  node(id: $id) { ... on Practice { title version replications { title regions { code } } } }
}
"""

REPLICATIONS = """
query($filter: ReplicationFilter, $order: ContentOrder, $first: Int, $after: String) {
  replications(filter: $filter, order: $order, first: $first, after: $after) {
    totalCount
    edges { node { title } }
  }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def replication_input(organization_id: str, practice_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Replikasi Bank Sampah di Kelurahan Keputih",
        "summary": "Kelurahan Keputih meniru bank sampah digital Sukmajaya.",
        "organizationId": organization_id,
        "regionCodes": ["35.78.09.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [12],
        "practiceId": practice_id,
        "adaptations": "Penimbangan dua mingguan, pencatatan manual di buku tabungan.",
        **overrides,
    }


async def create_replication(
    api: GraphQLClient, organization_id: str, practice_id: str, **overrides: Any
) -> dict[str, Any]:
    payload = await api.mutate(
        CREATE_REPLICATION, replication_input(organization_id, practice_id, **overrides)
    )
    assert payload["errors"] == [], payload["errors"]
    replication: dict[str, Any] = payload["replication"]
    return replication


async def given_a_practice(api: GraphQLClient) -> tuple[str, dict[str, Any]]:
    """The kelurahan of Keputih (Surabaya), and a practice of Sukmajaya (Depok) it can replicate."""
    depok_id = await create_organization(api)
    keputih_id = await create_organization(
        api, name="Pemerintah Kelurahan Keputih", kind="KELURAHAN_GOVERNMENT", regionCode="35.78.09.1001"
    )
    return keputih_id, await create_practice(api, depok_id)


async def titles(api: GraphQLClient, **variables: Any) -> list[str]:
    data = await api.data(REPLICATIONS, variables)
    return [edge["node"]["title"] for edge in data["replications"]["edges"]]


async def total(api: GraphQLClient) -> int:
    count: int = (await api.data(REPLICATIONS))["replications"]["totalCount"]
    return count


async def test_create_replication_returns_it_with_its_practice_owner_and_regions(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    # when
    replication = await create_replication(
        api,
        keputih_id,
        practice["id"],
        replicationStatus="IN_PROGRESS",
        startedOn="2024-07-01",
        results=[{"name": "Nasabah aktif", "unit": "KK", "baseline": 0, "target": 300, "achieved": 120}],
        comparison="Nasabah tumbuh lebih lambat daripada di Sukmajaya.",
    )
    # then
    assert replication["version"] == 1
    assert replication["replicationStatus"] == "IN_PROGRESS"
    assert replication["startedOn"] == "2024-07-01"
    assert replication["results"] == [
        {"name": "Nasabah aktif", "unit": "KK", "baseline": 0.0, "target": 300.0, "achieved": 120.0}
    ]
    assert replication["organization"] == {"name": "Pemerintah Kelurahan Keputih"}
    assert replication["regions"] == [{"code": "35.78.09.1001", "name": "Keputih", "level": "KELURAHAN_DESA"}]
    assert replication["practice"] == {
        "id": practice["id"],
        "title": "Bank Sampah Digital Kelurahan Sukmajaya",
    }


async def test_created_replication_is_readable_by_id(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    created = await create_replication(api, keputih_id, practice["id"])
    # when
    data = await api.data(REPLICATION, {"id": created["id"]})
    # then
    assert data["node"] == {
        "title": "Replikasi Bank Sampah di Kelurahan Keputih",
        "version": 1,
        "replicationStatus": "PLANNED",
        "organization": {"name": "Pemerintah Kelurahan Keputih"},
        "regions": [{"code": "35.78.09.1001"}],
        "practice": {"title": "Bank Sampah Digital Kelurahan Sukmajaya"},
    }


async def test_practice_lists_its_replications_newest_first(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    other = await create_practice(api, keputih_id, title="Posyandu Remaja Keputih")
    await create_replication(api, keputih_id, practice["id"], title="Replikasi di Keputih")
    await create_replication(api, keputih_id, other["id"], title="Replikasi Posyandu di Gambir")
    await create_replication(
        api, keputih_id, practice["id"], title="Replikasi di Gambir", regionCodes=["31.71.01.1001"]
    )
    # when
    data = await api.data(REPLICATIONS_OF_PRACTICE, {"id": practice["id"]})
    # then
    assert data["node"]["replications"] == [
        {"title": "Replikasi di Gambir", "regions": [{"code": "31.71.01.1001"}]},
        {"title": "Replikasi di Keputih", "regions": [{"code": "35.78.09.1001"}]},
    ]


async def test_create_replication_without_required_fields_reports_each_field(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_REPLICATION, {"title": "Replikasi"})
    # then
    assert payload["replication"] is None
    assert set(codes(payload)) == {
        ("summary", "REQUIRED"),
        ("organizationId", "REQUIRED"),
        ("regionCodes", "REQUIRED"),
        ("themes", "REQUIRED"),
        ("practiceId", "REQUIRED"),
        ("adaptations", "REQUIRED"),
    }
    assert all(error["message"] for error in payload["errors"])
    assert await total(api) == 0


async def test_create_replication_of_an_unknown_practice_is_rejected(api: GraphQLClient) -> None:
    # given: a practice that was deleted
    keputih_id, practice = await given_a_practice(api)
    assert (await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1}))["errors"] == []
    # when
    payload = await api.mutate(CREATE_REPLICATION, replication_input(keputih_id, practice["id"]))
    # then
    assert payload["replication"] is None
    assert codes(payload) == [("practiceId", "UNKNOWN_PRACTICE")]
    assert await total(api) == 0


async def test_create_replication_of_an_organization_id_is_an_invalid_practice_id(api: GraphQLClient) -> None:
    # given
    keputih_id, _ = await given_a_practice(api)
    # when
    payload = await api.mutate(CREATE_REPLICATION, replication_input(keputih_id, keputih_id))
    # then
    assert payload["replication"] is None
    assert codes(payload) == [("practiceId", "INVALID_ID")]
    assert await total(api) == 0


async def test_update_replication_changes_only_given_fields_and_bumps_version(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    created = await create_replication(api, keputih_id, practice["id"])
    # when
    payload = await api.mutate(
        UPDATE_REPLICATION, {"id": created["id"], "version": 1, "changes": {"replicationStatus": "COMPLETED"}}
    )
    # then
    assert payload["errors"] == []
    assert payload["replication"] == {
        "id": created["id"],
        "version": 2,
        "title": "Replikasi Bank Sampah di Kelurahan Keputih",
        "replicationStatus": "COMPLETED",
        "adaptations": "Penimbangan dua mingguan, pencatatan manual di buku tabungan.",
        "practice": {"title": "Bank Sampah Digital Kelurahan Sukmajaya"},
    }


async def test_update_replication_with_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    created = await create_replication(api, keputih_id, practice["id"])
    first = await api.mutate(
        UPDATE_REPLICATION,
        {"id": created["id"], "version": 1, "changes": {"replicationStatus": "IN_PROGRESS"}},
    )
    # when
    second = await api.mutate(
        UPDATE_REPLICATION,
        {"id": created["id"], "version": 1, "changes": {"replicationStatus": "DISCONTINUED"}},
    )
    # then
    assert first["errors"] == []
    assert second["replication"] is None
    assert codes(second) == [("version", "CONFLICT")]
    node = (await api.data(REPLICATION, {"id": created["id"]}))["node"]
    assert (node["replicationStatus"], node["version"]) == ("IN_PROGRESS", 2)


async def test_delete_replication_removes_it_from_reads_and_from_its_practice(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    created = await create_replication(api, keputih_id, practice["id"])
    # when
    stale = await api.mutate(DELETE_REPLICATION, {"id": created["id"], "version": 2})
    deleted = await api.mutate(DELETE_REPLICATION, {"id": created["id"], "version": 1})
    again = await api.mutate(DELETE_REPLICATION, {"id": created["id"], "version": 1})
    # then
    assert codes(stale) == [("version", "CONFLICT")]
    assert deleted == {"replication": {"id": created["id"], "title": created["title"]}, "errors": []}
    assert codes(again) == [("id", "NOT_FOUND")]
    assert (await api.data(REPLICATION, {"id": created["id"]}))["node"] is None
    assert (await api.data(REPLICATIONS_OF_PRACTICE, {"id": practice["id"]}))["node"]["replications"] == []


async def test_delete_practice_with_a_replication_is_refused_and_the_practice_stays(
    api: GraphQLClient,
) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    await create_replication(api, keputih_id, practice["id"])
    # when
    payload = await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1})
    # then
    assert payload["practice"] is None
    assert codes(payload) == [("id", "IN_USE")]
    assert payload["errors"][0]["message"]
    data = await api.data(REPLICATIONS_OF_PRACTICE, {"id": practice["id"]})
    assert data["node"]["title"] == "Bank Sampah Digital Kelurahan Sukmajaya"
    assert data["node"]["version"] == 1
    assert len(data["node"]["replications"]) == 1


async def test_delete_practice_is_allowed_once_its_replications_are_deleted(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    replication = await create_replication(api, keputih_id, practice["id"])
    refused = await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1})
    removed = await api.mutate(DELETE_REPLICATION, {"id": replication["id"], "version": 1})
    # when
    payload = await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1})
    # then
    assert codes(refused) == [("id", "IN_USE")]
    assert removed["errors"] == []
    assert payload["errors"] == []
    assert (await api.data(REPLICATIONS_OF_PRACTICE, {"id": practice["id"]}))["node"] is None


async def test_replications_filtered_by_replication_status_match_any_of_them(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    for title, status in [
        ("Replikasi Rencana", "PLANNED"),
        ("Replikasi Berjalan", "IN_PROGRESS"),
        ("Replikasi Tuntas", "COMPLETED"),
        ("Replikasi Berhenti", "DISCONTINUED"),
    ]:
        await create_replication(api, keputih_id, practice["id"], title=title, replicationStatus=status)
    # when
    found = await titles(api, filter={"replicationStatuses": ["IN_PROGRESS", "COMPLETED"]}, order="TITLE")
    # then
    assert found == ["Replikasi Berjalan", "Replikasi Tuntas"]
    assert await titles(api, filter={"replicationStatuses": ["DISCONTINUED"]}) == ["Replikasi Berhenti"]


async def test_replications_filtered_by_practice_list_only_copies_of_that_practice(
    api: GraphQLClient,
) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    other = await create_practice(api, keputih_id, title="Posyandu Remaja Keputih")
    await create_replication(api, keputih_id, practice["id"], title="Replikasi Bank Sampah")
    await create_replication(api, keputih_id, other["id"], title="Replikasi Posyandu")
    # when
    found = await titles(api, filter={"practiceId": practice["id"]})
    # then
    assert found == ["Replikasi Bank Sampah"]
    assert await titles(api, filter={"practiceId": other["id"]}) == ["Replikasi Posyandu"]


async def test_replications_in_a_province_include_those_in_its_kelurahan(api: GraphQLClient) -> None:
    # given: one replication in kelurahan Keputih (Surabaya, Jawa Timur), one in Gambir (Jakarta)
    keputih_id, practice = await given_a_practice(api)
    await create_replication(api, keputih_id, practice["id"], title="Replikasi Keputih")
    await create_replication(
        api, keputih_id, practice["id"], title="Replikasi Gambir", regionCodes=["31.71.01.1001"]
    )
    # when
    in_jawa_timur = await titles(api, filter={"regionCode": "35"})
    in_sukolilo = await titles(api, filter={"regionCode": "35.78.09"})
    in_jawa_barat = await titles(api, filter={"regionCode": "32"})
    # then
    assert in_jawa_timur == ["Replikasi Keputih"]
    assert in_sukolilo == ["Replikasi Keputih"]
    assert in_jawa_barat == []


async def test_replications_filtered_by_theme_and_sdg_must_match_both(api: GraphQLClient) -> None:
    # given
    keputih_id, practice = await given_a_practice(api)
    await create_replication(api, keputih_id, practice["id"], title="Sampah 12", sdgs=[12])
    await create_replication(api, keputih_id, practice["id"], title="Sampah 11", sdgs=[11])
    await create_replication(
        api, keputih_id, practice["id"], title="Sekolah 12", themes=["EDUCATION"], sdgs=[4, 12]
    )
    # when
    found = await titles(api, filter={"themes": ["WASTE_MANAGEMENT"], "sdgs": [12]})
    # then
    assert found == ["Sampah 12"]


async def test_replications_by_title_are_alphabetical_and_by_default_newest_first(
    api: GraphQLClient,
) -> None:
    # given: created in this order
    keputih_id, practice = await given_a_practice(api)
    for title in ["Replikasi Keputih", "bank Sampah Gebang Putih", "Posyandu Menur Pumpungan"]:
        await create_replication(api, keputih_id, practice["id"], title=title)
    # when
    by_title = await titles(api, order="TITLE")
    newest = await titles(api)
    # then
    assert by_title == ["bank Sampah Gebang Putih", "Posyandu Menur Pumpungan", "Replikasi Keputih"]
    assert newest == ["Posyandu Menur Pumpungan", "bank Sampah Gebang Putih", "Replikasi Keputih"]
