"""Custom scalars, mapped onto Python types through the schema's ``scalar_map``."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

_MAX_SAFE_INTEGER = 2**53 - 1

Rupiah = NewType("Rupiah", int)


def _parse_rupiah(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("Rupiah must be a whole number")
    amount = int(value)
    # The sign is the mutation's business (reported as a field error); the size is JSON's.
    if abs(amount) > _MAX_SAFE_INTEGER:
        raise ValueError("Rupiah must be within +/- 2^53 - 1")
    return amount


SCALARS: dict[object, ScalarDefinition] = {
    Rupiah: strawberry.scalar(
        name="Rupiah",
        description="An amount in Indonesian rupiah: a whole number that may exceed 32 bits.",
        serialize=int,
        parse_value=_parse_rupiah,
    )
}
