"""The indexer: brings the search engine up to date with MongoDB, whatever crashed in between.

Every write of a searchable record sets its ``search_pending`` mark in the same document write;
every delete leaves an outbox entry in the same transaction (storage/store.py). The indexer

1. holds a lease, so that among N app instances one indexes at a time: a heartbeat renews it
   every second beside the rounds, however long Meilisearch takes (storage/leases.py), and a
   successor takes over a few seconds after a holder dies, at once if it is a process of the same
   host that has ended;
2. reads a batch of pending records, checks that the lease is surely still its own (a local
   check, against its monotonic clock) and sends the batch to Meilisearch without waiting, then
   reads and sends the next one, keeping a few batches in flight: Meilisearch merges tasks that
   queue up into one indexing batch, which costs little more than one task;
3. as each task succeeds, in the order sent, clears each mark of its batch if the record's
   version is still the one sent (a write in between leaves the mark, and the newer version goes
   in the next round), and any ``search_failed`` left by an earlier version. A record that is no
   longer at the version sent is marked again, or, if deleted, given an outbox entry again: an
   instance that stalled past its lease may have sent an old version after another instance had
   sent the new one (or the deletion), and the index must not keep the old one;
4. when Meilisearch refuses a batch, sends its halves again until each refusal is one record's,
   and parks that record: its mark is cleared for that version only and ``search_failed`` says
   why, so one bad record cannot hold back its kind (search/refusals.py has the rule). Its next
   write marks it again. A failure that is no record's (the engine's, a canceled task) leaves its
   marks and stops that kind for the round;
5. empties the outbox likewise: deletes from the index, waits, then marks each entry done.

A crash anywhere before step 3 leaves the mark: the record is sent again, which is harmless as a
document replaces its previous version. Nothing is lost and nothing deleted lingers; a record the
engine refuses is kept in MongoDB, parked, counted on /readyz and logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from meilisearch_python_sdk.index import AsyncIndex
from pymongo import UpdateOne

from search.documents import (
    SearchDocument,
    case_study_document,
    event_document,
    organization_document,
    partnership_document,
    practice_document,
    thread_document,
)
from search.engine import SearchEngine, translate_errors
from search.errors import IndexingFailed, SearchUnavailable
from search.indexes import SPEC_BY_COLLECTION
from search.refusals import Batch, Refusals, park
from storage.database import Stores
from storage.discussions import THREADS, ThreadRecord
from storage.errors import StorageError
from storage.events import EVENTS, EventRecord
from storage.leases import DEFAULT_TTL, Lease, Process
from storage.records import ContentRecord, OrganizationRecord, VersionedRecord
from storage.store import (
    SEARCH_FAILED,
    SEARCH_MARK_FIELDS,
    SEARCH_OUTBOX,
    SEARCH_PENDING,
    VersionedStore,
    search_mark,
    utc_now,
)

logger = logging.getLogger("lumbung.indexer")

# Called with a step name at the points where a crash would hurt most; tests inject faults here.
FaultPoint = Callable[[str], Awaitable[None]]

# Documents per task: a batch of the longest practices stays far below Meilisearch's payload
# limit, and clearing its marks takes a few MongoDB round trips (chunks of MARK_CHUNK).
BATCH_SIZE = 250
# Tasks sent before the oldest is waited for: Meilisearch works on one while the next are read and
# built, and merges the queued ones. More would hold more records back from being cleared.
IN_FLIGHT = 4
# Batches of one kind per round, so that the other kinds and deletions are not held back long
# behind a large backlog (a full round follows at once while there is work).
ROUND_BATCHES = 12
# Tasks per kind and round to single out records that Meilisearch refuses (search/refusals.py):
# enough to find two in a full batch (each takes two tasks at each of 8 halvings of 250).
SPLIT_TASKS = 32
# Records per mark-clearing bulk write.
MARK_CHUNK = 50
LEASE_NAME = "search-indexer"
# Replies of a thread whose text its search document holds (the first ones: the answers).
THREAD_REPLIES_INDEXED = 50
IDLE_WAIT_MAX = 1.0
ERROR_WAIT_MAX = 5.0
OUTBOX_RETENTION = timedelta(days=7)


async def _no_fault(step: str) -> None:
    del step


_CONTENT_DOCUMENTS: dict[str, Callable[[Any, OrganizationRecord | None], SearchDocument]] = {
    "practices": practice_document,
    "case_studies": case_study_document,
    "partnerships": partnership_document,
}


async def build_documents(
    stores: Stores, collection: str, records: Sequence[VersionedRecord]
) -> list[SearchDocument]:
    """The search documents of records of one collection, with their organizations in one query."""
    if collection == "organizations":
        found_here = [r for r in records if isinstance(r, OrganizationRecord)]
        return await asyncio.to_thread(lambda: [organization_document(r) for r in found_here])
    if collection == THREADS:
        return await _thread_documents(stores, [r for r in records if isinstance(r, ThreadRecord)])
    if collection == EVENTS:
        events = [r for r in records if isinstance(r, EventRecord)]
        organizer_ids = sorted({event.organizer_id for event in events})
        organizers = dict(zip(organizer_ids, await stores.organizations.get_many(organizer_ids), strict=True))
        return await asyncio.to_thread(
            lambda: [event_document(e, organizers[e.organizer_id]) for e in events]
        )
    content = [r for r in records if isinstance(r, ContentRecord)]
    organization_ids = sorted({record.organization_id for record in content})
    found = await stores.organizations.get_many(organization_ids)
    organizations = dict(zip(organization_ids, found, strict=True))
    build = _CONTENT_DOCUMENTS[collection]

    def build_all() -> list[SearchDocument]:
        return [build(record, organizations[record.organization_id]) for record in content]

    # Stemming long texts is CPU work: keep it off the event loop that serves requests.
    return await asyncio.to_thread(build_all)


async def _thread_documents(stores: Stores, threads: Sequence[ThreadRecord]) -> list[SearchDocument]:
    """Threads with their replies, items and the items' organizations: a few queries a batch."""
    replies = await stores.discussions.replies_of([t.id for t in threads], limit=THREAD_REPLIES_INDEXED)
    subjects: dict[tuple[str, str], ContentRecord | None] = {}
    for collection in sorted({t.subject_collection for t in threads}):
        ids = sorted({t.subject_id for t in threads if t.subject_collection == collection})
        found = await stores.content(collection).get_many(ids)
        subjects.update(((collection, i), record) for i, record in zip(ids, found, strict=True))
    organization_ids = sorted({s.organization_id for s in subjects.values() if s is not None})
    organizations = dict(
        zip(organization_ids, await stores.organizations.get_many(organization_ids), strict=True)
    )

    def build_all() -> list[SearchDocument]:
        documents = []
        for thread, its_replies in zip(threads, replies, strict=True):
            subject = subjects.get((thread.subject_collection, thread.subject_id))
            organization = organizations.get(subject.organization_id) if subject else None
            documents.append(thread_document(thread, its_replies, subject, organization))
        return documents

    return await asyncio.to_thread(build_all)


