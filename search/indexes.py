"""The indexes, one per searchable kind, and their settings (applied idempotently at start-up).

One index per kind keeps each kind's settings and documents apart, lets a kind be rebuilt on its
own, and the federated multi-search ranks the kinds together in one list with merged facets.
"""

from __future__ import annotations

from dataclasses import dataclass

from meilisearch_python_sdk.models.settings import (
    Faceting,
    MeilisearchSettings,
    MinWordSizeForTypos,
    Pagination,
    TypoTolerance,
)

from search.documents import REGION_FACETS, ContentType
from search.text import load_synonyms

# Facets clients can count and filter by, in the order they are shown.
FACETS = (
    "type",
    "themes",
    "sdgs",
    "stage",
    "organization_kind",
    "year",
    "month",
    *REGION_FACETS.values(),
)
# Facets an index does not have are left out of its query, and a filter on one excludes it.
_NOT_IN = {
    ContentType.PRACTICE: {"partnership_status", "month"},
    ContentType.CASE_STUDY: {"stage", "partnership_status", "month"},
    ContentType.PARTNERSHIP: {"stage", "month"},
    ContentType.ORGANIZATION: {"themes", "sdgs", "stage", "year", "partnership_status", "month"},
    ContentType.DISCUSSION: {"stage", "partnership_status", "month"},
    ContentType.EVENT: {"sdgs", "stage", "partnership_status"},
}
_FILTERABLE = (*FACETS, "regions", "status", "id", "organization_id", "partnership_status", "is_demo")
SEARCHABLE = ("title", "title_en", "summary", "summary_en", "organization_name", "body", "stemmed")
HIGHLIGHTED = ("title", "title_en", "summary", "summary_en", "body")
MAX_TOTAL_HITS = 1000


@dataclass(frozen=True, slots=True)
class IndexSpec:
    content_type: ContentType
    collection: str

    def attributes(self) -> set[str]:
        return set(_FILTERABLE) - _NOT_IN[self.content_type]

    def facets(self) -> list[str]:
        return [facet for facet in FACETS if facet in self.attributes()]


SPECS = (
    IndexSpec(ContentType.PRACTICE, "practices"),
    IndexSpec(ContentType.CASE_STUDY, "case_studies"),
    IndexSpec(ContentType.PARTNERSHIP, "partnerships"),
    IndexSpec(ContentType.ORGANIZATION, "organizations"),
    IndexSpec(ContentType.DISCUSSION, "threads"),
    IndexSpec(ContentType.EVENT, "events"),
)
SPEC_BY_COLLECTION = {spec.collection: spec for spec in SPECS}
SPEC_BY_TYPE = {spec.content_type: spec for spec in SPECS}


@dataclass(frozen=True, slots=True)
class IndexNames:
    """Live index names under a prefix (the database name by default, a test's own in tests)."""

    prefix: str

    def of(self, spec: IndexSpec) -> str:
        return f"{self.prefix}_{spec.collection}"


def settings_for(spec: IndexSpec) -> MeilisearchSettings:
    return MeilisearchSettings(
        searchable_attributes=list(SEARCHABLE),
        filterable_attributes=sorted(spec.attributes()),
        sortable_attributes=[
            "created_at",
            "title",
            *(["starts_at"] if spec.content_type is ContentType.EVENT else []),
        ],
        displayed_attributes=["*"],
        ranking_rules=["words", "typo", "proximity", "attribute", "sort", "exactness"],
        synonyms=load_synonyms(),
        # Officials type fast on phones: allow a typo from 4 letters ("smapah" finds "sampah").
        typo_tolerance=TypoTolerance(
            enabled=True, min_word_size_for_typos=MinWordSizeForTypos(one_typo=4, two_typos=8)
        ),
        faceting=Faceting(max_values_per_facet=200),
        pagination=Pagination(max_total_hits=MAX_TOTAL_HITS),
    )
