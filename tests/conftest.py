"""Fixtures: one local MongoDB (SecantusDB) per test session, one database per test."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from pymongo import AsyncMongoClient

from server.app import create_app
from server.settings import Environment, Settings
from server.supervisor import LocalService, free_port, local_meilisearch, local_mongo
from storage.database import Stores, open_client
from storage.store import Document
from tests.support import (
    TEST_HASH_COST,
    TEST_SECRET_KEY,
    GraphQLClient,
    hub_admin_token,
    wait_until_indexed,
)

# The browser tests' fixtures (the site on the demo content, Chromium, a page per test).
# The browser tests' fixtures (Chromium, the served demo site), shared by their modules.
pytest_plugins = ("tests.browser",)

# Regions of the per-test databases: Kota Depok, Jakarta Pusat and Kota Surabaya with their
# kecamatan and kelurahan (about 330 regions), enough for hierarchy filters and fast to load.
TEST_REGION_ROOTS = ("32.76", "31.71", "35.78")


@pytest.fixture(scope="session")
async def mongo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalService]:
    async with local_mongo(tmp_path_factory.mktemp("mongo")) as service:
        yield service


@pytest.fixture(scope="session")
async def meili(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalService]:
    async with local_meilisearch(tmp_path_factory.mktemp("meili")) as service:
        yield service


@pytest.fixture(scope="session")
async def mongo_client(mongo: LocalService) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = open_client(mongo.url, timeout_ms=5000)
    yield client
    await client.close()


def settings_for(mongo: LocalService, meili: LocalService, database: str, **overrides: object) -> Settings:
    """Settings of an app on the session's services; its search indexes are named after ``database``."""
    values: dict[str, object] = {
        "env": Environment.TEST,
        "mongodb_uri": mongo.url,
        "mongodb_database": database,
        "meili_url": meili.url,
        "meili_master_key": meili.api_key,
        "seed_regions": False,
        "seed_demo": False,
        "secret_key": TEST_SECRET_KEY,
        # The digest tests drive their own senders, with a clock of their own.
        "digests": False,
        # Live updates (change-stream watchers) in the tests that subscribe: a stop waits for the
        # watchers' getMore under way (up to 0.25 s), too long to pay on every app of the suite.
        "live_updates": False,
        **TEST_HASH_COST,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
async def stores(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[Stores]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    stores = Stores.of(mongo_client[name])
    await stores.regions.load(under=TEST_REGION_ROOTS)
    yield stores
    await mongo_client.drop_database(name)


@contextlib.asynccontextmanager
async def running_app(settings: Settings, *, admin_in: Stores | None = None) -> AsyncIterator[GraphQLClient]:
    """The app started (lifespan and all) with ``settings``, and a GraphQL client talking to it.

    The client is anonymous, or signed in as a hub admin made in ``admin_in`` (the app's stores).
    """
    async with LifespanManager(create_app(settings), startup_timeout=300) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lumbung.test") as http:
            client = GraphQLClient(http)
            yield client.as_user(await hub_admin_token(admin_in)) if admin_in else client


@pytest.fixture
async def api(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[GraphQLClient]:
    """The app on a fresh database, signed in as a hub admin (allowed everything).

    Tests of anything but search share one set of idle indexes; the notifier does not run, so
    that the notification tests deliver when they choose.
    """
    settings = settings_for(
        mongo, meili, stores.database.name, search_index_prefix="shared", search_indexer=False, notifier=False
    )
    async with running_app(settings, admin_in=stores) as client:
        yield client


@pytest.fixture(scope="session")
async def demo_database(
    mongo: LocalService, meili: LocalService, mongo_client: AsyncMongoClient[Document]
) -> AsyncIterator[str]:
    """A database seeded exactly as `make run` seeds one: every region and the demo content, indexed."""
    name = f"demo_{uuid.uuid4().hex[:8]}"
    async with running_app(settings_for(mongo, meili, name, seed_regions=True, seed_demo=True)):
        await wait_until_indexed(Stores.of(mongo_client[name]))
    yield name
    await mongo_client.drop_database(name)


@pytest.fixture
async def demo_api(
    mongo: LocalService, meili: LocalService, demo_database: str
) -> AsyncIterator[GraphQLClient]:
    """The seeded demo database, read-only for the tests that use it."""
    async with running_app(settings_for(mongo, meili, demo_database, search_indexer=False)) as client:
        yield client


@pytest.fixture
def output_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-output"
    path.mkdir(exist_ok=True)
    return path


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, *, http: Literal["auto", "h11", "httptools"] = "auto"
) -> AsyncIterator[str]:
    """The app under uvicorn on a free loopback port, for clients in other processes; its base URL.

    ``http`` is uvicorn's HTTP/1.1 implementation ("auto" is httptools where it is installed).
    """
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, http=http, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def served(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[str]:
    async with serving(settings_for(mongo, meili, stores.database.name, search_index_prefix="shared")) as url:
        yield url


@pytest.fixture
async def production_api(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> AsyncIterator[GraphQLClient]:
    """The app as production runs it (no introspection, no GraphiQL), on a fresh database."""
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        env=Environment.PRODUCTION,
        secret_key="k" * 40,
        search_index_prefix="shared",
        search_indexer=False,
        cors_origins=["https://hub.example.org"],
    )
    async with running_app(settings) as client:
        yield client
