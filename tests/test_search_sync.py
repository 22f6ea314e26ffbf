"""The search index never loses an update: crashes, failed tasks and outages all converge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from resolvers.ids import decode_id, encode_id
from search.backlog import pending_since
from search.engine import SearchEngine, TaskOutcome
from search.errors import IndexingFailed, SearchUnavailable
from search.indexer import PENDING_ORDER, Indexer, pending_after
from search.indexes import SPECS, IndexNames
from search.refusals import count_parked, park, parked
from search.reindex import deleted_since, reindex, written_since
from server.supervisor import LocalService, free_port, local_meilisearch
from storage.database import Stores
from storage.store import SEARCH_FAILED, SEARCH_OUTBOX, SEARCH_PENDING, SEARCH_PENDING_SINCE, utc_now
from tests.conftest import running_app, settings_for
from tests.support import GraphQLClient, create_organization, create_practice

LEASE = timedelta(milliseconds=300)
# Renewed by a heartbeat every fifth of it: long enough for a loaded machine's event loop.
HEARTBEAT_LEASE = timedelta(seconds=1)
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
# Two multi-searches at once: the hits, and each filtered facet counted without its filter.
SEARCH_COUNTING_EACH_FACET = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, disjunctiveFacets: true) { facets { facet values { value count } } }
}
"""
# A failure of the engine itself, not of a record, which Meilisearch cannot be made to produce on
# demand: the tests that need one have the engine report it for tasks that in fact succeeded.
ENGINE_FAILURE = TaskOutcome(
    status="failed", error_code="internal", error_type="internal", error_message="(made up by the test)"
)


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
    engine = SearchEngine.open(meili.url, meili.api_key, names=IndexNames(stores.database.name))
    await engine.prepare_all()
    yield Sync(stores, engine, settings)
    await engine.aclose()


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


@pytest.mark.parametrize("step", ["sending", "sent", "indexed"])
async def test_a_crash_inside_the_indexer_leaves_everything_pending(sync: Sync, step: str) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _write_some(api)

    async def crash(at: str) -> None:
        if at == step:
            raise RuntimeError(f"killed at {at}")

    # when: the indexer dies before or after sending a batch, or after Meilisearch indexed it
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

    async def failed(self: SearchEngine, task_uid: int) -> TaskOutcome:
        outcome = await real_wait(self, task_uid)
        task = await self.client.get_task(task_uid)
        return ENGINE_FAILURE if task.task_type == "documentAdditionOrUpdate" else outcome

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

    async def failed(self: SearchEngine, task_uid: int) -> TaskOutcome:
        return ENGINE_FAILURE

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
        if step != "sending":  # each "sent" follows its own
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

    async def second_addition_fails(self: SearchEngine, task_uid: int) -> TaskOutcome:
        outcome = await real_wait(self, task_uid)
        if (await self.client.get_task(task_uid)).task_type == "documentAdditionOrUpdate":
            additions.append(task_uid)
        return ENGINE_FAILURE if additions[1:2] == [task_uid] else outcome

    monkeypatch.setattr(SearchEngine, "wait", second_addition_fails)
    # when
    handled = await sync.indexer(batch_size=1, in_flight=4).run_once()
    left = await _pending_practices(sync)
    monkeypatch.setattr(SearchEngine, "wait", real_wait)
    await sync.converge()
    # then: the batches around it were cleared once they succeeded; the failed one goes again
    assert (handled, left) == (3, ids[1:2])
    await _assert_converged(sync)


@pytest.mark.parametrize("in_flight", [1, 4])
async def test_an_indexer_that_stalls_past_its_lease_mid_round_sends_no_more(
    sync: Sync, in_flight: int
) -> None:
    # given
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 4)
    other = sync.indexer(lease_ttl=timedelta(seconds=30))
    taken_over = False

    async def stall(step: str) -> None:
        nonlocal taken_over
        if step == "sent" and not taken_over:
            # its process stops for longer than its lease (run_once runs no heartbeat: nothing
            # renews it meanwhile), and another instance takes the lease
            await asyncio.sleep(2 * LEASE.total_seconds())
            taken_over = await other.lease.acquire()

    indexer = sync.indexer(batch_size=1, in_flight=in_flight, fault=stall)
    # when
    handled = await indexer.run_once()
    # then: the batch already sent was cleared once indexed, and nothing more went out
    assert taken_over
    assert handled == 1
    assert await _pending_practices(sync) == ids[1:]
    assert await indexer.run_once() == 0
    await other.lease.release()
    await sync.converge()
    await _assert_converged(sync)


