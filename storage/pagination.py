"""Keyset pagination: opaque cursors over an indexed sort key plus the unique ``_id``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection

from storage.errors import StorageError

T = TypeVar("T")


class InvalidCursor(StorageError):
    """A cursor that this store did not hand out, or one from a different sort order."""


class SortOrder(Enum):
    """Orders a listing can be read in, each by one unique, indexed key.

    A key ends in the record's ``_id`` (``newest_key``: creation time then ID; ``title_key``: the
    folded title then ID), so "after the cursor" is one range on one field: an index serves it
    on any MongoDB, where a ``$or`` of (value, _id) pairs needs index unions that not every
    server's planner makes.
    """

    NEWEST = ("newest_key", -1)
    TITLE = ("title_key", 1)
    CODE = ("_id", 1)
    # Discussions: threads by their last activity, newest first; replies in the order written.
    ACTIVITY = ("activity_key", -1)
    WRITTEN = ("newest_key", 1)
    # Events: the soonest first.
    STARTS = ("starts_key", 1)

    @property
    def field(self) -> str:
        return self.value[0]

    @property
    def direction(self) -> int:
        return self.value[1]

    def mongo_sort(self) -> list[tuple[str, int]]:
        return [(self.field, self.direction)]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool


_SEPARATOR = "\x1f"


def newest_key(created_at: datetime, record_id: str) -> str:
    moment = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return f"{moment}{_SEPARATOR}{record_id}"


def title_key(folded_title: str, record_id: str) -> str:
    return f"{folded_title}{_SEPARATOR}{record_id}"


def encode_cursor(order: SortOrder, document: dict[str, Any]) -> str:
    raw = json.dumps([order.name, document[order.field]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> str:
    """The sort key a cursor points at; only a string, so nothing else can reach a query."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, key = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("the cursor is malformed") from exc
    if name != order.name:
        raise InvalidCursor("the cursor belongs to another sort order")
    if not isinstance(key, str) or len(key) > 1000:
        raise InvalidCursor("the cursor is malformed")
    return key


def after_condition(order: SortOrder, cursor: str) -> dict[str, Any]:
    """The query condition selecting documents strictly after ``cursor`` in ``order``."""
    op = "$gt" if order.direction > 0 else "$lt"
    return {order.field: {op: decode_cursor(order, cursor)}}


def page_query(query: dict[str, Any], order: SortOrder, after: str | None) -> dict[str, Any]:
    """``query`` narrowed to what follows the cursor ``after``."""
    if after is None:
        return query
    condition = after_condition(order, after)
    # Flat where the fields differ: a planner then sees one range on the sort key.
    return {"$and": [query, condition]} if condition.keys() & query.keys() else {**query, **condition}


async def read_page(
    collection: AsyncCollection[dict[str, Any]],
    query: dict[str, Any],
    *,
    order: SortOrder,
    first: int,
    after: str | None,
    parse: Callable[[dict[str, Any]], T],
) -> Page[T]:
    """One page of ``query`` in ``order``: one more document is read to know if another follows."""
    documents = (
        await collection.find(page_query(query, order, after))
        .sort(order.mongo_sort())
        .limit(first + 1)
        .to_list()
    )
    shown = documents[:first]
    return Page(
        items=[parse(doc) for doc in shown],
        cursors=[encode_cursor(order, doc) for doc in shown],
        has_next_page=len(documents) > first,
    )
