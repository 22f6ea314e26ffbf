"""Reading and writing any versioned kind (organizations and the four content types) alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from strawberry.dataloader import DataLoader

from resolvers import visibility
from resolvers.context import Context
from resolvers.drafts import Draft, ReferenceKind, keep_indicator_keys
from resolvers.errors import ErrorCode, FieldError, UserInputError
from resolvers.ids import InvalidGlobalId, decode_id_of
from resolvers.loaders import Loaders
from resolvers.permissions import Action, authorize
from resolvers.validation import (
    camel,
    check_references,
    held_references,
    missing_reference_error,
    validate_draft,
)
from storage.database import Stores
from storage.errors import InUse, MissingReference, NotFound, UnitChanged, VersionConflict
from storage.filters import ContentFilter
from storage.pagination import InvalidCursor, Page, SortOrder
from storage.records import Indicator, VersionedRecord
from storage.store import AuditNote, Dependents, Filter, VersionedStore
from storage.vocabulary import AuditAction, ContentStatus, PartnershipStatus, ReplicationStatus, Stage, Theme

R = TypeVar("R", bound=VersionedRecord)
D = TypeVar("D", bound=Draft)

MAX_PAGE_SIZE = 100
MAX_FILTER_VALUES = 50


@dataclass(frozen=True, slots=True)
class Kind(Generic[R, D]):
    """One writable type: its name in global IDs, its draft, store and loader."""

    name: str
    draft: type[D]
    store: Callable[[Stores], VersionedStore[R]]
    loader: Callable[[Loaders], DataLoader[str, R | None]]
    # The records that point at a record (by its ID) and keep it from being deleted.
    dependents: Callable[[Stores, str], Sequence[Dependents]] = lambda stores, id: ()


@dataclass(frozen=True, slots=True)
class WriteResult(Generic[R]):
    record: R | None = None
    errors: list[FieldError] = field(default_factory=list)


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise UserInputError(f"`first` must be between 0 and {MAX_PAGE_SIZE}.", argument="first")


async def find_page(
    context: Context, kind: Kind[R, Any], *, filter: Filter, order: SortOrder, first: int, after: str | None
) -> Page[R]:
    return await page_of(kind.store(context.stores), filter=filter, order=order, first=first, after=after)


async def page_of(
    store: VersionedStore[R], *, filter: Filter, order: SortOrder, first: int, after: str | None
) -> Page[R]:
    """A page of ``store``; a page size or cursor the client got wrong is a UserInputError."""
    check_page_size(first)
    try:
        return await store.find_page(filter=filter, order=order, first=first, after=after)
    except InvalidCursor as exc:
        raise UserInputError(f"`after` is not a cursor of this list: {exc}.", argument="after") from exc


def _global_ids(type_name: str, values: Sequence[str], *, argument: str) -> list[str]:
    try:
        return [decode_id_of(type_name, value) for value in values]
    except InvalidGlobalId as exc:
        raise UserInputError(f"`{argument}` holds an invalid ID: {exc}.", argument=argument) from exc


def content_filter(
    context: Context,
    *,
    themes: Sequence[Theme] | None = None,
    sdgs: Sequence[int] | None = None,
    region_code: str | None = None,
    organization_ids: Sequence[str] | None = None,
    statuses: Sequence[ContentStatus] | None = None,
    stages: Sequence[Stage] | None = None,
    partnership_statuses: Sequence[PartnershipStatus] | None = None,
    replication_statuses: Sequence[ReplicationStatus] | None = None,
    practice_id: str | None = None,
) -> ContentFilter:
    """A store filter from a client's filter input, for what the viewer may read.

    Values no stored item could match are rejected.
    """
    lists = {
        "themes": themes,
        "sdgs": sdgs,
        "organizationIds": organization_ids,
        "statuses": statuses,
        "stages": stages,
        "partnershipStatuses": partnership_statuses,
        "replicationStatuses": replication_statuses,
    }
    for argument, values in lists.items():
        if values is not None and len(values) > MAX_FILTER_VALUES:
            raise UserInputError(
                f"`filter.{argument}` lists more than {MAX_FILTER_VALUES} values.",
                argument=f"filter.{argument}",
            )
    if any(not 1 <= sdg <= 17 for sdg in sdgs or ()):
        raise UserInputError("`filter.sdgs` values are SDG numbers, 1 to 17.", argument="filter.sdgs")
    return ContentFilter(
        themes=themes or (),
        sdgs=sdgs or (),
        region_code=region_code.strip() if region_code else None,
        organization_ids=_global_ids(
            "Organization", organization_ids or (), argument="filter.organizationIds"
        ),
        statuses=statuses or (),
        stages=stages or (),
        partnership_statuses=partnership_statuses or (),
        replication_statuses=replication_statuses or (),
        practice_ids=_global_ids(
            "Practice", [practice_id] if practice_id else [], argument="filter.practiceId"
        ),
        readers=visibility.readers(context.viewer),
    )


async def count(context: Context, kind: Kind[R, Any], *, filter: Filter) -> int:
    return await kind.store(context.stores).count(filter=filter)


def local_id(kind: Kind[Any, Any], global_id: str, *, argument: str = "id") -> str:
    """The stored ID behind a global ID given as a query argument."""
    try:
        return decode_id_of(kind.name, global_id)
    except InvalidGlobalId as exc:
        raise UserInputError(f"`{argument}` is invalid: {exc}.", argument=argument) from exc


async def get(context: Context, kind: Kind[R, Any], global_id: str) -> R | None:
    return await kind.loader(context.loaders).load(local_id(kind, global_id))


def _owner(kind: Kind[Any, Any], record: VersionedRecord) -> str:
    """The organization an item belongs to (an organization belongs to itself)."""
    return record.id if kind.name == "Organization" else str(getattr(record, "organization_id", ""))


def _requested_owner(data: Mapping[str, Any]) -> str | None:
    """The organization an input asks to own the item (a global ID in the input), if it names one."""
    given = data.get("organization_id")
    if not isinstance(given, str):
        return None
    try:
        return decode_id_of("Organization", given)
    except InvalidGlobalId:
        return given  # matches no organization: refused below, or reported by validation


def _status(record: VersionedRecord) -> ContentStatus | None:
    status = getattr(record, "status", None)
    return status if isinstance(status, ContentStatus) else None


def actor(context: Context, action: AuditAction, **details: Any) -> AuditNote:
    """An audit note of ``action`` by the viewer."""
    viewer = context.viewer
    return AuditNote(action=action, actor_id=viewer.user_id, actor_name=viewer.name, **details)


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields whose stored (JSON) value differs, with both values."""
    return [
        {"field": camel(name), "before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    ]


async def _validated(
    context: Context,
    kind: Kind[Any, D],
    data: Mapping[str, Any],
    *,
    unchanged: Collection[tuple[ReferenceKind, str]] = (),
) -> D | list[FieldError]:
    draft = validate_draft(kind.draft, data)
    if isinstance(draft, list):
        return draft
    return await check_references(context, draft, unchanged=unchanged) or draft


def _references(kind: Kind[Any, Any], data: Mapping[str, Any]) -> set[tuple[ReferenceKind, str]]:
    draft = validate_draft(kind.draft, data)
    return {(ref.kind, ref.id) for ref in draft.references()} if isinstance(draft, Draft) else set()


async def create(context: Context, kind: Kind[R, D], data: Mapping[str, Any]) -> WriteResult[R]:
    """A new item, always a draft: publishing goes through the editorial workflow."""
    owner = "" if kind.name == "Organization" else _requested_owner(data)
    if owner is None and context.viewer.is_authenticated:
        # no owner named: say which field is missing rather than refuse an unnamed organization
        owner = ""
        if isinstance(draft := validate_draft(kind.draft, data), list):
            return WriteResult(errors=draft)
    if errors := authorize(context.viewer, Action.CREATE, kind.name, owner_id=owner or ""):
        return WriteResult(errors=errors)
    draft = await _validated(context, kind, data)
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    fields = draft.model_dump(mode="json")
    try:
        record = await kind.store(context.stores).insert(
            fields,
            audit=actor(context, AuditAction.CREATED),
            references=held_references(context.stores, draft),
        )
    except MissingReference as exc:  # deleted since check_references found it
        return WriteResult(errors=[missing_reference_error(context.stores, draft, exc)])
    context.on_write()
    return WriteResult(record=record)


def _not_found(kind: Kind[Any, Any]) -> WriteResult[Any]:
    return WriteResult(errors=[FieldError("id", ErrorCode.NOT_FOUND, f"No {kind.name} has this ID.")])


def _conflict(kind: Kind[Any, Any], actual: int) -> WriteResult[Any]:
    message = f"This {kind.name} was changed by someone else (now at version {actual}); reload and retry."
    return WriteResult(errors=[FieldError("version", ErrorCode.CONFLICT, message)])


async def current(context: Context, kind: Kind[R, Any], global_id: str, version: int) -> R | WriteResult[R]:
    """The stored record a write applies to, if the viewer may read it and saw its latest version."""
    try:
        stored_id = decode_id_of(kind.name, global_id)
    except InvalidGlobalId as exc:
        return WriteResult(errors=[FieldError("id", ErrorCode.INVALID_ID, str(exc))])
    # Through the loader: an item the viewer may not read does not exist for the viewer.
    record = await kind.loader(context.loaders).load(stored_id)
    if record is None:
        return _not_found(kind)
    if record.version != version:
        return _conflict(kind, record.version)
    return record


async def write_fields(
    context: Context,
    kind: Kind[R, Any],
    record: R,
    fields: Mapping[str, Any],
    audit: AuditNote,
    *,
    draft: Draft | None = None,
    unchanged: Collection[tuple[ReferenceKind, str]] = (),
    also: Callable[[AsyncClientSession | None], Awaitable[Any]] | None = None,
) -> WriteResult[R]:
    """Store ``fields`` over ``record`` (compare-and-set on its version) with its audit entry.

    The records ``draft`` points at, except those ``unchanged``, must still exist. ``also``
    writes more in the same transaction.
    """
    references = held_references(context.stores, draft, unchanged=unchanged) if draft else []
    if kind.name == "Replication":
        # Its threads are found under its status and regions, so they are marked for the indexer
        # in the same transaction. Searchable kinds have the indexer mark their threads as it
        # indexes them; replications are not indexed themselves.
        also = _and_threads_of(context, record.id, also)
    try:
        updated = await kind.store(context.stores).update(
            id=record.id,
            expected_version=record.version,
            fields=fields,
            audit=audit,
            references=references,
            also=also,
        )
    except VersionConflict as exc:
        return _conflict(kind, exc.actual)
    except NotFound:
        return _not_found(kind)
    except MissingReference as exc:
        if draft is None:  # held nothing: cannot happen
            raise
        return WriteResult(errors=[missing_reference_error(context.stores, draft, exc)])
    context.on_write()
    return WriteResult(record=updated)


def _and_threads_of(
    context: Context, id: str, also: Callable[[AsyncClientSession | None], Awaitable[Any]] | None
) -> Callable[[AsyncClientSession | None], Awaitable[Any]]:
    async def write(session: AsyncClientSession | None) -> None:
        if also is not None:
            await also(session)
        await context.stores.discussions.mark_threads_of([id], session=session)

    return write


async def update(
    context: Context, kind: Kind[R, D], *, id: str, version: int, patch: Mapping[str, Any]
) -> WriteResult[R]:
    """Apply the given fields over the stored ones if the client saw the latest ``version``."""
    if not context.viewer.is_authenticated:
        return WriteResult(errors=authorize(context.viewer, Action.UPDATE, kind.name, owner_id=""))
    found = await current(context, kind, id, version)
    if isinstance(found, WriteResult):
        return found
    stored = found.model_dump(mode="json", include=set(kind.draft.model_fields))
    # Moving an item to another organization needs the right to write for both.
    owners = [_owner(kind, found)]
    if kind.name != "Organization" and (moved_to := _requested_owner(patch)) is not None:
        owners.append(moved_to)
    for owner in dict.fromkeys(owners):
        if errors := authorize(
            context.viewer, Action.UPDATE, kind.name, owner_id=owner, status=_status(found)
        ):
            return WriteResult(errors=errors)
    unchanged = _references(kind, stored)
    patch = keep_indicator_keys(stored, patch)
    draft = await _validated(context, kind, {**stored, **patch}, unchanged=unchanged)
    if isinstance(draft, list):
        return WriteResult(errors=draft)
    fields = draft.model_dump(mode="json")
    changes = changes_between(stored, fields)
    if not changes:  # nothing to change: no new version, no audit entry
        return WriteResult(record=found)
    audit = actor(context, AuditAction.EDITED, changes=changes)
    follow = _indicator_edit(context, kind, found, fields)
    try:
        return await write_fields(
            context, kind, found, fields, audit, draft=draft, unchanged=unchanged, also=follow
        )
    except UnitChanged as exc:
        index = next(i for i, r in enumerate(fields.get("results") or []) if r.get("key") == exc.key)
        message = "This indicator has reports in its old unit: add a new indicator for the new unit."
        return WriteResult(errors=[FieldError(f"results.{index}.unit", ErrorCode.UNIT_CHANGED, message)])


def _indicator_edit(
    context: Context, kind: Kind[Any, Any], found: Any, fields: Mapping[str, Any]
) -> Callable[[AsyncClientSession | None], Awaitable[Any]] | None:
    """What an edit of a practice's or replication's indicators does to their reports, in its transaction.

    The reports of a removed indicator are deleted (audited), so a later indicator of the same
    key does not inherit them; one that keeps its key but changes its unit is refused when it
    has reports (UnitChanged).
    """
    if kind.name not in ("Practice", "Replication") or "results" not in fields:
        return None

    def same(unit: str) -> str:
        return " ".join(unit.casefold().split())

    before = {i.effective_key: same(i.unit) for i in found.results}
    after = {Indicator.model_validate(r).effective_key: same(r.get("unit", "")) for r in fields["results"]}
    removed = [key for key in before if key not in after]
    unit_changed = [key for key, unit in after.items() if key in before and before[key] != unit]
    if not removed and not unit_changed:
        return None
    reports = context.stores.indicator_reports
    audit = actor(context, AuditAction.INDICATOR_REPORT_DELETED)

    async def write(session: AsyncClientSession | None) -> None:
        await reports.follow_edit(
            subject_collection=kind.store(context.stores).collection.name,
            subject_id=found.id,
            removed=removed,
            unit_changed=unit_changed,
            audit=audit,
            session=session,
        )

    return write


def _reports_of(
    context: Context, kind: Kind[Any, Any], id: str
) -> Callable[[AsyncClientSession | None], Awaitable[Any]] | None:
    """The indicator reports of a practice or replication go with it (storage/indicators.py)."""
    if kind.name not in ("Practice", "Replication"):
        return None
    reports = context.stores.indicator_reports

    async def write(session: AsyncClientSession | None) -> None:
        await reports.delete_of_subject(id, session)

    return write


async def delete(context: Context, kind: Kind[R, Any], *, id: str, version: int) -> WriteResult[R]:
    if not context.viewer.is_authenticated:
        return WriteResult(errors=authorize(context.viewer, Action.DELETE, kind.name, owner_id=""))
    found = await current(context, kind, id, version)
    if isinstance(found, WriteResult):
        return found
    owner = _owner(kind, found)
    if errors := authorize(context.viewer, Action.DELETE, kind.name, owner_id=owner, status=_status(found)):
        return WriteResult(errors=errors)
    try:
        await kind.store(context.stores).delete(
            id=found.id,
            expected_version=version,
            audit=actor(context, AuditAction.DELETED),
            dependents=kind.dependents(context.stores, found.id),
            also=_reports_of(context, kind, found.id),
        )
    except VersionConflict as exc:
        return _conflict(kind, exc.actual)
    except NotFound:
        return _not_found(kind)
    except InUse as exc:
        return WriteResult(errors=[FieldError("id", ErrorCode.IN_USE, exc.reason)])
    context.on_write()
    return WriteResult(record=found)
