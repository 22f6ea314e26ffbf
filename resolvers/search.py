"""Search use cases: the viewer's visibility, paging and argument checks around ``search``."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from resolvers import visibility
from resolvers.content import MAX_FILTER_VALUES, check_page_size, local_id
from resolvers.context import Context
from resolvers.errors import UserInputError
from resolvers.kinds import PRACTICE
from search import queries
from search.documents import ContentType
from search.engine import SearchEngine
from search.errors import SearchUnavailable
from search.filters import SearchFilter
from search.indexes import MAX_TOTAL_HITS
from storage.records import PracticeRecord
from storage.vocabulary import OrganizationKind, Stage, Theme

MAX_QUERY_LENGTH = 500
MAX_SUGGESTIONS = 20
_CURSOR_PREFIX = "search:"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


@dataclass(frozen=True, slots=True)
class SearchPage:
    result: queries.SearchResult
    offset: int
    has_next_page: bool


def _engine(context: Context) -> SearchEngine:
    if context.search is None:
        raise SearchUnavailable("search is not configured")
    return context.search


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(after.encode("ascii")).decode()
        if text.startswith(_CURSOR_PREFIX):
            offset = int(text.removeprefix(_CURSOR_PREFIX))
            if 0 <= offset < MAX_TOTAL_HITS:
                return offset + 1
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise UserInputError("`after` is not a cursor of this search.", argument="after")


def search_filter(
    context: Context,
    *,
    types: Sequence[ContentType] = (),
    themes: Sequence[Theme] = (),
    sdgs: Sequence[int] = (),
    stages: Sequence[Stage] = (),
    organization_kinds: Sequence[OrganizationKind] = (),
    years: Sequence[int] = (),
    months: Sequence[str] = (),
    region_codes: Sequence[str] = (),
) -> SearchFilter:
    """The client's filter, checked, with the viewer's visibility added (never the client's)."""
    values: dict[str, Sequence[object]] = {
        "types": types,
        "themes": themes,
        "sdgs": sdgs,
        "stages": stages,
        "organizationKinds": organization_kinds,
        "years": years,
        "months": months,
        "regionCodes": region_codes,
    }
    for name, given in values.items():
        if len(given) > MAX_FILTER_VALUES:
            raise UserInputError(
                f"`filter.{name}` lists more than {MAX_FILTER_VALUES} values.", argument=f"filter.{name}"
            )
    if any(not 1 <= sdg <= 17 for sdg in sdgs):
        raise UserInputError("`filter.sdgs` values are SDG numbers, 1 to 17.", argument="filter.sdgs")
    if not all(_MONTH.match(month) for month in months):
        raise UserInputError("`filter.months` values are months as YYYY-MM.", argument="filter.months")
    if not all(_REGION_CODE.match(code.strip()) for code in region_codes):
        raise UserInputError(
            "`filter.regionCodes` holds a value that is no Kemendagri code.", argument="filter.regionCodes"
        )
    return SearchFilter(
        types=types,
        themes=themes,
        sdgs=sdgs,
        stages=stages,
        organization_kinds=organization_kinds,
        years=years,
        months=months,
        region_codes=[code.strip() for code in region_codes],
        audience=visibility.search_audience(context.viewer),
    )


def _check_query(text: str, argument: str) -> None:
    if len(text) > MAX_QUERY_LENGTH:
        raise UserInputError(f"`{argument}` is longer than {MAX_QUERY_LENGTH} characters.", argument=argument)


async def search(
    context: Context,
    *,
    query: str,
    filter: SearchFilter,
    first: int,
    after: str | None,
    facets: Collection[str],
    disjunctive: bool = False,
) -> SearchPage:
    """One page of hits, and counts of the named facets (each costs Meilisearch work)."""
    check_page_size(first)
    _check_query(query, "query")
    offset = _offset(after)
    limit = min(first, MAX_TOTAL_HITS - offset)
    # One more than asked tells whether another page follows.
    result = await queries.search(
        _engine(context),
        query=query,
        filter=filter,
        offset=offset,
        limit=limit + 1,
        facets=facets,
        disjunctive=disjunctive,
    )
    has_next = len(result.hits) > limit
    shown = queries.SearchResult(
        hits=result.hits[:limit], estimated_total=result.estimated_total, facets=result.facets
    )
    return SearchPage(result=shown, offset=offset, has_next_page=has_next)


async def suggestions(context: Context, *, prefix: str, first: int) -> list[queries.Suggestion]:
    _check_query(prefix, "prefix")
    if not 0 < first <= MAX_SUGGESTIONS:
        raise UserInputError(f"`first` must be between 1 and {MAX_SUGGESTIONS}.", argument="first")
    return await queries.suggest(_engine(context), prefix=prefix, filter=search_filter(context), limit=first)


async def similar_practices(context: Context, *, practice_id: str, first: int) -> list[PracticeRecord]:
    if not 0 < first <= MAX_SUGGESTIONS:
        raise UserInputError(f"`first` must be between 1 and {MAX_SUGGESTIONS}.", argument="first")
    practice = await context.loaders.practices.load(local_id(PRACTICE, practice_id))
    if practice is None:
        return []
    ids = await queries.similar_practices(
        _engine(context),
        practice_id=practice.id,
        title=practice.title,
        problem=practice.problem,
        themes=[theme.value for theme in practice.themes],
        region_codes=practice.region_codes,
        filter=search_filter(context),
        limit=first,
    )
    found = await context.loaders.practices.load_many(ids)
    return [record for record in found if record is not None]
