"""Expected failures of the use cases, reported to clients as data.

ErrorCode            closed vocabulary of what went wrong (a GraphQL enum in the schema)
FieldError           one problem with one input field: field path, code, message
UserInputError       a query argument that cannot be served (bad cursor, page too large);
                     the schema turns it into a GraphQL error with ``extensions.code``
ServiceUnavailable   a backing service is down (re-exported from storage as such)

Unexpected exceptions are none of these: the schema masks and logs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    REQUIRED = "REQUIRED"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID = "INVALID"
    INVALID_ID = "INVALID_ID"
    DUPLICATE = "DUPLICATE"
    DATE_ORDER = "DATE_ORDER"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_ORGANIZATION = "UNKNOWN_ORGANIZATION"
    UNKNOWN_PRACTICE = "UNKNOWN_PRACTICE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    IN_USE = "IN_USE"
    FORBIDDEN = "FORBIDDEN"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    code: ErrorCode
    message: str


class UserInputError(Exception):
    """An argument of a query that cannot be served as given."""

    def __init__(self, message: str, *, argument: str) -> None:
        super().__init__(message)
        self.argument = argument
