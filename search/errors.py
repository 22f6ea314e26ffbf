"""Failures of the search engine.

SearchError
 +-- SearchUnavailable   Meilisearch cannot be reached, timed out, or refused the request
"""

from __future__ import annotations


class SearchError(Exception):
    """Base of every failure this package raises on purpose."""


class SearchUnavailable(SearchError):
    pass
