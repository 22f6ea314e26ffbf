"""Every GraphQL error leaves with an ``extensions.code``; unexpected ones leave masked.

Expected failures of queries (a bad argument, a backing service down) become GraphQL errors
with a code a client can branch on. Anything else is a bug: the client sees a generic message
with the request ID, and the log gets the traceback under the same ID.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import Forbidden, UserInputError
from schema.limits import TOO_MANY_TOKENS
from search.errors import SearchUnavailable
from storage.errors import StorageUnavailable

logger = logging.getLogger("lumbung.graphql")

BAD_USER_INPUT = "BAD_USER_INPUT"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
SEARCH_UNAVAILABLE = "SEARCH_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
FORBIDDEN = "FORBIDDEN"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _request_id(context: Any) -> str:
    return str(getattr(context, "request_id", "-"))


_SUGGESTION = re.compile(r" Did you mean .*\?$")


def _classify(error: GraphQLError, request_id: str, *, hide_suggestions: bool) -> GraphQLError:
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None:
        if hide_suggestions:  # names of fields and types the client did not ask about stay private
            error.message = _SUGGESTION.sub("", error.message)
        if "tokens. Parsing aborted" in error.message:
            code = TOO_MANY_TOKENS
        elif error.message.startswith("Syntax Error"):
            code = GRAPHQL_PARSE_FAILED
        elif error.message.startswith("Variable '$"):
            code = BAD_USER_INPUT
        else:
            code = GRAPHQL_VALIDATION_FAILED
        extensions.setdefault("code", code)
        error.extensions = extensions
        return error
    if isinstance(original, UserInputError):
        extensions.update(code=BAD_USER_INPUT, argument=original.argument)
        return GraphQLError(str(original), nodes=error.nodes, path=error.path, extensions=extensions)
    if isinstance(original, Forbidden):
        extensions.update(code=FORBIDDEN)
        return GraphQLError(str(original), nodes=error.nodes, path=error.path, extensions=extensions)
    if isinstance(original, StorageUnavailable):
        extensions.update(code=SERVICE_UNAVAILABLE)
        message = "The database is unavailable; try again shortly."
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    if isinstance(original, SearchUnavailable):
        extensions.update(code=SEARCH_UNAVAILABLE)
        message = "Search is unavailable right now; browsing and writing still work."
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    if isinstance(original, GraphQLError):  # raised on purpose by strawberry or graphql-core
        extensions.setdefault("code", BAD_USER_INPUT)
        error.extensions = extensions
        return error
    logger.error("unexpected error (request %s) at %s", request_id, error.path, exc_info=original)
    return GraphQLError(
        f"An unexpected error occurred; reference {request_id}.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
    )


class ErrorCodes(SchemaExtension):
    """Classify, mask and log the errors of every operation (see the module docstring)."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = _request_id(self.execution_context.context)
        result.errors = [
            _classify(error, request_id, hide_suggestions=self.hide_suggestions) for error in result.errors
        ]
