"""Leases: at most one holder at a time among any number of app instances, expiring by itself.

A background worker that must run on one instance only (the search indexer; later the
notification outbox, the email digests) holds a named lease:

- ``kept()`` runs a heartbeat beside the worker for as long as it works: it takes the lease when
  it is free and renews it often (every fifth of the TTL), in a task of its own, so that a long
  wait of the worker (a Meilisearch task, up to 30 s) never lets the lease lapse. On exit it stops
  the heartbeat and releases the lease, so that another instance takes over at once.
- ``held()`` says, without a round trip, whether the lease is surely still ours. The worker asks
  it before every side effect another holder must not repeat or reorder (a batch sent to
  Meilisearch). The holder counts on its own monotonic clock, from *before* each successful
  renewal request was sent, the TTL less a safety margin: a renewal that took long, or a process
  that stalled (a paused VM, a starved event loop), therefore ends its own belief before the
  lease ends for the others, and an instance that cannot reach MongoDB stops before anyone may
  take over.

Clocks. ``expires_at`` is written from the renewing instance's wall clock and compared with the
wall clock of the instance that wants to take over, so the hosts' clocks must agree to well
within the margin (a fifth of the TTL: a second by default). NTP-synced hosts agree to a few
milliseconds. A host whose clock runs ahead could take a lease up to its lead early.

A holder that died stops renewing, and its lease ends a TTL (five seconds by default) after its
last renewal at most. On Linux a lease also records which process holds it (``Process``): a new
instance on the same host, with the same boot and PID namespace, that finds the holder's process
gone, or its PID reused by a process started at another time, takes the lease over at once, which
is what a crashed app restarted on the same machine (`make run`, a systemd restart) needs. Nothing
is taken over on a guess: when the process cannot be examined, the lease is left to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from storage.errors import StorageError
from storage.store import Document, translate_errors, utc_now

logger = logging.getLogger("lumbung.leases")

DEFAULT_TTL = timedelta(seconds=5)
# How long a stopping holder waits for its cancelled heartbeat before it releases the lease anyway.
HEARTBEAT_STOP_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class Process:
    """An OS process, named precisely enough for another process on its host to prove it dead.

    A PID alone is not enough: PIDs are reused, and each container has its own PID numbers under
    a hostname that may be shared. So the boot, the PID namespace and the process's start time
    (clock ticks after boot, from /proc) come with it.
    """

    host: str
    boot_id: str
    pid_namespace: str
    pid: int
    start_ticks: int

    @classmethod
    def current(cls) -> Process | None:
        """This process; None where /proc does not tell (not Linux)."""
        try:
            return cls(
                host=socket.gethostname(),
                boot_id=Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
                pid_namespace=os.readlink("/proc/self/ns/pid"),
                pid=os.getpid(),
                start_ticks=_start_ticks(os.getpid()),
            )
        except (OSError, ValueError, IndexError):
            return None

    @classmethod
    def from_document(cls, document: Any) -> Process | None:
        try:
            return cls(**document)
        except TypeError:  # absent, or written by another version
            return None

    def proved_dead(self) -> bool:
        """Whether this process has certainly ended, as seen from the calling process."""
        here = Process.current()
        if here is None or (here.host, here.boot_id, here.pid_namespace) != (
            self.host,
            self.boot_id,
            self.pid_namespace,
        ):
            return False  # another machine or container: its /proc is not ours to read
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, another user's: its start time tells whether the PID was reused
        try:
            stat = _stat(self.pid)
        except FileNotFoundError:
            return True  # ended since
        except (OSError, ValueError, IndexError):
            return False  # hidden from us (hidepid): cannot tell
        # A zombie (killed, not reaped yet) can no longer do anything.
        return stat[0] in ("Z", "X") or int(stat[19]) != self.start_ticks


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces): state first."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _start_ticks(pid: int) -> int:
    return int(_stat(pid)[19])  # field 22 of proc(5), starttime


class Lease:
    """A named lease in MongoDB, taken, renewed and released by one owner (see the module)."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        name: str,
        owner: str,
        ttl: timedelta = DEFAULT_TTL,
        renew_every: timedelta | None = None,
        margin: timedelta | None = None,
        process: Process | None = None,
    ) -> None:
        """``owner`` must be unique to this holder; ``process``, if given, lets a successor on the
        same host take the lease over at once once this process is dead."""
        self.collection = collection
        self.name = name
        self.owner = owner
        self.ttl = ttl
        # Five chances to renew within a TTL: one slow or failed renewal costs nothing.
        self.renew_every = renew_every if renew_every is not None else ttl / 5
        # Covers the hosts' clock difference and the time between a held() check and the side
        # effect it guards (an HTTP request leaving).
        self.margin = margin if margin is not None else ttl / 5
        if self.margin >= ttl:
            raise ValueError("a lease's margin must be shorter than its TTL")
        self.process = process
        self._held_until = -math.inf  # time.monotonic() until which the lease is surely ours
        # Bumped by release(): an answer to a renewal sent before it must not make the lease ours.
        self._generation = 0
        self._gained = asyncio.Event()

    def held(self) -> bool:
        """Whether the lease is surely ours right now (no round trip)."""
        return time.monotonic() < self._held_until

    @translate_errors
    async def acquire(self) -> bool:
        """Take the lease if free, expired or its holder proved dead, or renew it; whether we hold it.

        StorageUnavailable leaves what we knew as it was: the lease may still be ours, until
        ``held()`` says it is surely not.
        """
        started = time.monotonic()  # before the request: the lease is counted from its start
        generation = self._generation
        now = utc_now()
        mine = {"owner": self.owner, "expires_at": now + self.ttl, "process": self._process_document()}
        try:
            found = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {"$set": mine},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            won = found is not None and found["owner"] == self.owner
        except DuplicateKeyError:  # someone else holds it: the upsert met their document
            won = False
        if not won and self.process is not None:
            won = await self._take_from_dead(mine)
        if won and generation == self._generation:
            # max: of two renewals answered out of order, the one sent later counts
            self._held_until = max(self._held_until, started + (self.ttl - self.margin).total_seconds())
            self._gained.set()
        elif not won:
            self._held_until = -math.inf
        return won

    async def _take_from_dead(self, mine: Document) -> bool:
        """Take the lease from a holder proved dead: compare-and-set on the holder and expiry read."""
        current = await self.collection.find_one({"_id": self.name})
        if current is None:
            return False
        holder = Process.from_document(current.get("process"))
        if holder is None or not await asyncio.to_thread(holder.proved_dead):
            return False
        taken = await self.collection.update_one(
            {"_id": self.name, "owner": current["owner"], "expires_at": current["expires_at"]},
            {"$set": mine},
        )
        if taken.modified_count:
            logger.info("lease %s taken over from %s, whose process has ended", self.name, current["owner"])
        return bool(taken.modified_count)

    def _process_document(self) -> dict[str, Any] | None:
        return asdict(self.process) if self.process is not None else None

    @translate_errors
    async def release(self) -> None:
        self._held_until = -math.inf
        self._generation += 1
        await self.collection.delete_one({"_id": self.name, "owner": self.owner})

    async def wait_held(self) -> None:
        """Until the lease is ours (the heartbeat of ``kept()`` takes it once it is free)."""
        while not self.held():
            self._gained.clear()
            await self._gained.wait()

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[Lease]:
        """A heartbeat that takes and renews the lease while the block runs; released after it."""
        heartbeat = asyncio.create_task(self._beat(), name=f"lease-{self.name}")
        try:
            yield self
        finally:
            await _stop(heartbeat, self.name)
            with contextlib.suppress(StorageError):
                await self.release()

    async def _beat(self) -> None:
        failing = False
        while True:
            try:
                # A renewal slower than the TTL is worth nothing: give up on it and try again.
                async with asyncio.timeout(self.ttl.total_seconds()):
                    await self.acquire()
                if failing:
                    logger.info("lease %s: MongoDB answers again", self.name)
                failing = False
            except (StorageError, TimeoutError) as exc:
                if not failing:  # once per outage, not every beat
                    logger.warning("lease %s cannot be renewed (%s); held until it runs out", self.name, exc)
                failing = True
            except Exception:  # a heartbeat that dies would leave its worker idle for good
                logger.exception("lease %s: renewal failed unexpectedly", self.name)
                failing = True
            await asyncio.sleep(self.renew_every.total_seconds())


async def _stop(heartbeat: asyncio.Task[None], name: str) -> None:
    """Cancel ``heartbeat`` and wait for it, but not for ever.

    Cut off from MongoDB, a renewal can sit in pymongo's connection-pool wait, which under
    Python 3.11 re-takes its lock before it lets a cancellation through: the task then stays
    "cancelling" until the pool is closed or the network is back. The cancellation stands, so the
    renewal is never sent; waiting for it would only hang the shutdown of a worker (or a test)
    that lost its network.
    """
    heartbeat.cancel()
    await asyncio.wait({heartbeat}, timeout=HEARTBEAT_STOP_WAIT_S)
    if not heartbeat.done():
        logger.warning("lease %s: its renewal under way has not stopped yet; released without it", name)
