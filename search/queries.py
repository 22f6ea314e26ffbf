"""Searching: one federated multi-search over every index, ranked together, facets merged."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from meilisearch_python_sdk.types import JsonDict

from search.documents import ContentType
from search.engine import SearchEngine
from search.filters import SearchFilter, any_of
from search.indexes import FACETS, HIGHLIGHTED, MAX_TOTAL_HITS, SPEC_BY_TYPE, SPECS, IndexSpec
from search.text import stem_query, stem_text

MAX_VALUES_PER_FACET = 200
HIGHLIGHT_PRE = "<mark>"
HIGHLIGHT_POST = "</mark>"
CROP_WORDS = 24
_CROPPED = ("summary", "summary_en", "body")
# Meilisearch reads at most ten words of a query.
_MAX_QUERY_WORDS = 10


@dataclass(frozen=True, slots=True)
class Highlight:
    field: str
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    content_type: ContentType
    id: str
    highlights: list[Highlight]


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[SearchHit]
    estimated_total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def _hit(raw: dict[str, Any]) -> SearchHit:
    # A field matched when Meilisearch marked a word in it; asking for ``_matchesPosition`` instead
    # costs Meilisearch about 5 ms a search (it covers the long stemmed copy too).
    formatted: dict[str, Any] = raw.get("_formatted") or {}
    highlights = [
        Highlight(name, snippet)
        for name in HIGHLIGHTED
        if isinstance(snippet := formatted.get(name), str) and HIGHLIGHT_PRE in snippet
    ]
    return SearchHit(content_type=ContentType(raw["type"]), id=str(raw["id"]), highlights=highlights)


def _query(uid: str, text: str, filter_expression: list[str], **params: Any) -> JsonDict:
    """One query of a multi-search, in Meilisearch's own terms (``limit``, ``sort``...)."""
    return {
        "indexUid": uid,
        "q": text,
        **({"filter": filter_expression} if filter_expression else {}),
        **params,
    }


def _params(uid: str, query: str, filter_expression: list[str], *, browse: bool) -> JsonDict:
    return _query(
        uid,
        query,
        filter_expression,
        attributesToRetrieve=["id", "type"],
        attributesToHighlight=list(HIGHLIGHTED),
        attributesToCrop=list(_CROPPED),
        cropLength=CROP_WORDS,
        cropMarker="...",
        highlightPreTag=HIGHLIGHT_PRE,
        highlightPostTag=HIGHLIGHT_POST,
        # With no words to rank by, browsing shows the newest first.
        **({"sort": ["created_at:desc"]} if browse else {}),
    )


def _facets_by_index(
    engine: SearchEngine, specs: Sequence[IndexSpec], wanted: Collection[str]
) -> dict[str, list[str]] | None:
    """The facets to count in each index: those asked for that the index has, none if none are."""
    by_index = {engine.index_uid(s): [f for f in s.facets() if f in wanted] for s in specs}
    return by_index if any(by_index.values()) else None


# The flat facets, and the filter field each one narrows. Counted disjunctively, a facet leaves
# its own filter out: with "Pengelolaan Sampah" ticked, the other themes still show how many hits
# ticking them too would add (values within a facet are OR-ed). Region facets stay drill-down:
# within a chosen regency, its kecamatan, not every regency.
DISJUNCTIVE = {
    "type": "types",
    "themes": "themes",
    "sdgs": "sdgs",
    "stage": "stages",
    "organization_kind": "organization_kinds",
    "year": "years",
    "month": "months",
}


def _disjunctive_queries(
    engine: SearchEngine, stemmed: str, filter: SearchFilter, wanted: Collection[str]
) -> list[tuple[str, JsonDict]]:
    """For each wanted flat facet the filter narrows: a count-only query per index, without it."""
    queries: list[tuple[str, JsonDict]] = []
    for facet, field_name in DISJUNCTIVE.items():
        if facet not in wanted or not getattr(filter, field_name):
            continue
        relaxed = filter.without(field_name)
        expression = relaxed.expression()
        for spec in SPECS:
            if relaxed.applies_to(spec) and facet in spec.facets():
                uid = engine.index_uid(spec)
                queries.append((facet, _query(uid, stemmed, expression, limit=0, facets=[facet])))
    return queries


def _summed(facet: str, results: Sequence[JsonDict]) -> dict[str, int]:
    """One facet's counts summed over the indexes, in value order as Meilisearch gives them.

    Past MAX_VALUES_PER_FACET values, the ones with the most hits are kept.
    """
    counts: dict[str, int] = {}
    for result in results:
        for value, count in (result.get("facetDistribution") or {}).get(facet, {}).items():
            counts[value] = counts.get(value, 0) + count
    kept = sorted(counts.items(), key=lambda item: -item[1])[:MAX_VALUES_PER_FACET]
    return dict(sorted(kept))


