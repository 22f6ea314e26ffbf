"""The standard introspection query of every tool runs in development; limits still hold around it.

The documents are graphql-core's ``get_introspection_query``, which prints exactly what graphql-js's
``getIntrospectionQuery`` does with the same options (GraphiQL, graphql-codegen, Apollo's tools
and Python's gql send these).
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query

from server.settings import Settings
from tests.support import GraphQLClient

# name -> graphql-core's options (graphql-js's, in snake case)
INTROSPECTION_VARIANTS: dict[str, dict[str, Any]] = {
    "graphql-js default": {},
    "without descriptions": {"descriptions": False},
    "specifiedByUrl": {"specified_by_url": True},
    "directiveIsRepeatable": {"directive_is_repeatable": True},
    "schemaDescription": {"schema_description": True},
    "inputValueDeprecation": {"input_value_deprecation": True},
    "every option": {
        "descriptions": True,
        "specified_by_url": True,
        "directive_is_repeatable": True,
        "schema_description": True,
        "input_value_deprecation": True,
    },
}
INTROSPECTION_QUERIES = {
    name: get_introspection_query(**options) for name, options in INTROSPECTION_VARIANTS.items()
}
# The fullest document a tool may send: every option, oneOf and type references 16 deep.
FULLEST_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
    type_depth=16,
)


def _nested(field: str, levels: int, leaf: str) -> str:
    return f"{field} {{ " * levels + leaf + " }" * levels


# Fifteen levels, as deep as the introspection query, but of real data.
DEEP_REAL = '{ region(code: "32.76.05.1001") { ' + _nested("parent", 14, "name") + " } }"
INTROSPECTION_BESIDE_DEEP_REAL = (
    '{ __schema { queryType { name } } region(code: "32.76.05.1001") { '
    + _nested("parent", 14, "name")
    + " } }"
)
INTROSPECTION_BESIDE_COSTLY_REAL = (
    "{ __schema { types { name } } "
    "regions(first: 100) { nodes { children { children { children { name } } } } } }"
)
# Lists of types inside lists of types: what makes introspection costly to answer.
NESTED_TYPE_LISTS = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
TYPE_REFS_TOO_DEEP = '{ __type(name: "Practice") { ' + _nested("ofType", 40, "name") + " } }"
# Each fragment spreads the previous one twice: 2^20 selections once inlined, 21 levels deep.
INTROSPECTION_FRAGMENT_BOMB = (
    '{ __type(name: "Practice") { ...F20 } } fragment F0 on __Type { name } '
    + " ".join(f"fragment F{i} on __Type {{ ...F{i - 1} ofType {{ ...F{i - 1} }} }}" for i in range(1, 21))
)
ALIASED_INTROSPECTION = (
    "{ " + " ".join(f'a{i}: __type(name: "Practice") {{ name }}' for i in range(31)) + " }"
)


def _codes(body: dict[str, Any]) -> list[object]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def _type_names(body: dict[str, Any]) -> set[str]:
    return {each["name"] for each in body["data"]["__schema"]["types"]}


@pytest.mark.parametrize("variant", INTROSPECTION_QUERIES)
async def test_each_standard_introspection_variant_succeeds_in_development(
    api: GraphQLClient, variant: str
) -> None:
    # when
    body = await api.post(INTROSPECTION_QUERIES[variant])
    # then
    assert "errors" not in body, body["errors"]
    assert {"Practice", "Query", "Mutation"} <= _type_names(body)


async def test_the_fullest_introspection_query_is_within_the_default_token_limit(api: GraphQLClient) -> None:
    # given: the app of the `api` fixture keeps the default limits
    assert Settings().max_tokens == 5_000
    # when
    body = await api.post(FULLEST_INTROSPECTION)
    # then
    assert "errors" not in body, _codes(body)
    practice = next(t for t in body["data"]["__schema"]["types"] if t["name"] == "Practice")
    assert "title" in {field["name"] for field in practice["fields"]}


async def test_a_real_query_as_deep_as_the_introspection_query_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(DEEP_REAL)
    # then
    assert _codes(body) == ["QUERY_TOO_DEEP"]
    assert body.get("data") is None


async def test_a_deep_real_selection_beside_introspection_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(INTROSPECTION_BESIDE_DEEP_REAL)
    # then
    assert _codes(body) == ["QUERY_TOO_DEEP"]


async def test_a_costly_real_selection_beside_introspection_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(INTROSPECTION_BESIDE_COSTLY_REAL)
    # then
    assert _codes(body) == ["QUERY_TOO_COSTLY"]


async def test_introspection_nesting_lists_of_types_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(NESTED_TYPE_LISTS)
    # then
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "Maximum introspection depth exceeded"


async def test_introspection_nested_past_its_own_bound_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(TYPE_REFS_TOO_DEEP)
    # then
    assert _codes(body) == ["QUERY_TOO_DEEP"]
    assert "introspection" in body["errors"][0]["message"]


async def test_an_introspection_fragment_bomb_is_refused(api: GraphQLClient) -> None:
    # when
    body = await api.post(INTROSPECTION_FRAGMENT_BOMB)
    # then
    assert _codes(body) == ["QUERY_TOO_COSTLY"]


async def test_aliases_inside_introspection_count_towards_the_alias_limit(api: GraphQLClient) -> None:
    # when
    body = await api.post(ALIASED_INTROSPECTION)
    # then
    assert _codes(body) == ["TOO_MANY_ALIASES"]


@pytest.mark.parametrize("variant", ["graphql-js default", "every option"])
async def test_production_refuses_the_standard_introspection_query(
    production_api: GraphQLClient, variant: str
) -> None:
    # when
    body = await production_api.post(INTROSPECTION_QUERIES[variant])
    # then
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert body.get("data") is None
