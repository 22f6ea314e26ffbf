"""Change streams: one watcher per collection, resumed where it stopped after any stream error.

Every app instance runs one :class:`ChangeWatcher` per watched collection (the live updates,
``resolvers/live.py``); it hands each change to a callback that must not block (it fans out to
in-process queues). The watcher keeps the resume token of the last change it handed on (or the
stream's post-batch token while nothing happens) and reopens the stream after an error with
``resumeAfter`` that token, so what was written while the stream was down is still delivered.

The token is only as good as the oplog: once the oplog has rolled past it (an outage longer than
the oplog window), the server refuses it (``ChangeStreamHistoryLost``, ``InvalidResumeToken``,
``ChangeStreamFatalError``). The watcher then opens a stream from now and, once it is open, calls
``on_history_lost`` (as it does when it has no token to resume from): whatever was written in
between is not replayed, and subscribers must refetch (README "Live updates").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure, PyMongoError

from storage.store import Document

logger = logging.getLogger("lumbung.changes")

# A resume token the server cannot resume from: older than the oplog (ChangeStreamHistoryLost),
# a fatal stream error, or a token it does not take (InvalidResumeToken; SecantusDB: code 9
# FailedToParse, "not a valid resume token"). Retrying with it would fail for ever.
HISTORY_LOST = 286
UNRESUMABLE = frozenset({HISTORY_LOST, 260, 280})
FAILED_TO_PARSE = 9


def lost_place(exc: OperationFailure) -> bool:
    return exc.code in UNRESUMABLE or (exc.code == FAILED_TO_PARSE and "resume token" in str(exc))


# How long one getMore waits for changes before it returns an empty batch (a resume token); a
# stop waits for the getMore under way (cancelling pymongo while it connects leaks the socket).
MAX_AWAIT_MS = 250
STOP_WAIT_S = 5.0
RETRY_WAIT_MIN = 0.05
RETRY_WAIT_MAX = 5.0

FaultPoint = Callable[[str], Awaitable[None]]


async def _no_fault(step: str) -> None:
    del step


def _nothing() -> None:
    pass


class ChangeWatcher:
    """Inserts into one collection, handed to ``on_change`` in order, resumed after errors."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        on_change: Callable[[Document], None],
        *,
        operations: Sequence[str] = ("insert",),
        on_history_lost: Callable[[], None] = _nothing,
        fault: FaultPoint | None = None,
    ) -> None:
        self.collection = collection
        self.on_change = on_change
        self.on_history_lost = on_history_lost
        self.fault = fault or _no_fault
        self.pipeline: list[Mapping[str, Any]] = [{"$match": {"operationType": {"$in": list(operations)}}}]
        self.resume_token: Mapping[str, Any] | None = None
        # The open stream (None between two): a test closes it to inject a stream error.
        self.stream: AsyncChangeStream[Document] | None = None
        # Reopenings of the stream (after an error, or the watcher's task ended and started again);
        # changes ``on_change`` failed on.
        self.restarts = 0
        self.failed_changes = 0
        self.stopping = False

    async def _open(self) -> AsyncChangeStream[Document]:
        return await self.collection.watch(
            self.pipeline, resume_after=self.resume_token, max_await_time_ms=MAX_AWAIT_MS
        )

    async def start(self) -> None:
        """Open the stream now, so that whatever is written from here on is delivered."""
        self.stream = await self._open()
        self.resume_token = self.stream.resume_token

    async def run(self) -> None:
        """Deliver changes for ever; reopen with the last resume token after any stream error."""
        wait = RETRY_WAIT_MIN
        while not self.stopping:
            try:
                if self.stream is None:
                    await self.fault("resume")
                    lost = self.resume_token is None  # from now on: what came between is lost
                    self.stream = await self._open()
                    self.restarts += 1
                    if lost:
                        # Told once the new stream is open: what the subscribers refetch now,
                        # and what is written after, is all they need.
                        self.resume_token = self.stream.resume_token
                        self.on_history_lost()
                stream = self.stream
                while stream.alive and not self.stopping:
                    change = await stream.try_next()
                    if change is not None:
                        self._hand_on(change)
                    # After a change its own token, else the batch's: nothing before it is lost.
                    if stream.resume_token is not None:
                        self.resume_token = stream.resume_token
                    wait = RETRY_WAIT_MIN
                if self.stopping:
                    break
                logger.warning("change stream of %s closed; resuming", self.collection.name)
            except asyncio.CancelledError:
                raise
            except OperationFailure as exc:
                if lost_place(exc):
                    logger.warning(
                        "change stream of %s cannot resume (%s); starting from now: subscribers must refetch",
                        self.collection.name,
                        exc,
                    )
                    self.resume_token = None  # on_history_lost once the new stream is open
                else:
                    logger.warning("change stream of %s failed: %s; resuming", self.collection.name, exc)
            except (PyMongoError, StopAsyncIteration) as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from exc
                logger.warning("change stream of %s failed: %s; resuming", self.collection.name, exc)
            except Exception:  # a bug must not end the watcher for good: it backs off and resumes
                logger.exception("watcher of %s failed; resuming", self.collection.name)
            await self.drop_stream()
            for _ in range(max(1, round(wait / RETRY_WAIT_MIN))):  # a stop does not wait it out
                if self.stopping:
                    break
                await asyncio.sleep(RETRY_WAIT_MIN)
            wait = min(wait * 2, RETRY_WAIT_MAX)
        await self.drop_stream()

    def _hand_on(self, change: Document) -> None:
        """One change to ``on_change``; if that fails, the change is logged and the next one goes on."""
        try:
            self.on_change(change)
        except Exception:
            self.failed_changes += 1
            logger.exception("a change of %s could not be handed on; skipped", self.collection.name)

    async def drop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                await stream.close()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """End ``task`` (running ``run``) once its getMore under way returns; cancel it if it hangs."""
        self.stopping = True
        try:
            async with asyncio.timeout(STOP_WAIT_S):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await self.drop_stream()
