"""The search indexer's backlog: what MongoDB holds that the search engine does not yet.

``/readyz`` reports it, and a metrics endpoint can export the same two figures: how many writes
are waiting (records marked ``search_pending`` in every searchable collection, and deletions the
outbox has not applied yet), and how long the oldest of them has waited. Every count and lookup is
served by an index (storage/database.py), so asking costs a few index reads however large the
collections are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Stores
from storage.store import SEARCH_OUTBOX, SEARCH_PENDING, SEARCH_PENDING_SINCE, utc_now
from storage.store import translate_errors as translate_storage_errors


@dataclass(frozen=True, slots=True)
class Backlog:
    pending: int
    # Seconds since the oldest pending write was made (by the writing instance's clock); 0 when
    # nothing is pending.
    oldest_pending_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"pending": self.pending, "oldestPendingSeconds": round(self.oldest_pending_seconds, 3)}


def pending_since() -> dict[str, Any]:
    """Pending records that carry the time they became pending (a sparse index serves it).

    Records marked by a release before ``search_pending_since`` existed carry none: they are
    counted, but left out of the age until they are indexed.
    """
    return {SEARCH_PENDING_SINCE: {"$exists": True}}


@translate_storage_errors
async def search_backlog(*, stores: Stores, now: datetime | None = None) -> Backlog:
    """The pending writes and the age of the oldest, as of ``now`` (the current time by default)."""
    now = now or utc_now()
    pending = 0
    oldest: list[datetime] = []
    for store in stores.searchable:
        pending += await store.collection.count_documents({SEARCH_PENDING: True})
        first = await store.collection.find_one(
            pending_since(), {SEARCH_PENDING_SINCE: 1}, sort=[(SEARCH_PENDING_SINCE, 1)]
        )
        if first is not None:
            oldest.append(first[SEARCH_PENDING_SINCE])
    outbox = stores.database[SEARCH_OUTBOX]
    pending += await outbox.count_documents({"done": False})
    first = await outbox.find_one({"done": False}, {"deleted_at": 1}, sort=[("deleted_at", 1)])
    if first is not None:
        oldest.append(first["deleted_at"])
    # Another instance's clock may run a little ahead of ours: no negative ages.
    age = max(0.0, (now - min(oldest)).total_seconds()) if oldest else 0.0
    return Backlog(pending=pending, oldest_pending_seconds=age)
