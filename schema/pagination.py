"""Cursor connections (Relay): ``edges``, ``nodes``, ``pageInfo`` and a lazy ``totalCount``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from storage.pagination import Page

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
# The arguments of every connection field.
First = Annotated[int, strawberry.argument(description="Page size, at most 100.")]
After = Annotated[str | None, strawberry.argument(description="The `endCursor` of the previous page.")]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The node of every edge, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items match the filter, across all pages.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def empty(cls) -> Connection[T]:
        async def none() -> int:
            return 0

        return cls(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), _count=none)

    @classmethod
    def of(
        cls, page: Page[Any], convert: Callable[[Any], T], count: Callable[[], Awaitable[int]]
    ) -> Connection[T]:
        edges: Sequence[Edge[T]] = [
            Edge(cursor=cursor, node=convert(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(
            edges=list(edges),
            page_info=PageInfo(
                has_next_page=page.has_next_page, end_cursor=page.cursors[-1] if page.cursors else None
            ),
            _count=count,
        )
