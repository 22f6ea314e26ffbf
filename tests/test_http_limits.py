"""A body over the size limit gets its 413 over real HTTP, even while the client is still sending it.

A server that answers early and closes the connection with the rest of the body unread makes the
kernel reset the connection: the client, still writing, gets a broken pipe and never reads the
answer. These tests speak HTTP/1.1 over a socket to the app under uvicorn, write the whole body
without waiting for the answer, then read it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from server.settings import Settings
from server.supervisor import LocalService
from storage.database import Stores
from tests.conftest import serving, settings_for

MAX_BODY_BYTES = Settings().max_body_bytes
JUST_OVER = MAX_BODY_BYTES + 30
# Each case is sent this many times on fresh connections, so that a race shows as a failure.
REPEATS = 5
CHUNK = 64 * 1024
# On loopback the kernel takes a 2 MB body in one go; on a real network the client is still
# sending when the answer comes. Writing it in chunks with a pause between them makes it so here.
PAUSE_SECONDS = 0.002


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def _graphql_body(size: int) -> bytes:
    """A JSON GraphQL request of exactly ``size`` bytes."""
    frame = b'{"query":"{ __typename }","variables":{"x":""}}'
    padding = b"a" * (size - len(frame))
    return frame.replace(b'"x":""', b'"x":"' + padding + b'"')


def _request(body: bytes, *, connection: str | None, chunked: bool) -> bytes:
    headers = ["POST /graphql HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if connection:
        headers.append(f"Connection: {connection}")
    if chunked:  # no declared length: the server finds out only while reading
        headers.append("Transfer-Encoding: chunked")
        chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    else:
        headers.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


async def _send_without_waiting(url: str, request: bytes) -> Answer:
    """Write all of ``request`` (paced like a network), then read the one response."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        for start in range(0, len(request), CHUNK):
            writer.write(request[start : start + CHUNK])
            await writer.drain()
            await asyncio.sleep(PAUSE_SECONDS)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head.strip().split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers["content-length"]))
        return Answer(int(status_line.split()[1]), headers, json.loads(body))
    finally:
        writer.close()


@pytest.fixture(params=["httptools", "h11"])
async def served_by(
    request: pytest.FixtureRequest, mongo: LocalService, meili: LocalService, stores: Stores
) -> AsyncIterator[str]:
    """The app under uvicorn with each of its HTTP/1.1 implementations."""
    settings = settings_for(mongo, meili, stores.database.name, search_index_prefix="shared")
    async with serving(settings, http=request.param) as url:
        yield url


@pytest.mark.parametrize(
    ("connection", "chunked"),
    [(None, False), ("close", False), (None, True)],
    ids=["declared length", "client asks to close", "chunked, no declared length"],
)
async def test_a_body_just_over_the_limit_gets_its_413_while_the_client_is_still_sending(
    served_by: str, connection: str | None, chunked: bool
) -> None:
    # given
    request = _request(_graphql_body(JUST_OVER), connection=connection, chunked=chunked)
    for _ in range(REPEATS):
        # when
        answer = await _send_without_waiting(served_by, request)
        # then
        assert answer.status == 413
        assert answer.body["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
        assert answer.headers["connection"] == "close"


async def test_a_body_at_the_limit_is_read_and_answered(served: str) -> None:
    # given
    request = _request(_graphql_body(MAX_BODY_BYTES), connection="close", chunked=False)
    # when
    answer = await _send_without_waiting(served, request)
    # then
    assert answer.status == 200
    assert answer.body == {"data": {"__typename": "Query"}}


async def test_a_client_waiting_for_100_continue_gets_the_413_instead(served_by: str) -> None:
    # given: headers only; the client sends the body after a "100 Continue"
    body = _graphql_body(JUST_OVER)
    head = _request(body, connection=None, chunked=False)[: -len(body)]
    request = head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n", 1)
    # when
    answer = await _send_without_waiting(served_by, request)
    # then
    assert answer.status == 413
    assert answer.body["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
