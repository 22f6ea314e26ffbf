"""The notifier: turns the activity outbox into notifications, one per recipient, under a lease.

Each write that someone must hear of appends an activity in its own transaction
(``storage/activity.py``), so the write itself costs one insert however many follow what it
touches. This worker, in the background,

1. takes a lease, so that among N instances one delivers at a time;
2. reads undelivered activities oldest first and, for each, finds whom to tell: the users it
   names, the users of the organizations it names, and the followers of what it touches (a
   thread, an event, an item's themes, organization and regions with every region above them);
3. leaves out the actor and those who muted the reason, and inserts one notification per
   recipient under the ID ``<activity>:<user>``;
4. only then marks the activity delivered.

A crash between 3 and 4 delivers the activity again, and the notification IDs keep anyone from
being told twice; several instances racing on an activity are stopped the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores
from storage.errors import StorageError
from storage.follows import target_key
from storage.leases import Lease
from storage.notifications import notification_id
from storage.store import Document, utc_now
from storage.vocabulary import ActivityKind, DiscussionKind, FollowKind, NotificationReason

logger = logging.getLogger("lumbung.notifier")

LEASE_NAME = "notifier"
BATCH_SIZE = 100
IDLE_WAIT_MAX = 1.0
ERROR_WAIT_MAX = 5.0

FaultPoint = Callable[[str], Awaitable[None]]

# The follow kind of each kind of item an activity is about, by collection.
_FOLLOW_OF_COLLECTION = {
    "practices": FollowKind.PRACTICE,
    "case_studies": FollowKind.CASE_STUDY,
    "partnerships": FollowKind.PARTNERSHIP,
    "replications": FollowKind.REPLICATION,
}
# The GraphQL type a notification points at, by collection.
SUBJECT_TYPES = {
    "practices": "Practice",
    "case_studies": "CaseStudy",
    "partnerships": "Partnership",
    "replications": "Replication",
    "threads": "Thread",
    "replies": "Reply",
    "events": "Event",
    "exchanges": "ExchangeRequest",
}


async def _no_fault(step: str) -> None:
    del step


class Recipients:
    """Who is told of one activity, and why: the first reason given for a user wins."""

    def __init__(self) -> None:
        self.reasons: dict[str, NotificationReason] = {}

    def add(self, user_ids: Sequence[str], reason: NotificationReason) -> None:
        for user_id in user_ids:
            self.reasons.setdefault(user_id, reason)


async def _users_of(stores: Stores, organization_ids: Sequence[str]) -> list[str]:
    if not organization_ids:
        return []
    cursor = stores.users.collection.find({"organization_id": {"$in": list(organization_ids)}}, {"_id": 1})
    return [str(document["_id"]) async for document in cursor]


def _item_keys(entry: Mapping[str, Any]) -> list[str]:
    """The follow keys of what a published item touches: itself, its organization, themes, regions."""
    keys = (
        [target_key(FollowKind.ORGANIZATION, entry["organization_id"])]
        if entry.get("organization_id")
        else []
    )
    if (kind := _FOLLOW_OF_COLLECTION.get(entry.get("subject_collection", ""))) is not None:
        keys.append(target_key(kind, entry["subject_id"]))
    keys += [target_key(FollowKind.THEME, theme) for theme in entry.get("themes", [])]
    keys += [target_key(FollowKind.REGION, code) for code in entry.get("region_scope", [])]
    return keys


async def recipients_of(stores: Stores, entry: Mapping[str, Any]) -> tuple[Recipients, str, str]:
    """Whom an activity tells and why, and the (type, ID) of the Node it is about."""
    kind = ActivityKind[entry["kind"]]
    told = Recipients()
    users, organizations = entry.get("user_ids", []), entry.get("organization_ids", [])
    subject: tuple[str, str]
    match kind:
        case ActivityKind.QUESTION_ASKED | ActivityKind.COMMENT_POSTED:
            reason = (
                NotificationReason.NEW_QUESTION_ON_MY_ITEM
                if kind is ActivityKind.QUESTION_ASKED
                else NotificationReason.NEW_COMMENT_ON_MY_ITEM
            )
            told.add(await _users_of(stores, organizations), reason)
            subject = ("Thread", entry["thread_id"])
        case ActivityKind.REPLY_POSTED:
            (thread,) = await stores.discussions.threads.get_many([entry["thread_id"]])
            asker = thread.author_id if thread else None
            question = thread is not None and thread.kind is DiscussionKind.QUESTION
            told.add(
                [u for u in users if u == asker],
                NotificationReason.ANSWER_TO_MY_QUESTION if question else NotificationReason.REPLY_TO_MY_POST,
            )
            told.add([u for u in users if u != asker], NotificationReason.REPLY_TO_MY_POST)
            followers = await stores.follows.followers_of([target_key(FollowKind.THREAD, entry["thread_id"])])
            told.add(followers, NotificationReason.REPLY_IN_FOLLOWED_THREAD)
            subject = ("Reply", entry["reply_id"])
        case ActivityKind.ANSWER_ACCEPTED:
            told.add(users, NotificationReason.ANSWER_ACCEPTED)
            subject = ("Thread", entry["thread_id"])
        case ActivityKind.ORGANIZATION_MENTIONED:
            told.add(await _users_of(stores, organizations), NotificationReason.ORGANIZATION_MENTIONED)
            subject = (
                ("Reply", entry["reply_id"]) if entry.get("reply_id") else ("Thread", entry["thread_id"])
            )
        case ActivityKind.WAITLIST_PROMOTED | ActivityKind.EVENT_CHANGED | ActivityKind.EVENT_CANCELLED:
            told.add(users, NotificationReason[kind.value])
            if kind is not ActivityKind.WAITLIST_PROMOTED:
                followers = await stores.follows.followers_of(
                    [target_key(FollowKind.EVENT, entry["event_id"])]
                )
                told.add(followers, NotificationReason[kind.value])
            subject = ("Event", entry["event_id"])
        case ActivityKind.REVIEW_STEP:
            told.add(await _users_of(stores, organizations), NotificationReason.REVIEW_STEP)
            subject = (SUBJECT_TYPES[entry["subject_collection"]], entry["subject_id"])
        case ActivityKind.ITEM_PUBLISHED:
            told.add(await _users_of(stores, organizations), NotificationReason.REVIEW_STEP)
            told.add(
                await stores.follows.followers_of(_item_keys(entry)), NotificationReason.NEW_ITEM_FOLLOWED
            )
            subject = (SUBJECT_TYPES[entry["subject_collection"]], entry["subject_id"])
        case ActivityKind.EXCHANGE_REQUESTED | ActivityKind.EXCHANGE_STEP:
            reason = NotificationReason[kind.value]
            told.add([*users, *await _users_of(stores, organizations)], reason)
            subject = ("ExchangeRequest", entry["exchange_id"])
    return told, *subject


def _stop_if_cancelled(exc: BaseException) -> None:
    """Stop when the task is being cancelled, even if the driver turned that into another error.

    pymongo closes a connection whose operation is cancelled and may raise a connection error
    instead of the CancelledError; caught as a passing outage, the loop would go on forever and
    the app's shutdown would wait for it in vain.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc


