"""Peer exchanges: a government asks the organization behind a practice or a partnership for a
study visit, mentoring or documents, and the two sides take it step by step::

    requestExchange -> REQUESTED --accept--> ACCEPTED --schedule--> SCHEDULED --complete--> COMPLETED
                          |                                  ^  |                             |
                          +--decline--> DECLINED             +--+ (rescheduled)   convertExchangeToReplication
    cancel: REQUESTED, ACCEPTED or SCHEDULED -> CANCELLED

Which side takes which step is decided in ``resolvers/permissions.py`` (EXCHANGE_STEPS), who
reads an exchange in ``resolvers/visibility.py``. Each step is a compare-and-set on the
exchange's version with its audit entry in the same transaction, and names the organizations
a notifier must tell: the parties other than the one that took the step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from resolvers.content import WriteResult, actor, changes_between, check_page_size, current, write_fields
from resolvers.context import Context
from resolvers.drafts import MAX_TITLE, Draft, ReplicationDraft
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.exchange_drafts import (
    AcceptDraft,
    CancelDraft,
    CompleteDraft,
    ConvertDraft,
    DeclineDraft,
    ExchangeRequestDraft,
    ScheduleDraft,
    blank_as_missing,
)
from resolvers.ids import InvalidGlobalId, decode_id, decode_id_of
from resolvers.kinds import EXCHANGE
from resolvers.loaders import ExchangeListing
from resolvers.permissions import Action, authorize, authorize_exchange
from resolvers.validation import check_references, held_references, validate_draft
from resolvers.viewer import Viewer
from resolvers.visibility import can_list_exchanges_of
from storage.errors import MissingReference, NotFound, VersionConflict
from storage.exchanges import Party
from storage.pagination import InvalidCursor, Page, SortOrder, decode_cursor
from storage.records import (
    ContentRecord,
    ExchangeRecord,
    PartnershipRecord,
    PracticeRecord,
    ReplicationRecord,
    VersionedRecord,
)
from storage.store import Referenced, VersionedStore, new_id
from storage.vocabulary import (
    GOVERNMENTS,
    AuditAction,
    ContentStatus,
    ExchangeState,
    ExchangeSubjectKind,
    ReplicationStatus,
)

# The fields a client's steps write; the rest (ID, version, timestamps, is_demo) are the store's.
_FIELDS = set(ExchangeRecord.model_fields) - set(VersionedRecord.model_fields)
_SUBJECT_KINDS = {"Practice": ExchangeSubjectKind.PRACTICE, "Partnership": ExchangeSubjectKind.PARTNERSHIP}


class ExchangeDirection(Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


class ExchangeStep(Enum):
    """The steps after the request, each its own mutation."""

    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    SCHEDULE = "SCHEDULE"
    COMPLETE = "COMPLETE"
    CANCEL = "CANCEL"
    CONVERT = "CONVERT"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[ExchangeState]
    target: ExchangeState
    audit: AuditAction
    draft: type[Draft]
    # how the message of a refused step names it: "only ... exchanges can be <done>"
    done: str


_OPEN = frozenset({ExchangeState.REQUESTED, ExchangeState.ACCEPTED, ExchangeState.SCHEDULED})
STEPS: dict[ExchangeStep, Transition] = {
    ExchangeStep.ACCEPT: Transition(
        Action.ACCEPT_EXCHANGE,
        frozenset({ExchangeState.REQUESTED}),
        ExchangeState.ACCEPTED,
        AuditAction.EXCHANGE_ACCEPTED,
        AcceptDraft,
        "accepted",
    ),
    ExchangeStep.DECLINE: Transition(
        Action.DECLINE_EXCHANGE,
        frozenset({ExchangeState.REQUESTED}),
        ExchangeState.DECLINED,
        AuditAction.EXCHANGE_DECLINED,
        DeclineDraft,
        "declined",
    ),
    ExchangeStep.SCHEDULE: Transition(
        Action.SCHEDULE_EXCHANGE,
        frozenset({ExchangeState.ACCEPTED, ExchangeState.SCHEDULED}),
        ExchangeState.SCHEDULED,
        AuditAction.EXCHANGE_SCHEDULED,
        ScheduleDraft,
        "scheduled",
    ),
    ExchangeStep.COMPLETE: Transition(
        Action.COMPLETE_EXCHANGE,
        frozenset({ExchangeState.SCHEDULED}),
        ExchangeState.COMPLETED,
        AuditAction.EXCHANGE_COMPLETED,
        CompleteDraft,
        "completed",
    ),
    ExchangeStep.CANCEL: Transition(
        Action.CANCEL_EXCHANGE,
        _OPEN,
        ExchangeState.CANCELLED,
        AuditAction.EXCHANGE_CANCELLED,
        CancelDraft,
        "cancelled",
    ),
    ExchangeStep.CONVERT: Transition(
        Action.CONVERT_EXCHANGE,
        frozenset({ExchangeState.COMPLETED}),
        ExchangeState.COMPLETED,
        AuditAction.EXCHANGE_CONVERTED,
        ConvertDraft,
        "turned into a replication",
    ),
}


def _error(field: str | None, code: ErrorCode, message: str) -> WriteResult[Any]:
    return WriteResult(errors=[FieldError(field, code, message)])


def _authorized(viewer: Viewer, action: Action, record: ExchangeRecord) -> list[FieldError]:
    return authorize_exchange(
        viewer,
        action,
        requester_id=record.requester_organization_id,
        owner_id=record.owner_organization_id,
    )


def _convertible(record: ExchangeRecord) -> bool:
    return record.subject_kind is ExchangeSubjectKind.PRACTICE and record.replication_id is None


def available_steps(viewer: Viewer, record: ExchangeRecord) -> list[ExchangeStep]:
    """The steps ``viewer`` may take now (a client shows them as buttons; the server checks again)."""
    return [
        step
        for step, transition in STEPS.items()
        if record.state in transition.sources
        and not _authorized(viewer, transition.action, record)
        and (step is not ExchangeStep.CONVERT or _convertible(record))
    ]


def _to_notify(viewer: Viewer, record: ExchangeRecord) -> list[str]:
    """The parties to tell of a step ``viewer`` takes: all but the viewer's own organization."""
    parties = dict.fromkeys([record.requester_organization_id, record.owner_organization_id])
    return [party for party in parties if not viewer.belongs_to(party)]


