"""Discussions: threads on content items, their replies, and what must be told of them.

A thread belongs to one item (a practice, case study, partnership or replication) and is either
a question or a comment; replies hang off the thread one level deep (a reply to a reply quotes
it). Every write here is one MongoDB transaction that also

- writes the audit entry (every post, edit, deletion, accepted answer and moderation step);
- marks the thread for the search indexer (a thread's search document holds its replies);
- appends to the activity outbox what the notifications worker must tell whom (a new question
  to the item's organization, a reply to the asker, a mention to the organization mentioned),
  so that nothing a later reader needs is lost between two writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from storage.activity import ACTIVITY_OUTBOX, record_activity
from storage.errors import NotFound, VersionConflict
from storage.pagination import Page, SortOrder, newest_key, read_page, title_key
from storage.records import Id, Record, VersionedRecord
from storage.store import (
    AUDIT_TRAIL,
    SEARCH_PENDING,
    SEARCH_PENDING_SINCE,
    AuditNote,
    Document,
    VersionedStore,
    new_id,
    sort_key,
    translate_errors,
    utc_now,
)
from storage.vocabulary import DiscussionKind, PostState

THREADS = "threads"
REPLIES = "replies"


class Moderation(Record):
    """A moderator's decision to hide a post, and why."""

    hidden_at: datetime
    hidden_by: Id | None = None
    hidden_by_name: str | None = None
    reason: str


class Post(VersionedRecord):
    """What threads and replies share: the author, the text, and its state."""

    subject_collection: str
    subject_id: Id
    body: str | None = None  # None once deleted
    author_id: Id | None = None
    author_name: str | None = None
    author_organization_id: Id | None = None
    mentioned_organization_ids: list[Id] = Field(default_factory=list)
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    moderation: Moderation | None = None

    @property
    def state(self) -> PostState:
        if self.deleted_at is not None:
            return PostState.DELETED
        if self.moderation is not None:
            return PostState.HIDDEN
        return PostState.VISIBLE


class ThreadRecord(Post):
    kind: DiscussionKind
    title: str | None = None
    accepted_reply_id: Id | None = None
    accepted_at: datetime | None = None
    accepted_by: Id | None = None
    reply_count: int = Field(default=0, ge=0)
    last_activity_at: datetime


class ReplyRecord(Post):
    thread_id: Id
    # A reply to a reply quotes it instead of nesting under it.
    quoted_reply_id: Id | None = None


def activity_key(moment: datetime, record_id: str) -> str:
    """The sort key of "newest activity first": the last activity's time, then the ID."""
    return newest_key(moment, record_id)


def _derive_thread(fields: Mapping[str, Any]) -> Document:
    return {"sort_key": sort_key(fields.get("title") or fields.get("body") or "")}


def _derive_reply(fields: Mapping[str, Any]) -> Document:
    return {"sort_key": ""}


# Listings of an item's threads by newest activity, optionally by kind and answered state, and
# a user's own threads; replies of a thread in the order written; posts of a user over time
# (the rate limit).
THREAD_INDEXES = (
    (("subject_id", 1), ("activity_key", -1)),
    (("subject_id", 1), ("kind", 1), ("activity_key", -1)),
    (("subject_id", 1), ("kind", 1), ("answered", 1), ("activity_key", -1)),
    (("author_id", 1), ("activity_key", -1)),
    (("author_id", 1), ("created_at", 1)),
)
REPLY_INDEXES = (
    (("thread_id", 1), ("newest_key", 1)),
    (("author_id", 1), ("created_at", 1)),
)


