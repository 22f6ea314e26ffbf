"""Rebuild every index from MongoDB into fresh indexes and swap them in atomically.

Searches keep answering from the live indexes during the rebuild. Writes that race it are not
lost: after the swap, every record written and every deletion made since the rebuild began is
marked for the indexer again, which applies them to the new indexes. A record Meilisearch refuses
does not stop the rebuild: it is singled out and parked, as the indexer does (search/refusals.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

from search.engine import SearchEngine, TaskOutcome, translate_errors
from search.errors import IndexingFailed
from search.indexer import build_documents
from search.indexes import SPECS, IndexSpec
from search.refusals import Batch, Refusals, park, parked
from storage.database import Stores
from storage.records import VersionedRecord
from storage.store import SEARCH_OUTBOX, VersionedStore, search_mark, utc_now

BATCH_SIZE = 1000
# Clocks of several app instances differ a little: re-mark a margin before the start.
_CLOCK_MARGIN = timedelta(minutes=1)

Progress = Callable[[str, int, int], None]


def _no_progress(index: str, done: int, total: int) -> None:
    del index, done, total


def written_since(started: datetime) -> dict[str, Any]:
    """Records written since ``started`` (served by an index: storage/database.py)."""
    return {"updated_at": {"$gte": started}}


def deleted_since(collection: str, started: datetime) -> dict[str, Any]:
    """Outbox entries of ``collection`` deleted since ``started`` (served by an index)."""
    return {"collection": collection, "deleted_at": {"$gte": started}}


async def _batches(store: VersionedStore[Any]) -> AsyncIterator[list[VersionedRecord]]:
    batch: list[VersionedRecord] = []
    async for document in store.collection.find({}).sort("_id", 1):
        batch.append(store.record_type.model_validate(document))
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


@translate_errors
async def _rebuild(stores: Stores, engine: SearchEngine, spec: IndexSpec, progress: Progress) -> int:
    live = engine.index_uid(spec)
    fresh = f"{live}_rebuild_{time.time_ns()}"
    started = utc_now() - _CLOCK_MARGIN
    await engine.prepare(spec=spec)  # a swap needs both indexes to exist
    await engine.prepare(uid=fresh, spec=spec)
    store = next(s for s in stores.searchable if s.collection.name == spec.collection)
    refused: list[str] = []

    async def send(batch: Batch) -> int:
        return (await engine.client.index(fresh).add_documents(batch.documents, primary_key="id")).task_uid

    async def indexed(records: list[VersionedRecord]) -> int:
        return len(records)

    async def park_refused(record: VersionedRecord, outcome: TaskOutcome) -> bool:
        refused.append(record.id)
        return await park(store, record, outcome)

    # A rebuild must finish: it may split as often as its refused records take.
    refusals = Refusals(engine=engine, send=send, indexed=indexed, park=park_refused, budget=None)
    try:
        total = await store.collection.count_documents({})
        sent: list[tuple[Batch, int]] = []
        done = 0
        async for records in _batches(store):
            batch = Batch(records, await build_documents(stores, spec.collection, records))
            sent.append((batch, await send(batch)))
            done += len(records)
            progress(live, done, total)
        for batch, task in sent:
            await refusals.settle(batch, task)
            if refusals.failure is not None:
                raise IndexingFailed(
                    f"Meilisearch failed to index a batch into {fresh} ({refusals.failure.describe()}); "
                    f"{live} is unchanged"
                )
        swapped = await engine.wait((await engine.client.swap_indexes([(live, fresh)])).task_uid)
        if not swapped.succeeded:
            raise IndexingFailed(f"Meilisearch failed to swap {fresh} into {live}: {swapped.describe()}")
        # Writes that raced the rebuild may have gone to the index just swapped out: send them again.
        await store.collection.update_many(written_since(started), search_mark())
        # Records parked before and accepted now: the indexer sends them again and unparks them.
        await store.collection.update_many({**parked(), "_id": {"$nin": refused}}, search_mark())
        await stores.database[SEARCH_OUTBOX].update_many(
            deleted_since(spec.collection, started), {"$set": {"done": False}}
        )
    finally:  # after a swap it holds the old documents; after a failure, a partial rebuild
        await engine.client.delete_index_if_exists(fresh)
    return done - len(refused)


async def reindex(
    stores: Stores, engine: SearchEngine, *, progress: Progress = _no_progress
) -> dict[str, int]:
    """Rebuild every index, one after the other; returns the number of documents indexed per index.

    Records Meilisearch refused are left out of the count, parked and logged.
    """
    return {engine.index_uid(spec): await _rebuild(stores, engine, spec, progress) for spec in SPECS}