async def search(
    engine: SearchEngine,
    *,
    query: str,
    filter: SearchFilter,
    offset: int,
    limit: int,
    facets: bool | Collection[str] = True,
    disjunctive: bool = False,
) -> SearchResult:
    """Every kind the filter admits, ranked together; ``query`` is stemmed like the documents.

    ``facets`` names the facets to count (each costs Meilisearch work): all of them when True.
    With ``disjunctive``, each flat facet is counted without its own filter (``DISJUNCTIVE``), in
    a second multi-search sent alongside the first.
    """
    specs = [spec for spec in SPECS if filter.applies_to(spec)]
    if not specs or offset >= MAX_TOTAL_HITS:
        return SearchResult(hits=[], estimated_total=0)
    wanted: Collection[str] = FACETS if facets is True else () if facets is False else facets
    stemmed = stem_query(query)
    counts = _disjunctive_queries(engine, stemmed, filter, wanted) if disjunctive else []
    expression = filter.expression()
    queries = [_params(engine.index_uid(s), stemmed, expression, browse=not stemmed) for s in specs]
    facets_by_index = _facets_by_index(engine, specs, wanted)
    federation: JsonDict = {"offset": offset, "limit": limit}
    if facets_by_index:
        federation |= {
            "facetsByIndex": facets_by_index,
            "mergeFacets": {"maxValuesPerFacet": MAX_VALUES_PER_FACET},
        }
    found = engine.multi_search({"federation": federation, "queries": queries})
    counted: list[JsonDict] = []
    if counts:
        # Both sent at once; both awaited whatever happens to either, then the first failure raised.
        outcomes = await asyncio.gather(
            found, engine.multi_search({"queries": [q for _, q in counts]}), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        result, unmerged = outcomes
        assert not isinstance(result, BaseException)
        assert not isinstance(unmerged, BaseException)
        counted = unmerged["results"]  # one result per query
    else:
        result = await found
    distribution: dict[str, dict[str, int]] = result.get("facetDistribution") or {}
    for facet in dict.fromkeys(facet for facet, _ in counts):
        distribution[facet] = _summed(
            facet, [r for (f, _), r in zip(counts, counted, strict=True) if f == facet]
        )
    return SearchResult(
        hits=[_hit(raw) for raw in result["hits"]],
        estimated_total=min(result.get("estimatedTotalHits") or 0, MAX_TOTAL_HITS),
        facets={name: distribution.get(name, {}) for name in FACETS if name in wanted},
    )


@dataclass(frozen=True, slots=True)
class Suggestion:
    content_type: ContentType
    id: str
    title: str


async def suggest(engine: SearchEngine, *, prefix: str, filter: SearchFilter, limit: int) -> list[Suggestion]:
    """Titles that start with, or come close to, what has been typed so far.

    Every searchable field is searched (an index that holds no document yet has no field to
    restrict a search to) and only hits whose title matched are kept, titles ranking first.
    """
    specs = [spec for spec in SPECS if filter.applies_to(spec)]
    if not specs or not prefix.strip():
        return []
    queries = [
        _query(
            engine.index_uid(spec),
            prefix,
            filter.expression(),
            attributesToRetrieve=["id", "type", "title"],
            showMatchesPosition=True,
        )
        for spec in specs
    ]
    result = await engine.multi_search({"federation": {"limit": limit * 3}, "queries": queries})
    titled = [hit for hit in result["hits"] if {"title", "title_en"} & set(hit.get("_matchesPosition") or {})]
    return [Suggestion(ContentType(h["type"]), str(h["id"]), str(h["title"])) for h in titled[:limit]]


_WORD = re.compile(r"\w+")


def _key_terms(text: str, *, limit: int = _MAX_QUERY_WORDS) -> str:
    """The first distinct stems of a text that are long enough to mean something."""
    terms: list[str] = []
    for word in _WORD.findall(stem_text(text)):
        if len(word) > 3 and word not in terms:
            terms.append(word)
        if len(terms) == limit:
            break
    return " ".join(terms)


async def similar_practices(
    engine: SearchEngine,
    *,
    practice_id: str,
    title: str,
    problem: str,
    themes: Sequence[str],
    region_codes: Sequence[str],
    filter: SearchFilter,
    limit: int,
) -> list[str]:
    """IDs of practices of other regions that address a similar problem, best first.

    Meilisearch's similar-documents endpoint needs an embedder (a model), which this hub does not
    run. Instead the key stems of the problem, then of the title, make the query; Meilisearch
    drops words from its end until practices match, so the problem's first words weigh most, and
    the newest practices of the same main theme fill the list when too few match the words.
    The main theme filter keeps to the same kind of problem, and excluding every practice located in
    or below the practice's own regions keeps the answer to "how did *others* solve this?".
    """
    spec = SPEC_BY_TYPE[ContentType.PRACTICE]
    clauses = [*filter.expression(exclude_ids=[practice_id])]
    if themes:  # the first theme is the practice's main one; all of them would admit anything
        clauses.append(any_of("themes", [themes[0]]))
    if region_codes:
        clauses.append(f"NOT {any_of('regions', list(region_codes))}")
    uid = engine.index_uid(spec)
    terms = _key_terms(f"{problem}\n{title}")
    by_words = _query(uid, terms, clauses, attributesToRetrieve=["id"], matchingStrategy="last", limit=limit)
    # When too few practices share the words, the newest of the same theme elsewhere fill up.
    by_theme = _query(uid, "", clauses, attributesToRetrieve=["id"], sort=["created_at:desc"], limit=limit)
    answer = await engine.multi_search({"queries": [by_words, by_theme]})
    ids = [str(hit["id"]) for result in answer["results"] for hit in result["hits"]]
    return list(dict.fromkeys(ids))[:limit]
