"""Live updates: change streams fanned out to the subscriptions of this instance.

Each app instance runs one change-stream watcher per collection (``storage/changes.py``): new
notifications and new replies. Whichever instance wrote them (the notifier runs on one instance
at a time, replies are posted through any), every instance sees them and hands each to its own
subscribers of the topic: ``("user", <id>)`` for notifications, ``("thread", <id>)`` for replies.
Where the instance runs a notifier, a third watcher wakes it on each new activity, so that one
written through another instance is delivered at once by whichever holds the notifier's lease.

A subscriber has a bounded queue. The watcher never waits on one: a subscriber whose queue is
full is dropped (its subscription ends with ``LIVE_TOO_SLOW``), and when the watcher's resume
token has fallen out of the oplog every subscriber is dropped (``LIVE_RESYNC``): either way the
client has missed events and must refetch what it shows, then subscribe again.

Connections are counted per signed-in user (per client address for anonymous ones) against
``max_connections_per_user``, per instance: one past it closes the oldest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from resolvers.context import Context
from resolvers.discussions import find_thread
from resolvers.errors import ErrorCode, FieldError
from resolvers.loaders import Loaders
from resolvers.viewer import Viewer
from resolvers.visibility import can_read_post_text
from storage.activity import ACTIVITY_OUTBOX
from storage.changes import ChangeWatcher, FaultPoint
from storage.database import Stores
from storage.discussions import REPLIES, ReplyRecord
from storage.notifications import NOTIFICATIONS, NotificationRecord
from storage.store import Document
from storage.vocabulary import PostState

logger = logging.getLogger("lumbung.live")

Topic = tuple[str, str]
Closer = Callable[[], Coroutine[Any, Any, None]]

QUEUE_SIZE: Final = 100
TOO_SLOW: Final = "LIVE_TOO_SLOW"
RESYNC: Final = "LIVE_RESYNC"
UNAVAILABLE: Final = "LIVE_UNAVAILABLE"
UNAVAILABLE_MESSAGE: Final = "Live updates are not available on this server."


class SubscriptionEnded(Exception):
    """A subscriber was dropped: it missed events (``code``: LIVE_TOO_SLOW or LIVE_RESYNC)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(eq=False)
class Event:
    """One change, handed to every subscriber of its topic.

    Its subscribers read it (the checks, the nested fields) through loaders of the event, one
    set per viewer and shared: a reply to a thread a thousand visitors watch loads its thread,
    item and author once, not once per visitor; and fresh, as the connection's would not be.
    """

    document: Document
    by_viewer: dict[Viewer, Loaders] = field(default_factory=dict)

    def loaders(self, stores: Stores, viewer: Viewer) -> Loaders:
        loaders = self.by_viewer.get(viewer)
        if loaders is None:
            loaders = self.by_viewer[viewer] = Loaders.for_request(stores, viewer)
        return loaders


@dataclass(eq=False)
class Subscriber:
    topic: Topic
    queue: asyncio.Queue[Event | SubscriptionEnded]

    async def events(self) -> AsyncIterator[Event]:
        while True:
            item = await self.queue.get()
            if isinstance(item, SubscriptionEnded):
                raise item
            yield item


@dataclass
class LiveHub:
    """The subscribers of this instance by topic, and its open connections by user."""

    queue_size: int = QUEUE_SIZE
    max_connections_per_user: int = 5
    topics: dict[Topic, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))
    # The key (user or address) of each open connection, by its owner's id(); and, by key, how
    # to close each of its connections, oldest first.
    connections: dict[int, str] = field(default_factory=dict)
    per_key: dict[str, dict[int, Closer]] = field(default_factory=dict)
    dropped: int = 0

    @property
    def subscription_count(self) -> int:
        return sum(len(subscribers) for subscribers in self.topics.values())

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    def publish(self, topic: Topic, document: Document) -> None:
        event = Event(document)
        for subscriber in list(self.topics.get(topic, ())):
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(subscriber, SubscriptionEnded(TOO_SLOW, "Too slow: events were missed; refetch."))

    def drop_all(self) -> None:
        """The watcher lost its place: everyone missed events."""
        for subscribers in list(self.topics.values()):
            for subscriber in list(subscribers):
                self._drop(
                    subscriber, SubscriptionEnded(RESYNC, "Events were missed; refetch and subscribe.")
                )

    def _drop(self, subscriber: Subscriber, reason: SubscriptionEnded) -> None:
        self._remove(subscriber)
        self.dropped += 1
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(reason)

    def _remove(self, subscriber: Subscriber) -> None:
        subscribers = self.topics.get(subscriber.topic)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            del self.topics[subscriber.topic]

    @contextlib.contextmanager
    def subscribed(self, topic: Topic) -> Iterator[Subscriber]:
        subscriber = Subscriber(topic, asyncio.Queue(self.queue_size))
        self.topics[topic].add(subscriber)
        try:
            yield subscriber
        finally:
            self._remove(subscriber)

    def open_connection(self, owner: object, key: str, close: Closer) -> Closer | None:
        """Count a connection (``owner``: its handler, ``close`` closes it) against its key's limit.

        Past the limit, the key's oldest connection makes room: it is forgotten here, and the
        caller calls what is returned to close it. A client that vanished without closing (a
        reload, a dropped network) is still counted until the server notices; its successor
        must not be the one refused.
        """
        held = self.per_key.setdefault(key, {})
        evicted: Closer | None = None
        if len(held) >= self.max_connections_per_user:
            oldest = next(iter(held))
            evicted = held.pop(oldest)
            del self.connections[oldest]
        held[id(owner)] = close
        self.connections[id(owner)] = key
        return evicted

    def close_connection(self, owner: object) -> None:
        """Forget a connection counted by ``open_connection``; nothing when it was not counted."""
        key = self.connections.pop(id(owner), None)
        if key is None:
            return
        held = self.per_key[key]
        held.pop(id(owner), None)
        if not held:
            del self.per_key[key]


