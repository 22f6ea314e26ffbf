"""What every mutation payload carries besides its object: the expected failures, as data."""

from __future__ import annotations

import strawberry

from resolvers.errors import FieldError
from schema.enums import ErrorCode


@strawberry.type(description="A problem with the input; `field` is its path in the input, e.g. `period.end`.")
class Error:
    field: str | None
    code: ErrorCode
    message: str


def errors_of(errors: list[FieldError] | None) -> list[Error]:
    return [Error(field=e.field, code=e.code, message=e.message) for e in errors or ()]
