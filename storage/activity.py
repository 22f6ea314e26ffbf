"""The activity outbox: what someone must be told of, written in the transaction that caused it.

Each entry: ``kind`` (an ActivityKind), ``at``, ``actor_id``, whom to tell (``organization_ids``,
``user_ids``), what it is about (``thread_id``/``reply_id`` and the item, ``event_id``, ...) and
``delivered_at`` (null until the notifications worker, under a lease, has delivered it). An
entry with nobody to tell is not written, unless its kind tells followers too: those are found
when it is delivered (a reply by a thread's own author still tells the thread's followers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from storage.store import Document, new_id, utc_now
from storage.vocabulary import ActivityKind

ACTIVITY_OUTBOX = "activity_outbox"
ACTIVITY_INDEXES = (
    (("delivered_at", 1), ("at", 1)),
    (("thread_id", 1), ("at", 1)),
    (("event_id", 1), ("at", 1)),
)
# The kinds whose followers the notifier looks up on delivery (resolvers/notifier.py).
_TELLS_FOLLOWERS = {
    ActivityKind.REPLY_POSTED,
    ActivityKind.EVENT_CHANGED,
    ActivityKind.EVENT_CANCELLED,
    ActivityKind.ITEM_PUBLISHED,
}


async def record_activity(
    database: AsyncDatabase[Document],
    activities: Sequence[Mapping[str, Any]],
    *,
    actor_id: str | None,
    session: AsyncClientSession | None,
    **about: Any,
) -> None:
    now = utc_now()
    entries = [
        {
            "_id": new_id(),
            "at": now,
            "actor_id": actor_id,
            "organization_ids": [],
            "user_ids": [],
            "delivered_at": None,
            **about,
            **activity,
            "kind": activity["kind"].value,
        }
        for activity in activities
        if activity.get("organization_ids")
        or activity.get("user_ids")
        or activity["kind"] in _TELLS_FOLLOWERS
    ]
    if entries:
        await database[ACTIVITY_OUTBOX].insert_many(entries, session=session)
