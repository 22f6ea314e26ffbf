"""Discussions and Q&A: threads on content items, replies, accepted answers, and moderation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import discussions, moderation, visibility
from resolvers.content import check_page_size
from resolvers.context import Context
from resolvers.discussions import PostResult
from resolvers.moderation import ReportResult
from schema import following
from schema.accounts import User, load_user
from schema.audit import AuditEntry
from schema.enums import DiscussionKind, PostState, ReportReason, ReportStatus
from schema.node import Node
from schema.pagination import DEFAULT_PAGE_SIZE, After, Connection, Edge, First, PageInfo
from schema.payload import Error, errors_of
from schema.regions import Organization, load_organization
from storage.discussions import ReplyRecord, ThreadRecord
from storage.moderation import ReportRecord
from storage.pagination import SortOrder, encode_cursor, newest_key
from storage.vocabulary import FollowKind

if TYPE_CHECKING:
    from schema.content import Content
    from schema.exchanges import ExchangeRequest

ContentType = Annotated["Content", strawberry.lazy("schema.content")]

# The GraphQL type of a thread's item, by collection (the item is loaded through its loader).
_SUBJECT_TYPES = {
    "practices": "Practice",
    "case_studies": "CaseStudy",
    "partnerships": "Partnership",
    "replications": "Replication",
}


async def _subject(info: Info[Context, None], collection: str, subject_id: str) -> Any:
    from schema import content  # the content types show their discussion: a cycle

    record = await discussions.subject_of(info.context, collection, subject_id)
    if record is None:
        return None
    subject_type: Any = getattr(content, _SUBJECT_TYPES[collection])
    return subject_type.from_record(record)


@strawberry.type(description="Why and by whom a post was hidden; for its author and the moderators.")
class PostModeration:
    hidden_at: datetime
    hidden_by_name: str | None
    reason: str


@strawberry.interface(description="A thread or a reply: its text, author and state.")
class Post(Node):
    state: PostState = strawberry.field(
        description="DELETED and HIDDEN posts show a placeholder instead of their text."
    )
    version: int = strawberry.field(description="Pass it back to edit, delete, hide or restore.")
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None = strawberry.field(description="When its text last changed; null if never.")
    author_name: str | None = strawberry.field(description="The author's name at the time of posting.")
    is_demo: bool
    record: strawberry.Private[ThreadRecord | ReplyRecord]

    @strawberry.field(
        description="Plain text (render it as text, never as HTML). Null for a deleted post, and for "
        "a hidden one except to its author and the moderators."
    )
    def body(self, info: Info[Context, None]) -> str | None:
        return self.record.body if discussions.shows_text(info.context, self.record) else None

    @strawberry.field(description="The author; null for anonymous viewers and removed accounts.")
    async def author(self, info: Info[Context, None]) -> User | None:
        return await load_user(info, self.record.author_id)

    @strawberry.field(description="The organization the author posted for.")
    async def author_organization(self, info: Info[Context, None]) -> Organization | None:
        if self.record.author_organization_id is None:
            return None
        return await load_organization(info, self.record.author_organization_id)

    @strawberry.field(description="Organizations mentioned as `@[Organization name]` in the text.")
    async def mentioned_organizations(self, info: Info[Context, None]) -> list[Organization]:
        if not discussions.shows_text(info.context, self.record):
            return []
        found = await info.context.loaders.organizations.load_many(self.record.mentioned_organization_ids)
        return [Organization.from_record(record) for record in found if record is not None]

    @strawberry.field(description="Set when a moderator hid the post; for its author and the moderators.")
    def moderation(self, info: Info[Context, None]) -> PostModeration | None:
        found = self.record.moderation
        if found is None or not visibility.can_read_post_moderation(info.context.viewer, self.record):
            return None
        return PostModeration(
            hidden_at=found.hidden_at, hidden_by_name=found.hidden_by_name, reason=found.reason
        )

    @strawberry.field(
        description="Every post, edit, deletion and moderation step, newest first; for the author "
        "and the moderators, empty for anyone else."
    )
    async def audit_trail(self, info: Info[Context, None]) -> list[AuditEntry]:
        if not visibility.can_read_post_moderation(info.context.viewer, self.record):
            return []
        entries = await info.context.loaders.audit_trail.load(self.record.id)
        return [AuditEntry.from_record(entry) for entry in entries]

    @strawberry.field(description="How many open reports the post has; for moderators, else null.")
    async def open_report_count(self, info: Info[Context, None]) -> int | None:
        if not info.context.viewer.is_reviewer:
            return None
        return await info.context.loaders.open_reports.load(self.record.id)


def _post_fields(record: ThreadRecord | ReplyRecord) -> dict[str, Any]:
    return {
        "state": record.state,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "edited_at": record.edited_at,
        "author_name": record.author_name,
        "is_demo": record.is_demo,
        "record": record,
    }


def _reply_cursor(record: ReplyRecord) -> str:
    return encode_cursor(SortOrder.WRITTEN, {"newest_key": newest_key(record.created_at, record.id)})


def _reply_connection(records: list[ReplyRecord], *, first: int) -> Connection[Reply]:
    shown = records[:first]
    count = len(records)

    async def total() -> int:
        return count

    return Connection(
        edges=[Edge(cursor=_reply_cursor(r), node=Reply.from_record(r)) for r in shown],
        page_info=PageInfo(
            has_next_page=len(records) > first, end_cursor=_reply_cursor(shown[-1]) if shown else None
        ),
        _count=total,
    )


@strawberry.type(description="A question or comment on a practice, case study, partnership or replication.")
class Thread(Post):
    kind: DiscussionKind
    title: str | None = strawberry.field(description="Required for questions.")
    reply_count: int
    last_activity_at: datetime = strawberry.field(description="The thread's or its last reply's time.")
    is_answered: bool = strawberry.field(description="A question with an accepted answer.")

    @classmethod
    def from_record(cls, record: ThreadRecord) -> Thread:
        return cls(
            id=cls.global_id(record.id),
            kind=record.kind,
            title=record.title,
            reply_count=record.reply_count,
            last_activity_at=record.last_activity_at,
            is_answered=record.accepted_reply_id is not None,
            **_post_fields(record),
        )

    @property
    def thread(self) -> ThreadRecord:
        assert isinstance(self.record, ThreadRecord)
        return self.record

    @strawberry.field(description="The item this thread is about.")
    async def subject(self, info: Info[Context, None]) -> ContentType | None:
        found: Content | None = await _subject(info, self.thread.subject_collection, self.thread.subject_id)
        return found

    @strawberry.field(description="The reply the asker or the item's organization accepted.")
    async def accepted_answer(self, info: Info[Context, None]) -> Reply | None:
        if self.thread.accepted_reply_id is None:
            return None
        record = await info.context.loaders.replies.load(self.thread.accepted_reply_id)
        return Reply.from_record(record) if record else None

    @strawberry.field(
        description="Replies in the order written. The first page of every thread of a page is read "
        "in one query; later pages (`after`) one thread at a time."
    )
    async def replies(
        self, info: Info[Context, None], first: First = 50, after: After = None
    ) -> Connection[Reply]:
        if after is None and first < 101:
            check_page_size(first)
            found = await info.context.loaders.replies_of_thread.load(self.thread.id)
            return _reply_connection(found, first=first)
        page = await discussions.reply_page(info.context, self.thread.id, first=first, after=after)
        count = self.thread.reply_count

        async def total() -> int:
            return count

        return Connection.of(page, Reply.from_record, total)

    @strawberry.field(description="How many users follow this.")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return await following.follower_count(info, FollowKind.THREAD, self.thread.id)

    @strawberry.field(description="Whether the signed-in user follows this; false for anonymous viewers.")
    async def viewer_follows(self, info: Info[Context, None]) -> bool:
        return await following.viewer_follows(info, FollowKind.THREAD, self.thread.id)

    @strawberry.field(description="Whether the viewer may accept an answer to this question.")
    async def viewer_can_accept_answer(self, info: Info[Context, None]) -> bool:
        subject = await discussions.subject_of(
            info.context, self.thread.subject_collection, self.thread.subject_id
        )
        return discussions.may_accept(info.context, self.thread, subject)

    @strawberry.field(description="Whether the viewer may edit this post now (author in time, moderators).")
    def viewer_can_edit(self, info: Info[Context, None]) -> bool:
        return discussions.may_edit(info.context, self.record)


@strawberry.type(description="A reply in a thread. A reply to a reply quotes it instead of nesting.")
class Reply(Post):
    @classmethod
    def from_record(cls, record: ReplyRecord) -> Reply:
        return cls(id=cls.global_id(record.id), **_post_fields(record))

    @property
    def reply(self) -> ReplyRecord:
        assert isinstance(self.record, ReplyRecord)
        return self.record

    @strawberry.field
    async def thread(self, info: Info[Context, None]) -> Thread | None:
        record = await info.context.loaders.threads.load(self.reply.thread_id)
        return Thread.from_record(record) if record else None

    @strawberry.field(description="The reply this one answers, shown as a quote.")
    async def quoted(self, info: Info[Context, None]) -> Reply | None:
        if self.reply.quoted_reply_id is None:
            return None
        record = await info.context.loaders.replies.load(self.reply.quoted_reply_id)
        return Reply.from_record(record) if record else None

    @strawberry.field(description="Whether this reply is its question's accepted answer.")
    async def is_accepted_answer(self, info: Info[Context, None]) -> bool:
        thread = await info.context.loaders.threads.load(self.reply.thread_id)
        return thread is not None and thread.accepted_reply_id == self.reply.id

    @strawberry.field(description="Whether the viewer may edit this post now (author in time, moderators).")
    def viewer_can_edit(self, info: Info[Context, None]) -> bool:
        return discussions.may_edit(info.context, self.record)


@strawberry.type(description="An item's discussion: its threads and how many questions are open.")
class Discussion:
    subject_id: strawberry.Private[str]

    @strawberry.field(description="Threads, newest activity first.")
    async def threads(
        self,
        info: Info[Context, None],
        kind: DiscussionKind | None = None,
        answered: Annotated[
            bool | None,
            strawberry.argument(description="Questions with (true) or without an accepted answer."),
        ] = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Thread]:
        context = info.context
        page = await discussions.threads_of(
            context, self.subject_id, kind=kind, answered=answered, first=first, after=after
        )
        subject_id = self.subject_id

        async def total() -> int:
            counts = await context.loaders.discussion_counts.load(subject_id)
            if answered is not None:
                return counts[2] if answered else counts[1]
            if kind is DiscussionKind.QUESTION:
                return counts[1] + counts[2]
            if kind is DiscussionKind.COMMENT:
                return counts[0] - counts[1] - counts[2]
            return counts[0]

        return Connection.of(page, Thread.from_record, total)

    @strawberry.field
    async def thread_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.discussion_counts.load(self.subject_id))[0]

    @strawberry.field(description="Questions without an accepted answer.")
    async def open_question_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.discussion_counts.load(self.subject_id))[1]

    @strawberry.field(description="Questions with an accepted answer.")
    async def answered_question_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.discussion_counts.load(self.subject_id))[2]


@strawberry.type(description="A report of a post, waiting in the moderation queue or settled.")
class Report(Node):
    reason: ReportReason
    text: str | None
    status: ReportStatus
    created_at: datetime
    reporter_name: str | None
    record: strawberry.Private[ReportRecord]

    @classmethod
    def from_record(cls, record: ReportRecord) -> Report:
        return cls(
            id=strawberry.ID(record.id),
            reason=record.reason,
            text=record.text,
            status=record.status,
            created_at=record.created_at,
            reporter_name=record.reporter_name,
            record=record,
        )

    @strawberry.field(description="The exchange request reported, when it is one.")
    async def exchange_request(
        self, info: Info[Context, None]
    ) -> Annotated[ExchangeRequest, strawberry.lazy("schema.exchanges")] | None:
        from schema.exchanges import ExchangeRequest  # exchanges show their organizations: a cycle

        if self.record.subject_collection != info.context.stores.exchanges.collection.name:
            return None
        found = await info.context.loaders.exchanges.load(self.record.subject_id)
        return ExchangeRequest.from_record(found) if found else None

    @strawberry.field(description="The thread or reply reported; null for an exchange request.")
    async def post(self, info: Info[Context, None]) -> Post | None:
        if self.record.subject_collection not in ("threads", "replies"):
            return None
        if self.record.subject_collection == "threads":
            thread = await info.context.loaders.threads.load(self.record.subject_id)
            return Thread.from_record(thread) if thread else None
        reply = await info.context.loaders.replies.load(self.record.subject_id)
        return Reply.from_record(reply) if reply else None


# --- inputs and payloads -----------------------------------------------------------------------


@strawberry.input
class StartThreadInput:
    subject_id: strawberry.ID = strawberry.field(
        description="A practice, case study, partnership or replication."
    )
    kind: DiscussionKind
    title: str | None = None
    body: str = strawberry.field(description="Plain text; mention an organization as `@[its full name]`.")


@strawberry.input
class ReplyInput:
    thread_id: strawberry.ID
    body: str
    quoted_reply_id: strawberry.ID | None = strawberry.field(
        default=None, description="Answering a reply: it is quoted, not nested."
    )


@strawberry.input
class EditPostInput:
    id: strawberry.ID = strawberry.field(description="A thread or a reply.")
    version: int
    body: str | None = None
    title: str | None = strawberry.field(default=None, description="Threads only.")


@strawberry.input
class PostVersionInput:
    id: strawberry.ID
    version: int


@strawberry.input
class AcceptAnswerInput:
    reply_id: strawberry.ID


@strawberry.input
class WithdrawAnswerInput:
    thread_id: strawberry.ID
    version: int


@strawberry.input
class ReportPostInput:
    id: strawberry.ID = strawberry.field(description="A thread or a reply.")
    reason: ReportReason
    text: str | None = strawberry.field(default=None, description="Required when the reason is OTHER.")


@strawberry.input
class ModeratePostInput:
    id: strawberry.ID
    version: int
    reason: str = strawberry.field(description="Shown to the author and the other moderators.")


@strawberry.input
class DismissReportsInput:
    id: strawberry.ID = strawberry.field(description="The post whose open reports are unfounded.")
    reason: str


@strawberry.type
class ThreadPayload:
    thread: Thread | None
    errors: list[Error]


@strawberry.type
class ReplyPayload:
    reply: Reply | None
    thread: Thread | None
    errors: list[Error]


@strawberry.type(description="The post changed: `thread` or `reply`, whichever the ID named.")
class PostPayload:
    thread: Thread | None
    reply: Reply | None
    errors: list[Error]


@strawberry.type
class ReportPayload:
    report: Report | None
    errors: list[Error]


def _post_payload(result: PostResult) -> PostPayload:
    return PostPayload(
        thread=Thread.from_record(result.thread) if result.thread else None,
        reply=Reply.from_record(result.reply) if result.reply else None,
        errors=errors_of(result.errors),
    )


async def _reply_payload(info: Info[Context, None], result: PostResult) -> ReplyPayload:
    thread = None
    if result.reply is not None:
        # A new loader: the request's may hold the thread as it was before the reply.
        found = await info.context.stores.discussions.threads.get_many([result.reply.thread_id])
        thread = Thread.from_record(found[0]) if found[0] else None
    elif result.thread is not None:
        thread = Thread.from_record(result.thread)
    return ReplyPayload(
        reply=Reply.from_record(result.reply) if result.reply else None,
        thread=thread,
        errors=errors_of(result.errors),
    )


@strawberry.type
class DiscussionQuery:
    @strawberry.field(description="A thread by its global ID; null when there is none or it is not readable.")
    async def thread(self, info: Info[Context, None], id: strawberry.ID) -> Thread | None:
        found = await discussions.find_post(info.context, id)
        return Thread.from_record(found) if isinstance(found, ThreadRecord) else None

    @strawberry.field(description="Open reports, newest first: for reviewers (FORBIDDEN for anyone else).")
    async def moderation_queue(
        self, info: Info[Context, None], first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[Report]:
        context = info.context
        page = await moderation.queue(context, first=first, after=after)
        return Connection.of(page, Report.from_record, context.stores.reports.count_open)


@strawberry.type
class DiscussionMutation:
    @strawberry.mutation(
        description="Ask a question or comment on an item. Errors: RATE_LIMITED, TOO_LONG..."
    )
    async def start_thread(self, info: Info[Context, None], input: StartThreadInput) -> ThreadPayload:
        result = await discussions.start_thread(
            info.context, subject_id=input.subject_id, kind=input.kind, title=input.title, body=input.body
        )
        return ThreadPayload(
            thread=Thread.from_record(result.thread) if result.thread else None,
            errors=errors_of(result.errors),
        )

    @strawberry.mutation(description="Reply in a thread; `quotedReplyId` answers one of its replies.")
    async def reply_to_thread(self, info: Info[Context, None], input: ReplyInput) -> ReplyPayload:
        result = await discussions.reply_to(
            info.context, thread_id=input.thread_id, body=input.body, quoted_reply_id=input.quoted_reply_id
        )
        return await _reply_payload(info, result)

    @strawberry.mutation(description="Edit a post: its author within the edit window, moderators any time.")
    async def edit_post(self, info: Info[Context, None], input: EditPostInput) -> PostPayload:
        result = await discussions.edit_post(
            info.context, id=input.id, version=input.version, body=input.body, title=input.title
        )
        return _post_payload(result)

    @strawberry.mutation(description="Delete a post; a placeholder keeps the replies' context.")
    async def delete_post(self, info: Info[Context, None], input: PostVersionInput) -> PostPayload:
        return _post_payload(await discussions.delete_post(info.context, id=input.id, version=input.version))

    @strawberry.mutation(description="Accept a reply as the answer: by the asker or the item's organization.")
    async def accept_answer(self, info: Info[Context, None], input: AcceptAnswerInput) -> ReplyPayload:
        result = await discussions.accept_answer(info.context, reply_id=input.reply_id)
        return ReplyPayload(
            reply=Reply.from_record(result.reply) if result.reply and not result.errors else None,
            thread=Thread.from_record(result.thread) if result.thread else None,
            errors=errors_of(result.errors),
        )

    @strawberry.mutation(description="The question has no accepted answer any more.")
    async def withdraw_accepted_answer(
        self, info: Info[Context, None], input: WithdrawAnswerInput
    ) -> ThreadPayload:
        result = await discussions.withdraw_answer(
            info.context, thread_id=input.thread_id, version=input.version
        )
        return ThreadPayload(
            thread=Thread.from_record(result.thread) if result.thread else None,
            errors=errors_of(result.errors),
        )

    @strawberry.mutation(description="Report a post to the moderators (once per post).")
    async def report_post(self, info: Info[Context, None], input: ReportPostInput) -> ReportPayload:
        result: ReportResult = await moderation.report(
            info.context, id=input.id, reason=input.reason, text=input.text
        )
        return ReportPayload(
            report=Report.from_record(result.report) if result.report else None,
            errors=errors_of(result.errors),
        )

    @strawberry.mutation(description="Moderators: hide a post (a placeholder shows); closes its reports.")
    async def hide_post(self, info: Info[Context, None], input: ModeratePostInput) -> PostPayload:
        result = await moderation.hide(info.context, id=input.id, version=input.version, reason=input.reason)
        return _post_payload(result)

    @strawberry.mutation(description="Moderators: show a hidden post again.")
    async def restore_post(self, info: Info[Context, None], input: ModeratePostInput) -> PostPayload:
        result = await moderation.restore(
            info.context, id=input.id, version=input.version, reason=input.reason
        )
        return _post_payload(result)

    @strawberry.mutation(description="Moderators: the post's open reports were unfounded.")
    async def dismiss_reports(self, info: Info[Context, None], input: DismissReportsInput) -> PostPayload:
        result = await moderation.dismiss_reports(info.context, id=input.id, reason=input.reason)
        return _post_payload(result)


async def threads_of_user(
    info: Info[Context, None], user_id: str, *, first: int, after: str | None
) -> Connection[Thread]:
    context = info.context
    page = await discussions.threads_by(context, user_id, first=first, after=after)

    async def total() -> int:
        return await context.stores.discussions.count_threads(author_id=user_id)

    return Connection.of(page, Thread.from_record, total)