async def test_an_indexer_keeps_its_lease_while_a_task_takes_longer_than_the_lease(sync: Sync) -> None:
    # given: pending practices, and another instance that wants the lease
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        await _indexed_organization_with_practices(sync, api, 3)
    other = sync.indexer()
    during_the_wait: list[tuple[bool, bool]] = []

    async def slow_task(step: str) -> None:
        if step == "indexed" and not during_the_wait:  # Meilisearch takes three leases' time
            await asyncio.sleep(3 * HEARTBEAT_LEASE.total_seconds())
            during_the_wait.append((indexer.lease.held(), await other.lease.acquire()))

    indexer = sync.indexer(batch_size=1, in_flight=1, lease_ttl=HEARTBEAT_LEASE, fault=slow_task)
    # when: it runs as in the app, with its lease's heartbeat
    running = asyncio.create_task(indexer.run())
    try:
        for _ in range(600):
            if await sync.pending() == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    # then: the lease stayed its own throughout, and it sent the rest after the wait
    assert during_the_wait == [(True, False)]
    await _assert_converged(sync)
    # and it released the lease when it stopped
    assert await other.lease.acquire()


@pytest.mark.parametrize("change", ["retitled", "deleted"])
async def test_an_old_version_sent_late_by_a_stalled_instance_does_not_stay_indexed(
    sync: Sync, change: str
) -> None:
    # given: a practice written, and an instance that has read it and checked its lease
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        organization = await create_organization(api)
        practice = await create_practice(api, organization, title="Bank Sampah Lama")
        stalled = False

        async def stall(step: str) -> None:
            # when: it stalls past its lease before sending; meanwhile the practice changes and
            # another instance indexes the change
            nonlocal stalled
            if step == "sending" and not stalled:
                stalled = True
                if change == "retitled":
                    changes = {"title": "Bank Sampah Baru"}
                    await api.mutate(
                        UPDATE_PRACTICE, {"id": practice["id"], "version": 1, "changes": changes}
                    )
                else:
                    await api.mutate(DELETE_PRACTICE, {"id": practice["id"], "version": 1})
                await sync.converge()

        await sync.indexer(fault=stall).run_once()  # then sends what it read, late
    # then: the index ends with what MongoDB holds
    await sync.converge()
    assert stalled
    assert await sync.index_state() == await sync.mongo_state()


