"""Expected failures of the use cases, reported to clients as data.

ErrorCode            closed vocabulary of what went wrong (a GraphQL enum in the schema)
FieldError           one problem with one input field: field path, code, message
UserInputError       a query argument that cannot be served (bad cursor, page too large);
                     the schema turns it into a GraphQL error with ``extensions.code``
Forbidden            a query argument the viewer may not ask for; GraphQL error FORBIDDEN
Unauthenticated      a bearer token that is malformed, expired, revoked or of a removed user;
                     the server answers 401 before executing anything
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
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    INVALID_TOKEN = "INVALID_TOKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    RATE_LIMITED = "RATE_LIMITED"
    UNKNOWN_INDICATOR = "UNKNOWN_INDICATOR"
    FUTURE_PERIOD = "FUTURE_PERIOD"
    GRANULARITY_MISMATCH = "GRANULARITY_MISMATCH"
    DIRECTION_MISMATCH = "DIRECTION_MISMATCH"
    UNIT_CHANGED = "UNIT_CHANGED"


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


class Forbidden(Exception):
    """A query the viewer may not make (listing another organization's users)."""


class Unauthenticated(Exception):
    """The request carries credentials that identify nobody (any more)."""