class Notifier:
    def __init__(
        self,
        *,
        stores: Stores,
        owner: str,
        batch_size: int = BATCH_SIZE,
        lease_ttl: timedelta = timedelta(seconds=10),
        fault: FaultPoint = _no_fault,
    ) -> None:
        self.stores = stores
        self.batch_size = batch_size
        self.fault = fault
        self.lease = Lease(stores.database["leases"], name=LEASE_NAME, owner=owner, ttl=lease_ttl)
        self.wake = asyncio.Event()
        self._outbox = stores.database[ACTIVITY_OUTBOX]

    async def _notifications(self, entry: Document) -> list[Document]:
        told, subject_type, subject_id = await recipients_of(self.stores, entry)
        told.reasons.pop(entry.get("actor_id") or "", None)  # nobody is told of their own doing
        if not told.reasons:
            return []
        users = list(told.reasons)
        settings = await self.stores.notifications.settings_of(users)
        actor_name = None
        if entry.get("actor_id"):
            (actor,) = await self.stores.users.get_many([entry["actor_id"]])
            actor_name = actor.name if actor else None
        return [
            {
                "_id": notification_id(str(entry["_id"]), user_id),
                "user_id": user_id,
                "reason": told.reasons[user_id].value,
                "activity_id": str(entry["_id"]),
                "actor_id": entry.get("actor_id"),
                "actor_name": actor_name,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "summary": entry.get("summary"),
                "created_at": entry["at"],
            }
            for user_id, its_settings in zip(users, settings, strict=True)
            if told.reasons[user_id] not in its_settings.muted_reasons
        ]

    async def run_once(self) -> int:
        """One batch of activities delivered; returns how many."""
        if not await self.lease.acquire():
            return 0
        entries = (
            await self._outbox.find({"delivered_at": None}).sort("at", 1).limit(self.batch_size).to_list()
        )
        for entry in entries:
            if not await self.lease.acquire():  # another instance took over: it goes on from here
                return 0
            await self.stores.notifications.deliver(await self._notifications(entry))
            await self.fault("delivered")
            await self._outbox.update_one(
                {"_id": entry["_id"], "delivered_at": None}, {"$set": {"delivered_at": utc_now()}}
            )
        return len(entries)

    async def run(self) -> None:
        """The background loop: soon after a write (``wake``), else at most a second apart."""
        idle_wait = 0.05
        while True:
            self.wake.clear()
            try:
                handled = await self.run_once()
                idle_wait = 0.05 if handled else min(idle_wait * 2, IDLE_WAIT_MAX)
            except StorageError as exc:
                _stop_if_cancelled(exc)
                logger.warning("notifications paused: %s", exc)
                handled, idle_wait = 0, min(max(idle_wait, 0.5) * 2, ERROR_WAIT_MAX)
            except Exception as exc:
                _stop_if_cancelled(exc)
                logger.exception("notifications failed unexpectedly")
                handled, idle_wait = 0, ERROR_WAIT_MAX
            if handled:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when it is
            # cancelled just as the event is set, and the loop would outlive the app's shutdown.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle_wait):
                    await self.wake.wait()
                idle_wait = 0.05
