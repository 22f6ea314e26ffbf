"""Notifications: `viewer.notifications`, marking them read, and each user's settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import notifications
from resolvers.context import Context
from resolvers.ids import encode_id
from schema.accounts import User, load_user
from schema.enums import DigestFrequency, Language, NotificationReason
from schema.node import Node
from schema.pagination import Connection, Edge, PageInfo
from schema.payload import Error, errors_of
from storage.notifications import NotificationRecord, NotificationSettings


@strawberry.type(description="Something the signed-in user is told of; only its recipient sees it.")
class Notification(Node):
    reason: NotificationReason
    created_at: datetime
    read: bool
    summary: str | None = strawberry.field(description="A title or a reviewer's comment, to show at once.")
    actor_name: str | None
    record: strawberry.Private[NotificationRecord]

    @classmethod
    def from_record(cls, record: NotificationRecord) -> Notification:
        return cls(
            id=strawberry.ID(encode_id("Notification", record.id)),
            reason=record.reason,
            created_at=record.created_at,
            read=record.read,
            summary=record.summary,
            actor_name=record.actor_name,
            record=record,
        )

    @strawberry.field(description="Who did it; null once that account is removed.")
    async def actor(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.record.actor_id)

    @strawberry.field(description="What it is about: a thread, reply, event, item or exchange request.")
    async def subject(self, info: Info[Context, None]) -> Node | None:
        from schema.query import node_of  # the root query knows every node type: a cycle

        return await node_of(info, self.record.subject_type, self.record.subject_id)


@strawberry.type
class NotificationConnection:
    edges: list[Edge[Notification]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]
    _unread: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[Notification]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many notifications match, across all pages.")
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="How many of the user's notifications are unread.")
    async def unread_count(self) -> int:
        return await self._unread()


@strawberry.type(description="Which reasons to be told of, and how often to get an email digest.")
class NotificationSettingsType:
    muted_reasons: list[NotificationReason]
    digest: DigestFrequency
    language: Language

    @classmethod
    def of(cls, settings: NotificationSettings) -> NotificationSettingsType:
        return cls(muted_reasons=settings.muted_reasons, digest=settings.digest, language=settings.language)


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = False


@strawberry.input
class NotificationSettingsInput:
    muted_reasons: list[NotificationReason] | None = None
    digest: DigestFrequency | None = None
    language: Language | None = None


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int
    unread_count: int | None
    errors: list[Error]


@strawberry.type
class NotificationSettingsPayload:
    settings: NotificationSettingsType | None
    errors: list[Error]


async def notifications_of_user(
    info: Info[Context, None], user_id: str, *, unread_only: bool, first: int, after: str | None
) -> NotificationConnection:
    context = info.context
    page = await notifications.page_of(context, user_id, unread_only=unread_only, first=first, after=after)
    store = context.stores.notifications

    async def total() -> int:
        return await (store.unread_count(user_id) if unread_only else store.count(user_id))

    connection = Connection.of(page, Notification.from_record, total)

    async def unread() -> int:
        return await store.unread_count(user_id)

    return NotificationConnection(
        edges=connection.edges, page_info=connection.page_info, _count=total, _unread=unread
    )


def empty_notifications() -> NotificationConnection:
    async def none() -> int:
        return 0

    return NotificationConnection(
        edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), _count=none, _unread=none
    )


async def settings_of_user(info: Info[Context, None], user_id: str) -> NotificationSettingsType:
    (settings,) = await info.context.stores.notifications.settings_of([user_id])
    return NotificationSettingsType.of(settings)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark some (`ids`) or all (`all: true`) of your notifications read.")
    async def mark_notifications_read(
        self, info: Info[Context, None], input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        result = await notifications.mark_read(info.context, ids=input.ids, all=input.all)
        return MarkNotificationsReadPayload(
            marked=result.marked, unread_count=result.unread, errors=errors_of(result.errors)
        )

    @strawberry.mutation(description="Your reasons to be told of, and your digest frequency and language.")
    async def update_notification_settings(
        self, info: Info[Context, None], input: NotificationSettingsInput
    ) -> NotificationSettingsPayload:
        result = await notifications.update_settings(
            info.context, muted_reasons=input.muted_reasons, digest=input.digest, language=input.language
        )
        return NotificationSettingsPayload(
            settings=NotificationSettingsType.of(result.settings) if result.settings else None,
            errors=errors_of(result.errors),
        )
