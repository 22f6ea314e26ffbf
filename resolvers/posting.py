"""Limits on posting in discussions, from the settings (README "Discussions")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class PostingConfig:
    # How long an author may edit a post; after that only moderators do.
    edit_window: timedelta = timedelta(minutes=30)
    # Characters of one thread's or reply's text.
    max_length: int = 10_000
    # Threads and replies one user may post within ``rate_window``.
    rate_limit: int = 20
    rate_window: timedelta = timedelta(minutes=10)
