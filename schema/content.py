"""Best practices, case studies, partnerships and replications, with their value objects."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import funding, indicators
from resolvers.context import Context
from schema import following
from schema.audit import AuditEntry, Verification
from schema.enums import (
    AgreementKind,
    ContentStatus,
    FundingSource,
    PartnerRole,
    PartnershipStatus,
    ReplicationStatus,
    Stage,
    Theme,
)
from schema.indicators import (
    Indicator,
    IndicatorComparison,
    IndicatorFreshness,
    Metric,
    comparison_of,
    freshness_of,
    indicators_of,
)
from schema.node import Node, copy_record
from schema.permissions import OwnerOrReviewer, SignedIn, hidden_unless
from schema.regions import Organization, Region, load_organization, load_regions
from schema.scalars import Rupiah
from storage import records
from storage.vocabulary import FollowKind

if TYPE_CHECKING:
    from schema.discussions import Discussion


@strawberry.type
class Funding:
    source: FundingSource
    amount: Rupiah
    note: str | None


@strawberry.type
class Beneficiaries:
    count: int | None
    description: str | None


@strawberry.type
class Period:
    start: date | None
    end: date | None


@strawberry.type(description="Whom to ask about a practice.")
class Contact:
    name: str
    role: str | None
    email: str | None = strawberry.field(
        description="Personal data (UU PDP): signed-in users only, null otherwise.",
        extensions=hidden_unless(SignedIn()),
    )
    phone: str | None = strawberry.field(
        description="Personal data (UU PDP): signed-in users only, null otherwise.",
        extensions=hidden_unless(SignedIn()),
    )


@strawberry.type(description="A reusable part of a practice and how another region can replicate it.")
class BuildingBlock:
    name: str
    description: str
    how_to_replicate: str | None


@strawberry.type
class Link:
    label: str
    url: str


@strawberry.type
class Publication:
    doi: str | None
    url: str | None


@strawberry.type
class Agreement:
    kind: AgreementKind
    number: str | None
    signed_on: date | None


@strawberry.type(description="How a practice's peer exchanges went.")
class ExchangeStats:
    completed_count: int = strawberry.field(description="Exchanges about it that were completed.")
    mean_rating: float | None = strawberry.field(
        description="The requesters' mean rating of those, 1 to 5 (two decimals); null when none."
    )


def _value(cls: type[Any], value: Any) -> Any:
    return copy_record(cls, value) if value is not None else None


@strawberry.interface(
    description="What every content item has: bilingual text, owner, regions, themes, SDGs."
)
class Content(Node):
    title: str = strawberry.field(description="Title in Indonesian.")
    title_en: str | None = strawberry.field(description="Title in English, when given.")
    summary: str
    summary_en: str | None
    author_name: str | None
    themes: list[Theme]
    sdgs: list[int] = strawberry.field(description="Sustainable Development Goals addressed (1-17).")
    status: ContentStatus
    is_demo: bool = strawberry.field(description="Fictional demo content shipped with the hub.")
    version: int = strawberry.field(
        description="Increases with every change; pass it back to update or delete."
    )
    created_at: datetime
    updated_at: datetime
    local_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]
    region_codes: strawberry.Private[list[str]]

    @strawberry.field(description="The organization that owns this item.")
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="Where this happened; any level of the hierarchy.")
    async def regions(self, info: Info[Context, None]) -> list[Region]:
        return await load_regions(info, self.region_codes)

    @strawberry.field(
        description="Every edit and editorial step, newest first (at most 200); for the owning "
        "organization and the reviewers, empty for anyone else.",
        extensions=hidden_unless(OwnerOrReviewer()),
    )
    async def audit_trail(self, info: Info[Context, None]) -> list[AuditEntry]:
        entries = await info.context.loaders.audit_trail.load(self.local_id)
        return [AuditEntry.from_record(entry) for entry in entries]

    @strawberry.field(description="Questions and comments on this item, with how many are answered.")
    def discussion(self) -> Annotated[Discussion, strawberry.lazy("schema.discussions")]:
        from schema.discussions import Discussion  # discussions show their item: a cycle

        return Discussion(subject_id=self.local_id)

    @strawberry.field(description="How many users follow this.")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, _FOLLOW_KINDS[type(self).__name__], self.local_id)

    @strawberry.field(description="Whether the signed-in user follows this; false for anonymous viewers.")
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, _FOLLOW_KINDS[type(self).__name__], self.local_id)


_FOLLOW_KINDS = {
    "Practice": FollowKind.PRACTICE,
    "CaseStudy": FollowKind.CASE_STUDY,
    "Partnership": FollowKind.PARTNERSHIP,
    "Replication": FollowKind.REPLICATION,
}


def _content(cls: type[Any], record: records.ContentRecord, **overrides: Any) -> Any:
    return copy_record(cls, record, id=cls.global_id(record.id), local_id=record.id, **overrides)


async def _practices(info: Info[Context, None], ids: list[str]) -> list[Practice]:
    found = await info.context.loaders.practices.load_many(ids)
    return [Practice.from_record(r) for r in found if r is not None]


@strawberry.type(
    description="Praktik baik: a practice a region proved, told so that others can replicate it."
)
class Practice(Content):
    problem: str
    approach: str
    results: list[Indicator]
    stage: Stage
    is_digital: bool
    funding: list[Funding]
    beneficiaries: Beneficiaries | None
    legal_basis: str | None = strawberry.field(description="Dasar hukum: Perda, Perwali/Perbup, SK.")
    period: Period | None
    contact: Contact | None
    building_blocks: list[BuildingBlock]
    lessons_learned: list[str]
    evidence_links: list[Link]
    verification: Verification | None = strawberry.field(
        description="When a reviewer last checked that this practice still runs; null if never."
    )

    @classmethod
    def from_record(cls, record: records.PracticeRecord) -> Practice:
        result: Practice = _content(
            cls,
            record,
            results=indicators_of(record.results, record.id, indicators.schedule_of(record)),
            funding=[copy_record(Funding, f) for f in record.funding],
            beneficiaries=_value(Beneficiaries, record.beneficiaries),
            period=_value(Period, record.period),
            contact=_value(Contact, record.contact),
            building_blocks=[copy_record(BuildingBlock, b) for b in record.building_blocks],
            evidence_links=[copy_record(Link, link) for link in record.evidence_links],
            verification=Verification.from_record(record.verification) if record.verification else None,
        )
        return result

    @strawberry.field(description="Regions that adopted this practice, newest first.")
    async def replications(self, info: Info[Context, None]) -> list[Replication]:
        found = await info.context.loaders.replications_of_practice.load(self.local_id)
        return [Replication.from_record(r) for r in found]

    @strawberry.field(description="Case studies that examine this practice, newest first.")
    async def case_studies(self, info: Info[Context, None]) -> list[CaseStudy]:
        found = await info.context.loaders.case_studies_of_practice.load(self.local_id)
        return [CaseStudy.from_record(r) for r in found]

    @strawberry.field(
        description="How many peer exchanges about this practice were completed, and how the "
        "requesters rated them; for everyone."
    )
    async def exchange_stats(self, info: Info[Context, None]) -> ExchangeStats:
        stats = await info.context.loaders.exchange_stats.load(self.local_id)
        mean = round(stats.mean_rating, 2) if stats.mean_rating is not None else None
        return ExchangeStats(completed_count=stats.completed_count, mean_rating=mean)

    # --- monitoring indicators (schema/indicators.py) ---

    @strawberry.field(description="How up to date the reports of its indicators are.")
    async def freshness(self, info: Info[Context, None]) -> IndicatorFreshness:
        return await freshness_of(info, self.local_id, self.results)

    # --- cost and funding (the funding view: resolvers/funding.py, schema/funding.py) ----------

    @strawberry.field(description="The sum of its funding amounts, in rupiah.")
    def total_funding(self) -> Rupiah:
        return Rupiah(funding.cost_of([entry.amount for entry in self.funding]))

    @strawberry.field(
        description="Its total funding divided by its beneficiaries (rupiah per person); null "
        "unless both are above zero."
    )
    def cost_per_beneficiary(self) -> float | None:
        count = self.beneficiaries.count if self.beneficiaries else None
        return funding.cost_per_beneficiary([entry.amount for entry in self.funding], count)

    @strawberry.field(
        description="The median cost per beneficiary of the published practices of its first "
        "(primary) theme (itself among them once published); null when none of them has both figures."
    )
    async def theme_median_cost_per_beneficiary(self, info: Info[Context, None]) -> float | None:
        if not self.themes:
            return None
        return (await info.context.loaders.theme_costs.load(self.themes[0])).median


@strawberry.type(description="Studi kasus: a partner's study of how something worked, with evidence.")
class CaseStudy(Content):
    context: str
    methodology: str
    findings: str
    recommendations: str | None
    metrics: list[Metric] = strawberry.field(description="Its measured results (not reported over time).")
    authors: list[str]
    publication: Publication | None
    license: str | None
    related_practice_ids: strawberry.Private[list[str]]

    @classmethod
    def from_record(cls, record: records.CaseStudyRecord) -> CaseStudy:
        result: CaseStudy = _content(
            cls,
            record,
            metrics=[Metric.of(m) for m in record.metrics],
            publication=_value(Publication, record.publication),
        )
        return result

    @strawberry.field
    async def related_practices(self, info: Info[Context, None]) -> list[Practice]:
        return await _practices(info, self.related_practice_ids)


@strawberry.type(description="An organization's part in a partnership.")
class Partner:
    role: PartnerRole
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type(description="What one partner brings.")
class Contribution:
    description: str
    amount: Rupiah | None
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: Info[Context, None]) -> Organization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type(description="Kemitraan: governments and stakeholders working together.")
class Partnership(Content):
    partners: list[Partner]
    objectives: list[str]
    partnership_status: PartnershipStatus
    period: Period | None
    agreement: Agreement | None = strawberry.field(description="The MoU or PKS, when signed.")
    contributions: list[Contribution]
    outcomes: list[str]
    related_practice_ids: strawberry.Private[list[str]]

    @classmethod
    def from_record(cls, record: records.PartnershipRecord) -> Partnership:
        result: Partnership = _content(
            cls,
            record,
            partners=[copy_record(Partner, p) for p in record.partners],
            period=_value(Period, record.period),
            agreement=_value(Agreement, record.agreement),
            contributions=[copy_record(Contribution, c) for c in record.contributions],
        )
        return result

    @strawberry.field
    async def related_practices(self, info: Info[Context, None]) -> list[Practice]:
        return await _practices(info, self.related_practice_ids)


@strawberry.type(description="Replikasi: a practice adopted by another region, and how it turned out there.")
class Replication(Content):
    adaptations: str = strawberry.field(description="What the adopting region changed.")
    replication_status: ReplicationStatus
    started_on: date | None
    results: list[Indicator]
    comparison: str | None = strawberry.field(
        description="Results compared with the original practice, in words (see `indicatorComparison`)."
    )
    practice_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: records.ReplicationRecord) -> Replication:
        results = indicators_of(record.results, record.id, indicators.schedule_of(record))
        result: Replication = _content(cls, record, results=results)
        return result

    @strawberry.field(description="The practice that was replicated.")
    async def practice(self, info: Info[Context, None]) -> Practice | None:
        record = await info.context.loaders.practices.load(self.practice_id)
        return Practice.from_record(record) if record else None

    # --- monitoring indicators (schema/indicators.py) ---

    @strawberry.field(
        description="Each of its indicators beside the original practice's indicator with the same "
        "unit and key or name, lined up by calendar period."
    )
    async def indicator_comparison(self, info: Info[Context, None]) -> list[IndicatorComparison]:
        return await comparison_of(info, self.local_id, self.practice_id, self.results)

    @strawberry.field(description="How up to date the reports of its indicators are.")
    async def freshness(self, info: Info[Context, None]) -> IndicatorFreshness:
        return await freshness_of(info, self.local_id, self.results)
