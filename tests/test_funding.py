"""The cost and funding view: ``fundingSummary`` and a practice's cost beside its theme's median.

Every figure is checked against a computation in the test over a known set of practices,
written straight to an isolated database: sums by source, counts by stage, and the quartiles of
cost per beneficiary by the same definition (R-7, ``statistics.quantiles(method="inclusive")``).
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from resolvers.context import Context
from resolvers.ids import encode_id
from resolvers.viewer import Viewer
from schema import build_schema
from server.supervisor import LocalService
from storage.database import Stores
from storage.store import Document, new_id
from storage.vocabulary import Role, Stage
from tests.support import TEST_AUTH
from tests.test_query_cost import CommandCounter

SUMMARY = """
query($filter: FundingFilter) {
  fundingSummary(filter: $filter) {
    practiceCount totalAmount
    bySource { source amount practiceCount }
    byStage { stage count }
    costPerBeneficiary { count min p25 median p75 max }
  }
}
"""
PRACTICE_COSTS = """
query($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Practice { id themes totalFunding costPerBeneficiary themeMedianCostPerBeneficiary }
  }
}
"""
PAGE_COSTS = """
query { practices(first: 50) { nodes { costPerBeneficiary themeMedianCostPerBeneficiary } } }
"""

OWNER = new_id()
OTHER_OWNER = new_id()


@dataclass(frozen=True)
class Known:
    """A practice of the known set, as stored and as the test computes its figures."""

    key: str
    region: str
    themes: list[str]
    stage: str
    funding: list[tuple[str, int]]
    beneficiaries: int | None
    period: tuple[str | None, str | None] | None
    status: str = "PUBLISHED"
    organization_id: str = OWNER
    id: str = field(default_factory=new_id)

    @property
    def cost(self) -> int:
        return sum(amount for _, amount in self.funding)

    @property
    def cost_per_beneficiary(self) -> float | None:
        return self.cost / self.beneficiaries if self.cost > 0 and self.beneficiaries else None

    def document(self) -> Document:
        return {
            "_id": self.id,
            "title": f"Praktik {self.key}",
            "summary": "Ringkasan",
            "organization_id": self.organization_id,
            "region_codes": [self.region],
            "themes": self.themes,
            "status": self.status,
            "problem": "Masalah",
            "approach": "Pendekatan",
            "stage": self.stage,
            "funding": [{"source": source, "amount": amount} for source, amount in self.funding],
            "beneficiaries": None if self.beneficiaries is None else {"count": self.beneficiaries},
            "period": None if self.period is None else {"start": self.period[0], "end": self.period[1]},
        }


KNOWN = [
    Known(
        key="A",
        region="32.76.05.1001",
        themes=["HEALTH"],
        stage="PILOT",
        funding=[("APBD", 100_000_000), ("CSR", 50_000_000)],
        beneficiaries=300,
        period=("2022-01-01", None),
    ),
    # more than 2^31 rupiah: GraphQL's Int would overflow, the Rupiah scalar does not
    Known(
        key="B",
        region="32.76.01.1007",
        themes=["HEALTH", "EDUCATION"],
        stage="APPLIED",
        funding=[("DANA_KELURAHAN", 3_000_000_000)],
        beneficiaries=12_000,
        period=("2023-03-01", "2023-12-31"),
    ),
    Known(
        key="C",
        region="35.78.09.1001",
        themes=["EDUCATION"],
        stage="APPLIED",
        funding=[("GRANT", 75_000_000), ("APBD", 25_000_000)],
        beneficiaries=800,
        period=("2024-01-01", None),
    ),
    # two entries of one source: the source counts the practice once; no beneficiaries
    Known(
        key="D",
        region="31.71.01.1001",
        themes=["WASTE_MANAGEMENT"],
        stage="INSTITUTIONALIZED",
        funding=[("APBD", 20_000_000), ("APBD", 20_000_000)],
        beneficiaries=None,
        period=("2020-01-01", "2021-12-31"),
    ),
    # no funding and no period
    Known(
        key="E",
        region="35.78.09.1002",
        themes=["HEALTH"],
        stage="INITIATIVE",
        funding=[],
        beneficiaries=500,
        period=None,
    ),
    Known(
        key="F",
        region="32.76.05.1002",
        themes=["HEALTH"],
        stage="PILOT",
        funding=[("COMMUNITY", 9_000_000)],
        beneficiaries=45,
        period=("2025-06-01", None),
    ),
    Known(
        key="G",
        region="32.76.05.1001",
        themes=["HEALTH"],
        stage="PILOT",
        funding=[("APBD", 999_000_000)],
        beneficiaries=1,
        period=("2023-01-01", None),
        status="DRAFT",
        organization_id=OTHER_OWNER,
    ),
]
PUBLISHED = [known for known in KNOWN if known.status == "PUBLISHED"]


def _named(*keys: str) -> list[Known]:
    return [known for known in KNOWN if known.key in keys]


def expected_summary(practices: Sequence[Known]) -> dict[str, Any]:
    """The summary as the test computes it in Python, in the API's shape."""
    amounts: dict[str, int] = defaultdict(int)
    holders: dict[str, set[str]] = defaultdict(set)
    for known in practices:
        for source, amount in known.funding:
            amounts[source] += amount
            holders[source].add(known.key)
    stages = Counter(known.stage for known in practices)
    values = sorted(v for known in practices if (v := known.cost_per_beneficiary) is not None)
    if len(values) >= 2:
        p25, median, p75 = statistics.quantiles(values, n=4, method="inclusive")
        distribution: dict[str, Any] = {
            "count": len(values),
            "min": values[0],
            "p25": p25,
            "median": median,
            "p75": p75,
            "max": values[-1],
        }
    else:
        only = values[0] if values else None
        distribution = {"count": len(values), **dict.fromkeys(("min", "p25", "median", "p75", "max"), only)}
    return {
        "practiceCount": len(practices),
        "totalAmount": sum(known.cost for known in practices),
        "bySource": sorted(
            (
                {"source": source, "amount": amount, "practiceCount": len(holders[source])}
                for source, amount in amounts.items()
            ),
            key=lambda row: (-row["amount"], row["source"]),
        ),
        "byStage": [{"stage": stage.value, "count": stages.get(stage.value, 0)} for stage in Stage],
        "costPerBeneficiary": distribution,
    }


