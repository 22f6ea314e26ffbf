"""/metrics (Prometheus), structured logs, and what `make run` prints on a first start."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.logs import configure_logging
from server.settings import Environment
from server.supervisor import LocalService, free_port
from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores
from storage.digests import ClaimState
from storage.store import SEARCH_PENDING, utc_now
from storage.vocabulary import OrganizationKind, Role
from tests.conftest import running_app, settings_for
from tests.support import organization_record, user_with_token
from tests.test_server_process import _processes_using

ORGANIZATIONS = "query ListOrganizations { organizations { nodes { name } } }"
INVALID = "query Broken { organizations { noSuchField } }"
SIGN_IN = """
mutation SignIn($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
SEARCH = "query Find($query: String!) { search(query: $query) { totalCount } }"
METRICS_TOKEN = "metrik-rahasia-" + "x" * 20


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels, as prometheus_client's parser reads it."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def total(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in scrape.items() if n == name and wanted <= set(ls))


async def test_metrics_count_operations_mongodb_searches_sign_ins_and_backlogs(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: an app, a record waiting for the indexer, an undelivered activity and an overdue digest
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_index_prefix="shared",
        search_indexer=False,
        notifier=False,
        digests=False,
    )
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    await stores.organizations.collection.update_one(
        {"_id": organization.id}, {"$set": {SEARCH_PENDING: True}}
    )
    await stores.database[ACTIVITY_OUTBOX].insert_one({"_id": "a1", "at": utc_now(), "delivered_at": None})
    overdue = {"state": ClaimState.PENDING.value, "next_check_at": utc_now() - timedelta(minutes=5)}
    await stores.digests.claims.insert_one({"_id": "d1", **overdue})
    user, _ = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    async with running_app(settings) as api:
        # when: operations succeed, fail validation, sign in wrongly, search
        await api.data(ORGANIZATIONS)
        await api.data(ORGANIZATIONS)
        await api.http.post("/graphql", json={"query": INVALID})
        wrong = {"input": {"email": user.email, "password": "bukan-kata-sandinya"}}
        assert (await api.data(SIGN_IN, wrong))["signIn"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
        await api.post(SEARCH, {"query": "sampah"})
        response = await api.http.get("/metrics")
    # then: a scrape that prometheus_client's parser reads, with each of them counted
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    scrape = samples(response.text)
    assert value(scrape, "lumbung_graphql_requests_total", operation="ListOrganizations", outcome="ok") == 2
    assert value(scrape, "lumbung_graphql_requests_total", operation="Broken", outcome="invalid") == 1
    assert value(scrape, "lumbung_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(scrape, "lumbung_graphql_request_duration_seconds_count", operation="ListOrganizations") == 2
    assert value(scrape, "lumbung_sign_in_failures_total", reason="invalid_credentials") == 1
    assert total(scrape, "lumbung_mongodb_command_duration_seconds_count", command="find", outcome="ok") >= 2
    assert total(scrape, "lumbung_search_duration_seconds_count") == 1
    assert total(scrape, "lumbung_http_request_duration_seconds_count", route="/graphql", method="POST") == 5
    assert value(scrape, "lumbung_search_backlog", collection="organizations") == 1
    assert value(scrape, "lumbung_search_backlog", collection="deletions") == 0
    assert value(scrape, "lumbung_search_parked", collection="practices") == 0
    assert value(scrape, "lumbung_notification_outbox_backlog") == 1
    assert value(scrape, "lumbung_notification_outbox_oldest_seconds") >= 0
    assert value(scrape, "lumbung_digest_backlog", state="pending") == 1
    assert value(scrape, "lumbung_digest_backlog", state="sending") == 0
    assert value(scrape, "lumbung_digest_overdue") == 1
    assert value(scrape, "lumbung_mongodb_up") == 1


async def test_metrics_of_two_apps_in_one_process_count_apart(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: two apps at once
    settings = settings_for(
        mongo, meili, stores.database.name, search_index_prefix="shared", search_indexer=False, notifier=False
    )
    async with running_app(settings) as first, running_app(settings) as second:
        # when: only the first is asked
        await first.data(ORGANIZATIONS)
        scrapes = [samples((await app.http.get("/metrics")).text) for app in (first, second)]
    # then: each has its own registry
    counts = [
        value(s, "lumbung_graphql_requests_total", operation="ListOrganizations", outcome="ok")
        for s in scrapes
    ]
    assert counts == [1, 0]


async def test_metrics_in_production_need_the_token_or_stay_closed(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: production apps, one with a metrics token and one without
    base: dict[str, Any] = {"env": Environment.PRODUCTION, "search_indexer": False, "notifier": False}
    with_token = settings_for(mongo, meili, stores.database.name, metrics_token=METRICS_TOKEN, **base)
    without = settings_for(mongo, meili, stores.database.name, **base)
    async with running_app(with_token) as api, running_app(without) as closed:
        # when
        anonymous = await api.http.get("/metrics")
        wrong = await api.http.get("/metrics", headers={"Authorization": "Bearer tebakan"})
        right = await api.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        none = await closed.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    # then
    assert (anonymous.status_code, wrong.status_code, right.status_code, none.status_code) == (
        401,
        401,
        200,
        404,
    )
    assert "lumbung_graphql_requests" in right.text


async def test_metrics_on_a_port_of_their_own_leave_the_api_port(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given: metrics on their own listener
    port = free_port()
    settings = settings_for(
        mongo, meili, stores.database.name, metrics_port=port, search_indexer=False, notifier=False
    )
    async with running_app(settings) as api:
        # when
        beside_api = await api.http.get("/metrics")
        async with httpx.AsyncClient() as client:
            own = await client.get(f"http://127.0.0.1:{port}/metrics")
    # then
    assert (beside_api.status_code, own.status_code) == (404, 200)
    assert "lumbung_mongodb_up 1.0" in own.text


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger set up as in production (JSON lines) into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in ("lumbung", "uvicorn.error", "httpx")}
    buffer = io.StringIO()
    configure_logging(log_format="json", stream=buffer)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


async def test_json_logs_carry_request_id_operation_viewer_and_duration(
    mongo: LocalService, meili: LocalService, stores: Stores, json_log: io.StringIO
) -> None:
    # given: a signed-in member
    settings = settings_for(
        mongo, meili, stores.database.name, search_index_prefix="shared", search_indexer=False, notifier=False
    )
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    user, token = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id)
    async with running_app(settings) as api:
        # when: a named operation with the client's request ID, and a search for an httpx line
        response = await api.http.post(
            "/graphql",
            json={"query": ORGANIZATIONS},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "permintaan-42"},
        )
        await api.post(SEARCH, {"query": "sampah"})
    # then: every line is a JSON object; the request's own says who, what and how long
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [
        line
        for line in lines
        if line["logger"] == "lumbung.access" and line.get("request_id") == "permintaan-42"
    ]
    assert response.headers["x-request-id"] == "permintaan-42"
    assert len(access) == 1
    assert access[0]["operation"] == "ListOrganizations"
    assert access[0]["viewer_id"] == user.id
    assert access[0]["status"] == 200
    assert access[0]["duration_ms"] > 0
    assert {"time", "level", "message"} <= set(access[0])
    assert not [line for line in lines if line["logger"].startswith(("httpx", "httpcore"))]


def _first_start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PORT": str(port), "LUMBUNG_DATA_DIR": str(data_dir)}
    for name in ("MONGODB_URI", "MEILI_URL", "MEILI_MASTER_KEY", "LUMBUNG_SEED_REGIONS", "LUMBUNG_SEED_DEMO"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "server", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_first_start_prints_what_a_person_needs_in_at_most_30_lines(tmp_path: Path) -> None:
    # given: `make run` on a fresh data folder (every region and the demo content are loaded)
    port = free_port()
    process = _first_start(tmp_path / "data", port)
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    reader = asyncio.create_task(asyncio.to_thread(lambda: lines.extend(iter(stdout.readline, ""))))
    try:
        # when: it is ready and has indexed the demo content
        deadline = time.monotonic() + 240
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert process.poll() is None, "".join(lines)
                if any("search: all" in line for line in lines):
                    break
                await asyncio.sleep(0.5)
            ready = await client.get(f"http://127.0.0.1:{port}/readyz")
            for _ in range(3):  # the web client's and the API's requests add no line
                await client.get(f"http://127.0.0.1:{port}/")
                await client.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ organizations(first: 5) { nodes { name } } }"},
                )
            await asyncio.sleep(1.0)
    finally:
        process.terminate()
        process.wait(timeout=30)
        await reader
        stdout.close()
        for pid in _processes_using(tmp_path):
            os.kill(pid, 9)
    output = "".join(lines)
    until_stop = lines[: next((i for i, line in enumerate(lines) if "Shutting down" in line), len(lines))]
    # then: the URLs, the demo accounts, the loading's progress, and nothing per HTTP call
    assert ready.status_code == 200, output
    assert len(until_stop) <= 30, output
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert f"http://127.0.0.1:{port}/ " in output or f"http://127.0.0.1:{port}/\n" in output
    assert "anggota@demo.lumbung.id" in output
    assert "Kemendagri regions" in output
    assert "search: all" in output
    assert "HTTP Request" not in output
    assert '"GET /' not in output
    assert "POST /graphql" not in output
