"""Records the search engine refuses: single them out of a failed batch, and park them.

Meilisearch fails a whole task when it refuses one of its documents (say, a record whose ``_id``
is no valid document ID), and the indexer reads pending records in ``_id`` order. Left alone, one
such record would fail its batch in every round and hold back every record of its kind after it.
So a refused batch is split in halves that are sent again, and a refused half in turn, depth
first, until each refusal is one record's. That record is *parked*: its pending mark is cleared for
the version refused only (compare-and-set, as when a version is indexed) and ``search_failed``
keeps the version, Meilisearch's error and when; nothing else of it changes in MongoDB. Its next
write marks it pending again, so it is tried again; once a version is indexed, ``search_failed``
goes.

Which failure parks a record. Parking wrongly keeps a good record out of search until its next
write; never parking lets one bad record block its kind forever. So:

- Only a refusal of what was sent (Meilisearch's error type ``invalid_request``) is split or
  parked. An engine that cannot work (type ``internal`` or ``system``: a bug, a full disk), a key
  it rejects (``auth``), a canceled task or an unreachable Meilisearch say nothing of a record: the
  batch stays pending and is retried, as before.
- A single record is parked when Meilisearch's code names a defect of a document
  (``search.engine.DOCUMENT_ERRORS``, such as ``invalid_document_id``), or when the same index
  accepted another batch in the same round: the index then takes documents, so the refusal is
  this record's, whatever the code (one that a later Meilisearch adds, say).
- A refused batch is split on the same evidence, or once where the refusal is first met, to look
  for it. If neither half is accepted and the code names no document, the index refuses
  everything (``index_primary_key_already_exists``, say): nothing is parked and it stays pending.
- The tasks a round may send to split are bounded (``budget``); what is left stays pending for the
  next round, which starts again from the first pending record.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from search.documents import SearchDocument
from search.engine import SearchEngine, TaskOutcome
from storage.database import Stores
from storage.records import VersionedRecord
from storage.store import SEARCH_FAILED, SEARCH_MARK_FIELDS, VersionedStore, utc_now
from storage.store import translate_errors as translate_storage_errors

logger = logging.getLogger("lumbung.indexer")


@dataclass(frozen=True, slots=True)
class Batch:
    """Records and their search documents, in the same order (built once, however often sent)."""

    records: list[VersionedRecord]
    documents: list[SearchDocument]

    def halves(self) -> tuple[Batch, Batch]:
        middle = len(self.records) // 2
        return (
            Batch(self.records[:middle], self.documents[:middle]),
            Batch(self.records[middle:], self.documents[middle:]),
        )


# Sends a batch; returns its task, or None when nothing more may be sent (the lease was lost).
Send = Callable[[Batch], Awaitable[int | None]]
# Called with the records of a batch the index accepted; returns how many it handled.
Indexed = Callable[[list[VersionedRecord]], Awaitable[int]]
Park = Callable[[VersionedRecord, TaskOutcome], Awaitable[bool]]


def parked() -> dict[str, Any]:
    """Records whose last version tried was refused (served by a sparse index: storage/database.py)."""
    return {f"{SEARCH_FAILED}.version": {"$exists": True}}


@translate_storage_errors
async def count_parked(stores: Stores) -> int:
    return sum([await store.collection.count_documents(parked()) for store in stores.searchable])


async def park(store: VersionedStore[Any], record: VersionedRecord, outcome: TaskOutcome) -> bool:
    """Keep ``record`` out of the index until its next write; False if it was written meanwhile."""
    failed = {"version": record.version, "error": outcome.describe(), "at": utc_now()}
    result = await store.collection.update_one(
        {"_id": record.id, "version": record.version},
        {"$unset": SEARCH_MARK_FIELDS, "$set": {SEARCH_FAILED: failed}},
    )
    if not result.modified_count:  # its newer version is pending, and is tried in its turn
        return False
    logger.warning(
        "the search engine refused %s %r at version %d; parked until its next write: %s",
        store.collection.name,
        record.id,
        record.version,
        outcome.describe(),
    )
    return True


@dataclass(slots=True, kw_only=True)
class Refusals:
    """Settles the batches sent to one index in one round, singling out the records it refuses."""

    engine: SearchEngine
    send: Send
    indexed: Indexed
    park: Park
    # Tasks it may still send to split refused batches; None: as many as it takes.
    budget: int | None
    # Whether the index accepted a batch in this round.
    accepted: bool = False
    # The first failure it could not pin on records: theirs stay pending.
    failure: TaskOutcome | None = None

    async def settle(self, batch: Batch, task_uid: int) -> int:
        """Wait for the task of ``batch``; returns the number of its records indexed or parked."""
        outcome = await self.engine.wait(task_uid)
        if outcome.succeeded:
            self.accepted = True
            return await self.indexed(batch.records)
        return await self._single_out(batch, outcome, first=True)

    async def _single_out(self, batch: Batch, outcome: TaskOutcome, *, first: bool) -> int:
        blamed = outcome.refused and (outcome.names_a_document or self.accepted)
        if len(batch.records) == 1 and blamed:
            await self.park(batch.records[0], outcome)
            return 1
        if len(batch.records) == 1 or not (blamed or (first and outcome.refused)) or not self._spend(2):
            self.failure = self.failure or outcome
            return 0
        sent: list[tuple[Batch, int]] = []
        for half in batch.halves():
            task_uid = await self.send(half)
            if task_uid is None:
                break  # the rest stays pending
            sent.append((half, task_uid))
        outcomes = [(half, await self.engine.wait(task_uid)) for half, task_uid in sent]
        handled = 0
        for half, result in outcomes:  # acceptances first: they are evidence on the refusals
            if result.succeeded:
                self.accepted = True
                handled += await self.indexed(half.records)
        for half, result in outcomes:
            if not result.succeeded:
                handled += await self._single_out(half, result, first=False)
        return handled

    def _spend(self, tasks: int) -> bool:
        if self.budget is None:
            return True
        if self.budget < tasks:
            return False
        self.budget -= tasks
        return True
