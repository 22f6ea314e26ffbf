"""What every resolver receives: the stores, this request's loaders, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from resolvers.loaders import Loaders
from search.engine import SearchEngine
from storage.database import Stores


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who sends the request. Accounts arrive in a later issue; until then everyone is anonymous."""

    user_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


def _nothing() -> None:
    pass


@dataclass(slots=True)
class Context:
    stores: Stores
    loaders: Loaders
    request_id: str
    viewer: Viewer = field(default_factory=Viewer)
    # None when no search engine is configured; search then answers SEARCH_UNAVAILABLE.
    search: SearchEngine | None = None
    # Called after every successful write: wakes the search indexer so the write is searchable soon.
    on_write: Callable[[], None] = _nothing

    @classmethod
    def for_request(
        cls,
        stores: Stores,
        *,
        request_id: str,
        viewer: Viewer | None = None,
        search: SearchEngine | None = None,
        on_write: Callable[[], None] = _nothing,
    ) -> Context:
        return cls(
            stores=stores,
            loaders=Loaders.for_request(stores),
            request_id=request_id,
            viewer=viewer or Viewer(),
            search=search,
            on_write=on_write,
        )