@pytest.mark.parametrize(
    ("collection", "query", "sort"),
    [
        ("practices", pending_after(None), PENDING_ORDER),
        ("practices", pending_after("6a0000000000000000000000"), PENDING_ORDER),
        ("practices", written_since(utc_now()), None),
        ("practices", parked(), None),
        ("practices", pending_since(), (SEARCH_PENDING_SINCE, 1)),
        (SEARCH_OUTBOX, {"done": False}, ("deleted_at", 1)),
        (SEARCH_OUTBOX, deleted_since("practices", utc_now()), None),
    ],
    ids=[
        "pending",
        "pending-after",
        "reindex-written",
        "parked",
        "backlog-oldest",
        "outbox",
        "reindex-deleted",
    ],
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


@dataclass
class OwnMeilisearch:
    """A Meilisearch of a test's own, which the test stops and starts again, data kept."""

    first_run: contextlib.AbstractAsyncContextManager[LocalService]
    tmp_path: Path
    port: int
    key: str

    async def stop(self) -> None:
        await self.first_run.__aexit__(None, None, None)

    async def start_again(self, stack: contextlib.AsyncExitStack) -> None:
        await stack.enter_async_context(local_meilisearch(self.tmp_path, port=self.port, master_key=self.key))


async def _with_own_meilisearch(
    stack: contextlib.AsyncExitStack, mongo: LocalService, stores: Stores, tmp_path: Path
) -> tuple[GraphQLClient, Sync, OwnMeilisearch]:
    """An app and an indexer's view on a Meilisearch of the test's own (the app does not index)."""
    port, key = free_port(), uuid.uuid4().hex
    first_run = local_meilisearch(tmp_path, port=port, master_key=key)
    service = await first_run.__aenter__()
    settings = settings_for(mongo, service, stores.database.name, search_indexer=False)
    api = await stack.enter_async_context(running_app(settings, admin_in=stores))
    engine = SearchEngine.open(service.url, key, names=IndexNames(stores.database.name))
    stack.push_async_callback(engine.aclose)
    sync = Sync(stores, engine, settings)
    return api, sync, OwnMeilisearch(first_run, tmp_path, port, key)


async def test_meilisearch_restarting_mid_batch_converges(
    mongo: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a Meilisearch of this test's own, and writes waiting to be indexed
    async with contextlib.AsyncExitStack() as stack:
        api, sync, meilisearch = await _with_own_meilisearch(stack, mongo, stores, tmp_path)
        await _write_some(api)

        async def kill_meilisearch(at: str) -> None:
            if at == "sent":
                await meilisearch.stop()

        # when: Meilisearch dies right after accepting a batch, then comes back with its data
        with pytest.raises(SearchUnavailable):
            await sync.indexer(fault=kill_meilisearch).run_once()
        await meilisearch.start_again(stack)
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
        narrowed = {"query": "listrik", "filter": {"themes": ["WASTE_MANAGEMENT"]}}
        down_counting = await api.post(SEARCH_COUNTING_EACH_FACET, narrowed)
        ready = await api.http.get("/readyz")
        # when: Meilisearch comes up; nobody restarts the app
        async with local_meilisearch(tmp_path, port=port, master_key=key):
            titles = await _eventually_found(api, "listrik")
    # then
    assert down["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
    assert down_counting["errors"][0]["extensions"]["code"] == "SEARCH_UNAVAILABLE"
    assert ready.status_code == 200
    readiness = ready.json()
    backlog = readiness["checks"].pop("searchBacklog")
    assert readiness == {
        "status": "degraded",
        "checks": {"mongodb": "ok", "search": "unavailable", "parked": 0},
    }
    # the admin's association, the organization and the practice wait for the search engine
    assert backlog["pending"] == 3
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


async def test_readiness_reports_the_pending_writes_and_how_long_the_oldest_has_waited(sync: Sync) -> None:
    # given: writes that no indexer has sent, the first (the admin's association) before a pause
    before = utc_now()
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        entered = utc_now()
        await asyncio.sleep(0.3)
        organization = await create_organization(api)
        practices = [await create_practice(api, organization) for _ in range(2)]
        await api.mutate(DELETE_PRACTICE, {"id": practices[1]["id"], "version": 1})
        # when
        asked = utc_now()
        waiting = (await api.http.get("/readyz")).json()["checks"]["searchBacklog"]
        answered = utc_now()
        await sync.converge()
        caught_up = (await api.http.get("/readyz")).json()["checks"]["searchBacklog"]
    # then: the association, the organization, a practice and a deletion wait
    assert waiting["pending"] == 4
    # for as long as the association has, the oldest
    age = waiting["oldestPendingSeconds"]
    assert (asked - entered).total_seconds() - 0.001 <= age <= (answered - before).total_seconds() + 0.001
    assert caught_up == {"pending": 0, "oldestPendingSeconds": 0}


# --- records Meilisearch refuses ----------------------------------------------------------------


async def _insert_refused(sync: Sync, *, after: str) -> str:
    """A copy of practice ``after``, next to it in ``_id`` order, under an ``_id`` that Meilisearch
    refuses as a document ID (it takes a-z A-Z 0-9 - _ only), as a bulk import may leave one."""
    original = await sync.stores.practices.collection.find_one({"_id": after})
    assert original is not None
    record_id = f"{after} impor lama"
    await sync.stores.practices.insert_many([{**original, "_id": record_id, "title": "Bank Sampah Impor"}])
    return record_id


async def _stored(sync: Sync, record_id: str) -> dict[str, Any]:
    document = await sync.stores.practices.collection.find_one({"_id": record_id})
    assert document is not None  # nothing is lost
    return document


async def _parked_practices(sync: Sync) -> dict[str, int]:
    """Each parked practice and the version parked."""
    found = sync.stores.practices.collection.find(parked())
    return {document["_id"]: document[SEARCH_FAILED]["version"] async for document in found}


async def _index_holds_all_but(sync: Sync, *refused: str) -> None:
    """Nothing pending, and the index holds every other practice at its latest version."""
    assert await sync.pending() == 0
    expected = {id: version for id, version in (await sync.mongo_state()).items() if id not in refused}
    assert await sync.index_state() == expected


async def test_a_record_meilisearch_refuses_is_parked_and_holds_back_no_other(
    sync: Sync, caplog: pytest.LogCaptureFixture
) -> None:
    # given: six practices pending, one of them at version 2, and among them in _id order one
    # whose _id Meilisearch refuses
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 6)
        change = {"id": encode_id("Practice", ids[5]), "version": 1, "changes": {"summary": "Versi dua."}}
        assert (await api.mutate(UPDATE_PRACTICE, change))["errors"] == []
        refused = await _insert_refused(sync, after=ids[3])
        # when: batches of three, so good records are before and after it in its batch and in others
        with caplog.at_level(logging.WARNING, logger="lumbung.indexer"):
            handled = await sync.indexer(batch_size=3).run_once()  # [0 1 2] [3 refused 4] [5]
        ready = await api.http.get("/readyz")
    # then: one round indexed every other practice at its latest version
    assert handled == 7
    await _index_holds_all_but(sync, refused)
    # and parked the refused one, kept whole in MongoDB, with Meilisearch's reason
    stored = await _stored(sync, refused)
    assert stored["title"] == "Bank Sampah Impor"
    assert SEARCH_PENDING not in stored
    assert stored[SEARCH_FAILED]["version"] == 1
    assert stored[SEARCH_FAILED]["error"].startswith("invalid_document_id: Document identifier")
    assert isinstance(stored[SEARCH_FAILED]["at"], datetime)
    # which an operator sees
    assert ready.json()["checks"]["parked"] == 1
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"refused practices {refused!r} at version 1" in warning
    assert "invalid_document_id" in warning


async def test_a_parked_record_is_tried_again_at_its_next_write(sync: Sync) -> None:
    # given: a practice Meilisearch refused, parked
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 1)
    refused = await _insert_refused(sync, after=ids[0])
    await sync.converge()
    parked_before = await _parked_practices(sync)
    # when: it is written again (through the store: the API takes ObjectId IDs only)
    stored = await _stored(sync, refused)
    fields = {key: stored[key] for key in ("title", "organization_id", "status")}
    await sync.stores.practices.update(id=refused, expected_version=1, fields={**fields, "summary": "Baru."})
    pending_after_write = SEARCH_PENDING in await _stored(sync, refused)
    await sync.converge()
    # then: its new version was sent, refused again, and parked in its turn
    assert parked_before == {refused: 1}
    assert pending_after_write
    assert await _parked_practices(sync) == {refused: 2}
    await _index_holds_all_but(sync, refused)


async def test_a_parked_record_is_unparked_once_a_later_version_is_indexed(sync: Sync) -> None:
    # given: a practice parked at version 1, as a refusal of that version leaves it (Meilisearch
    # refuses nothing of a record written through the API, so the test parks it)
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 2)
        (record,) = await sync.stores.practices.get_many([ids[0]])
        assert record is not None
        refusal = TaskOutcome(
            status="failed", error_code="invalid_document_id", error_type="invalid_request", error_message="?"
        )
        assert await park(sync.stores.practices, record, refusal)
        await sync.converge()
        ready_parked = (await api.http.get("/readyz")).json()["checks"]["parked"]
        indexed_while_parked = ids[0] in await sync.index_state()
        # when: it is written again, and that version is accepted
        change = {"id": encode_id("Practice", ids[0]), "version": 1, "changes": {"title": "Bank Sampah Baru"}}
        assert (await api.mutate(UPDATE_PRACTICE, change))["errors"] == []
        await sync.converge()
        ready_after = (await api.http.get("/readyz")).json()["checks"]["parked"]
    # then
    assert (ready_parked, indexed_while_parked) == (1, False)
    assert SEARCH_FAILED not in await _stored(sync, ids[0])
    assert ready_after == 0
    await _index_holds_all_but(sync)
    assert (await sync.index_state())[ids[0]] == 2


