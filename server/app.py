"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

from pymongo.asynchronous.mongo_client import AsyncMongoClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from resolvers.context import Context
from schema import Limits, build_schema
from search.engine import SearchEngine
from search.engine import open_client as open_search_client
from search.errors import SearchUnavailable
from search.indexer import Indexer
from search.indexes import IndexNames
from server.graphql_view import GraphQLView
from server.limits import BodySizeLimit
from server.settings import REPO_ROOT, Settings
from server.supervisor import LocalService, announce, local_meilisearch, local_mongo, withdraw
from storage.database import Stores, open_client
from storage.demo import has_content, load_demo_content
from storage.errors import StorageUnavailable
from storage.store import Document

logger = logging.getLogger("lumbung")

FRONTEND_DIR = REPO_ROOT / "frontend_stub"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class State(TypedDict):
    stores: Stores
    search: SearchEngine
    indexer: Indexer | None


async def prepare_database(stores: Stores, settings: Settings) -> None:
    """Reference regions and demo content into an empty database when enabled; indexes always.

    Regions go in before their indexes are built: one index build over 91,599 documents is much
    faster than maintaining three indexes through every insert.
    """
    if settings.seed_regions and not await stores.regions.is_loaded():
        started = time.perf_counter()
        count = await stores.regions.load()
        logger.info("loaded %d Kemendagri regions in %.1f s", count, time.perf_counter() - started)
    await stores.ensure_indexes()
    if settings.seed_demo and not await has_content(stores):
        counts = await load_demo_content(stores)
        logger.info("loaded demo content: %s", ", ".join(f"{n} {name}" for name, n in counts.items()))


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


async def open_stores(stack: contextlib.AsyncExitStack, settings: Settings) -> Stores:
    """The stores on the configured MongoDB, or on a local one supervised until ``stack`` closes."""
    if settings.mongodb_uri is not None:
        uri = settings.mongodb_uri.get_secret_value()
    else:
        uri = (await _supervised(stack, settings.data_dir, local_mongo(settings.data_dir))).url
    client: AsyncMongoClient[Document] = open_client(uri, timeout_ms=settings.mongodb_timeout_ms)
    stack.push_async_callback(client.close)
    return Stores.of(client[settings.mongodb_database])


def _local_master_key(data_dir: Path) -> str:
    """The local Meilisearch's master key, made once and kept beside its data."""
    path = data_dir / "meili-master-key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


async def open_search(stack: contextlib.AsyncExitStack, settings: Settings) -> SearchEngine:
    """The search engine as configured, or a local Meilisearch supervised until ``stack`` closes."""
    if settings.meili_url is not None and settings.meili_master_key is not None:
        url, key = settings.meili_url, settings.meili_master_key.get_secret_value()
    else:
        local = local_meilisearch(settings.data_dir, master_key=_local_master_key(settings.data_dir))
        service = await _supervised(stack, settings.data_dir, local)
        url, key = service.url, service.api_key or ""
    client = open_search_client(url, key)
    stack.push_async_callback(client.aclose)
    engine = SearchEngine(client=client, names=IndexNames(settings.index_prefix))
    try:
        await engine.prepare_all()
    except SearchUnavailable as exc:  # writes must work without search: the indexer retries
        logger.warning("search engine not ready at start-up (%s); indexing will retry", exc)
    return engine


async def _run_indexer(indexer: Indexer) -> None:
    try:
        await indexer.run()
    finally:
        with contextlib.suppress(Exception):
            await indexer.lease.release()


def _lifespan(settings: Settings) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            await prepare_database(stores, settings)
            search = await open_search(stack, settings)
            indexer = None
            if settings.search_indexer:
                owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
                indexer = Indexer(stores=stores, engine=search, owner=owner)
                task = asyncio.create_task(_run_indexer(indexer), name="search-indexer")
                stack.push_async_callback(_cancel, task)
            yield {"stores": stores, "search": search, "indexer": indexer}

    return lifespan


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class LumbungGraphQL(GraphQLView[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        indexer: Indexer | None = request.state.indexer
        return Context.for_request(
            request.state.stores,
            request_id=request_id,
            search=request.state.search,
            on_write=indexer.wake.set if indexer else _ignore,
        )


def _ignore() -> None:
    pass


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _check_search(search: SearchEngine) -> str:
    try:
        return "ok" if await search.healthy() else "unavailable"
    except SearchUnavailable:
        return "unavailable"


async def readyz(request: Request) -> JSONResponse:
    """503 while MongoDB is unreachable; 200 "degraded" while only search is (writes still work)."""
    stores: Stores = request.state.stores
    try:
        await stores.ping()
        mongodb = "ok"
    except StorageUnavailable:
        mongodb = "unreachable"
    checks = {"mongodb": mongodb, "search": await _check_search(request.state.search)}
    if mongodb != "ok":
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    return JSONResponse({"status": "ready" if checks["search"] == "ok" else "degraded", "checks": checks})


def create_app(settings: Settings) -> Starlette:
    limits = Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_query_cost,
    )
    graphql = LumbungGraphQL(
        build_schema(production=settings.is_production, limits=limits),
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # The web client: static files, no build step (frontend_stub/README.md).
            Mount("/", StaticFiles(directory=FRONTEND_DIR, html=True, check_dir=False), name="frontend"),
        ],
        lifespan=_lifespan(settings),
        middleware=[
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                max_age=600,
            ),
        ],
    )
