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


async def _notifications(context: Context) -> AsyncGenerator[Notification, None]:
    try:
        async for record in live.notifications_of_viewer(context):
            yield Notification.from_record(record)
    except live.SubscriptionEnded as exc:
        raise _error(exc.code, str(exc)) from exc


async def _replies(context: Context, global_id: str, thread_id: str) -> AsyncGenerator[Reply, None]:
    try:
        async for record in live.replies_in(context, global_id, thread_id):
            yield Reply.from_record(record)
    except live.SubscriptionEnded as exc:
        raise _error(exc.code, str(exc)) from exc


# The resolvers check before they return the stream: a refusal is the protocol's `error`
# message (the operation never started), not a `next` with errors followed by `complete`.
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
        if context.live is None:
            raise _error(live.UNAVAILABLE, live.UNAVAILABLE_MESSAGE)
        return _notifications(context)

    @strawberry.subscription(
        description="Each new reply in a thread, as it is posted (any instance). NOT_FOUND when the "
        "thread is unknown or not readable, or ceases to be."
    )
    async def thread_updated(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> AsyncGenerator[Reply, None]:
        context = info.context
        if context.live is None:
            raise _error(live.UNAVAILABLE, live.UNAVAILABLE_MESSAGE)
        live.refreshed(context)  # what this connection read before may have changed since
        thread_id = await live.thread_to_watch(context, id)
        if isinstance(thread_id, FieldError):
            raise _field_error(thread_id)
        return _replies(context, id, thread_id)
