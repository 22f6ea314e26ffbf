"""Regions: the Kemendagri hierarchy, read-only."""

from __future__ import annotations

from resolvers.content import check_page_size
from resolvers.context import Context
from resolvers.errors import UserInputError
from storage.filters import RegionFilter
from storage.pagination import InvalidCursor, Page
from storage.records import RegionRecord
from storage.regions import name_key
from storage.vocabulary import RegionLevel

MAX_NAME_QUERY = 100


async def get_region(context: Context, code: str) -> RegionRecord | None:
    return await context.loaders.regions.load(code.strip())


def region_filter(
    *, level: RegionLevel | None, parent_code: str | None, name_starts_with: str | None
) -> RegionFilter:
    if name_starts_with is not None and len(name_starts_with) > MAX_NAME_QUERY:
        raise UserInputError(
            f"`nameStartsWith` is longer than {MAX_NAME_QUERY} characters.", argument="nameStartsWith"
        )
    return RegionFilter(
        level=level,
        parent_code=parent_code.strip() if parent_code is not None else None,
        name_prefix=name_key(name_starts_with) if name_starts_with else None,
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
