"""The indexer: brings the search engine up to date with MongoDB, whatever crashed in between.

Every write of a searchable record sets its ``search_pending`` mark in the same document write;
every delete leaves an outbox entry in the same transaction (storage/store.py). The indexer

1. takes a lease, so that among N app instances one indexes at a time;
2. reads a batch of pending records, renews the lease and sends the batch to Meilisearch without
   waiting, then reads and sends the next one, keeping a few batches in flight: Meilisearch
   merges tasks that queue up into one indexing batch, which costs little more than one task;
3. as each task succeeds, in the order sent, clears each mark of its batch if the record's
   version is still the one sent (a write in between leaves the mark, and the newer version goes
   in the next round); a failed task leaves its marks and stops that kind for the round;
4. does the same for the outbox: delete from the index, wait, then mark the entry done.

A crash anywhere before step 3 leaves the mark: the record is sent again, which is harmless as a
document replaces its previous version. Nothing is lost and nothing deleted lingers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from search.documents import (
    SearchDocument,
    case_study_document,
    organization_document,
    partnership_document,
    practice_document,
)
from search.engine import SearchEngine, translate_errors
from search.errors import SearchError, SearchUnavailable
from search.indexes import SPEC_BY_COLLECTION
from storage.database import Stores
from storage.errors import StorageError
from storage.leases import Lease
from storage.records import ContentRecord, OrganizationRecord, VersionedRecord
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING, VersionedStore, utc_now

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
# IDs per mark-clearing update: SecantusDB matches an ``_id`` $in list in quadratic time.
MARK_CHUNK = 50
LEASE_NAME = "search-indexer"
IDLE_WAIT_MAX = 1.0
ERROR_WAIT_MAX = 5.0
OUTBOX_RETENTION = timedelta(days=7)


async def _no_fault(step: str) -> None:
    del step


class IndexingFailed(SearchError):
    """Meilisearch reported a task as failed; the records stay pending and are retried."""


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
    content = [r for r in records if isinstance(r, ContentRecord)]
    organization_ids = sorted({record.organization_id for record in content})
    found = await stores.organizations.get_many(organization_ids)
    organizations = dict(zip(organization_ids, found, strict=True))
    build = _CONTENT_DOCUMENTS[collection]

    def build_all() -> list[SearchDocument]:
        return [build(record, organizations[record.organization_id]) for record in content]

    # Stemming long texts is CPU work: keep it off the event loop that serves requests.
    return await asyncio.to_thread(build_all)


# The pending records of a collection in the order sent (served by an index: storage/database.py).
PENDING_ORDER = ("_id", 1)


def pending_after(after: str | None) -> dict[str, Any]:
    """Pending records after the ID ``after`` (the next batch of a round), or from the first."""
    return {SEARCH_PENDING: True, **({"_id": {"$gt": after}} if after is not None else {})}


@dataclass(frozen=True, slots=True)
class _Sent:
    """A batch on its way: the Meilisearch task and the records at the versions it carries."""

    task_uid: int
    records: list[VersionedRecord]


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
        # Longer than a batch can take (a task wait is capped at 30 s), renewed before each batch
        # is sent: a holder that lost it stops before sending more.
        lease_ttl: timedelta = timedelta(seconds=90),
        fault: FaultPoint = _no_fault,
    ) -> None:
        self.stores = stores
        self.engine = engine
        self.batch_size = batch_size
        self.in_flight = in_flight
        self.round_batches = round_batches
        self.fault = fault
        self.lease = Lease(stores.database["leases"], name=LEASE_NAME, owner=owner, ttl=lease_ttl)
        self.wake = asyncio.Event()
        # Whether the indexes exist with their settings: a document sent to a missing index would
        # create it without them. Checked again after any failure (Meilisearch may have lost data).
        self._prepared = False

    async def run_once(self) -> int:
        """One round over every searchable collection and the outbox; returns records handled."""
        if not await self.lease.acquire():
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
                failures.append(exc)
        if failures and not handled:
            raise failures[0]
        return handled

    async def run(self) -> None:
        """The background loop: soon after a write (``wake``), else at most a second apart."""
        idle_wait = 0.05
        while True:
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
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=idle_wait)
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
        if not await self.engine.wait(task_uid):
            raise IndexingFailed(f"Meilisearch failed task {task_uid} on {uid}")
        await self.fault("indexed")

    async def _read_pending(self, store: VersionedStore[Any], after: str | None) -> list[VersionedRecord]:
        query = pending_after(after)
        documents = await store.collection.find(query).sort(*PENDING_ORDER).limit(self.batch_size).to_list()
        return [store.record_type.model_validate(document) for document in documents]

    async def _push_pending(self, store: VersionedStore[Any]) -> int:
        """Send the kind's pending records, a few batches in flight; clear marks as tasks succeed."""
        collection = store.collection.name
        uid = self.engine.index_uid(SPEC_BY_COLLECTION[collection])
        index = self.engine.client.index(uid)
        sent: deque[_Sent] = deque()
        handled, after = 0, None
        failure: IndexingFailed | None = None
        try:
            for _ in range(self.round_batches):
                records = await self._read_pending(store, after)
                if not records:
                    break
                after = records[-1].id
                documents = await build_documents(self.stores, collection, records)
                if not await self.lease.acquire():
                    break  # another instance holds the lease now: send nothing more
                task_uid = await self._enqueue(index.add_documents(documents, primary_key="id"))
                sent.append(_Sent(task_uid, records))
                if len(sent) >= self.in_flight:
                    handled += await self._settle(store, uid, sent.popleft())
        except IndexingFailed as exc:  # send nothing more, but what was sent may have succeeded
            failure = exc
        while sent:
            try:
                handled += await self._settle(store, uid, sent.popleft())
            except IndexingFailed as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return handled

    async def _settle(self, store: VersionedStore[Any], uid: str, batch: _Sent) -> int:
        await self._succeeded(uid, batch.task_uid)
        if store is self.stores.organizations:  # content shows its organization's name and kind:
            await self._mark_content_of([r.id for r in batch.records])  # mark it before they clear
        await self._clear_marks(store, batch.records)
        return len(batch.records)

    async def _clear_marks(self, store: VersionedStore[Any], records: Sequence[VersionedRecord]) -> None:
        """Clear each mark only if the record is still at the version that was indexed."""
        by_version: dict[int, list[str]] = {}
        for record in records:
            by_version.setdefault(record.version, []).append(record.id)
        for version, ids in by_version.items():
            for start in range(0, len(ids), MARK_CHUNK):
                await store.collection.update_many(
                    {
                        "_id": {"$in": ids[start : start + MARK_CHUNK]},
                        "version": version,
                        SEARCH_PENDING: True,
                    },
                    {"$unset": {SEARCH_PENDING: ""}},
                )

    async def _mark_content_of(self, organization_ids: list[str]) -> None:
        for store in self.stores.searchable:
            if store is not self.stores.organizations:
                await store.collection.update_many(
                    {"organization_id": {"$in": organization_ids}}, {"$set": {SEARCH_PENDING: True}}
                )

    async def _push_deletions(self) -> int:
        outbox = self.stores.database[SEARCH_OUTBOX]
        entries = await outbox.find({"done": False}).sort("deleted_at", 1).limit(self.batch_size).to_list()
        if not entries or not await self.lease.acquire():
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
