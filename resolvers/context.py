"""What every resolver receives: the stores, this request's loaders, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from resolvers.auth import AuthConfig
from resolvers.loaders import Loaders
from resolvers.posting import PostingConfig
from resolvers.viewer import Viewer
from search.engine import SearchEngine
from storage.database import Stores

if TYPE_CHECKING:
    from resolvers.live import LiveHub


def _nothing() -> None:
    pass


def _ignore(reason: str) -> None:
    del reason


@dataclass(slots=True)
class Context:
    stores: Stores
    loaders: Loaders
    request_id: str
    auth: AuthConfig
    viewer: Viewer = field(default_factory=Viewer)
    # The client's address as the server sees it: sign-in attempts are counted per address.
    client_address: str = "unknown"
    # None when no search engine is configured; search then answers SEARCH_UNAVAILABLE.
    search: SearchEngine | None = None
    # Called after every successful write: wakes the search indexer so the write is searchable soon.
    on_write: Callable[[], None] = _nothing
    posting: PostingConfig = field(default_factory=PostingConfig)
    # Called when a sign-in is refused, with why ("invalid_credentials", "throttled"): the metrics.
    on_sign_in_failure: Callable[[str], None] = _ignore
    # The live updates of this instance (subscriptions); None where none run.
    live: LiveHub | None = None
    # A WebSocket connection's `connection_init` payload (strawberry sets it).
    connection_params: dict[str, object] | None = None
    # When a WebSocket connection's token expires (its sign-in is checked again until then).
    access_expires_at: datetime | None = None

    def sign_in(self, viewer: Viewer, expires_at: datetime) -> None:
        """A WebSocket connection signed in by its `connection_init`: its viewer and loaders."""
        self.viewer = viewer
        self.access_expires_at = expires_at
        self.loaders = Loaders.for_request(self.stores, viewer)

    @classmethod
    def for_request(
        cls,
        stores: Stores,
        *,
        request_id: str,
        auth: AuthConfig,
        viewer: Viewer | None = None,
        client_address: str = "unknown",
        search: SearchEngine | None = None,
        on_write: Callable[[], None] = _nothing,
        posting: PostingConfig | None = None,
        on_sign_in_failure: Callable[[str], None] = _ignore,
        live: LiveHub | None = None,
    ) -> Context:
        viewer = viewer or Viewer()
        return cls(
            stores=stores,
            loaders=Loaders.for_request(stores, viewer),
            request_id=request_id,
            auth=auth,
            viewer=viewer,
            client_address=client_address,
            search=search,
            on_write=on_write,
            posting=posting or PostingConfig(),
            on_sign_in_failure=on_sign_in_failure,
            live=live,
        )
