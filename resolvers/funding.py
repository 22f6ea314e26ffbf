"""The cost and funding view: aggregates over a filter of practices, and a theme's median."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resolvers import content
from resolvers.context import Context
from resolvers.errors import UserInputError
from storage.funding import FundingFilter, FundingSummary, funding_summary
from storage.vocabulary import ContentStatus

# Years a practice's period can sensibly fall in (the hub keeps programmes since reformasi).
FIRST_YEAR, LAST_YEAR = 1990, 2100


def funding_filter(context: Context, *, year: int | None = None, **fields: Any) -> FundingFilter:
    """The practices of a client's filter (as ``practices`` reads it) that the figures cover.

    Published practices only unless ``statuses`` says otherwise, and then still only what the
    viewer may read (a member's own drafts, everything for reviewers): the figures never count
    an item the viewer could not open.
    """
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserInputError(
            f"`filter.year` must be between {FIRST_YEAR} and {LAST_YEAR}.", argument="filter.year"
        )
    if not fields.get("statuses"):
        fields["statuses"] = [ContentStatus.PUBLISHED]
    return FundingFilter(content=content.content_filter(context, **fields), year=year)


async def summary(context: Context, *, year: int | None = None, **fields: Any) -> FundingSummary:
    return await funding_summary(
        collection=context.stores.practices.collection, filter=funding_filter(context, year=year, **fields)
    )


def cost_of(amounts: Sequence[int]) -> int:
    return sum(amounts)


def cost_per_beneficiary(amounts: Sequence[int], beneficiaries: int | None) -> float | None:
    """The cost divided by the beneficiaries, as storage.funding defines it (None unless both > 0)."""
    cost = cost_of(amounts)
    if cost <= 0 or not beneficiaries:
        return None
    return cost / beneficiaries
