"""Discussions and Q&A on content items: threads, replies, accepted answers, edits and deletions.

Who may do what is decided in ``resolvers/permissions.py`` (posting, editing, accepting) and who
reads what in ``resolvers/visibility.py`` (a thread is readable where its item is; a deleted or
hidden post's text is not). Text is stored as plain text: clients render it as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from resolvers import permissions, visibility
from resolvers.content import Kind, actor, check_page_size
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id, decode_id_of
from resolvers.kinds import CASE_STUDY, PARTNERSHIP, PRACTICE, REPLICATION
from resolvers.posting import PostingConfig
from storage.discussions import REPLIES, THREADS, ReplyRecord, ThreadRecord
from storage.errors import NotFound, VersionConflict
from storage.pagination import InvalidCursor, Page
from storage.records import ContentRecord
from storage.store import utc_now
from storage.vocabulary import ActivityKind, AuditAction, DiscussionKind, PostState

MAX_TITLE = 200
MIN_BODY = 2
MAX_MENTIONS = 10
# The replies of each thread a page shows without paging them (one query for the whole page).
REPLIES_PER_THREAD = 100

# The kinds of content that have a discussion, by GraphQL type and by collection.
SUBJECT_KINDS = {kind.name: kind for kind in (PRACTICE, CASE_STUDY, PARTNERSHIP, REPLICATION)}
_BY_COLLECTION: dict[str, Kind[Any, Any]] = {
    "practices": PRACTICE,
    "case_studies": CASE_STUDY,
    "partnerships": PARTNERSHIP,
    "replications": REPLICATION,
}
# `@[Nama Organisasi]` mentions an organization by its name (case and accents ignored).
MENTION = re.compile(r"@\[([^\[\]\n]{2,200})\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class PostResult:
    thread: ThreadRecord | None = None
    reply: ReplyRecord | None = None
    errors: list[FieldError] = field(default_factory=list)


def _error(field_name: str | None, code: ErrorCode, message: str) -> PostResult:
    return PostResult(errors=[FieldError(field_name, code, message)])


def plain_text(text: str) -> str:
    """Text as stored: normalized, without control characters, one kind of line break."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).strip()


def _check_body(body: str, config: PostingConfig, *, field_name: str = "body") -> list[FieldError]:
    if len(body) < MIN_BODY:
        return [FieldError(field_name, ErrorCode.TOO_SHORT, "Write at least a few words.")]
    if len(body) > config.max_length:
        return [FieldError(field_name, ErrorCode.TOO_LONG, f"At most {config.max_length} characters.")]
    return []


def _check_title(kind: DiscussionKind, title: str | None) -> list[FieldError]:
    if kind is DiscussionKind.QUESTION and not title:
        return [FieldError("title", ErrorCode.REQUIRED, "A question needs a title others can scan.")]
    if title is not None and len(title) > MAX_TITLE:
        return [FieldError("title", ErrorCode.TOO_LONG, f"At most {MAX_TITLE} characters.")]
    return []


async def subject_of(context: Context, collection: str, subject_id: str) -> ContentRecord | None:
    """The item a thread belongs to, if the viewer may read it (through the request's loaders)."""
    kind = _BY_COLLECTION.get(collection)
    if kind is None:
        return None
    record: ContentRecord | None = await kind.loader(context.loaders).load(subject_id)
    return record


async def _mentions(context: Context, body: str) -> list[str] | FieldError:
    names = list(dict.fromkeys(match.group(1).strip() for match in MENTION.finditer(body)))
    if len(names) > MAX_MENTIONS:
        return FieldError("body", ErrorCode.TOO_LONG, f"Mention at most {MAX_MENTIONS} organizations.")
    found = await context.stores.discussions.organizations_named(names)
    unknown = [name for name, organization_id in zip(names, found, strict=True) if organization_id is None]
    if unknown:
        return FieldError(
            "body",
            ErrorCode.UNKNOWN_ORGANIZATION,
            f"No organization is named {unknown[0]!r}; mention one as @[its full name].",
        )
    return list(dict.fromkeys(organization_id for organization_id in found if organization_id))


async def _rate_limited(context: Context, config: PostingConfig) -> FieldError | None:
    viewer = context.viewer
    assert viewer.user_id is not None
    since = utc_now() - config.rate_window
    posted = await context.stores.discussions.posts_since(author_id=viewer.user_id, since=since)
    if posted >= config.rate_limit:
        minutes = int(config.rate_window.total_seconds() // 60)
        return FieldError(
            None,
            ErrorCode.RATE_LIMITED,
            f"You posted {posted} times in the last {minutes} minutes; wait a little and try again.",
        )
    return None


def _author_fields(context: Context) -> dict[str, Any]:
    viewer = context.viewer
    return {
        "author_id": viewer.user_id,
        "author_name": viewer.name,
        "author_organization_id": viewer.organization_id,
    }


def _mention_activity(
    organization_ids: Sequence[str], *, already: Sequence[str] = ()
) -> list[dict[str, Any]]:
    new = [organization_id for organization_id in organization_ids if organization_id not in already]
    return [{"kind": ActivityKind.ORGANIZATION_MENTIONED, "organization_ids": new}] if new else []


async def _before_posting(context: Context, body: str) -> list[str] | list[FieldError]:
    """The organizations a new post mentions, or why it cannot be posted (a list of errors)."""
    if errors := _check_body(body, context.posting):
        return errors
    if limited := await _rate_limited(context, context.posting):
        return [limited]
    mentions = await _mentions(context, body)
    return [mentions] if isinstance(mentions, FieldError) else mentions


def _failed(found: list[str] | list[FieldError]) -> list[FieldError]:
    return [error for error in found if isinstance(error, FieldError)]


async def start_thread(
    context: Context,
    *,
    subject_id: str,
    kind: DiscussionKind,
    title: str | None,
    body: str,
) -> PostResult:
    """A question or comment on an item the viewer may read."""
    title = plain_text(title) or None if title is not None else None
    body = plain_text(body)
    if errors := permissions.authorize_post(context.viewer):
        return PostResult(errors=errors)
    try:
        type_name, local_id = decode_id(subject_id)
        subject_kind = SUBJECT_KINDS[type_name]
        local_id = decode_id_of(type_name, subject_id)
    except (InvalidGlobalId, KeyError):
        message = "Discussions belong to practices, case studies, partnerships and replications."
        return _error("subjectId", ErrorCode.INVALID_ID, message)
    subject = await subject_kind.loader(context.loaders).load(local_id)
    if subject is None:
        return _error("subjectId", ErrorCode.NOT_FOUND, f"No {type_name} has this ID.")
    if errors := _check_title(kind, title):
        return PostResult(errors=errors)
    mentions = await _before_posting(context, body)
    if errors := _failed(mentions):
        return PostResult(errors=errors)
    mentioned = [m for m in mentions if isinstance(m, str)]
    told = ActivityKind.QUESTION_ASKED if kind is DiscussionKind.QUESTION else ActivityKind.COMMENT_POSTED
    owner = [subject.organization_id]  # its poster among them is left out when told (notifier)
    thread = await context.stores.discussions.post_thread(
        {
            "subject_collection": subject_kind.store(context.stores).collection.name,
            "subject_id": subject.id,
            "kind": kind.value,
            "title": title,
            "body": body,
            "mentioned_organization_ids": mentioned,
            **_author_fields(context),
        },
        audit=actor(context, AuditAction.POSTED, changes=[{"field": "body", "before": None, "after": body}]),
        tell=[{"kind": told, "organization_ids": owner}, *_mention_activity(mentioned)],
    )
    context.on_write()
    return PostResult(thread=thread)


async def _thread(context: Context, global_id: str, *, argument: str) -> ThreadRecord | FieldError:
    try:
        local_id = decode_id_of("Thread", global_id)
    except InvalidGlobalId as exc:
        return FieldError(argument, ErrorCode.INVALID_ID, str(exc))
    thread = await context.loaders.threads.load(local_id)
    if thread is None:
        return FieldError(argument, ErrorCode.NOT_FOUND, "No thread has this ID.")
    return thread


async def find_thread(context: Context, global_id: str, *, argument: str) -> ThreadRecord | FieldError:
    """A thread the viewer may read, by its global ID; else INVALID_ID or NOT_FOUND on ``argument``."""
    return await _thread(context, global_id, argument=argument)


async def _reply(context: Context, global_id: str, *, argument: str) -> ReplyRecord | FieldError:
    try:
        local_id = decode_id_of("Reply", global_id)
    except InvalidGlobalId as exc:
        return FieldError(argument, ErrorCode.INVALID_ID, str(exc))
    reply = await context.loaders.replies.load(local_id)
    if reply is None:
        return FieldError(argument, ErrorCode.NOT_FOUND, "No reply has this ID.")
    return reply


async def reply_to(
    context: Context,
    *,
    thread_id: str,
    body: str,
    quoted_reply_id: str | None = None,
) -> PostResult:
    """A reply in a thread; a reply to a reply quotes it (one level of nesting, as in Discourse)."""
    body = plain_text(body)
    if errors := permissions.authorize_post(context.viewer):
        return PostResult(errors=errors)
    thread = await _thread(context, thread_id, argument="threadId")
    if isinstance(thread, FieldError):
        return PostResult(errors=[thread])
    quoted: ReplyRecord | None = None
    if quoted_reply_id is not None:
        found = await _reply(context, quoted_reply_id, argument="quotedReplyId")
        if isinstance(found, FieldError):
            return PostResult(errors=[found])
        if found.thread_id != thread.id:
            return _error("quotedReplyId", ErrorCode.INVALID, "Quote a reply of the same thread.")
        quoted = found
    if thread.state is not PostState.VISIBLE:
        return _error("threadId", ErrorCode.INVALID_TRANSITION, "This thread is closed: it was removed.")
    mentions = await _before_posting(context, body)
    if errors := _failed(mentions):
        return PostResult(errors=errors)
    mentioned = [m for m in mentions if isinstance(m, str)]
    me = context.viewer.user_id
    told_users = [
        user
        for user in dict.fromkeys([thread.author_id, quoted.author_id if quoted else None])
        if user is not None and user != me
    ]
    try:
        reply = await context.stores.discussions.post_reply(
            {
                "subject_collection": thread.subject_collection,
                "subject_id": thread.subject_id,
                "body": body,
                "quoted_reply_id": quoted.id if quoted else None,
                "mentioned_organization_ids": mentioned,
                **_author_fields(context),
            },
            thread_id=thread.id,
            audit=actor(
                context, AuditAction.POSTED, changes=[{"field": "body", "before": None, "after": body}]
            ),
            tell=[{"kind": ActivityKind.REPLY_POSTED, "user_ids": told_users}, *_mention_activity(mentioned)],
        )
    except NotFound:
        return _error("threadId", ErrorCode.NOT_FOUND, "No thread has this ID.")
    context.on_write()
    return PostResult(reply=reply)


async def find_post(context: Context, global_id: str) -> ThreadRecord | ReplyRecord | FieldError:
    try:
        type_name, _ = decode_id(global_id)
    except InvalidGlobalId as exc:
        return FieldError("id", ErrorCode.INVALID_ID, str(exc))
    if type_name == "Thread":
        return await _thread(context, global_id, argument="id")
    if type_name == "Reply":
        return await _reply(context, global_id, argument="id")
    return FieldError("id", ErrorCode.INVALID_ID, "Only threads and replies are posts.")


async def change_post(
    context: Context,
    post: ThreadRecord | ReplyRecord,
    *,
    version: int,
    set: Mapping[str, Any],
    audit_action: AuditAction,
    changes: Sequence[Mapping[str, Any]] = (),
    comment: str | None = None,
    unset: Sequence[str] = (),
    tell: Sequence[Mapping[str, Any]] = (),
    also: Any = None,
) -> PostResult:
    collection = THREADS if isinstance(post, ThreadRecord) else REPLIES
    try:
        stored = await context.stores.discussions.change_post(
            collection,
            id=post.id,
            expected_version=version,
            set=set,
            unset=unset,
            audit=actor(context, audit_action, changes=changes, comment=comment),
            tell=tell,
            also=also,
        )
    except VersionConflict as exc:
        return _error(
            "version",
            ErrorCode.CONFLICT,
            f"This post changed meanwhile (now version {exc.actual}); reload it.",
        )
    except NotFound:
        return _error("id", ErrorCode.NOT_FOUND, "No post has this ID.")
    context.on_write()
    if collection == THREADS:
        return PostResult(thread=ThreadRecord.model_validate(stored))
    return PostResult(reply=ReplyRecord.model_validate(stored))


async def edit_post(
    context: Context,
    *,
    id: str,
    version: int,
    body: str | None,
    title: str | None = None,
) -> PostResult:
    """Change a post's text: its author within the edit window, moderators at any time."""
    if not context.viewer.is_authenticated:
        return PostResult(errors=permissions.authorize_post(context.viewer))
    post = await find_post(context, id)
    if isinstance(post, FieldError):
        return PostResult(errors=[post])
    if errors := permissions.authorize_post_edit(context.viewer, post, window=context.posting.edit_window):
        return PostResult(errors=errors)
    if post.state is PostState.DELETED:
        return _error("id", ErrorCode.INVALID_TRANSITION, "A deleted post cannot be edited.")
    fields: dict[str, Any] = {}
    if body is not None:
        body = plain_text(body)
        if errors := _check_body(body, context.posting):
            return PostResult(errors=errors)
        fields["body"] = body
    if title is not None:
        if not isinstance(post, ThreadRecord):
            return _error("title", ErrorCode.INVALID, "Only a thread has a title.")
        fields["title"] = plain_text(title) or None
        if errors := _check_title(post.kind, fields["title"]):
            return PostResult(errors=errors)
    changes = [
        {"field": name, "before": getattr(post, name), "after": value}
        for name, value in fields.items()
        if getattr(post, name) != value
    ]
    if not changes:
        return PostResult(thread=post) if isinstance(post, ThreadRecord) else PostResult(reply=post)
    tell: list[dict[str, Any]] = []
    if "body" in fields:
        mentions = await _mentions(context, fields["body"])
        if isinstance(mentions, FieldError):
            return PostResult(errors=[mentions])
        fields["mentioned_organization_ids"] = mentions
        tell = _mention_activity(mentions, already=post.mentioned_organization_ids)
    return await change_post(
        context,
        post,
        version=version,
        set={**fields, "edited_at": utc_now()},
        audit_action=AuditAction.EDITED,
        changes=changes,
        tell=tell,
    )


async def delete_post(context: Context, *, id: str, version: int) -> PostResult:
    """The author's (or a moderator's) deletion: the text goes, a placeholder keeps replies' context."""
    if not context.viewer.is_authenticated:
        return PostResult(errors=permissions.authorize_post(context.viewer))
    post = await find_post(context, id)
    if isinstance(post, FieldError):
        return PostResult(errors=[post])
    if errors := permissions.authorize_post_delete(context.viewer, post):
        return PostResult(errors=errors)
    if post.state is PostState.DELETED:
        return _error("id", ErrorCode.INVALID_TRANSITION, "This post is deleted already.")
    changes = [{"field": "body", "before": post.body, "after": None}]
    return await change_post(
        context,
        post,
        version=version,
        set={"body": None, "deleted_at": utc_now()},
        audit_action=AuditAction.DELETED,
        changes=changes,
    )


async def accept_answer(context: Context, *, reply_id: str) -> PostResult:
    """Mark a reply as the answer of its question: by the asker or the item's organization."""
    if not context.viewer.is_authenticated:
        return PostResult(errors=permissions.authorize_post(context.viewer))
    reply = await _reply(context, reply_id, argument="replyId")
    if isinstance(reply, FieldError):
        return PostResult(errors=[reply])
    thread = await context.loaders.threads.load(reply.thread_id)
    subject = await subject_of(context, reply.subject_collection, reply.subject_id)
    if thread is None or subject is None:
        return _error("replyId", ErrorCode.NOT_FOUND, "No reply has this ID.")
    if errors := permissions.authorize_accept(context.viewer, thread, owner_id=subject.organization_id):
        return PostResult(errors=errors)
    if thread.kind is not DiscussionKind.QUESTION:
        return _error("replyId", ErrorCode.INVALID_TRANSITION, "Only a question has an accepted answer.")
    if reply.state is not PostState.VISIBLE:
        return _error(
            "replyId", ErrorCode.INVALID_TRANSITION, "A deleted or hidden reply cannot be the answer."
        )
    if thread.accepted_reply_id == reply.id:
        return PostResult(thread=thread, reply=reply)
    told = [
        u for u in dict.fromkeys([reply.author_id, thread.author_id]) if u and u != context.viewer.user_id
    ]
    result = await change_post(
        context,
        thread,
        version=thread.version,
        set={
            "accepted_reply_id": reply.id,
            "accepted_at": utc_now(),
            "accepted_by": context.viewer.user_id,
            "answered": True,
        },
        audit_action=AuditAction.ANSWER_ACCEPTED,
        changes=[{"field": "acceptedReplyId", "before": thread.accepted_reply_id, "after": reply.id}],
        tell=[{"kind": ActivityKind.ANSWER_ACCEPTED, "user_ids": told}],
    )
    return PostResult(thread=result.thread, reply=reply, errors=result.errors)


async def withdraw_answer(context: Context, *, thread_id: str, version: int) -> PostResult:
    """The question is open again."""
    if not context.viewer.is_authenticated:
        return PostResult(errors=permissions.authorize_post(context.viewer))
    thread = await _thread(context, thread_id, argument="threadId")
    if isinstance(thread, FieldError):
        return PostResult(errors=[thread])
    subject = await subject_of(context, thread.subject_collection, thread.subject_id)
    if subject is None:
        return _error("threadId", ErrorCode.NOT_FOUND, "No thread has this ID.")
    if errors := permissions.authorize_accept(context.viewer, thread, owner_id=subject.organization_id):
        return PostResult(errors=errors)
    if thread.accepted_reply_id is None:
        return _error("threadId", ErrorCode.INVALID_TRANSITION, "This question has no accepted answer.")
    return await change_post(
        context,
        thread,
        version=version,
        set={"answered": False, "accepted_reply_id": None, "accepted_at": None, "accepted_by": None},
        audit_action=AuditAction.ANSWER_WITHDRAWN,
        changes=[{"field": "acceptedReplyId", "before": thread.accepted_reply_id, "after": None}],
    )


# --- reading -----------------------------------------------------------------------------------


async def threads_of(
    context: Context,
    subject_id: str,
    *,
    kind: DiscussionKind | None,
    answered: bool | None,
    first: int,
    after: str | None,
) -> Page[ThreadRecord]:
    """An item's threads, newest activity first (the item was read through a loader already)."""
    check_page_size(first)
    try:
        return await context.stores.discussions.thread_page(
            subject_ids=[subject_id], kind=kind, answered=answered, first=first, after=after
        )
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


async def threads_by(context: Context, user_id: str, *, first: int, after: str | None) -> Page[ThreadRecord]:
    """The threads a user started (only the user asks: see schema), newest activity first.

    Threads on items the viewer can no longer read are left out of the page.
    """
    check_page_size(first)
    try:
        page = await context.stores.discussions.thread_page(author_id=user_id, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc
    readable = await context.loaders.threads.load_many([thread.id for thread in page.items])
    kept = [(t, c) for t, c, r in zip(page.items, page.cursors, readable, strict=True) if r is not None]
    return Page(items=[t for t, _ in kept], cursors=[c for _, c in kept], has_next_page=page.has_next_page)


async def reply_page(context: Context, thread_id: str, *, first: int, after: str | None) -> Page[ReplyRecord]:
    check_page_size(first)
    try:
        return await context.stores.discussions.reply_page(thread_id=thread_id, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


def shows_text(context: Context, post: ThreadRecord | ReplyRecord) -> bool:
    return visibility.can_read_post_text(context.viewer, post)


def may_edit(context: Context, post: ThreadRecord | ReplyRecord) -> bool:
    if post.state is PostState.DELETED:
        return False
    return not permissions.authorize_post_edit(context.viewer, post, window=context.posting.edit_window)


def may_accept(context: Context, thread: ThreadRecord, subject: ContentRecord | None) -> bool:
    if thread.kind is not DiscussionKind.QUESTION or subject is None:
        return False
    return not permissions.authorize_accept(context.viewer, thread, owner_id=subject.organization_id)
