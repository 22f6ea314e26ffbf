"""Monitoring indicators over time: reports, and what is derived from them.

Derived values, all direction aware (an indicator that must go DECREASE, such as stunting
prevalence, improves as it falls):

- **progress** towards the target, from the latest report (or the item's ``achieved`` when
  none): ``(value - baseline) / (target - baseline) * 100``, clamped to 0..100 (a value worse
  than the baseline is 0, one past the target 100); null without a baseline and a distinct target;
- **trend** over the last TREND_REPORTS reports: the change from the first to the last of them,
  STABLE within STABLE_SHARE of the baseline-target span (of the first value without one);
- **staleness**: the periods of the indicator's granularity that ended since its latest report
  without one of their own (counted up to the item's period end at the latest);
  STALE_AFTER_PERIODS of them make it stale, unless the item is finished (a practice whose
  period ended, a replication COMPLETED or DISCONTINUED): nothing more is due then.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from resolvers.content import actor
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError
from resolvers.exchange_drafts import today_in_indonesia
from resolvers.ids import InvalidGlobalId, decode_id, decode_id_of
from resolvers.permissions import authorize_indicator_report
from storage.errors import GranularityMismatch, MissingIndicator, NotFound, VersionConflict
from storage.indicators import (
    PERIOD_FORMATS,
    IndicatorReportRecord,
    canonical_period,
    period_containing,
    period_ordinal,
    period_start,
    report_document,
)
from storage.records import Indicator, PracticeRecord, ReplicationRecord
from storage.vocabulary import (
    AuditAction,
    IndicatorDirection,
    IndicatorTrend,
    PeriodGranularity,
    ReplicationStatus,
)

# Periods ended without a report that make an indicator stale (two quarters, two months, two years).
STALE_AFTER_PERIODS = 2
# Reports a trend is read from (the latest ones).
TREND_REPORTS = 3
# A change smaller than this share of the baseline-target span is no change.
STABLE_SHARE = 0.02
MAX_VALUE = 1e15
MAX_NOTE = 2_000
_URL = re.compile(r"^https?://\S+$")

REPORT_TYPE = "IndicatorReport"
_SUBJECTS = {"Practice": "practices", "Replication": "replications"}


# --- derived values ----------------------------------------------------------------------------


def progress_percent(indicator: Indicator, value: float | None) -> float | None:
    baseline, target = indicator.baseline, indicator.target
    if value is None or baseline is None or target is None or target == baseline:
        return None
    share = (value - baseline) / (target - baseline) * 100
    return round(min(max(share, 0.0), 100.0), 1)


def trend(indicator: Indicator, reports: Sequence[IndicatorReportRecord]) -> IndicatorTrend:
    """IMPROVING, WORSENING or STABLE over the last reports (ordered by period); two are needed."""
    last = list(reports)[-TREND_REPORTS:]
    if len(last) < 2:
        return IndicatorTrend.INSUFFICIENT_DATA
    change = last[-1].value - last[0].value
    if (
        indicator.baseline is not None
        and indicator.target is not None
        and indicator.target != indicator.baseline
    ):
        span = abs(indicator.target - indicator.baseline)
    else:
        span = abs(last[0].value) or 1.0
    if abs(change) <= STABLE_SHARE * span:
        return IndicatorTrend.STABLE
    better = change < 0 if indicator.effective_direction is IndicatorDirection.DECREASE else change > 0
    return IndicatorTrend.IMPROVING if better else IndicatorTrend.WORSENING


def periods_without_report(reports: Sequence[IndicatorReportRecord], *, today: date) -> int | None:
    """Periods that ended after the latest report's, none reported; None when nothing was reported.

    The period under way is not counted: its report is not due yet.
    """
    if not reports:
        return None
    latest = reports[-1]
    current = period_ordinal(latest.granularity, period_containing(latest.granularity, today))
    reported = period_ordinal(latest.granularity, latest.period)
    assert current is not None
    assert reported is not None
    return max(current - reported - 1, 0)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an item's reports are due: until its period's end, and no more once it is finished."""

    ends_on: date | None = None
    closed: bool = False

    def day(self, today: date) -> date:
        """The day periods are counted to: today, or the item's last day when that came first."""
        return min(today, self.ends_on) if self.ends_on is not None else today

    def finished(self, today: date) -> bool:
        return self.closed or (self.ends_on is not None and self.ends_on < today)


