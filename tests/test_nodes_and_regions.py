"""Global IDs (`node`, `nodes`) and the Kemendagri region hierarchy."""

from __future__ import annotations

from tests.support import GraphQLClient, create_organization, create_practice

REGION = """
query($code: String!) {
  region(code: $code) {
    id code name level kind postalCode
    parent { code name }
    ancestors { code level }
    children { code name }
  }
}
"""

REGIONS = """
query($level: RegionLevel, $parentCode: String, $nameStartsWith: String, $first: Int, $after: String) {
  regions(
    level: $level, parentCode: $parentCode, nameStartsWith: $nameStartsWith, first: $first, after: $after
  ) {
    totalCount
    nodes { code name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Region { code }
    ... on Organization { name }
    ... on Practice { title }
  }
}
"""

NODES = """
query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }
"""

ORGANIZATION = """
query($id: ID!) { organization(id: $id) { name } }
"""


async def test_region_has_parent_ancestors_and_children(api: GraphQLClient) -> None:
    # when
    data = await api.data(REGION, {"code": "32.76.05"})
    # then
    region = data["region"]
    assert (region["name"], region["level"], region["kind"]) == ("Sukmajaya", "KECAMATAN", "kecamatan")
    assert region["parent"] == {"code": "32.76", "name": "Kota Depok"}
    assert region["ancestors"] == [
        {"code": "32", "level": "PROVINCE"},
        {"code": "32.76", "level": "REGENCY_CITY"},
    ]
    assert {"code": "32.76.05.1001", "name": "Sukmajaya"} in region["children"]
    assert all(child["code"].startswith("32.76.05.") for child in region["children"])


async def test_kelurahan_has_postal_code_and_no_children(api: GraphQLClient) -> None:
    # when
    data = await api.data(REGION, {"code": "35.78.09.1001"})
    # then
    assert data["region"]["name"] == "Keputih"
    assert data["region"]["postalCode"] == "60111"
    assert data["region"]["children"] == []


async def test_unknown_region_code_is_null(api: GraphQLClient) -> None:
    assert (await api.data(REGION, {"code": "99.99"}))["region"] is None


async def test_regions_filter_by_parent_and_level(api: GraphQLClient) -> None:
    # when
    children = await api.data(REGIONS, {"parentCode": "32.76", "first": 100})
    kecamatan = await api.data(REGIONS, {"level": "KECAMATAN", "first": 100})
    # then
    names = [r["name"] for r in children["regions"]["nodes"]]
    assert names[:3] == ["Pancoran Mas", "Cimanggis", "Sawangan"]  # ordered by code
    assert children["regions"]["totalCount"] == 11
    # the test database holds Depok (11), Jakarta Pusat (8) and Surabaya (31) kecamatan
    assert kecamatan["regions"]["totalCount"] == 50


async def test_regions_name_search_matches_the_start_ignoring_case_and_type_words(api: GraphQLClient) -> None:
    # when
    depok = await api.data(REGIONS, {"nameStartsWith": "DEPOK"})
    with_type = await api.data(REGIONS, {"nameStartsWith": "Kota Dep"})
    two_words = await api.data(REGIONS, {"nameStartsWith": "pancoran  m", "level": "KECAMATAN"})
    inside = await api.data(REGIONS, {"nameStartsWith": "epok"})
    # then
    assert [r["name"] for r in depok["regions"]["nodes"]] == ["Kota Depok", "Depok", "Depok Jaya"]
    assert with_type["regions"]["nodes"] == depok["regions"]["nodes"]
    assert two_words["regions"]["nodes"] == [{"code": "32.76.01", "name": "Pancoran Mas"}]
    assert inside["regions"]["nodes"] == []


async def test_regions_pages_cover_every_region_once(api: GraphQLClient) -> None:
    # given
    seen: list[str] = []
    after = None
    # when
    while True:
        page = (await api.data(REGIONS, {"parentCode": "35.78", "first": 7, "after": after}))["regions"]
        seen += [r["code"] for r in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert len(seen) == len(set(seen)) == 31
    assert seen == sorted(seen)


async def test_node_fetches_every_type_by_global_id(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    region_id = (await api.data(REGION, {"code": "32.76"}))["region"]["id"]
    # when
    region = await api.data(NODE, {"id": region_id})
    organization = await api.data(NODE, {"id": organization_id})
    found = await api.data(NODE, {"id": practice["id"]})
    # then
    assert region["node"] == {"__typename": "Region", "id": region_id, "code": "32.76"}
    assert organization["node"]["__typename"] == "Organization"
    assert found["node"] == {"__typename": "Practice", "id": practice["id"], "title": practice["title"]}


async def test_nodes_keeps_order_and_nulls_unknown_or_malformed_ids(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    unknown = "UHJhY3RpY2U6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"  # Practice:000...0
    # when
    data = await api.data(NODES, {"ids": [practice["id"], unknown, "not base64 !!", organization_id]})
    # then
    assert [n and n["__typename"] for n in data["nodes"]] == ["Practice", None, None, "Organization"]


async def test_organization_query_with_an_id_of_another_type_is_a_typed_error(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    practice = await create_practice(api, organization_id)
    # when
    body = await api.post(ORGANIZATION, {"id": practice["id"]})
    # then
    assert body["data"] == {"organization": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Practice" in error["message"]


async def test_nodes_refuses_more_than_one_hundred_ids(api: GraphQLClient) -> None:
    # when
    body = await api.post(NODES, {"ids": ["x"] * 101})
    # then
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
