"""Backups of a whole database: a .tar.gz of every collection as extended JSON lines, and back.

The archive holds ``manifest.json`` (format, schema version, database, time, how the snapshot
was taken, and each collection's count) and ``collections/<name>.jsonl``, one document a line in
canonical extended JSON (types survive: dates, ObjectIds, 64-bit integers, binary data).

**One snapshot, while the hub serves.** Every collection is read at one point in time, so the
archive never holds a reply without its thread or an audit entry without its write:

- on MongoDB (a replica set, 5.0 or newer), through a session with ``snapshot=True``: every read
  of the session is at the same cluster time (within MongoDB's snapshot window,
  ``minSnapshotHistoryWindowInSeconds``, 300 s by default: a larger database needs it raised,
  or ``mongodump --oplog``);
- on SecantusDB, which accepts ``snapshot=True`` but does not honour it (a second read of the
  session sees a write made in between), inside one multi-document
  transaction, which reads at one snapshot there.

Collections created after the listing (a first write of a new kind during the backup) are not
in it. Restoring goes only into an empty database.
"""

from __future__ import annotations

import contextlib
import json
import tarfile
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, JSONOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern

from storage.store import Document

FORMAT = "lumbung-backup/1"
MANIFEST = "manifest.json"
BATCH = 5_000
_LOAD_OPTIONS = JSONOptions(tz_aware=True, tzinfo=UTC)

Progress = Callable[[str, int, int], None]


def _no_progress(name: str, done: int, total: int) -> None:
    del name, done, total


class BackupError(RuntimeError):
    """A backup that cannot be made or restored, with a sentence saying why."""


class NotEmpty(BackupError):
    """Restoring is refused: the target database holds documents."""


@dataclass(frozen=True, slots=True)
class Manifest:
    database: str
    schema_version: str
    created_at: str
    consistency: str
    collections: dict[str, int]
    format: str = FORMAT

    def as_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "database": self.database,
                "schema_version": self.schema_version,
                "created_at": self.created_at,
                "consistency": self.consistency,
                "collections": self.collections,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise BackupError(f"not a Lumbung backup of format {FORMAT} (found {data.get('format')!r})")
        return cls(
            database=data["database"],
            schema_version=data["schema_version"],
            created_at=data["created_at"],
            consistency=data["consistency"],
            collections={name: int(count) for name, count in data["collections"].items()},
        )


async def _collections(database: AsyncDatabase[Document]) -> list[str]:
    names = await database.list_collection_names(filter={"type": "collection"})
    return sorted(name for name in names if not name.startswith("system."))


async def _honours_snapshot_sessions(client: AsyncMongoClient[Document]) -> bool:
    info = await client.admin.command("buildInfo")
    return "secantusVersion" not in info


@contextlib.asynccontextmanager
async def _snapshot(client: AsyncMongoClient[Document]) -> AsyncIterator[tuple[AsyncClientSession, str]]:
    """A session whose reads all see one point in time, and how it does (see the module docstring)."""
    if await _honours_snapshot_sessions(client):
        async with client.start_session(snapshot=True) as session:
            yield session, "snapshot-session"
        return
    async with (
        client.start_session() as session,
        await session.start_transaction(read_concern=ReadConcern("snapshot")),
    ):
        yield session, "transaction"


async def write_backup(
    client: AsyncMongoClient[Document],
    database: AsyncDatabase[Document],
    path: Path,
    *,
    schema_version: str,
    progress: Progress = _no_progress,
) -> Manifest:
    """Every collection of ``database`` into the archive at ``path`` (written whole, then renamed)."""
    names = await _collections(database)
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as work:
        folder = Path(work)
        async with _snapshot(client) as (session, consistency):
            for name in names:
                collection = database[name]
                total = await collection.count_documents({}, session=session)
                done = 0
                with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as out:
                    async for document in collection.find({}, session=session).sort("_id", 1):
                        out.write(json_util.dumps(document, json_options=CANONICAL_JSON_OPTIONS))
                        out.write("\n")
                        done += 1
                        if done % BATCH == 0:
                            progress(name, done, total)
                counts[name] = done
                progress(name, done, max(total, done))
        manifest = Manifest(
            database=database.name,
            schema_version=schema_version,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            consistency=consistency,
            collections=counts,
        )
        (folder / MANIFEST).write_text(manifest.as_json(), encoding="utf-8")
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / MANIFEST, arcname=MANIFEST)
            for name in names:
                archive.add(folder / f"{name}.jsonl", arcname=f"collections/{name}.jsonl")
        partial.replace(path)
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise BackupError(f"{path} has no {MANIFEST}")
            return Manifest.parse(member.read().decode("utf-8"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a readable Lumbung backup: {exc}") from exc


async def check_empty(database: AsyncDatabase[Document]) -> None:
    holding = [
        name for name in await _collections(database) if await database[name].estimated_document_count()
    ]
    if holding:
        raise NotEmpty(
            f"the database {database.name!r} is not empty ({len(holding)} collections hold documents: "
            f"{', '.join(holding[:5])}{', ...' if len(holding) > 5 else ''}); restore only into an empty "
            "database: set LUMBUNG_MONGODB_DATABASE to a new name, or drop this one first"
        )


async def restore_backup(
    database: AsyncDatabase[Document], path: Path, *, progress: Progress = _no_progress
) -> Manifest:
    """The archive's documents into ``database``, which must be empty; indexes are the caller's."""
    manifest = read_manifest(path)
    await check_empty(database)
    with tarfile.open(path, "r:gz") as archive:
        for name, expected in manifest.collections.items():
            member = archive.extractfile(f"collections/{name}.jsonl")
            if member is None:
                raise BackupError(f"{path} lacks the collection {name}")
            if expected == 0:  # kept, empty, as it was
                await database.create_collection(name, check_exists=False)
            batch: list[Any] = []
            done = 0
            for line in member:
                batch.append(json_util.loads(line, json_options=_LOAD_OPTIONS))
                if len(batch) == BATCH:
                    await database[name].insert_many(batch, ordered=True)
                    done += len(batch)
                    batch = []
                    progress(name, done, expected)
            if batch:
                await database[name].insert_many(batch, ordered=True)
                done += len(batch)
            progress(name, done, expected)
            if done != expected:
                raise BackupError(f"{path}: {name} holds {done} documents, its manifest says {expected}")
    return manifest
