"""Search across practices, case studies, partnerships and organizations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from resolvers import search as use_cases
from resolvers.context import Context
from resolvers.loaders import Loaders
from schema.content import CaseStudy, Partnership, Practice
from schema.discussions import Thread
from schema.enums import OrganizationKind, Stage, Theme
from schema.events import Event
from schema.node import Node
from schema.pagination import PageInfo
from schema.regions import Organization
from search.documents import ContentType
from search.queries import SearchHit as HitRecord
from storage import vocabulary

strawberry.enum(ContentType, description="What a search hit is.")

SearchResultNode = Annotated[
    Practice | CaseStudy | Partnership | Organization | Thread | Event, strawberry.union("SearchResultNode")
]


@strawberry.enum(description="The facets a search can count.")
class SearchFacet(Enum):
    CONTENT_TYPE = "type"
    THEME = "themes"
    SDG = "sdgs"
    STAGE = "stage"
    ORGANIZATION_KIND = "organization_kind"
    YEAR = "year"
    MONTH = "month"
    PROVINCE = "region_province"
    REGENCY_CITY = "region_regency"
    KECAMATAN = "region_kecamatan"
    KELURAHAN_DESA = "region_kelurahan"


_REGION_FACETS = {
    SearchFacet.PROVINCE,
    SearchFacet.REGENCY_CITY,
    SearchFacet.KECAMATAN,
    SearchFacet.KELURAHAN_DESA,
}
_LABELS: dict[SearchFacet, type[vocabulary.LabelledEnum]] = {
    SearchFacet.THEME: vocabulary.Theme,
    SearchFacet.STAGE: vocabulary.Stage,
    SearchFacet.ORGANIZATION_KIND: vocabulary.OrganizationKind,
}
# The GraphQL type of each kind of hit, and the loader that fetches it.
_NODE_TYPES: dict[ContentType, tuple[Any, Callable[[Loaders], DataLoader[str, Any]]]] = {
    ContentType.PRACTICE: (Practice, lambda loaders: loaders.practices),
    ContentType.CASE_STUDY: (CaseStudy, lambda loaders: loaders.case_studies),
    ContentType.PARTNERSHIP: (Partnership, lambda loaders: loaders.partnerships),
    ContentType.ORGANIZATION: (Organization, lambda loaders: loaders.organizations),
    ContentType.DISCUSSION: (Thread, lambda loaders: loaders.threads),
    ContentType.EVENT: (Event, lambda loaders: loaders.events),
}
# Indonesian and English labels of the content types.
_CONTENT_TYPE_LABELS = {
    "PRACTICE": ("Praktik Baik", "Good practice"),
    "CASE_STUDY": ("Studi Kasus", "Case study"),
    "PARTNERSHIP": ("Kemitraan", "Partnership"),
    "ORGANIZATION": ("Organisasi", "Organization"),
    "DISCUSSION": ("Diskusi", "Discussion"),
    "EVENT": ("Kegiatan", "Event"),
}


@strawberry.type(description="One value of a facet and how many hits have it.")
class FacetValue:
    value: str = strawberry.field(description="The value to pass back in `SearchFilter`.")
    count: int
    # The labels are worked out by `search` for the whole page at once, and only when a query asks
    # for them: a resolver per value cost an await and a DataLoader call each, hundreds a page.
    label: str = strawberry.field(description="What to show: the Indonesian label, or the region's name.")
    label_en: str = strawberry.field(description="The English label, or the region's name.")


def _labels(facet: SearchFacet, value: str, region_names: Mapping[str, str]) -> tuple[str, str]:
    """The Indonesian and English labels of a facet value (a region's name is the same in both)."""
    if facet in _REGION_FACETS:
        name = region_names.get(value, value)
        return name, name
    if (labels := _LABELS.get(facet)) and value in labels.__members__:
        member = labels[value]
        return member.label_id, member.label_en
    if facet is SearchFacet.CONTENT_TYPE and value in _CONTENT_TYPE_LABELS:
        return _CONTENT_TYPE_LABELS[value]
    if facet is SearchFacet.MONTH and len(value) == 7 and value[5:].isdigit() and 1 <= int(value[5:]) <= 12:
        month = int(value[5:])
        year = value[:4]
        return _month(vocabulary.Language.ID, month, year), _month(vocabulary.Language.EN, month, year)
    return value, value  # SDG numbers and years


def _month(language: vocabulary.Language, month: int, year: str) -> str:
    return f"{vocabulary.MONTH_NAMES[language][month - 1]} {year}"


async def _region_names(context: Context, facets: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
    """The names of the regions among the facet values, through the request's region loader."""
    codes = [code for facet in _REGION_FACETS for code in facets.get(facet.value, {})]
    regions = await context.loaders.regions.load_many(codes)
    return {region.code: region.name for region in regions if region is not None}


def _facet_value(facet: SearchFacet, value: str, count: int, names: Mapping[str, str] | None) -> FacetValue:
    """A facet value; its labels left empty when ``names`` is None (no label asked for)."""
    label, label_en = _labels(facet, value, names) if names is not None else ("", "")
    return FacetValue(value=value, count=count, label=label, label_en=label_en)


def _selects(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    """Whether a field at ``path`` (names, not aliases) is among the selections, fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and (len(path) == 1 or _selects(selection.selections, path[1:])):
                return True
        elif _selects(selection.selections, path):
            return True
    return False


@strawberry.type
class Facet:
    facet: SearchFacet
    values: list[FacetValue]


@strawberry.type(description="A matched field with the matching words wrapped in <mark>…</mark>.")
class Highlight:
    field: str = strawberry.field(
        description="The field of the hit's object that matched: `title` (`name` for an "
        "organization), `titleEn`, `summary`, `summaryEn`, or `body`, the rest of its text."
    )
    snippet: str


# The search documents' field names (search/documents.py) as the hits' objects name them.
_FIELD_NAMES = {"title": "title", "title_en": "titleEn", "summary": "summary", "summary_en": "summaryEn"}
_ORGANIZATION_FIELD_NAMES = {**_FIELD_NAMES, "title": "name"}


@strawberry.type
class SearchHit:
    cursor: str
    type: ContentType
    highlights: list[Highlight] = strawberry.field(
        description="Highlighted, cropped snippets of the fields that matched."
    )
    local_id: strawberry.Private[str]

    @strawberry.field(description="The object itself; null if it was deleted since it was indexed.")
    async def node(self, info: Info[Context, None]) -> SearchResultNode | None:
        node_type, loader = _NODE_TYPES[self.type]
        record = await loader(info.context.loaders).load(self.local_id)
        return node_type.from_record(record) if record else None

    @classmethod
    def of(cls, hit: HitRecord, cursor: str) -> SearchHit:
        names = _ORGANIZATION_FIELD_NAMES if hit.content_type is ContentType.ORGANIZATION else _FIELD_NAMES
        return cls(
            cursor=cursor,
            type=hit.content_type,
            highlights=[
                Highlight(field=names.get(h.field, h.field), snippet=h.snippet) for h in hit.highlights
            ],
            local_id=hit.id,
        )


@strawberry.type
class SearchConnection:
    hits: list[SearchHit]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Estimated number of hits (at most 1000 can be paged).")
    facets: list[Facet]


@strawberry.input(description="Values within a field are OR-ed; fields are AND-ed.")
class SearchFilter:
    types: list[ContentType] | None = None
    themes: list[Theme] | None = None
    sdgs: list[int] | None = None
    stages: list[Stage] | None = None
    organization_kinds: list[OrganizationKind] | None = None
    years: list[int] | None = None
    months: list[str] | None = strawberry.field(
        default=None, description="Months as YYYY-MM: events starting in any of them."
    )
    region_codes: list[str] | None = strawberry.field(
        default=None, description="Kemendagri codes at any level: hits located at or below any of them."
    )


@strawberry.type
class SearchSuggestion:
    type: ContentType
    title: str
    local_id: strawberry.Private[str]

    @strawberry.field
    def id(self) -> strawberry.ID:
        node_type: type[Node] = _NODE_TYPES[self.type][0]
        return node_type.global_id(self.local_id)


def _filter(context: Context, given: SearchFilter | None) -> Any:
    values = {k: v for k, v in vars(given).items() if v is not None} if given else {}
    return use_cases.search_filter(context, **values)


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Practices, case studies, partnerships and organizations ranked together. "
        "Typo-tolerant, Indonesian-aware (stemming, local synonyms); an empty query browses."
    )
    async def search(
        self,
        info: Info[Context, None],
        query: str = "",
        filter: SearchFilter | None = None,
        facets: Annotated[
            list[SearchFacet] | None, strawberry.argument(description="Facets to count; all when omitted.")
        ] = None,
        first: int = 20,
        after: str | None = None,
        disjunctive_facets: Annotated[
            bool,
            strawberry.argument(
                description="Count each of type, theme, SDG, stage, organization kind and year "
                "without its own filter, so that a checkbox list shows what ticking another value "
                "would add. Region facets stay drill-down. Costs Meilisearch a second request."
            ),
        ] = False,
    ) -> SearchConnection:
        context = info.context
        wanted = list(SearchFacet) if facets is None else facets
        page = await use_cases.search(
            context,
            query=query,
            filter=_filter(context, filter),
            first=first,
            after=after,
            facets=[facet.value for facet in wanted],
            disjunctive=disjunctive_facets,
        )
        cursors = [use_cases.encode_cursor(page.offset + i) for i in range(len(page.result.hits))]
        asked = info.selected_fields[0].selections
        labelled = any(_selects(asked, ("facets", "values", name)) for name in ("label", "labelEn"))
        names = await _region_names(context, page.result.facets) if labelled else {}
        return SearchConnection(
            hits=[SearchHit.of(hit, cursor) for hit, cursor in zip(page.result.hits, cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=cursors[-1] if cursors else None),
            total_count=page.result.estimated_total,
            facets=[
                Facet(
                    facet=facet,
                    values=[
                        _facet_value(facet, str(v), n, names if labelled else None)
                        for v, n in page.result.facets.get(facet.value, {}).items()
                    ],
                )
                for facet in wanted
            ],
        )

    @strawberry.field(description="Titles for a search box, as one types.")
    async def search_suggestions(
        self, info: Info[Context, None], prefix: str, first: int = 8
    ) -> list[SearchSuggestion]:
        found = await use_cases.suggestions(info.context, prefix=prefix, first=first)
        return [SearchSuggestion(type=s.content_type, title=s.title, local_id=s.id) for s in found]

    @strawberry.field(description="Practices of other regions that address a similar problem.")
    async def similar_practices(
        self, info: Info[Context, None], id: strawberry.ID, first: int = 5
    ) -> list[Practice]:
        records = await use_cases.similar_practices(info.context, practice_id=id, first=first)
        return [Practice.from_record(record) for record in records]
