"""Abuse of the API gets a fast, clear rejection, and the server stays healthy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.settings import Environment, Settings
from tests.support import GraphQLClient

DEEP = '{ region(code: "32.76.05.1001") { ' + "parent { " * 14 + "name" + " }" * 14 + " } }"
INTROSPECTION = "{ __schema { types { name } } }"


def _code(body: dict[str, object]) -> object:
    errors = body["errors"]
    assert isinstance(errors, list)
    return errors[0]["extensions"]["code"]


async def test_deep_query_is_refused(api: GraphQLClient) -> None:
    body = await api.post(DEEP)
    assert _code(body) == "QUERY_TOO_DEEP"
    assert body.get("data") is None


async def test_costly_query_is_refused_before_it_runs(api: GraphQLClient) -> None:
    # given: 100 regions, each with its children's children's children
    query = "{ regions(first: 100) { nodes { children { children { children { name } } } } } }"
    # when
    body = await api.post(query)
    # then
    assert _code(body) == "QUERY_TOO_COSTLY"
    assert "budget" in body["errors"][0]["message"]


async def test_a_modest_nested_page_is_within_the_budget(api: GraphQLClient) -> None:
    query = (
        "{ practices(first: 50) { nodes { title regions { name parent { name } } organization { name } } } }"
    )
    assert "errors" not in await api.post(query)


async def test_alias_bomb_is_refused(api: GraphQLClient) -> None:
    query = "{ " + " ".join(f'a{i}: region(code: "32") {{ name }}' for i in range(31)) + " }"
    assert _code(await api.post(query)) == "TOO_MANY_ALIASES"


async def test_fragment_bomb_is_refused_quickly(api: GraphQLClient) -> None:
    # given: each fragment spreads the previous one twice: 2^20 fields once expanded
    fragments = ["fragment F0 on Region { name code }"]
    fragments += [f"fragment F{i} on Region {{ ...F{i - 1} parent {{ ...F{i - 1} }} }}" for i in range(1, 21)]
    query = '{ region(code: "32") { ...F20 } } ' + " ".join(fragments)
    # when
    body = await api.post(query)
    # then
    assert _code(body) in {"QUERY_TOO_DEEP", "QUERY_TOO_COSTLY"}


async def test_token_flood_is_refused(api: GraphQLClient) -> None:
    query = "{ " + "__typename " * 6000 + "}"
    assert _code(await api.post(query)) == "TOO_MANY_TOKENS"


async def test_huge_body_is_refused_with_413(api: GraphQLClient) -> None:
    # when
    response = await api.http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"x": "a" * 2_100_000}}
    )
    # then
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_batch_runs_up_to_ten_operations_and_a_bigger_one_is_refused(api: GraphQLClient) -> None:
    # when
    small = await api.http.post("/graphql", json=[{"query": "{ __typename }"}] * 10)
    big = await api.http.post("/graphql", json=[{"query": "{ __typename }"}] * 11)
    # then
    assert [result["data"] for result in small.json()] == [{"__typename": "Query"}] * 10
    assert big.status_code == 400
    assert big.json()["errors"][0]["extensions"] == {"code": "TOO_MANY_OPERATIONS"}


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/x-www-form-urlencoded", b"query=mutation%7B__typename%7D"),
        ("text/plain", b'{"query": "mutation { __typename }"}'),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
    ],
)
async def test_cross_site_form_posts_cannot_run_mutations(
    api: GraphQLClient, content_type: str, content: bytes
) -> None:
    # when: what a browser sends cross-site without a CORS preflight
    response = await api.http.post("/graphql", content=content, headers={"content-type": content_type})
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_a_get_without_the_preflight_header_is_refused(api: GraphQLClient) -> None:
    # when: an image tag or a link on another site
    bare = await api.http.get("/graphql", params={"query": "{ viewer { name } }"})
    preflighted = await api.http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"GraphQL-Require-Preflight": "1"}
    )
    # then
    assert bare.status_code == 400
    assert bare.json()["errors"][0]["extensions"] == {"code": "CSRF_PREFLIGHT_REQUIRED"}
    assert preflighted.json() == {"data": {"__typename": "Query"}}


async def test_mutations_over_get_are_refused(api: GraphQLClient) -> None:
    response = await api.http.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers={"GraphQL-Require-Preflight": "1"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert "GET" in response.json()["errors"][0]["message"]


async def test_server_stays_healthy_after_abuse(api: GraphQLClient) -> None:
    for query in (DEEP, "{ " + "__typename " * 6000 + "}", "{ broken"):
        await api.post(query)
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    assert "errors" not in await api.post("{ __typename }")


def test_production_refuses_to_start_without_a_strong_secret_key() -> None:
    with pytest.raises(ValidationError, match="LUMBUNG_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, secret_key="short")


async def test_production_hides_the_schema(production_api: GraphQLClient) -> None:
    # when
    introspection = await production_api.post(INTROSPECTION)
    misspelt = await production_api.post("{ practises { totalCount } }")
    graphiql = await production_api.http.get("/graphql", headers={"accept": "text/html"})
    graphiql_file = await production_api.http.get("/graphiql/graphiql.min.js")
    # then
    assert _code(introspection) == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in misspelt["errors"][0]["message"]
    assert "graphiql" not in graphiql.text.lower()
    assert graphiql_file.status_code == 404


async def test_production_allows_only_configured_origins(production_api: GraphQLClient) -> None:
    # when
    def preflight(origin: str) -> dict[str, str]:
        return {
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        }

    allowed = await production_api.http.options("/graphql", headers=preflight("https://hub.example.org"))
    refused = await production_api.http.options("/graphql", headers=preflight("https://evil.example.com"))
    # then
    assert allowed.headers["access-control-allow-origin"] == "https://hub.example.org"
    assert "access-control-allow-origin" not in refused.headers


async def test_a_search_page_with_its_facets_is_within_the_budget(api: GraphQLClient) -> None:
    # given: facets and totals do not repeat per hit; only the hits do
    query = """
    query($first: Int) {
      search(first: $first) {
        totalCount
        hits { type highlights { field snippet } node { ... on Practice { title regions { name } } } }
        facets { facet values { value count label } }
      }
    }
    """
    # when
    body = await api.post(query, {"first": 100})
    # then: no limit refuses it (the shared test indexes may simply be empty)
    assert [e["extensions"]["code"] for e in body.get("errors", [])] == []