# --- the request -------------------------------------------------------------------------------


def _subject_store(context: Context, kind: ExchangeSubjectKind) -> VersionedStore[Any]:
    stores = context.stores
    return stores.practices if kind is ExchangeSubjectKind.PRACTICE else stores.partnerships


async def _subject(
    context: Context, global_id: Any
) -> tuple[ExchangeSubjectKind, ContentRecord] | FieldError:
    """The published practice or partnership a request is about, if the viewer may read it."""
    if not isinstance(global_id, str) or not global_id:
        return FieldError("subjectId", ErrorCode.REQUIRED, "Name the practice or partnership to ask about.")
    try:
        type_name, _ = decode_id(global_id)
        kind = _SUBJECT_KINDS[type_name]
        local = decode_id_of(type_name, global_id)
    except (InvalidGlobalId, KeyError):
        return FieldError(
            "subjectId", ErrorCode.INVALID_ID, "An exchange is about a practice or a partnership."
        )
    loader = (
        context.loaders.practices if kind is ExchangeSubjectKind.PRACTICE else context.loaders.partnerships
    )
    record: PracticeRecord | PartnershipRecord | None = await loader.load(local)
    if record is None:
        return FieldError("subjectId", ErrorCode.NOT_FOUND, f"No {type_name} has this ID.")
    if record.status is not ContentStatus.PUBLISHED:
        message = f"Only a published {type_name} can be asked for an exchange; this one is not."
        return FieldError("subjectId", ErrorCode.INVALID, message)
    return kind, record


