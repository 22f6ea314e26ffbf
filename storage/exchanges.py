"""Peer exchanges: their collection, indexes, completion statistics and the conversion write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from storage.records import ExchangeRecord, ExchangeStats, Record
from storage.store import AuditNote, Document, Referenced, VersionedStore, translate_errors, utc_now
from storage.vocabulary import ExchangeState

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
