"""The hub as `make run` serves it: every region and the demo content, on first start."""

from __future__ import annotations

import pytest

from tests.support import GraphQLClient

COUNTS = """
{
  practices(first: 100) { totalCount nodes { isDemo titleEn regions { code } organization { kind } } }
  caseStudies { totalCount nodes { isDemo organization { kind } relatedPractices { title } } }
  partnerships { totalCount nodes { isDemo partners { role organization { kind } } } }
  replications { totalCount nodes { isDemo practice { regions { code } } regions { code } } }
  organizations(first: 100) { totalCount nodes { kind isDemo } }
}
"""

REGION_COUNTS = """
{
  provinces: regions(level: PROVINCE) { totalCount }
  regencies: regions(level: REGENCY_CITY) { totalCount }
  kecamatan: regions(level: KECAMATAN) { totalCount }
  villages: regions(level: KELURAHAN_DESA) { totalCount }
  jakarta: region(code: "31") { name children { name } }
}
"""

IN_PROVINCE = """
query($code: String!) { practices(filter: {regionCode: $code}) { totalCount nodes { regions { code } } } }
"""


async def test_demo_database_holds_every_kemendagri_region(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(REGION_COUNTS)
    # then
    assert data["provinces"]["totalCount"] == 38
    assert data["regencies"]["totalCount"] == 514
    assert data["kecamatan"]["totalCount"] == 7285
    assert data["villages"]["totalCount"] == 83762
    assert data["jakarta"]["name"] == "Daerah Khusus Ibukota Jakarta"
    assert len(data["jakarta"]["children"]) == 6


async def test_demo_content_covers_kinds_provinces_and_relations(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(COUNTS)
    # then
    practices = data["practices"]["nodes"]
    assert data["practices"]["totalCount"] >= 30
    assert data["caseStudies"]["totalCount"] >= 10
    assert data["partnerships"]["totalCount"] >= 10
    assert data["replications"]["totalCount"] >= 10
    everything = [
        *practices,
        *data["caseStudies"]["nodes"],
        *data["partnerships"]["nodes"],
        *data["replications"]["nodes"],
        *data["organizations"]["nodes"],
    ]
    assert all(item["isDemo"] for item in everything)
    assert all(practice["titleEn"] for practice in practices)
    provinces = {region["code"][:2] for practice in practices for region in practice["regions"]}
    assert len(provinces) >= 8
    kinds = {organization["kind"] for organization in data["organizations"]["nodes"]}
    assert kinds == {
        "KECAMATAN_GOVERNMENT",
        "KELURAHAN_GOVERNMENT",
        "CITY_GOVERNMENT",
        "NGO",
        "ACADEMIC",
        "PRIVATE_SECTOR",
        "COMMUNITY_GROUP",
        "ASSOCIATION",
    }
    assert all(p["organization"] for p in practices)
    assert any(c["relatedPractices"] for c in data["caseStudies"]["nodes"])
    for replication in data["replications"]["nodes"]:  # adopted elsewhere than the original
        assert {r["code"] for r in replication["regions"]} != {
            r["code"] for r in replication["practice"]["regions"]
        }


async def test_a_province_filter_finds_demo_practices_of_its_kelurahan(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(IN_PROVINCE, {"code": "32"})
    # then
    assert data["practices"]["totalCount"] >= 2
    for practice in data["practices"]["nodes"]:
        assert any(region["code"].startswith("32") for region in practice["regions"])


DEMO_SEARCH = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, first: 10, facets: [CONTENT_TYPE, PROVINCE]) {
    totalCount
    hits { type node { ... on Practice { title } ... on CaseStudy { title } ... on Partnership { title } } }
    facets { facet values { value label count } }
  }
}
"""


async def test_officials_find_demo_practices_the_way_they_type(demo_api: GraphQLClient) -> None:
    # when
    typo = await demo_api.data(DEMO_SEARCH, {"query": "bank smapah"})
    synonym = await demo_api.data(
        DEMO_SEARCH, {"query": "pos pelayanan terpadu", "filter": {"types": ["PRACTICE"]}}
    )
    in_java_west = await demo_api.data(DEMO_SEARCH, {"query": "sampah", "filter": {"regionCodes": ["32"]}})
    # then
    assert any("Sampah" in (hit["node"].get("title") or "") for hit in typo["search"]["hits"][:3])
    assert any("Posyandu" in hit["node"]["title"] for hit in synonym["search"]["hits"][:3])
    provinces = {f["facet"]: f["values"] for f in in_java_west["search"]["facets"]}["PROVINCE"]
    assert [(v["value"], v["label"]) for v in provinces] == [("32", "Jawa Barat")]
    assert in_java_west["search"]["totalCount"] >= 2


DEMO_SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) { session { user { role organization { name } } } errors { code } }
}
"""


@pytest.mark.parametrize(
    ("email", "password", "role", "organization"),
    [
        (
            "admin@demo.lumbung.id",
            "lumbung-admin-demo",
            "ADMIN",
            "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia",
        ),
        (
            "peninjau@demo.lumbung.id",
            "lumbung-peninjau-demo",
            "REVIEWER",
            "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia",
        ),
        ("anggota@demo.lumbung.id", "lumbung-anggota-demo", "MEMBER", "Pemerintah Kelurahan Depok Jaya"),
        ("mitra@demo.lumbung.id", "lumbung-mitra-demo", "PARTNER", "Yayasan Lestari Kampung Nusantara"),
    ],
)
async def test_each_demo_account_of_the_readme_signs_in_with_its_role(
    demo_api: GraphQLClient, email: str, password: str, role: str, organization: str
) -> None:
    # when
    payload = await demo_api.mutate(DEMO_SIGN_IN, {"email": email, "password": password})
    # then
    assert payload == {
        "session": {"user": {"role": role, "organization": {"name": organization}}},
        "errors": [],
    }


DEMO_TOKEN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
DEMO_EXCHANGES = """
{
  organizations(first: 100) {
    nodes {
      exchangeRequests(direction: OUTGOING, first: 20) {
        nodes {
          state kind isDemo message
          replication { practice { id } }
          subject { __typename ... on Practice { id } }
          requestingRegion { code }
          ownerOrganization { region { code } }
        }
      }
    }
  }
}
"""


async def test_demo_exchanges_cover_every_state_between_provinces_and_one_became_a_replication(
    demo_api: GraphQLClient,
) -> None:
    # given: the demo hub admin, who reads every organization's exchanges
    signed_in = await demo_api.mutate(
        DEMO_TOKEN, {"email": "admin@demo.lumbung.id", "password": "lumbung-admin-demo"}
    )
    admin = demo_api.as_user(signed_in["session"]["accessToken"])
    # when
    data = await admin.data(DEMO_EXCHANGES)
    # then
    exchanges = [
        exchange
        for organization in data["organizations"]["nodes"]
        for exchange in organization["exchangeRequests"]["nodes"]
    ]
    assert len(exchanges) >= 8
    assert all(exchange["isDemo"] for exchange in exchanges)
    assert {exchange["state"] for exchange in exchanges} == {
        "REQUESTED",
        "ACCEPTED",
        "DECLINED",
        "SCHEDULED",
        "COMPLETED",
        "CANCELLED",
    }
    assert {exchange["kind"] for exchange in exchanges} == {"STUDY_VISIT", "MENTORING", "DOCUMENTS"}
    assert {exchange["subject"]["__typename"] for exchange in exchanges} == {"Practice", "Partnership"}
    for exchange in exchanges:  # from one province to another
        assert exchange["requestingRegion"]["code"][:2] != exchange["ownerOrganization"]["region"]["code"][:2]
    (converted,) = [exchange for exchange in exchanges if exchange["replication"]]
    assert converted["state"] == "COMPLETED"
    assert converted["replication"]["practice"]["id"] == converted["subject"]["id"]
