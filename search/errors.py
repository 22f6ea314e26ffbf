"""Failures of the search engine.

SearchError
 +-- SearchUnavailable   Meilisearch cannot be reached, timed out, or refused the request
 +-- IndexingFailed      Meilisearch failed an indexing task, not for a record's fault
"""

from __future__ import annotations


class SearchError(Exception):
    """Base of every failure this package raises on purpose."""


class SearchUnavailable(SearchError):
    pass


class IndexingFailed(SearchError):
    """Meilisearch failed a task, not for a record's fault; the records stay pending and are retried."""

    def __init__(self, message: str, *, handled: int = 0) -> None:
        super().__init__(message)
        # Records indexed or parked in the same step before it stopped.
        self.handled = handled
