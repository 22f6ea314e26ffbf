"""Search benchmark: freshness, bulk indexing, reindex, and GraphQL search against Meilisearch itself.

Starts a local MongoDB (SecantusDB) and a local Meilisearch in a temporary folder, loads the
regions of a few provinces and the demo content, and serves the app under uvicorn in a second
process, pointed at both (its search indexer runs inside it). Then, in one run:

1. freshness: the time from a ``createPractice``/``updatePractice`` response until ``search``
   returns the practice by a word only that write contains (polled every 10 ms), sequentially;
2. bulk indexing: generated practices, case studies and partnerships (the demo content as
   templates, varied titles, themes, SDGs, stages and kelurahan) go into MongoDB through the
   stores while no app runs (so each carries its ``search_pending`` mark); then a new app process
   starts, and the time from its start until its indexer has cleared every mark is measured;
3. reindex: ``search.reindex.reindex`` run in this process over everything;
4. freshness again, now that the indexes hold the bulk documents;
5. search under load (wrk, one thread, four connections; also with Meilisearch and the app on
   separate cores): a three-word Indonesian query with
   three facet filters through the GraphQL ``search`` field (with the hits' objects and facet
   labels from MongoDB; without them; counting three facets only), each against the very
   multi-search body the app sends for it (captured from the SDK while the same GraphQL document
   runs through the app in this process) posted straight to Meilisearch.

Prints a table and writes ``bench/results/search.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import json
import math
import os
import random
import secrets
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
import unittest.mock
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from bench import wrk
from resolvers.accounts import create_user, issue_session
from resolvers.auth import AuthConfig
from resolvers.ids import decode_id, encode_id
from search.engine import SearchEngine
from search.http import ConnectionPool, Reply
from search.indexes import SPECS, IndexNames
from search.reindex import reindex
from server.app import auth_config, create_app, prepare_database
from server.lifeline import tied
from server.settings import Settings
from server.supervisor import LocalService, free_port, local_meilisearch, local_mongo
from storage.database import Stores, open_client
from storage.demo import read_demo_file
from storage.records import CaseStudyRecord, PartnershipRecord, PracticeRecord, UserRecord
from storage.store import (
    SEARCH_OUTBOX,
    SEARCH_PENDING,
    Document,
    VersionedStore,
    new_id,
)
from storage.vocabulary import SDG_GOALS, OrganizationKind, PartnerRole, PartnershipStatus, Role, Stage, Theme

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "bench"
# Jawa Barat, DI Yogyakarta, Bali, Kalimantan Timur, Sulawesi Selatan: about 12,500 regions, a
# few seconds to load (all 91,599 take 10-20 s and add nothing to what is measured).
PROVINCES = ("32", "34", "51", "64", "73")
QUERY = "pengelolaan sampah warga"
FILTER = {"themes": ["WASTE_MANAGEMENT"], "regionCodes": ["32"], "stages": ["APPLIED"]}
# The pause of each connection between requests in the paced runs: four connections then ask
# about 50 searches a second, a third of what Meilisearch answers on its own here.
PACE_MS = 60
# Rounds of every scenario per load, each next to a run of its baseline (see measure_search).
ROUNDS = 6
PAGE_SIZE = 20  # written into the queries below: a page size from a variable costs 100 in the budget

SEARCH = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    hits {
      type
      highlights { field snippet }
      node {
        __typename
        ... on Practice { id title }
        ... on CaseStudy { id title }
        ... on Partnership { id title }
        ... on Organization { id name }
      }
    }
    facets { facet values { value count label } }
  }
}
"""
# The same search without the two parts that read MongoDB (the hit's object, region names).
SEARCH_WITHOUT_MONGODB = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    hits { type highlights { field snippet } }
    facets { facet values { value count } }
  }
}
"""
# The same, counting only three facets (the bench's own three filters).
SEARCH_THREE_FACETS = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, first: 20, facets: [THEME, REGENCY_CITY, STAGE]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    hits { type highlights { field snippet } }
    facets { facet values { value count } }
  }
}
"""
GRAPHQL_SCENARIOS = {
    "graphql_search": SEARCH,
    "graphql_search_without_mongodb": SEARCH_WITHOUT_MONGODB,
    "graphql_search_three_facets": SEARCH_THREE_FACETS,
}
FIND = """
query($query: String!) {
  search(query: $query, first: 5, facets: []) {
    hits { highlights { field snippet } node { ... on Practice { id } } }
  }
}
"""
CREATE = """
mutation($input: PracticeInput!) {
  createPractice(input: $input) { practice { id version } errors { field code message } }
}
"""
UPDATE = """
mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) { practice { id version } errors { field code message } }
}
"""

