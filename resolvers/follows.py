"""Following themes, regions, organizations and items, and who follows what."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resolvers import permissions
from resolvers.content import check_page_size
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id, decode_id_of
from resolvers.kinds import KINDS
from storage.follows import FollowRecord, target_key
from storage.pagination import InvalidCursor, Page
from storage.vocabulary import FollowKind, Theme

# The followable types of global IDs, and their kind of follow.
_BY_TYPE = {
    "Organization": FollowKind.ORGANIZATION,
    "Practice": FollowKind.PRACTICE,
    "CaseStudy": FollowKind.CASE_STUDY,
    "Partnership": FollowKind.PARTNERSHIP,
    "Replication": FollowKind.REPLICATION,
    "Thread": FollowKind.THREAD,
    "Event": FollowKind.EVENT,
}


@dataclass(frozen=True, slots=True)
class Target:
    kind: FollowKind
    id: str

    @property
    def key(self) -> str:
        return target_key(self.kind, self.id)


@dataclass(frozen=True, slots=True)
class FollowResult:
    follow: FollowRecord | None = None
    target: Target | None = None
    errors: list[FieldError] = field(default_factory=list)


async def _readable(context: Context, type_name: str, local_id: str) -> Any:
    loaders = context.loaders
    if type_name == "Thread":
        return await loaders.threads.load(local_id)
    if type_name == "Event":
        return await loaders.events.load(local_id)
    return await KINDS[type_name].loader(loaders).load(local_id)


async def resolve_target(
    context: Context, *, theme: Theme | None, region_code: str | None, id: str | None
) -> Target | FieldError:
    """The followed thing, if it exists and the viewer may read it."""
    if theme is not None:
        return Target(FollowKind.THEME, theme.value)
    if region_code is not None:
        code = region_code.strip()
        if len(code) > 20 or await context.loaders.regions.load(code) is None:
            return FieldError("target.regionCode", ErrorCode.UNKNOWN_REGION, "No region has this code.")
        return Target(FollowKind.REGION, code)
    assert id is not None
    try:
        type_name, _ = decode_id(id)
        kind = _BY_TYPE[type_name]
        local_id = decode_id_of(type_name, id)
    except (InvalidGlobalId, KeyError):
        message = "Follow an organization, a practice, case study, partnership, replication, thread or event."
        return FieldError("target.id", ErrorCode.INVALID_ID, message)
    if await _readable(context, type_name, local_id) is None:
        return FieldError("target.id", ErrorCode.NOT_FOUND, f"No {type_name} has this ID.")
    return Target(kind, local_id)


async def follow(context: Context, **target: Any) -> FollowResult:
    if errors := permissions.authorize_follow(context.viewer):
        return FollowResult(errors=errors)
    found = await resolve_target(context, **target)
    if isinstance(found, FieldError):
        return FollowResult(errors=[found])
    assert context.viewer.user_id is not None
    record, _ = await context.stores.follows.follow(
        user_id=context.viewer.user_id, kind=found.kind, target_id=found.id
    )
    return FollowResult(follow=record, target=found)


async def unfollow(context: Context, **target: Any) -> FollowResult:
    if errors := permissions.authorize_follow(context.viewer):
        return FollowResult(errors=errors)
    found = await resolve_target(context, **target)
    if isinstance(found, FieldError):
        return FollowResult(errors=[found])
    assert context.viewer.user_id is not None
    await context.stores.follows.unfollow(user_id=context.viewer.user_id, kind=found.kind, target_id=found.id)
    return FollowResult(target=found)


async def follows_of(context: Context, user_id: str, *, first: int, after: str | None) -> Page[FollowRecord]:
    check_page_size(first)
    try:
        return await context.stores.follows.of_user(user_id=user_id, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc
