"""Reports of posts and exchange requests, and the moderation queue they make for reviewers."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from storage.pagination import Page, SortOrder, newest_key, read_page
from storage.records import Id, Record
from storage.store import Document, new_id, translate_errors, utc_now
from storage.vocabulary import ReportReason, ReportStatus

REPORTS = "reports"
# The open reports, newest first, and every report of one subject.
REPORT_INDEXES = (
    (("status", 1), ("newest_key", -1)),
    (("subject_id", 1), ("status", 1)),
)


class AlreadyReported(Exception):
    """The reporter already reported this subject."""


class ReportRecord(Record):
    id: Id
    subject_collection: str
    subject_id: Id
    reporter_id: Id
    reporter_name: str | None = None
    reason: ReportReason
    text: str | None = None
    status: ReportStatus
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: Id | None = None
    resolution: str | None = None


def _report_id(collection: str, subject_id: str, reporter_id: str) -> str:
    # One report per reporter and subject: the ID itself keeps a second one out.
    return f"{collection}:{subject_id}:{reporter_id}"


class ReportStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    @staticmethod
    def _record(document: Document) -> ReportRecord:
        return ReportRecord.model_validate({**document, "id": document["_id"]})

    @translate_errors
    async def report(
        self,
        *,
        subject_collection: str,
        subject_id: str,
        reporter_id: str,
        reporter_name: str | None,
        reason: ReportReason,
        text: str | None,
    ) -> ReportRecord:
        now = utc_now()
        report_id = _report_id(subject_collection, subject_id, reporter_id)
        document: Document = {
            "_id": report_id,
            "subject_collection": subject_collection,
            "subject_id": subject_id,
            "reporter_id": reporter_id,
            "reporter_name": reporter_name,
            "reason": reason.value,
            "text": text,
            "status": ReportStatus.OPEN.value,
            "created_at": now,
            "newest_key": newest_key(now, new_id()),
        }
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as exc:
            raise AlreadyReported(report_id) from exc
        return self._record(document)

    @translate_errors
    async def open_page(self, *, first: int, after: str | None) -> Page[ReportRecord]:
        return await read_page(
            self.collection,
            {"status": ReportStatus.OPEN.value},
            order=SortOrder.NEWEST,
            first=first,
            after=after,
            parse=self._record,
        )

    @translate_errors
    async def count_open(self) -> int:
        return await self.collection.count_documents({"status": ReportStatus.OPEN.value})

    async def close_open(
        self,
        *,
        subject_id: str,
        status: ReportStatus,
        by: str | None,
        resolution: str,
        session: AsyncClientSession | None = None,
    ) -> int:
        """Close every open report of a subject (inside the moderator's transaction)."""
        result = await self.collection.update_many(
            {"subject_id": subject_id, "status": ReportStatus.OPEN.value},
            {
                "$set": {
                    "status": status.value,
                    "resolved_at": utc_now(),
                    "resolved_by": by,
                    "resolution": resolution,
                }
            },
            session=session,
        )
        return result.modified_count

    @translate_errors
    async def open_counts(self, subject_ids: list[str]) -> list[int]:
        counts = dict.fromkeys(subject_ids, 0)
        query = {"subject_id": {"$in": subject_ids}, "status": ReportStatus.OPEN.value}
        async for document in self.collection.find(query, {"subject_id": 1}):
            counts[document["subject_id"]] += 1
        return [counts[subject_id] for subject_id in subject_ids]