def _approximately(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal, the quantiles to within floating-point rounding."""
    assert {k: v for k, v in actual.items() if k != "costPerBeneficiary"} == {
        k: v for k, v in expected.items() if k != "costPerBeneficiary"
    }
    got, want = actual["costPerBeneficiary"], expected["costPerBeneficiary"]
    assert got.keys() == want.keys()
    for name, value in want.items():
        assert got[name] == (pytest.approx(value) if value is not None else None), name


@dataclass
class Seeded:
    stores: Stores
    counter: CommandCounter

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, viewer: Viewer | None = None
    ) -> Any:
        self.counter.commands.clear()
        result = await build_schema().execute(
            query,
            variable_values=variables or {},
            context_value=Context.for_request(self.stores, request_id="t", auth=TEST_AUTH, viewer=viewer),
        )
        return result

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        result = await self.execute(query, variables, **kw)
        assert result.errors is None, result.errors
        return result.data

    async def summary(self, filter: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        data = await self.data(SUMMARY, {"filter": filter}, **kw)
        summary: dict[str, Any] = data["fundingSummary"]
        return summary


@pytest.fixture
async def seeded(mongo: LocalService) -> AsyncIterator[Seeded]:
    """The known practices in a database of their own, read through a client that counts commands."""
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo.url, event_listeners=[counter], tz_aware=True)
    name = f"funding_{uuid.uuid4().hex[:8]}"
    stores = Stores.of(client[name])
    await stores.ensure_indexes()
    await stores.practices.insert_many([known.document() for known in KNOWN])
    yield Seeded(stores, counter)
    await client.drop_database(name)
    await client.close()


MEMBER_OF_OTHER = Viewer(user_id=new_id(), role=Role.MEMBER, organization_id=OTHER_OWNER)
REVIEWER = Viewer(user_id=new_id(), role=Role.REVIEWER, organization_id=new_id())


async def test_funding_summary_matches_a_computation_over_the_published_practices(seeded: Seeded) -> None:
    # given: the known set, one of them a draft
    # when
    summary = await seeded.summary()
    # then
    _approximately(summary, expected_summary(PUBLISHED))
    assert summary["totalAmount"] == 3_299_000_000
    assert summary["bySource"][0] == {"source": "DANA_KELURAHAN", "amount": 3_000_000_000, "practiceCount": 1}
    assert {"source": "APBD", "amount": 165_000_000, "practiceCount": 3} in summary["bySource"]


async def test_funding_summary_is_one_aggregation(seeded: Seeded) -> None:
    # when
    await seeded.summary({"regionCode": "32", "themes": ["HEALTH"], "year": 2023})
    # then
    assert seeded.counter.commands == ["aggregate"]


@pytest.mark.parametrize(
    ("region", "keys"),
    [("32", "ABF"), ("32.76", "ABF"), ("32.76.05", "AF"), ("32.76.05.1001", "A"), ("35", "CE")],
)
async def test_funding_summary_of_a_region_covers_the_kelurahan_below_it(
    seeded: Seeded, region: str, keys: str
) -> None:
    # when: a province, a city, a kecamatan, a kelurahan
    summary = await seeded.summary({"regionCode": region})
    # then
    _approximately(summary, expected_summary(_named(*keys)))


@pytest.mark.parametrize(
    ("filter", "keys"),
    [
        ({"themes": ["EDUCATION"]}, "BC"),
        ({"themes": ["EDUCATION", "WASTE_MANAGEMENT"]}, "BCD"),
        ({"stages": ["PILOT"]}, "AF"),
        ({"stages": ["APPLIED"], "themes": ["HEALTH"]}, "B"),
    ],
)
async def test_funding_summary_by_theme_and_stage(seeded: Seeded, filter: dict[str, Any], keys: str) -> None:
    # when
    summary = await seeded.summary(filter)
    # then
    _approximately(summary, expected_summary(_named(*keys)))


@pytest.mark.parametrize(("year", "keys"), [(2021, "D"), (2023, "AB"), (2024, "AC"), (2025, "ACF")])
async def test_funding_summary_of_a_year_counts_the_practices_running_in_it(
    seeded: Seeded, year: int, keys: str
) -> None:
    # when: periods overlapping the year; E has no period and is never counted
    summary = await seeded.summary({"year": year})
    # then
    _approximately(summary, expected_summary(_named(*keys)))


async def test_funding_summary_counts_no_draft_for_the_public(seeded: Seeded) -> None:
    # when: the public asks for drafts outright, and the draft's own organization asks
    public = await seeded.summary({"statuses": ["DRAFT"]})
    owners_default = await seeded.summary(viewer=MEMBER_OF_OTHER)
    owners_drafts = await seeded.summary({"statuses": ["DRAFT"]}, viewer=MEMBER_OF_OTHER)
    reviewers_default = await seeded.summary(viewer=REVIEWER)
    reviewers_drafts = await seeded.summary({"statuses": ["DRAFT"]}, viewer=REVIEWER)
    # then: nobody else's draft is counted; its owners (and reviewers) see it only when they ask
    assert public["practiceCount"] == 0
    _approximately(owners_default, expected_summary(PUBLISHED))
    _approximately(owners_drafts, expected_summary(_named("G")))
    _approximately(reviewers_default, expected_summary(PUBLISHED))
    _approximately(reviewers_drafts, expected_summary(_named("G")))


async def test_funding_summary_of_no_practices_is_zeros_and_nulls(seeded: Seeded) -> None:
    # when: a province without practices
    summary = await seeded.summary({"regionCode": "11"})
    # then
    assert summary == {
        "practiceCount": 0,
        "totalAmount": 0,
        "bySource": [],
        "byStage": [{"stage": stage.value, "count": 0} for stage in Stage],
        "costPerBeneficiary": {"count": 0, **dict.fromkeys(("min", "p25", "median", "p75", "max"))},
    }


async def test_funding_summary_of_a_single_practice_has_its_figure_as_every_quantile(seeded: Seeded) -> None:
    # when
    summary = await seeded.summary({"regionCode": "35.78.09.1001"})
    # then: C, 100 million for 800 people
    assert summary["costPerBeneficiary"] == {
        "count": 1,
        "min": 125_000.0,
        "p25": 125_000.0,
        "median": 125_000.0,
        "p75": 125_000.0,
        "max": 125_000.0,
    }
    assert summary["bySource"] == [
        {"source": "GRANT", "amount": 75_000_000, "practiceCount": 1},
        {"source": "APBD", "amount": 25_000_000, "practiceCount": 1},
    ]


@pytest.mark.parametrize("year", [1200, 99999])
async def test_funding_summary_of_an_impossible_year_is_a_user_input_error(seeded: Seeded, year: int) -> None:
    # when
    result = await seeded.execute(SUMMARY, {"filter": {"year": year}})
    # then
    assert result.data is None
    (error,) = result.errors
    assert "filter.year" in error.message
    assert error.extensions["argument"] == "filter.year"


def _median_of_theme(theme: str) -> float:
    return statistics.median(
        v for known in PUBLISHED if theme in known.themes and (v := known.cost_per_beneficiary) is not None
    )


async def test_practice_shows_its_cost_per_beneficiary_beside_its_themes_median(seeded: Seeded) -> None:
    # given: A (health), C (education first), D (no beneficiaries)
    a, c, d = _named("A", "C", "D")
    ids = [encode_id("Practice", known.id) for known in (a, c, d)]
    # when
    nodes = (await seeded.data(PRACTICE_COSTS, {"ids": ids}))["nodes"]
    # then: the draft G (1 person for 999 million) is no part of the health median
    assert [node["totalFunding"] for node in nodes] == [150_000_000, 100_000_000, 40_000_000]
    assert [node["costPerBeneficiary"] for node in nodes] == [500_000.0, 125_000.0, None]
    assert nodes[0]["themeMedianCostPerBeneficiary"] == pytest.approx(_median_of_theme("HEALTH"))
    assert nodes[0]["themeMedianCostPerBeneficiary"] == 250_000.0
    assert nodes[1]["themeMedianCostPerBeneficiary"] == pytest.approx(_median_of_theme("EDUCATION"))
    # no practice of waste management has both figures
    assert nodes[2]["themeMedianCostPerBeneficiary"] is None


async def test_theme_medians_of_a_page_of_practices_cost_one_aggregation(seeded: Seeded) -> None:
    # when: a page of practices of three themes
    data = await seeded.data(PAGE_COSTS)
    # then: the page's find, and one aggregation for every theme on it
    assert len(data["practices"]["nodes"]) == len(PUBLISHED)
    assert seeded.counter.commands == ["find", "aggregate"]
