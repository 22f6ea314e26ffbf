"""The cost and funding view: ``fundingSummary`` over any filter of practices."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import funding
from resolvers.context import Context
from schema.enums import FundingSource, Stage
from schema.inputs import PracticeFilter, to_fields
from schema.scalars import Rupiah
from storage import funding as records


@strawberry.type(description="What one funding source paid across the practices of a filter.")
class FundingBySource:
    source: FundingSource
    amount: Rupiah = strawberry.field(description="The sum of this source's entries, in rupiah.")
    practice_count: int = strawberry.field(description="Practices with at least one entry of it.")


@strawberry.type(description="How many practices of a filter are at one stage.")
class StageCount:
    stage: Stage
    count: int


@strawberry.type(
    description="Quantiles of cost per beneficiary (rupiah per person), by linear interpolation "
    "between the sorted values (R-7, as numpy and spreadsheets); null when no practice has both a "
    "cost and a beneficiary count."
)
class CostDistribution:
    count: int = strawberry.field(description="Practices with both a cost and a beneficiary count.")
    min: float | None
    p25: float | None = strawberry.field(description="First quartile.")
    median: float | None
    p75: float | None = strawberry.field(description="Third quartile.")
    max: float | None

    @classmethod
    def from_record(cls, record: records.Distribution) -> CostDistribution:
        return cls(
            count=record.count,
            min=record.min,
            p25=record.p25,
            median=record.median,
            p75=record.p75,
            max=record.max,
        )


@strawberry.type(
    description="Anggaran dan pendanaan: what the practices of a filter cost and who paid. A "
    "practice's cost is the sum of its funding amounts; its cost per beneficiary that cost divided "
    "by its beneficiaries."
)
class FundingSummary:
    practice_count: int = strawberry.field(description="Practices the figures cover.")
    total_amount: Rupiah = strawberry.field(description="All their funding, in rupiah.")
    by_source: list[FundingBySource] = strawberry.field(description="Largest amount first.")
    by_stage: list[StageCount] = strawberry.field(description="In the order of the stages; none left out.")
    cost_per_beneficiary: CostDistribution

    @classmethod
    def from_record(cls, record: records.FundingSummary) -> FundingSummary:
        counts = {row.stage: row.count for row in record.by_stage}
        return cls(
            practice_count=record.practice_count,
            total_amount=Rupiah(record.total_amount),
            by_source=[
                FundingBySource(
                    source=row.source, amount=Rupiah(row.amount), practice_count=row.practice_count
                )
                for row in record.by_source
            ],
            by_stage=[StageCount(stage=stage, count=counts.get(stage, 0)) for stage in Stage],
            cost_per_beneficiary=CostDistribution.from_record(record.cost_per_beneficiary),
        )


@strawberry.input(description="The practices filter, and a year their period must overlap.")
class FundingFilter(PracticeFilter):
    year: int | None = strawberry.field(
        default=None,
        description="Practices running in this calendar year: started by its end and not ended "
        "before its start (practices without a start date are left out). A practice running over "
        "several years counts with its whole funding in each of them: amounts are not split by year.",
    )


@strawberry.type
class FundingQuery:
    @strawberry.field(
        description="Funding by source, count by stage and cost per beneficiary of the practices of "
        "a filter, computed in one aggregation. Published practices unless `statuses` says "
        "otherwise, and only those the viewer may read."
    )
    async def funding_summary(
        self, info: Info[Context, None], filter: FundingFilter | None = None
    ) -> FundingSummary:
        fields = to_fields(filter) if filter else {}
        return FundingSummary.from_record(await funding.summary(info.context, **fields))
