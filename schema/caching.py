"""Parse and validate each distinct document once: clients send the same few over and over."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache

MAX_CACHED_DOCUMENTS = 1024


class DocumentCache(ParserCache):
    """strawberry's ParserCache, except that a syntax error is left to strawberry's own parse step.

    Raised inside the extension, the error would bypass the operation hooks (and so the error
    codes of ``ErrorCodes``); strawberry parses again and reports it the ordinary way.
    """

    def __init__(self) -> None:
        super().__init__(maxsize=MAX_CACHED_DOCUMENTS)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield
