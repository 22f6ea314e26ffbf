"""What a client may write: pydantic models that validate mutation input before any write.

Field names equal the stored ones, so an update validates ``{**stored, **patch}`` as a whole
and cross-field rules (a period's end after its start) hold after every partial update.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from resolvers.ids import InvalidGlobalId, decode_id_of
from storage.records import slug
from storage.vocabulary import (
    AgreementKind,
    ContentStatus,
    EventKind,
    EventStatus,
    FundingSource,
    IndicatorDirection,
    OrganizationKind,
    PartnerRole,
    PartnershipStatus,
    ReplicationStatus,
    Stage,
    Theme,
)

T = TypeVar("T")

MAX_TITLE = 200
MAX_SUMMARY = 2_000
MAX_TEXT = 20_000
MAX_SHORT = 300
MAX_ITEMS = 50


def _stored_or_global_id(type_name: str) -> Any:
    """Accept a global ID of ``type_name``, or a stored ID (the value kept by a partial update)."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) == 24 and all(c in "0123456789abcdef" for c in value):
            return value
        try:
            return decode_id_of(type_name, value)
        except InvalidGlobalId as exc:
            raise PydanticCustomError("invalid_id", "{reason}", {"reason": str(exc)}) from None

    return BeforeValidator(validate)


def _unique(values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))


def _text(max_length: int, min_length: int = 1) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Title = Annotated[str, _text(MAX_TITLE, min_length=3)]
Summary = Annotated[str, _text(MAX_SUMMARY)]
LongText = Annotated[str, _text(MAX_TEXT)]
Short = Annotated[str, _text(MAX_SHORT)]
Url = Annotated[str, _text(2_000), StringConstraints(pattern=r"^https?://\S+$")]
RegionCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
]
Money = Annotated[int, Field(ge=0, le=10**15)]
Amount = Annotated[float, Field(ge=-1e15, le=1e15)]
Sdg = Annotated[int, Field(ge=1, le=17)]
OrganizationId = Annotated[str, _stored_or_global_id("Organization")]
PracticeId = Annotated[str, _stored_or_global_id("Practice")]


class ReferenceKind(Enum):
    REGION = "region"
    ORGANIZATION = "organization"
    PRACTICE = "practice"


@dataclass(frozen=True, slots=True)
class Reference:
    field: str
    kind: ReferenceKind
    id: str


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def references(self) -> Iterator[Reference]:
        """Every stored object this draft points at, with the input field that names it."""
        return iter(())


IndicatorKey = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]


class IndicatorDraft(Draft):
    name: Short
    unit: Annotated[str, _text(50)]
    baseline: Amount | None = None
    target: Amount | None = None
    achieved: Amount | None = None
    # Given by the client to keep an indicator's identity through a rename; else a slug of the name.
    key: IndicatorKey | None = None
    direction: IndicatorDirection | None = None

    @field_validator("direction")
    @classmethod
    def _agrees_with_target(cls, direction: IndicatorDirection | None, info: ValidationInfo) -> Any:
        """DECREASE needs a target below the baseline, INCREASE one above it (when both are given)."""
        baseline, target = info.data.get("baseline"), info.data.get("target")
        if direction is None or baseline is None or target is None or target == baseline:
            return direction
        if (direction is IndicatorDirection.DECREASE) != (target < baseline):
            raise PydanticCustomError(
                "direction_mismatch",
                "the direction contradicts the baseline and the target ({direction} from {baseline} to "
                "{target})",
                {"direction": direction.value, "baseline": baseline, "target": target},
            )
        return direction


def _keyed(indicators: list[IndicatorDraft]) -> list[IndicatorDraft]:
    """Every indicator with a key unique in its item: the one given, else a slug of its name."""
    given = [i.key for i in indicators if i.key]
    if len(given) != len(set(given)):
        raise PydanticCustomError("duplicate", "two indicators have the same key")
    taken = set(given)
    keyed = []
    for indicator in indicators:
        key = indicator.key
        if not key:
            base = slug(indicator.name)
            key, number = base, 1
            while key in taken:
                number += 1
                key = f"{base}-{number}"
            taken.add(key)
        keyed.append(indicator.model_copy(update={"key": key}))
    return keyed


