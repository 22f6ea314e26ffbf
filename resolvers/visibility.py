"""Who sees what: the one place that decides which editorial states a viewer may read.

Anonymous viewers (everyone, until accounts exist) see published content only, in search. The
accounts issue widens this per viewer: an organization's own drafts, everything for reviewers.
"""

from __future__ import annotations

from resolvers.context import Viewer
from storage.vocabulary import ContentStatus


def searchable_statuses(viewer: Viewer) -> tuple[ContentStatus, ...]:
    del viewer  # no roles yet: see the module docstring
    return (ContentStatus.PUBLISHED,)
