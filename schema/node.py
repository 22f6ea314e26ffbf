"""The Relay ``Node`` interface and the copying of records into GraphQL types."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import strawberry

from resolvers.ids import encode_id

T = TypeVar("T")


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID

    @classmethod
    def global_id(cls, local_id: str) -> strawberry.ID:
        return strawberry.ID(encode_id(cls.__name__, local_id))


_INIT_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def _init_fields(cls: type[Any]) -> tuple[str, ...]:
    """The constructor fields of a strawberry type, looked up once per class (hot path)."""
    names = _INIT_FIELDS.get(cls)
    if names is None:
        names = _INIT_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return names


def copy_record(cls: type[T], record: Any, **overrides: Any) -> T:
    """Build ``cls`` from the same-named attributes of ``record``; ``overrides`` win."""
    values = {name: getattr(record, name) for name in _init_fields(cls) if name not in overrides}
    return cls(**values, **overrides)
