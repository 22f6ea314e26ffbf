"""A collection of versioned records: reads by ID, keyset pages, compare-and-set writes."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ConnectionFailure, OperationFailure

from storage.errors import InUse, MissingReference, NotFound, StorageUnavailable, VersionConflict
from storage.pagination import Page, SortOrder, newest_key, read_page, title_key
from storage.records import Record
from storage.vocabulary import AuditAction

R = TypeVar("R", bound=Record)
P = ParamSpec("P")
T = TypeVar("T")

Document = dict[str, Any]


class Filter(Protocol):
    def to_query(self) -> dict[str, Any]: ...


def translate_errors(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Report an unreachable MongoDB as StorageUnavailable, whatever the driver raised."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except ConnectionFailure as exc:  # also server selection and network timeouts
            raise StorageUnavailable("MongoDB is unreachable") from exc

    return wrapper


def utc_now() -> datetime:
    # MongoDB keeps milliseconds: truncate so what we return equals what a re-read returns.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_id() -> str:
    """IDs are ObjectId hex strings: unique, roughly time-ordered, the same type everywhere."""
    return str(ObjectId())


def sort_key(text: str) -> str:
    """Case- and accent-insensitive key for ordering by title or name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def region_scope(codes: Sequence[str]) -> list[str]:
    """The codes and every code above them, so a filter on a province finds its kelurahan."""
    scope: set[str] = set()
    for code in codes:
        parts = code.split(".")
        scope.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return sorted(scope)


# Set on every write of a searchable record, in the same single-document write; the search
# indexer clears it (compare-and-set on the version) once the search engine holds that version.
SEARCH_PENDING = "search_pending"
# When the record became pending, set and cleared with the mark: the age of the search backlog
# (search/backlog.py). A write sets it (the version it makes supersedes any earlier one still
# pending); marking a record again for another reason keeps the earlier time.
SEARCH_PENDING_SINCE = "search_pending_since"
# Set by the indexer instead of clearing the mark when the search engine refuses a version of a
# record ({"version", "error", "at"}): the record is parked until its next write sets the mark
# again. Cleared once a version is indexed.
SEARCH_FAILED = "search_failed"
# Deletions of searchable records, written in the delete's transaction (a transactional outbox).
SEARCH_OUTBOX = "search_outbox"
# Clears the mark ($unset): the record's version is in the search engine, or parked.
SEARCH_MARK_FIELDS = {SEARCH_PENDING: "", SEARCH_PENDING_SINCE: ""}


def search_mark() -> Document:
    """The update that marks records pending again, keeping when they first became so."""
    return {"$set": {SEARCH_PENDING: True}, "$min": {SEARCH_PENDING_SINCE: utc_now()}}


# Who changed what: one entry per write of an audited store, written in the write's transaction.
AUDIT_TRAIL = "audit_trail"


# Incremented, in the writer's transaction, on every record that a new write points at (see
# Referenced): a concurrent delete of that record then conflicts with the write instead of
# leaving it pointing at nothing.
REFERENCE_HOLDS = "reference_holds"


@dataclass(frozen=True, slots=True)
class Referenced:
    """A record that a write points at: it must exist when the write commits."""

    store: VersionedStore[Any]
    id: str


@dataclass(frozen=True, slots=True)
class Dependents:
    """Records that point at the one to delete: while one exists, it is not deleted, for ``reason``."""

    store: VersionedStore[Any]
    filter: Filter
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditNote:
    """What the caller knows of a write for the audit trail; the store adds the rest."""

    action: AuditAction
    actor_id: str | None
    actor_name: str | None
    # {"field": ..., "before": ..., "after": ...} with JSON values
    changes: Sequence[Mapping[str, Any]] = ()
    comment: str | None = None
    # The organizations a later notifier must tell of this change (peer exchanges).
    notify_organization_ids: Sequence[str] = ()

    def entry(self, *, collection: str, subject_id: str, version: int | None) -> Document:
        notify = (
            {"notify_organization_ids": list(self.notify_organization_ids)}
            if self.notify_organization_ids
            else {}
        )
        return {
            "_id": new_id(),
            "subject_collection": collection,
            "subject_id": subject_id,
            "action": self.action.value,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "at": utc_now(),
            "version": version,
            "changes": [dict(change) for change in self.changes],
            "comment": self.comment,
            **notify,
        }