class PeriodDraft(Draft):
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise PydanticCustomError("date_order", "the end date comes before the start date")
        return self


class FundingDraft(Draft):
    source: FundingSource
    amount: Money
    note: Short | None = None


class BeneficiariesDraft(Draft):
    count: Annotated[int, Field(ge=0, le=10**9)] | None = None
    description: Summary | None = None


class ContactDraft(Draft):
    name: Short
    role: Short | None = None
    email: Annotated[str, _text(254), StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Annotated[str, _text(30), StringConstraints(pattern=r"^\+?[0-9 ()-]{6,30}$")] | None = None


class BuildingBlockDraft(Draft):
    name: Short
    description: LongText
    how_to_replicate: LongText | None = None


class LinkDraft(Draft):
    label: Short
    url: Url


class PublicationDraft(Draft):
    doi: Annotated[str, _text(200), StringConstraints(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    url: Url | None = None


class PartnerDraft(Draft):
    organization_id: OrganizationId
    role: PartnerRole


class AgreementDraft(Draft):
    kind: AgreementKind
    number: Short | None = None
    signed_on: date | None = None


class ContributionDraft(Draft):
    organization_id: OrganizationId
    description: Summary
    amount: Money | None = None


Items = Annotated[list[T], Field(max_length=MAX_ITEMS)]
Indicators = Annotated[list[IndicatorDraft], Field(max_length=MAX_ITEMS), AfterValidator(_keyed)]


class OrganizationDraft(Draft):
    name: Title
    kind: OrganizationKind
    region_code: RegionCode | None = None
    verified: bool = False
    description: Summary | None = None
    website: Url | None = None

    def references(self) -> Iterator[Reference]:
        if self.region_code:
            yield Reference("regionCode", ReferenceKind.REGION, self.region_code)


class ContentDraft(Draft):
    title: Title
    title_en: Title | None = None
    summary: Summary
    summary_en: Summary | None = None
    organization_id: OrganizationId
    author_name: Short | None = None
    region_codes: Annotated[list[RegionCode], Field(min_length=1, max_length=20), AfterValidator(_unique)]
    themes: Annotated[list[Theme], Field(min_length=1, max_length=5), AfterValidator(_unique)]
    sdgs: Annotated[list[Sdg], Field(max_length=17), AfterValidator(_unique)] = []
    status: ContentStatus = ContentStatus.DRAFT

    def references(self) -> Iterator[Reference]:
        yield Reference("organizationId", ReferenceKind.ORGANIZATION, self.organization_id)
        for index, code in enumerate(self.region_codes):
            yield Reference(f"regionCodes.{index}", ReferenceKind.REGION, code)


class PracticeDraft(ContentDraft):
    problem: LongText
    approach: LongText
    results: Indicators = []
    stage: Stage
    is_digital: bool = False
    funding: Items[FundingDraft] = []
    beneficiaries: BeneficiariesDraft | None = None
    legal_basis: Short | None = None
    period: PeriodDraft | None = None
    contact: ContactDraft | None = None
    building_blocks: Items[BuildingBlockDraft] = []
    lessons_learned: Items[Summary] = []
    evidence_links: Items[LinkDraft] = []


def _practice_references(field: str, ids: Sequence[str]) -> Iterator[Reference]:
    for index, practice_id in enumerate(ids):
        yield Reference(f"{field}.{index}", ReferenceKind.PRACTICE, practice_id)


class CaseStudyDraft(ContentDraft):
    context: LongText
    methodology: LongText
    findings: LongText
    recommendations: LongText | None = None
    metrics: Indicators = []
    authors: Annotated[list[Short], Field(max_length=MAX_ITEMS)] = []
    publication: PublicationDraft | None = None
    license: Annotated[str, _text(100)] | None = None
    related_practice_ids: Annotated[
        list[PracticeId], Field(max_length=MAX_ITEMS), AfterValidator(_unique)
    ] = []

    def references(self) -> Iterator[Reference]:
        yield from super().references()
        yield from _practice_references("relatedPracticeIds", self.related_practice_ids)


class PartnershipDraft(ContentDraft):
    partners: Annotated[list[PartnerDraft], Field(min_length=1, max_length=MAX_ITEMS)]
    objectives: Items[Summary] = []
    partnership_status: PartnershipStatus = PartnershipStatus.PROPOSED
    period: PeriodDraft | None = None
    agreement: AgreementDraft | None = None
    contributions: Items[ContributionDraft] = []
    outcomes: Items[Summary] = []
    related_practice_ids: Annotated[
        list[PracticeId], Field(max_length=MAX_ITEMS), AfterValidator(_unique)
    ] = []

    def references(self) -> Iterator[Reference]:
        yield from super().references()
        for index, partner in enumerate(self.partners):
            yield Reference(
                f"partners.{index}.organizationId", ReferenceKind.ORGANIZATION, partner.organization_id
            )
        for index, contribution in enumerate(self.contributions):
            yield Reference(
                f"contributions.{index}.organizationId",
                ReferenceKind.ORGANIZATION,
                contribution.organization_id,
            )
        yield from _practice_references("relatedPracticeIds", self.related_practice_ids)


class ReplicationDraft(ContentDraft):
    practice_id: PracticeId
    adaptations: LongText
    replication_status: ReplicationStatus = ReplicationStatus.PLANNED
    started_on: date | None = None
    results: Indicators = []
    comparison: LongText | None = None

    def references(self) -> Iterator[Reference]:
        yield from super().references()
        yield Reference("practiceId", ReferenceKind.PRACTICE, self.practice_id)


class VenueDraft(Draft):
    name: Short
    address: Summary | None = None
    region_code: RegionCode


HttpsUrl = Annotated[str, _text(2_000), StringConstraints(pattern=r"^https://\S+$")]


class EventDraft(Draft):
    """An event as its organizers write it; times carry their offset and are stored in UTC."""

    title: Title
    title_en: Title | None = None
    description: LongText
    description_en: LongText | None = None
    kind: EventKind
    organizer_id: OrganizationId
    co_organizer_ids: Annotated[list[OrganizationId], Field(max_length=10), AfterValidator(_unique)] = []
    online_url: HttpsUrl | None = None
    venue: VenueDraft | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: Annotated[int, Field(ge=1, le=100_000)]
    registration_deadline: AwareDatetime | None = None
    themes: Annotated[list[Theme], Field(max_length=5), AfterValidator(_unique)] = []
    related_practice_ids: Annotated[list[PracticeId], Field(max_length=20), AfterValidator(_unique)] = []
    materials: Items[LinkDraft] = []
    status: EventStatus = EventStatus.DRAFT

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and ends_at <= starts_at:
            raise PydanticCustomError("date_order", "the event ends before it starts")
        return ends_at

    @field_validator("registration_deadline")
    @classmethod
    def _before_start(cls, deadline: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if deadline is not None and starts_at is not None and deadline > starts_at:
            raise PydanticCustomError("date_order", "registration closes after the event starts")
        return deadline

    @property
    def has_place(self) -> bool:
        """A venue, an online link, or both: somewhere to attend."""
        return self.online_url is not None or self.venue is not None

    def references(self) -> Iterator[Reference]:
        yield Reference("organizerId", ReferenceKind.ORGANIZATION, self.organizer_id)
        for index, organization_id in enumerate(self.co_organizer_ids):
            yield Reference(f"coOrganizerIds.{index}", ReferenceKind.ORGANIZATION, organization_id)
        if self.venue is not None:
            yield Reference("venue.regionCode", ReferenceKind.REGION, self.venue.region_code)
        yield from _practice_references("relatedPracticeIds", self.related_practice_ids)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def keep_indicator_keys(stored: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The patch, its indicators without a key given the stored key of the one with the same name.

    A client that edits the list without sending keys back keeps the reports attached.
    """
    kept = dict(patch)
    for field_name in ("results", "metrics"):
        given = patch.get(field_name)
        if not isinstance(given, list):
            continue
        known = {
            _folded(str(old.get("name", ""))): old.get("key") or slug(str(old.get("name", "")))
            for old in stored.get(field_name) or []
            if isinstance(old, Mapping)
        }
        kept[field_name] = [
            {**entry, "key": known[_folded(str(entry.get("name", "")))]}
            if isinstance(entry, Mapping)
            and not entry.get("key")
            and _folded(str(entry.get("name", ""))) in known
            else entry
            for entry in given
        ]
    return kept