# An item without an end: its reports are always due.
ALWAYS_DUE = Schedule()
_CLOSED = frozenset({ReplicationStatus.COMPLETED, ReplicationStatus.DISCONTINUED})


def schedule_of(subject: PracticeRecord | ReplicationRecord) -> Schedule:
    if isinstance(subject, ReplicationRecord):
        return Schedule(closed=subject.replication_status in _CLOSED)
    return Schedule(ends_on=subject.period.end if subject.period else None)


def is_stale(
    reports: Sequence[IndicatorReportRecord], *, today: date, schedule: Schedule = ALWAYS_DUE
) -> bool:
    if schedule.finished(today):
        return False
    missing = periods_without_report(reports, today=schedule.day(today))
    return missing is not None and missing >= STALE_AFTER_PERIODS


def reports_of(indicator: Indicator, reports: Sequence[IndicatorReportRecord]) -> list[IndicatorReportRecord]:
    """The reports of one indicator among its item's, by period."""
    key = indicator.effective_key
    return sorted((r for r in reports if r.indicator_key == key), key=lambda r: r.period_start)


@dataclass(frozen=True, slots=True)
class Freshness:
    indicator_count: int
    reported_indicator_count: int
    unreported_indicator_count: int
    stale_indicator_count: int
    latest_period_start: date | None
    latest_reported_at: datetime | None


def freshness(
    indicators: Sequence[Indicator],
    reports: Sequence[IndicatorReportRecord],
    *,
    today: date,
    schedule: Schedule = ALWAYS_DUE,
) -> Freshness:
    per_indicator = [reports_of(indicator, reports) for indicator in indicators]
    own = [r for found in per_indicator for r in found]
    reported = sum(1 for found in per_indicator if found)
    return Freshness(
        indicator_count=len(indicators),
        reported_indicator_count=reported,
        unreported_indicator_count=len(indicators) - reported,
        stale_indicator_count=sum(
            1 for found in per_indicator if is_stale(found, today=today, schedule=schedule)
        ),
        latest_period_start=max((date.fromisoformat(r.period_start) for r in own), default=None),
        latest_reported_at=max((r.updated_at for r in own), default=None),
    )


# --- comparison of a replication with its original -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ComparisonPoint:
    period: str
    replication_value: float | None
    original_value: float | None


@dataclass(frozen=True, slots=True)
class Comparison:
    indicator: Indicator
    original: Indicator | None
    points: list[ComparisonPoint]


def _same(text: str) -> str:
    return " ".join(text.casefold().split())


def matching_indicator(indicator: Indicator, candidates: Sequence[Indicator]) -> Indicator | None:
    """The original's indicator with the same unit and the same key or name."""
    for candidate in candidates:
        if _same(candidate.unit) == _same(indicator.unit) and (
            candidate.effective_key == indicator.effective_key
            or _same(candidate.name) == _same(indicator.name)
        ):
            return candidate
    return None


def compare(
    indicators: Sequence[Indicator],
    replication_reports: Sequence[IndicatorReportRecord],
    original: Sequence[Indicator] | None,
    original_reports: Sequence[IndicatorReportRecord],
) -> list[Comparison]:
    """Each replication indicator beside the original's, lined up by calendar period.

    Periods either side reported appear once, in order, with null on the side that did not
    report them. Reports of another granularity than the replication's do not line up: the
    original's values are then left out.
    """
    comparisons = []
    for indicator in indicators:
        own = reports_of(indicator, replication_reports)
        match = matching_indicator(indicator, original) if original is not None else None
        theirs = reports_of(match, original_reports) if match else []
        if own and theirs and own[-1].granularity is not theirs[-1].granularity:
            theirs = []
        by_period: dict[str, tuple[str, float | None, float | None]] = {}
        for report in own:
            by_period[report.period] = (report.period_start, report.value, None)
        for report in theirs:
            start, mine, _ = by_period.get(report.period, (report.period_start, None, None))
            by_period[report.period] = (start, mine, report.value)
        points = [
            ComparisonPoint(period=period, replication_value=mine, original_value=other)
            for period, (_, mine, other) in sorted(by_period.items(), key=lambda item: item[1][0])
        ]
        comparisons.append(Comparison(indicator=indicator, original=match, points=points))
    return comparisons


