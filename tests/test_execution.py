"""Plain parts of a result are completed in one pass, with the very result graphql-core gives.

Each query runs twice over the same objects: with ``PlainFieldsExecutionContext`` and with
strawberry's own execution context. The answers, errors and error paths included, must agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql.execution import incremental
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import PlainFieldsExecutionContext


@strawberry.enum
class Kind(Enum):
    PRACTICE = "practice"
    CASE_STUDY = "case_study"


class Never(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Mark:
    field: str
    snippet: str
    score: float | None = None


@strawberry.type
class Hit:
    kind: Kind
    marks: list[Mark]
    tags: list[str] | None = None
    rank: int = 0
    secret: str | None = strawberry.field(default="hidden", permission_classes=[Never])

    @strawberry.field
    async def title(self) -> str:
        return f"title of {self.kind.value}"


@strawberry.type
class Page:
    total: int
    hits: list[Hit]
    next: Page | None = None


def _page(**changes: Any) -> Page:
    hits = [
        Hit(kind=Kind.PRACTICE, marks=[Mark(field="title", snippet="<mark>sampah</mark>")], tags=["a"]),
        Hit(kind=Kind.CASE_STUDY, marks=[Mark(field="body", snippet="…", score=0.5)], rank=2),
    ]
    return dataclasses.replace(Page(total=2, hits=hits), **changes)


def _schema(page: Page, context_class: type[StrawberryGraphQLCoreExecutionContext]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        async def page(self) -> Page:
            return page

        @strawberry.field
        def pages(self) -> list[Page]:
            return [page, page]

    return strawberry.Schema(query=Query, execution_context_class=context_class)


async def _both(page: Callable[[], Page], query: str) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = await _schema(page(), PlainFieldsExecutionContext).execute(query)
    plain = await _schema(page(), StrawberryGraphQLCoreExecutionContext).execute(query)

    def shape(result: Any) -> dict[str, Any]:
        errors = [(e.message, e.path) for e in result.errors or []]
        return {"data": result.data, "errors": errors}

    return shape(fast), shape(plain)


QUERIES = {
    "leaves, lists, enums and nested objects": (
        "{ page { total hits { kind rank tags marks { field snippet score } } } }"
    ),
    "aliases and __typename": (
        "{ page { n: total hits { __typename k: kind marks { __typename f: field } } } }"
    ),
    "fragments and skip/include": """
        { page { ...P hits { kind @skip(if: true) rank @include(if: true) } } }
        fragment P on Page { total hits { marks { snippet } } }
    """,
    "a resolver among plain fields": "{ page { hits { title kind marks { field } } } }",
    "a field with a permission": "{ page { hits { kind secret } } }",
    "the same object twice in a list": "{ pages { total hits { kind } } }",
    "a null object": "{ page { total next { total } } }",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=list(QUERIES))
async def test_fast_path_answers_as_graphql_core_does(query: str) -> None:
    fast, plain = await _both(_page, query)
    assert fast == plain
    assert fast["data"] is not None
    if "permission" in query or "secret" in query:
        assert fast["errors"] == [
            ("no", ["page", "hits", 0, "secret"]),
            ("no", ["page", "hits", 1, "secret"]),
        ]


@pytest.mark.parametrize(
    ("broken", "query"),
    [
        ("a null in a non-null leaf", "{ page { hits { kind marks { field } } } }"),
        ("a leaf that does not coerce", "{ page { total } }"),
        ("an Int beyond 32 bits", "{ page { total hits { rank } } }"),
        ("a null item in a non-null list", "{ page { hits { kind } } }"),
        ("an iterable that is no list", "{ page { hits { marks { field } } } }"),
        ("a null where an object must be", "{ page { hits { kind marks { field } } } }"),
    ],
)
async def test_broken_values_get_graphql_cores_errors_and_paths(broken: str, query: str) -> None:
    fast, plain = await _both(lambda: _broken(broken), query)
    assert fast == plain
    if broken != "an iterable that is no list":  # graphql-core accepts any iterable
        assert fast["errors"], broken


async def test_ints_at_the_32_bit_bounds_and_a_bool_as_an_int_complete_as_graphql_core_does() -> None:
    def bounds() -> Page:
        page = _page(total=True)
        page.hits[0].rank, page.hits[1].rank = 2**31 - 1, -(2**31)
        return page

    fast, plain = await _both(bounds, "{ page { total hits { rank } } }")
    assert fast == plain
    assert fast["data"] == {"page": {"total": 1, "hits": [{"rank": 2**31 - 1}, {"rank": -(2**31)}]}}


def _broken(broken: str) -> Page:
    page = _page()
    if broken == "a null in a non-null leaf":
        page.hits[1].marks[0].field = None  # type: ignore[assignment]
    elif broken == "a leaf that does not coerce":
        page.total = "many"  # type: ignore[assignment]
    elif broken == "an Int beyond 32 bits":
        page.hits[1].rank = 2**31
    elif broken == "a null item in a non-null list":
        page.hits.append(None)  # type: ignore[arg-type]
    elif broken == "an iterable that is no list":
        page.hits[0].marks = iter(page.hits[0].marks)  # type: ignore[assignment]
    else:
        page.hits[0].marks = [None]  # type: ignore[list-item]
    return page


async def test_fast_path_skips_graphql_cores_per_field_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: graphql-core's per-field step, counted
    calls: list[str] = []
    execute_field = incremental.IncrementalExecutor.execute_field

    def counted(self: Any, parent_type: Any, *args: Any) -> Any:
        calls.append(parent_type.name)
        return execute_field(self, parent_type, *args)

    monkeypatch.setattr(incremental.IncrementalExecutor, "execute_field", counted)
    query = "{ page { total hits { kind rank marks { field snippet } } } }"
    # when
    result = await _schema(_page(), PlainFieldsExecutionContext).execute(query)
    # then: the root field's resolver ran through it; the plain page below it did not
    assert result.errors is None
    assert result.data == {
        "page": {
            "total": 2,
            "hits": [
                {
                    "kind": "PRACTICE",
                    "rank": 0,
                    "marks": [{"field": "title", "snippet": "<mark>sampah</mark>"}],
                },
                {"kind": "CASE_STUDY", "rank": 2, "marks": [{"field": "body", "snippet": "…"}]},
            ],
        }
    }
    assert calls == ["Query"]
