"""Demo content: realistic but fictional practices, case studies, partnerships and exchanges.

The JSON files under ``demo/`` refer to each other by ``key``; loading gives every item a fresh
ID, resolves the keys and marks every record ``is_demo`` so it can be told apart (and removed).
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from storage.database import Stores
from storage.records import Record
from storage.store import Document, VersionedStore, new_id, translate_errors

_CONTENT_FILES = ("practices", "case_studies", "partnerships", "replications")
_SUBJECT_FILES = {"practices": "PRACTICE", "partnerships": "PARTNERSHIP"}


def read_demo_file(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        resources.files("storage").joinpath("demo", f"{name}.json").read_text(encoding="utf-8")
    )
    return data


class _Keys:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def assign(self, item: dict[str, Any]) -> str:
        self.ids[item["key"]] = new_id()
        return self.ids[item["key"]]

    def __call__(self, key: str) -> str:
        return self.ids[key]


def _prepare(item: dict[str, Any], keys: _Keys) -> Document:
    document = {k: v for k, v in item.items() if k != "key"}
    document["_id"] = keys(item["key"])
    document["is_demo"] = True
    if "organization" in document:
        document["organization_id"] = keys(document.pop("organization"))
    if "practice" in document:
        document["practice_id"] = keys(document.pop("practice"))
    if "related_practices" in document:
        document["related_practice_ids"] = [keys(k) for k in document.pop("related_practices")]
    for nested in ("partners", "contributions"):
        for entry in document.get(nested, []):
            entry["organization_id"] = keys(entry.pop("organization"))
    if "created_at" in document:
        document["created_at"] = datetime.fromisoformat(document["created_at"])
    return document


def _prepare_exchange(item: dict[str, Any], keys: _Keys, subjects: dict[str, tuple[str, str]]) -> Document:
    """An exchange: its subject's kind and owner come from the subject's own item.

    ``last_by`` names the side that took the latest step: the other side is the one to notify.
    """
    subject_kind, owner_key = subjects[item["subject"]]
    owner, requester = keys(owner_key), keys(item["requester"])
    document = {
        k: v for k, v in item.items() if k not in ("key", "subject", "requester", "replication", "last_by")
    }
    document.update(
        _id=keys(item["key"]),
        is_demo=True,
        subject_kind=subject_kind,
        subject_id=keys(item["subject"]),
        owner_organization_id=owner,
        requester_organization_id=requester,
        replication_id=keys(item["replication"]) if "replication" in item else None,
        notify_organization_ids=[owner if item["last_by"] == "requester" else requester],
        created_at=datetime.fromisoformat(item["created_at"]),
    )
    return document


async def _load(store: VersionedStore[Any], documents: list[Document], record_type: type[Record]) -> int:
    for document in documents:  # fail loudly on a data error rather than store a bad record
        record_type.model_validate({**document, "version": 1, "updated_at": document.get("created_at")})
    await store.insert_many(documents)
    return len(documents)


@translate_errors
async def load_demo_content(stores: Stores) -> dict[str, int]:
    """Insert the demo organizations and content; returns how many of each were loaded."""
    keys = _Keys()
    files = {name: read_demo_file(name) for name in ("organizations", *_CONTENT_FILES)}
    exchanges = read_demo_file("exchanges")
    for items in (*files.values(), exchanges):
        for item in items:
            keys.assign(item)
    counts: dict[str, int] = {}
    for name, items in files.items():
        store: VersionedStore[Any] = getattr(stores, name)
        documents = [_prepare(item, keys) for item in items]
        counts[name] = await _load(store, documents, store.record_type)
    subjects = {
        item["key"]: (kind, item["organization"])
        for name, kind in _SUBJECT_FILES.items()
        for item in files[name]
    }
    documents = [_prepare_exchange(item, keys, subjects) for item in exchanges]
    counts["exchanges"] = await _load(stores.exchanges, documents, stores.exchanges.record_type)
    return counts


@translate_errors
async def has_content(stores: Stores) -> bool:
    return await stores.organizations.collection.find_one({}, {"_id": 1}) is not None


@translate_errors
async def demo_organization_ids(stores: Stores, names: list[str]) -> dict[str, str]:
    """IDs of the demo organizations with these names (demo users are placed by name)."""
    cursor = stores.organizations.collection.find({"name": {"$in": names}, "is_demo": True}, {"name": 1})
    return {document["name"]: document["_id"] async for document in cursor}
