"""What a client may write into a peer exchange: the request, and the details of each step.

Text is stored as plain text, stripped of surrounding whitespace; clients render it as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, ValidationInfo, field_validator
from pydantic import model_validator as model_check
from pydantic_core import PydanticCustomError

from resolvers.drafts import Draft, LongText, Reference, ReferenceKind, RegionCode, Short, Title
from storage.vocabulary import ExchangeKind

MIN_MESSAGE, MAX_MESSAGE = 10, 4_000
MAX_REASON = 2_000
MAX_PARTICIPANTS = 200
MAX_PREFERRED_DATES = 3

# Western Indonesia Time (UTC+7), the westernmost zone: its date is the earliest in the country,
# so a date before it is past for everyone.
WIB = timezone(timedelta(hours=7), "WIB")


def today_in_indonesia() -> date:
    return datetime.now(WIB).date()


def _not_past_date(value: date) -> date:
    if value < today_in_indonesia():
        raise PydanticCustomError("greater_than_equal", "today or later")
    return value


def _not_past_moment(value: datetime) -> datetime:
    if value < datetime.now(UTC):
        raise PydanticCustomError("greater_than_equal", "not in the past")
    return value.astimezone(UTC)


Message = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=MIN_MESSAGE, max_length=MAX_MESSAGE)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON)]
HttpsUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2_000, pattern=r"^https://[^\s/?#]+\S*$")
]
FutureMoment = Annotated[AwareDatetime, AfterValidator(_not_past_moment)]


def blank_as_missing(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without nulls and blank strings: a blank required text is missing (REQUIRED)."""
    return {
        name: value
        for name, value in data.items()
        if value is not None and not (isinstance(value, str) and not value.strip())
    }


class DateRangeDraft(Draft):
    start: Annotated[date, AfterValidator(_not_past_date)]
    end: date

    @model_check(mode="after")
    def _in_order(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError("date_order", "the end date comes before the start date")
        return self


class ExchangeRequestDraft(Draft):
    """The request itself; its subject and requesting organization are checked by the use case."""

    kind: ExchangeKind
    message: Message
    preferred_dates: Annotated[list[DateRangeDraft], Field(min_length=1, max_length=MAX_PREFERRED_DATES)]
    participants: Annotated[int, Field(ge=1, le=MAX_PARTICIPANTS)]
    requesting_region_code: RegionCode

    def references(self) -> Iterator[Reference]:
        yield Reference("requestingRegionCode", ReferenceKind.REGION, self.requesting_region_code)


class AcceptDraft(Draft):
    comment: Reason | None = None


class DeclineDraft(Draft):
    reason: Reason


class ScheduleDraft(Draft):
    starts_at: FutureMoment
    ends_at: AwareDatetime | None = None
    place: Short | None = None
    online_url: HttpsUrl | None = None

    @field_validator("ends_at", mode="after")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if value is not None and starts_at is not None and value < starts_at:
            raise PydanticCustomError("date_order", "the end comes before the start")
        return value.astimezone(UTC) if value is not None else None


class CompleteDraft(Draft):
    feedback: Message
    rating: Annotated[int, Field(ge=1, le=5)]


class CancelDraft(Draft):
    reason: Reason | None = None


class ConvertDraft(Draft):
    """What the requester may put in place of the replication's prefilled title and adaptations."""

    title: Title | None = None
    adaptations: LongText | None = None
