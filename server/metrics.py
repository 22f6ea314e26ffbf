"""Prometheus metrics of one app instance, served at ``/metrics`` in the text format.

Each app has a registry of its own (not prometheus_client's global one), so several apps in one
process (the tests) count apart. What is counted as it happens: GraphQL operations by name and
outcome with their latency, HTTP requests by route, MongoDB commands (pymongo's command
monitoring), searches and failed sign-ins. What is state in MongoDB, shared by every instance
(the search indexer's backlog and parked records, the notification outbox, the email
digests waiting), is read when
scraped, with one indexed count each.

In production ``/metrics`` is closed unless ``LUMBUNG_METRICS_TOKEN`` is set (then a bearer token
is required) or ``LUMBUNG_METRICS_PORT`` is (then it is served only on that port, which the
network keeps private, and not beside the API).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pymongo import monitoring
from starlette.requests import Request
from starlette.responses import Response

from search.refusals import parked
from storage.activity import ACTIVITY_OUTBOX
from storage.digests import ClaimState
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING, utc_now

if TYPE_CHECKING:
    from pydantic import SecretStr

    from resolvers.live import LiveFeed, LiveHub
    from storage.database import Stores

logger = logging.getLogger("lumbung.metrics")

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Operation names come from clients: past this many distinct ones, the rest count as "other".
MAX_OPERATION_LABELS = 300
SCRAPE_TIMEOUT_S = 2.0


class Metrics:
    """The instruments of one app; ``bind`` gives it the stores whose backlog it reports."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.graphql_requests = Counter(
            "lumbung_graphql_requests",
            "GraphQL operations by operation name and outcome (ok, error: some field failed, "
            "invalid: refused before execution)",
            ["operation", "outcome"],
            registry=registry,
        )
        self.graphql_duration = Histogram(
            "lumbung_graphql_request_duration_seconds",
            "Time to execute a GraphQL operation",
            ["operation"],
            buckets=_LATENCY,
            registry=registry,
        )
        self.graphql_errors = Counter(
            "lumbung_graphql_errors", "GraphQL errors by extensions.code", ["code"], registry=registry
        )
        self.http_duration = Histogram(
            "lumbung_http_request_duration_seconds",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            buckets=_LATENCY,
            registry=registry,
        )
        self.mongodb_duration = Histogram(
            "lumbung_mongodb_command_duration_seconds",
            "MongoDB commands by name and outcome, as the driver timed them",
            ["command", "outcome"],
            buckets=_LATENCY,
            registry=registry,
        )
        self.search_duration = Histogram(
            "lumbung_search_duration_seconds",
            "Searches sent to Meilisearch (multi-search), by outcome",
            ["outcome"],
            buckets=_LATENCY,
            registry=registry,
        )
        self.sign_in_failures = Counter(
            "lumbung_sign_in_failures",
            "Refused sign-ins: invalid_credentials, or throttled (too many attempts)",
            ["reason"],
            registry=registry,
        )
        self.search_backlog = Gauge(
            "lumbung_search_backlog",
            "Records waiting for the search indexer, by collection (deletions: the outbox)",
            ["collection"],
            registry=registry,
        )
        self.search_parked = Gauge(
            "lumbung_search_parked",
            "Records Meilisearch refused, by collection",
            ["collection"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "lumbung_notification_outbox_backlog",
            "Activity outbox entries not delivered as notifications yet",
            registry=registry,
        )
        self.outbox_oldest = Gauge(
            "lumbung_notification_outbox_oldest_seconds",
            "Age of the oldest undelivered activity outbox entry (0 when none)",
            registry=registry,
        )
        self.digest_backlog = Gauge(
            "lumbung_digest_backlog",
            "Email digests waiting (pending: to be sent or retried; sending: an attempt under way)",
            ["state"],
            registry=registry,
        )
        self.digest_overdue = Gauge(
            "lumbung_digest_overdue",
            "Pending email digests whose (re)try time has passed (the sender is behind or stopped)",
            registry=registry,
        )
        self.mongodb_up = Gauge(
            "lumbung_mongodb_up", "1 when the last scrape could read MongoDB", registry=registry
        )
        self.live_connections = Gauge(
            "lumbung_live_connections",
            "Open WebSocket connections (subscriptions) of this instance",
            registry=registry,
        )
        self.live_subscriptions = Gauge(
            "lumbung_live_subscriptions", "Active subscriptions of this instance", registry=registry
        )
        self.live_dropped = Gauge(
            "lumbung_live_dropped_subscribers",
            "Subscribers dropped since start-up (too slow, or the change stream lost its place)",
            registry=registry,
        )
        self.live_watcher_restarts = Gauge(
            "lumbung_live_watcher_restarts",
            "Change streams reopened since start-up (after a stream error or a watcher failure)",
            registry=registry,
        )
        self._operations: set[str] = set()
        self._stores: Stores | None = None

    # What happens, as it happens --------------------------------------------------------------

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _OPERATION_NAME.match(name):
            return "other"
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATION_LABELS:
                return "other"
            self._operations.add(name)
        return name

    def observe_operation(self, name: str | None, outcome: str, seconds: float, codes: list[str]) -> None:
        label = self.operation_label(name)
        self.graphql_requests.labels(label, outcome).inc()
        self.graphql_duration.labels(label).observe(seconds)
        for code in codes:
            self.graphql_errors.labels(code).inc()

    def observe_http(self, route: str, method: str, status: int, seconds: float) -> None:
        self.http_duration.labels(route, method, str(status)).observe(seconds)

    def observe_search(self, seconds: float, ok: bool) -> None:
        self.search_duration.labels("ok" if ok else "error").observe(seconds)

    def sign_in_failed(self, reason: str) -> None:
        self.sign_in_failures.labels(reason).inc()

    def watch_live(self, hub: LiveHub, feed: LiveFeed) -> None:
        """The live gauges read ``hub`` and ``feed`` at each scrape."""
        self.live_connections.set_function(lambda: hub.connection_count)
        self.live_subscriptions.set_function(lambda: hub.subscription_count)
        self.live_dropped.set_function(lambda: hub.dropped)
        self.live_watcher_restarts.set_function(lambda: feed.restarts)

    def command_listener(self) -> CommandTimer:
        return CommandTimer(self.mongodb_duration)

    # What is, read when scraped ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def bound(self, stores: Stores) -> AsyncIterator[None]:
        self._stores = stores
        try:
            yield
        finally:
            self._stores = None

    async def refresh(self) -> None:
        stores = self._stores
        if stores is None:
            return
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT_S):
                await self._read_state(stores)
        except Exception as exc:  # a scrape must answer whatever MongoDB does: the gauge tells
            logger.warning("metrics: could not read the backlog from MongoDB: %s", exc)
            self.mongodb_up.set(0)
        else:
            self.mongodb_up.set(1)

    async def _read_state(self, stores: Stores) -> None:
        for store in stores.searchable:
            name = store.collection.name
            self.search_backlog.labels(name).set(
                await store.collection.count_documents({SEARCH_PENDING: True})
            )
            self.search_parked.labels(name).set(await store.collection.count_documents(parked()))
        deletions = await stores.database[SEARCH_OUTBOX].count_documents({"done": False})
        self.search_backlog.labels("deletions").set(deletions)
        outbox = stores.database[ACTIVITY_OUTBOX]
        self.outbox_backlog.set(await outbox.count_documents({"delivered_at": None}))
        oldest = await outbox.find_one(
            {"delivered_at": None}, {"at": 1}, sort=[("delivered_at", 1), ("at", 1)]
        )
        if oldest is None:
            self.outbox_oldest.set(0)
        else:
            self.outbox_oldest.set(max(0.0, (utc_now() - oldest["at"]).total_seconds()))
        claims = stores.digests.claims
        for state in (ClaimState.PENDING, ClaimState.SENDING):
            self.digest_backlog.labels(state.value).set(await claims.count_documents({"state": state.value}))
        overdue = {"state": ClaimState.PENDING.value, "next_check_at": {"$lte": utc_now()}}
        self.digest_overdue.set(await claims.count_documents(overdue))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class CommandTimer(monitoring.CommandListener):
    """pymongo's command monitoring into a histogram (given to the client as an event listener)."""

    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.histogram.labels(event.command_name, "ok").observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.histogram.labels(event.command_name, "error").observe(event.duration_micros / 1e6)


