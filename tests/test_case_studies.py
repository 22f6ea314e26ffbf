"""Case studies: create, read, update, delete, validation, their practices and listing."""

from __future__ import annotations

from typing import Any

from tests.support import GraphQLClient, create_organization, create_practice

CREATE_CASE_STUDY = """
mutation($input: CaseStudyInput!) {
  createCaseStudy(input: $input) {
    caseStudy {
      id version title status themes sdgs context methodology findings authors
      metrics { name unit baseline target achieved }
      publication { doi url }
      organization { name kind }
      regions { code name level }
      relatedPractices { id title }
    }
    errors { field code message }
  }
}
"""

UPDATE_CASE_STUDY = """
mutation($input: UpdateCaseStudyInput!) {
  updateCaseStudy(input: $input) {
    caseStudy { id version title findings recommendations relatedPractices { title } }
    errors { field code message }
  }
}
"""

DELETE_CASE_STUDY = """
mutation($input: DeleteInput!) {
  deleteCaseStudy(input: $input) { caseStudy { id title } errors { field code message } }
}
"""

DELETE_PRACTICE = """
mutation($input: DeleteInput!) {
  deletePractice(input: $input) { practice { id } errors { field code message } }
}
"""

CASE_STUDY = """
query($id: ID!) {
  node(id: $id) {
    ... on CaseStudy {
      title version findings
      organization { name }
      regions { code name parent { code } }
      relatedPractices { title }
    }
  }
}
"""

CASE_STUDIES_OF_PRACTICE = """
query($id: ID!) {
  node(id: $id) { ... on Practice { title caseStudies { title } } }
}
"""