class DiscussionStore:
    """Threads, replies and the activity outbox of one database."""

    def __init__(self, threads: AsyncCollection[Document], replies: AsyncCollection[Document]) -> None:
        database = threads.database
        self.threads = VersionedStore(threads, ThreadRecord, derive=_derive_thread, searchable=True)
        self.replies = VersionedStore(replies, ReplyRecord, derive=_derive_reply)
        self.activity = database[ACTIVITY_OUTBOX]
        self._audit = database[AUDIT_TRAIL]
        self._organizations = database["organizations"]

    # --- reads -------------------------------------------------------------------------------

    @translate_errors
    async def thread_page(
        self,
        *,
        subject_ids: Sequence[str] = (),
        author_id: str | None = None,
        kind: DiscussionKind | None = None,
        answered: bool | None = None,
        first: int,
        after: str | None,
    ) -> Page[ThreadRecord]:
        query: dict[str, Any] = {}
        if subject_ids:
            query["subject_id"] = subject_ids[0] if len(subject_ids) == 1 else {"$in": list(subject_ids)}
        if author_id is not None:
            query["author_id"] = author_id
        if kind is not None:
            query["kind"] = kind.value
        if answered is not None:
            # A comment is neither answered nor open: the filter asks about questions.
            query["kind"] = DiscussionKind.QUESTION.value
            query["answered"] = answered
        return await read_page(
            self.threads.collection,
            query,
            order=SortOrder.ACTIVITY,
            first=first,
            after=after,
            parse=ThreadRecord.model_validate,
        )

    @translate_errors
    async def count_threads(self, *, subject_ids: Sequence[str] = (), author_id: str | None = None) -> int:
        query: dict[str, Any] = {}
        if subject_ids:
            query["subject_id"] = {"$in": list(subject_ids)}
        if author_id is not None:
            query["author_id"] = author_id
        return await self.threads.collection.count_documents(query)

    @translate_errors
    async def question_counts(self, subject_ids: Sequence[str]) -> list[tuple[int, int, int]]:
        """(threads, open questions, answered questions) of each subject, in one aggregation."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"subject_id": {"$in": list(subject_ids)}}},
            {
                "$group": {
                    "_id": {"subject": "$subject_id", "kind": "$kind", "answered": "$answered"},
                    "n": {"$sum": 1},
                }
            },
        ]
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        async for row in await self.threads.collection.aggregate(pipeline):
            key = row["_id"]
            entry = counts[key["subject"]]
            entry[0] += row["n"]
            if key["kind"] == DiscussionKind.QUESTION.value:
                entry[2 if key.get("answered") else 1] += row["n"]
        return [tuple(counts[subject]) for subject in subject_ids]  # type: ignore[misc]  # 3 ints

    @translate_errors
    async def replies_of(self, thread_ids: Sequence[str], *, limit: int) -> list[list[ReplyRecord]]:
        """The first ``limit`` replies of each thread in the order written, with one query."""
        grouped: dict[str, list[ReplyRecord]] = defaultdict(list)
        cursor = self.replies.collection.find({"thread_id": {"$in": list(thread_ids)}}).sort("newest_key", 1)
        async for document in cursor:
            reply = ReplyRecord.model_validate(document)
            if len(grouped[reply.thread_id]) < limit:
                grouped[reply.thread_id].append(reply)
        return [grouped[thread_id] for thread_id in thread_ids]

    @translate_errors
    async def reply_page(self, *, thread_id: str, first: int, after: str | None) -> Page[ReplyRecord]:
        return await read_page(
            self.replies.collection,
            {"thread_id": thread_id},
            order=SortOrder.WRITTEN,
            first=first,
            after=after,
            parse=ReplyRecord.model_validate,
        )

    @translate_errors
    async def posts_since(self, *, author_id: str, since: datetime) -> int:
        """How many threads and replies ``author_id`` wrote since ``since`` (the rate limit)."""
        query = {"author_id": author_id, "created_at": {"$gte": since}}
        threads = await self.threads.collection.count_documents(query)
        return threads + await self.replies.collection.count_documents(query)

    @translate_errors
    async def organizations_named(self, names: Sequence[str]) -> list[str | None]:
        """The ID of the organization with each name (case and accents ignored), or None.

        A range on the indexed ``title_key`` (folded name, then ID): no collection scan.
        """
        found: list[str | None] = []
        for name in names:
            start = title_key(sort_key(name), "")
            document = await self._organizations.find_one(
                {"title_key": {"$gte": start, "$lt": start + "\U0010ffff"}}, {"_id": 1}
            )
            found.append(str(document["_id"]) if document else None)
        return found

    # --- writes ------------------------------------------------------------------------------

    async def _transaction(self, write: Any) -> Any:
        async with self.threads.collection.database.client.start_session() as session:
            return await session.with_transaction(write)

    async def _audit_entry(
        self, note: AuditNote, *, collection: str, subject_id: str, version: int, session: AsyncClientSession
    ) -> None:
        entry = note.entry(collection=collection, subject_id=subject_id, version=version)
        await self._audit.insert_one(entry, session=session)

    async def _tell(
        self,
        activities: Sequence[Mapping[str, Any]],
        *,
        thread: Mapping[str, Any],
        actor_id: str | None,
        reply_id: str | None,
        session: AsyncClientSession,
    ) -> None:
        await record_activity(
            self.activity.database,
            activities,
            actor_id=actor_id,
            session=session,
            thread_id=thread["_id"],
            reply_id=reply_id,
            subject_collection=thread["subject_collection"],
            subject_id=thread["subject_id"],
        )

    @translate_errors
    async def post_thread(
        self,
        fields: Mapping[str, Any],
        *,
        audit: AuditNote,
        tell: Sequence[Mapping[str, Any]] = (),
    ) -> ThreadRecord:
        now = utc_now()
        thread_id = new_id()
        document: Document = {
            **fields,
            **_derive_thread(fields),
            "_id": thread_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "last_activity_at": now,
            "activity_key": activity_key(now, thread_id),
            "newest_key": newest_key(now, thread_id),
            "reply_count": 0,
            "answered": False,
            SEARCH_PENDING: True,
            SEARCH_PENDING_SINCE: utc_now(),
        }

        async def write(session: AsyncClientSession) -> None:
            await self.threads.collection.insert_one(document, session=session)
            await self._audit_entry(
                audit, collection=THREADS, subject_id=thread_id, version=1, session=session
            )
            await self._tell(tell, thread=document, actor_id=audit.actor_id, reply_id=None, session=session)

        await self._transaction(write)
        return ThreadRecord.model_validate(document)

    @translate_errors
    async def post_reply(
        self,
        fields: Mapping[str, Any],
        *,
        thread_id: str,
        audit: AuditNote,
        tell: Sequence[Mapping[str, Any]] = (),
    ) -> ReplyRecord:
        """A reply, and its thread moved to the top of its item's discussion (NotFound if gone)."""
        now = utc_now()
        reply_id = new_id()
        document: Document = {
            **fields,
            "_id": reply_id,
            "thread_id": thread_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "newest_key": newest_key(now, reply_id),
            "sort_key": "",
        }

        async def write(session: AsyncClientSession) -> None:
            thread = await self.threads.collection.find_one_and_update(
                {"_id": thread_id},
                {
                    "$set": {
                        "last_activity_at": now,
                        "activity_key": activity_key(now, thread_id),
                        SEARCH_PENDING: True,
                        SEARCH_PENDING_SINCE: utc_now(),
                    },
                    "$inc": {"reply_count": 1},
                },
                session=session,
            )
            if thread is None:
                raise NotFound(thread_id)
            await self.replies.collection.insert_one(document, session=session)
            await self._audit_entry(
                audit, collection=REPLIES, subject_id=reply_id, version=1, session=session
            )
            await self._tell(tell, thread=thread, actor_id=audit.actor_id, reply_id=reply_id, session=session)

        await self._transaction(write)
        return ReplyRecord.model_validate(document)

    @translate_errors
    async def change_post(
        self,
        collection: str,
        *,
        id: str,
        expected_version: int,
        set: Mapping[str, Any],
        audit: AuditNote,
        unset: Sequence[str] = (),
        tell: Sequence[Mapping[str, Any]] = (),
        also: Callable[[AsyncClientSession], Awaitable[Any]] | None = None,
    ) -> Document:
        """Set fields of a thread or reply if still at ``expected_version``; audited, re-indexed.

        ``also`` writes more in the same transaction (a moderator closing the post's reports).
        Returns the stored document after the change (NotFound, VersionConflict).
        """
        target = self.threads.collection if collection == THREADS else self.replies.collection

        async def write(session: AsyncClientSession) -> Document:
            update: dict[str, Any] = {"$set": {**set, "updated_at": utc_now()}, "$inc": {"version": 1}}
            if unset:
                update["$unset"] = dict.fromkeys(unset, "")
            result = await target.update_one(
                {"_id": id, "version": expected_version}, update, session=session
            )
            if result.matched_count == 0:
                current = await target.find_one({"_id": id}, {"version": 1}, session=session)
                if current is None:
                    raise NotFound(id)
                raise VersionConflict(expected=expected_version, actual=current["version"])
            document = await target.find_one({"_id": id}, session=session)
            assert document is not None  # the transaction reads its own write
            thread_id = document["_id"] if collection == THREADS else document["thread_id"]
            await self.threads.collection.update_one(
                {"_id": thread_id},
                {"$set": {SEARCH_PENDING: True, SEARCH_PENDING_SINCE: utc_now()}},
                session=session,
            )
            await self._audit_entry(
                audit, collection=collection, subject_id=id, version=document["version"], session=session
            )
            if tell:
                thread = (
                    document
                    if collection == THREADS
                    else await self.threads.collection.find_one({"_id": thread_id}, session=session)
                )
                assert thread is not None
                reply_id = None if collection == THREADS else id
                await self._tell(
                    tell, thread=thread, actor_id=audit.actor_id, reply_id=reply_id, session=session
                )
            if also is not None:
                await also(session)
            return document

        result: Document = await self._transaction(write)
        return result

    @translate_errors
    async def insert_many(
        self, threads: Sequence[Mapping[str, Any]], replies: Sequence[Mapping[str, Any]]
    ) -> None:
        """Bulk load of written-out threads and their replies (demo content), in one transaction.

        Each mapping carries its own ``_id`` and ``created_at``, and a reply its ``thread_id``;
        what the live writes keep up to date follows from them here: the sort keys, a reply's
        item (its thread's), a thread's last activity, reply count, answered state and search
        mark. Nothing is audited and nobody is told: nobody did this. ValueError for a reply of
        no given thread, an accepted answer that is not a reply of its thread, or a field that a
        record refuses; nothing is written then.
        """
        replies_of: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for fields in replies:
            replies_of[fields["thread_id"]].append(fields)
        if unknown := set(replies_of) - {fields["_id"] for fields in threads}:
            raise ValueError(f"replies of no given thread: {sorted(unknown)}")
        thread_documents: list[Document] = []
        reply_documents: list[Document] = []
        for fields in threads:
            thread_id = fields["_id"]
            its_replies = [
                {
                    **reply,
                    **_derive_reply(reply),
                    "subject_collection": fields["subject_collection"],
                    "subject_id": fields["subject_id"],
                    "version": 1,
                    "updated_at": reply.get("edited_at") or reply["created_at"],
                    "newest_key": newest_key(reply["created_at"], reply["_id"]),
                }
                for reply in replies_of[thread_id]
            ]
            accepted = fields.get("accepted_reply_id")
            if accepted is not None and accepted not in {reply["_id"] for reply in its_replies}:
                raise ValueError(f"thread {thread_id}: its accepted answer {accepted} is none of its replies")
            created: datetime = fields["created_at"]
            last_activity = max([created, *(reply["created_at"] for reply in its_replies)])
            changes = [created, *(fields.get(name) for name in ("edited_at", "accepted_at"))]
            document: Document = {
                **fields,
                **_derive_thread(fields),
                "version": 1,
                "updated_at": max(moment for moment in changes if moment is not None),
                "last_activity_at": last_activity,
                "activity_key": activity_key(last_activity, thread_id),
                "newest_key": newest_key(created, thread_id),
                "reply_count": len(its_replies),
                "answered": accepted is not None,
                SEARCH_PENDING: True,
                SEARCH_PENDING_SINCE: utc_now(),
            }
            for reply in its_replies:  # fail loudly on a data error rather than store a bad post
                ReplyRecord.model_validate(reply)
            ThreadRecord.model_validate(document)
            thread_documents.append(document)
            reply_documents.extend(its_replies)

        async def write(session: AsyncClientSession) -> None:
            if thread_documents:
                await self.threads.collection.insert_many(thread_documents, session=session)
            if reply_documents:
                await self.replies.collection.insert_many(reply_documents, session=session)

        await self._transaction(write)

    @translate_errors
    async def mark_threads_of(
        self, subject_ids: Sequence[str], *, session: AsyncClientSession | None = None
    ) -> None:
        """Have the indexer send the threads of items again (their status or regions changed).

        With a ``session``, in the transaction of the write that changed the items.
        """
        if subject_ids:
            await self.threads.collection.update_many(
                {"subject_id": {"$in": list(subject_ids)}},
                {"$set": {SEARCH_PENDING: True, SEARCH_PENDING_SINCE: utc_now()}},
                session=session,
            )

    @translate_errors
    async def activities(self, *, thread_id: str) -> list[Document]:
        return await self.activity.find({"thread_id": thread_id}).sort("at", 1).to_list()
