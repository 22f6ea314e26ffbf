"""The `viewerFollows` and `followerCount` fields every followable type shows, through loaders."""

from __future__ import annotations

from strawberry.types import Info

from resolvers.context import Context
from storage.follows import target_key
from storage.vocabulary import FollowKind


async def follower_count(info: Info[Context, None], kind: FollowKind, target_id: str) -> int:
    return await info.context.loaders.follower_counts.load(target_key(kind, target_id))


async def viewer_follows(info: Info[Context, None], kind: FollowKind, target_id: str) -> bool:
    return await info.context.loaders.viewer_follows.load(target_key(kind, target_id))
