"""Moderation: anyone signed in reports a post; reviewers work the queue, hide, restore or dismiss.

A hidden post shows a placeholder to everyone but its author and the moderators. Hiding or
restoring closes the post's open reports in the same transaction, with an audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from resolvers import permissions
from resolvers.content import actor, check_page_size
from resolvers.context import Context
from resolvers.discussions import PostResult, change_post, find_post, plain_text
from resolvers.errors import ErrorCode, FieldError, Forbidden, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id, decode_id_of
from resolvers.kinds import EXCHANGE
from storage.discussions import REPLIES, THREADS, ReplyRecord, ThreadRecord
from storage.moderation import AlreadyReported, ReportRecord
from storage.pagination import InvalidCursor, Page
from storage.records import ExchangeRecord
from storage.store import utc_now
from storage.vocabulary import AuditAction, PostState, ReportReason, ReportStatus

MAX_REPORT_TEXT = 2000
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ReportResult:
    report: ReportRecord | None = None
    errors: list[FieldError] = field(default_factory=list)


def _collection(post: ThreadRecord | ReplyRecord) -> str:
    return THREADS if isinstance(post, ThreadRecord) else REPLIES


Reportable = ThreadRecord | ReplyRecord | ExchangeRecord


async def _reportable(context: Context, id: str) -> tuple[str, Reportable] | FieldError:
    """A thread, reply or exchange request the viewer can read, with its collection."""
    try:
        type_name, _ = decode_id(id)
    except InvalidGlobalId as exc:
        return FieldError("id", ErrorCode.INVALID_ID, str(exc))
    if type_name not in ("Thread", "Reply", EXCHANGE.name):
        return FieldError(
            "id", ErrorCode.INVALID_ID, "Only threads, replies and exchange requests are reported."
        )
    if type_name == EXCHANGE.name:
        try:
            exchange = await EXCHANGE.loader(context.loaders).load(decode_id_of(EXCHANGE.name, id))
        except InvalidGlobalId as exc:
            return FieldError("id", ErrorCode.INVALID_ID, str(exc))
        if exchange is None:
            return FieldError("id", ErrorCode.NOT_FOUND, "No exchange request has this ID.")
        return context.stores.exchanges.collection.name, exchange
    post = await find_post(context, id)
    if isinstance(post, FieldError):
        return post
    return _collection(post), post


async def report(context: Context, *, id: str, reason: ReportReason, text: str | None) -> ReportResult:
    """Report a thread, reply or exchange request the viewer can read; once per reporter."""
    if errors := permissions.authorize_report(context.viewer):
        return ReportResult(errors=errors)
    text = plain_text(text) or None if text is not None else None
    if text is not None and len(text) > MAX_REPORT_TEXT:
        return ReportResult(
            errors=[FieldError("text", ErrorCode.TOO_LONG, f"At most {MAX_REPORT_TEXT} characters.")]
        )
    if reason is ReportReason.OTHER and not text:
        return ReportResult(
            errors=[FieldError("text", ErrorCode.REQUIRED, "Say what is wrong with this post.")]
        )
    found = await _reportable(context, id)
    if isinstance(found, FieldError):
        return ReportResult(errors=[found])
    collection, subject = found
    assert context.viewer.user_id is not None
    try:
        record = await context.stores.reports.report(
            subject_collection=collection,
            subject_id=subject.id,
            reporter_id=context.viewer.user_id,
            reporter_name=context.viewer.name,
            reason=reason,
            text=text,
        )
    except AlreadyReported:
        message = "You reported this post already; a moderator will look at it."
        return ReportResult(errors=[FieldError("id", ErrorCode.DUPLICATE, message)])
    return ReportResult(report=record)


def _closing(context: Context, post_id: str, status: ReportStatus, resolution: str) -> Callable[..., Any]:
    async def close(session: AsyncClientSession) -> None:
        await context.stores.reports.close_open(
            subject_id=post_id,
            status=status,
            by=context.viewer.user_id,
            resolution=resolution,
            session=session,
        )

    return close


def _reason(reason: str) -> str | FieldError:
    reason = plain_text(reason)
    if not reason:
        return FieldError("reason", ErrorCode.REQUIRED, "Say why, for the author and the other moderators.")
    if len(reason) > MAX_REASON:
        return FieldError("reason", ErrorCode.TOO_LONG, f"At most {MAX_REASON} characters.")
    return reason


async def _moderated(
    context: Context, *, id: str, reason: str, state: PostState
) -> tuple[ThreadRecord | ReplyRecord, str] | PostResult:
    """The post a moderator acts on, in ``state``, and the reason given; or why not."""
    if errors := permissions.authorize_moderation(context.viewer):
        return PostResult(errors=errors)
    given = _reason(reason)
    if isinstance(given, FieldError):
        return PostResult(errors=[given])
    post = await find_post(context, id)
    if isinstance(post, FieldError):
        return PostResult(errors=[post])
    if post.state is not state:
        done = "hidden" if state is PostState.VISIBLE else "restored"
        message = f"Only a {state.label_en.lower()} post can be {done}."
        return PostResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    return post, given


async def hide(context: Context, *, id: str, version: int, reason: str) -> PostResult:
    found = await _moderated(context, id=id, reason=reason, state=PostState.VISIBLE)
    if isinstance(found, PostResult):
        return found
    post, given = found
    moderation = {
        "hidden_at": utc_now(),
        "hidden_by": context.viewer.user_id,
        "hidden_by_name": context.viewer.name,
        "reason": given,
    }
    return await change_post(
        context,
        post,
        version=version,
        set={"moderation": moderation},
        audit_action=AuditAction.HIDDEN,
        comment=given,
        also=_closing(context, post.id, ReportStatus.RESOLVED, given),
    )


async def restore(context: Context, *, id: str, version: int, reason: str) -> PostResult:
    found = await _moderated(context, id=id, reason=reason, state=PostState.HIDDEN)
    if isinstance(found, PostResult):
        return found
    post, given = found
    return await change_post(
        context,
        post,
        version=version,
        set={"moderation": None},
        audit_action=AuditAction.RESTORED,
        comment=given,
        also=_closing(context, post.id, ReportStatus.DISMISSED, given),
    )


async def dismiss_reports(context: Context, *, id: str, reason: str) -> PostResult:
    """The reports of a post were unfounded: they leave the queue, the post stays as it is."""
    if errors := permissions.authorize_moderation(context.viewer):
        return PostResult(errors=errors)
    given = _reason(reason)
    if isinstance(given, FieldError):
        return PostResult(errors=[given])
    found = await _reportable(context, id)
    if isinstance(found, FieldError):
        return PostResult(errors=[found])
    collection, post = found
    closed = await context.stores.reports.close_open(
        subject_id=post.id, status=ReportStatus.DISMISSED, by=context.viewer.user_id, resolution=given
    )
    if not closed:
        return PostResult(
            errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, "This post has no open report.")]
        )
    await context.stores.audit_trail.record(
        actor(context, AuditAction.REPORTS_DISMISSED, comment=given),
        collection=collection,
        subject_id=post.id,
        version=post.version,
    )
    if isinstance(post, ThreadRecord):
        return PostResult(thread=post)
    if isinstance(post, ReplyRecord):
        return PostResult(reply=post)
    return PostResult()


async def queue(context: Context, *, first: int, after: str | None) -> Page[ReportRecord]:
    """Open reports, newest first: for moderators only."""
    if not permissions.is_moderator(context.viewer):
        raise Forbidden("Only reviewers see the moderation queue.")
    check_page_size(first)
    try:
        return await context.stores.reports.open_page(first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc
