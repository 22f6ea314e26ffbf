"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

from pymongo.asynchronous.mongo_client import AsyncMongoClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from resolvers.accounts import seed_demo_accounts
from resolvers.auth import AuthConfig
from resolvers.digests import DigestConfig, DigestSender
from resolvers.live import LiveFeed, LiveHub
from resolvers.notifier import Notifier
from resolvers.posting import PostingConfig
from schema import Limits, build_schema
from search.backlog import search_backlog
from search.engine import SearchEngine
from search.errors import SearchUnavailable
from search.indexer import Indexer
from search.indexes import IndexNames
from search.refusals import count_parked
from server import calendar, exports, unsubscribe
from server.endpoint import PREFLIGHT_HEADERS, STRAWBERRY_BATCH_CAP, LumbungGraphQL
from server.ide import GraphiQLPage
from server.limits import BodySizeLimit
from server.logs import AccessLog
from server.mail import transport_for
from server.metrics import Metrics, metrics_endpoint, serve_metrics
from server.settings import Settings
from server.supervisor import LocalService, announce, local_meilisearch, local_mongo, withdraw
from server.web import WebClient
from storage.database import Stores, open_client
from storage.demo import has_content, load_demo_content
from storage.errors import StorageUnavailable
from storage.leases import Lease, Process
from storage.store import SEARCH_PENDING, Document

logger = logging.getLogger("lumbung")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class State(TypedDict):
    stores: Stores
    search: SearchEngine
    indexer: Indexer | None
    notifier: Notifier | None
    digests: DigestSender | None
    live: LiveHub | None
    feed: LiveFeed | None


def auth_config(settings: Settings) -> AuthConfig:
    """Credentials' lifetimes and costs; outside production the secret key may be a local one."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
    else:  # development and tests only: production requires LUMBUNG_SECRET_KEY (see Settings)
        key = _local_secret(settings.data_dir, "secret-key")
    return AuthConfig(
        secret_key=key.encode(),
        access_ttl=timedelta(minutes=settings.access_token_minutes),
        refresh_ttl=timedelta(days=settings.refresh_token_days),
        invitation_ttl=timedelta(days=settings.invitation_days),
        hash_time_cost=settings.password_hash_time_cost,
        hash_memory_kib=settings.password_hash_memory_kib,
        max_failures_per_account=settings.sign_in_max_failures_per_account,
        max_failures_per_address=settings.sign_in_max_failures_per_address,
        failure_window=timedelta(minutes=settings.sign_in_failure_window_minutes),
    )


async def prepare_database(stores: Stores, settings: Settings, auth: AuthConfig) -> None:
    """Reference regions and demo content into an empty database when enabled; indexes always.

    Regions go in before their indexes are built: one index build over 91,599 documents is much
    faster than maintaining three indexes through every insert.
    """
    if settings.seed_regions and not await stores.regions.is_loaded():
        logger.info("first start: loading the Kemendagri regions (about 10 s)")
        started = time.perf_counter()
        count = await stores.regions.load()
        logger.info("loaded %s Kemendagri regions in %.1f s", f"{count:,}", time.perf_counter() - started)
    await stores.ensure_indexes()
    if settings.seed_demo and not await has_content(stores):
        counts = await load_demo_content(stores)
        logger.info(
            "loaded demo content: %s",
            ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()),
        )
    if settings.seed_demo and not settings.is_production:
        demo = await seed_demo_accounts(stores, auth)
        logger.info(
            "demo accounts (development only; see README):\n%s",
            "\n".join(f"  {a.role.value:<8} {a.email:<28} {a.password}  ({a.organization})" for a in demo),
        )


async def _supervised(
    stack: contextlib.AsyncExitStack,
    data_dir: Path,
    service: contextlib.AbstractAsyncContextManager[LocalService],
) -> LocalService:
    """Start a local service for the life of ``stack`` and announce it to commands run beside us."""
    running = await stack.enter_async_context(service)
    announce(data_dir, running)
    stack.callback(withdraw, data_dir, running)
    return running


async def open_stores(
    stack: contextlib.AsyncExitStack, settings: Settings, *, metrics: Metrics | None = None
) -> Stores:
    """The stores on the configured MongoDB, or on a local one supervised until ``stack`` closes."""
    if settings.mongodb_uri is not None:
        uri = settings.mongodb_uri.get_secret_value()
    else:
        uri = (await _supervised(stack, settings.data_dir, local_mongo(settings.data_dir))).url
    listeners = [metrics.command_listener()] if metrics is not None else []
    client: AsyncMongoClient[Document] = open_client(
        uri, timeout_ms=settings.mongodb_timeout_ms, listeners=listeners
    )
    stack.push_async_callback(client.close)
    return Stores.of(client[settings.mongodb_database])


def _local_secret(data_dir: Path, name: str) -> str:
    """A random secret made once and kept in the data dir (local services, development keys)."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


