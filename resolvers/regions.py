"""Regions: the Kemendagri hierarchy, read-only."""

from __future__ import annotations

from resolvers.content import check_page_size
from resolvers.context import Context
from resolvers.errors import UserInputError
from storage.filters import RegionFilter
from storage.pagination import InvalidCursor, Page
from storage.records import RegionRecord
from storage.regions import normalize_query
from storage.vocabulary import RegionLevel

MAX_NAME_QUERY = 100


async def get_region(context: Context, code: str) -> RegionRecord | None:
    return await context.loaders.regions.load(code.strip())


def region_filter(
    *, level: RegionLevel | None, parent_code: str | None, name_contains: str | None
) -> RegionFilter:
    if name_contains is not None and len(name_contains) > MAX_NAME_QUERY:
        raise UserInputError(
            f"`nameContains` is longer than {MAX_NAME_QUERY} characters.", argument="nameContains"
        )
    return RegionFilter(
        level=level,
        parent_code=parent_code.strip() if parent_code is not None else None,
        name_prefix=normalize_query(name_contains) if name_contains else None,
    )


async def find_regions(
    context: Context, *, filter: RegionFilter, first: int, after: str | None
) -> Page[RegionRecord]:
    check_page_size(first)
    try:
        return await context.stores.regions.find_page(filter=filter, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


async def count_regions(context: Context, *, filter: RegionFilter) -> int:
    return await context.stores.regions.count(filter=filter)