async def request_exchange(context: Context, data: Mapping[str, Any]) -> WriteResult[ExchangeRecord]:
    """A new exchange, REQUESTED, by the viewer's organization (or one a hub admin names)."""
    viewer = context.viewer
    request = Action.REQUEST_EXCHANGE
    if not viewer.is_authenticated:
        return WriteResult(errors=authorize_exchange(viewer, request, requester_id="", owner_id=""))
    data = blank_as_missing(data)
    named = data.pop("organization_id", None)
    try:
        requester_id = decode_id_of("Organization", named) if named else viewer.organization_id
    except InvalidGlobalId as exc:
        return _error("organizationId", ErrorCode.INVALID_ID, str(exc))
    requester = await context.loaders.organizations.load(requester_id) if requester_id else None
    if requester is None:
        return _error("organizationId", ErrorCode.UNKNOWN_ORGANIZATION, "No organization has this ID.")
    if errors := authorize_exchange(
        viewer, request, requester_id=requester.id, owner_id="", requester_kind=requester.kind
    ):
        return WriteResult(errors=errors)
    if requester.kind not in GOVERNMENTS:  # only a hub admin gets here with another kind
        message = "Exchanges are requested for a kecamatan, kelurahan or city government."
        return _error("organizationId", ErrorCode.INVALID, message)
    subject_id = data.pop("subject_id", None)
    draft = validate_draft(ExchangeRequestDraft, data)
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    subject = await _subject(context, subject_id)
    errors = await check_references(context, draft)
    if isinstance(subject, FieldError):
        return WriteResult(errors=[subject, *errors])
    kind, record = subject
    if record.organization_id == requester.id:
        errors.insert(0, FieldError("subjectId", ErrorCode.INVALID, "An organization does not ask itself."))
    if errors:
        return WriteResult(errors=errors)
    fields = {
        **draft.model_dump(mode="json"),
        "state": ExchangeState.REQUESTED.value,
        "subject_kind": kind.value,
        "subject_id": record.id,
        "owner_organization_id": record.organization_id,
        "requester_organization_id": requester.id,
        "requested_by": viewer.user_id,
        "notify_organization_ids": [record.organization_id],
    }
    note = actor(context, AuditAction.EXCHANGE_REQUESTED, notify_organization_ids=[record.organization_id])
    references = [
        Referenced(_subject_store(context, kind), record.id),
        Referenced(context.stores.organizations, requester.id),
    ]
    try:
        created = await context.stores.exchanges.insert(fields, audit=note, references=references)
    except MissingReference as exc:  # deleted since it was read
        if exc.id == record.id:
            return _error("subjectId", ErrorCode.NOT_FOUND, "This practice or partnership was deleted.")
        return _error("organizationId", ErrorCode.UNKNOWN_ORGANIZATION, "No organization has this ID.")
    context.on_write()
    return WriteResult(record=created)


# --- the steps ---------------------------------------------------------------------------------


async def _target(
    context: Context, step: ExchangeStep, *, id: str, version: int
) -> ExchangeRecord | WriteResult[ExchangeRecord]:
    """The exchange a step applies to, once the viewer may take it from its state."""
    transition = STEPS[step]
    viewer = context.viewer
    if not viewer.is_authenticated:
        return WriteResult(errors=authorize_exchange(viewer, transition.action, requester_id="", owner_id=""))
    found = await current(context, EXCHANGE, id, version)
    if isinstance(found, WriteResult):
        return found
    if errors := _authorized(viewer, transition.action, found):
        return WriteResult(errors=errors)
    if found.state not in transition.sources:
        allowed = " or ".join(sorted(f"'{state.label_en.lower()}'" for state in transition.sources))
        message = (
            f"This exchange is '{found.state.label_en.lower()}'; "
            f"only {allowed} exchanges can be {transition.done}."
        )
        return _error("id", ErrorCode.INVALID_TRANSITION, message)
    return found


