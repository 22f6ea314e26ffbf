"""Monitoring indicators over time: reports, progress, trend, staleness, corrections and comparisons."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import ANY

from resolvers import indicators
from resolvers.exchange_drafts import today_in_indonesia
from resolvers.ids import decode_id_of, encode_id
from storage.database import Stores
from storage.indicators import (
    IndicatorReportRecord,
    canonical_period,
    period_containing,
    period_of_ordinal,
    period_ordinal,
    period_start,
)
from storage.records import Indicator
from storage.store import AUDIT_TRAIL
from storage.vocabulary import IndicatorDirection, IndicatorTrend, OrganizationKind, PeriodGranularity, Role
from tests.support import (
    CREATE_PRACTICE,
    GraphQLClient,
    create_organization,
    create_practice,
    create_replication,
    organization_record,
    practice_input,
    user_with_token,
)
from tests.test_case_studies import create_case_study
from tests.test_query_cost import CommandCounter, counted

__all__ = ["counted"]

STUNTING = {"name": "Prevalensi stunting balita", "unit": "%", "baseline": 20.0, "target": 10.0}
CUSTOMERS = {"name": "Nasabah aktif", "unit": "orang", "baseline": 100.0, "target": 500.0}

REPORT = """
mutation($input: ReportIndicatorInput!) {
  reportIndicator(input: $input) {
    report { id period value note evidenceUrl version reportedByName }
    indicator { key progressPercent trend latest { period value } }
    errors { field code message }
  }
}
"""
DELETE = """
mutation($input: DeleteIndicatorReportInput!) {
  deleteIndicatorReport(input: $input) {
    report { period } indicator { reports { period } } errors { field code }
  }
}
"""
INDICATORS = """
query($id: ID!) {
  node(id: $id) {
    ... on Practice {
      results {
        key direction granularity progressPercent trend periodsWithoutReport stale
        reports { period value } latest { period value }
      }
      freshness { indicatorCount reportedIndicatorCount staleIndicatorCount latestPeriodStart }
      auditTrail { action changes { field before after } }
    }
  }
}
"""
REPLICATION_FRESHNESS = """
query($id: ID!) {
  node(id: $id) {
    ... on Replication {
      results { stale }
      freshness { indicatorCount reportedIndicatorCount unreportedIndicatorCount staleIndicatorCount }
    }
  }
}
"""
COMPARISON = """
query($id: ID!) {
  node(id: $id) {
    ... on Replication {
      indicatorComparison {
        indicator { key }
        original { key name }
        points { period replicationValue originalValue }
      }
    }
  }
}
"""


def ago(granularity: PeriodGranularity, periods: int) -> str:
    """The period ``periods`` before the one under way (0: the current one)."""
    current = period_ordinal(granularity, period_containing(granularity, today_in_indonesia()))
    assert current is not None
    return period_of_ordinal(granularity, current - periods)


def _report(period: str, value: float, granularity: PeriodGranularity = PeriodGranularity.QUARTER) -> Any:
    now = datetime.now(UTC)
    return IndicatorReportRecord.model_validate(
        {
            "_id": "r",
            "subject_collection": "practices",
            "subject_id": "p",
            "indicator_key": "k",
            "granularity": granularity,
            "period": period,
            "period_start": period_start(granularity, period).isoformat(),
            "value": value,
            "created_at": now,
            "updated_at": now,
        }
    )


async def _practice(api: GraphQLClient, *results: dict[str, Any]) -> tuple[str, str]:
    """A published practice of a new kelurahan with these indicators; (practice ID, organization ID)."""
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Mangasa", kind="KELURAHAN_GOVERNMENT"
    )
    practice = await create_practice(
        api, organization, published=True, results=list(results), period={"start": "2023-01-01"}
    )
    return practice["id"], organization


async def _report_ok(
    api: GraphQLClient, subject: str, key: str, period: str, value: float, **extra: Any
) -> Any:
    payload = await api.mutate(
        REPORT,
        {
            "subjectId": subject,
            "indicatorKey": key,
            "granularity": "QUARTER",
            "period": period,
            "value": value,
        }
        | extra,
    )
    assert payload["errors"] == [], payload["errors"]
    return payload


# --- derived values ----------------------------------------------------------------------------


def test_progress_counts_towards_a_lower_target_for_an_indicator_that_must_decrease() -> None:
    # given stunting prevalence from 20 % to a target of 10 %
    stunting = Indicator.model_validate(STUNTING)
    # when / then: halfway down is 50 %, up from the baseline is 0 %, below the target is 100 %
    assert stunting.effective_direction is IndicatorDirection.DECREASE
    assert indicators.progress_percent(stunting, 15.0) == 50.0
    assert indicators.progress_percent(stunting, 23.0) == 0.0
    assert indicators.progress_percent(stunting, 8.0) == 100.0


def test_progress_counts_towards_a_higher_target_and_is_null_without_a_baseline() -> None:
    customers = Indicator.model_validate(CUSTOMERS)
    assert customers.effective_direction is IndicatorDirection.INCREASE
    assert indicators.progress_percent(customers, 300.0) == 50.0
    assert indicators.progress_percent(Indicator(name="x", unit="%", target=10.0), 5.0) is None


def test_trend_is_direction_aware_over_the_last_three_reports() -> None:
    stunting = Indicator.model_validate(STUNTING)
    customers = Indicator.model_validate(CUSTOMERS)
    falling = [
        _report("2025-Q1", 30.0),
        _report("2025-Q2", 19.0),
        _report("2025-Q3", 17.5),
        _report("2025-Q4", 15.0),
    ]
    # then: falling stunting improves, customers leaving is worse, one report says nothing
    assert indicators.trend(stunting, falling) is IndicatorTrend.IMPROVING
    leaving = [_report("2025-Q2", 480.0), _report("2025-Q3", 400.0), _report("2025-Q4", 350.0)]
    assert indicators.trend(customers, leaving) is IndicatorTrend.WORSENING
    assert indicators.trend(stunting, falling[:1]) is IndicatorTrend.INSUFFICIENT_DATA
    flat = [_report("2025-Q1", 15.0), _report("2025-Q2", 15.1)]
    assert indicators.trend(stunting, flat) is IndicatorTrend.STABLE


def test_an_indicator_is_stale_after_two_ended_quarters_without_a_report() -> None:
    today = date(2026, 12, 8)  # in 2026-Q4
    assert indicators.periods_without_report([_report("2026-Q3", 1.0)], today=today) == 0
    assert not indicators.is_stale([_report("2026-Q3", 1.0)], today=today)
    assert indicators.periods_without_report([_report("2026-Q1", 1.0)], today=today) == 2
    assert indicators.is_stale([_report("2026-Q1", 1.0)], today=today)
    assert indicators.periods_without_report([], today=today) is None


def test_periods_are_read_and_written_per_granularity() -> None:
    assert period_containing(PeriodGranularity.QUARTER, date(2026, 8, 1)) == "2026-Q3"
    assert period_containing(PeriodGranularity.MONTH, date(2026, 8, 1)) == "2026-08"
    assert period_start(PeriodGranularity.QUARTER, "2026-Q3") == date(2026, 7, 1)
    assert period_ordinal(PeriodGranularity.MONTH, "2026-13") is None
    assert period_ordinal(PeriodGranularity.QUARTER, "2026-03") is None


def test_periods_are_written_in_ascii_digits_and_read_in_one_spelling() -> None:
    # Arabic-Indic and full-width digits are not periods; a lower-case q is the same quarter
    assert period_ordinal(PeriodGranularity.YEAR, "\u0662\u0660\u0662\u0664") is None
    assert period_ordinal(PeriodGranularity.MONTH, "\uff12\uff10\uff12\uff14-03") is None
    assert period_ordinal(PeriodGranularity.YEAR, "2024\n") is None
    assert canonical_period(PeriodGranularity.QUARTER, "2024-q1") == "2024-Q1"


async def test_a_period_spelled_otherwise_corrects_the_same_report(api: GraphQLClient) -> None:
    # given a quarter reported as 2024-Q1
    practice, _ = await _practice(api, STUNTING)
    year = today_in_indonesia().year - 2
    await _report_ok(api, practice, "prevalensi-stunting-balita", f"{year}-Q1", 17.0)
    # when it is reported again as 2024-q1, and in Arabic-Indic digits
    again = await _report_ok(api, practice, "prevalensi-stunting-balita", f" {year}-q1 ", 16.0)
    arabic = "".join(chr(0x0660 + int(d)) for d in str(year))
    refused = await api.mutate(
        REPORT,
        {
            "subjectId": practice,
            "indicatorKey": "prevalensi-stunting-balita",
            "granularity": "QUARTER",
            "period": f"{arabic}-Q1",
            "value": 15.0,
        },
    )
    # then the first is corrected, stored in one spelling, and the digits refused
    assert again["report"] == again["report"] | {"period": f"{year}-Q1", "version": 2}
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("period", "INVALID")]
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert node["results"][0]["reports"] == [{"period": f"{year}-Q1", "value": 16.0}]


# --- through the API ---------------------------------------------------------------------------


async def test_reports_give_an_indicator_its_progress_trend_and_freshness(api: GraphQLClient) -> None:
    # given a practice with a stunting indicator reported for the last three quarters
    practice, _ = await _practice(api, STUNTING, CUSTOMERS)
    for periods_ago, value in ((3, 19.0), (2, 17.0), (1, 15.0)):
        await _report_ok(
            api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, periods_ago), value
        )
    # when
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    # then
    stunting, customers = node["results"]
    assert stunting["key"] == "prevalensi-stunting-balita"
    assert stunting["direction"] == "DECREASE"
    assert [r["value"] for r in stunting["reports"]] == [19.0, 17.0, 15.0]
    assert stunting["latest"] == {"period": ago(PeriodGranularity.QUARTER, 1), "value": 15.0}
    assert stunting["progressPercent"] == 50.0
    assert stunting["trend"] == "IMPROVING"
    assert (stunting["granularity"], stunting["periodsWithoutReport"], stunting["stale"]) == (
        "QUARTER",
        0,
        False,
    )
    assert customers["reports"] == []
    assert customers["stale"] is False
    assert node["freshness"]["reportedIndicatorCount"] == 1
    assert node["freshness"]["staleIndicatorCount"] == 0


async def test_an_indicator_not_reported_for_two_quarters_is_stale_and_counted(api: GraphQLClient) -> None:
    practice, _ = await _practice(api, STUNTING)
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 3), 18.0)
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    (stunting,) = node["results"]
    assert (stunting["periodsWithoutReport"], stunting["stale"]) == (2, True)
    assert node["freshness"]["staleIndicatorCount"] == 1


async def test_an_item_that_ended_has_no_stale_indicator(api: GraphQLClient) -> None:
    # given a practice whose period ended a year ago, last reported two quarters before its end
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Selesai", kind="KELURAHAN_GOVERNMENT"
    )
    today = today_in_indonesia()
    end = date(today.year - 1, 12, 31)
    ended = await create_practice(
        api, organization, published=True, results=[STUNTING], period={"start": "2022-01-01", "end": str(end)}
    )
    await _report_ok(api, ended["id"], "prevalensi-stunting-balita", f"{end.year}-Q1", 18.0)
    # and a replication completed, last reported a year ago
    replication = await create_replication(
        api, organization, ended["id"], results=[STUNTING, CUSTOMERS], replicationStatus="COMPLETED"
    )
    await _report_ok(api, replication, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 4), 18.0)
    # when
    practice = (await api.data(INDICATORS, {"id": ended["id"]}))["node"]
    finished = (await api.data(REPLICATION_FRESHNESS, {"id": replication}))["node"]
    # then the periods are counted up to the practice's end, and nothing is stale
    (stunting,) = practice["results"]
    assert (stunting["periodsWithoutReport"], stunting["stale"]) == (2, False)
    assert practice["freshness"]["staleIndicatorCount"] == 0
    assert [i["stale"] for i in finished["results"]] == [False, False]
    assert finished["freshness"] == {
        "indicatorCount": 2,
        "reportedIndicatorCount": 1,
        "unreportedIndicatorCount": 1,
        "staleIndicatorCount": 0,
    }


async def test_a_replication_under_way_counts_its_stale_and_unreported_indicators(api: GraphQLClient) -> None:
    practice, organization = await _practice(api, STUNTING)
    replication = await create_replication(
        api, organization, practice, results=[STUNTING, CUSTOMERS], replicationStatus="IN_PROGRESS"
    )
    await _report_ok(api, replication, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 4), 18.0)
    node = (await api.data(REPLICATION_FRESHNESS, {"id": replication}))["node"]
    assert [i["stale"] for i in node["results"]] == [True, False]
    assert node["freshness"] == {
        "indicatorCount": 2,
        "reportedIndicatorCount": 1,
        "unreportedIndicatorCount": 1,
        "staleIndicatorCount": 1,
    }


async def test_a_correction_replaces_the_value_and_keeps_both_in_the_audit_trail(api: GraphQLClient) -> None:
    # given a reported quarter
    practice, _ = await _practice(api, STUNTING)
    period = ago(PeriodGranularity.QUARTER, 1)
    await _report_ok(api, practice, "prevalensi-stunting-balita", period, 16.0)
    # when the same quarter is reported again with another value
    corrected = await _report_ok(
        api, practice, "prevalensi-stunting-balita", period, 15.2, note="Data e-PPGBM final."
    )
    # then there is one report, at the corrected value, and the audit trail has before and after
    assert corrected["report"]["version"] == 2
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert node["results"][0]["reports"] == [{"period": period, "value": 15.2}]
    entries = [e for e in node["auditTrail"] if e["action"].startswith("INDICATOR")]
    assert [e["action"] for e in entries] == ["INDICATOR_CORRECTED", "INDICATOR_REPORTED"]
    change = entries[0]["changes"][0]
    assert change["field"] == f"indicators.prevalensi-stunting-balita.{period}"
    assert change["before"]["value"] == 16.0
    assert change["after"] == {"value": 15.2, "note": "Data e-PPGBM final.", "evidenceUrl": None}


async def test_a_deleted_report_leaves_its_values_in_the_audit_trail(api: GraphQLClient) -> None:
    practice, _ = await _practice(api, STUNTING)
    written = await _report_ok(
        api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 1), 16.0
    )
    payload = await api.mutate(DELETE, {"id": written["report"]["id"], "version": 1})
    assert payload["errors"] == []
    assert payload["indicator"]["reports"] == []
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    deleted = next(e for e in node["auditTrail"] if e["action"] == "INDICATOR_REPORT_DELETED")
    assert deleted["changes"][0]["before"]["value"] == 16.0


async def test_deleting_a_report_corrected_since_it_was_read_is_a_conflict(api: GraphQLClient) -> None:
    # given a report read at version 1, then corrected by someone else
    practice, _ = await _practice(api, STUNTING)
    period = ago(PeriodGranularity.QUARTER, 1)
    written = await _report_ok(api, practice, "prevalensi-stunting-balita", period, 16.0)
    await _report_ok(api, practice, "prevalensi-stunting-balita", period, 15.0)
    # when it is deleted at the version read
    payload = await api.mutate(DELETE, {"id": written["report"]["id"], "version": 1})
    # then the deletion is refused and the correction kept
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("version", "CONFLICT")]
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert node["results"][0]["reports"] == [{"period": period, "value": 15.0}]
    # and at the current version it goes
    assert (await api.mutate(DELETE, {"id": written["report"]["id"], "version": 2}))["errors"] == []


async def test_deleting_a_draft_practice_deletes_its_reports_with_it(
    api: GraphQLClient, stores: Stores
) -> None:
    # given a draft practice with a report
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Hapus", kind="KELURAHAN_GOVERNMENT"
    )
    practice = await create_practice(api, organization, results=[STUNTING])
    await _report_ok(
        api, practice["id"], "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 1), 16.0
    )
    # when
    deleted = await api.mutate(
        "mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { code } } }",
        {"id": practice["id"], "version": practice["version"]},
    )
    # then
    assert deleted["errors"] == []
    assert await stores.indicator_reports.collection.count_documents({}) == 0


async def test_reports_racing_the_deletion_of_their_item_leave_nothing_behind(
    api: GraphQLClient, stores: Stores
) -> None:
    # given draft practices, each with an indicator
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Balapan", kind="KELURAHAN_GOVERNMENT"
    )
    for _ in range(3):
        practice = await create_practice(api, organization, results=[STUNTING])
        delete = api.mutate(
            "mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { code } } }",
            {"id": practice["id"], "version": practice["version"]},
        )
        reports = [
            api.mutate(
                REPORT,
                {
                    "subjectId": practice["id"],
                    "indicatorKey": "prevalensi-stunting-balita",
                    "granularity": "QUARTER",
                    "period": ago(PeriodGranularity.QUARTER, n),
                    "value": 16.0,
                },
            )
            for n in (1, 2, 3, 4)
        ]
        # when four reports race its deletion
        deleted, *reported = await asyncio.gather(delete, *reports)
        # then the practice is gone with every report, and each report either went with it or was refused
        assert deleted["errors"] == []
        assert await stores.indicator_reports.collection.count_documents({}) == 0
        for payload in reported:
            assert payload["errors"] in ([], [{"field": "subjectId", "code": "NOT_FOUND", "message": ANY}])
        audited = await stores.practices.collection.database[AUDIT_TRAIL].count_documents(
            {"subject_id": decode_id_of("Practice", practice["id"]), "action": "INDICATOR_REPORTED"}
        )
        assert audited == sum(1 for payload in reported if payload["errors"] == [])


async def test_concurrent_first_reports_of_two_granularities_let_only_one_in(api: GraphQLClient) -> None:
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Serentak", kind="KELURAHAN_GOVERNMENT"
    )
    year = str(today_in_indonesia().year - 2)
    for _ in range(3):
        # given an indicator never reported
        practice = (await create_practice(api, organization, results=[STUNTING]))["id"]
        base = {"subjectId": practice, "indicatorKey": "prevalensi-stunting-balita", "value": 17.0}
        # when a year and a quarter of it are first reported at the same time
        payloads = await asyncio.gather(
            api.mutate(REPORT, base | {"granularity": "YEAR", "period": year}),
            api.mutate(REPORT, base | {"granularity": "QUARTER", "period": f"{year}-Q1"}),
        )
        # then one is stored and the other refused for its granularity
        codes = sorted(tuple(e["code"] for e in payload["errors"]) for payload in payloads)
        assert codes == [(), ("GRANULARITY_MISMATCH",)]
        node = (await api.data(INDICATORS, {"id": practice}))["node"]
        assert len(node["results"][0]["reports"]) == 1


async def test_bad_reports_are_refused_with_typed_errors_and_nothing_written(api: GraphQLClient) -> None:
    practice, _ = await _practice(api, STUNTING)
    base = {"subjectId": practice, "indicatorKey": "prevalensi-stunting-balita", "granularity": "QUARTER"}
    cases = {
        "period format": ({"period": "2026-03", "value": 1.0}, ("period", "INVALID")),
        "future": ({"period": ago(PeriodGranularity.QUARTER, -2), "value": 1.0}, ("period", "FUTURE_PERIOD")),
        "too large": (
            {"period": ago(PeriodGranularity.QUARTER, 1), "value": 1e300},
            ("value", "OUT_OF_RANGE"),
        ),
        "link": (
            {"period": ago(PeriodGranularity.QUARTER, 1), "value": 1.0, "evidenceUrl": "javascript:alert(1)"},
            ("evidenceUrl", "INVALID"),
        ),
        "unknown": (
            {"period": ago(PeriodGranularity.QUARTER, 1), "value": 1.0, "indicatorKey": "tidak-ada"},
            ("indicatorKey", "UNKNOWN_INDICATOR"),
        ),
    }
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 2), 17.0)
    cases["granularity"] = (
        {"granularity": "YEAR", "period": "2024", "value": 1.0},
        ("granularity", "GRANULARITY_MISMATCH"),
    )
    for name, (fields, expected) in cases.items():
        payload = await api.mutate(REPORT, base | fields)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected], name
        assert payload["report"] is None
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert [r["period"] for r in node["results"][0]["reports"]] == [ago(PeriodGranularity.QUARTER, 2)]


async def test_two_indicators_of_one_item_cannot_share_a_key(api: GraphQLClient) -> None:
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Sama", kind="KELURAHAN_GOVERNMENT"
    )
    payload = await api.mutate(
        CREATE_PRACTICE,
        practice_input(
            organization, results=[{**STUNTING, "key": "stunting"}, {**CUSTOMERS, "key": "stunting"}]
        ),
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("results", "DUPLICATE")]


async def test_a_direction_that_contradicts_the_baseline_and_target_is_refused(api: GraphQLClient) -> None:
    organization = await create_organization(
        api, name="Pemerintah Kelurahan Arah", kind="KELURAHAN_GOVERNMENT"
    )
    # when an indicator must DECREASE from 10 to a target of 20
    payload = await api.mutate(
        CREATE_PRACTICE,
        practice_input(
            organization,
            results=[
                CUSTOMERS,
                {"name": "Diare", "unit": "kasus", "baseline": 10.0, "target": 20.0, "direction": "DECREASE"},
            ],
        ),
    )
    # then the direction is refused, on its field
    errors = [(e["field"], e["code"]) for e in payload["errors"]]
    assert errors == [("results.1.direction", "DIRECTION_MISMATCH")]
    assert payload["practice"] is None
    # and one that agrees, or without both values, is accepted
    fine = await api.mutate(
        CREATE_PRACTICE,
        practice_input(
            organization,
            results=[
                {**STUNTING, "direction": "DECREASE"},
                {"name": "Kader", "unit": "orang", "target": 20.0, "direction": "DECREASE"},
            ],
        ),
    )
    assert fine["errors"] == []


async def test_indicators_of_the_same_name_get_distinct_keys(api: GraphQLClient) -> None:
    practice, _ = await _practice(api, STUNTING, {**STUNTING, "unit": "anak"})
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert [i["key"] for i in node["results"]] == [
        "prevalensi-stunting-balita",
        "prevalensi-stunting-balita-2",
    ]


async def test_a_value_that_is_not_a_finite_number_is_refused(stores: Stores) -> None:
    # JSON cannot carry NaN to GraphQL, so the rule is checked where a resolver would meet it.
    errors = indicators._check_values(
        granularity=PeriodGranularity.YEAR,
        period="2025",
        value=float("nan"),
        note=None,
        evidence_url=None,
        today=date(2026, 1, 1),
    )
    assert [(e.field, e.code.value) for e in errors] == [("value", "INVALID")]


async def test_only_the_owning_organization_reports_its_indicators(
    api: GraphQLClient, stores: Stores
) -> None:
    practice, _ = await _practice(api, STUNTING)
    other = await organization_record(
        stores, name="Pemerintah Kelurahan Lain", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    _, token = await user_with_token(stores, role=Role.MEMBER, organization_id=other.id)
    payload = await api.as_user(token).mutate(
        REPORT,
        {
            "subjectId": practice,
            "indicatorKey": "prevalensi-stunting-balita",
            "granularity": "QUARTER",
            "period": ago(PeriodGranularity.QUARTER, 1),
            "value": 14.0,
        },
    )
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_an_indicator_keeps_its_key_and_reports_when_the_list_is_edited_without_keys(
    api: GraphQLClient,
) -> None:
    # given a reported indicator
    practice, _ = await _practice(api, STUNTING)
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 1), 16.0)
    version = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Practice { version } } }", {"id": practice}
    )
    # when a reviewer edits the results without sending keys back, adding one
    payload = await api.mutate(
        """mutation($input: UpdatePracticeInput!) {
          updatePractice(input: $input) { practice { results { key reports { value } } } errors { code } }
        }""",
        {
            "id": practice,
            "version": version["node"]["version"],
            "changes": {
                "results": [{**STUNTING, "target": 9.0}, {"name": "Kader terlatih", "unit": "orang"}]
            },
        },
    )
    # then the first keeps its key and its report
    assert payload["errors"] == []
    assert payload["practice"]["results"] == [
        {"key": "prevalensi-stunting-balita", "reports": [{"value": 16.0}]},
        {"key": "kader-terlatih", "reports": []},
    ]


UPDATE_RESULTS = """mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) {
    practice { version results { key unit reports { value } } } errors { field code }
  }
}"""


async def _edit_results(api: GraphQLClient, practice: str, results: list[dict[str, Any]]) -> Any:
    version = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Practice { version } } }", {"id": practice}
    )
    return await api.mutate(
        UPDATE_RESULTS,
        {"id": practice, "version": version["node"]["version"], "changes": {"results": results}},
    )


async def test_removing_an_indicator_deletes_its_reports_so_a_new_one_of_that_key_starts_empty(
    api: GraphQLClient,
) -> None:
    # given a reported indicator
    practice, _ = await _practice(api, STUNTING, CUSTOMERS)
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 1), 16.0)
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 2), 17.0)
    # when it is removed, then an indicator of the same name comes back in another unit
    removed = await _edit_results(api, practice, [CUSTOMERS])
    again = await _edit_results(api, practice, [CUSTOMERS, {**STUNTING, "unit": "anak"}])
    # then the new one has no reports, and the audit trail keeps the deleted ones
    assert removed["errors"] == []
    assert again["errors"] == []
    assert again["practice"]["results"][1] == {
        "key": "prevalensi-stunting-balita",
        "unit": "anak",
        "reports": [],
    }
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    deleted = [e for e in node["auditTrail"] if e["action"] == "INDICATOR_REPORT_DELETED"]
    assert [len(e["changes"]) for e in deleted] == [2]
    assert sorted(c["before"]["value"] for c in deleted[0]["changes"]) == [16.0, 17.0]


async def test_an_indicator_with_reports_cannot_change_its_unit(api: GraphQLClient) -> None:
    # given a reported indicator, and one not reported yet
    practice, _ = await _practice(api, CUSTOMERS, STUNTING)
    await _report_ok(api, practice, "prevalensi-stunting-balita", ago(PeriodGranularity.QUARTER, 1), 16.0)
    # when its unit changes, keeping its key
    payload = await _edit_results(
        api, practice, [CUSTOMERS, {**STUNTING, "key": "prevalensi-stunting-balita", "unit": "anak"}]
    )
    # then the edit is refused on that unit, and nothing changed
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("results.1.unit", "UNIT_CHANGED")]
    node = (await api.data(INDICATORS, {"id": practice}))["node"]
    assert [r["value"] for r in node["results"][1]["reports"]] == [16.0]
    # while the unit of the one without reports may change
    fine = await _edit_results(api, practice, [{**CUSTOMERS, "unit": "nasabah"}, STUNTING])
    assert fine["errors"] == []


async def test_a_case_studys_metrics_are_not_reported_over_time(api: GraphQLClient) -> None:
    # given a case study with a metric that went halfway to its target
    organization = await create_organization(api, name="Yayasan Studi Kasus", kind="NGO")
    case_study = await create_case_study(api, organization, metrics=[{**STUNTING, "achieved": 15.0}])
    # when
    node = await api.data(
        "query($id: ID!) { node(id: $id) { ... on CaseStudy { metrics { key direction progressPercent } } } "
        "}",
        {"id": case_study["id"]},
    )
    fields = await api.data(
        '{ __type(name: "CaseStudy") { fields { name type { ofType { ofType { ofType { name } } } } } } }'
    )
    # then its progress is read from what it states, and it offers no reports, trend or staleness
    assert node["node"]["metrics"] == [
        {"key": "prevalensi-stunting-balita", "direction": "DECREASE", "progressPercent": 50.0}
    ]
    (metrics,) = [f for f in fields["__type"]["fields"] if f["name"] == "metrics"]
    metric_type = metrics["type"]["ofType"]["ofType"]["ofType"]["name"]
    metric_fields = await api.data(
        "query($name: String!) { __type(name: $name) { fields { name } } }", {"name": metric_type}
    )
    names = {f["name"] for f in metric_fields["__type"]["fields"]}
    assert names.isdisjoint({"reports", "latest", "trend", "stale", "periodsWithoutReport"})


async def test_a_replication_is_compared_with_its_original_period_by_period(api: GraphQLClient) -> None:
    # given an original practice and a replication with the same indicator, reported on overlapping quarters
    practice, _ = await _practice(api, STUNTING)
    adopter = await create_organization(api, name="Pemerintah Desa Nita", kind="KELURAHAN_GOVERNMENT")
    replication = await create_replication(
        api, adopter, practice, results=[{**STUNTING, "baseline": 27.5, "target": 18.0}, CUSTOMERS]
    )
    q = {n: ago(PeriodGranularity.QUARTER, n) for n in (1, 2, 3)}
    await _report_ok(api, practice, "prevalensi-stunting-balita", q[3], 18.0)
    await _report_ok(api, practice, "prevalensi-stunting-balita", q[2], 16.5)
    await _report_ok(api, replication, "prevalensi-stunting-balita", q[2], 26.0)
    await _report_ok(api, replication, "prevalensi-stunting-balita", q[1], 24.2)
    # when
    compared = (await api.data(COMPARISON, {"id": replication}))["node"]["indicatorComparison"]
    # then the periods line up, each side null where it did not report
    stunting, customers = compared
    assert stunting["original"] == {"key": "prevalensi-stunting-balita", "name": STUNTING["name"]}
    assert stunting["points"] == [
        {"period": q[3], "replicationValue": None, "originalValue": 18.0},
        {"period": q[2], "replicationValue": 26.0, "originalValue": 16.5},
        {"period": q[1], "replicationValue": 24.2, "originalValue": None},
    ]
    assert customers == {"indicator": {"key": "nasabah-aktif"}, "original": None, "points": []}


async def test_reports_have_one_index_by_item_key_and_period(stores: Stores) -> None:
    # given the index of an earlier release
    await stores.indicator_reports.collection.create_index(
        [("subject_id", 1), ("indicator_key", 1), ("period_start", 1)]
    )
    # when the indexes are ensured again
    await stores.indicator_reports.ensure_indexes()
    # then only the unique one is left beside _id
    indexes = await stores.indicator_reports.collection.index_information()
    assert sorted(indexes) == ["_id_", "subject_id_1_indicator_key_1_period_1"]
    assert indexes["subject_id_1_indicator_key_1_period_1"]["unique"] is True


# --- cost --------------------------------------------------------------------------------------

PRACTICES_WITH_INDICATORS = """
query {
  practices(first: 20) {
    nodes {
      title
      results { key progressPercent trend stale reports { period value } latest { value } }
      freshness { staleIndicatorCount }
    }
  }
}
"""


async def _seed_reported(stores: Stores, practices: int, *, first: int = 0) -> None:
    organization = await organization_record(
        stores, name="Kelurahan Uji", kind=OrganizationKind.KELURAHAN_GOVERNMENT
    )
    documents = [
        {
            "_id": f"{first + index:024x}",
            "title": f"Praktik {index:03d}",
            "summary": "Ringkasan",
            "organization_id": organization.id,
            "region_codes": ["32.76.05.1001"],
            "themes": ["HEALTH"],
            "status": "PUBLISHED",
            "problem": "Masalah",
            "approach": "Pendekatan",
            "stage": "PILOT",
            "results": [STUNTING, CUSTOMERS],
        }
        for index in range(practices)
    ]
    await stores.practices.insert_many(documents)
    await stores.indicator_reports.insert_many(
        [
            {
                "subject_collection": "practices",
                "subject_id": document["_id"],
                "indicator_key": key,
                "granularity": "YEAR",
                "period": str(year),
                "period_start": f"{year}-01-01",
                "value": 10.0 + year - 2020,
            }
            for document in documents
            for key in ("prevalensi-stunting-balita", "nasabah-aktif")
            for year in (2022, 2023, 2024)
        ]
    )


async def _count(stores: Stores, counter: CommandCounter) -> list[str]:
    from resolvers.context import Context
    from schema import build_schema
    from tests.support import TEST_AUTH

    counter.commands.clear()
    result = await build_schema().execute(
        PRACTICES_WITH_INDICATORS, context_value=Context.for_request(stores, request_id="t", auth=TEST_AUTH)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    assert all(node["results"][0]["reports"] for node in result.data["practices"]["nodes"])
    # a getMore fetches the next batch of the same query's results: not another query
    return [command for command in counter.commands if command != "getMore"]


async def test_reports_of_a_page_of_practices_cost_one_query_whatever_the_page_size(
    counted: tuple[Stores, CommandCounter],
) -> None:
    # given 2 and then 20 practices, each with two indicators reported for three years
    stores, counter = counted
    await _seed_reported(stores, 2)
    few = await _count(stores, counter)
    await _seed_reported(stores, 18, first=2)
    many = await _count(stores, counter)
    # then the page of 20 costs what the page of 2 does: the practices, a count, one read of reports
    assert many == few
    assert len(many) <= 3, many


def test_report_ids_are_global_ids_of_their_own_type() -> None:
    assert encode_id(indicators.REPORT_TYPE, "a" * 24) != encode_id("Practice", "a" * 24)
