"""The search index never loses an update: crashes, failed tasks and outages all converge."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from resolvers.ids import decode_id
from search.engine import SearchEngine, open_client
from search.errors import SearchUnavailable
from search.indexer import LEASE_NAME, PENDING_ORDER, Indexer, IndexingFailed, pending_after
from search.indexes import SPECS, IndexNames
from search.reindex import deleted_since, reindex, written_since
from server.supervisor import LocalService, free_port, local_meilisearch
from storage.database import Stores
from storage.leases import Lease
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING, utc_now
from tests.conftest import running_app, settings_for
from tests.support import GraphQLClient, create_organization, create_practice

LEASE = timedelta(milliseconds=300)
DELETE_PRACTICE = """
mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { code } } }
"""
UPDATE_PRACTICE = """
mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) { practice { version } errors { code } }
}
"""
SEARCH = """
query($query: String!) { search(query: $query) { hits { node { ... on Practice { title } } } } }
"""


@dataclass
class Sync:
    """The hub's database with writes made by an app whose indexer does not run."""

    stores: Stores
    engine: SearchEngine
    settings: Any

    def indexer(self, **options: Any) -> Indexer:
        """An indexer of a new instance; its lease lasts a moment, as a crashed one's must expire."""
        options.setdefault("lease_ttl", LEASE)
        return Indexer(stores=self.stores, engine=self.engine, owner=uuid.uuid4().hex, **options)

    async def converge(self, *, within: float = 20.0) -> None:
        """Let a fresh instance's indexer run until nothing is pending (once the old lease expired)."""
        indexer = self.indexer()
        for _ in range(int(within / 0.05)):
            await indexer.run_once()
            if not await self.pending():
                await indexer.lease.release()  # as an instance that stops does
                return
            await asyncio.sleep(0.05)

    async def index_state(self) -> dict[str, int]:
        """Each practice's version as the search engine holds it."""
        uid = self.engine.index_uid(SPECS[0])
        documents = await self.engine.client.index(uid).get_documents(limit=1000, fields=["id", "version"])
        return {d["id"]: d["version"] for d in documents.results}

    async def mongo_state(self) -> dict[str, int]:
        return {
            d["_id"]: d["version"]
            async for d in self.stores.practices.collection.find({"status": {"$exists": 1}})
        }

    async def pending(self) -> int:
        records = sum(
            [await s.collection.count_documents({SEARCH_PENDING: True}) for s in self.stores.searchable]
        )
        return records + await self.stores.database[SEARCH_OUTBOX].count_documents({"done": False})