class LiveFeed:
    """The watchers of this instance, feeding ``hub`` (and waking the notifier); see ``running``."""

    def __init__(
        self,
        stores: Stores,
        hub: LiveHub,
        *,
        wake_notifier: Callable[[], None] | None = None,
        fault: FaultPoint | None = None,
    ) -> None:
        self.hub = hub
        self.notifications = ChangeWatcher(
            stores.database[NOTIFICATIONS], self._notification, on_history_lost=hub.drop_all, fault=fault
        )
        self.replies = ChangeWatcher(
            stores.database[REPLIES], self._reply, on_history_lost=hub.drop_all, fault=fault
        )
        watchers = [self.notifications, self.replies]
        if wake_notifier is not None:
            # An activity written through another instance wakes this one's notifier at once: it
            # may hold the lease (else it would look at most a second later).
            wake = wake_notifier
            watchers.append(
                ChangeWatcher(stores.database[ACTIVITY_OUTBOX], lambda change: wake(), fault=fault)
            )
        self.watchers = tuple(watchers)
        self.tasks: list[asyncio.Task[None]] = []

    def _notification(self, change: Document) -> None:
        document = change.get("fullDocument")
        if document is not None:
            self.hub.publish(("user", str(document["user_id"])), document)

    def _reply(self, change: Document) -> None:
        document = change.get("fullDocument")
        if document is not None:
            self.hub.publish(("thread", str(document["thread_id"])), document)

    async def start(self) -> None:
        for watcher in self.watchers:
            await watcher.start()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The watchers opened, running while inside, stopped cleanly on the way out."""
        await self.start()
        self.tasks = [self._run(watcher) for watcher in self.watchers]
        try:
            yield
        finally:
            for watcher in self.watchers:  # both stop at once
                watcher.stopping = True
            for watcher, task in zip(self.watchers, self.tasks, strict=True):
                await watcher.stop(task)

    def _run(self, watcher: ChangeWatcher, *, again: bool = False) -> asyncio.Task[None]:
        """The watcher's task; should it ever end before a stop, it is logged and started again."""

        async def run() -> None:
            if again:  # the stream it left may be half-way through a getMore: resumed from its token
                await watcher.drop_stream()
            await watcher.run()

        task = asyncio.create_task(run(), name=f"live-{watcher.collection.name}")

        def ended(task: asyncio.Task[None]) -> None:
            if watcher.stopping:
                return
            error = None if task.cancelled() else task.exception()
            logger.error("watcher of %s ended (%r); starting it again", watcher.collection.name, error)
            watcher.restarts += 1
            self.tasks[self.watchers.index(watcher)] = self._run(watcher, again=True)

        task.add_done_callback(ended)
        return task

    @property
    def restarts(self) -> int:
        return sum(watcher.restarts for watcher in self.watchers)


def _hub(context: Context) -> LiveHub:
    if context.live is None:
        raise SubscriptionEnded(UNAVAILABLE, UNAVAILABLE_MESSAGE)
    return context.live


def refreshed(context: Context) -> None:
    """New loaders: a connection lives long, its loaders' cache must not."""
    context.loaders = Loaders.for_request(context.stores, context.viewer)


def _reading(context: Context, event: Event) -> None:
    """The event's loaders for this viewer, shared with its other subscribers (see ``Event``)."""
    context.loaders = event.loaders(context.stores, context.viewer)


async def notifications_of_viewer(context: Context) -> AsyncIterator[NotificationRecord]:
    """The viewer's new notifications, as they are written (the caller checked the viewer)."""
    assert context.viewer.user_id is not None
    with _hub(context).subscribed(("user", context.viewer.user_id)) as subscriber:
        async for event in subscriber.events():
            _reading(context, event)
            yield NotificationRecord.model_validate(event.document)


async def thread_to_watch(context: Context, thread_id: str) -> str | FieldError:
    """The thread's stored ID, or NOT_FOUND when it is unknown, unreadable or hidden to the viewer."""
    thread = await find_thread(context, thread_id, argument="id")
    if isinstance(thread, FieldError):
        return thread
    if thread.state is not PostState.VISIBLE and not can_read_post_text(context.viewer, thread):
        return FieldError("id", ErrorCode.NOT_FOUND, "No thread has this ID.")
    return thread.id


async def replies_in(context: Context, global_id: str, thread_id: str) -> AsyncIterator[ReplyRecord]:
    """New replies of a thread (checked by ``thread_to_watch``), as they are posted.

    Each one is checked again first: once the thread is hidden from the viewer, or its item
    unpublished or withdrawn, the subscription ends with ``NOT_FOUND`` instead.
    """
    with _hub(context).subscribed(("thread", thread_id)) as subscriber:
        async for event in subscriber.events():
            _reading(context, event)
            if isinstance(still := await thread_to_watch(context, global_id), FieldError):
                raise SubscriptionEnded(still.code.value, still.message)
            yield ReplyRecord.model_validate(event.document)


def connection_key(viewer: Viewer, client_address: str) -> str:
    return f"user:{viewer.user_id}" if viewer.user_id else f"address:{client_address}"