class VersionedStore(Generic[R]):
    """One MongoDB collection of records carrying a version number for optimistic concurrency.

    ``derive`` adds the stored-only fields (sort key, region scope) computed from the user's.
    A ``searchable`` store also records, atomically with each write, that the search index
    must catch up with it (see SEARCH_PENDING and SEARCH_OUTBOX).
    """

    def __init__(
        self,
        collection: AsyncCollection[Document],
        record_type: type[R],
        *,
        derive: Callable[[Mapping[str, Any]], Document],
        searchable: bool = False,
        sort_keys: Callable[[Mapping[str, Any], str], Document] | None = None,
    ) -> None:
        self.collection = collection
        self.record_type = record_type
        self.searchable = searchable
        self._derive = derive
        # More unique sort keys, from the fields and the record's ID (events: soonest first).
        self._sort_keys = sort_keys
        self._outbox = collection.database[SEARCH_OUTBOX]
        self._audit_trail = collection.database[AUDIT_TRAIL]

    def _record(self, document: Document) -> R:
        return self.record_type.model_validate(document)

    @translate_errors
    async def get_many(self, ids: Sequence[str]) -> list[R | None]:
        """Records in the order of ``ids``; None where an ID has no record."""
        found = {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": list(ids)}})}
        return [self._record(found[i]) if i in found else None for i in ids]

    @translate_errors
    async def find_page(self, *, filter: Filter, order: SortOrder, first: int, after: str | None) -> Page[R]:
        return await read_page(
            self.collection, filter.to_query(), order=order, first=first, after=after, parse=self._record
        )

    @translate_errors
    async def count(self, *, filter: Filter) -> int:
        return await self.collection.count_documents(filter.to_query())

    @translate_errors
    async def find_all(self, *, filter: Filter) -> list[R]:
        return [self._record(doc) async for doc in self.collection.find(filter.to_query())]

    def _document(self, fields: Mapping[str, Any], *, record_id: str, **meta: Any) -> Document:
        """The stored fields: the user's, the derived ones, the sort keys and the search mark."""
        derived = self._derive(fields)
        keys: Document = {"title_key": title_key(derived["sort_key"], record_id)}
        if "created_at" in meta:
            keys["newest_key"] = newest_key(meta["created_at"], record_id)
        if self._sort_keys is not None:
            keys.update(self._sort_keys(fields, record_id))
        pending = {SEARCH_PENDING: True, SEARCH_PENDING_SINCE: utc_now()} if self.searchable else {}
        return {**fields, **derived, **keys, **meta, **pending}

    async def _atomically(
        self, write: Callable[[AsyncClientSession | None], Awaitable[T]], *, transaction: bool
    ) -> T:
        """Run ``write`` alone, or in a transaction when it writes more than one document."""
        if not transaction:
            return await write(None)

        async def in_transaction(session: AsyncClientSession) -> T:
            return await write(session)

        async with self.collection.database.client.start_session() as session:
            # with_transaction retries the transient conflicts of concurrent transactions
            return await session.with_transaction(in_transaction)

    @staticmethod
    async def _hold(references: Sequence[Referenced], session: AsyncClientSession | None) -> None:
        """Write to every referenced record; MissingReference for the first one that is gone.

        Checking that it exists is not enough: a delete committing between the check and this
        write's commit would leave this record pointing at nothing. A write to it makes such a
        delete and this transaction conflict, and MongoDB lets only one of them commit.
        """
        for reference in references:
            store = reference.store
            held = await store.collection.update_one(
                {"_id": reference.id}, {"$inc": {REFERENCE_HOLDS: 1}}, session=session
            )
            if held.matched_count == 0:
                raise MissingReference(collection=store.collection.name, id=reference.id)

    async def _audit(
        self,
        note: AuditNote | None,
        *,
        subject_id: str,
        version: int | None,
        session: AsyncClientSession | None,
    ) -> None:
        if note is not None:
            entry = note.entry(collection=self.collection.name, subject_id=subject_id, version=version)
            await self._audit_trail.insert_one(entry, session=session)

    @translate_errors
    async def insert(
        self,
        fields: Mapping[str, Any],
        *,
        audit: AuditNote | None = None,
        references: Sequence[Referenced] = (),
    ) -> R:
        """A new record, if every record in ``references`` still exists (MissingReference)."""
        now = utc_now()
        record_id = new_id()
        document = self._document(
            fields, record_id=record_id, _id=record_id, version=1, created_at=now, updated_at=now
        )

        async def write(session: AsyncClientSession | None) -> None:
            await self._hold(references, session)
            await self.collection.insert_one(document, session=session)
            await self._audit(audit, subject_id=record_id, version=1, session=session)

        await self._atomically(write, transaction=audit is not None or bool(references))
        return self._record(document)

    @translate_errors
    async def rederive_all(self) -> None:
        """Compute every record's stored-only fields again from its own (a migration step)."""
        async for document in self.collection.find({}):
            record_id = document["_id"]
            fields = self._document(document, record_id=record_id, created_at=document["created_at"])
            del fields["_id"]
            await self.collection.update_one({"_id": record_id}, {"$set": fields})

    @translate_errors
    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Bulk load of prepared records (demo content): each mapping carries its own ``_id``."""
        now = utc_now()
        prepared = [
            self._document(
                doc, record_id=doc["_id"], version=1, created_at=doc.get("created_at", now), updated_at=now
            )
            for doc in documents
        ]
        if prepared:
            await self.collection.insert_many(prepared, ordered=False)

    @translate_errors
    async def update(
        self,
        *,
        id: str,
        expected_version: int,
        fields: Mapping[str, Any],
        audit: AuditNote | None = None,
        references: Sequence[Referenced] = (),
        also: Callable[[AsyncClientSession | None], Awaitable[Any]] | None = None,
    ) -> R:
        """Replace the user fields if the stored version is ``expected_version``; bump it.

        ``references`` are the records the new fields point at that the old ones did not: each
        must still exist (MissingReference). ``also`` writes more in the same transaction (an
        event's change told to its registrants).
        """

        async def write(session: AsyncClientSession | None) -> Document:
            await self._hold(references, session)
            # update_one, then a read in the same transaction, rather than find_one_and_update:
            # SecantusDB's findAndModify takes time in proportion to the collection (150-400 ms
            # over 12,000 practices; update_one 5 ms). On MongoDB it costs one more round trip.
            result = await self.collection.update_one(
                {"_id": id, "version": expected_version},
                {
                    "$set": {**self._document(fields, record_id=id), "updated_at": utc_now()},
                    "$inc": {"version": 1},
                },
                session=session,
            )
            if result.matched_count == 0:
                raise await self._missed(id=id, expected_version=expected_version)
            document = await self.collection.find_one({"_id": id}, session=session)
            assert document is not None  # the transaction reads its own write
            await self._audit(audit, subject_id=id, version=document["version"], session=session)
            if also is not None:
                await also(session)
            return document

        return self._record(await self._atomically(write, transaction=True))

    @translate_errors
    async def delete(
        self,
        *,
        id: str,
        expected_version: int,
        audit: AuditNote | None = None,
        dependents: Sequence[Dependents] = (),
        also: Callable[[AsyncClientSession | None], Awaitable[Any]] | None = None,
    ) -> None:
        """Delete if still at ``expected_version`` and no dependent exists (InUse).

        ``also`` deletes more in the same transaction (an item's indicator reports).

        A searchable record leaves an outbox entry. A dependent written concurrently either
        commits first, and is seen here when the conflict on the record retries this
        transaction, or finds the record gone (see ``_hold``).
        """

        async def write(session: AsyncClientSession | None) -> None:
            result = await self.collection.delete_one(
                {"_id": id, "version": expected_version}, session=session
            )
            if result.deleted_count == 0:
                raise await self._missed(id=id, expected_version=expected_version)
            for dependent in dependents:
                query = dependent.filter.to_query()
                if await dependent.store.collection.find_one(query, {"_id": 1}, session=session):
                    raise InUse(dependent.reason)
            if self.searchable:
                await self._unindex(id, session=session)
            await self._audit(audit, subject_id=id, version=None, session=session)
            if also is not None:
                await also(session)

        transaction = self.searchable or audit is not None or bool(dependents) or also is not None
        await self._atomically(write, transaction=transaction)

    async def _unindex(self, id: str, *, session: AsyncClientSession | None = None) -> None:
        """An outbox entry: the indexer deletes the record from the search index."""
        await self._outbox.replace_one(
            {"_id": f"{self.collection.name}:{id}"},
            {"collection": self.collection.name, "record_id": id, "deleted_at": utc_now(), "done": False},
            upsert=True,
            session=session,
        )

    @translate_errors
    async def catch_up_search(self, ids: Sequence[str], *, indexed_version: int) -> None:
        """Have the indexer look again at records whose ``indexed_version`` reached the index late.

        Those still at another version are marked pending (the current one goes in again); those
        deleted meanwhile get an outbox entry (the late copy comes out again).
        """
        found = [doc async for doc in self.collection.find({"_id": {"$in": list(ids)}}, {"version": 1})]
        newer = [doc["_id"] for doc in found if doc["version"] != indexed_version]
        if newer:
            await self.collection.update_many(
                {"_id": {"$in": newer}, "version": {"$ne": indexed_version}}, search_mark()
            )
        for id in set(ids) - {doc["_id"] for doc in found}:
            await self._unindex(id)

    async def _missed(self, *, id: str, expected_version: int) -> NotFound | VersionConflict:
        current = await self.collection.find_one({"_id": id}, {"version": 1})
        if current is None:
            return NotFound(id)
        return VersionConflict(expected=expected_version, actual=current["version"])


async def ensure_indexes(
    collection: AsyncCollection[Document],
    indexes: Sequence[Sequence[tuple[str, int]]],
    *,
    sparse: bool = False,
) -> None:
    """Create missing indexes; MongoDB treats an existing identical index as a no-op.

    A ``sparse`` index holds only the documents that have its field: for a field that few have.
    """
    for keys in indexes:
        try:
            await collection.create_index(list(keys), sparse=sparse)
        except OperationFailure as exc:  # an index with other options exists: keep the existing
            if exc.code not in (85, 86):
                raise
