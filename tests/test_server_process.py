"""`python -m server serve` as `make run` starts it: local MongoDB supervised, data kept, no orphans."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from server import secantusd
from server.supervisor import free_port, local_mongo, running_services
from storage.database import Stores, open_client
from tests.support import CREATE_ORGANIZATION, CREATE_PRACTICE, organization_input, practice_input

ORGANIZATIONS = "{ organizations { nodes { name } } }"
SIGN_IN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
PASSWORD = "kata-sandi-admin-2026"
# Every hit of one type, a page at a time.
SEARCH_IDS = """
query($query: String!, $type: ContentType!, $after: String) {
  search(query: $query, filter: {types: [$type]}, facets: [], first: 100, after: $after) {
    hits { node { ... on Practice { id } ... on Organization { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
WRITERS = 4


def _processes_using(path: Path) -> list[int]:
    """Live PIDs whose command line mentions ``path`` (the supervised services name their data folder).

    A process that has exited but is not reaped yet (a zombie, or one still exiting) does not count:
    it holds no port and no file, and in a container its new parent may reap it late.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            live = state not in ("Z", "X")
            if live and str(path) in command and ("secantusd" in command or "meilisearch" in command):
                found.append(int(entry.name))
    return found


def _describe(pids: list[int]) -> dict[int, str]:
    """What each process is doing, from its /proc entry (for a failure's message)."""
    return {pid: Path(f"/proc/{pid}/stat").read_text()[:200] for pid in pids}


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PORT": str(self.port),
            "LUMBUNG_DATA_DIR": str(data_dir),
            "LUMBUNG_SEED_REGIONS": "false",
            "LUMBUNG_SEED_DEMO": "false",
        }
        env.pop("MONGODB_URI", None)
        env.pop("SMTP_URL", None)
        self.env = env
        self.data_dir = data_dir
        self.log = data_dir.parent / f"server-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    async def wait_ready(self, within: float = 60) -> None:
        async with httpx.AsyncClient(base_url=self.url) as client:
            for _ in range(int(within * 10)):
                assert self.process.poll() is None, self.log.read_text()
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server did not become ready")

    async def graphql(
        self, query: str, variables: dict[str, object] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        body: dict[str, Any] = response.json()["data"]
        return body

    def command(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``python -m server <args>`` beside this server (on its data dir)."""
        return subprocess.run(
            [sys.executable, "-m", "server", *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    async def sign_in_admin(self) -> str:
        """A first admin made from the command line, signed in: their access token."""
        created = self.command(
            "create-admin",
            "--email",
            "admin@asosiasi.or.id",
            "--name",
            "Rina",
            LUMBUNG_ADMIN_PASSWORD=PASSWORD,
        )
        assert created.returncode == 0, created.stderr
        signed_in = await self.graphql(
            SIGN_IN, {"input": {"email": "admin@asosiasi.or.id", "password": PASSWORD}}
        )
        token: str = signed_in["signIn"]["session"]["accessToken"]
        return token

    async def load_regions(self, *roots: str) -> None:
        """Regions under ``roots`` into the server's own MongoDB (it starts without any)."""
        client = open_client(running_services(self.data_dir)["mongodb"]["url"], timeout_ms=5000)
        try:
            await Stores.of(client["lumbung"]).regions.load(under=roots)
        finally:
            await client.close()

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    for pid in _processes_using(tmp_path):  # never leave a server behind, even when a test fails
        os.kill(pid, signal.SIGKILL)


async def test_server_keeps_data_across_restarts_and_stops_cleanly_on_sigterm(data_dir: Path) -> None:
    # given: a first admin made from the command line, who signs in and adds an organization
    first = Server(data_dir)
    await first.wait_ready()
    created = first.command(
        "create-admin", "--email", "admin@asosiasi.or.id", "--name", "Rina", LUMBUNG_ADMIN_PASSWORD=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    signed_in = await first.graphql(
        SIGN_IN, {"input": {"email": "admin@asosiasi.or.id", "password": PASSWORD}}
    )
    token = signed_in["signIn"]["session"]["accessToken"]
    await first.graphql(CREATE_ORGANIZATION, {"input": organization_input(regionCode=None)}, token=token)
    # when
    exit_code = first.stop(signal.SIGTERM)
    second = Server(data_dir)
    await second.wait_ready()
    data = await second.graphql(ORGANIZATIONS)
    second.stop(signal.SIGINT)
    # then: uvicorn shuts down gracefully, then re-raises the signal it caught
    assert exit_code in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in first.log.read_text()
    # without SMTP_URL, development says where its digests go
    assert f"written as .eml files in {data_dir / 'mail'} (development)" in first.log.read_text()
    assert data == {
        "organizations": {
            "nodes": [
                {"name": "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia"},
                {"name": "Pemerintah Kecamatan Sukmajaya"},
            ]
        }
    }
    assert _processes_using(data_dir) == []


async def test_killed_server_leaves_no_orphan_and_loses_no_data(data_dir: Path) -> None:
    # given: an admin stored just before the server is killed outright
    server = Server(data_dir)
    await server.wait_ready()
    assert len(_processes_using(data_dir)) == 2  # SecantusDB and Meilisearch
    created = server.command(
        "create-admin", "--email", "admin@asosiasi.or.id", "--name", "Rina", LUMBUNG_ADMIN_PASSWORD=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    # when
    server.stop(signal.SIGKILL)
    for _ in range(600):  # a loaded machine may take seconds to stop them
        if not _processes_using(data_dir):
            break
        await asyncio.sleep(0.1)
    orphans = _describe(_processes_using(data_dir))
    restarted = Server(data_dir)
    await restarted.wait_ready()
    signed_in = await restarted.graphql(
        SIGN_IN, {"input": {"email": "admin@asosiasi.or.id", "password": PASSWORD}}
    )
    restarted.stop(signal.SIGTERM)
    # then: the local services stopped with the app, having closed their data cleanly
    assert orphans == {}
    assert signed_in["signIn"]["errors"] == []


async def test_local_mongo_stops_once_however_many_stop_signals_arrive(tmp_path: Path) -> None:
    # given: documents in a running local MongoDB
    async with local_mongo(tmp_path) as service:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(service.url)
        await client.lumbung.notes.insert_many([{"n": n} for n in range(50)])
        await client.close()
        # when: stop requests keep coming while it stops (a killed app sends one per thread)
        deadline = time.monotonic() + 5
        with contextlib.suppress(ProcessLookupError):
            while service.process.poll() is None and time.monotonic() < deadline:
                os.kill(service.process.pid, secantusd.STOP_SIGNAL)
        exit_code = await asyncio.to_thread(service.process.wait, 30)
    async with local_mongo(tmp_path) as service:
        client = AsyncMongoClient(service.url)
        kept = await client.lumbung.notes.count_documents({})
        await client.close()
    # then: it stopped once, cleanly (neither deadlocked nor killed by a later signal), data intact
    assert (exit_code, kept) == (0, 50)


async def _write_until_killed(
    server: Server, *, token: str, organization_id: str, writer: int, acknowledged: list[str]
) -> None:
    """Create drafts one after the other until the server is gone, noting those acknowledged."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as http:
        for n in itertools.count():
            variables = {
                "input": practice_input(organization_id, title=f"Bank Sampah Tahan Padam {writer}-{n}")
            }
            try:
                response = await http.post(
                    "/graphql", json={"query": CREATE_PRACTICE, "variables": variables}
                )
            except httpx.TransportError:  # killed: this write was never acknowledged
                return
            payload = response.json()["data"]["createPractice"]
            assert payload["errors"] == [], payload["errors"]
            acknowledged.append(payload["practice"]["id"])


async def _found_by_search(server: Server, *, token: str, query: str, type: str) -> set[str]:
    found: set[str] = set()
    variables: dict[str, object] = {"query": query, "type": type, "after": None}
    while True:
        data = await server.graphql(SEARCH_IDS, variables, token=token)
        found.update(hit["node"]["id"] for hit in data["search"]["hits"])
        if not data["search"]["pageInfo"]["hasNextPage"]:
            return found
        variables["after"] = data["search"]["pageInfo"]["endCursor"]


async def _eventually_found(
    server: Server, ids: set[str], *, token: str, query: str, type: str, within: float = 60
) -> set[str]:
    """What search finds of ``ids``, once it finds them all or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        found = await _found_by_search(server, token=token, query=query, type=type)
        if ids <= found or time.monotonic() > deadline:
            return found & ids
        await asyncio.sleep(0.2)


async def _wait_stopped(data_dir: Path) -> None:
    """Until the local services of a killed server have stopped (a loaded machine may take seconds)."""
    for _ in range(600):
        if not _processes_using(data_dir):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still running: {_describe(_processes_using(data_dir))}")


async def test_writes_acknowledged_before_a_kill_are_all_found_by_search_after_the_restart(
    data_dir: Path,
) -> None:
    # given: a signed-in admin's writers creating drafts as fast as the server takes them
    server = Server(data_dir)
    await server.wait_ready()
    await server.load_regions("32.76")
    token = await server.sign_in_admin()
    created = await server.graphql(CREATE_ORGANIZATION, {"input": organization_input()}, token=token)
    organization_id = created["createOrganization"]["organization"]["id"]
    acknowledged: list[str] = []
    writers = [
        asyncio.create_task(
            _write_until_killed(
                server, token=token, organization_id=organization_id, writer=n, acknowledged=acknowledged
            )
        )
        for n in range(WRITERS)
    ]
    # when: the server is killed outright in the middle of the burst, and started again
    for _ in range(1200):
        if len(acknowledged) >= 10 * WRITERS or any(writer.done() for writer in writers):
            break
        await asyncio.sleep(0.05)
    server.stop(signal.SIGKILL)
    await asyncio.gather(*writers)
    await _wait_stopped(data_dir)
    restarted = Server(data_dir)
    await restarted.wait_ready()
    ready_at = time.monotonic()
    # (60 s at most: that every write converges is what this checks; how fast, the benchmark)
    found = await _eventually_found(restarted, set(acknowledged), token=token, query="padam", type="PRACTICE")
    searchable_after = time.monotonic() - ready_at
    restarted.stop(signal.SIGTERM)
    # then: every acknowledged write is found
    assert len(acknowledged) >= 10 * WRITERS
    assert set(acknowledged) - found == set()
    print(f"{len(acknowledged)} acknowledged writes all found {searchable_after:.1f} s after /readyz")
