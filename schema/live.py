"""The root Subscription: live updates over the graphql-transport-ws protocol at /graphql."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from resolvers import live
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError
from schema.discussions import Reply
from schema.notifications import Notification


def _error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _field_error(error: FieldError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code.value, "argument": error.field})


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each new notification of the signed-in viewer, as it is written (any instance). "
        "UNAUTHENTICATED without a token in `connection_init`."
    )
    async def notification_added(self, info: Info[Context, None]) -> AsyncGenerator[Notification, None]:
        context = info.context
        if context.viewer.user_id is None:
            raise _error(
                ErrorCode.UNAUTHENTICATED.value,
                'Sign in: send {"authorization": "Bearer <accessToken>"} in connection_init.',
            )
        try:
            async for record in live.notifications_of_viewer(context):
                yield Notification.from_record(record)
        except live.SubscriptionEnded as exc:
            raise _error(exc.code, str(exc)) from exc

    @strawberry.subscription(
        description="Each new reply in a thread, as it is posted (any instance). NOT_FOUND when the "
        "thread is unknown or not readable."
    )
    async def thread_updated(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> AsyncGenerator[Reply, None]:
        context = info.context
        thread_id = await live.thread_to_watch(context, id)
        if isinstance(thread_id, FieldError):
            raise _field_error(thread_id)
        try:
            async for record in live.replies_in(context, thread_id):
                yield Reply.from_record(record)
        except live.SubscriptionEnded as exc:
            raise _error(exc.code, str(exc)) from exc
