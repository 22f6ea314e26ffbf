"""Python's ``gql``, a real GraphQL client, against the app under uvicorn.

It fetches the schema by introspection, validates each document against it before sending, and
runs queries with variables and mutations over HTTP, as a script reading the hub does (README,
"GraphiQL and other GraphQL tools").
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import GraphQLError

from server.settings import REPO_ROOT
from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.support import TEST_PASSWORD, organization_record, user_with_token

REGION = """
query Region($code: String!) {
  region(code: $code) { code name level parent { code name } }
}
"""
SIGN_IN = """
mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { session { accessToken user { name } } errors { field code message } }
}
"""
VIEWER = "query Viewer { viewer { name role organization { name } } }"
# No field `practises` on Query; `level` of a region takes no argument.
INVALID_DOCUMENTS = [
    "query { practises(first: 5) { totalCount } }",
    'query { region(code: "32.76") { level(format: "short") } }',
]
EVERY_INTROSPECTION_OPTION = {
    "descriptions": True,
    "specified_by_url": True,
    "directive_is_repeatable": True,
    "schema_description": True,
    "input_value_deprecation": True,
}
MEMBER_EMAIL = "siti@depok.go.id"
MEMBER_NAME = "Siti Nurhaliza"
ORGANIZATION_NAME = "Pemerintah Kelurahan Depok Jaya"


class Connect(Protocol):
    def __call__(self, *, token: str | None = None, **client_options: Any) -> Client: ...


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every HTTP request the clients of the test sent."""
    return []


@pytest.fixture
def connect(served: str, sent: list[httpx.Request]) -> Connect:
    """A gql client of the served app (schema fetched by introspection), anonymous or with a token."""

    async def record(outgoing: httpx.Request) -> None:
        sent.append(outgoing)

    def client(*, token: str | None = None, **client_options: Any) -> Client:
        transport = HTTPXAsyncTransport(
            url=f"{served}/graphql",
            headers={"Authorization": f"Bearer {token}"} if token else None,
            event_hooks={"request": [record]},
        )
        client_options.setdefault("fetch_schema_from_transport", True)
        return Client(transport=transport, **client_options)

    return client


async def test_gql_fetches_the_schema_and_runs_a_query_with_variables(connect: Connect) -> None:
    # when
    async with connect() as session:
        result = await session.execute(GraphQLRequest(REGION, variable_values={"code": "32.76"}))
        schema = session.client.schema
    # then
    assert result == {
        "region": {
            "code": "32.76",
            "name": "Kota Depok",
            "level": "REGENCY_CITY",
            "parent": {"code": "32", "name": "Jawa Barat"},
        }
    }
    assert schema is not None
    assert {"Practice", "Region", "SignInInput"} <= set(schema.type_map)


async def test_gql_signs_in_with_a_mutation_and_reads_as_the_user(connect: Connect, stores: Stores) -> None:
    # given: a member's account
    organization = await organization_record(
        stores, name=ORGANIZATION_NAME, kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    await user_with_token(
        stores, role=Role.MEMBER, organization_id=organization.id, email=MEMBER_EMAIL, name=MEMBER_NAME
    )
    credentials = {"input": {"email": MEMBER_EMAIL, "password": TEST_PASSWORD}}
    # when
    async with connect() as session:
        signed_in = await session.execute(GraphQLRequest(SIGN_IN, variable_values=credentials))
    payload = signed_in["signIn"]
    async with connect(token=payload["session"]["accessToken"]) as session:
        viewer = await session.execute(GraphQLRequest(VIEWER))
    # then
    assert payload["errors"] == []
    assert payload["session"]["user"] == {"name": MEMBER_NAME}
    assert viewer == {
        "viewer": {"name": MEMBER_NAME, "role": "MEMBER", "organization": {"name": ORGANIZATION_NAME}}
    }


@pytest.mark.parametrize("document", INVALID_DOCUMENTS)
async def test_gql_refuses_a_document_invalid_against_the_schema_before_sending_it(
    connect: Connect, sent: list[httpx.Request], document: str
) -> None:
    # given: a session, its schema fetched
    async with connect() as session:
        fetched = len(sent)
        # when / then
        with pytest.raises(GraphQLError):
            await session.execute(GraphQLRequest(document))
        # then: nothing more went over the wire
        assert len(sent) == fetched == 1


async def test_gql_fetches_the_schema_with_every_introspection_option(connect: Connect) -> None:
    # when
    async with connect(introspection_args=EVERY_INTROSPECTION_OPTION) as session:
        result = await session.execute(GraphQLRequest(REGION, variable_values={"code": "32"}))
        schema = session.client.schema
    # then
    assert result["region"]["name"] == "Jawa Barat"
    assert schema is not None
    assert schema.get_type("Practice") is not None


async def test_gql_validates_against_the_committed_schema_where_introspection_is_off(
    connect: Connect, sent: list[httpx.Request]
) -> None:
    # given: what a script against production does, since production answers no introspection
    committed = (REPO_ROOT / "schema.graphql").read_text()
    # when
    async with connect(schema=committed, fetch_schema_from_transport=False) as session:
        result = await session.execute(GraphQLRequest(REGION, variable_values={"code": "32"}))
        with pytest.raises(GraphQLError):
            await session.execute(GraphQLRequest(INVALID_DOCUMENTS[0]))
    # then: one request, the valid one; no introspection
    assert result["region"]["name"] == "Jawa Barat"
    assert ["IntrospectionQuery" in outgoing.content.decode() for outgoing in sent] == [False]
