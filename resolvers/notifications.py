"""Reading one's notifications, marking them read, and notification settings (each user their own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from resolvers import permissions
from resolvers.content import check_page_size
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id
from storage.notifications import NotificationRecord, NotificationSettings
from storage.pagination import InvalidCursor, Page
from storage.vocabulary import DigestFrequency, Language, NotificationReason

MAX_MARKED = 100


@dataclass(frozen=True, slots=True)
class MarkResult:
    marked: int = 0
    unread: int | None = None
    errors: list[FieldError] = field(default_factory=list)


async def page_of(
    context: Context, user_id: str, *, unread_only: bool, first: int, after: str | None
) -> Page[NotificationRecord]:
    check_page_size(first)
    try:
        return await context.stores.notifications.page(
            user_id=user_id, unread_only=unread_only, first=first, after=after
        )
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


def _local_ids(ids: Sequence[str]) -> list[str] | FieldError:
    local = []
    for global_id in ids:
        try:
            type_name, local_id = decode_id(global_id)
        except InvalidGlobalId as exc:
            return FieldError("ids", ErrorCode.INVALID_ID, str(exc))
        if type_name != "Notification":
            return FieldError("ids", ErrorCode.INVALID_ID, "Only notifications are marked read.")
        local.append(local_id)
    return local


async def mark_read(context: Context, *, ids: Sequence[str] | None, all: bool) -> MarkResult:
    """Mark some (``ids``) or all of the viewer's own notifications read; others' are untouched."""
    if errors := permissions.authorize_notifications(context.viewer):
        return MarkResult(errors=errors)
    user_id = context.viewer.user_id
    assert user_id is not None
    if all == (ids is not None):
        message = "Give either `ids` or `all: true`."
        return MarkResult(errors=[FieldError("ids", ErrorCode.INVALID, message)])
    local: list[str] | None = None
    if ids is not None:
        if len(ids) > MAX_MARKED:
            return MarkResult(
                errors=[FieldError("ids", ErrorCode.TOO_LONG, f"At most {MAX_MARKED} at once.")]
            )
        found = _local_ids(ids)
        if isinstance(found, FieldError):
            return MarkResult(errors=[found])
        local = found
    marked = await context.stores.notifications.mark_read(user_id=user_id, ids=local)
    return MarkResult(marked=marked, unread=await context.stores.notifications.unread_count(user_id))


@dataclass(frozen=True, slots=True)
class SettingsResult:
    settings: NotificationSettings | None = None
    errors: list[FieldError] = field(default_factory=list)


async def update_settings(
    context: Context,
    *,
    muted_reasons: Sequence[NotificationReason] | None,
    digest: DigestFrequency | None,
    language: Language | None,
) -> SettingsResult:
    if errors := permissions.authorize_notifications(context.viewer):
        return SettingsResult(errors=errors)
    user_id = context.viewer.user_id
    assert user_id is not None
    fields: dict[str, Any] = {}
    if muted_reasons is not None:
        fields["muted_reasons"] = sorted({reason.value for reason in muted_reasons})
    if digest is not None:
        fields["digest"] = digest.value
    if language is not None:
        fields["language"] = language.value
    return SettingsResult(settings=await context.stores.notifications.save_settings(user_id, fields))
