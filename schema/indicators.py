"""Indicators of practices and replications, their periodic reports and what is derived from them.

Kept apart from ``schema/content.py`` (which only attaches these fields to its types).
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from resolvers import indicators
from resolvers.context import Context
from resolvers.exchange_drafts import today_in_indonesia
from resolvers.ids import encode_id
from schema.accounts import User, load_user
from schema.enums import IndicatorDirection, IndicatorTrend, PeriodGranularity
from schema.payload import Error, errors_of
from schema.permissions import SignedIn, hidden_unless
from schema.regions import Organization, load_organization
from storage import records
from storage.indicators import IndicatorReportRecord


@strawberry.type(description="One period's reported value of an indicator.")
class IndicatorReport:
    id: strawberry.ID
    indicator_key: str
    granularity: PeriodGranularity
    period: str = strawberry.field(description="2026-03 (month), 2026-Q1 (quarter) or 2026 (year).")
    period_start: date = strawberry.field(description="The period's first day.")
    value: float
    note: str | None
    evidence_url: str | None
    reported_by_name: str | None = strawberry.field(
        description="Who reported it, at the time; signed-in users only, null otherwise (like the audit "
        "trail's names).",
        extensions=hidden_unless(SignedIn()),
    )
    reported_at: datetime = strawberry.field(description="When the period was first reported.")
    updated_at: datetime = strawberry.field(description="When it was last corrected (or reported).")
    version: int
    reported_by_id: strawberry.Private[str | None]
    organization_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, record: IndicatorReportRecord) -> IndicatorReport:
        return cls(
            id=strawberry.ID(encode_id(indicators.REPORT_TYPE, record.id)),
            indicator_key=record.indicator_key,
            granularity=record.granularity,
            period=record.period,
            period_start=date.fromisoformat(record.period_start),
            value=record.value,
            note=record.note,
            evidence_url=record.evidence_url,
            reported_by_name=record.reported_by_name,
            reported_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
            reported_by_id=record.reported_by,
            organization_id=record.organization_id,
        )

    @strawberry.field(description="The user who reported it; null once removed (or for anonymous viewers).")
    async def reported_by(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.reported_by_id)

    @strawberry.field(description="The organization the reporter belonged to.")
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id) if self.organization_id else None


@strawberry.type(
    description="A measured result: where it started, the goal, what was reached, and its reports."
)
class Indicator:
    name: str
    unit: str
    baseline: float | None
    target: float | None
    achieved: float | None = strawberry.field(
        description="What the item states was reached (free of reports)."
    )
    key: str = strawberry.field(description="Stable within its item: reports point at it.")
    direction: IndicatorDirection = strawberry.field(
        description="As given, or DECREASE when the target is below the baseline, else INCREASE."
    )
    record: strawberry.Private[records.Indicator]
    # The practice or replication it belongs to (None: no reports).
    subject_id: strawberry.Private[str | None]
    # When its item's reports are due (staleness).
    schedule: strawberry.Private[indicators.Schedule]

    @classmethod
    def of(
        cls,
        record: records.Indicator,
        subject_id: str | None,
        schedule: indicators.Schedule = indicators.ALWAYS_DUE,
    ) -> Indicator:
        return cls(
            name=record.name,
            unit=record.unit,
            baseline=record.baseline,
            target=record.target,
            achieved=record.achieved,
            key=record.effective_key,
            direction=record.effective_direction,
            record=record,
            subject_id=subject_id,
            schedule=schedule,
        )

    async def _reports(self, info: Info[Context, None]) -> list[IndicatorReportRecord]:
        if self.subject_id is None:
            return []
        found = await info.context.loaders.indicator_reports.load(self.subject_id)
        return indicators.reports_of(self.record, found)

    @strawberry.field(description="Its reports, oldest period first.")
    async def reports(self, info: Info[Context, None]) -> list[IndicatorReport]:
        return [IndicatorReport.from_record(r) for r in await self._reports(info)]

    @strawberry.field(description="The report of the latest period; null when none.")
    async def latest(self, info: Info[Context, None]) -> IndicatorReport | None:
        found = await self._reports(info)
        return IndicatorReport.from_record(found[-1]) if found else None

    @strawberry.field(description="The granularity it is reported at; null before its first report.")
    async def granularity(self, info: Info[Context, None]) -> PeriodGranularity | None:
        found = await self._reports(info)
        return found[-1].granularity if found else None

    @strawberry.field(
        description="Progress from baseline to target in percent (0-100, direction aware), from the "
        "latest report or else `achieved`; null without a baseline and a target."
    )
    async def progress_percent(self, info: Info[Context, None]) -> float | None:
        found = await self._reports(info)
        value = found[-1].value if found else self.record.achieved
        return indicators.progress_percent(self.record, value)

    @strawberry.field(description="How it moved over its last three reports, direction aware.")
    async def trend(self, info: Info[Context, None]) -> IndicatorTrend:
        return indicators.trend(self.record, await self._reports(info))

    @strawberry.field(
        description="Periods of its granularity that ended since the latest report without a report "
        "(the one under way not counted; none after the end of the practice's period); null before "
        "its first report."
    )
    async def periods_without_report(self, info: Info[Context, None]) -> int | None:
        day = self.schedule.day(today_in_indonesia())
        return indicators.periods_without_report(await self._reports(info), today=day)

    @strawberry.field(
        description=f"No report for {indicators.STALE_AFTER_PERIODS} or more ended periods of its "
        "granularity; never once its item is finished (a practice whose period ended, a replication "
        "COMPLETED or DISCONTINUED)."
    )
    async def stale(self, info: Info[Context, None]) -> bool:
        reports = await self._reports(info)
        return indicators.is_stale(reports, today=today_in_indonesia(), schedule=self.schedule)


@strawberry.type(
    description="A measured result of a case study: where it started, the goal, what was reached. "
    "Case studies are not reported on over time (see Indicator for practices and replications)."
)
class Metric:
    name: str
    unit: str
    baseline: float | None
    target: float | None
    achieved: float | None
    key: str = strawberry.field(description="Stable within its case study.")
    direction: IndicatorDirection = strawberry.field(
        description="As given, or DECREASE when the target is below the baseline, else INCREASE."
    )
    progress_percent: float | None = strawberry.field(
        description="Progress from baseline to target in percent (0-100, direction aware), from "
        "`achieved`; null without a baseline, a target and `achieved`."
    )

    @classmethod
    def of(cls, record: records.Indicator) -> Metric:
        return cls(
            name=record.name,
            unit=record.unit,
            baseline=record.baseline,
            target=record.target,
            achieved=record.achieved,
            key=record.effective_key,
            direction=record.effective_direction,
            progress_percent=indicators.progress_percent(record, record.achieved),
        )


def indicators_of(
    values: list[records.Indicator],
    subject_id: str | None,
    schedule: indicators.Schedule = indicators.ALWAYS_DUE,
) -> list[Indicator]:
    return [Indicator.of(value, subject_id, schedule) for value in values]


@strawberry.type(description="How up to date the indicator reports of a practice or replication are.")
class IndicatorFreshness:
    indicator_count: int
    reported_indicator_count: int = strawberry.field(description="Indicators with at least one report.")
    unreported_indicator_count: int = strawberry.field(
        description="Indicators never reported (not counted as stale: they have no report to be late after)."
    )
    stale_indicator_count: int = strawberry.field(
        description="Indicators whose reports stopped (see `stale`)."
    )
    latest_period_start: date | None = strawberry.field(
        description="First day of the latest period reported."
    )
    latest_reported_at: datetime | None = strawberry.field(description="When a report was last written.")


async def freshness_of(
    info: Info[Context, None], subject_id: str, values: list[Indicator]
) -> IndicatorFreshness:
    found = await info.context.loaders.indicator_reports.load(subject_id)
    schedule = values[0].schedule if values else indicators.ALWAYS_DUE
    fresh = indicators.freshness(
        [i.record for i in values], found, today=today_in_indonesia(), schedule=schedule
    )
    return IndicatorFreshness(
        indicator_count=fresh.indicator_count,
        reported_indicator_count=fresh.reported_indicator_count,
        unreported_indicator_count=fresh.unreported_indicator_count,
        stale_indicator_count=fresh.stale_indicator_count,
        latest_period_start=fresh.latest_period_start,
        latest_reported_at=fresh.latest_reported_at,
    )


@strawberry.type(description="One calendar period of a comparison; null where a side did not report it.")
class ComparisonPoint:
    period: str
    replication_value: float | None
    original_value: float | None


@strawberry.type(description="A replication's indicator beside the original practice's same indicator.")
class IndicatorComparison:
    indicator: Indicator = strawberry.field(description="The replication's indicator.")
    original: Indicator | None = strawberry.field(
        description="The original's indicator with the same unit and the same key or name; null when none."
    )
    points: list[ComparisonPoint] = strawberry.field(
        description="Every period either side reported, in order (same granularity only)."
    )


async def comparison_of(
    info: Info[Context, None], replication_id: str, practice_id: str, own_indicators: list[Indicator]
) -> list[IndicatorComparison]:
    values = [i.record for i in own_indicators]
    schedule = own_indicators[0].schedule if own_indicators else indicators.ALWAYS_DUE
    loaders = info.context.loaders
    practice = await loaders.practices.load(practice_id)  # null when the viewer may not read it
    found = await loaders.indicator_reports.load_many([replication_id, *([practice.id] if practice else [])])
    own, theirs = found[0], found[1] if practice else []
    compared = indicators.compare(values, own, practice.results if practice else None, theirs)
    return [
        IndicatorComparison(
            indicator=Indicator.of(c.indicator, replication_id, schedule),
            original=(
                Indicator.of(c.original, practice_id, indicators.schedule_of(practice))
                if c.original and practice
                else None
            ),
            points=[
                ComparisonPoint(
                    period=p.period, replication_value=p.replication_value, original_value=p.original_value
                )
                for p in c.points
            ],
        )
        for c in compared
    ]


# --- mutations ---------------------------------------------------------------------------------


@strawberry.input
class ReportIndicatorInput:
    subject_id: strawberry.ID = strawberry.field(description="The practice or replication.")
    indicator_key: str
    granularity: PeriodGranularity
    period: str = strawberry.field(description="2026-03 (MONTH), 2026-Q1 (QUARTER) or 2026 (YEAR).")
    value: float
    note: str | None = None
    evidence_url: str | None = strawberry.field(default=None, description="An http(s) link.")


@strawberry.input
class DeleteIndicatorReportInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version read; CONFLICT if it was corrected since.")


@strawberry.type
class IndicatorReportPayload:
    report: IndicatorReport | None = strawberry.field(description="The report written (or deleted).")
    indicator: Indicator | None = strawberry.field(
        description="Its indicator, with the reports as they are now."
    )
    errors: list[Error]


def _payload(info: Info[Context, None], result: indicators.ReportResult) -> IndicatorReportPayload:
    if result.report is None or result.subject is None:
        return IndicatorReportPayload(report=None, indicator=None, errors=errors_of(result.errors))
    reports = info.context.loaders.indicator_reports
    if reports.cache_map.get(result.subject.id) is not None:  # read again, as written
        reports.clear(result.subject.id)
    key = result.report.indicator_key
    indicator = next((i for i in result.subject.results if i.effective_key == key), None)
    return IndicatorReportPayload(
        report=IndicatorReport.from_record(result.report),
        indicator=(
            Indicator.of(indicator, result.subject.id, indicators.schedule_of(result.subject))
            if indicator
            else None
        ),
        errors=[],
    )


@strawberry.type
class IndicatorMutation:
    @strawberry.mutation(
        description="Report an indicator's value for a period, or correct that period's report (the "
        "audit trail keeps the values before and after). For the item's own organization."
    )
    async def report_indicator(
        self, info: Info[Context, None], input: ReportIndicatorInput
    ) -> IndicatorReportPayload:
        result = await indicators.report_indicator(
            info.context,
            subject_id=input.subject_id,
            indicator_key=input.indicator_key,
            granularity=input.granularity,
            period=input.period,
            value=input.value,
            note=input.note,
            evidence_url=input.evidence_url,
        )
        return _payload(info, result)

    @strawberry.mutation(description="Delete a report; the audit trail keeps its values.")
    async def delete_indicator_report(
        self, info: Info[Context, None], input: DeleteIndicatorReportInput
    ) -> IndicatorReportPayload:
        result = await indicators.delete_indicator_report(info.context, id=input.id, version=input.version)
        return _payload(info, result)
