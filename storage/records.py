"""Plain records read from MongoDB: what the stores return and the layers above consume.

Records are immutable pydantic models validated from the stored documents. IDs are the hex form
of MongoDB ObjectIds; region references are dotted Kemendagri codes.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from storage.vocabulary import (
    AgreementKind,
    AuditAction,
    ContentStatus,
    ExchangeKind,
    ExchangeState,
    ExchangeSubjectKind,
    FundingSource,
    IndicatorDirection,
    OrganizationKind,
    PartnerRole,
    PartnershipStatus,
    RegionLevel,
    ReplicationStatus,
    Role,
    Stage,
    Theme,
)


def _hex(value: Any) -> Any:
    return str(value) if isinstance(value, ObjectId) else value


Id = Annotated[str, BeforeValidator(_hex)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


# --- value objects -----------------------------------------------------------------------------


def slug(text: str) -> str:
    """A lowercase ASCII slug of ``text``: "Prevalensi stunting (%)" -> "prevalensi-stunting"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = decomposed.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-") or "indikator"


class Indicator(Record):
    name: str
    unit: str
    baseline: float | None = None
    target: float | None = None
    achieved: float | None = None
    # Stable identity of the indicator within its item: reports point at it. Given on create
    # (a slug of the name) and kept on edit; records stored before it existed use the slug.
    key: str | None = None
    # None: derived from baseline and target (see ``effective_direction``).
    direction: IndicatorDirection | None = None

    @property
    def effective_key(self) -> str:
        return self.key or slug(self.name)

    @property
    def effective_direction(self) -> IndicatorDirection:
        if self.direction is not None:
            return self.direction
        if self.baseline is not None and self.target is not None and self.target < self.baseline:
            return IndicatorDirection.DECREASE
        return IndicatorDirection.INCREASE


class Funding(Record):
    source: FundingSource
    amount: int = Field(ge=0)
    note: str | None = None


class Beneficiaries(Record):
    count: int | None = Field(default=None, ge=0)
    description: str | None = None


class Period(Record):
    start: date | None = None
    end: date | None = None


class Contact(Record):
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class BuildingBlock(Record):
    name: str
    description: str
    how_to_replicate: str | None = None


class Link(Record):
    label: str
    url: str


class Publication(Record):
    doi: str | None = None
    url: str | None = None


class Partner(Record):
    organization_id: Id
    role: PartnerRole


class Agreement(Record):
    kind: AgreementKind
    number: str | None = None
    signed_on: date | None = None


class Contribution(Record):
    organization_id: Id
    description: str
    amount: int | None = Field(default=None, ge=0)


# --- entities ----------------------------------------------------------------------------------


class RegionRecord(Record):
    code: str = Field(alias="_id")
    name: str
    level: RegionLevel
    kind: str
    parent_code: str | None = None
    postal_code: str | None = None

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes of every enclosing region, the province first (derived from the dotted code)."""
        parts = self.code.split(".")
        return [".".join(parts[:depth]) for depth in range(1, len(parts))]


class VersionedRecord(Record):
    id: Id = Field(alias="_id")
    version: int
    created_at: datetime
    updated_at: datetime
    is_demo: bool = False


class OrganizationRecord(VersionedRecord):
    name: str
    kind: OrganizationKind
    region_code: str | None = None
    verified: bool = False
    description: str | None = None
    website: str | None = None


class ContentRecord(VersionedRecord):
    title: str
    title_en: str | None = None
    summary: str
    summary_en: str | None = None
    organization_id: Id
    author_name: str | None = None
    region_codes: list[str] = []
    themes: list[Theme] = []
    sdgs: list[int] = []
    status: ContentStatus


class Verification(Record):
    """A reviewer's check that a published practice still runs."""

    verified_at: datetime
    verified_by: Id | None = None
    still_active: bool
    comment: str | None = None