# Title words: a programme per theme, a qualifier, and the kelurahan or desa it runs in.
PROGRAMMES: dict[Theme, tuple[str, ...]] = {
    Theme.WASTE_MANAGEMENT: (
        "Bank Sampah",
        "Rumah Kompos",
        "TPS3R",
        "Pengelolaan Sampah",
        "Pilah Sampah dari Rumah",
        "Sedekah Sampah",
    ),
    Theme.HEALTH: ("Posyandu", "Pos Kesehatan Desa", "Ambulans Desa", "Skrining Hipertensi"),
    Theme.NUTRITION_STUNTING: ("Dapur Sehat Atasi Stunting", "Rembuk Stunting", "Makanan Tambahan Lokal"),
    Theme.EDUCATION: ("Pojok Baca", "Sekolah Lapang", "Bimbingan Belajar Warga"),
    Theme.PUBLIC_SERVICE: ("Layanan Adminduk Keliling", "Loket Pelayanan Terpadu", "Pelayanan Malam"),
    Theme.PARTICIPATORY_PLANNING: ("Musrenbang Anak", "Rembuk Warga", "Perencanaan Partisipatif"),
    Theme.LOCAL_ECONOMY: ("Pasar Desa", "Inkubator UMKM", "BUMDes"),
    Theme.DIGITAL_GOVERNMENT: ("Aplikasi Layanan Warga", "Dasbor Data Desa", "Surat Elektronik"),
    Theme.ENVIRONMENT: ("Kampung Iklim", "Bank Pohon", "Sungai Bersih"),
    Theme.DISASTER_RESILIENCE: ("Desa Tangguh Bencana", "Satgas Siaga Banjir", "Jalur Evakuasi"),
    Theme.SOCIAL_PROTECTION: ("Data Terpadu Kesejahteraan", "Lumbung Sosial"),
    Theme.WATER_SANITATION: ("Air Bersih Pedesaan", "Sanitasi Total Berbasis Masyarakat", "IPAL Komunal"),
    Theme.GENDER_CHILD: ("Kelurahan Layak Anak", "Sekolah Perempuan", "Posko Perlindungan Anak"),
    Theme.TRANSPARENCY: ("Papan Informasi APBDes", "Transparansi Anggaran"),
    Theme.COMMUNITY_SECURITY: ("Siskamling Digital", "Pos Ronda Warga"),
    Theme.AGRICULTURE_FOOD: ("Lumbung Pangan", "Pekarangan Pangan Lestari", "Pertanian Organik"),
    Theme.TOURISM_CULTURE: ("Desa Wisata", "Sanggar Budaya"),
    Theme.YOUTH: ("Karang Taruna Kreatif", "Ruang Kreatif Pemuda"),
}
QUALIFIERS = (
    "Digital",
    "Terpadu",
    "Berbasis Warga",
    "Keliling",
    "Mandiri",
    "Inklusif",
    "Partisipatif",
    "Gotong Royong",
    "Berkelanjutan",
    "Ramah Lingkungan",
    "Tanggap",
    "Cerdas",
)
SENTENCES = (
    "Program {programme} di {place} dijalankan warga bersama pemerintah setempat sejak {year}.",
    "Sebanyak {count} rumah tangga terlibat dalam {programme}, dan hasilnya dipantau setiap bulan.",
    "Pengelolaan {programme} melibatkan kader, pengurus RT/RW, dan tokoh masyarakat {place}.",
    "Warga {place} menyepakati aturan bersama agar {programme} tetap berjalan tanpa bergantung pada "
    "anggaran tahunan.",
    "Pendampingan dari kecamatan membantu {place} mendokumentasikan {programme} agar dapat direplikasi.",
)
KINDS = (("practices", 0.6), ("case_studies", 0.2), ("partnerships", 0.2))
_RECORDS = {"practices": PracticeRecord, "case_studies": CaseStudyRecord, "partnerships": PartnershipRecord}
_DROPPED = {"key", "organization", "related_practices", "practice", "partners", "contributions"}


# --- processes and HTTP ---------------------------------------------------------------------------


def create_app_from_env() -> Starlette:
    """The app as served in production, configured from the environment (``uvicorn --factory``)."""
    return create_app(Settings())


@dataclass(frozen=True, slots=True)
class App:
    url: str
    log_path: Path
    spawned: float  # time.perf_counter() just before the process was started
    pid: int


