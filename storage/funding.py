"""What practices cost and who paid: aggregates over any filter of practices, in MongoDB.

A practice's **cost** is the sum of its funding amounts (whole rupiah); its **cost per
beneficiary** is that cost divided by ``beneficiaries.count``, defined only when both are
above zero. Quartiles use linear interpolation between the sorted values (R-7, the default
of numpy and spreadsheets, ``statistics.quantiles(method="inclusive")``): for ``n`` sorted
values ``x[0..n-1]`` and a fraction ``p``, ``h = (n - 1) * p`` and the quantile is
``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``.

MongoDB's ``$median`` and ``$percentile`` (7.0+, which SecantusDB also answers) only have the
``approximate`` method and return one of the values, not an interpolation (the median of
1, 2, 3, 10 comes back as 2, not 2.5). So the pipeline sorts, pushes the sorted values into one
array and reads the quantiles with ``$arrayElemAt``: exact, and the same on both servers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from storage.filters import ContentFilter
from storage.store import Document, translate_errors
from storage.vocabulary import ContentStatus, FundingSource, Stage, Theme

QUARTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingFilter:
    """Practices of a content filter, optionally those running in a calendar year.

    A practice runs in a year when its period overlaps it: it started on or before 31 December
    and has not ended (no end date) or ended on or after 1 January. Practices without a start
    date are left out of a year's figures. Periods are stored as ISO dates, which sort as text.
    A practice of several years counts with its whole funding in each year (no split by year).
    """

    content: ContentFilter
    year: int | None = None

    def to_query(self) -> dict[str, Any]:
        query = self.content.to_query()
        if self.year is not None:
            first, last = f"{self.year:04d}-01-01", f"{self.year:04d}-12-31"
            query["period.start"] = {"$lte": last, "$type": "string"}
            # under $and: whatever the content filter holds stays as it is
            running = {"$or": [{"period.end": None}, {"period.end": {"$gte": first}}]}
            query.setdefault("$and", []).append(running)
        return query


@dataclass(frozen=True, slots=True)
class SourceTotal:
    source: FundingSource
    amount: int
    # Practices with at least one entry of this source.
    practice_count: int


@dataclass(frozen=True, slots=True)
class StageCount:
    stage: Stage
    count: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """Quantiles of a set of values (see the module's docstring); all None for no values."""

    count: int = 0
    min: float | None = None
    p25: float | None = None
    median: float | None = None
    p75: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class FundingSummary:
    practice_count: int = 0
    total_amount: int = 0
    by_source: list[SourceTotal] = field(default_factory=list)
    by_stage: list[StageCount] = field(default_factory=list)
    # Over the practices with both a cost and a beneficiary count.
    cost_per_beneficiary: Distribution = field(default_factory=Distribution)


def _cost() -> Document:
    return {"$sum": {"$map": {"input": {"$ifNull": ["$funding", []]}, "as": "f", "in": "$$f.amount"}}}


def _with_cost_per_beneficiary() -> list[Document]:
    """Stages adding ``cost`` and ``cpb`` (null unless cost and beneficiaries are both above zero)."""
    beneficiaries = {"$ifNull": ["$beneficiaries.count", 0]}
    return [
        {"$addFields": {"cost": _cost()}},
        {
            "$addFields": {
                "cpb": {
                    "$cond": [
                        {"$and": [{"$gt": ["$cost", 0]}, {"$gt": [beneficiaries, 0]}]},
                        {"$divide": ["$cost", beneficiaries]},
                        None,
                    ]
                }
            }
        },
    ]


def _quantile(values: str, count: str, p: float) -> Document:
    """R-7 quantile ``p`` of the sorted array ``values`` of ``count`` elements (null when empty)."""
    h = {"$multiply": [{"$subtract": [count, 1]}, p]}
    return {
        "$cond": [
            {"$eq": [count, 0]},
            None,
            {
                "$let": {
                    "vars": {"h": h, "lo": {"$floor": h}},
                    "in": {
                        "$let": {
                            "vars": {
                                "below": {"$arrayElemAt": [values, "$$lo"]},
                                "above": {
                                    "$arrayElemAt": [
                                        values,
                                        {"$min": [{"$add": ["$$lo", 1]}, {"$subtract": [count, 1]}]},
                                    ]
                                },
                            },
                            "in": {
                                "$add": [
                                    "$$below",
                                    {
                                        "$multiply": [
                                            {"$subtract": ["$$h", "$$lo"]},
                                            {"$subtract": ["$$above", "$$below"]},
                                        ]
                                    },
                                ]
                            },
                        }
                    },
                }
            },
        ]
    }


def _distribution_stages(group_key: Any) -> list[Document]:
    """Sorted ``cpb`` values grouped by ``group_key``, then their count, extremes and quartiles."""
    return [
        {"$match": {"cpb": {"$ne": None}}},
        {"$sort": {"cpb": 1}},
        {"$group": {"_id": group_key, "values": {"$push": "$cpb"}}},
        {"$addFields": {"count": {"$size": "$values"}}},
        {
            "$project": {
                "count": 1,
                "min": {"$arrayElemAt": ["$values", 0]},
                "max": {"$arrayElemAt": ["$values", -1]},
                **{name: _quantile("$values", "$count", p) for name, p in QUARTILES.items()},
            }
        },
    ]


def summary_pipeline(query: Mapping[str, Any]) -> list[Document]:
    """One aggregation: the matching practices, then every figure of the summary in one $facet."""
    return [
        {"$match": dict(query)},
        {"$project": {"funding": 1, "beneficiaries": 1, "stage": 1}},
        *_with_cost_per_beneficiary(),
        {
            "$facet": {
                "totals": [{"$group": {"_id": None, "count": {"$sum": 1}, "amount": {"$sum": "$cost"}}}],
                "by_source": [
                    {"$unwind": "$funding"},
                    # one row per practice and source first: a practice counts once per source
                    {
                        "$group": {
                            "_id": {"s": "$funding.source", "p": "$_id"},
                            "amount": {"$sum": "$funding.amount"},
                        }
                    },
                    {"$group": {"_id": "$_id.s", "amount": {"$sum": "$amount"}, "practices": {"$sum": 1}}},
                    {"$sort": {"amount": -1, "_id": 1}},
                ],
                "by_stage": [{"$group": {"_id": "$stage", "count": {"$sum": 1}}}],
                "cost_per_beneficiary": _distribution_stages(None),
            }
        },
    ]


def _distribution(document: Mapping[str, Any] | None) -> Distribution:
    if not document:
        return Distribution()
    return Distribution(
        count=int(document["count"]),
        **{name: _float(document.get(name)) for name in ("min", "p25", "median", "p75", "max")},
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _summary(document: Mapping[str, Any]) -> FundingSummary:
    totals = document["totals"][0] if document["totals"] else {"count": 0, "amount": 0}
    stages = {row["_id"]: int(row["count"]) for row in document["by_stage"]}
    return FundingSummary(
        practice_count=int(totals["count"]),
        total_amount=int(totals["amount"]),
        by_source=[
            SourceTotal(FundingSource[row["_id"]], int(row["amount"]), int(row["practices"]))
            for row in document["by_source"]
        ],
        # in the order of the stages, the ones without practices left out
        by_stage=[StageCount(stage, stages[stage.value]) for stage in Stage if stage.value in stages],
        cost_per_beneficiary=_distribution(
            document["cost_per_beneficiary"][0] if document["cost_per_beneficiary"] else None
        ),
    )


@translate_errors
async def funding_summary(*, collection: AsyncCollection[Document], filter: FundingFilter) -> FundingSummary:
    cursor = await collection.aggregate(summary_pipeline(filter.to_query()))
    documents = await cursor.to_list()
    return _summary(documents[0]) if documents else FundingSummary()


def theme_medians_pipeline(themes: Sequence[Theme]) -> list[Document]:
    """The cost-per-beneficiary distribution of the published practices of each theme."""
    values = [theme.value for theme in themes]
    return [
        {"$match": {"status": ContentStatus.PUBLISHED.value, "themes": {"$in": values}}},
        {"$project": {"funding": 1, "beneficiaries": 1, "themes": 1}},
        *_with_cost_per_beneficiary(),
        {"$unwind": "$themes"},
        {"$match": {"themes": {"$in": values}}},
        *_distribution_stages("$themes"),
    ]


@translate_errors
async def theme_distributions(
    *, collection: AsyncCollection[Document], themes: Sequence[Theme]
) -> list[Distribution]:
    """Each theme's distribution (in the order of ``themes``), with one aggregation for all."""
    cursor = await collection.aggregate(theme_medians_pipeline(themes))
    found = {row["_id"]: _distribution(row) async for row in cursor}
    return [found.get(theme.value, Distribution()) for theme in themes]
