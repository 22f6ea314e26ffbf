"""Mutation and filter inputs.

Content fields are nullable in the schema on purpose: a missing required field is reported in
the payload's ``errors`` (code REQUIRED, with its field), like every other validation problem,
instead of failing the whole request before the mutation runs. Omitted fields of an update keep
their stored values; an explicit null clears an optional field.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from schema.enums import (
    AgreementKind,
    ContentStatus,
    FundingSource,
    IndicatorDirection,
    OrganizationKind,
    PartnerRole,
    PartnershipStatus,
    ReplicationStatus,
    Stage,
    Theme,
)
from schema.scalars import Rupiah


def to_fields(value: Any) -> Any:
    """Plain data of an input: given fields only (UNSET dropped), nested inputs as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_fields(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not UNSET
        }
    if isinstance(value, list):
        return [to_fields(item) for item in value]
    if isinstance(value, Enum):
        return value
    return value


@strawberry.input
class IndicatorInput:
    name: str | None = UNSET
    unit: str | None = UNSET
    baseline: float | None = UNSET
    target: float | None = UNSET
    achieved: float | None = UNSET
    key: str | None = strawberry.field(
        default=UNSET,
        description="Keeps the indicator's identity (and its reports) through a rename; "
        "omitted: a slug of the name, or the stored key of the indicator of the same name.",
    )
    direction: IndicatorDirection | None = strawberry.field(
        default=UNSET, description="Omitted: DECREASE when the target is below the baseline, else INCREASE."
    )


@strawberry.input
class FundingInput:
    source: FundingSource | None = UNSET
    amount: Rupiah | None = UNSET
    note: str | None = UNSET


@strawberry.input
class BeneficiariesInput:
    count: int | None = UNSET
    description: str | None = UNSET


@strawberry.input
class PeriodInput:
    start: date | None = UNSET
    end: date | None = UNSET


@strawberry.input
class ContactInput:
    name: str | None = UNSET
    role: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET


@strawberry.input
class BuildingBlockInput:
    name: str | None = UNSET
    description: str | None = UNSET
    how_to_replicate: str | None = UNSET


@strawberry.input
class LinkInput:
    label: str | None = UNSET
    url: str | None = UNSET


@strawberry.input
class PublicationInput:
    doi: str | None = UNSET
    url: str | None = UNSET


@strawberry.input
class PartnerInput:
    organization_id: strawberry.ID | None = UNSET
    role: PartnerRole | None = UNSET


@strawberry.input
class AgreementInput:
    kind: AgreementKind | None = UNSET
    number: str | None = UNSET
    signed_on: date | None = UNSET


@strawberry.input
class ContributionInput:
    organization_id: strawberry.ID | None = UNSET
    description: str | None = UNSET
    amount: Rupiah | None = UNSET


@strawberry.input(description="Fields of an organization; required ones: name, kind.")
class OrganizationInput:
    name: str | None = UNSET
    kind: OrganizationKind | None = UNSET
    region_code: str | None = UNSET
    verified: bool | None = UNSET
    description: str | None = UNSET
    website: str | None = UNSET


@strawberry.input
class ContentInput:
    title: str | None = UNSET
    title_en: str | None = UNSET
    summary: str | None = UNSET
    summary_en: str | None = UNSET
    organization_id: strawberry.ID | None = UNSET
    author_name: str | None = UNSET
    region_codes: list[str] | None = UNSET
    themes: list[Theme] | None = UNSET
    sdgs: list[int] | None = UNSET


@strawberry.input(
    description="Fields of a practice; required: title, summary, organizationId, regionCodes, themes, "
    "problem, approach, stage."
)
class PracticeInput(ContentInput):
    problem: str | None = UNSET
    approach: str | None = UNSET
    results: list[IndicatorInput] | None = UNSET
    stage: Stage | None = UNSET
    is_digital: bool | None = UNSET
    funding: list[FundingInput] | None = UNSET
    beneficiaries: BeneficiariesInput | None = UNSET
    legal_basis: str | None = UNSET
    period: PeriodInput | None = UNSET
    contact: ContactInput | None = UNSET
    building_blocks: list[BuildingBlockInput] | None = UNSET
    lessons_learned: list[str] | None = UNSET
    evidence_links: list[LinkInput] | None = UNSET


