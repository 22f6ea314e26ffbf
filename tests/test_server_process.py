"""`python -m server serve` as `make run` starts it: local MongoDB supervised, data kept, no orphans."""

from __future__ import annotations

import asyncio
import contextlib
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
from server.supervisor import free_port, local_mongo
from tests.support import CREATE_ORGANIZATION, organization_input

ORGANIZATIONS = "{ organizations { nodes { name } } }"
SIGN_IN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
PASSWORD = "kata-sandi-admin-2026"


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