@contextlib.asynccontextmanager
async def _serve_app(
    mongo: LocalService, meili: LocalService, workdir: Path, name: str
) -> AsyncIterator[App]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MONGODB_URI": mongo.url,
        "LUMBUNG_MONGODB_DATABASE": DATABASE,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.api_key or "",
        "LUMBUNG_SEED_REGIONS": "true",  # already loaded (the provinces used): a no-op
        "LUMBUNG_SEED_DEMO": "true",
        "LUMBUNG_DATA_DIR": str(workdir / "app"),
        "LUMBUNG_LOG_LEVEL": "WARNING",
        "LUMBUNG_SECRET_KEY": SECRET_KEY,
    }
    log_path = workdir / f"{name}.log"
    spawned = time.perf_counter()
    with log_path.open("wb") as log:
        uvicorn = [
            *(sys.executable, "-m", "uvicorn", "--factory", "bench.search:create_app_from_env"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"),
        ]
        process = await asyncio.create_subprocess_exec(
            *tied(uvicorn),  # a killed benchmark leaves no server
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        await _wait_ready(url, process, log_path)
        yield App(url, log_path, spawned, process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def _in_process_settings(mongo: LocalService, meili: LocalService, workdir: Path) -> Settings:
    """The served app's settings, for an app in this process that must not index."""
    return Settings.model_validate(
        {
            "mongodb_uri": mongo.url,
            "mongodb_database": DATABASE,
            "meili_url": meili.url,
            "meili_master_key": meili.api_key,
            "search_indexer": False,
            "seed_regions": False,
            "seed_demo": False,
            "data_dir": workdir / "in-process",
            "log_level": "WARNING",
            "secret_key": SECRET_KEY,
        }
    )


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def _wait_ready(url: str, process: asyncio.subprocess.Process, log_path: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(1200):
            if process.returncode is not None:
                raise SystemExit(f"the app exited early:\n{_tail(log_path)}")
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(f"{url}/readyz")
                if response.status_code == 200 and response.json()["checks"]["search"] == "ok":
                    return
            await asyncio.sleep(0.1)
    raise SystemExit(f"the app did not become ready within 120 s:\n{_tail(log_path)}")


async def _graphql(http: httpx.AsyncClient, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({response.status_code}): {body}")
    data: dict[str, Any] = body["data"]
    return data


def _summary(values_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    if not ordered:
        return {"count": 0}

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {
        "count": len(ordered),
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "max_ms": ordered[-1],
        "mean_ms": sum(ordered) / len(ordered),
    }


# --- setup ----------------------------------------------------------------------------------------


# Shared with the app processes (LUMBUNG_SECRET_KEY), so that a token issued here is valid there.
SECRET_KEY = secrets.token_urlsafe(48)


def _auth() -> AuthConfig:
    return auth_config(Settings.model_validate({"secret_key": SECRET_KEY}))


async def _seed(stores: Stores) -> None:
    """The regions of PROVINCES, then indexes and the demo content (as the app would at start-up)."""
    await stores.regions.load(under=PROVINCES)
    await prepare_database(stores, Settings(seed_regions=False, seed_demo=True), _auth())


async def _hub_admin(stores: Stores) -> UserRecord:
    """An admin of the association, who may write anything and searches drafts too."""
    association = await stores.organizations.insert(
        {"name": "Asosiasi (benchmark)", "kind": OrganizationKind.ASSOCIATION.value, "verified": True}
    )
    return await create_user(
        stores,
        _auth(),
        email="benchmark@contoh.go.id",
        name="Benchmark",
        password=secrets.token_urlsafe(),
        role=Role.ADMIN,
        organization_id=association.id,
    )


async def _token(stores: Stores, user: UserRecord) -> str:
    return (await issue_session(stores, _auth(), user)).access_token


async def _pending(stores: Stores) -> int:
    counts = [await store.collection.count_documents({SEARCH_PENDING: True}) for store in stores.searchable]
    return sum(counts) + await stores.database[SEARCH_OUTBOX].count_documents({"done": False})


async def _wait_indexed(stores: Stores, *, within: float, interval: float = 0.25) -> float:
    """Seconds until nothing is pending any more (the indexer clears a mark once Meilisearch has it)."""
    started = time.perf_counter()
    while await _pending(stores):
        if time.perf_counter() - started > within:
            raise RuntimeError(f"the indexer did not catch up within {within:.0f} s")
        await asyncio.sleep(interval)
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str


async def _kelurahan(stores: Stores) -> list[Place]:
    cursor = stores.regions.collection.find({"level": "KELURAHAN_DESA"}, {"name": 1, "kind": 1})
    return [Place(doc["_id"], f"{str(doc['kind']).capitalize()} {doc['name']}") async for doc in cursor]


async def _organization_ids(stores: Stores) -> list[str]:
    return [str(doc["_id"]) async for doc in stores.organizations.collection.find({}, {"_id": 1})]


# --- 1. freshness -----------------------------------------------------------------------------------


def _unique_word(rng: random.Random) -> str:
    # Ten random letters: two such words are never within Meilisearch's two typos of each other.
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


async def _found(http: httpx.AsyncClient, word: str, practice_id: str) -> bool:
    data = await _graphql(http, FIND, {"query": word})
    mark = f"<mark>{word}</mark>"
    return any(
        hit["node"]
        and hit["node"].get("id") == practice_id
        and any(mark in h["snippet"] for h in hit["highlights"])
        for hit in data["search"]["hits"]
    )


def _practice_input(title: str, place: Place, organization_id: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": f"Warga {place.name} memilah sampah rumah tangga di bank sampah RW.",
        "organizationId": organization_id,
        "regionCodes": [place.code],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [11, 12],
        "problem": "Sampah rumah tangga dibuang ke sungai dan lahan kosong.",
        "approach": "Pengurus RW menimbang sampah terpilah tiap pekan dan mencatat tabungan warga.",
        "stage": "PILOT",
    }


async def _write(
    http: httpx.AsyncClient, title: str, place: Place, organization_id: str, current: tuple[str, int] | None
) -> dict[str, Any]:
    """Create a practice (``current`` None) or retitle ``current`` (global ID, version)."""
    if current is None:
        data = await _graphql(http, CREATE, {"input": _practice_input(title, place, organization_id)})
        payload: dict[str, Any] = data["createPractice"]
    else:
        changes = {"id": current[0], "version": current[1], "changes": {"title": title}}
        payload = (await _graphql(http, UPDATE, {"input": changes}))["updatePractice"]
    if payload["errors"]:
        raise RuntimeError(f"the write failed: {payload['errors']}")
    practice: dict[str, Any] = payload["practice"]
    return practice


async def measure_freshness(
    url: str,
    meili: LocalService,
    *,
    token: str,
    writes: int,
    organization_id: str,
    places: Sequence[Place],
    rng: random.Random,
) -> dict[str, Any]:
    """Alternately create a practice and retitle it, each time with a new word in its title.

    A hub admin writes and searches: the practices stay drafts, which the admin's searches find.
    The clock starts when the mutation's response has arrived and stops when a search for the
    word returns the practice with that word highlighted (so the new version, not the old one).
    Each figure therefore includes the last search request itself (``poll_request``), and
    ``meilisearch_task`` is how long Meilisearch's tasks took meanwhile, enqueued to finished.
    """
    started = dt.datetime.now(dt.UTC)
    latencies: dict[str, list[float]] = {"create": [], "update": []}
    polls: list[int] = []
    poll_ms: list[float] = []  # each search request's own duration, part of every figure
    every_in_order: list[float] = []
    timeouts = 0
    current: tuple[str, int] | None = None  # (global ID, version) of the practice to update next
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=10.0, headers=headers) as http:
        for _ in range(writes):
            word = _unique_word(rng)
            place = rng.choice(places)
            kind = "create" if current is None else "update"
            practice = await _write(http, f"Bank Sampah {word} {place.name}", place, organization_id, current)
            written = time.perf_counter()
            current = (practice["id"], practice["version"]) if current is None else None
            attempts = 0
            while True:
                attempts += 1
                polled = time.perf_counter()
                found = await _found(http, word, practice["id"])
                poll_ms.append((time.perf_counter() - polled) * 1000)
                if found:
                    latencies[kind].append((time.perf_counter() - written) * 1000)
                    every_in_order.append(latencies[kind][-1])
                    break
                if time.perf_counter() - written > 10.0:
                    timeouts += 1
                    break
                await asyncio.sleep(0.01)
            polls.append(attempts)
    every = latencies["create"] + latencies["update"]
    return {
        **_summary(every),
        "samples_ms": [round(ms, 1) for ms in every_in_order],
        "writes": writes,
        "timeouts": timeouts,
        "polls_mean": sum(polls) / len(polls) if polls else 0.0,
        "poll_request": _summary(poll_ms),
        "meilisearch_task": await _task_durations(meili, since=started),
        "create": _summary(latencies["create"]),
        "update": _summary(latencies["update"]),
    }


async def _task_durations(meili: LocalService, *, since: dt.datetime) -> dict[str, float]:
    """Enqueued to finished, for Meilisearch's document tasks enqueued since ``since``."""
    headers = {"Authorization": f"Bearer {meili.api_key}"}
    params: dict[str, str | int] = {
        "types": "documentAdditionOrUpdate",
        "afterEnqueuedAt": since.isoformat(),
        "limit": 10_000,
    }
    async with httpx.AsyncClient(base_url=meili.url, headers=headers, timeout=10.0) as http:
        reply = await http.get("/tasks", params=params)
    reply.raise_for_status()
    return _summary(
        [
            (_instant(task["finishedAt"]) - _instant(task["enqueuedAt"])).total_seconds() * 1000
            for task in reply.json()["results"]
            if task["finishedAt"]
        ]
    )


def _instant(rfc3339: str) -> dt.datetime:
    """Meilisearch's timestamps, to the microsecond (they carry nanoseconds)."""
    seconds, _, fraction = rfc3339.removesuffix("Z").partition(".")
    return dt.datetime.fromisoformat(f"{seconds}.{fraction[:6]:0<6}+00:00")


# --- 2. bulk documents ------------------------------------------------------------------------------


class Generator:
    """Realistic Indonesian content from the demo items, varied in title, themes, SDGs, stage, place."""

    def __init__(self, rng: random.Random, places: Sequence[Place], organization_ids: Sequence[str]) -> None:
        self.rng = rng
        self.places = places
        self.organization_ids = organization_ids
        self.templates = {name: read_demo_file(name) for name in _RECORDS}
        self.by_theme = {
            name: {theme: [t for t in items if theme.value in t["themes"]] for theme in Theme}
            for name, items in self.templates.items()
        }
        self.start = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
        self.span = (dt.datetime(2026, 6, 1, tzinfo=dt.UTC) - self.start).total_seconds()

    def document(self, kind: str) -> Document:
        rng = self.rng
        theme = rng.choice(list(Theme))
        template = rng.choice(self.by_theme[kind][theme] or self.templates[kind])
        programme = rng.choice(PROGRAMMES[theme])
        place = rng.choice(self.places)
        qualifier = rng.choice(QUALIFIERS)
        title = {
            "practices": f"{programme} {qualifier} {place.name}",
            "case_studies": f"Studi {programme} {qualifier} di {place.name}",
            "partnerships": f"Kemitraan {programme} {qualifier} {place.name}",
        }[kind]
        year = rng.randint(2015, 2025)
        extra = " ".join(
            sentence.format(programme=programme, place=place.name, year=year, count=rng.randint(20, 2000))
            for sentence in rng.sample(SENTENCES, 2)
        )
        themes = list(dict.fromkeys([theme.value, *template["themes"]]))[:5]
        if rng.random() < 0.3 and len(themes) < 5:
            themes = list(dict.fromkeys([*themes, rng.choice(list(Theme)).value]))
        sdgs = sorted({*template["sdgs"], rng.choice(list(SDG_GOALS))})
        codes = [place.code] if rng.random() < 0.8 else [place.code, rng.choice(self.places).code]
        document = {key: value for key, value in template.items() if key not in _DROPPED}
        document.update(
            _id=new_id(),
            title=title,
            summary=f"{extra} {template['summary']}",
            organization_id=rng.choice(self.organization_ids),
            region_codes=list(dict.fromkeys(codes)),
            themes=themes,
            sdgs=sdgs,
            status="PUBLISHED",
            created_at=self.start + dt.timedelta(seconds=rng.uniform(0, self.span)),
        )
        if kind == "practices":
            document["stage"] = rng.choice(list(Stage)).value
            document["problem"] = f"{template['problem']} {extra}"
        elif kind == "partnerships":
            partners = rng.sample(list(self.organization_ids), k=min(3, len(self.organization_ids)))
            roles = [PartnerRole.LEAD, PartnerRole.IMPLEMENTER, PartnerRole.FUNDER]
            document["partners"] = [
                {"organization_id": org, "role": role.value}
                for org, role in zip(partners, roles, strict=True)
            ]
            document["contributions"] = [
                {
                    **{k: v for k, v in c.items() if k != "organization"},
                    "organization_id": rng.choice(partners),
                }
                for c in template.get("contributions", [])
            ]
            document["partnership_status"] = rng.choice(list(PartnershipStatus)).value
        return document

    def documents(self, total: int) -> dict[str, list[Document]]:
        counts = {name: int(total * share) for name, share in KINDS}
        counts["practices"] += total - sum(counts.values())
        return {name: [self.document(name) for _ in range(count)] for name, count in counts.items()}


async def insert_documents(stores: Stores, documents: Mapping[str, Sequence[Document]]) -> dict[str, Any]:
    """Insert through the stores, which set the pending mark as any write does; no indexer runs."""
    started = time.perf_counter()
    for name, items in documents.items():
        store: VersionedStore[Any] = getattr(stores, name)
        for start in range(0, len(items), 1000):
            await store.insert_many(items[start : start + 1000])
    seconds = time.perf_counter() - started
    total = sum(len(items) for items in documents.values())
    return {
        "documents": {name: len(items) for name, items in documents.items()},
        "insert_s": seconds,
        "insert_docs_per_s": total / seconds,
    }


async def measure_indexing(app: App, stores: Stores, total: int, *, within: float) -> dict[str, Any]:
    """Time a freshly started app's indexer through the backlog, from the app's process start.

    Meanwhile /healthz is polled every 100 ms: its latency shows how long the app's event loop is
    held by the indexer (it builds the search documents, stemming included, on that loop).
    """
    probes: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=app.url, timeout=30.0) as http:
            while not stop.is_set():
                started = time.perf_counter()
                await http.get("/healthz")
                probes.append((time.perf_counter() - started) * 1000)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)

    ready_s = time.perf_counter() - app.spawned
    prober = asyncio.create_task(probe())
    try:
        await _wait_indexed(stores, within=within)
        index_s = time.perf_counter() - app.spawned
    finally:
        stop.set()
        await prober
    return {
        "app_ready_s": ready_s,
        "index_s": index_s,
        "index_docs_per_s": total / index_s,
        "healthz_during_indexing": _summary(probes),
    }


async def _index_sizes(engine: SearchEngine) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for spec in SPECS:
        uid = engine.index_uid(spec)
        sizes[uid] = (await engine.client.index(uid).get_stats()).number_of_documents
    return sizes


# --- 3. reindex -------------------------------------------------------------------------------------


async def measure_reindex(stores: Stores, engine: SearchEngine) -> dict[str, Any]:
    started = time.perf_counter()
    await engine.prepare_all()
    settings_s = time.perf_counter() - started
    started = time.perf_counter()
    counts = await reindex(stores, engine)
    seconds = time.perf_counter() - started
    remarked = await _pending(stores)
    settle_s = await _wait_indexed(stores, within=600)
    total = sum(counts.values())
    return {
        "documents": total,
        "per_index": counts,
        "seconds": seconds,
        "docs_per_s": total / seconds,
        "settings_reapply_s": settings_s,
        "remarked_after_swap": remarked,
        "remarked_indexed_s": settle_s,
    }


# --- 4. search under load -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A GraphQL search, and the multi-search body the app sends Meilisearch for it."""

    document: str
    multi_search: bytes = b""


async def capture_multi_search(settings: Settings, documents: Mapping[str, str]) -> dict[str, Scenario]:
    """Run each document through the app in this process and keep the body its resolver posts."""
    captured: list[bytes] = []
    post = ConnectionPool.post

    async def keep(pool: ConnectionPool, path: str, body: bytes) -> Reply:
        if path == "/multi-search":
            captured.append(body)
        return await post(pool, path, body)

    scenarios: dict[str, Scenario] = {}
    async with LifespanManager(create_app(settings), startup_timeout=120) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as http:
            with unittest.mock.patch.object(ConnectionPool, "post", keep):
                for name, document in documents.items():
                    captured.clear()
                    await _graphql(http, document, {"query": QUERY, "filter": FILTER})
                    assert len(captured) == 1, captured
                    scenarios[name] = Scenario(document, captured[0])
    return scenarios


async def _check_same_hits(url: str, meili: LocalService, scenario: Scenario) -> int:
    """Both sides must answer with the same hits, or comparing them means nothing."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        direct = await http.post(
            f"{meili.url}/multi-search",
            content=scenario.multi_search,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {meili.api_key}"},
        )
        direct.raise_for_status()
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as app:
            data = await _graphql(app, SEARCH, {"query": QUERY, "filter": FILTER})
    search = data["search"]
    via_graphql = [decode_id(hit["node"]["id"])[1] for hit in search["hits"]]
    via_meili = [str(hit["id"]) for hit in direct.json()["hits"]][:PAGE_SIZE]
    assert via_graphql == via_meili, (via_graphql, via_meili)
    assert via_graphql, "the benchmark query finds nothing"
    assert any(facet["values"] for facet in search["facets"]), "no facet values"
    total: int = search["totalCount"]
    return total


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _threads(pid: int) -> list[int]:
    return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]


@contextlib.contextmanager
def _separate_cores(meilisearch_pid: int, app_pid: int) -> Iterator[tuple[int, ...]]:
    """Meilisearch on the first CPU, the app on the others; yields the app's (for wrk).

    Affinity is per thread on Linux, so every thread of each process is moved; the threads they
    start later inherit it. Each thread's affinity is put back afterwards.
    """
    cpus = sorted(os.sched_getaffinity(0))
    placed = {meilisearch_pid: {cpus[0]}, app_pid: set(cpus[1:])}
    before = {tid: os.sched_getaffinity(tid) for pid in placed for tid in _threads(pid)}
    try:
        for pid, where in placed.items():
            for tid in _threads(pid):
                os.sched_setaffinity(tid, where)
        yield tuple(cpus[1:])
    finally:
        for pid in placed:
            for tid in _threads(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.sched_setaffinity(tid, before.get(tid, set(cpus)))


def _median_of(rounds: Sequence[dict[str, float]]) -> dict[str, Any]:
    """Each figure's median over the rounds; the requests, summed."""
    merged: dict[str, Any] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    merged["requests"] = sum(r["requests"] for r in rounds)
    merged["rounds"] = len(rounds)
    return merged


def _wrk_with_cpu(
    target: str, payload: bytes, headers: Mapping[str, str], *, pids: Mapping[str, int], **options: Any
) -> dict[str, float]:
    """A wrk run, with the CPU time each of ``pids`` spent per request meanwhile."""
    before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    result = wrk.run(target, body=payload, headers=headers, **options)
    for name, pid in pids.items():
        spent = _cpu_seconds(pid) - before[name]
        result[f"{name}_cpu_ms_per_request"] = spent * 1000 / max(result["requests"], 1)
    return result


async def measure_search(
    url: str,
    app_pid: int,
    meili: LocalService,
    settings: Settings,
    *,
    seconds: int,
    connections: int,
    workdir: Path,
) -> dict[str, Any]:
    """Each GraphQL scenario under load, and each distinct body it sends posted to Meilisearch."""
    scenarios = await capture_multi_search(settings, GRAPHQL_SCENARIOS)
    total = await _check_same_hits(url, meili, scenarios["graphql_search"])
    variables = {"query": QUERY, "filter": FILTER}
    graphql_header = {"Accept": "application/json"}
    meili_header = {"Authorization": f"Bearer {meili.api_key}"}
    bodies = list(dict.fromkeys(scenario.multi_search for scenario in scenarios.values()))
    runs: dict[str, tuple[str, bytes, dict[str, str]]] = {}
    for index, body in enumerate(bodies):  # the baselines first: Meilisearch on its own
        runs[f"meilisearch_multi_search_{index}"] = (f"{meili.url}/multi-search", body, meili_header)
    for name, scenario in scenarios.items():
        payload = json.dumps({"query": scenario.document, "variables": variables}).encode()
        runs[name] = (f"{url}/graphql", payload, graphql_header)
    results: dict[str, Any] = {
        "query": QUERY,
        "filter": FILTER,
        "total_count": total,
        "multi_search_bodies": [json.loads(body) for body in bodies],
    }
    # Four loads. As much as the connections can send: Meilisearch alone keeps both cores busy
    # then, so a request's wait is a queue, and the app's CPU time counts about twice in it (it
    # takes the cores Meilisearch would use). The same with Meilisearch on one core and the app
    # (and wrk) on the other, as in production, where Meilisearch has a machine of its own: both
    # sides then face the same Meilisearch, and the app's CPU is no longer taken from it. Paced
    # (each connection pausing PACE_MS between requests, well below what either side can take):
    # the latency the app adds under a steady load. One request at a time: what a request itself
    # costs.
    # Each load runs every scenario in ROUNDS rounds, each round right next to a run of its own
    # baseline, the pair's order swapped from round to round, and a scenario's overhead is the
    # median of its rounds' differences: the shared machine drifts by more than the overhead
    # within a minute, and a drift then touches both sides of a pair alike.
    call = functools.partial(_wrk_with_cpu, pids={"app": app_pid, "meilisearch": meili.process.pid})
    separate = len(os.sched_getaffinity(0)) >= 2
    for suffix, concurrency, delay_ms, pinned in (
        ("", connections, 0, False),
        *([("_separate_cores", connections, 0, True)] if separate else []),
        ("_paced", connections, PACE_MS, False),
        ("_sequential", 1, 0, False),
    ):
        with _separate_cores(meili.process.pid, app_pid) if pinned else contextlib.nullcontext(None) as cpus:
            results.update(
                await _load_rounds(
                    functools.partial(
                        call, connections=concurrency, workdir=workdir, delay_ms=delay_ms, cpus=cpus
                    ),
                    runs,
                    scenarios,
                    bodies,
                    suffix=suffix,
                    seconds=seconds,
                )
            )
    return results


async def _load_rounds(
    load: Callable[..., dict[str, float]],
    runs: Mapping[str, tuple[str, bytes, dict[str, str]]],
    scenarios: Mapping[str, Scenario],
    bodies: Sequence[bytes],
    *,
    suffix: str,
    seconds: int,
) -> dict[str, Any]:
    """Every run under one load, in paired rounds (see measure_search); figures named ``<run><suffix>``."""
    results: dict[str, Any] = {}
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    differences: dict[str, list[float]] = {name: [] for name in scenarios}
    for name in runs:  # a warm-up
        await asyncio.to_thread(load, *runs[name], seconds=2)
    for round_ in range(ROUNDS):
        for name, scenario in scenarios.items():
            baseline = f"meilisearch_multi_search_{bodies.index(scenario.multi_search)}"
            pair: dict[str, dict[str, float]] = {}
            for side in (baseline, name) if round_ % 2 == 0 else (name, baseline):
                pair[side] = await asyncio.to_thread(load, *runs[side], seconds=seconds)
                rounds[side].append(pair[side])
            differences[name].append(pair[name]["p50_ms"] - pair[baseline]["p50_ms"])
    for name in runs:
        results[name + suffix] = _median_of(rounds[name])
    for name, scenario in scenarios.items():
        baseline = f"meilisearch_multi_search_{bodies.index(scenario.multi_search)}"
        results[name + suffix]["baseline"] = baseline + suffix
        results[name + suffix]["overhead_p50_ms"] = statistics.median(differences[name])
        results[name + suffix]["overhead_p50_ms_rounds"] = differences[name]
    return results


# --- the run ----------------------------------------------------------------------------------------


async def run(*, documents: int, seconds: int, connections: int, writes: int, seed: int) -> dict[str, Any]:
    wrk.require_wrk()
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    rng = random.Random(seed)
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "documents_requested": documents,
        "seconds": seconds,
        "connections": connections,
        "cpus": os.cpu_count(),
        # Other work on the shared machine skews every figure: the 1-minute load, before and after.
        "load_average_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-search-") as tmp:
        workdir = Path(tmp)
        async with (
            local_mongo(workdir / "mongo") as mongo,
            local_meilisearch(workdir / "meili") as meili,
            contextlib.AsyncExitStack() as stack,
        ):
            mongo_client = open_client(mongo.url, timeout_ms=10_000)
            stack.push_async_callback(mongo_client.close)
            stores = Stores.of(mongo_client[DATABASE])
            engine = SearchEngine.open(meili.url, meili.api_key, names=IndexNames(DATABASE), timeout_s=60)
            stack.push_async_callback(engine.aclose)

            started = time.perf_counter()
            await _seed(stores)
            places = await _kelurahan(stores)
            organization_ids = await _organization_ids(stores)
            seeded_s = time.perf_counter() - started
            print(f"seeded {len(places)} kelurahan/desa and the demo content in {seeded_s:.1f} s")

            admin = await _hub_admin(stores)
            freshness = functools.partial(
                measure_freshness,
                writes=writes,
                organization_id=encode_id("Organization", organization_ids[0]),
                places=places,
                rng=rng,
            )
            async with _serve_app(mongo, meili, workdir, "app-1") as app:
                await _wait_indexed(stores, within=120)  # the demo content
                print(f"1. freshness over {writes} writes (demo content indexed)...", flush=True)
                results["freshness"] = await _logged(
                    app, freshness(app.url, meili, token=await _token(stores, admin))
                )

            print(f"2. inserting {documents} documents, then indexing them in a new app...", flush=True)
            started = time.perf_counter()
            generated = Generator(rng, places, organization_ids).documents(documents)
            results["bulk"] = {"generate_s": time.perf_counter() - started}
            results["bulk"].update(await insert_documents(stores, generated))
            async with _serve_app(mongo, meili, workdir, "app-2") as app:
                total = sum(len(items) for items in generated.values())
                within = max(600.0, documents / 20)
                results["bulk"].update(
                    await _logged(app, measure_indexing(app, stores, total, within=within))
                )
                results["bulk"]["index_sizes"] = await _index_sizes(engine)

                print("3. reindex...", flush=True)
                results["reindex"] = await _logged(app, measure_reindex(stores, engine))

                print(f"4. freshness over {writes} writes (bulk documents indexed)...", flush=True)
                results["freshness_loaded"] = await _logged(
                    app, freshness(app.url, meili, token=await _token(stores, admin))
                )
                await _wait_indexed(stores, within=60)

                print("5. search under load...", flush=True)
                results["search"] = await _logged(
                    app,
                    measure_search(
                        app.url,
                        app.pid,
                        meili,
                        _in_process_settings(mongo, meili, workdir),
                        seconds=seconds,
                        connections=connections,
                        workdir=workdir,
                    ),
                )
    return results


async def _logged(app: App, step: Awaitable[T]) -> T:
    """``step``, and the tail of the app's log when it fails."""
    try:
        return await step
    except BaseException:
        print(f"app log (tail):\n{_tail(app.log_path)}", file=sys.stderr)
        raise


def _print(results: Mapping[str, Any]) -> None:
    print()
    print(
        f"{'freshness (write -> found)':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'timeouts':>8} "
        f"{'poll p50':>8} {'Meilisearch task p50/p95/max ms':>32}"
    )
    for key, label in (("freshness", "demo content only"), ("freshness_loaded", "with the bulk documents")):
        f = results[key]
        task = f["meilisearch_task"]
        print(
            f"  {label:32} {f['p50_ms']:8.0f} {f['p95_ms']:8.0f} {f['max_ms']:8.0f} {f['timeouts']:8d} "
            f"{f['poll_request']['p50_ms']:8.0f} "
            f"{task.get('p50_ms', 0):16.0f} {task.get('p95_ms', 0):7.0f} {task.get('max_ms', 0):7.0f}"
        )
    bulk = results["bulk"]
    total = sum(bulk["documents"].values())
    health = bulk["healthz_during_indexing"]
    print(
        f"bulk: {total} documents ({bulk['documents']}); insert {bulk['insert_s']:.1f} s "
        f"({bulk['insert_docs_per_s']:.0f}/s); indexed {bulk['index_s']:.1f} s after the app's start "
        f"({bulk['index_docs_per_s']:.0f} docs/s); /healthz meanwhile p50 {health['p50_ms']:.0f} ms, "
        f"max {health['max_ms']:.0f} ms"
    )
    re_ = results["reindex"]
    print(
        f"reindex: {re_['documents']} documents in {re_['seconds']:.1f} s ({re_['docs_per_s']:.0f} docs/s); "
        f"settings re-applied in {re_['settings_reapply_s']:.2f} s; {re_['remarked_after_swap']} re-marked"
    )
    search = results["search"]
    print(f"search {search['query']!r} {search['filter']} ({search['total_count']} hits)")
    print(
        f"  {'scenario':47} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'app CPU':>8} "
        f"{'Meili CPU':>9} {'p50 overhead':>12}"
    )
    for name, s in search.items():
        if isinstance(s, dict) and "rps" in s:
            overhead = f"{s['overhead_p50_ms']:12.2f}" if "overhead_p50_ms" in s else ""
            print(
                f"  {name:47} {s['rps']:7.1f} {s['p50_ms']:7.2f} {s['p99_ms']:7.2f} {s['non_2xx']:7.0f} "
                f"{s['app_cpu_ms_per_request']:8.2f} {s['meilisearch_cpu_ms_per_request']:9.2f} {overhead}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=20_000, help="bulk documents to generate")
    parser.add_argument("--seconds", type=int, default=3, help="measured wrk duration per scenario and round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--writes", type=int, default=200, help="writes per freshness measurement")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(
        run(
            documents=args.documents,
            seconds=args.seconds,
            connections=args.connections,
            writes=args.writes,
            seed=args.seed,
        )
    )
    results["run_s"] = time.perf_counter() - started
    results["load_average_end"] = os.getloadavg()[0]
    _print(results)
    print(
        f"(run took {results['run_s']:.0f} s; 1-minute load average {results['load_average_start']:.1f} "
        f"before, {results['load_average_end']:.1f} after, on {results['cpus']} CPUs)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "search.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