# --- reporting -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportResult:
    report: IndicatorReportRecord | None = None
    subject: PracticeRecord | ReplicationRecord | None = None
    errors: list[FieldError] = field(default_factory=list)


async def _subject(
    context: Context, global_id: str
) -> tuple[str, PracticeRecord | ReplicationRecord] | list[FieldError]:
    try:
        type_name, _ = decode_id(global_id)
        if type_name not in _SUBJECTS:
            raise InvalidGlobalId("indicators are reported on a practice or a replication")
        local = decode_id_of(type_name, global_id)
    except InvalidGlobalId as exc:
        return [FieldError("subjectId", ErrorCode.INVALID_ID, str(exc))]
    loader = context.loaders.practices if type_name == "Practice" else context.loaders.replications
    record = await loader.load(local)
    if record is None:
        return [FieldError("subjectId", ErrorCode.NOT_FOUND, f"No {type_name} has this ID.")]
    return type_name, record


def _check_values(
    *,
    granularity: PeriodGranularity,
    period: str,
    value: float,
    note: str | None,
    evidence_url: str | None,
    today: date,
) -> list[FieldError]:
    errors = []
    if period_ordinal(granularity, period) is None:
        example = period_containing(granularity, today)
        message = (
            f"A {granularity.label_en.lower()} is written {PERIOD_FORMATS[granularity]}, e.g. {example}."
        )
        errors.append(FieldError("period", ErrorCode.INVALID, message))
    elif period_start(granularity, period) > today:
        errors.append(FieldError("period", ErrorCode.FUTURE_PERIOD, "This period has not begun yet."))
    if not math.isfinite(value):
        errors.append(FieldError("value", ErrorCode.INVALID, "The value must be a finite number."))
    elif abs(value) > MAX_VALUE:
        errors.append(
            FieldError("value", ErrorCode.OUT_OF_RANGE, f"The value is out of range (±{MAX_VALUE:g}).")
        )
    if note is not None and len(note) > MAX_NOTE:
        errors.append(FieldError("note", ErrorCode.TOO_LONG, f"At most {MAX_NOTE} characters or items."))
    if evidence_url is not None and (len(evidence_url) > 2_000 or not _URL.match(evidence_url)):
        errors.append(
            FieldError("evidenceUrl", ErrorCode.INVALID, "The evidence link must be an http(s) URL.")
        )
    return errors


def _granularity_mismatch(granularity: PeriodGranularity) -> FieldError:
    message = f"This indicator is reported per {granularity.label_en.lower()}."
    return FieldError("granularity", ErrorCode.GRANULARITY_MISMATCH, message)


def _blank_to_none(text: str | None) -> str | None:
    stripped = text.strip() if text is not None else None
    return stripped or None


