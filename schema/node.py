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


def copy_record(cls: type[T], record: Any, **overrides: Any) -> T:
    """Build ``cls`` from the same-named attributes of ``record``; ``overrides`` win."""
    names = (f.name for f in dataclasses.fields(cls) if f.init)  # type: ignore[arg-type]
    values = {name: getattr(record, name) for name in names if name not in overrides}
    return cls(**values, **overrides)
