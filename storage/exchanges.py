"""Peer exchanges: their collection, indexes, completion statistics and the conversion write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from storage.activity import record_activity
from storage.filters import ExchangeFilter
from storage.pagination import Page, SortOrder, encode_cursor, page_query
from storage.records import ExchangeRecord, ExchangeStats, Record
from storage.store import AuditNote, Document, Referenced, VersionedStore, translate_errors, utc_now
from storage.vocabulary import ActivityKind, AuditAction, ExchangeState

R = TypeVar("R", bound=Record)

_NEWEST = (("newest_key", -1),)
EXCHANGE_INDEXES = (
    # incoming and outgoing listings, with and without a state filter, newest first
    (("owner_organization_id", 1), *_NEWEST),
    (("owner_organization_id", 1), ("state", 1), *_NEWEST),
    (("requester_organization_id", 1), *_NEWEST),
    (("requester_organization_id", 1), ("state", 1), *_NEWEST),
    # completion statistics of a page of practices, and "is this practice asked about?"
    (("subject_id", 1), ("state", 1)),
    # "does this organization take part in an exchange?" before it is deleted
    (("party_organization_ids", 1),),
)


# The index of the statistics' $match. SecantusDB's planner uses none for an $in beside another
# condition unless told (MongoDB picks this one by itself).
STATS_HINT = {"subject_id": 1, "state": 1}


def completion_pipeline(subject_ids: Sequence[str]) -> list[Document]:
    """Completed exchanges per subject: how many, and their mean rating."""
    return [
        {"$match": {"subject_id": {"$in": list(subject_ids)}, "state": ExchangeState.COMPLETED.value}},
        {"$group": {"_id": "$subject_id", "count": {"$sum": 1}, "mean": {"$avg": "$rating"}}},
    ]


class Party(Enum):
    """A side of an exchange, by the field that names its organization."""

    OWNER = "owner_organization_id"
    REQUESTER = "requester_organization_id"

    def filter(self, organization_id: str, states: Sequence[ExchangeState]) -> ExchangeFilter:
        if self is Party.OWNER:
            return ExchangeFilter(owner_organization_id=organization_id, states=states)
        return ExchangeFilter(requester_organization_id=organization_id, states=states)

    def index(self, states: Sequence[ExchangeState]) -> dict[str, int]:
        """The listing index for a query on several organizations (see STATS_HINT for why a hint)."""
        return dict([(self.value, 1), *([("state", 1)] if states else []), *_NEWEST])


def _of_many(party: Party, organization_ids: Sequence[str], states: Sequence[ExchangeState]) -> Document:
    query = ExchangeFilter(states=states).to_query()
    return {party.value: {"$in": [str(i) for i in organization_ids]}, **query}


def listing_pipeline(
    party: Party,
    organization_ids: Sequence[str],
    *,
    states: Sequence[ExchangeState],
    first: int,
    after: str | None,
) -> list[Document]:
    """A page of each organization's exchanges, newest first (sent with the hint ``party.index``)."""
    order = SortOrder.NEWEST
    return [
        {"$match": page_query(_of_many(party, organization_ids, states), order, after)},
        {"$sort": dict(order.mongo_sort())},
        {"$group": {"_id": f"${party.value}", "documents": {"$push": "$$ROOT"}}},
        {"$project": {"documents": {"$slice": ["$documents", first + 1]}}},
    ]


def derive_exchange(fields: Mapping[str, Any]) -> Document:
    return {
        # VersionedStore keys every record by title too; an exchange has none, and is never
        # listed in that order.
        "sort_key": "",
        "party_organization_ids": sorted(
            {str(fields["requester_organization_id"]), str(fields["owner_organization_id"])}
        ),
    }


