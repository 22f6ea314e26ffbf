"""The ASGI application factory."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from pymongo.asynchronous.mongo_client import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from resolvers.context import Context
from schema import build_schema
from server.graphql_view import GraphQLView
from server.settings import Settings
from server.supervisor import local_mongo
from storage.database import Stores, open_client
from storage.demo import has_content, load_demo_content
from storage.errors import StorageUnavailable
from storage.store import Document

logger = logging.getLogger("lumbung")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class State(TypedDict):
    stores: Stores


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


def _lifespan(settings: Settings) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with contextlib.AsyncExitStack() as stack:
            if settings.mongodb_uri is not None:
                uri = settings.mongodb_uri.get_secret_value()
            else:
                uri = (await stack.enter_async_context(local_mongo(settings.data_dir))).url
            client: AsyncMongoClient[Document] = open_client(uri, timeout_ms=settings.mongodb_timeout_ms)
            stack.push_async_callback(client.close)
            stores = Stores.of(client[settings.mongodb_database])
            await prepare_database(stores, settings)
            yield {"stores": stores}

    return lifespan


class LumbungGraphQL(GraphQLView[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        return Context.for_request(request.state.stores, request_id=request_id)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    stores: Stores = request.state.stores
    try:
        await stores.ping()
    except StorageUnavailable:
        return JSONResponse({"status": "unavailable", "checks": {"mongodb": "unreachable"}}, status_code=503)
    return JSONResponse({"status": "ready", "checks": {"mongodb": "ok"}})


def create_app(settings: Settings) -> Starlette:
    graphql = LumbungGraphQL(
        build_schema(production=settings.is_production),
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=_lifespan(settings),
    )
