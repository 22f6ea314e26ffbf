"""Periodic reports of the indicators of practices and replications, and the calendar periods they name.

One report per item, indicator key and period (a unique index): reporting a period again
corrects it. Each write carries its audit entry on the item, in the same transaction, with the
report's values before and after, so a correction never loses what was reported first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from storage.errors import GranularityMismatch, MissingIndicator, NotFound, UnitChanged, VersionConflict
from storage.records import Id, Indicator, Record
from storage.store import (
    AUDIT_TRAIL,
    REFERENCE_HOLDS,
    AuditNote,
    Document,
    new_id,
    translate_errors,
    utc_now,
)
from storage.vocabulary import PeriodGranularity

INDICATOR_REPORTS = "indicator_reports"
# An index of an earlier release that the unique one makes redundant (reads go by item and key).
_REDUNDANT_INDEX = "subject_id_1_indicator_key_1_period_start_1"

# ASCII digits only (\d would take Arabic-Indic or full-width ones); the quarter's Q in either case.
_PATTERNS = {
    PeriodGranularity.MONTH: re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])", re.ASCII),
    PeriodGranularity.QUARTER: re.compile(r"([0-9]{4})-Q([1-4])", re.ASCII | re.IGNORECASE),
    PeriodGranularity.YEAR: re.compile(r"([0-9]{4})", re.ASCII),
}
PERIOD_FORMATS = {
    PeriodGranularity.MONTH: "YYYY-MM",
    PeriodGranularity.QUARTER: "YYYY-Qn",
    PeriodGranularity.YEAR: "YYYY",
}
_PER_YEAR = {PeriodGranularity.MONTH: 12, PeriodGranularity.QUARTER: 4, PeriodGranularity.YEAR: 1}


def period_ordinal(granularity: PeriodGranularity, period: str) -> int | None:
    """The period as a count of periods since year 0 (consecutive ones differ by one); None if malformed."""
    match = _PATTERNS[granularity].fullmatch(period)
    if match is None:
        return None
    year = int(match.group(1))
    if year < 1900:
        return None
    part = int(match.group(2)) - 1 if granularity is not PeriodGranularity.YEAR else 0
    return year * _PER_YEAR[granularity] + part


def canonical_period(granularity: PeriodGranularity, period: str) -> str | None:
    """The period as stored (2026-Q1 for 2026-q1); None if malformed."""
    ordinal = period_ordinal(granularity, period)
    return period_of_ordinal(granularity, ordinal) if ordinal is not None else None


def period_of_ordinal(granularity: PeriodGranularity, ordinal: int) -> str:
    year, part = divmod(ordinal, _PER_YEAR[granularity])
    match granularity:
        case PeriodGranularity.MONTH:
            return f"{year:04d}-{part + 1:02d}"
        case PeriodGranularity.QUARTER:
            return f"{year:04d}-Q{part + 1}"
        case _:
            return f"{year:04d}"


def period_containing(granularity: PeriodGranularity, day: date) -> str:
    """The period that ``day`` falls in."""
    per_year = _PER_YEAR[granularity]
    return period_of_ordinal(granularity, day.year * per_year + (day.month - 1) * per_year // 12)


def period_start(granularity: PeriodGranularity, period: str) -> date:
    """The first day of a well-formed period."""
    ordinal = period_ordinal(granularity, period)
    assert ordinal is not None, period
    year, part = divmod(ordinal, _PER_YEAR[granularity])
    return date(year, part * 12 // _PER_YEAR[granularity] + 1, 1)


class IndicatorReportRecord(Record):
    id: str = Field(alias="_id")
    subject_collection: str
    subject_id: Id
    indicator_key: str
    granularity: PeriodGranularity
    period: str
    # ISO date of the period's first day: orders the reports of an indicator
    period_start: str
    value: float
    note: str | None = None
    evidence_url: str | None = None
    reported_by: Id | None = None
    reported_by_name: str | None = None
    organization_id: Id | None = None
    version: int = 1
    created_at: datetime
    updated_at: datetime
    is_demo: bool = False

    def values(self) -> dict[str, Any]:
        """What the audit trail keeps of a report (JSON)."""
        return {"value": self.value, "note": self.note, "evidenceUrl": self.evidence_url}


def report_document(
    *,
    subject_collection: str,
    subject_id: str,
    indicator_key: str,
    granularity: PeriodGranularity,
    period: str,
    value: float,
    note: str | None,
    evidence_url: str | None,
    reported_by: str | None,
    reported_by_name: str | None,
    organization_id: str | None,
) -> Document:
    return {
        "subject_collection": subject_collection,
        "subject_id": subject_id,
        "indicator_key": indicator_key,
        "granularity": granularity.value,
        "period": period,
        "period_start": period_start(granularity, period).isoformat(),
        "value": value,
        "note": note,
        "evidence_url": evidence_url,
        "reported_by": reported_by,
        "reported_by_name": reported_by_name,
        "organization_id": organization_id,
    }


class IndicatorReportStore:
    """Reports, one per (item, indicator key, period), each write audited on its item."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection
        self._audit = collection.database[AUDIT_TRAIL]

    @staticmethod
    def _record(document: Document) -> IndicatorReportRecord:
        return IndicatorReportRecord.model_validate(document)

    async def ensure_indexes(self) -> None:
        # The period as stored is canonical (see canonical_period): one report per calendar period.
        await self.collection.create_index(
            [("subject_id", 1), ("indicator_key", 1), ("period", 1)], unique=True
        )
        if _REDUNDANT_INDEX in await self.collection.index_information():
            await self.collection.drop_index(_REDUNDANT_INDEX)

    @translate_errors
    async def of_subjects(self, subject_ids: Sequence[str]) -> list[list[IndicatorReportRecord]]:
        """Every report of each item, by indicator key then period, in the order of ``subject_ids``."""
        grouped: dict[str, list[IndicatorReportRecord]] = defaultdict(list)
        async for document in self.collection.find({"subject_id": {"$in": list(subject_ids)}}):
            record = self._record(document)
            grouped[record.subject_id].append(record)
        return [sorted(grouped[key], key=lambda r: (r.indicator_key, r.period_start)) for key in subject_ids]

    @translate_errors
    async def get(self, id: str) -> IndicatorReportRecord | None:
        document = await self.collection.find_one({"_id": id})
        return self._record(document) if document else None

    @translate_errors
    async def report(
        self, fields: Document, *, audit: AuditNote, corrected: AuditNote
    ) -> tuple[IndicatorReportRecord, IndicatorReportRecord | None]:
        """Store the report of its period, or correct the one stored; (the report, the one it replaced).

        ``audit`` is the note of a first report, ``corrected`` that of a correction: the store
        adds the values before and after.

        The transaction writes to the item (see store.py's ``_hold``), so a concurrent delete of
        the item, an edit of its indicators or another first report of the indicator conflicts
        with it, and what is checked here still holds when it commits: NotFound when the item is
        gone, MissingIndicator when it no longer has the indicator, GranularityMismatch when the
        indicator has reports of another granularity.
        """
        key = {k: fields[k] for k in ("subject_id", "indicator_key", "period")}
        subjects = self.collection.database[fields["subject_collection"]]

        async def write(session: AsyncClientSession) -> tuple[Document, Document | None]:
            held = await subjects.update_one(
                {"_id": fields["subject_id"]}, {"$inc": {REFERENCE_HOLDS: 1}}, session=session
            )
            if held.matched_count == 0:
                raise NotFound(fields["subject_id"])
            subject = await subjects.find_one({"_id": fields["subject_id"]}, {"results": 1}, session=session)
            results = (subject or {}).get("results") or []
            if fields["indicator_key"] not in {Indicator.model_validate(r).effective_key for r in results}:
                raise MissingIndicator(fields["indicator_key"])
            other = await self.collection.find_one(
                {
                    "subject_id": fields["subject_id"],
                    "indicator_key": fields["indicator_key"],
                    "granularity": {"$ne": fields["granularity"]},
                },
                {"granularity": 1},
                session=session,
            )
            if other is not None:
                raise GranularityMismatch(other["granularity"])
            before = await self.collection.find_one(key, session=session)
            now = utc_now()
            await self.collection.update_one(
                key,
                {
                    "$set": {**fields, "updated_at": now},
                    "$inc": {"version": 1},
                    "$setOnInsert": {"_id": new_id(), "created_at": now},
                },
                upsert=True,
                session=session,
            )
            after = await self.collection.find_one(key, session=session)
            assert after is not None  # the transaction reads its own write
            previous = self._record(before) if before else None
            note = audit if previous is None else corrected
            change = {
                "field": f"indicators.{fields['indicator_key']}.{fields['period']}",
                "before": previous.values() if previous else None,
                "after": self._record(after).values(),
            }
            entry = AuditNote(
                action=note.action,
                actor_id=note.actor_id,
                actor_name=note.actor_name,
                changes=[change],
                comment=note.comment,
            ).entry(collection=fields["subject_collection"], subject_id=fields["subject_id"], version=None)
            await self._audit.insert_one(entry, session=session)
            return after, before

        async with self.collection.database.client.start_session() as session:
            after, before = await session.with_transaction(write)
        return self._record(after), self._record(before) if before else None

    @translate_errors
    async def delete(self, report: IndicatorReportRecord, *, audit: AuditNote) -> None:
        """Delete the report if unchanged since read: NotFound when gone, VersionConflict when corrected."""

        async def write(session: AsyncClientSession) -> None:
            deleted = await self.collection.delete_one(
                {"_id": report.id, "version": report.version}, session=session
            )
            if deleted.deleted_count == 0:
                current = await self.collection.find_one({"_id": report.id}, {"version": 1}, session=session)
                if current is None:
                    raise NotFound(report.id)
                raise VersionConflict(expected=report.version, actual=current["version"])
            change = {
                "field": f"indicators.{report.indicator_key}.{report.period}",
                "before": report.values(),
                "after": None,
            }
            entry = AuditNote(
                action=audit.action, actor_id=audit.actor_id, actor_name=audit.actor_name, changes=[change]
            ).entry(collection=report.subject_collection, subject_id=report.subject_id, version=None)
            await self._audit.insert_one(entry, session=session)

        async with self.collection.database.client.start_session() as session:
            await session.with_transaction(write)

    async def follow_edit(
        self,
        *,
        subject_collection: str,
        subject_id: str,
        removed: Sequence[str],
        unit_changed: Sequence[str],
        audit: AuditNote,
        session: AsyncClientSession | None,
    ) -> None:
        """In an edit's transaction: the reports of the indicators it removed go, audited.

        UnitChanged when an indicator whose unit the edit changes has reports: they were
        measured in the old unit.
        """
        if unit_changed:
            found = await self.collection.find_one(
                {"subject_id": subject_id, "indicator_key": {"$in": list(unit_changed)}},
                {"indicator_key": 1},
                session=session,
            )
            if found is not None:
                raise UnitChanged(found["indicator_key"])
        if not removed:
            return
        query = {"subject_id": subject_id, "indicator_key": {"$in": list(removed)}}
        gone = [self._record(d) async for d in self.collection.find(query, session=session)]
        if not gone:
            return
        await self.collection.delete_many(query, session=session)
        changes = [
            {"field": f"indicators.{r.indicator_key}.{r.period}", "before": r.values(), "after": None}
            for r in sorted(gone, key=lambda r: (r.indicator_key, r.period_start))
        ]
        entry = AuditNote(
            action=audit.action, actor_id=audit.actor_id, actor_name=audit.actor_name, changes=changes
        ).entry(collection=subject_collection, subject_id=subject_id, version=None)
        await self._audit.insert_one(entry, session=session)

    async def delete_of_subject(self, subject_id: str, session: AsyncClientSession | None) -> None:
        """Every report of an item, deleted with the item (in its transaction)."""
        await self.collection.delete_many({"subject_id": subject_id}, session=session)

    @translate_errors
    async def insert_many(self, documents: Sequence[Document]) -> None:
        """Bulk load of prepared reports (demo content)."""
        now = utc_now()
        prepared = [
            {"_id": new_id(), "version": 1, "created_at": now, "updated_at": now, **d} for d in documents
        ]
        if prepared:
            await self.collection.insert_many(prepared, ordered=False)