class ExchangeStore(VersionedStore[ExchangeRecord]):
    """Exchanges; each audited write also tells the parties it names (``notify_organization_ids``).

    The request and every step record, in their own transaction, an activity for the notifier
    (storage/activity.py): so the organizations involved hear of each step exactly once.
    """

    async def _audit(
        self,
        note: AuditNote | None,
        *,
        subject_id: str,
        version: int | None,
        session: AsyncClientSession | None,
    ) -> None:
        await super()._audit(note, subject_id=subject_id, version=version, session=session)
        if note is None or not note.notify_organization_ids:
            return
        requested = note.action is AuditAction.EXCHANGE_REQUESTED
        activity = {
            "kind": ActivityKind.EXCHANGE_REQUESTED if requested else ActivityKind.EXCHANGE_STEP,
            "organization_ids": list(note.notify_organization_ids),
            "summary": note.comment or note.action.label_id,
            "step": note.action.value,
        }
        await record_activity(
            self.collection.database,
            [activity],
            actor_id=note.actor_id,
            session=session,
            exchange_id=subject_id,
        )

    @translate_errors
    async def completion_stats(self, subject_ids: Sequence[str]) -> list[ExchangeStats]:
        """The completed exchanges of each subject and their mean rating, in one aggregation."""
        cursor = await self.collection.aggregate(completion_pipeline(subject_ids), hint=STATS_HINT)
        found = {
            document["_id"]: ExchangeStats(completed_count=document["count"], mean_rating=document["mean"])
            async for document in cursor
        }
        return [found.get(subject_id, ExchangeStats()) for subject_id in subject_ids]

    @translate_errors
    async def pages_of(
        self,
        party: Party,
        organization_ids: Sequence[str],
        *,
        states: Sequence[ExchangeState],
        first: int,
        after: str | None,
    ) -> list[Page[ExchangeRecord]]:
        """A page of each organization's exchanges on ``party``'s side, newest first.

        One organization is one indexed find. Several (a reviewer's page of organizations) are
        one aggregation, which reads every matching exchange of those organizations.
        """
        if len(organization_ids) == 1:
            query = party.filter(organization_ids[0], states)
            return [await self.find_page(filter=query, order=SortOrder.NEWEST, first=first, after=after)]
        pipeline = listing_pipeline(party, organization_ids, states=states, first=first, after=after)
        cursor = await self.collection.aggregate(pipeline, hint=party.index(states))
        grouped = {group["_id"]: group["documents"] async for group in cursor}
        pages = []
        for organization_id in organization_ids:
            documents = grouped.get(organization_id, [])
            shown = documents[:first]
            pages.append(
                Page(
                    items=[self._record(document) for document in shown],
                    cursors=[encode_cursor(SortOrder.NEWEST, document) for document in shown],
                    has_next_page=len(documents) > first,
                )
            )
        return pages

    @translate_errors
    async def counts_of(
        self, party: Party, organization_ids: Sequence[str], *, states: Sequence[ExchangeState]
    ) -> list[int]:
        """How many exchanges each organization has on ``party``'s side, in one command."""
        if len(organization_ids) == 1:
            return [await self.count(filter=party.filter(organization_ids[0], states))]
        pipeline: list[Document] = [
            {"$match": _of_many(party, organization_ids, states)},
            {"$group": {"_id": f"${party.value}", "count": {"$sum": 1}}},
        ]
        cursor = await self.collection.aggregate(pipeline, hint=party.index(states))
        counted = {group["_id"]: group["count"] async for group in cursor}
        return [counted.get(organization_id, 0) for organization_id in organization_ids]

    @translate_errors
    async def convert(
        self,
        *,
        id: str,
        expected_version: int,
        fields: Mapping[str, Any],
        audit: AuditNote,
        target: VersionedStore[R],
        new_id: str,
        new_fields: Mapping[str, Any],
        new_audit: AuditNote,
        references: Sequence[Referenced] = (),
    ) -> tuple[ExchangeRecord, R]:
        """Write ``fields`` over the exchange and insert the record it became, in one transaction.

        The exchange is written first, compare-and-set on its version: of two conversions of
        the same version, one fails with VersionConflict and inserts nothing.
        """
        now = utc_now()
        document = target._document(
            new_fields, record_id=new_id, _id=new_id, version=1, created_at=now, updated_at=now
        )

        async def write(session: AsyncClientSession | None) -> Document:
            await self._hold(references, session)
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
            await target.collection.insert_one(document, session=session)
            await target._audit(new_audit, subject_id=new_id, version=1, session=session)
            exchange = await self.collection.find_one({"_id": id}, session=session)
            assert exchange is not None  # the transaction reads its own write
            await self._audit(audit, subject_id=id, version=exchange["version"], session=session)
            return exchange

        exchange = await self._atomically(write, transaction=True)
        return self._record(exchange), target._record(document)
