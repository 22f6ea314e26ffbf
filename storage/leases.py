"""Leases: at most one holder at a time among any number of app instances, expiring by itself."""

from __future__ import annotations

from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from storage.store import Document, translate_errors, utc_now


class Lease:
    """A named lease in MongoDB. ``acquire`` takes or renews it; a crashed holder's lease expires."""

    def __init__(
        self, collection: AsyncCollection[Document], *, name: str, owner: str, ttl: timedelta
    ) -> None:
        self.collection = collection
        self.name = name
        self.owner = owner
        self.ttl = ttl

    @translate_errors
    async def acquire(self) -> bool:
        now = utc_now()
        try:
            held = await self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {"$set": {"owner": self.owner, "expires_at": now + self.ttl}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # someone else holds it: the upsert met their document
            return False
        return held is not None and held["owner"] == self.owner

    @translate_errors
    async def release(self) -> None:
        await self.collection.delete_one({"_id": self.name, "owner": self.owner})
