"""The supervised local Meilisearch: the real binary, guarded by its master key, data kept, no orphans."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server import supervisor
from server.settings import REPO_ROOT, Settings
from server.supervisor import LocalService, LocalServiceError, local_meilisearch

MASTER_KEY = "lumbung-test-master-key-0123456789"
OTHER_KEY = "lumbung-other-master-key-9876543210"

# Run by a child interpreter: start Meilisearch under argv[1], print its pid, wait to be killed.
SUPERVISING_PARENT = """
import asyncio, sys
from pathlib import Path
from server.supervisor import local_meilisearch

async def main() -> None:
    async with local_meilisearch(Path(sys.argv[1])) as service:
        print(service.process.pid, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


def _meilisearch_processes_using(path: Path) -> list[int]:
    """PIDs of Meilisearch processes whose command line names a folder under ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if Path(argv[0]).name == "meilisearch" and any(str(path) in arg for arg in argv):
                found.append(int(entry.name))
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    for pid in _meilisearch_processes_using(tmp_path):  # never leave one behind, even on failure
        os.kill(pid, signal.SIGKILL)


def _client(service: LocalService, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(base_url=service.url, headers=headers)


async def _create_index(service: LocalService, uid: str) -> None:
    async with _client(service, service.api_key) as client:
        response = await client.post("/indexes", json={"uid": uid, "primaryKey": "id"})
        assert response.status_code == 202, response.text
        task_uid = response.json()["taskUid"]
        for _ in range(200):
            task = (await client.get(f"/tasks/{task_uid}")).json()
            if task["status"] not in ("enqueued", "processing"):
                break
            await asyncio.sleep(0.05)
    assert task["status"] == "succeeded", task


async def _index_uids(service: LocalService, key: str | None) -> list[str]:
    async with _client(service, key) as client:
        response = await client.get("/indexes")
    assert response.status_code == 200, response.text
    return [index["uid"] for index in response.json()["results"]]


async def test_local_meilisearch_is_healthy_on_loopback_and_guarded_by_the_master_key(data_dir: Path) -> None:
    # given
    async with local_meilisearch(data_dir, master_key=MASTER_KEY) as service:
        # when
        async with httpx.AsyncClient(base_url=service.url) as anonymous:
            health = await anonymous.get("/health")
            refused = await anonymous.get("/indexes")
        async with _client(service, MASTER_KEY) as authorized:
            allowed = await authorized.get("/indexes")
    # then
    assert service.url.startswith("http://127.0.0.1:")
    assert service.api_key == MASTER_KEY
    assert health.json() == {"status": "available"}
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert allowed.json()["results"] == []
    assert (data_dir / "meili").is_dir()
    assert (data_dir / "meilisearch.log").is_file()


async def test_local_meilisearch_without_a_key_generates_a_strong_one(data_dir: Path) -> None:
    # when
    async with local_meilisearch(data_dir) as service:
        indexes = await _index_uids(service, service.api_key)
    # then
    assert service.api_key is not None
    assert len(service.api_key) >= 32
    assert indexes == []


async def test_local_meilisearch_keeps_indexes_across_restarts_with_the_same_key(data_dir: Path) -> None:
    # given
    async with local_meilisearch(data_dir, master_key=MASTER_KEY) as first:
        await _create_index(first, "practices")
    # when
    async with local_meilisearch(data_dir, master_key=MASTER_KEY) as second:
        indexes = await _index_uids(second, MASTER_KEY)
    # then
    assert indexes == ["practices"]


async def test_local_meilisearch_restarted_with_another_key_keeps_data_and_refuses_the_old_key(
    data_dir: Path,
) -> None:
    # given
    async with local_meilisearch(data_dir, master_key=MASTER_KEY) as first:
        await _create_index(first, "practices")
    # when: Meilisearch 1.x binds no key to the database; the new master key simply replaces it
    async with local_meilisearch(data_dir, master_key=OTHER_KEY) as second:
        indexes = await _index_uids(second, OTHER_KEY)
        async with _client(second, MASTER_KEY) as old:
            refused = await old.get("/indexes")
    # then
    assert indexes == ["practices"]
    assert refused.status_code == 403
    assert refused.json()["code"] == "invalid_api_key"


async def test_local_meilisearch_stops_with_its_context(data_dir: Path) -> None:
    # given
    async with local_meilisearch(data_dir, master_key=MASTER_KEY) as service:
        assert service.process.poll() is None
    # then
    assert service.process.poll() is not None
    assert _meilisearch_processes_using(data_dir) == []


async def test_local_meilisearch_that_exits_early_fails_with_its_log(data_dir: Path) -> None:
    # given: the port is taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when / then
        with pytest.raises(LocalServiceError, match="Address already in use"):
            async with local_meilisearch(data_dir, port=port, master_key=MASTER_KEY):
                pass


async def test_local_meilisearch_refuses_a_master_key_shorter_than_16_bytes(data_dir: Path) -> None:
    # when / then
    with pytest.raises(ValueError, match="16 bytes"):
        async with local_meilisearch(data_dir, master_key="too-short"):
            pass


async def test_missing_meilisearch_binary_explains_how_to_get_one(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: nothing configured, nothing on PATH, nothing installed by npm
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(supervisor, "NPM_MEILISEARCH", tmp_path / "node_modules" / "meilisearch")
    # when / then
    with pytest.raises(LocalServiceError, match=r"make setup.*MEILI_BINARY.*MEILI_URL and MEILI_MASTER_KEY"):
        async with local_meilisearch(data_dir):
            pass


async def test_meili_binary_that_is_not_executable_is_reported(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setenv("MEILI_BINARY", str(tmp_path / "no-such-meilisearch"))
    # when / then
    with pytest.raises(LocalServiceError, match=r"MEILI_BINARY is set to .*no-such-meilisearch"):
        async with local_meilisearch(data_dir, binary=Settings().meili_binary):
            pass


async def test_killed_parent_leaves_no_orphan_meilisearch(data_dir: Path) -> None:
    # given
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUPERVISING_PARENT,
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    assert parent.stdout is not None
    child = int(await asyncio.wait_for(parent.stdout.readline(), timeout=60))
    assert _meilisearch_processes_using(data_dir) == [child]
    # when
    parent.kill()
    await parent.wait()
    for _ in range(100):
        if not _meilisearch_processes_using(data_dir):
            break
        await asyncio.sleep(0.05)
    # then
    assert _meilisearch_processes_using(data_dir) == []