@pytest.fixture
async def sync(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[Sync]:
    settings = settings_for(mongo, meili, stores.database.name, search_indexer=False)
    client = open_client(meili.url, meili.api_key)
    engine = SearchEngine(client=client, names=IndexNames(stores.database.name))
    await engine.prepare_all()
    yield Sync(stores, engine, settings)
    await client.aclose()


async def _write_some(api: GraphQLClient) -> list[dict[str, Any]]:
    organization = await create_organization(api)
    practices = [await create_practice(api, organization, title=f"Bank Sampah Nomor {i}") for i in range(5)]
    await api.mutate(
        UPDATE_PRACTICE, {"id": practices[0]["id"], "version": 1, "changes": {"summary": "Baru."}}
    )
    await api.mutate(DELETE_PRACTICE, {"id": practices[1]["id"], "version": 1})
    return practices


async def _assert_converged(sync: Sync) -> None:
    assert await sync.pending() == 0
    assert await sync.index_state() == await sync.mongo_state()


async def test_writes_of_a_crashed_app_are_indexed_by_the_next_one(sync: Sync) -> None:
    # given: an app wrote, then died before its indexer ran (its marks stay in MongoDB)
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _write_some(api)
    # 4 practices, the organization and the admin's association pending, 1 deletion
    assert await sync.pending() == 7
    # when: another instance's indexer runs
    await sync.converge()
    # then
    await _assert_converged(sync)


@pytest.mark.parametrize("step", ["sent", "indexed"])
async def test_a_crash_inside_the_indexer_leaves_everything_pending(sync: Sync, step: str) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _write_some(api)

    async def crash(at: str) -> None:
        if at == step:
            raise RuntimeError(f"killed at {at}")

    # when: the indexer dies after sending a batch, or after Meilisearch indexed it
    with pytest.raises(RuntimeError, match="killed"):
        await sync.indexer(fault=crash).run_once()
    left = await sync.pending()
    await sync.converge()
    # then: nothing was cleared before it was known to be indexed
    assert left == 7
    await _assert_converged(sync)


async def test_a_failed_meilisearch_task_is_retried(sync: Sync, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _write_some(api)
    # when: Meilisearch reports the task failed (a fault it cannot be made to produce on demand)
    real_wait = SearchEngine.wait

    async def failed(self: SearchEngine, task_uid: int) -> bool:
        succeeded = await real_wait(self, task_uid)
        task = await self.client.get_task(task_uid)
        return succeeded and task.task_type != "documentAdditionOrUpdate"

    monkeypatch.setattr(SearchEngine, "wait", failed)
    handled = await sync.indexer().run_once()
    left = await sync.pending()
    monkeypatch.setattr(SearchEngine, "wait", real_wait)
    await sync.converge()
    # then: the failed additions stayed pending; the deletion, another task, went through
    assert (handled, left) == (1, 6)
    await _assert_converged(sync)


async def test_an_indexer_with_only_failures_reports_them(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        organization = await create_organization(api)
        await create_practice(api, organization)

    async def failed(self: SearchEngine, task_uid: int) -> bool:
        return False

    monkeypatch.setattr(SearchEngine, "prepare_all", lambda self: asyncio.sleep(0))
    monkeypatch.setattr(SearchEngine, "wait", failed)
    # when / then: the background loop sees the failure (and backs off) instead of spinning
    with pytest.raises(IndexingFailed):
        await sync.indexer().run_once()


async def _indexed_organization_with_practices(sync: Sync, api: GraphQLClient, count: int) -> list[str]:
    """An organization already in the index, then ``count`` new practices of it, pending."""
    organization = await create_organization(api)
    await sync.converge()
    practices = [
        await create_practice(api, organization, title=f"Bank Sampah Nomor {i}") for i in range(count)
    ]
    return sorted(decode_id(practice["id"])[1] for practice in practices)


async def _pending_practices(sync: Sync) -> list[str]:
    found = sync.stores.practices.collection.find({SEARCH_PENDING: True}, {"_id": 1}).sort("_id", 1)
    return [document["_id"] async for document in found]


async def test_a_backlog_is_sent_with_several_batches_in_flight(sync: Sync) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _indexed_organization_with_practices(sync, api, 4)
    steps: list[str] = []

    async def record(step: str) -> None:
        steps.append(step)

    # when: batches of one practice, three in flight
    handled = await sync.indexer(batch_size=1, in_flight=3, fault=record).run_once()
    # then: three were sent before the first was waited for, and one round cleared them all
    assert steps == ["sent", "sent", "sent", "indexed", "sent", "indexed", "indexed", "indexed"]
    assert handled == 4
    await _assert_converged(sync)


async def test_a_round_sends_a_bounded_number_of_batches_per_kind(sync: Sync) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 4)
    # when
    handled = await sync.indexer(batch_size=1, round_batches=3).run_once()
    # then: the rest waits for the next round, which follows at once
    assert handled == 3
    assert await _pending_practices(sync) == ids[3:]


async def test_a_failed_batch_among_several_in_flight_leaves_only_its_records_pending(
    sync: Sync, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 4)
    real_wait = SearchEngine.wait
    additions: list[int] = []

    async def second_addition_fails(self: SearchEngine, task_uid: int) -> bool:
        succeeded = await real_wait(self, task_uid)
        if (await self.client.get_task(task_uid)).task_type == "documentAdditionOrUpdate":
            additions.append(task_uid)
        return succeeded and additions[1:2] != [task_uid]

    monkeypatch.setattr(SearchEngine, "wait", second_addition_fails)
    # when
    with pytest.raises(IndexingFailed):
        await sync.indexer(batch_size=1, in_flight=4).run_once()
    left = await _pending_practices(sync)
    monkeypatch.setattr(SearchEngine, "wait", real_wait)
    await sync.converge()
    # then: the batches around it were cleared once they succeeded; the failed one goes again
    assert left == ids[1:2]
    await _assert_converged(sync)


@pytest.mark.parametrize("in_flight", [1, 4])
async def test_an_indexer_that_loses_its_lease_mid_round_sends_no_more(sync: Sync, in_flight: int) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 4)
    leases = sync.stores.database["leases"]
    other = Lease(leases, name=LEASE_NAME, owner="another instance", ttl=timedelta(seconds=30))

    async def taken_over(step: str) -> None:
        if step == "sent" and (await leases.delete_one({"owner": {"$ne": other.owner}})).deleted_count:
            assert await other.acquire()  # as if this one had stalled past its lease

    indexer = sync.indexer(
        batch_size=1, in_flight=in_flight, lease_ttl=timedelta(seconds=30), fault=taken_over
    )
    # when
    handled = await indexer.run_once()
    # then: the batch already sent was cleared once indexed, and nothing more went out
    assert handled == 1
    assert await _pending_practices(sync) == ids[1:]
    assert await indexer.run_once() == 0
    await other.release()
    await sync.converge()
    await _assert_converged(sync)


@pytest.mark.parametrize(
    ("collection", "query", "sort"),
    [
        ("practices", pending_after(None), PENDING_ORDER),
        ("practices", pending_after("6a0000000000000000000000"), PENDING_ORDER),
        ("practices", written_since(utc_now()), None),
        (SEARCH_OUTBOX, {"done": False}, ("deleted_at", 1)),
        (SEARCH_OUTBOX, deleted_since("practices", utc_now()), None),
    ],
    ids=["pending", "pending-after", "reindex-written", "outbox", "reindex-deleted"],
)
async def test_the_indexer_and_reindex_queries_are_served_by_an_index(
    stores: Stores, collection: str, query: dict[str, Any], sort: tuple[str, int] | None
) -> None:
    # given
    await stores.ensure_indexes()
    # when
    cursor = stores.database[collection].find(query)
    explained = await (cursor.sort(*sort) if sort else cursor).explain()
    # then
    plan = str(explained["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in plan
    assert "COLLSCAN" not in plan


async def test_a_newer_write_during_indexing_is_not_lost(sync: Sync) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        practice = (await _write_some(api))[2]

        async def write_meanwhile(at: str) -> None:
            if at == "sent":  # the batch is on its way with version 1; version 2 arrives now
                await api.mutate(
                    UPDATE_PRACTICE,
                    {"id": practice["id"], "version": 1, "changes": {"title": "Bank Sampah Versi Dua"}},
                )

        # when
        await sync.indexer(fault=write_meanwhile).run_once()
        await sync.converge()
    # then: the compare-and-set kept the mark for version 2, which went in the next round
    assert (await sync.index_state())[decode_id(practice["id"])[1]] == 2
    await _assert_converged(sync)


async def test_only_one_instance_indexes_at_a_time(sync: Sync) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _write_some(api)
    first, second = (
        sync.indexer(lease_ttl=timedelta(seconds=30)),
        sync.indexer(lease_ttl=timedelta(seconds=30)),
    )
    # when
    handled_by_first = await first.run_once()
    handled_by_second = await second.run_once()
    # then: the second waits for the first's lease to expire or be released
    assert handled_by_first > 0
    assert handled_by_second == 0
    await first.lease.release()
    while await second.run_once():
        pass
    await _assert_converged(sync)
    # and the first, having lost the lease, sends nothing more
    assert await first.run_once() == 0


async def test_reindex_rebuilds_and_keeps_writes_made_meanwhile(sync: Sync) -> None:
    # given: an index that lost everything (say, Meilisearch restored from an old snapshot)
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        practices = await _write_some(api)
        await sync.converge()
        uid = sync.engine.index_uid(SPECS[0])
        await sync.engine.wait((await sync.engine.client.index(uid).delete_all_documents()).task_uid)
        racing: list[asyncio.Task[dict[str, Any]]] = []

        def write_during_rebuild(index: str, done: int, total: int) -> None:
            if not racing:  # an official saves a change while the rebuild runs
                change = {
                    "id": practices[3]["id"],
                    "version": 1,
                    "changes": {"title": "Ditulis Saat Rebuild"},
                }
                racing.append(asyncio.create_task(api.mutate(UPDATE_PRACTICE, change)))
            # and someone searches meanwhile
            racing.append(asyncio.create_task(api.post(SEARCH, {"query": "bank sampah"})))

        # when
        counts = await reindex(sync.stores, sync.engine, progress=write_during_rebuild)
        answers = await asyncio.gather(*racing)
        await sync.converge()
        found = await api.data(SEARCH, {"query": "ditulis saat rebuild"})
    # then
    assert counts[uid] == 4
    await _assert_converged(sync)
    assert [hit["node"]["title"] for hit in found["search"]["hits"]] == ["Ditulis Saat Rebuild"]
    searches_during_rebuild = answers[1:]
    assert searches_during_rebuild
    # (they answer from the live index, which this test emptied, so they may find nothing)
    assert [answer.get("errors") for answer in searches_during_rebuild] == [None] * len(
        searches_during_rebuild
    )
    live = {index.uid for index in await sync.engine.client.get_indexes() or []}
    assert not any("_rebuild_" in name for name in live)


async def test_meilisearch_restarting_mid_batch_converges(
    mongo: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a Meilisearch of this test's own, and writes waiting to be indexed
    port, key = free_port(), uuid.uuid4().hex
    async with contextlib.AsyncExitStack() as stack:
        first_run = local_meilisearch(tmp_path, port=port, master_key=key)
        service = await first_run.__aenter__()
        settings = settings_for(mongo, service, stores.database.name, search_indexer=False)
        api = await stack.enter_async_context(running_app(settings, admin_in=stores))
        await _write_some(api)
        client = open_client(service.url, key)
        stack.push_async_callback(client.aclose)
        sync = Sync(stores, SearchEngine(client=client, names=IndexNames(stores.database.name)), settings)

        async def kill_meilisearch(at: str) -> None:
            if at == "sent":
                await first_run.__aexit__(None, None, None)

        # when: Meilisearch dies right after accepting a batch, then comes back with its data
        with pytest.raises(SearchUnavailable):
            await sync.indexer(fault=kill_meilisearch).run_once()
        await stack.enter_async_context(local_meilisearch(tmp_path, port=port, master_key=key))
        await sync.converge()
        # then
        await _assert_converged(sync)


async def test_search_is_unavailable_while_meilisearch_is_down_and_converges_after(
    mongo: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a Meilisearch that is not there yet, on the port and key the app is configured with
    port, key = free_port(), uuid.uuid4().hex
    settings = settings_for(mongo, _nowhere(port, key), stores.database.name)
    async with running_app(settings, admin_in=stores) as api:
        # when: writes go on and searches fail with a clear code
        organization = await create_organization(api)
        await create_practice(api, organization, title="Bank Sampah Saat Mati Listrik")
        down = await api.post(SEARCH, {"query": "listrik"})
        ready = await api.http.get("/readyz")
        # when: Meilisearch comes up; nobody restarts the app
        async with local_meilisearch(tmp_path, port=port, master_key=key):
            titles = await _eventually_found(api, "listrik")
    # then
    assert down["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
    assert ready.status_code == 200
    assert ready.json() == {"status": "degraded", "checks": {"mongodb": "ok", "search": "unavailable"}}
    assert titles == ["Bank Sampah Saat Mati Listrik"]


def _nowhere(port: int, key: str) -> LocalService:
    """Where a Meilisearch will be, once the test starts it."""
    return LocalService(name="meilisearch", url=f"http://127.0.0.1:{port}", process=None, api_key=key)  # type: ignore[arg-type]


async def _eventually_found(api: GraphQLClient, query: str, *, within: float = 30.0) -> list[str]:
    for _ in range(int(within * 10)):
        body = await api.post(SEARCH, {"query": query})
        if "errors" not in body and body["data"]["search"]["hits"]:
            return [hit["node"]["title"] for hit in body["data"]["search"]["hits"]]
        await asyncio.sleep(0.1)
    return []
