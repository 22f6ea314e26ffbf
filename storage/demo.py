"""Demo content: realistic but fictional practices, case studies, partnerships and discussions.

The JSON files under ``demo/`` refer to each other by ``key``; loading gives every item a fresh
ID, resolves the keys and marks every record ``is_demo`` so it can be told apart (and removed).
Demo posts are signed by name by the staff of demo organizations: they have no author account.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from importlib import resources
from typing import Any

from storage.database import Stores
from storage.records import Record
from storage.store import Document, VersionedStore, new_id, translate_errors

_CONTENT_FILES = ("practices", "case_studies", "partnerships", "replications")
# `@[Nama Organisasi]` in a post, as resolvers/discussions.py reads it; demo text names its
# organizations exactly.
_MENTION = re.compile(r"@\[([^\[\]\n]{2,200})\]")


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
    for items in files.values():
        for item in items:
            keys.assign(item)
    counts: dict[str, int] = {}
    for name, items in files.items():
        store: VersionedStore[Any] = getattr(stores, name)
        documents = [_prepare(item, keys) for item in items]
        counts[name] = await _load(store, documents, store.record_type)
    collections = {item["key"]: name for name in _CONTENT_FILES for item in files[name]}
    organizations = {item["name"]: keys(item["key"]) for item in files["organizations"]}
    threads, replies = _discussions(read_demo_file("discussions"), keys, collections, organizations)
    await stores.discussions.insert_many(threads, replies)
    counts["threads"], counts["replies"] = len(threads), len(replies)
    return counts


def _post(item: dict[str, Any], keys: _Keys, organizations: dict[str, str]) -> Document:
    """What a thread and a reply share: the ID, text, author, mentions and time."""
    mentioned = [organizations[name] for name in dict.fromkeys(_MENTION.findall(item["body"]))]
    return {
        "_id": keys.assign(item),
        "body": item["body"],
        "author_id": None,
        "author_name": item["author_name"],
        "author_organization_id": keys(item["author_organization"]),
        "mentioned_organization_ids": mentioned,
        "created_at": datetime.fromisoformat(item["created_at"]),
        "is_demo": True,
    }


def _discussions(
    items: list[dict[str, Any]], keys: _Keys, collections: dict[str, str], organizations: dict[str, str]
) -> tuple[list[Document], list[Document]]:
    """Threads and replies from ``discussions.json``: a thread names its item, a reply the
    reply it quotes and a question its accepted answer, all by key."""
    threads: list[Document] = []
    replies: list[Document] = []
    for item in items:
        thread = _post(item, keys, organizations)
        its_replies = [
            {**_post(reply, keys, organizations), "thread_id": thread["_id"]} for reply in item["replies"]
        ]
        for reply, written in zip(its_replies, item["replies"], strict=True):
            quoted = keys(written["quotes"]) if written.get("quotes") else None
            if quoted is not None and quoted not in {other["_id"] for other in its_replies}:
                raise ValueError(f"{written['key']} quotes a reply of another thread")
            reply["quoted_reply_id"] = quoted
        threads.append(
            {
                **thread,
                "subject_collection": collections[item["subject"]],
                "subject_id": keys(item["subject"]),
                "kind": item["kind"],
                "title": item.get("title"),
                "accepted_reply_id": keys(item["accepted"]) if item.get("accepted") else None,
                "accepted_at": datetime.fromisoformat(item["accepted_at"]) if item.get("accepted") else None,
            }
        )
        replies.extend(its_replies)
    return threads, replies


@translate_errors
async def has_content(stores: Stores) -> bool:
    return await stores.organizations.collection.find_one({}, {"_id": 1}) is not None


@translate_errors
async def demo_organization_ids(stores: Stores, names: list[str]) -> dict[str, str]:
    """IDs of the demo organizations with these names (demo users are placed by name)."""
    cursor = stores.organizations.collection.find({"name": {"$in": names}, "is_demo": True}, {"name": 1})
    return {document["name"]: document["_id"] async for document in cursor}