def _details(step: ExchangeStep, draft: Draft) -> tuple[dict[str, Any], str | None] | list[FieldError]:
    """The fields a step writes and the comment of its audit entry, or what is wrong with them."""
    match draft:
        case AcceptDraft():
            return {}, draft.comment
        case DeclineDraft():
            return {"decline_reason": draft.reason}, draft.reason
        case ScheduleDraft():
            if not draft.place and not draft.online_url:
                return [FieldError("place", ErrorCode.REQUIRED, "Give a place, an online link, or both.")]
            return {"schedule": draft.model_dump(mode="json")}, None
        case CompleteDraft():
            return {"feedback": draft.feedback, "rating": draft.rating}, draft.feedback
        case CancelDraft():
            return {"cancel_reason": draft.reason}, draft.reason
        case _:
            raise AssertionError(f"no details for {step}")


async def take_step(
    context: Context, step: ExchangeStep, *, id: str, version: int, data: Mapping[str, Any]
) -> WriteResult[ExchangeRecord]:
    """Move an exchange one step (every step but the conversion, see ``convert_to_replication``)."""
    transition = STEPS[step]
    found = await _target(context, step, id=id, version=version)
    if isinstance(found, WriteResult):
        return found
    draft = validate_draft(transition.draft, blank_as_missing(data))
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    details = _details(step, draft)
    if isinstance(details, list):
        return WriteResult(errors=details)
    written, comment = details
    stored = found.model_dump(mode="json", include=_FIELDS)
    notify = _to_notify(context.viewer, found)
    fields = {**stored, **written, "state": transition.target.value, "notify_organization_ids": notify}
    changes = [
        change for change in changes_between(stored, fields) if change["field"] != "notifyOrganizationIds"
    ]
    note = actor(context, transition.audit, changes=changes, comment=comment, notify_organization_ids=notify)
    return await write_fields(context, EXCHANGE, found, fields, note)


# --- the conversion into a replication ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    record: ExchangeRecord | None = None
    replication: ReplicationRecord | None = None
    errors: list[FieldError] = field(default_factory=list)


def _replication_title(practice: PracticeRecord, region_name: str) -> str:
    """ "Replikasi <practice> di <region>", the practice's title shortened to fit if need be."""
    frame = f"Replikasi {{}} di {region_name}"
    room = MAX_TITLE - len(frame) + 2
    title = practice.title if len(practice.title) <= room else practice.title[: room - 1].rstrip() + "…"
    return frame.format(title)