class PracticeRecord(ContentRecord):
    problem: str
    approach: str
    results: list[Indicator] = []
    stage: Stage
    is_digital: bool = False
    funding: list[Funding] = []
    beneficiaries: Beneficiaries | None = None
    legal_basis: str | None = None
    period: Period | None = None
    contact: Contact | None = None
    building_blocks: list[BuildingBlock] = []
    lessons_learned: list[str] = []
    evidence_links: list[Link] = []
    verification: Verification | None = None


class CaseStudyRecord(ContentRecord):
    context: str
    methodology: str
    findings: str
    recommendations: str | None = None
    metrics: list[Indicator] = []
    authors: list[str] = []
    publication: Publication | None = None
    license: str | None = None
    related_practice_ids: list[Id] = []


class PartnershipRecord(ContentRecord):
    partners: list[Partner] = []
    objectives: list[str] = []
    partnership_status: PartnershipStatus
    period: Period | None = None
    agreement: Agreement | None = None
    contributions: list[Contribution] = []
    outcomes: list[str] = []
    related_practice_ids: list[Id] = []


class ReplicationRecord(ContentRecord):
    practice_id: Id
    adaptations: str
    replication_status: ReplicationStatus
    started_on: date | None = None
    results: list[Indicator] = []
    comparison: str | None = None


# --- peer exchanges ----------------------------------------------------------------------------


class DateRange(Record):
    start: date
    end: date


class ExchangeSchedule(Record):
    """When and where an accepted exchange takes place: a place, an online link, or both."""

    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None


class ExchangeRecord(VersionedRecord):
    """A government's request to the organization behind a practice or a partnership.

    ``owner_organization_id`` is the subject's owner when the request was made: the side that
    answers stays the same even if the subject changes hands later.
    """

    kind: ExchangeKind
    state: ExchangeState
    subject_kind: ExchangeSubjectKind
    subject_id: Id
    owner_organization_id: Id
    requester_organization_id: Id
    requested_by: Id | None = None
    requesting_region_code: str
    message: str
    preferred_dates: list[DateRange]
    participants: int
    decline_reason: str | None = None
    schedule: ExchangeSchedule | None = None
    feedback: str | None = None
    rating: int | None = None
    cancel_reason: str | None = None
    replication_id: Id | None = None
    # Who must be told of the latest step: the parties other than the one that took it (both
    # when a hub admin took it). Each audit entry of an exchange carries the same for its step.
    notify_organization_ids: list[Id] = []


class ExchangeStats(Record):
    """How a subject's exchanges went: how many were completed, and their mean rating (1-5)."""

    completed_count: int = 0
    mean_rating: float | None = None


# --- accounts and the audit trail --------------------------------------------------------------


class UserRecord(VersionedRecord):
    email: str
    name: str
    role: Role
    organization_id: Id
    # An argon2 hash; never leaves the resolvers.
    password_hash: str
    password_changed_at: datetime | None = None


class SessionRecord(Record):
    """One sign-in: a pair of tokens, stored as keyed hashes only."""

    id: str = Field(alias="_id")
    user_id: Id
    access_hash: str
    refresh_hash: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None


class InvitationRecord(Record):
    id: str = Field(alias="_id")
    email: str
    organization_id: Id
    role: Role
    token_hash: str
    expires_at: datetime
    invited_by: Id
    created_at: datetime
    accepted_at: datetime | None = None
    user_id: Id | None = None


class FieldChange(Record):
    field: str
    before: Any = None
    after: Any = None


class AuditEntryRecord(Record):
    """Who did what to one item, and when; written in the same transaction as the change."""

    id: Id = Field(alias="_id")
    subject_collection: str
    subject_id: Id
    action: AuditAction
    actor_id: Id | None = None
    actor_name: str | None = None
    at: datetime
    version: int | None = None
    changes: list[FieldChange] = []
    comment: str | None = None
    # The organizations to tell of this change (peer exchanges; empty elsewhere).
    notify_organization_ids: list[Id] = []
