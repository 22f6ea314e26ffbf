"""Inter-regional search: what an official types, what they find, and what they may see."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from search import queries
from search.engine import SearchEngine
from search.filters import SearchFilter
from search.indexes import SPECS, IndexNames
from server.supervisor import LocalService
from storage.database import Stores
from storage.filters import OrganizationFilter
from storage.vocabulary import OrganizationKind, Role
from tests.conftest import running_app, settings_for
from tests.support import (
    GraphQLClient,
    create_organization,
    create_practice,
    hub_admin_token,
    organization_record,
    user_with_token,
    wait_until_indexed,
)

SEARCH = """
query(
  $query: String!, $filter: SearchFilter, $facets: [SearchFacet!], $first: Int, $after: String,
  $disjunctiveFacets: Boolean! = false
) {
  search(
    query: $query, filter: $filter, facets: $facets, first: $first, after: $after,
    disjunctiveFacets: $disjunctiveFacets
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    hits {
      type
      highlights { field snippet }
      node { __typename ... on Practice { id title } ... on Organization { id name } }
    }
    facets { facet values { value count label } }
  }
}
"""

UPDATE_PRACTICE = """
mutation($input: UpdatePracticeInput!) { updatePractice(input: $input) { errors { code } } }
"""
DELETE_PRACTICE = """
mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { code } } }
"""
SIMILAR = """
query($id: ID!) { similarPractices(id: $id, first: 5) { title regions { code } } }
"""
SUGGEST = """
query($prefix: String!) { searchSuggestions(prefix: $prefix) { type title id } }
"""


@dataclass
class SearchHub:
    # anonymous: what the public finds
    api: GraphQLClient
    # a hub admin, who writes and publishes
    writer: GraphQLClient
    stores: Stores
    engine: SearchEngine

    async def settle(self) -> None:
        await wait_until_indexed(self.stores)

    async def search(self, query: str, **variables: Any) -> dict[str, Any]:
        data = await self.api.data(SEARCH, {"query": query, **variables})
        result: dict[str, Any] = data["search"]
        return result

    async def titles(self, query: str, **variables: Any) -> list[str]:
        result = await self.search(query, **variables)
        return [hit["node"].get("title") or hit["node"].get("name") for hit in result["hits"]]


@pytest.fixture
async def hub(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[SearchHub]:
    """The app with its own search indexes (named after its database) and its indexer running."""
    settings = settings_for(mongo, meili, stores.database.name)
    engine = SearchEngine.open(meili.url, meili.api_key, names=IndexNames(stores.database.name))
    async with running_app(settings) as api:
        yield SearchHub(api, api.as_user(await hub_admin_token(stores)), stores, engine)
    await engine.aclose()


async def _practices(hub: SearchHub) -> dict[str, dict[str, Any]]:
    """A small hub: waste banks in Depok and Surabaya, a Posyandu in Jakarta, a draft."""
    kecamatan = await create_organization(hub.writer)
    kelurahan = await create_organization(
        hub.writer,
        name="Pemerintah Kelurahan Keputih",
        kind="KELURAHAN_GOVERNMENT",
        regionCode="35.78.09.1001",
    )
    created = {
        "depok": await create_practice(hub.writer, kecamatan, published=True),
        "surabaya": await create_practice(
            hub.writer,
            kelurahan,
            title="Warga Keputih Mengelola Sampah Organik",
            titleEn="Keputih residents manage organic waste",
            summary="Komposter komunal di setiap RW.",
            problem="Sampah organik dibuang ke saluran air.",
            approach="Warga mengelola sampah organik menjadi kompos bersama kader lingkungan.",
            regionCodes=["35.78.09.1001"],
            stage="PILOT",
            published=True,
        ),
        "jakarta": await create_practice(
            hub.writer,
            kecamatan,
            title="Pos Pelayanan Terpadu Keliling Gambir",
            summary="Pemantauan tumbuh kembang balita dari rumah ke rumah.",
            problem="Kunjungan balita ke pos pelayanan terpadu menurun.",
            approach="Kader PKK mendatangi rumah warga dengan timbangan dan buku KIA.",
            regionCodes=["31.71.01"],
            themes=["HEALTH", "NUTRITION_STUNTING"],
            stage="APPLIED",
            published=True,
        ),
        "draft": await create_practice(
            hub.writer, kecamatan, title="Bank Sampah Rahasia Draf", regionCodes=["32.76.05"]
        ),
    }
    await hub.settle()
    return created


async def test_a_new_practice_is_found_with_its_object_and_highlights(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    result = await hub.search("bank sampah")
    # then
    first = result["hits"][0]
    assert first["type"] == "PRACTICE"
    assert first["node"]["title"] == "Bank Sampah Digital Kelurahan Sukmajaya"
    assert any("<mark>" in h["snippet"] and h["field"] == "title" for h in first["highlights"])


async def test_indonesian_morphology_typos_and_synonyms_are_understood(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    morphology = await hub.titles("pengelolaan sampah")
    typo = await hub.titles("smapah")
    synonym = await hub.titles("posyandu")
    # then: "pengelolaan" shares its stem with "mengelola"; "posyandu" is a pos pelayanan terpadu
    assert "Warga Keputih Mengelola Sampah Organik" in morphology
    assert "Bank Sampah Digital Kelurahan Sukmajaya" in typo
    assert synonym == ["Pos Pelayanan Terpadu Keliling Gambir"]


async def test_only_published_content_is_searchable_anonymously(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    titles = await hub.titles("rahasia")
    # then
    assert titles == []


async def test_drafts_are_found_by_their_organization_and_reviewers_only(hub: SearchHub) -> None:
    # given: the draft belongs to the Sukmajaya kecamatan organization
    await _practices(hub)
    kecamatan = next(
        o
        for o in await hub.stores.organizations.find_all(filter=OrganizationFilter())
        if "Sukmajaya" in o.name
    )
    other = await organization_record(
        hub.stores, name="Kelurahan Lain", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    association = await organization_record(hub.stores, name="Asosiasi", kind=OrganizationKind.ASSOCIATION)
    _, member = await user_with_token(hub.stores, role=Role.MEMBER, organization_id=kecamatan.id)
    _, outsider = await user_with_token(hub.stores, role=Role.MEMBER, organization_id=other.id)
    _, reviewer = await user_with_token(hub.stores, role=Role.REVIEWER, organization_id=association.id)
    # when
    found = {
        name: await SearchHub(hub.api.as_user(token), hub.writer, hub.stores, hub.engine).titles("rahasia")
        for name, token in (("member", member), ("outsider", outsider), ("reviewer", reviewer))
    }
    # then
    assert found == {
        "member": ["Bank Sampah Rahasia Draf"],
        "outsider": [],
        "reviewer": ["Bank Sampah Rahasia Draf"],
    }


async def test_region_filter_at_any_level_finds_everything_below(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    java_east = await hub.titles("", filter={"regionCodes": ["35"]})
    kecamatan = await hub.titles("", filter={"regionCodes": ["32.76.05"], "types": ["PRACTICE"]})
    either = await hub.titles("", filter={"regionCodes": ["35.78", "31.71"], "types": ["PRACTICE"]})
    # then
    assert java_east[0] == "Warga Keputih Mengelola Sampah Organik"
    assert kecamatan == ["Bank Sampah Digital Kelurahan Sukmajaya"]
    assert sorted(either) == [
        "Pos Pelayanan Terpadu Keliling Gambir",
        "Warga Keputih Mengelola Sampah Organik",
    ]


async def test_filters_are_or_within_a_facet_and_and_across(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    health_or_waste = await hub.titles("", filter={"themes": ["HEALTH", "WASTE_MANAGEMENT"]})
    waste_and_pilot = await hub.titles("", filter={"themes": ["WASTE_MANAGEMENT"], "stages": ["PILOT"]})
    # then
    assert len(health_or_waste) == 3
    assert waste_and_pilot == ["Warga Keputih Mengelola Sampah Organik"]


async def test_empty_query_browses_newest_first_with_facet_counts(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    result = await hub.search("", filter={"types": ["PRACTICE"]})
    # then
    titles = [hit["node"]["title"] for hit in result["hits"]]
    assert titles == [
        "Pos Pelayanan Terpadu Keliling Gambir",
        "Warga Keputih Mengelola Sampah Organik",
        "Bank Sampah Digital Kelurahan Sukmajaya",
    ]
    facets = {
        f["facet"]: {v["value"]: (v["count"], v["label"]) for v in f["values"]} for f in result["facets"]
    }
    assert facets["CONTENT_TYPE"] == {"PRACTICE": (3, "Praktik Baik")}
    assert facets["THEME"]["WASTE_MANAGEMENT"] == (2, "Pengelolaan Sampah")
    assert facets["PROVINCE"] == {
        "31": (1, "Daerah Khusus Ibukota Jakarta"),
        "32": (1, "Jawa Barat"),
        "35": (1, "Jawa Timur"),
    }
    assert facets["KECAMATAN"]["35.78.09"] == (1, "Sukolilo")
    assert facets["STAGE"] == {"APPLIED": (2, "Diterapkan"), "PILOT": (1, "Uji Coba")}


def _counts(result: dict[str, Any], facet: str) -> dict[str, int]:
    return next(
        {v["value"]: v["count"] for v in f["values"]} for f in result["facets"] if f["facet"] == facet
    )


async def test_disjunctive_facets_count_each_facet_without_its_own_filter(hub: SearchHub) -> None:
    # given: waste banks and a posyandu, some applied, one a pilot; organizations too
    await _practices(hub)
    narrowed = {"types": ["PRACTICE"], "themes": ["WASTE_MANAGEMENT"], "stages": ["APPLIED"]}
    # when
    result = await hub.search("", filter=narrowed, disjunctiveFacets=True)
    plain = await hub.search("", filter=narrowed)
    # then: the hits are the same, and each flat facet counts as if only the others filtered
    assert result["hits"] == plain["hits"]
    assert result["totalCount"] == plain["totalCount"] == 1
    other_themes = await hub.search("", filter={"types": ["PRACTICE"], "stages": ["APPLIED"]})
    other_stages = await hub.search("", filter={"types": ["PRACTICE"], "themes": ["WASTE_MANAGEMENT"]})
    other_types = await hub.search("", filter={"themes": ["WASTE_MANAGEMENT"], "stages": ["APPLIED"]})
    assert _counts(result, "THEME") == _counts(other_themes, "THEME")
    assert _counts(result, "STAGE") == _counts(other_stages, "STAGE") == {"APPLIED": 1, "PILOT": 1}
    assert _counts(result, "CONTENT_TYPE") == _counts(other_types, "CONTENT_TYPE")
    assert "HEALTH" in _counts(result, "THEME")
    assert "HEALTH" not in _counts(plain, "THEME")
    # region facets stay drill-down: counted within the filter, as without the option
    assert _counts(result, "PROVINCE") == _counts(plain, "PROVINCE")


async def test_facet_labels_in_both_languages_through_fragments_and_aliases(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    query = """
    query($query: String!) {
      search(query: $query, facets: [CONTENT_TYPE, PROVINCE, STAGE]) {
        facets { facet values { ...Shown } }
      }
    }
    fragment Shown on FacetValue { value shown: label english: labelEn }
    """
    # when
    data = await hub.api.data(query, {"query": ""})
    # then
    facets = {
        f["facet"]: {v["value"]: (v["shown"], v["english"]) for v in f["values"]}
        for f in data["search"]["facets"]
    }
    assert facets["CONTENT_TYPE"]["PRACTICE"] == ("Praktik Baik", "Good practice")
    assert facets["PROVINCE"]["35"] == ("Jawa Timur", "Jawa Timur")
    assert facets["STAGE"] == {"APPLIED": ("Diterapkan", "Applied"), "PILOT": ("Uji Coba", "Pilot")}


async def test_organizations_are_found_by_name_and_ranked_with_content(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    result = await hub.search("keputih")
    # then
    types = {hit["type"] for hit in result["hits"]}
    assert types == {"PRACTICE", "ORGANIZATION"}
    assert "Pemerintah Kelurahan Keputih" in [hit["node"].get("name") for hit in result["hits"]]


async def test_pages_follow_cursors_without_repeats(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    seen: list[str] = []
    after = None
    # when
    while True:
        result = await hub.search("", first=2, after=after, facets=[])
        seen += [hit["node"].get("id") for hit in result["hits"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    # then: 3 published practices and 3 organizations (with the writer's association)
    assert len(seen) == len(set(seen)) == 6


async def test_updates_and_deletes_reach_the_index(hub: SearchHub) -> None:
    # given
    created = await _practices(hub)
    practice = created["depok"]
    # when
    version = practice["version"]
    await hub.writer.mutate(
        UPDATE_PRACTICE,
        {"id": practice["id"], "version": version, "changes": {"title": "Tabungan Emas dari Sampah Plastik"}},
    )
    await hub.settle()
    renamed = await hub.titles("tabungan emas")
    await hub.writer.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": version + 1})
    await hub.settle()
    deleted = await hub.titles("tabungan emas")
    # then
    assert renamed == ["Tabungan Emas dari Sampah Plastik"]
    assert deleted == []


async def test_similar_practices_come_from_other_regions(hub: SearchHub) -> None:
    # given
    created = await _practices(hub)
    # when
    data = await hub.api.data(SIMILAR, {"id": created["depok"]["id"]})
    # then
    titles = [practice["title"] for practice in data["similarPractices"]]
    assert titles[0] == "Warga Keputih Mengelola Sampah Organik"
    assert all(not r["code"].startswith("32.76.05") for p in data["similarPractices"] for r in p["regions"])
    assert "Bank Sampah Rahasia Draf" not in titles


async def test_suggestions_complete_titles_as_one_types(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    data = await hub.api.data(SUGGEST, {"prefix": "pos pel"})
    # then
    assert [s["title"] for s in data["searchSuggestions"]] == ["Pos Pelayanan Terpadu Keliling Gambir"]
    assert data["searchSuggestions"][0]["type"] == "PRACTICE"


ATTACKS = [
    '32" OR status = "DRAFT',
    '32\\" OR status = \\"DRAFT',
    "32] OR status IN [DRAFT",
    "32 OR id EXISTS",
]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_filter_injection_through_region_codes_is_refused(hub: SearchHub, attack: str) -> None:
    # given
    await _practices(hub)
    # when
    body = await hub.api.post(SEARCH, {"query": "", "filter": {"regionCodes": [attack]}})
    # then
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.regionCodes"}


@pytest.mark.parametrize("attack", ATTACKS)
async def test_filter_values_reach_meilisearch_as_one_quoted_string(hub: SearchHub, attack: str) -> None:
    # given: past the argument check, the escaping alone must hold
    await _practices(hub)
    engine = hub.engine
    # when
    result = await queries.search(
        engine, query="", filter=SearchFilter(region_codes=[attack]), offset=0, limit=20
    )
    # then: the text is a value no region has, never an expression that lets drafts through
    assert result.hits == []


async def test_bad_search_arguments_are_typed_errors(hub: SearchHub) -> None:
    # when
    long_query = await hub.api.post(SEARCH, {"query": "x" * 501})
    bad_cursor = await hub.api.post(SEARCH, {"query": "", "after": "bm90LWEtY3Vyc29y"})
    bad_sdg = await hub.api.post(SEARCH, {"query": "", "filter": {"sdgs": [99]}})
    # then
    for body, argument in ((long_query, "query"), (bad_cursor, "after"), (bad_sdg, "filter.sdgs")):
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_only_the_facets_named_are_counted(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    engine = hub.engine
    # when
    every = await queries.search(engine, query="", filter=SearchFilter(), offset=0, limit=5)
    named = await queries.search(
        engine, query="", filter=SearchFilter(), offset=0, limit=5, facets=["stage", "region_province"]
    )
    none = await queries.search(engine, query="", filter=SearchFilter(), offset=0, limit=5, facets=[])
    # then: the same hits, and the counts of those two facets alone
    assert named.facets == {name: every.facets[name] for name in ("stage", "region_province")}
    assert named.facets["stage"]
    assert none.facets == {}
    assert named.hits == none.hits == every.hits


async def test_highlights_are_the_fields_with_a_marked_word(hub: SearchHub) -> None:
    # given
    await _practices(hub)
    # when
    result = await hub.search("organik")
    # then: the title and the body have the word; the summary, which has not, is not shown
    practice = next(hit for hit in result["hits"] if hit["type"] == "PRACTICE")
    fields = {h["field"] for h in practice["highlights"]}
    assert {"title", "body"} <= fields
    assert "summary" not in fields
    assert all("<mark>" in h["snippet"] for h in practice["highlights"])


async def test_highlights_name_the_fields_of_the_hits_object(hub: SearchHub) -> None:
    # given: an organization and its practice, both named after Sukmajaya, in both languages
    organization = await create_organization(hub.writer)
    await create_practice(hub.writer, organization, published=True)
    await hub.settle()
    # when
    result = await hub.search("sukmajaya")
    # then: as the GraphQL types name them (an organization's title is its name)
    fields = {hit["type"]: {h["field"] for h in hit["highlights"]} for hit in result["hits"]}
    assert {"title", "titleEn"} <= fields["PRACTICE"]
    assert fields["ORGANIZATION"] == {"name"}


async def test_search_documents_never_hold_contact_email_or_phone(hub: SearchHub) -> None:
    # given: a published practice with a contact person
    organization = await create_organization(hub.writer)
    contact = {"name": "Ibu Lurah", "email": "lurah@sukmajaya.go.id", "phone": "+62 21 555 0199"}
    await create_practice(hub.writer, organization, published=True, contact=contact)
    await hub.settle()
    # when
    documents = await hub.engine.client.index(hub.engine.index_uid(SPECS[0])).get_documents(limit=100)
    # then
    stored = json.dumps(documents.results)
    assert "Bank Sampah Digital" in stored
    assert "lurah@sukmajaya.go.id" not in stored
    assert "555 0199" not in stored
