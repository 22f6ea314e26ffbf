"""Bad input and failing services: clear typed errors, no stack traces, no partial writes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.supervisor import LocalService, free_port, local_mongo
from storage.database import Stores, open_client
from storage.store import VersionedStore
from tests.conftest import running_app, settings_for
from tests.support import (
    CREATE_PRACTICE,
    GraphQLClient,
    create_organization,
    hub_admin_token,
    practice_input,
)

PRACTICES = "query { practices(first: 5) { totalCount nodes { title } } }"


async def test_malformed_json_is_a_client_error(api: GraphQLClient) -> None:
    # when
    response = await api.http.post(
        "/graphql", content=b'{"query": "{ practices', headers={"content-type": "application/json"}
    )
    # then
    assert response.status_code == 400
    assert "Traceback" not in response.text


async def test_wrong_variable_type_is_bad_user_input(api: GraphQLClient) -> None:
    # when
    body = await api.post("query($first: Int) { practices(first: $first) { totalCount } }", {"first": "many"})
    # then
    assert "data" not in body or body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_invalid_document_is_a_validation_error(api: GraphQLClient) -> None:
    # when
    unknown_field = await api.post("{ practices { nodes { secretField } } }")
    syntax = await api.post("{ practices { ")
    # then
    assert unknown_field["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert syntax["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_huge_string_is_rejected_as_a_field_error_without_echo(api: GraphQLClient) -> None:
    # given
    organization_id = await create_organization(api)
    huge = "sampah " * 150_000  # about a megabyte
    # when
    response = await api.http.post(
        "/graphql",
        json={
            "query": CREATE_PRACTICE,
            "variables": {"input": practice_input(organization_id, problem=huge)},
        },
        headers=api.headers,
    )
    # then
    assert response.status_code == 200
    payload = response.json()["data"]["createPractice"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("problem", "TOO_LONG")]
    assert len(response.content) < 2_000
    assert (await api.data(PRACTICES))["practices"]["totalCount"] == 0


async def test_page_size_and_cursor_are_checked(api: GraphQLClient) -> None:
    # when
    too_many = await api.post("{ practices(first: 101) { totalCount } }")
    negative = await api.post("{ practices(first: -1) { totalCount } }")
    forged = await api.post('{ practices(after: "eyJub3QiOiJhIGN1cnNvciJ9") { totalCount } }')
    other_order = await api.post(
        "query($after: String) { practices(order: TITLE, after: $after) { totalCount } }",
        {"after": "WyJORVdFU1QiLHsidCI6IjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAifSwiYSJd"},
    )
    # then
    for body, argument in (
        (too_many, "first"),
        (negative, "first"),
        (forged, "after"),
        (other_order, "after"),
    ):
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


async def test_unexpected_error_is_masked_and_logged_with_the_request_id(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a fault no real service produces on demand
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail: connection string mongodb://secret")

    monkeypatch.setattr(VersionedStore, "find_page", broken)
    # when
    with caplog.at_level(logging.ERROR, logger="lumbung.graphql"):
        response = await api.http.post(
            "/graphql", json={"query": PRACTICES}, headers={"x-request-id": "req-42"}
        )
    # then
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "req-42"
    assert any("req-42" in record.getMessage() and record.exc_info for record in caplog.records)


async def test_health_and_readiness(api: GraphQLClient) -> None:
    # when
    health = await api.http.get("/healthz")
    ready = await api.http.get("/readyz")
    # then
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    readiness = ready.json()
    backlog = readiness["checks"].pop("searchBacklog")
    assert (ready.status_code, readiness) == (
        200,
        {"status": "ready", "checks": {"mongodb": "ok", "search": "ok", "parked": 0}},
    )
    # the signed-in admin's association, which no indexer sends here (this app runs none)
    assert backlog["pending"] == 1
    assert backlog["oldestPendingSeconds"] >= 0


async def test_what_the_app_kept_from_the_garbage_collector_is_handed_back_when_it_stops(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: a running app, its long-lived objects left out of full collections
    settings = settings_for(mongo, meili, stores.database.name, search_indexer=False)
    async with running_app(settings) as client:
        answered = await client.post(PRACTICES)
        frozen_while_running = gc.get_freeze_count()
    # then: once stopped, nothing of it stays out of the collector's reach (it would leak)
    assert "errors" not in answered
    assert frozen_while_running > 0
    assert gc.get_freeze_count() == 0


ORGANIZATION = "query($id: ID!) { organization(id: $id) { name } }"


async def test_mongodb_outage_is_reported_and_recovered_from(tmp_path: Path, meili: LocalService) -> None:
    port = free_port()
    restarted = local_mongo(tmp_path, port=port)
    try:
        async with contextlib.AsyncExitStack() as app_stack:
            # given: an app on a local MongoDB of its own, holding one organization
            first_run = local_mongo(tmp_path, port=port)
            service = await first_run.__aenter__()
            app = create_app(
                settings_for(service, meili, "flaky", mongodb_timeout_ms=500, search_indexer=False)
            )
            manager = await app_stack.enter_async_context(LifespanManager(app))
            http = await app_stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url="http://lumbung.test"
                )
            )
            admin_client = open_client(service.url, timeout_ms=5000)
            app_stack.push_async_callback(admin_client.close)
            api = GraphQLClient(http, await hub_admin_token(Stores.of(admin_client["flaky"])))
            organization_id = await create_organization(api, regionCode=None)
            # when: MongoDB goes away
            await first_run.__aexit__(None, None, None)
            ready_down = await http.get("/readyz")
            query_down = await api.as_user(None).post(ORGANIZATION, {"id": organization_id})
            signed_in_down = await http.post(
                "/graphql", json={"query": "{ viewer { name } }"}, headers=api.headers
            )
            # then: anonymous queries fail as GraphQL errors; signed-in ones cannot be authenticated
            assert ready_down.status_code == 503
            assert ready_down.json()["checks"] == {"mongodb": "unreachable", "search": "ok"}
            assert query_down["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert signed_in_down.status_code == 503
            assert signed_in_down.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            # when: it comes back on the same port with the same data, nobody restarts the app
            await restarted.__aenter__()
            for _ in range(100):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            # then
            assert (await api.data(ORGANIZATION, {"id": organization_id}))["organization"] is not None
    finally:  # the app closes its client while MongoDB still runs, as in a normal shutdown
        await restarted.__aexit__(None, None, None)
