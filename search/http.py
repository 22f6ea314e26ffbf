"""HTTP/1.1 for searches: a few kept-alive connections to Meilisearch and httptools' parser.

A search is the hub's hot path, and on a machine where the app shares its cores with
Meilisearch, the app's CPU time per search is what its latency under load is made of. Sending the
same multi-search through the SDK's client (httpx2 over httpcore2 and h11) took about 1.9 ms of
CPU here, through this pool 0.3 ms (bench/README.md, "Search"). The SDK keeps everything else:
settings, documents, tasks, where requests are few and its models earn their cost.

Searches only read, so a request that fails on a connection kept from an earlier one (Meilisearch
closes idle ones, or restarted) is sent again on a fresh connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

from search.errors import SearchUnavailable

DEFAULT_MAX_CONNECTIONS = 16


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes


class _Connection(asyncio.Protocol):
    """One connection, one request at a time; ``reusable`` once a reply allowed keep-alive."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._reply: asyncio.Future[Reply] | None = None
        self._body: list[bytes] = []
        self.reusable = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is no subclass of asyncio's, hence no isinstance check).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"a malformed reply ({exc})")

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._fail("the connection closed before the reply was complete")

    # httptools' callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        reply = Reply(self._parser.get_status_code(), b"".join(self._body))
        self._body = []
        if self._reply is None or self._reply.done():  # nothing was asked: the connection is confused
            self.close()
            return
        self.reusable = self._parser.should_keep_alive()
        self._reply.set_result(reply)

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    async def exchange(self, request: bytes) -> Reply:
        assert self._transport is not None
        assert self._reply is None
        self.reusable = False
        self._reply = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        try:
            return await self._reply
        finally:
            self._reply = None

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    def _fail(self, reason: str) -> None:
        self.close()
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(SearchUnavailable(f"the search engine failed: {reason}"))


class ConnectionPool:
    """POST requests to one server over at most ``max_connections`` kept-alive connections.

    A request waits for a free connection; the whole wait and exchange is bounded by
    ``timeout_s``. Any failure to get a complete reply is SearchUnavailable. Only http and https
    URLs are understood, without proxies: Meilisearch is reached directly.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout_s: float,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._prefix = parts.path.rstrip("/").encode()
        fields = {"Host": parts.netloc.rpartition("@")[2], **headers, "Content-Type": "application/json"}
        self._fields = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode("latin-1")
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: deque[_Connection] = deque()
        self._closed = False

    async def post(self, path: str, body: bytes) -> Reply:
        """POST a JSON body to ``path`` and return the reply, whatever its status."""
        if self._closed:
            raise SearchUnavailable("the search engine's connections are closed")
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            self._prefix + path.encode(),
            self._fields,
            len(body),
            body,
        )
        try:
            async with asyncio.timeout(self._timeout_s), self._slots:
                return await self._exchange(request)
        except TimeoutError as exc:
            raise SearchUnavailable(f"the search engine did not answer within {self._timeout_s} s") from exc

    async def _exchange(self, request: bytes) -> Reply:
        while self._idle:  # the most recently used first: the least likely to have been closed
            connection = self._idle.pop()
            if not connection.is_open:
                continue
            try:
                return await self._on(connection, request)
            except SearchUnavailable:
                continue  # closed by Meilisearch while idle; a search can be sent again
        return await self._on(await self._connect(), request)

    async def _on(self, connection: _Connection, request: bytes) -> Reply:
        try:
            reply = await connection.exchange(request)
        except BaseException:  # a timeout included: the connection's state is unknown
            connection.close()
            raise
        if connection.reusable and not self._closed:
            self._idle.append(connection)
        else:
            connection.close()
        return reply

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, self._host, self._port, ssl=self._ssl)
        except OSError as exc:  # refused, unreachable, a TLS failure
            raise SearchUnavailable(f"the search engine cannot be reached: {exc}") from exc
        return connection

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
