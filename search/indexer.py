"""The indexer: brings the search engine up to date with MongoDB, whatever crashed in between.

Every write of a searchable record sets its ``search_pending`` mark in the same document write;
every delete leaves an outbox entry in the same transaction (storage/store.py). The indexer

1. takes a lease, so that among N app instances one indexes at a time;
2. reads a batch of pending records, sends them to Meilisearch, and waits for the task;
3. only when the task succeeded, clears each mark if the record's version is still the one sent
   (a write in between leaves the mark, and the newer version goes in the next round);
4. does the same for the outbox: delete from the index, wait, then mark the entry done.

A crash anywhere before step 3 leaves the mark: the record is sent again, which is harmless as a
document replaces its previous version. Nothing is lost and nothing deleted lingers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from pymongo import UpdateOne

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

# Small enough that a batch of the longest practices stays far below Meilisearch's payload limit.
BATCH_SIZE = 100
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


class Indexer:
    def __init__(
        self,
        *,
        stores: Stores,
        engine: SearchEngine,
        owner: str,
        batch_size: int = BATCH_SIZE,
        # Longer than a batch can take (a task wait is capped at 30 s), renewed before each batch.
        lease_ttl: timedelta = timedelta(seconds=90),
        fault: FaultPoint = _no_fault,
    ) -> None:
        self.stores = stores
        self.engine = engine
        self.batch_size = batch_size
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
        for step in steps:
            # Renewed before every batch: a holder that lost its lease stops before sending more.
            if not await self.lease.acquire():
                break
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
    async def _send(self, uid: str, task: Awaitable[Any]) -> None:
        info = await task
        await self.fault("sent")
        if not await self.engine.wait(info.task_uid):
            raise IndexingFailed(f"Meilisearch failed task {info.task_uid} on {uid}")
        await self.fault("indexed")

    async def _push_pending(self, store: VersionedStore[Any]) -> int:
        collection = store.collection.name
        documents = (
            await store.collection.find({SEARCH_PENDING: True})
            .sort("_id", 1)
            .limit(self.batch_size)
            .to_list()
        )
        if not documents:
            return 0
        records = [store.record_type.model_validate(document) for document in documents]
        uid = self.engine.index_uid(SPEC_BY_COLLECTION[collection])
        search_documents = await build_documents(self.stores, collection, records)
        await self._send(uid, self.engine.client.index(uid).add_documents(search_documents, primary_key="id"))
        if collection == "organizations":  # content shows its organization's name and kind: mark
            await self._mark_content_of([r.id for r in records])  # it before the organizations clear
        # Clear each mark only if the record is still at the version that was indexed.
        await store.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": r.id, "version": r.version, SEARCH_PENDING: True},
                    {"$unset": {SEARCH_PENDING: ""}},
                )
                for r in records
            ],
            ordered=False,
        )
        return len(records)

    async def _mark_content_of(self, organization_ids: list[str]) -> None:
        for store in self.stores.searchable:
            if store is not self.stores.organizations:
                await store.collection.update_many(
                    {"organization_id": {"$in": organization_ids}}, {"$set": {SEARCH_PENDING: True}}
                )

    async def _push_deletions(self) -> int:
        outbox = self.stores.database[SEARCH_OUTBOX]
        entries = await outbox.find({"done": False}).sort("deleted_at", 1).limit(self.batch_size).to_list()
        by_collection: dict[str, list[str]] = {}
        for entry in entries:
            by_collection.setdefault(entry["collection"], []).append(entry["record_id"])
        for collection, ids in by_collection.items():
            uid = self.engine.index_uid(SPEC_BY_COLLECTION[collection])
            await self._send(uid, self.engine.client.index(uid).delete_documents(ids))
        if entries:
            await outbox.update_many({"_id": {"$in": [e["_id"] for e in entries]}}, {"$set": {"done": True}})
            await outbox.delete_many({"done": True, "deleted_at": {"$lt": utc_now() - OUTBOX_RETENTION}})
        return len(entries)
