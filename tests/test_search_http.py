"""Searches reach Meilisearch over kept-alive connections, and every failure is SearchUnavailable.

Against the real local Meilisearch, except where a test needs a reply Meilisearch cannot be made
to give on demand (none at all, one cut short, one chunked by a proxy): a few lines of asyncio
server stand in for those.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvloop

from search.engine import SearchEngine
from search.errors import SearchUnavailable
from search.http import ConnectionPool
from search.indexes import IndexNames
from server.supervisor import LocalService, free_port, local_meilisearch

EVERYTHING = orjson.dumps({"queries": [{"indexUid": "no_such_index_yet", "q": ""}]})
NOTHING = orjson.dumps({"queries": []})

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def _fake_server(handle: Handler) -> AsyncIterator[str]:
    """A server on a loopback port that answers (or not) as ``handle`` does; its URL."""
    handlers: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]  # a handler runs in a task
        try:
            await handle(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


def _pool(meili: LocalService, **options: Any) -> ConnectionPool:
    return ConnectionPool(
        meili.url, headers={"Authorization": f"Bearer {meili.api_key}"}, timeout_s=5, **options
    )


class ConnectionCount:
    """Counts the connections the running loop opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = 0
        loop = asyncio.get_running_loop()
        create_connection = loop.create_connection

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.opened += 1
            return await create_connection(*args, **kwargs)

        monkeypatch.setattr(loop, "create_connection", counted)


async def test_searches_one_after_another_share_one_connection(
    meili: LocalService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    pool = _pool(meili)
    connections = ConnectionCount(monkeypatch)
    # when
    replies = [await pool.post("/multi-search", NOTHING) for _ in range(5)]
    await pool.aclose()
    # then
    assert [reply.status for reply in replies] == [200] * 5
    assert orjson.loads(replies[0].body) == {"results": []}
    assert connections.opened == 1


async def test_concurrent_searches_wait_for_one_of_the_allowed_connections(
    meili: LocalService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    pool = _pool(meili, max_connections=3)
    connections = ConnectionCount(monkeypatch)
    # when
    replies = await asyncio.gather(*(pool.post("/multi-search", NOTHING) for _ in range(30)))
    await pool.aclose()
    # then
    assert {reply.status for reply in replies} == {200}
    assert connections.opened == 3


async def test_meilisearch_refusing_a_search_is_unavailable_with_its_error_code(meili: LocalService) -> None:
    # given
    engine = SearchEngine.open(meili.url, meili.api_key, names=IndexNames(f"t{uuid.uuid4().hex[:8]}"))
    # when
    with pytest.raises(SearchUnavailable) as refused:
        await engine.multi_search(orjson.loads(EVERYTHING))
    wrong_key = ConnectionPool(meili.url, headers={"Authorization": "Bearer wrong"}, timeout_s=5)
    reply = await wrong_key.post("/multi-search", NOTHING)
    await engine.aclose()
    await wrong_key.aclose()
    # then
    assert "index_not_found" in str(refused.value)
    assert reply.status == 403


async def test_the_first_search_after_meilisearch_restarted_gets_a_reply(tmp_path: Path) -> None:
    # given: a Meilisearch of this test's own, and a connection kept from a search before it stopped
    port, key = free_port(), uuid.uuid4().hex
    async with local_meilisearch(tmp_path, port=port, master_key=key) as service:
        pool = _pool(service)
        before = await pool.post("/multi-search", NOTHING)
    # when: it is back on the same port
    async with local_meilisearch(tmp_path, port=port, master_key=key):
        after = await pool.post("/multi-search", NOTHING)
    await pool.aclose()
    # then
    assert (before.status, after.status) == (200, 200)


async def test_nothing_listening_is_search_unavailable() -> None:
    # given
    pool = ConnectionPool(f"http://127.0.0.1:{free_port()}", headers={}, timeout_s=5)
    # when
    with pytest.raises(SearchUnavailable) as failed:
        await pool.post("/multi-search", NOTHING)
    # then
    assert "cannot be reached" in str(failed.value)


async def test_no_reply_within_the_timeout_is_search_unavailable() -> None:
    # given: a server that reads the request and never answers
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(30)

    async with _fake_server(silent) as url:
        pool = ConnectionPool(url, headers={}, timeout_s=0.3)
        started = time.monotonic()
        # when
        with pytest.raises(SearchUnavailable) as failed:
            await pool.post("/multi-search", NOTHING)
        waited = time.monotonic() - started
        await pool.aclose()
    # then
    assert "did not answer within 0.3 s" in str(failed.value)
    assert waited < 5


async def test_a_reply_cut_short_is_search_unavailable_and_the_next_search_gets_a_fresh_connection() -> None:
    # given: a server that sends half a reply and closes its first connection
    connections = 0

    async def cut_short_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await _read_request(reader)
        if connections == 1:
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"results"')
            return
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{"results":[]}')
        await writer.drain()

    async with _fake_server(cut_short_once) as url:
        pool = ConnectionPool(url, headers={}, timeout_s=5)
        # when
        with pytest.raises(SearchUnavailable) as failed:
            await pool.post("/multi-search", NOTHING)
        next_reply = await pool.post("/multi-search", NOTHING)
        await pool.aclose()
    # then
    assert "closed before the reply was complete" in str(failed.value)
    assert orjson.loads(next_reply.body) == {"results": []}


async def test_a_chunked_reply_behind_a_path_prefix_is_read_whole() -> None:
    # given: Meilisearch behind a reverse proxy at /meili/, which chunks its replies
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b'5\r\n{"res\r\n9\r\nults": []\r\n1\r\n}\r\n0\r\n\r\n')
        await writer.drain()

    async with _fake_server(proxy) as url:
        pool = ConnectionPool(f"{url}/meili/", headers={"Authorization": "Bearer k"}, timeout_s=5)
        # when
        reply = await pool.post("/multi-search", NOTHING)
        await pool.aclose()
    # then
    assert orjson.loads(reply.body) == {"results": []}
    request_line, *fields = seen[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert request_line == b"POST /meili/multi-search HTTP/1.1"
    assert b"Authorization: Bearer k" in fields
    assert seen[0].endswith(NOTHING)


def test_searches_work_on_uvloop_as_served_by_uvicorn(meili: LocalService) -> None:
    # given: the event loop uvicorn runs the app on (the tests' own loop is asyncio's)
    async def search_twice() -> list[int]:
        pool = _pool(meili)
        statuses = [(await pool.post("/multi-search", NOTHING)).status for _ in range(2)]
        await pool.aclose()
        return statuses

    # when
    statuses = uvloop.run(search_twice())
    # then
    assert statuses == [200, 200]