async def convert_to_replication(
    context: Context, *, id: str, version: int, data: Mapping[str, Any]
) -> Conversion:
    """A draft replication of the exchange's practice by the requesting organization, prefilled
    from the completed exchange; the exchange then points at it, once."""
    found = await _target(context, ExchangeStep.CONVERT, id=id, version=version)
    if isinstance(found, WriteResult):
        return Conversion(errors=found.errors)
    if found.replication_id is not None:
        return Conversion(
            errors=[FieldError("id", ErrorCode.INVALID_TRANSITION, "This exchange is a replication already.")]
        )
    if found.subject_kind is not ExchangeSubjectKind.PRACTICE:
        message = "Only an exchange about a practice becomes a replication; this one is about a partnership."
        return Conversion(errors=[FieldError("id", ErrorCode.INVALID, message)])
    draft = validate_draft(ConvertDraft, blank_as_missing(data))
    if isinstance(draft, list):
        return Conversion(errors=draft)
    loaders = context.loaders
    practice = await loaders.practices.load(found.subject_id)
    region = await loaders.regions.load(found.requesting_region_code)
    requester = await loaders.organizations.load(found.requester_organization_id)
    owner = await loaders.organizations.load(found.owner_organization_id)
    if practice is None:
        message = "The practice of this exchange is no longer readable (archived or deleted)."
        return Conversion(errors=[FieldError("id", ErrorCode.UNKNOWN_PRACTICE, message)])
    if errors := authorize(
        context.viewer, Action.CREATE, "Replication", owner_id=found.requester_organization_id
    ):
        return Conversion(errors=errors)
    region_name = region.name if region else found.requesting_region_code
    requester_name = requester.name if requester else "Organisasi peminta"
    summary = (
        f"{requester_name} merencanakan replikasi praktik ini setelah {found.kind.label_id.lower()} "
        f"ke {owner.name if owner else 'pemilik praktik'}."
    )
    replication = validate_draft(
        ReplicationDraft,
        {
            "title": draft.title or _replication_title(practice, region_name),
            "summary": summary,
            "organization_id": found.requester_organization_id,
            "author_name": context.viewer.name,
            "region_codes": [found.requesting_region_code],
            "themes": practice.themes,
            "sdgs": practice.sdgs,
            "practice_id": practice.id,
            "adaptations": draft.adaptations or found.feedback,
            "replication_status": ReplicationStatus.PLANNED,
        },
    )
    if isinstance(replication, list):
        return Conversion(errors=replication)
    replication_id = new_id()
    stored = found.model_dump(mode="json", include=_FIELDS)
    notify = _to_notify(context.viewer, found)
    fields = {**stored, "replication_id": replication_id, "notify_organization_ids": notify}
    note = actor(
        context,
        AuditAction.EXCHANGE_CONVERTED,
        changes=[{"field": "replicationId", "before": None, "after": replication_id}],
        notify_organization_ids=notify,
    )
    try:
        exchange, created = await context.stores.exchanges.convert(
            id=found.id,
            expected_version=found.version,
            fields=fields,
            audit=note,
            target=context.stores.replications,
            new_id=replication_id,
            new_fields=replication.model_dump(mode="json"),
            new_audit=actor(context, AuditAction.CREATED),
            references=held_references(context.stores, replication),
        )
    except VersionConflict as exc:
        message = (
            f"This exchange was changed by someone else (now at version {exc.actual}); reload and retry."
        )
        return Conversion(errors=[FieldError("version", ErrorCode.CONFLICT, message)])
    except NotFound:
        return Conversion(errors=[FieldError("id", ErrorCode.NOT_FOUND, "No ExchangeRequest has this ID.")])
    except MissingReference:
        message = "The practice or the requesting organization was deleted meanwhile."
        return Conversion(errors=[FieldError("id", ErrorCode.UNKNOWN_PRACTICE, message)])
    context.on_write()
    return Conversion(record=exchange, replication=created)


# --- listings ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExchangePage:
    page: Page[ExchangeRecord]
    count: Callable[[], Awaitable[int]]


async def exchanges_of(
    context: Context,
    organization_id: str,
    *,
    direction: ExchangeDirection,
    states: Sequence[ExchangeState],
    first: int,
    after: str | None,
) -> ExchangePage | None:
    """An organization's exchanges, newest first: asked of it (incoming) or by it (outgoing).

    None for viewers who may not list them. Through the request's loaders: the organizations of
    a page are read together.
    """
    if not can_list_exchanges_of(context.viewer, organization_id):
        return None
    check_page_size(first)
    if after is not None:
        try:
            decode_cursor(SortOrder.NEWEST, after)
        except InvalidCursor as exc:
            raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc
    party = Party.OWNER if direction is ExchangeDirection.INCOMING else Party.REQUESTER
    listing = ExchangeListing(organization_id, party, tuple(dict.fromkeys(states)), first, after)
    loaders = context.loaders
    page = await loaders.exchange_pages.load(listing)
    return ExchangePage(page, lambda: loaders.exchange_counts.load(listing.counting()))
