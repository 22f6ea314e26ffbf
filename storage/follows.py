"""Follows: a user follows a theme, a region (and so everything below it), an organization or one item.

A follow is stored under its target key, ``<kind>:<id>`` (``REGION:32.76``, ``THEME:HEALTH``,
``PRACTICE:<hex>``): who follows what an item touches is one indexed ``$in`` over the keys of
its themes, its regions with every region above them, its organization and itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.collection import AsyncCollection

from storage.pagination import Page, SortOrder, newest_key, read_page
from storage.records import Id, Record
from storage.store import Document, translate_errors, utc_now
from storage.vocabulary import FollowKind

FOLLOWS = "follows"
FOLLOW_INDEXES = (
    (("user_id", 1), ("newest_key", -1)),
    (("target_key", 1), ("user_id", 1)),
)


def target_key(kind: FollowKind, target_id: str) -> str:
    return f"{kind.value}:{target_id}"


class FollowRecord(Record):
    id: str = Field(alias="_id")
    user_id: Id
    kind: FollowKind
    target_id: str
    created_at: datetime


class FollowStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    @staticmethod
    def _id(user_id: str, key: str) -> str:
        return f"{user_id}:{key}"

    @translate_errors
    async def follow(self, *, user_id: str, kind: FollowKind, target_id: str) -> tuple[FollowRecord, bool]:
        """The follow, and whether it is new (following twice changes nothing)."""
        key = target_key(kind, target_id)
        now = utc_now()
        document = {
            "_id": self._id(user_id, key),
            "user_id": user_id,
            "kind": kind.value,
            "target_id": target_id,
            "target_key": key,
            "created_at": now,
            "newest_key": newest_key(now, self._id(user_id, key)),
        }
        result = await self.collection.update_one(
            {"_id": document["_id"]}, {"$setOnInsert": document}, upsert=True
        )
        stored = await self.collection.find_one({"_id": document["_id"]})
        assert stored is not None
        return FollowRecord.model_validate(stored), result.upserted_id is not None

    @translate_errors
    async def unfollow(self, *, user_id: str, kind: FollowKind, target_id: str) -> bool:
        result = await self.collection.delete_one({"_id": self._id(user_id, target_key(kind, target_id))})
        return result.deleted_count == 1

    @translate_errors
    async def of_user(self, *, user_id: str, first: int, after: str | None) -> Page[FollowRecord]:
        return await read_page(
            self.collection,
            {"user_id": user_id},
            order=SortOrder.NEWEST,
            first=first,
            after=after,
            parse=FollowRecord.model_validate,
        )

    @translate_errors
    async def count_of_user(self, user_id: str) -> int:
        return await self.collection.count_documents({"user_id": user_id})

    @translate_errors
    async def follower_counts(self, keys: Sequence[str]) -> list[int]:
        counts = dict.fromkeys(keys, 0)
        pipeline: list[dict[str, Any]] = [
            {"$match": {"target_key": {"$in": list(keys)}}},
            {"$group": {"_id": "$target_key", "n": {"$sum": 1}}},
        ]
        async for row in await self.collection.aggregate(pipeline):
            counts[row["_id"]] = row["n"]
        return [counts[key] for key in keys]

    @translate_errors
    async def followed_by(self, user_id: str, keys: Sequence[str]) -> list[bool]:
        ids = [self._id(user_id, key) for key in keys]
        found = {doc["_id"] async for doc in self.collection.find({"_id": {"$in": ids}}, {"_id": 1})}
        return [self._id(user_id, key) in found for key in keys]

    @translate_errors
    async def followers_of(self, keys: Sequence[str]) -> list[str]:
        """Every user following any of ``keys``, once (the fan-out of one activity)."""
        cursor = self.collection.find({"target_key": {"$in": list(keys)}}, {"user_id": 1})
        return list(dict.fromkeys([doc["user_id"] async for doc in cursor]))
