"""The editorial workflow: draft -> submitted -> (changes requested -> submitted)* -> published -> archived.

Each step is its own mutation, allowed to the roles in ``resolvers/permissions.py``, and leaves
an audit entry (with the reviewer's comment when there is one) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from resolvers.content import Kind, WriteResult, actor, current, write_fields
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError
from resolvers.ids import InvalidGlobalId, decode_id
from resolvers.kinds import KINDS, PRACTICE
from resolvers.permissions import AUTHORS, Action, authorize
from storage.activity import record_activity
from storage.records import ContentRecord, PracticeRecord
from storage.store import region_scope, utc_now
from storage.vocabulary import ActivityKind, AuditAction, ContentStatus

MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Step:
    sources: frozenset[ContentStatus]
    target: ContentStatus
    audit: AuditAction
    # how the message of a refused step names it: "only ... items can be <done>"
    done: str
    comment_required: bool = False


STEPS: dict[Action, Step] = {
    Action.SUBMIT: Step(
        frozenset({ContentStatus.DRAFT, ContentStatus.CHANGES_REQUESTED}),
        ContentStatus.SUBMITTED,
        AuditAction.SUBMITTED,
        "submitted for review",
    ),
    Action.REQUEST_CHANGES: Step(
        frozenset({ContentStatus.SUBMITTED}),
        ContentStatus.CHANGES_REQUESTED,
        AuditAction.CHANGES_REQUESTED,
        "sent back for changes",
        comment_required=True,
    ),
    Action.PUBLISH: Step(
        frozenset({ContentStatus.SUBMITTED}), ContentStatus.PUBLISHED, AuditAction.PUBLISHED, "published"
    ),
    Action.ARCHIVE: Step(
        frozenset({ContentStatus.PUBLISHED}), ContentStatus.ARCHIVED, AuditAction.ARCHIVED, "archived"
    ),
}


def _content_kind(global_id: str) -> Kind[Any, Any] | FieldError:
    try:
        type_name, _ = decode_id(global_id)
    except InvalidGlobalId as exc:
        return FieldError("id", ErrorCode.INVALID_ID, str(exc))
    if type_name not in AUTHORS:
        return FieldError(
            "id",
            ErrorCode.INVALID_ID,
            "Only practices, case studies, partnerships and replications have an editorial status.",
        )
    return KINDS[type_name]


def _check_comment(comment: str | None, *, required: bool) -> list[FieldError]:
    if required and not (comment or "").strip():
        return [FieldError("comment", ErrorCode.REQUIRED, "Say what should change, for the authors.")]
    if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        return [
            FieldError("comment", ErrorCode.TOO_LONG, f"At most {MAX_COMMENT_LENGTH} characters or items.")
        ]
    return []


def _stored_fields(kind: Kind[Any, Any], record: ContentRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", include=set(kind.draft.model_fields))


async def _target(
    context: Context, action: Action, *, id: str, version: int
) -> tuple[Kind[Any, Any], ContentRecord] | WriteResult[Any]:
    """The item a step applies to, once the viewer may take it; errors as a WriteResult."""
    if not context.viewer.is_authenticated:
        return WriteResult(errors=authorize(context.viewer, action, "item", owner_id=""))
    kind = _content_kind(id)
    if isinstance(kind, FieldError):
        return WriteResult(errors=[kind])
    found = await current(context, kind, id, version)
    if isinstance(found, WriteResult):
        return found
    if errors := authorize(context.viewer, action, kind.name, owner_id=found.organization_id):
        return WriteResult(errors=errors)
    return kind, found


async def transition(
    context: Context, action: Action, *, id: str, version: int, comment: str | None = None
) -> WriteResult[ContentRecord]:
    """Move an item one step through the workflow."""
    step = STEPS[action]
    if errors := _check_comment(comment, required=step.comment_required):
        return WriteResult(errors=errors)
    target = await _target(context, action, id=id, version=version)
    if isinstance(target, WriteResult):
        return target
    kind, record = target
    if record.status not in step.sources:
        allowed = " or ".join(sorted(f"'{status.label_en.lower()}'" for status in step.sources))
        state = record.status.label_en.lower()
        message = f"This {kind.name} is '{state}'; only {allowed} items can be {step.done}."
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    fields = {**_stored_fields(kind, record), "status": step.target.value}
    change = {"field": "status", "before": record.status.value, "after": step.target.value}
    note = actor(context, step.audit, changes=[change], comment=comment.strip() if comment else None)
    tell = _telling(context, kind, record, step, comment=note.comment)
    result: WriteResult[ContentRecord] = await write_fields(context, kind, record, fields, note, also=tell)
    return result


def _telling(
    context: Context, kind: Kind[Any, Any], record: ContentRecord, step: Step, *, comment: str | None
) -> Callable[[AsyncClientSession | None], Awaitable[None]] | None:
    """The activity of a review step, written in the step's transaction (the notifier tells whom).

    Submitting, sending back and publishing are told to the item's organization; publishing also
    to the followers of what the item touches (its themes, regions, organization).
    """
    if step.target not in (ContentStatus.SUBMITTED, ContentStatus.CHANGES_REQUESTED, ContentStatus.PUBLISHED):
        return None
    published = step.target is ContentStatus.PUBLISHED
    activity = {
        "kind": ActivityKind.ITEM_PUBLISHED if published else ActivityKind.REVIEW_STEP,
        "organization_ids": [record.organization_id],
        "status": step.target.value,
        "summary": comment or record.title,
        "themes": [theme.value for theme in record.themes],
        "region_scope": region_scope(record.region_codes),
    }
    collection = kind.store(context.stores).collection.name

    async def tell(session: AsyncClientSession | None) -> None:
        await record_activity(
            context.stores.database,
            [activity],
            actor_id=context.viewer.user_id,
            session=session,
            subject_collection=collection,
            subject_id=record.id,
            organization_id=record.organization_id,
        )

    return tell


async def verify_practice(
    context: Context, *, id: str, version: int, still_active: bool, comment: str | None
) -> WriteResult[PracticeRecord]:
    """A reviewer confirms that a published practice still runs, or records that it stopped."""
    if errors := _check_comment(comment, required=False):
        return WriteResult(errors=errors)
    target = await _target(context, Action.VERIFY, id=id, version=version)
    if isinstance(target, WriteResult):
        return target
    kind, record = target
    if kind is not PRACTICE or not isinstance(record, PracticeRecord):
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_ID, "Only practices are verified.")])
    if record.status is not ContentStatus.PUBLISHED:
        message = "Only a published practice is verified; this one is " + record.status.label_en.lower() + "."
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, message)])
    now = utc_now()
    verification = {
        "verified_at": now.isoformat(),
        "verified_by": context.viewer.user_id,
        "still_active": still_active,
        "comment": comment.strip() if comment else None,
    }
    before = record.verification.model_dump(mode="json") if record.verification else None
    fields = {**_stored_fields(kind, record), "verification": {**verification, "verified_at": now}}
    note = actor(
        context,
        AuditAction.VERIFIED,
        changes=[{"field": "verification", "before": before, "after": verification}],
        comment=verification["comment"],
    )
    result: WriteResult[PracticeRecord] = await write_fields(context, kind, record, fields, note)
    return result