def metrics_endpoint(metrics: Metrics, *, token: SecretStr | None, enabled: bool) -> Callable[[Request], Any]:
    """``GET /metrics``: 404 when closed, 401 without the configured bearer token."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def endpoint(request: Request) -> Response:
        if not enabled:
            return Response("Not Found", status_code=404, media_type="text/plain")
        if not _authorized(request.headers.get("authorization", ""), expected):
            return Response(
                "A bearer token is required (LUMBUNG_METRICS_TOKEN).",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        await metrics.refresh()
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def _authorized(header: str, expected: bytes | None) -> bool:
    if expected is None:
        return True
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


async def serve_metrics(metrics: Metrics, *, host: str, port: int, token: SecretStr | None) -> asyncio.Server:
    """``GET /metrics`` alone on a listener of its own (``LUMBUNG_METRICS_PORT``).

    A few lines of HTTP/1.1 with the standard library: one request a connection, which is how
    Prometheus scrapes, and no second ASGI server (whose start-up would take over the signals).
    """
    expected = token.get_secret_value().encode() if token is not None else None

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, *_ = [*request_line.split(" "), "", ""]
            headers = dict(
                (name.strip().lower(), value.strip())
                for name, _, value in (line.partition(":") for line in header_lines if line)
            )
            if method != "GET" or path.split("?")[0] != "/metrics":
                status, body, kind = "404 Not Found", b"Not Found", "text/plain"
            elif not _authorized(headers.get("authorization", ""), expected):
                status, body, kind = "401 Unauthorized", b"A bearer token is required.", "text/plain"
            else:
                await metrics.refresh()
                status, body, kind = "200 OK", metrics.exposition(), CONTENT_TYPE_LATEST
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that went away or spoke something else: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return await asyncio.start_server(answer, host, port, limit=16_384)
