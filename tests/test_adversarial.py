"""What an attacker throws at the running server (under uvicorn, over real HTTP).

Every attack gets a fast, typed refusal (status and ``extensions.code``), nothing is executed
that should not be, and the server answers normally afterwards. MongoDB operators smuggled
through any argument that reaches a query match nothing.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.support import (
    GraphQLClient,
    create_organization,
    create_practice,
    hub_admin_token,
    organization_record,
    user_with_token,
)

# A refusal must not take long: each is decided before any real work.
FAST_SECONDS = 2.0


@pytest.fixture
async def http(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served, timeout=30) as client:
        yield client


def _depth(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"regions {{ {inner} }}"
    return f"{{ practices {{ nodes {{ {inner} }} }} }}"


def _fragment_bomb() -> str:
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}\n" for i in range(30))
    return "query { ...F0 }\n" + fragments + "fragment F30 on Query { __typename }"


FRAGMENT_CYCLE = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
WIDE_FIELD = "practices(first: 100) { nodes { regions { name code level } } }"
WIDE = "{ " + " ".join(f"a{i}: {WIDE_FIELD}" for i in range(29)) + " }"
ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(200)) + " }"
TOKENS = "{ " + "__typename " * 6000 + "}"
VIEWER = {"query": "{ viewer { name } }"}


def _query(query: str, **variables: Any) -> dict[str, Any]:
    return {"json": {"query": query, "variables": variables}}


def _raw(content: bytes, content_type: str | None = "application/json") -> dict[str, Any]:
    return {"content": content, "headers": {"content-type": content_type} if content_type else {}}


def _signed(authorization: str) -> dict[str, Any]:
    return {"json": VIEWER, "headers": {"authorization": authorization}}


# (name, request keyword arguments, expected status, expected code)
ATTACKS: list[tuple[str, dict[str, Any], int, str]] = [
    ("deep query", _query(_depth(20)), 200, "QUERY_TOO_DEEP"),
    ("wide query", _query(WIDE), 200, "QUERY_TOO_COSTLY"),
    ("alias bomb", _query(ALIASES), 200, "TOO_MANY_ALIASES"),
    ("fragment bomb", _query(_fragment_bomb()), 200, "QUERY_TOO_COSTLY"),
    ("fragment cycle", _query(FRAGMENT_CYCLE), 200, "GRAPHQL_VALIDATION_FAILED"),
    ("token flood", _query(TOKENS), 200, "TOO_MANY_TOKENS"),
    (
        "huge variables",
        _query("query($x: String) { __typename }", x="a" * 3_000_000),
        413,
        "REQUEST_TOO_LARGE",
    ),
    ("many unused variables", _query("{ __typename }", **{f"v{i}": i for i in range(50_000)}), 200, "OK"),
    ("malformed JSON", _raw(b'{"query": "{ prac'), 400, "BAD_REQUEST"),
    ("JSON string", _raw(b'"query"'), 400, "BAD_REQUEST"),
    ("JSON list of numbers", _raw(b"[1, 2]"), 400, "BAD_REQUEST"),
    ("text/plain", _raw(b'{"query":"{ __typename }"}', "text/plain"), 400, "BAD_REQUEST"),
    ("no content type", _raw(b'{"query":"{ __typename }"}', None), 400, "BAD_REQUEST"),
    ("batch of 500", {"json": [{"query": "{ __typename }"}] * 500}, 400, "TOO_MANY_OPERATIONS"),
    ("forged token", _signed("Bearer " + "a" * 24 + "." + "b" * 43), 401, "UNAUTHENTICATED"),
    ("malformed token", _signed("Bearer not-a-token"), 401, "UNAUTHENTICATED"),
    ("basic credentials", _signed("Basic YWRtaW46YWRtaW4="), 401, "UNAUTHENTICATED"),
    ("bearer without a token", _signed("Bearer"), 401, "UNAUTHENTICATED"),
]


def _code(response: httpx.Response) -> str:
    body = response.json()
    if isinstance(body, dict) and body.get("errors"):
        code: str = body["errors"][0]["extensions"]["code"]
        return code
    return "OK"


@pytest.mark.parametrize(("attack", "request_kwargs", "status", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
async def test_each_attack_gets_a_fast_typed_refusal(
    http: httpx.AsyncClient, attack: str, request_kwargs: dict[str, Any], status: int, code: str
) -> None:
    # when
    started = time.perf_counter()
    response = await http.post("/graphql", **request_kwargs)
    elapsed = time.perf_counter() - started
    # then
    assert (response.status_code, _code(response)) == (status, code), response.text[:300]
    assert "Traceback" not in response.text
    assert elapsed < FAST_SECONDS * 5  # generous: only a hang or a runaway loop fails this
    # and the server still answers normally
    healthy = await http.post("/graphql", json={"query": "{ __typename }"})
    assert healthy.json() == {"data": {"__typename": "Query"}}


async def test_a_token_whose_secret_is_wrong_or_whose_user_is_gone_is_refused(
    http: httpx.AsyncClient, stores: Stores
) -> None:
    # given: a live token, the same session with another secret, and a token of a removed user
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    _, live = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    tampered = live.split(".")[0] + "." + "x" * 43
    removed_user, orphan = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    await stores.users.remove(removed_user.id)
    # when
    results = {
        name: await http.post(
            "/graphql", json={"query": "{ viewer { name } }"}, headers={"authorization": f"Bearer {token}"}
        )
        for name, token in (("live", live), ("tampered", tampered), ("orphan", orphan))
    }
    # then
    assert results["live"].json()["data"]["viewer"]["name"].startswith("Pengguna Uji")
    assert (results["tampered"].status_code, _code(results["tampered"])) == (401, "UNAUTHENTICATED")
    assert (results["orphan"].status_code, _code(results["orphan"])) == (401, "UNAUTHENTICATED")


# --- MongoDB operator injection --------------------------------------------------------------------

SIGN_IN = """
mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { errors { code } } }
"""
OPERATOR = '{"$ne": null}'
CURSOR_WITH_OPERATOR = base64.urlsafe_b64encode(json.dumps(["newest", {"$gt": ""}]).encode()).decode()
# (argument, the type of $v, a selection passing $v to it)
INJECTIONS: list[tuple[str, str, str]] = [
    ("node", "ID!", "node(id: $v) { id }"),
    ("nodes", "ID!", "nodes(ids: [$v]) { id }"),
    ("region", "String!", "region(code: $v) { code }"),
    ("regions.parentCode", "String", "regions(parentCode: $v) { totalCount }"),
    ("regions.nameStartsWith", "String", "regions(nameStartsWith: $v) { totalCount }"),
    ("organization", "ID!", "organization(id: $v) { id }"),
    ("organizations.regionCode", "String", "organizations(regionCode: $v) { totalCount }"),
    ("practices.organizationIds", "ID!", "practices(filter: {organizationIds: [$v]}) { totalCount }"),
    ("practices.regionCode", "String", "practices(filter: {regionCode: $v}) { totalCount }"),
    ("practices.after", "String", "practices(after: $v) { totalCount }"),
    ("replications.practiceId", "ID", "replications(filter: {practiceId: $v}) { totalCount }"),
    ("users.organizationId", "ID!", "users(organizationId: $v) { totalCount }"),
    ("similarPractices.id", "ID!", "similarPractices(id: $v) { id }"),
    ("searchSuggestions.prefix", "String!", "searchSuggestions(prefix: $v) { id }"),
]


@pytest.mark.parametrize(("argument", "type_", "selection"), INJECTIONS, ids=[i[0] for i in INJECTIONS])
async def test_operators_in_any_argument_match_nothing(
    http: httpx.AsyncClient, stores: Stores, argument: str, type_: str, selection: str
) -> None:
    # given: content that an operator matching "anything" would reveal
    api = GraphQLClient(http, await hub_admin_token(stores))
    organization = await create_organization(api)
    await create_practice(api, organization, published=True)
    # when
    query = f"query($v: {type_}) {{ {selection} }}"
    for value in (OPERATOR, "$where", CURSOR_WITH_OPERATOR):
        response = await http.post("/graphql", json={"query": query, "variables": {"v": value}})
        body = response.json()
        # then: a typed error, or an empty answer; never the stored content
        if "errors" in body:
            assert body["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "FORBIDDEN"), body
        else:
            (found,) = body["data"].values()
            assert found in (None, [], [None]) or found.get("totalCount") == 0, (value, body)


async def test_objects_where_strings_belong_are_refused_before_any_query(http: httpx.AsyncClient) -> None:
    # when: the classic JSON operator injection, {"$ne": null} as a value
    sign_in = await http.post(
        "/graphql",
        json={
            "query": SIGN_IN,
            "variables": {"e": {"$ne": None}, "p": {"$ne": None}},
        },
    )
    node = await http.post(
        "/graphql", json={"query": "query($v: ID!) { node(id: $v) { id } }", "variables": {"v": {"$gt": ""}}}
    )
    # then
    assert sign_in.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert node.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_operator_shaped_email_signs_nobody_in(http: httpx.AsyncClient, stores: Stores) -> None:
    # given
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    await user_with_token(stores, role=Role.ADMIN, organization_id=organization.id)
    # when
    response = await http.post(
        "/graphql",
        json={
            "query": SIGN_IN,
            "variables": {"e": OPERATOR, "p": "tebakan-sembarang"},
        },
    )
    # then
    assert response.json()["data"]["signIn"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
