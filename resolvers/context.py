"""What every resolver receives: the stores, this request's loaders, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field

from resolvers.loaders import Loaders
from storage.database import Stores


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who sends the request. Accounts arrive in a later issue; until then everyone is anonymous."""

    user_id: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


@dataclass(slots=True)
class Context:
    stores: Stores
    loaders: Loaders
    request_id: str
    viewer: Viewer = field(default_factory=Viewer)

    @classmethod
    def for_request(cls, stores: Stores, *, request_id: str, viewer: Viewer | None = None) -> Context:
        return cls(
            stores=stores,
            loaders=Loaders.for_request(stores),
            request_id=request_id,
            viewer=viewer or Viewer(),
        )