@strawberry.input(
    description="Fields of a case study; required: title, summary, organizationId, regionCodes, themes, "
    "context, methodology, findings."
)
class CaseStudyInput(ContentInput):
    context: str | None = UNSET
    methodology: str | None = UNSET
    findings: str | None = UNSET
    recommendations: str | None = UNSET
    metrics: list[IndicatorInput] | None = UNSET
    authors: list[str] | None = UNSET
    publication: PublicationInput | None = UNSET
    license: str | None = UNSET
    related_practice_ids: list[strawberry.ID] | None = UNSET


@strawberry.input(
    description="Fields of a partnership; required: title, summary, organizationId, regionCodes, themes, "
    "partners."
)
class PartnershipInput(ContentInput):
    partners: list[PartnerInput] | None = UNSET
    objectives: list[str] | None = UNSET
    partnership_status: PartnershipStatus | None = UNSET
    period: PeriodInput | None = UNSET
    agreement: AgreementInput | None = UNSET
    contributions: list[ContributionInput] | None = UNSET
    outcomes: list[str] | None = UNSET
    related_practice_ids: list[strawberry.ID] | None = UNSET


@strawberry.input(
    description="Fields of a replication; required: title, summary, organizationId, regionCodes, themes, "
    "practiceId, adaptations."
)
class ReplicationInput(ContentInput):
    practice_id: strawberry.ID | None = UNSET
    adaptations: str | None = UNSET
    replication_status: ReplicationStatus | None = UNSET
    started_on: date | None = UNSET
    results: list[IndicatorInput] | None = UNSET
    comparison: str | None = UNSET


@strawberry.input(description="Which object to delete, at which version.")
class DeleteInput:
    id: strawberry.ID
    version: int


@strawberry.input(description="Changes to apply if `version` is still the stored one.")
class UpdateOrganizationInput:
    id: strawberry.ID
    version: int
    changes: OrganizationInput


@strawberry.input(description="Changes to apply if `version` is still the stored one.")
class UpdatePracticeInput:
    id: strawberry.ID
    version: int
    changes: PracticeInput


@strawberry.input(description="Changes to apply if `version` is still the stored one.")
class UpdateCaseStudyInput:
    id: strawberry.ID
    version: int
    changes: CaseStudyInput


@strawberry.input(description="Changes to apply if `version` is still the stored one.")
class UpdatePartnershipInput:
    id: strawberry.ID
    version: int
    changes: PartnershipInput


@strawberry.input(description="Changes to apply if `version` is still the stored one.")
class UpdateReplicationInput:
    id: strawberry.ID
    version: int
    changes: ReplicationInput


@strawberry.input(description="Any listed value of a field matches; all given fields must match.")
class ContentFilterInput:
    themes: list[Theme] | None = None
    sdgs: list[int] | None = None
    region_code: str | None = strawberry.field(
        default=None, description="Content in this region or anywhere below it."
    )
    organization_ids: list[strawberry.ID] | None = None
    statuses: list[ContentStatus] | None = None


@strawberry.input
class PracticeFilter(ContentFilterInput):
    stages: list[Stage] | None = None


@strawberry.input
class CaseStudyFilter(ContentFilterInput):
    pass


@strawberry.input
class PartnershipFilter(ContentFilterInput):
    partnership_statuses: list[PartnershipStatus] | None = None


@strawberry.input
class ReplicationFilter(ContentFilterInput):
    replication_statuses: list[ReplicationStatus] | None = None
    practice_id: strawberry.ID | None = None
