"""`python -m server backup` and `restore`: every record back, at one snapshot, into an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient

from server.supervisor import LocalService
from storage.backup import MANIFEST, BackupError, NotEmpty, read_manifest, restore_backup, write_backup
from storage.database import DERIVED_FIELDS_MIGRATION, Stores
from storage.store import SEARCH_PENDING, SEARCH_PENDING_SINCE, Document
from tests.conftest import running_app, settings_for

BROWSE = 'query Browse { search(query: "", facets: []) { totalCount } }'


def _command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _env(mongo: LocalService, meili: LocalService, database: str, data_dir: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("LUMBUNG_", "MEILI_", "MONGODB_"))}
    return {
        **kept,
        "LUMBUNG_ENV": "test",
        "LUMBUNG_DATA_DIR": str(data_dir),
        "MONGODB_URI": mongo.url,
        "LUMBUNG_MONGODB_DATABASE": database,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.api_key or "",
    }


async def _everything(client: AsyncMongoClient[Document], database: str) -> dict[str, list[Document]]:
    """Every document of every collection, without the search indexer's marks.

    A reindex marks again what was written in the minute before it (writes that may have raced
    it: search/reindex.py), which is all of a demo hub seeded a moment ago; the indexer clears
    the marks as it sends them. They are bookkeeping of the search index, not of the record.
    """
    names = sorted(n for n in await client[database].list_collection_names() if not n.startswith("system."))
    return {
        name: [
            {k: v for k, v in document.items() if k not in (SEARCH_PENDING, SEARCH_PENDING_SINCE)}
            async for document in client[database][name].find({}).sort("_id", 1)
        ]
        for name in names
    }


def _differences(before: list[Document], after: list[Document]) -> list[tuple[Any, str, Any, Any]]:
    """The first few fields that differ, by document ID (for a failure's message)."""
    found = []
    for old, new in zip(before, after, strict=False):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                found.append((old.get("_id"), key, old.get(key), new.get(key)))
    return found[:5] if len(before) == len(after) else [("count", "", len(before), len(after))]


@pytest.fixture
async def restored_name(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[str]:
    name = f"restored_{uuid.uuid4().hex[:8]}"
    yield name
    await mongo_client.drop_database(name)


async def test_backup_and_restore_give_back_the_demo_hub_record_for_record(
    mongo: LocalService,
    meili: LocalService,
    mongo_client: AsyncMongoClient[Document],
    demo_database: str,
    restored_name: str,
    tmp_path: Path,
) -> None:
    # given: the demo hub, as `make run` seeds it
    archive = tmp_path / "lumbung.tar.gz"
    original = await _everything(mongo_client, demo_database)
    # when: it is backed up, then restored into another database (which is reindexed)
    backed_up = _command("backup", str(archive), env=_env(mongo, meili, demo_database, tmp_path / "a"))
    restored = _command("restore", str(archive), env=_env(mongo, meili, restored_name, tmp_path / "b"))
    # then: the commands said what they did
    assert backed_up.returncode == 0, backed_up.stderr
    assert restored.returncode == 0, restored.stderr
    assert backed_up.stdout.startswith("backed up ")
    assert "rebuilt the search indexes" in restored.stdout
    # and, with no terminal attached, progress came as plain lines: the collections, then the indexes
    assert "regions: " in backed_up.stderr
    assert f"{restored_name}_practices: " in restored.stderr
    assert "(100%)" in restored.stderr
    # and the archive says what it holds
    manifest = read_manifest(archive)
    assert manifest.database == demo_database
    assert manifest.schema_version == DERIVED_FIELDS_MIGRATION
    assert manifest.collections == {name: len(documents) for name, documents in original.items()}
    assert manifest.collections["regions"] > 90_000
    # and every record came back as it was, types and all
    again = await _everything(mongo_client, restored_name)
    assert set(again) == set(original)
    for name, documents in original.items():
        assert again[name] == documents, f"{name} differs: {_differences(documents, again[name])}"
    # and the restored hub finds as much as the original
    async with running_app(settings_for(mongo, meili, demo_database, search_indexer=False)) as first:
        before = (await first.data(BROWSE))["search"]["totalCount"]
    async with running_app(settings_for(mongo, meili, restored_name, search_indexer=False)) as second:
        after = (await second.data(BROWSE))["search"]["totalCount"]
    assert after == before > 0


async def test_a_backup_holds_one_point_in_time_while_writes_go_on(
    mongo: LocalService, mongo_client: AsyncMongoClient[Document], stores: Stores, tmp_path: Path
) -> None:
    # given: two collections; a write lands in the second while the first is being read
    database = stores.database
    await database["a_first"].insert_many([{"_id": n} for n in range(3)])
    await database["z_last"].insert_one({"_id": "before"})
    writer: MongoClient[Any] = MongoClient(mongo.url)

    def write_meanwhile(name: str, done: int, total: int) -> None:
        if name == "a_first" and done == total:
            writer[database.name]["z_last"].insert_one({"_id": "during"})

    # when
    try:
        manifest = await write_backup(
            mongo_client,
            database,
            tmp_path / "b.tar.gz",
            schema_version=DERIVED_FIELDS_MIGRATION,
            progress=write_meanwhile,
        )
    finally:
        writer.close()
    # then: the write happened, and the backup is of the moment before it
    assert await database["z_last"].count_documents({}) == 2
    assert manifest.collections["a_first"] == 3
    assert manifest.collections["z_last"] == 1
    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        member = archive.extractfile("collections/z_last.jsonl")
        assert member is not None
        assert b"during" not in member.read()
        assert MANIFEST in archive.getnames()


async def test_restore_refuses_a_database_that_holds_documents(stores: Stores, tmp_path: Path) -> None:
    # given: a backup of a database, which still holds its documents
    await stores.database["a_first"].insert_one({"_id": 1})
    archive = tmp_path / "b.tar.gz"
    await write_backup(
        stores.database.client, stores.database, archive, schema_version=DERIVED_FIELDS_MIGRATION
    )
    # when / then
    with pytest.raises(NotEmpty, match="restore only into an empty database"):
        await restore_backup(stores.database, archive)
    assert await stores.database["a_first"].count_documents({}) == 1


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    # given
    bogus = tmp_path / "bukan-cadangan.tar.gz"
    bogus.write_bytes(b"PK\x03\x04 a spreadsheet, perhaps")
    # when / then
    with pytest.raises(BackupError, match="is not a readable Lumbung backup"):
        read_manifest(bogus)