async def report_indicator(
    context: Context,
    *,
    subject_id: str,
    indicator_key: str,
    granularity: PeriodGranularity,
    period: str,
    value: float,
    note: str | None = None,
    evidence_url: str | None = None,
) -> ReportResult:
    """Report an indicator's value for a period, or correct the period's report."""
    found = await _subject(context, subject_id)
    if isinstance(found, list):
        return ReportResult(errors=found)
    type_name, record = found
    if errors := authorize_indicator_report(context.viewer, kind=type_name, owner_id=record.organization_id):
        return ReportResult(errors=errors)
    period = period.strip()
    period = canonical_period(granularity, period) or period  # stored as written by period_of_ordinal
    note, evidence_url = _blank_to_none(note), _blank_to_none(evidence_url)
    errors = _check_values(
        granularity=granularity,
        period=period,
        value=value,
        note=note,
        evidence_url=evidence_url,
        today=today_in_indonesia(),
    )
    indicator = next((i for i in record.results if i.effective_key == indicator_key.strip()), None)
    if indicator is None:
        errors.append(
            FieldError(
                "indicatorKey", ErrorCode.UNKNOWN_INDICATOR, f"This {type_name} has no such indicator."
            )
        )
    else:
        earlier = reports_of(indicator, await context.loaders.indicator_reports.load(record.id))
        if earlier and earlier[-1].granularity is not granularity:
            errors.append(_granularity_mismatch(earlier[-1].granularity))
        same = next((r for r in earlier if r.period == period), None)
        if (
            not errors
            and same is not None
            and (same.value, same.note, same.evidence_url) == (value, note, evidence_url)
        ):
            return ReportResult(report=same, subject=record)  # nothing to correct: no audit entry
    if errors:
        return ReportResult(errors=errors)
    assert indicator is not None
    fields = report_document(
        subject_collection=_SUBJECTS[type_name],
        subject_id=record.id,
        indicator_key=indicator.effective_key,
        granularity=granularity,
        period=period,
        value=value,
        note=note,
        evidence_url=evidence_url,
        reported_by=context.viewer.user_id,
        reported_by_name=context.viewer.name,
        organization_id=context.viewer.organization_id,
    )
    try:
        report, _ = await context.stores.indicator_reports.report(
            fields,
            audit=actor(context, AuditAction.INDICATOR_REPORTED),
            corrected=actor(context, AuditAction.INDICATOR_CORRECTED),
        )
    except NotFound:  # deleted meanwhile
        return ReportResult(
            errors=[FieldError("subjectId", ErrorCode.NOT_FOUND, f"No {type_name} has this ID.")]
        )
    except MissingIndicator:  # removed from the item meanwhile
        message = f"This {type_name} has no such indicator."
        return ReportResult(errors=[FieldError("indicatorKey", ErrorCode.UNKNOWN_INDICATOR, message)])
    except GranularityMismatch as exc:  # first reported meanwhile, at another granularity
        return ReportResult(errors=[_granularity_mismatch(PeriodGranularity[exc.granularity])])
    return ReportResult(report=report, subject=record)


async def delete_indicator_report(context: Context, *, id: str, version: int) -> ReportResult:
    """Delete a report if the client saw its latest ``version`` (CONFLICT otherwise)."""
    try:
        local = decode_id_of(REPORT_TYPE, id)
    except InvalidGlobalId as exc:
        return ReportResult(errors=[FieldError("id", ErrorCode.INVALID_ID, str(exc))])
    not_found = [FieldError("id", ErrorCode.NOT_FOUND, "No indicator report has this ID.")]
    report = await context.stores.indicator_reports.get(local)
    if report is None:
        return ReportResult(errors=not_found)
    loader = (
        context.loaders.practices
        if report.subject_collection == "practices"
        else context.loaders.replications
    )
    record = await loader.load(report.subject_id)
    if record is None:  # an item the viewer may not read: its reports do not exist either
        return ReportResult(errors=not_found)
    kind = "Practice" if report.subject_collection == "practices" else "Replication"
    if errors := authorize_indicator_report(context.viewer, kind=kind, owner_id=record.organization_id):
        return ReportResult(errors=errors)
    conflict = "This report was corrected meanwhile; reload and retry."
    if report.version != version:
        return ReportResult(errors=[FieldError("version", ErrorCode.CONFLICT, conflict)])
    try:
        await context.stores.indicator_reports.delete(
            report, audit=actor(context, AuditAction.INDICATOR_REPORT_DELETED)
        )
    except NotFound:
        return ReportResult(errors=not_found)
    except VersionConflict:
        return ReportResult(errors=[FieldError("version", ErrorCode.CONFLICT, conflict)])
    return ReportResult(report=report, subject=record)