# The pending records of a collection in the order sent (served by an index: storage/database.py).
PENDING_ORDER = ("_id", 1)


def pending_after(after: str | None) -> dict[str, Any]:
    """Pending records after the ID ``after`` (the next batch of a round), or from the first."""
    return {SEARCH_PENDING: True, **({"_id": {"$gt": after}} if after is not None else {})}


class Indexer:
    def __init__(
        self,
        *,
        stores: Stores,
        engine: SearchEngine,
        owner: str,
        batch_size: int = BATCH_SIZE,
        in_flight: int = IN_FLIGHT,
        round_batches: int = ROUND_BATCHES,
        split_tasks: int = SPLIT_TASKS,
        # Short, as a successor waits it out after a crash: the heartbeat of run() renews it
        # whatever the rounds wait for, and a holder that could not renew it sends nothing more.
        lease_ttl: timedelta = DEFAULT_TTL,
        # This process, so that a successor on the same host may prove it dead (storage/leases.py).
        process: Process | None = None,
        fault: FaultPoint = _no_fault,
    ) -> None:
        self.stores = stores
        self.engine = engine
        self.batch_size = batch_size
        self.in_flight = in_flight
        self.round_batches = round_batches
        self.split_tasks = split_tasks
        self.fault = fault
        self.lease = Lease(
            stores.database["leases"], name=LEASE_NAME, owner=owner, ttl=lease_ttl, process=process
        )
        self.wake = asyncio.Event()
        # Whether the indexes exist with their settings: a document sent to a missing index would
        # create it without them. Checked again after any failure (Meilisearch may have lost data).
        self._prepared = False

    async def run_once(self) -> int:
        """One round over every searchable collection and the outbox; returns records handled."""
        if not await self._may_send():
            return 0
        if not self._prepared:
            await self.engine.prepare_all()
            self._prepared = True
        handled, failures = 0, list[IndexingFailed]()
        steps: list[Callable[[], Awaitable[int]]] = [
            *(functools.partial(self._push_pending, store) for store in self.stores.searchable),
            self._push_deletions,
        ]
        for step in steps:  # each renews the lease before each batch it sends
            try:
                handled += await step()
            except IndexingFailed as exc:  # one kind's trouble must not stall the others
                handled += exc.handled
                failures.append(exc)
        if failures and not handled:
            raise failures[0]
        for failure in failures:  # the next round follows at once and tries them again
            logger.warning("search indexing failed in part: %s", failure)
        return handled

    async def run(self) -> None:
        """The background loop, while the lease is ours: soon after a write (``wake``), else at
        most a second apart. The lease is released when the loop is cancelled."""
        async with self.lease.kept():
            await self._rounds()

    async def _rounds(self) -> None:
        idle_wait = 0.05
        while True:
            await self.lease.wait_held()  # at once while ours; else until the heartbeat takes it
            self.wake.clear()  # before the round: a write during it wakes the next one at once
            try:
                handled = await self.run_once()
                idle_wait = 0.05 if handled else min(idle_wait * 2, IDLE_WAIT_MAX)
            except (SearchUnavailable, IndexingFailed, StorageError) as exc:
                logger.warning("search indexing paused: %s", exc)
                self._prepared = False
                handled, idle_wait = 0, min(max(idle_wait, 0.5) * 2, ERROR_WAIT_MAX)
            except Exception:
                logger.exception("search indexing failed unexpectedly")
                self._prepared = False
                handled, idle_wait = 0, ERROR_WAIT_MAX
            if handled:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that comes as the event is set, and the loop would outlive the app's shutdown.
            try:
                async with asyncio.timeout(idle_wait):
                    await self.wake.wait()
                idle_wait = 0.05
            except TimeoutError:
                pass

    @translate_errors
    async def _enqueue(self, task: Awaitable[Any]) -> int:
        info = await task
        await self.fault("sent")
        return int(info.task_uid)

    @translate_errors
    async def _succeeded(self, uid: str, task_uid: int) -> None:
        outcome = await self.engine.wait(task_uid)
        if not outcome.succeeded:
            raise IndexingFailed(f"Meilisearch failed task {task_uid} on {uid}: {outcome.describe()}")
        await self.fault("indexed")

    async def _read_pending(self, store: VersionedStore[Any], after: str | None) -> list[VersionedRecord]:
        query = pending_after(after)
        documents = await store.collection.find(query).sort(*PENDING_ORDER).limit(self.batch_size).to_list()
        return [store.record_type.model_validate(document) for document in documents]

    async def _push_pending(self, store: VersionedStore[Any]) -> int:
        """Send the kind's pending records, a few batches in flight; clear marks as tasks succeed.

        Records of a refused batch are singled out and parked (search/refusals.py); any other
        failure stops the kind for the round, after what was sent has been waited for.
        """
        collection = store.collection.name
        uid = self.engine.index_uid(SPEC_BY_COLLECTION[collection])
        send = functools.partial(self._send, self.engine.client.index(uid))
        refusals = Refusals(
            engine=self.engine,
            send=send,
            indexed=functools.partial(self._indexed, store),
            park=functools.partial(park, store),
            budget=self.split_tasks,
        )
        sent: deque[tuple[Batch, int]] = deque()  # batches on their way, and their tasks
        handled, after = 0, None
        for _ in range(self.round_batches):
            if refusals.failure is not None:
                break  # send nothing more, but what was sent may have succeeded
            records = await self._read_pending(store, after)
            if not records:
                break
            after = records[-1].id
            batch = Batch(records, await build_documents(self.stores, collection, records))
            task_uid = await send(batch)
            if task_uid is None:
                break
            sent.append((batch, task_uid))
            if len(sent) >= self.in_flight:
                handled += await refusals.settle(*sent.popleft())
        while sent:
            handled += await refusals.settle(*sent.popleft())
        if refusals.failure is not None:
            raise IndexingFailed(
                f"Meilisearch failed a task on {uid}: {refusals.failure.describe()}", handled=handled
            )
        return handled

    async def _may_send(self) -> bool:
        """Whether the lease is surely ours; renewed first when that is no longer sure.

        The heartbeat of ``run()`` keeps it renewed, so this is nearly always a local check. An
        indexer run without it (``run_once`` alone), or one whose heartbeat could not renew the
        lease in time, asks MongoDB, and only a lease counted from that request's start will do.
        """
        return self.lease.held() or await self.lease.acquire()

    async def _send(self, index: AsyncIndex, batch: Batch) -> int | None:
        if not await self._may_send():
            return None  # another instance holds the lease now, or MongoDB cannot tell: stop
        await self.fault("sending")  # the lease is checked; the batch is not sent yet
        return await self._enqueue(index.add_documents(batch.documents, primary_key="id"))

    async def _indexed(self, store: VersionedStore[Any], records: list[VersionedRecord]) -> int:
        await self.fault("indexed")
        if store is self.stores.organizations:  # content shows its organization's name and kind:
            await self._mark_content_of([r.id for r in records])  # mark it before they clear
        elif isinstance(store.record_type, type) and issubclass(store.record_type, ContentRecord):
            # a thread is found under its item's status, regions and themes: mark it likewise
            await self.stores.discussions.mark_threads_of([r.id for r in records])
        await self._clear_marks(store, records)
        return len(records)

    async def _clear_marks(self, store: VersionedStore[Any], records: Sequence[VersionedRecord]) -> None:
        """Clear each mark only if the record is still at the version that was indexed.

        A ``search_failed`` of an earlier version goes with it: the record is in the index now.
        """
        by_version: dict[int, list[str]] = {}
        for record in records:
            by_version.setdefault(record.version, []).append(record.id)
        for version, ids in by_version.items():
            for start in range(0, len(ids), MARK_CHUNK):
                chunk = ids[start : start + MARK_CHUNK]
                # One update per record, all in one round trip, rather than an updateMany: run
                # outside a transaction, SecantusDB's updateMany retries a write conflict while
                # holding the collection's lock, which the conflicting transaction (a new practice
                # holding its organization, say) needs to finish: a deadlock. MongoDB yields.
                clear = {"$unset": {**SEARCH_MARK_FIELDS, SEARCH_FAILED: ""}}
                result = await store.collection.bulk_write(
                    [UpdateOne({"_id": id, "version": version, SEARCH_PENDING: True}, clear) for id in chunk],
                    ordered=False,
                )
                if result.matched_count < len(chunk):
                    # Written or deleted since they were read. Usually the newer version is still
                    # pending; but an instance that stalled past its lease may have sent this older
                    # one after another instance had indexed the newer one (or the deletion).
                    await store.catch_up_search(chunk, indexed_version=version)

    async def _mark_content_of(self, organization_ids: list[str]) -> None:
        for store in self.stores.searchable:
            if store is not self.stores.organizations:
                await store.collection.update_many(
                    {"organization_id": {"$in": organization_ids}}, search_mark()
                )

    async def _push_deletions(self) -> int:
        outbox = self.stores.database[SEARCH_OUTBOX]
        entries = await outbox.find({"done": False}).sort("deleted_at", 1).limit(self.batch_size).to_list()
        if not entries or not await self._may_send():
            return 0
        by_collection: dict[str, list[str]] = {}
        for entry in entries:
            by_collection.setdefault(entry["collection"], []).append(entry["record_id"])
        for collection, ids in by_collection.items():
            uid = self.engine.index_uid(SPEC_BY_COLLECTION[collection])
            await self._succeeded(
                uid, await self._enqueue(self.engine.client.index(uid).delete_documents(ids))
            )
        await outbox.update_many({"_id": {"$in": [e["_id"] for e in entries]}}, {"$set": {"done": True}})
        await outbox.delete_many({"done": True, "deleted_at": {"$lt": utc_now() - OUTBOX_RETENTION}})
        return len(entries)
