"""Follow and unfollow, `viewer.follows`, and the themes with their followers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import follows
from resolvers.context import Context
from resolvers.follows import FollowResult
from schema import following
from schema.enums import FollowKind, Theme
from schema.node import Node
from schema.pagination import Connection
from schema.payload import Error, errors_of
from storage.follows import FollowRecord
from storage.vocabulary import Theme as ThemeValue


@strawberry.input(one_of=True, description="Exactly one: a theme, a region code, or an ID.")
class FollowTargetInput:
    theme: Theme | None = strawberry.UNSET
    region_code: str | None = strawberry.UNSET
    id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="An organization, practice, case study, partnership, replication, thread or event.",
    )


@strawberry.input
class FollowInput:
    target: FollowTargetInput


async def _target_node(info: Info[Context, None], kind: FollowKind, target_id: str) -> Node | None:
    from schema.query import node_of  # the root query knows every node type: a cycle

    if kind is FollowKind.THEME:
        return None
    type_name = "Region" if kind is FollowKind.REGION else _TYPE_NAMES[kind]
    return await node_of(info, type_name, target_id)


_TYPE_NAMES = {
    FollowKind.ORGANIZATION: "Organization",
    FollowKind.PRACTICE: "Practice",
    FollowKind.CASE_STUDY: "CaseStudy",
    FollowKind.PARTNERSHIP: "Partnership",
    FollowKind.REPLICATION: "Replication",
    FollowKind.THREAD: "Thread",
    FollowKind.EVENT: "Event",
}


@strawberry.type(description="Something the user follows.")
class Follow:
    kind: FollowKind
    created_at: datetime
    theme: Theme | None = strawberry.field(description="Set when a theme is followed.")
    target_id: strawberry.Private[str]

    @classmethod
    def of(cls, record: FollowRecord) -> Follow:
        theme = ThemeValue[record.target_id] if record.kind is FollowKind.THEME else None
        return cls(kind=record.kind, created_at=record.created_at, theme=theme, target_id=record.target_id)

    @strawberry.field(
        description="The region, organization or item followed; null for a theme, or when gone."
    )
    async def node(self, info: Info[Context, None]) -> Node | None:
        return await _target_node(info, self.kind, self.target_id)


@strawberry.type
class FollowPayload:
    follow: Follow | None
    follower_count: int | None = strawberry.field(description="Followers of the target after the change.")
    errors: list[Error]


@strawberry.type(description="A theme, and who follows it.")
class ThemeSummary:
    theme: Theme
    label: str
    label_en: str

    @strawberry.field
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, FollowKind.THEME, self.theme.value)

    @strawberry.field
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, FollowKind.THEME, self.theme.value)


def _target(input: FollowTargetInput) -> dict[str, Any]:
    given = {name: getattr(input, name) for name in ("theme", "region_code", "id")}
    return {name: None if value is strawberry.UNSET else value for name, value in given.items()}


async def _payload(info: Info[Context, None], result: FollowResult) -> FollowPayload:
    count = None
    if result.target is not None:
        count = await info.context.stores.follows.follower_counts([result.target.key])
    return FollowPayload(
        follow=Follow.of(result.follow) if result.follow else None,
        follower_count=count[0] if count else None,
        errors=errors_of(result.errors),
    )


@strawberry.type
class FollowMutation:
    @strawberry.mutation(
        description="Follow a theme, a region (everything below it too), an organization or an item."
    )
    async def follow(self, info: Info[Context, None], input: FollowInput) -> FollowPayload:
        return await _payload(info, await follows.follow(info.context, **_target(input.target)))

    @strawberry.mutation
    async def unfollow(self, info: Info[Context, None], input: FollowInput) -> FollowPayload:
        return await _payload(info, await follows.unfollow(info.context, **_target(input.target)))


@strawberry.type
class FollowQuery:
    @strawberry.field(description="Every theme, with its labels and followers.")
    def themes(self) -> list[ThemeSummary]:
        return [
            ThemeSummary(theme=theme, label=theme.label_id, label_en=theme.label_en) for theme in ThemeValue
        ]


async def follows_of_user(
    info: Info[Context, None], user_id: str, *, first: int, after: str | None
) -> Connection[Follow]:
    context = info.context
    page = await follows.follows_of(context, user_id, first=first, after=after)

    async def total() -> int:
        return await context.stores.follows.count_of_user(user_id)

    return Connection.of(page, Follow.of, total)