async def open_search(
    stack: contextlib.AsyncExitStack, settings: Settings, *, metrics: Metrics | None = None
) -> SearchEngine:
    """The search engine as configured, or a local Meilisearch supervised until ``stack`` closes."""
    if settings.meili_url is not None and settings.meili_master_key is not None:
        url, key = settings.meili_url, settings.meili_master_key.get_secret_value()
    else:
        master_key = _local_secret(settings.data_dir, "meili-master-key")
        local = local_meilisearch(settings.data_dir, master_key=master_key, binary=settings.meili_binary)
        service = await _supervised(stack, settings.data_dir, local)
        url, key = service.url, service.api_key or ""
    observe = metrics.observe_search if metrics is not None else None
    engine = SearchEngine.open(url, key, names=IndexNames(settings.index_prefix), observe=observe)
    stack.push_async_callback(engine.aclose)
    try:
        await engine.prepare_all()
    except SearchUnavailable as exc:  # writes must work without search: the indexer retries
        logger.warning("search engine not ready at start-up (%s); indexing will retry", exc)
    return engine


def _owner() -> str:
    """Who holds a lease: this host and process, and a nonce for each worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _run_leased(run: Callable[[], Awaitable[None]], lease: Lease) -> None:
    """A background worker; its lease goes back at once when it stops (another takes over)."""
    try:
        await run()
    finally:
        with contextlib.suppress(Exception):
            await lease.release()


def _digest_sender(stores: Stores, settings: Settings, auth: AuthConfig) -> DigestSender:
    transport = transport_for(settings)
    if settings.smtp is None:
        logger.info("email digests: no SMTP_URL, so they are written as %s (development)", transport)
    else:
        logger.info("email digests: sent by %s", transport)
    config = DigestConfig(auth=auth, public_url=settings.base_url, mail_from=settings.mail_from)
    return DigestSender(stores=stores, transport=transport, config=config, owner=_owner())


# Below this many records waiting for the indexer at start-up, its progress is not worth a line.
_REPORTED_BACKLOG = 50
_PROGRESS_EVERY_S = 10.0


async def _pending(stores: Stores) -> int:
    return sum([await s.collection.count_documents({SEARCH_PENDING: True}) for s in stores.searchable])


async def _report_indexing(stores: Stores) -> None:
    """A few lines while a large backlog is indexed (the first start): how far, and when done."""
    total = await _pending(stores)
    if total < _REPORTED_BACKLOG:
        return
    started = time.monotonic()
    logger.info("search: indexing %s records in the background; search fills in meanwhile", f"{total:,}")
    last = started
    while (left := await _pending(stores)) > 0:
        if time.monotonic() - last >= _PROGRESS_EVERY_S:
            logger.info("search: %s of %s records indexed", f"{total - min(left, total):,}", f"{total:,}")
            last = time.monotonic()
        await asyncio.sleep(1.0)
    logger.info("search: all %s records indexed in %.0f s", f"{total:,}", time.monotonic() - started)


async def _serve_metrics(stack: contextlib.AsyncExitStack, settings: Settings, metrics: Metrics) -> None:
    """The metrics on a listener of their own (LUMBUNG_METRICS_PORT), for the app's lifetime."""
    host, port = settings.metrics_host or settings.host, settings.metrics_port or 0
    listener = await serve_metrics(metrics, host=host, port=port, token=settings.metrics_token)

    async def stop() -> None:
        listener.close()
        await listener.wait_closed()

    stack.push_async_callback(stop)
    logger.info("metrics on http://%s:%d/metrics", host, port)


def _lifespan(settings: Settings, auth: AuthConfig, metrics: Metrics) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings, metrics=metrics)
            await prepare_database(stores, settings, auth)
            await stack.enter_async_context(metrics.bound(stores))
            if settings.metrics_port is not None:
                await _serve_metrics(stack, settings, metrics)
            search = await open_search(stack, settings, metrics=metrics)
            indexer = None
            if settings.search_indexer:
                indexer = Indexer(
                    stores=stores,
                    engine=search,
                    owner=_owner(),
                    lease_ttl=timedelta(seconds=settings.lease_seconds),
                    process=Process.current() if settings.lease_prove_dead else None,
                )
                # Cancelled at shutdown, it stops its lease's heartbeat and releases the lease.
                task = asyncio.create_task(indexer.run(), name="search-indexer")
                stack.push_async_callback(_cancel, task)
                report = asyncio.create_task(_report_indexing(stores), name="indexing-progress")
                stack.push_async_callback(_cancel, report)
            # What exists by now lives as long as the app: the schema, the clients, the settings.
            # Frozen, it is left out of the garbage collector's full collections, which otherwise
            # walked its 120,000 objects every few hundred searches: a pause of about 85 ms on
            # some request, and 0.15 ms a search on average (bench/README.md, "Search").
            notifier = None
            if settings.notifier:
                notifier = Notifier(stores=stores, owner=_owner())
                task = asyncio.create_task(_run_leased(notifier.run, notifier.lease), name="notifier")
                stack.push_async_callback(_cancel, task)
            digests = None
            if settings.digests:
                digests = _digest_sender(stores, settings, auth)
                task = asyncio.create_task(_run_leased(digests.run, digests.lease), name="digest-sender")
                stack.push_async_callback(_cancel, task)
            hub, feed = None, None
            if settings.live_updates:
                hub = LiveHub(
                    queue_size=settings.live_queue_size,
                    max_connections_per_user=settings.live_max_connections_per_user,
                )
                feed = LiveFeed(stores, hub, wake_notifier=notifier.wake.set if notifier else None)
                # Opened before the first request: whatever is written from now on reaches them.
                await stack.enter_async_context(feed.running())
                metrics.watch_live(hub, feed)
            gc.freeze()
            stack.callback(gc.unfreeze)
            yield {
                "stores": stores,
                "search": search,
                "indexer": indexer,
                "notifier": notifier,
                "digests": digests,
                "live": hub,
                "feed": feed,
            }

    return lifespan


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _check_search(search: SearchEngine) -> str:
    try:
        return "ok" if await search.healthy() else "unavailable"
    except SearchUnavailable:
        return "unavailable"


async def readyz(request: Request) -> JSONResponse:
    """503 while MongoDB is unreachable; 200 "degraded" while only search is (writes still work).

    ``parked`` counts the records the search engine refused (search/refusals.py): they are left
    out of search until their next write, which an operator should know of, but they do not make
    an instance unready. ``searchBacklog`` is what the indexer has still to send (search/backlog.py):
    every instance reports the same, whichever holds the indexer's lease.
    """
    stores: Stores = request.state.stores
    search = await _check_search(request.state.search)
    try:
        await stores.ping()
        parked = await count_parked(stores)
        backlog = await search_backlog(stores=stores)
    except StorageUnavailable:
        checks = {"mongodb": "unreachable", "search": search}
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    status = "ready" if search == "ok" else "degraded"
    ready: dict[str, Any] = {
        "mongodb": "ok",
        "search": search,
        "parked": parked,
        "searchBacklog": backlog.to_json(),
    }
    return JSONResponse({"status": status, "checks": ready})


def create_app(settings: Settings) -> Starlette:
    limits = Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_query_cost,
    )
    auth = auth_config(settings)
    metrics = Metrics()
    if settings.is_production and settings.metrics_token is None and settings.metrics_port is None:
        logger.warning(
            "/metrics is closed: set LUMBUNG_METRICS_TOKEN (a bearer token) or LUMBUNG_METRICS_PORT "
            "(a listener of its own) to scrape it"
        )
    scrape = metrics_endpoint(
        metrics,
        token=settings.metrics_token,
        enabled=settings.metrics_port is None
        and (not settings.is_production or settings.metrics_token is not None),
    )
    schema = build_schema(
        production=settings.is_production, limits=limits, max_batch_operations=STRAWBERRY_BATCH_CAP
    )
    # GraphiQL is for development only, like introspection.
    graphiql = None if settings.is_production else GraphiQLPage()
    graphql = LumbungGraphQL(
        schema,
        graphiql=graphiql,
        allow_queries_via_get=True,
        auth=auth,
        max_operations=settings.max_batch_operations,
        posting=PostingConfig(
            edit_window=timedelta(minutes=settings.post_edit_minutes),
            max_length=settings.post_max_length,
            rate_limit=settings.post_rate_limit,
            rate_window=timedelta(minutes=settings.post_rate_window_minutes),
        ),
        metrics=metrics,
        max_subscriptions=settings.live_max_subscriptions_per_connection,
        # WebSockets have no CORS: a browser's handshake from another origin is refused unless listed.
        allowed_origins=settings.cors_origins,
        ping_seconds=settings.live_ping_seconds,
    )
    calendar_feed, event_calendar = calendar.routes(auth)
    unsubscribe_page = unsubscribe.routes(auth)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            Route("/events.ics", calendar_feed),
            Route("/events/{id}.ics", event_calendar),
            *(graphiql.routes() if graphiql else []),
            Route("/unsubscribe", unsubscribe_page, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", scrape),
            *exports.routes(auth),
            # The web client: static files, no build step (frontend_stub/README.md).
            Mount("/", WebClient(), name="frontend"),
        ],
        lifespan=_lifespan(settings, auth, metrics),
        middleware=[
            # First: everything after it (the access log, sign-in throttling) sees the client's
            # address, not the reverse proxy's, and only from the proxies configured as trusted.
            *(
                [Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)]
                if settings.trusted_proxies
                else []
            ),
            Middleware(AccessLog, observe=metrics.observe_http),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id", *PREFLIGHT_HEADERS],
                max_age=600,
            ),
        ],
    )