CASE_STUDIES = """
query($filter: CaseStudyFilter, $order: ContentOrder, $first: Int, $after: String) {
  caseStudies(filter: $filter, order: $order, first: $first, after: $after) {
    totalCount
    edges { node { title } }
  }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def case_study_input(organization_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Studi Kasus Bank Sampah Digital di Sukmajaya",
        "summary": "Bagaimana tabungan sampah digital mengubah kebiasaan warga.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [11, 12],
        "context": "Kelurahan padat dengan TPS yang selalu penuh.",
        "methodology": "Wawancara 40 nasabah dan data timbangan 24 bulan.",
        "findings": "Sampah ke TPS turun 30 persen di RW yang aktif.",
        **overrides,
    }


async def create_case_study(api: GraphQLClient, organization_id: str, **overrides: Any) -> dict[str, Any]:
    payload = await api.mutate(CREATE_CASE_STUDY, case_study_input(organization_id, **overrides))
    assert payload["errors"] == [], payload["errors"]
    case_study: dict[str, Any] = payload["caseStudy"]
    return case_study


async def titles(api: GraphQLClient, **variables: Any) -> list[str]:
    data = await api.data(CASE_STUDIES, variables)
    return [edge["node"]["title"] for edge in data["caseStudies"]["edges"]]


async def test_create_case_study_returns_it_with_its_relations(api: GraphQLClient) -> None:
    # given
    kecamatan_id = await create_organization(api)
    university_id = await create_organization(api, name="Universitas Indonesia", kind="ACADEMIC")
    waste_bank = await create_practice(api, kecamatan_id)
    posyandu = await create_practice(api, kecamatan_id, title="Posyandu Remaja Sukmajaya")
    # when
    case_study = await create_case_study(
        api,
        university_id,
        regionCodes=["32.76.05.1001", "32.76.05"],
        relatedPracticeIds=[posyandu["id"], waste_bank["id"]],
        authors=["Rina Wulandari", "Budi Santoso"],
        metrics=[
            {"name": "Sampah ke TPS", "unit": "ton/bulan", "baseline": 12, "target": 9, "achieved": 8.4}
        ],
        publication={"doi": "10.1234/lumbung.2024.7", "url": "https://jurnal.ui.ac.id/lumbung/7"},
    )
    # then
    assert case_study["version"] == 1
    assert case_study["organization"] == {"name": "Universitas Indonesia", "kind": "ACADEMIC"}
    assert case_study["regions"] == [
        {"code": "32.76.05.1001", "name": "Sukmajaya", "level": "KELURAHAN_DESA"},
        {"code": "32.76.05", "name": "Sukmajaya", "level": "KECAMATAN"},
    ]
    assert case_study["relatedPractices"] == [
        {"id": posyandu["id"], "title": "Posyandu Remaja Sukmajaya"},
        {"id": waste_bank["id"], "title": "Bank Sampah Digital Kelurahan Sukmajaya"},
    ]
    assert case_study["authors"] == ["Rina Wulandari", "Budi Santoso"]
    assert case_study["metrics"] == [
        {"name": "Sampah ke TPS", "unit": "ton/bulan", "baseline": 12.0, "target": 9.0, "achieved": 8.4}
    ]
    assert case_study["publication"] == {
        "doi": "10.1234/lumbung.2024.7",
        "url": "https://jurnal.ui.ac.id/lumbung/7",
    }


async def test_created_case_study_is_readable_by_id(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    created = await create_case_study(api, organization_id, relatedPracticeIds=[practice["id"]])
    # when
    data = await api.data(CASE_STUDY, {"id": created["id"]})
    # then
    assert data["node"] == {
        "title": "Studi Kasus Bank Sampah Digital di Sukmajaya",
        "version": 1,
        "findings": "Sampah ke TPS turun 30 persen di RW yang aktif.",
        "organization": {"name": "Pemerintah Kecamatan Sukmajaya"},
        "regions": [{"code": "32.76.05.1001", "name": "Sukmajaya", "parent": {"code": "32.76.05"}}],
        "relatedPractices": [{"title": "Bank Sampah Digital Kelurahan Sukmajaya"}],
    }


async def test_practice_lists_the_case_studies_that_examine_it_newest_first(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    waste_bank = await create_practice(api, organization_id)
    posyandu = await create_practice(api, organization_id, title="Posyandu Remaja Sukmajaya")
    await create_case_study(api, organization_id, title="Studi Awal", relatedPracticeIds=[waste_bank["id"]])
    await create_case_study(api, organization_id, title="Studi Posyandu", relatedPracticeIds=[posyandu["id"]])
    await create_case_study(
        api, organization_id, title="Studi Lanjutan", relatedPracticeIds=[posyandu["id"], waste_bank["id"]]
    )
    # when
    data = await api.data(CASE_STUDIES_OF_PRACTICE, {"id": waste_bank["id"]})
    # then
    assert data["node"]["caseStudies"] == [{"title": "Studi Lanjutan"}, {"title": "Studi Awal"}]


async def test_create_case_study_without_required_fields_reports_each_field(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE_CASE_STUDY, {"title": "Studi Kasus"})
    # then
    assert payload["caseStudy"] is None
    assert set(codes(payload)) == {
        ("summary", "REQUIRED"),
        ("organizationId", "REQUIRED"),
        ("regionCodes", "REQUIRED"),
        ("themes", "REQUIRED"),
        ("context", "REQUIRED"),
        ("methodology", "REQUIRED"),
        ("findings", "REQUIRED"),
    }
    assert all(error["message"] for error in payload["errors"])
    assert (await api.data(CASE_STUDIES))["caseStudies"]["totalCount"] == 0


async def test_create_case_study_about_an_unknown_practice_names_its_position(api: GraphQLClient) -> None:
    # given: one practice that exists and one that was deleted
    organization_id = await create_organization(api)
    kept = await create_practice(api, organization_id)
    gone = await create_practice(api, organization_id, title="Posyandu Remaja Sukmajaya")
    assert (await api.mutate(DELETE_PRACTICE, {"id": gone["id"], "version": 1}))["errors"] == []
    # when
    payload = await api.mutate(
        CREATE_CASE_STUDY, case_study_input(organization_id, relatedPracticeIds=[kept["id"], gone["id"]])
    )
    # then
    assert payload["caseStudy"] is None
    assert codes(payload) == [("relatedPracticeIds.1", "UNKNOWN_PRACTICE")]
    assert (await api.data(CASE_STUDIES))["caseStudies"]["totalCount"] == 0


async def test_update_case_study_changes_only_given_fields_and_bumps_version(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    created = await create_case_study(api, organization_id, relatedPracticeIds=[practice["id"]])
    # when
    payload = await api.mutate(
        UPDATE_CASE_STUDY,
        {
            "id": created["id"],
            "version": 1,
            "changes": {"recommendations": "Perluas ke semua RW dengan timbangan digital."},
        },
    )
    # then
    assert payload["errors"] == []
    assert payload["caseStudy"] == {
        "id": created["id"],
        "version": 2,
        "title": "Studi Kasus Bank Sampah Digital di Sukmajaya",
        "findings": "Sampah ke TPS turun 30 persen di RW yang aktif.",
        "recommendations": "Perluas ke semua RW dengan timbangan digital.",
        "relatedPractices": [{"title": "Bank Sampah Digital Kelurahan Sukmajaya"}],
    }


async def test_update_case_study_still_works_after_one_of_its_practices_is_deleted(
    api: GraphQLClient,
) -> None:
    # given: a case study about two practices, one of which is then deleted (nothing replicated it)
    organization_id = await create_organization(api)
    kept = await create_practice(api, organization_id)
    gone = await create_practice(api, organization_id, title="Posyandu Remaja Sukmajaya")
    created = await create_case_study(api, organization_id, relatedPracticeIds=[kept["id"], gone["id"]])
    assert (await api.mutate(DELETE_PRACTICE, {"id": gone["id"], "version": 1}))["errors"] == []
    # when: the author edits a field that has nothing to do with practices
    payload = await api.mutate(
        UPDATE_CASE_STUDY,
        {"id": created["id"], "version": 1, "changes": {"findings": "Sampah ke TPS turun 35 persen."}},
    )
    # then
    assert payload["errors"] == []
    assert payload["caseStudy"]["version"] == 2
    assert payload["caseStudy"]["findings"] == "Sampah ke TPS turun 35 persen."
    assert payload["caseStudy"]["relatedPractices"] == [{"title": "Bank Sampah Digital Kelurahan Sukmajaya"}]


async def test_update_case_study_with_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    created = await create_case_study(api, organization_id)
    first = await api.mutate(
        UPDATE_CASE_STUDY, {"id": created["id"], "version": 1, "changes": {"findings": "Temuan A"}}
    )
    # when
    second = await api.mutate(
        UPDATE_CASE_STUDY, {"id": created["id"], "version": 1, "changes": {"findings": "Temuan B"}}
    )
    # then
    assert first["errors"] == []
    assert second["caseStudy"] is None
    assert codes(second) == [("version", "CONFLICT")]
    node = (await api.data(CASE_STUDY, {"id": created["id"]}))["node"]
    assert (node["findings"], node["version"]) == ("Temuan A", 2)


async def test_delete_case_study_removes_it_from_reads_and_from_its_practice(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    created = await create_case_study(api, organization_id, relatedPracticeIds=[practice["id"]])
    # when
    stale = await api.mutate(DELETE_CASE_STUDY, {"id": created["id"], "version": 2})
    deleted = await api.mutate(DELETE_CASE_STUDY, {"id": created["id"], "version": 1})
    again = await api.mutate(DELETE_CASE_STUDY, {"id": created["id"], "version": 1})
    # then
    assert codes(stale) == [("version", "CONFLICT")]
    assert deleted == {"caseStudy": {"id": created["id"], "title": created["title"]}, "errors": []}
    assert codes(again) == [("id", "NOT_FOUND")]
    assert (await api.data(CASE_STUDY, {"id": created["id"]}))["node"] is None
    assert (await api.data(CASE_STUDIES_OF_PRACTICE, {"id": practice["id"]}))["node"]["caseStudies"] == []


async def test_case_studies_filtered_by_themes_match_any_of_them(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_case_study(api, organization_id, title="Studi Sampah", themes=["WASTE_MANAGEMENT"])
    await create_case_study(api, organization_id, title="Studi Stunting", themes=["NUTRITION_STUNTING"])
    await create_case_study(api, organization_id, title="Studi Sekolah", themes=["EDUCATION", "YOUTH"])
    # when
    found = await titles(api, filter={"themes": ["NUTRITION_STUNTING", "YOUTH"]}, order="TITLE")
    # then
    assert found == ["Studi Sekolah", "Studi Stunting"]


async def test_case_studies_filtered_by_sdgs_match_any_of_them(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_case_study(api, organization_id, title="Studi Sampah", sdgs=[11, 12])
    await create_case_study(api, organization_id, title="Studi Stunting", sdgs=[2, 3])
    await create_case_study(api, organization_id, title="Studi Sekolah", sdgs=[4])
    # when
    found = await titles(api, filter={"sdgs": [3, 4]}, order="TITLE")
    # then
    assert found == ["Studi Sekolah", "Studi Stunting"]
    assert await titles(api, filter={"sdgs": [12]}) == ["Studi Sampah"]


async def test_case_studies_in_a_city_include_those_in_its_kelurahan(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    await create_case_study(api, organization_id, title="Studi Depok", regionCodes=["32.76.05.1003"])
    await create_case_study(api, organization_id, title="Studi Gambir", regionCodes=["31.71.01.1002"])
    await create_case_study(api, organization_id, title="Studi Kota Depok", regionCodes=["32.76"])
    # when
    in_depok = await titles(api, filter={"regionCode": "32.76"}, order="TITLE")
    in_abadijaya = await titles(api, filter={"regionCode": "32.76.05.1003"})
    # then
    assert in_depok == ["Studi Depok", "Studi Kota Depok"]
    assert in_abadijaya == ["Studi Depok"]


async def test_case_studies_by_title_are_alphabetical_and_by_default_newest_first(
    api: GraphQLClient,
) -> None:
    # given: created in this order
    organization_id = await create_organization(api)
    await create_case_study(api, organization_id, title="Kader Posyandu")
    await create_case_study(api, organization_id, title="bank Sampah")
    await create_case_study(api, organization_id, title="Musrenbang Anak")
    # when
    by_title = await titles(api, order="TITLE")
    newest = await titles(api)
    # then
    assert by_title == ["bank Sampah", "Kader Posyandu", "Musrenbang Anak"]
    assert newest == ["Musrenbang Anak", "bank Sampah", "Kader Posyandu"]
