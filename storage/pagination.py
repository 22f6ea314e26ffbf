"""Keyset pagination: opaque cursors over an indexed sort key plus the unique ``_id``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from storage.errors import StorageError

T = TypeVar("T")


class InvalidCursor(StorageError):
    """A cursor that this store did not hand out, or one from a different sort order."""


class SortOrder(Enum):
    """Orders a listing can be read in; each is served by an index ending in ``_id``."""

    NEWEST = ("created_at", -1)
    TITLE = ("sort_key", 1)
    CODE = ("_id", 1)

    @property
    def field(self) -> str:
        return self.value[0]

    @property
    def direction(self) -> int:
        return self.value[1]

    def mongo_sort(self) -> list[tuple[str, int]]:
        if self.field == "_id":
            return [("_id", self.direction)]
        return [(self.field, self.direction), ("_id", self.direction)]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.replace(tzinfo=value.tzinfo or UTC).isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("t"), str):
        return datetime.fromisoformat(value["t"])
    return value


def encode_cursor(order: SortOrder, document: dict[str, Any]) -> str:
    payload = [order.name, _encode_value(document.get(order.field)), document["_id"]]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, doc_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("the cursor is malformed") from exc
    if name != order.name or not isinstance(doc_id, str):
        raise InvalidCursor("the cursor belongs to another sort order")
    return _decode_value(value), doc_id


def after_condition(order: SortOrder, cursor: str) -> dict[str, Any]:
    """The query condition selecting documents strictly after ``cursor`` in ``order``."""
    value, doc_id = decode_cursor(order, cursor)
    op = "$gt" if order.direction > 0 else "$lt"
    if order.field == "_id":
        return {"_id": {op: doc_id}}
    return {"$or": [{order.field: {op: value}}, {order.field: value, "_id": {op: doc_id}}]}