async def test_meilisearch_going_down_while_a_refusal_is_singled_out_parks_nothing(
    mongo: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a Meilisearch of this test's own, and pending practices, one of which it refuses
    async with contextlib.AsyncExitStack() as stack:
        api, sync, meilisearch = await _with_own_meilisearch(stack, mongo, stores, tmp_path)
        ids = await _indexed_organization_with_practices(sync, api, 3)
        refused = await _insert_refused(sync, after=ids[0])
        sends = 0

        async def kill_meilisearch(at: str) -> None:
            nonlocal sends
            sends += at == "sent"
            if at == "sent" and sends == 3:  # the refused batch's halves, single records, are sent
                await meilisearch.stop()

        # when: Meilisearch dies while the indexer looks for the refused record
        with pytest.raises(SearchUnavailable):
            await sync.indexer(batch_size=2, in_flight=1, fault=kill_meilisearch).run_once()
        left = await _pending_practices(sync)
        parked_while_down = await count_parked(stores)
        # then: it comes back, and only the refused record is parked
        await meilisearch.start_again(stack)
        await sync.converge()
        assert (left, parked_while_down) == (sorted([*ids, refused]), 0)
        assert await _parked_practices(sync) == {refused: 1}
        await _index_holds_all_but(sync, refused)


async def test_an_index_that_refuses_every_record_parks_none(sync: Sync) -> None:
    # given: pending practices, one of them refused by any index, and a practices index made by hand
    # with another primary key, which refuses every batch the indexer sends
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 3)
    refused = await _insert_refused(sync, after=ids[1])
    uid = sync.engine.index_uid(SPECS[0])
    await sync.engine.client.delete_index_if_exists(uid)
    await sync.engine.client.create_index(uid, primary_key="reference")
    # when
    with pytest.raises(IndexingFailed, match="index_primary_key_already_exists"):
        await sync.indexer(batch_size=2).run_once()
    # then: nothing is parked, everything stays pending
    assert await _pending_practices(sync) == sorted([*ids, refused])
    assert await count_parked(sync.stores) == 0
    # and once the index is put right, only the refused record is parked
    await sync.engine.client.delete_index_if_exists(uid)  # the indexer makes it again, as it should be
    await sync.converge()
    assert await _parked_practices(sync) == {refused: 1}
    await _index_holds_all_but(sync, refused)


