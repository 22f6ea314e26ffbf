"""Notifications: one per recipient of an activity, and each user's notification settings.

A notification's ID is ``<activity id>:<user id>``: the worker that turns activities into
notifications may deliver an activity again after a crash, or two instances may race on one,
and the second insert of the same notification is refused by the ``_id`` index, so nobody is
told twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from storage.pagination import Page, SortOrder, newest_key, read_page
from storage.records import Id, Record
from storage.store import Document, translate_errors, utc_now
from storage.vocabulary import DigestFrequency, Language, NotificationReason

NOTIFICATIONS = "notifications"
NOTIFICATION_SETTINGS = "notification_settings"
NOTIFICATION_INDEXES = (
    (("user_id", 1), ("newest_key", -1)),
    (("user_id", 1), ("read", 1), ("newest_key", -1)),
)
_DUPLICATE_KEY = 11000


class NotificationRecord(Record):
    id: str = Field(alias="_id")
    user_id: Id
    reason: NotificationReason
    activity_id: Id
    actor_id: Id | None = None
    actor_name: str | None = None
    # The Node it is about, as a GraphQL type name and a stored ID ("Thread", "<hex>").
    subject_type: str
    subject_id: str
    # A short text to show without loading the subject (a title, a reviewer's comment).
    summary: str | None = None
    created_at: datetime
    read: bool = False
    read_at: datetime | None = None


class NotificationSettings(Record):
    id: str = Field(alias="_id")  # the user's ID
    muted_reasons: list[NotificationReason] = Field(default_factory=list)
    digest: DigestFrequency = DigestFrequency.WEEKLY
    language: Language = Language.ID
    # The end of the last period a digest was sent for (at most one per period and user).
    digest_sent_until: datetime | None = None


def notification_id(activity_id: str, user_id: str) -> str:
    return f"{activity_id}:{user_id}"


class NotificationStore:
    def __init__(self, collection: AsyncCollection[Document], settings: AsyncCollection[Document]) -> None:
        self.collection = collection
        self.settings = settings

    @translate_errors
    async def deliver(self, documents: Sequence[Document]) -> int:
        """Insert notifications (each carries its ``_id``); ones delivered before are skipped."""
        if not documents:
            return 0
        prepared = [
            {**document, "read": False, "newest_key": newest_key(document["created_at"], document["_id"])}
            for document in documents
        ]
        try:
            result = await self.collection.insert_many(prepared, ordered=False)
        except BulkWriteError as exc:
            if any(error["code"] != _DUPLICATE_KEY for error in exc.details["writeErrors"]):
                raise
            return int(exc.details["nInserted"])
        return len(result.inserted_ids)

    @translate_errors
    async def page(
        self, *, user_id: str, unread_only: bool, first: int, after: str | None
    ) -> Page[NotificationRecord]:
        query: dict[str, Any] = {"user_id": user_id}
        if unread_only:
            query["read"] = False
        return await read_page(
            self.collection,
            query,
            order=SortOrder.NEWEST,
            first=first,
            after=after,
            parse=NotificationRecord.model_validate,
        )

    @translate_errors
    async def get_many(self, ids: Sequence[str]) -> list[NotificationRecord | None]:
        found = {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": list(ids)}})}
        return [NotificationRecord.model_validate(found[i]) if i in found else None for i in ids]

    @translate_errors
    async def unread_count(self, user_id: str) -> int:
        return await self.collection.count_documents({"user_id": user_id, "read": False})

    @translate_errors
    async def count(self, user_id: str) -> int:
        return await self.collection.count_documents({"user_id": user_id})

    @translate_errors
    async def mark_read(self, *, user_id: str, ids: Sequence[str] | None) -> int:
        """Mark the user's own notifications (``ids``, or all when None) as read."""
        query: dict[str, Any] = {"user_id": user_id, "read": False}
        if ids is not None:
            query["_id"] = {"$in": list(ids)}
        result = await self.collection.update_many(query, {"$set": {"read": True, "read_at": utc_now()}})
        return result.modified_count

    @translate_errors
    async def settings_of(self, user_ids: Sequence[str]) -> list[NotificationSettings]:
        """Each user's settings, the defaults for those who set none."""
        found = {doc["_id"]: doc async for doc in self.settings.find({"_id": {"$in": list(user_ids)}})}
        return [
            NotificationSettings.model_validate(found.get(user_id, {"_id": user_id})) for user_id in user_ids
        ]

    @translate_errors
    async def save_settings(self, user_id: str, fields: dict[str, Any]) -> NotificationSettings:
        await self.settings.update_one({"_id": user_id}, {"$set": fields}, upsert=True)
        (settings,) = await self.settings_of([user_id])
        return settings