async def test_singling_out_refused_records_sends_a_bounded_number_of_tasks_per_round(sync: Sync) -> None:
    # given: eight pending practices in one batch, three of them refused
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 5)
    refused = [await _insert_refused(sync, after=ids[i]) for i in (0, 2, 3)]
    sends = 0

    async def count(at: str) -> None:
        nonlocal sends
        sends += at == "sent"

    indexer = sync.indexer(batch_size=8, split_tasks=4, fault=count)
    # when: rounds run until nothing is pending
    sends_per_round: list[int] = []
    while await sync.pending():
        sends = 0
        assert await indexer.run_once() > 0  # each round indexes or parks some
        sends_per_round.append(sends)
    # then: no round sent more than its batch and four tasks to split it
    assert max(sends_per_round) == 5
    assert len(sends_per_round) > 1
    assert await _parked_practices(sync) == dict.fromkeys(refused, 1)
    await _index_holds_all_but(sync, *refused)


async def test_reindex_completes_with_a_record_meilisearch_refuses(sync: Sync) -> None:
    # given: an index, a practice Meilisearch refuses, and one parked earlier that it would accept
    async with running_app(sync.settings, admin_in=sync.stores) as api:
        ids = await _indexed_organization_with_practices(sync, api, 3)
        await sync.converge()
    refused = await _insert_refused(sync, after=ids[0])
    refusal = TaskOutcome(
        status="failed", error_code="invalid_document_id", error_type="invalid_request", error_message="?"
    )
    (accepted_now,) = await sync.stores.practices.get_many([ids[2]])
    assert accepted_now is not None
    assert await park(sync.stores.practices, accepted_now, refusal)
    # when
    counts = await reindex(sync.stores, sync.engine)
    indexed = sorted(await sync.index_state())
    await sync.converge()
    # then: the rebuild went through and parked the refused record alone
    assert counts[sync.engine.index_uid(SPECS[0])] == 3
    assert indexed == ids
    assert await _parked_practices(sync) == {refused: 1}
    # and the record parked earlier, indexed this time, is parked no more
    await _index_holds_all_but(sync, refused)
