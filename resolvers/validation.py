"""Turn input into a valid draft, or into field errors a client can show next to its fields."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from strawberry.dataloader import DataLoader

from resolvers.context import Context
from resolvers.drafts import Draft, ReferenceKind
from resolvers.errors import ErrorCode, FieldError
from storage.database import Stores
from storage.errors import MissingReference
from storage.store import Referenced, VersionedStore

D = TypeVar("D", bound=Draft)

_CODES = {
    "missing": ErrorCode.REQUIRED,
    "string_too_short": ErrorCode.TOO_SHORT,
    "too_short": ErrorCode.TOO_SHORT,
    "string_too_long": ErrorCode.TOO_LONG,
    "too_long": ErrorCode.TOO_LONG,
    "greater_than_equal": ErrorCode.OUT_OF_RANGE,
    "less_than_equal": ErrorCode.OUT_OF_RANGE,
    "invalid_id": ErrorCode.INVALID_ID,
    "date_order": ErrorCode.DATE_ORDER,
    "duplicate": ErrorCode.DUPLICATE,
    "direction_mismatch": ErrorCode.DIRECTION_MISMATCH,
}
_MESSAGES = {
    ErrorCode.REQUIRED: "This field is required.",
    ErrorCode.TOO_SHORT: "This value is too short.",
    ErrorCode.TOO_LONG: "This value is too long.",
}
_UNKNOWN = {
    ReferenceKind.REGION: (ErrorCode.UNKNOWN_REGION, "No region has this Kemendagri code."),
    ReferenceKind.ORGANIZATION: (ErrorCode.UNKNOWN_ORGANIZATION, "No organization has this ID."),
    ReferenceKind.PRACTICE: (ErrorCode.UNKNOWN_PRACTICE, "No practice has this ID."),
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _field_error(error: ErrorDetails) -> FieldError:
    path = ".".join(camel(str(part)) for part in error["loc"])
    code = _CODES.get(error["type"], ErrorCode.INVALID)
    context = error.get("ctx") or {}
    if code is ErrorCode.TOO_LONG and "max_length" in context:
        message = f"At most {context['max_length']} characters or items."
    elif code is ErrorCode.OUT_OF_RANGE:
        message = f"The value is out of range ({error['msg'].lower()})."
    else:
        # pydantic's messages never echo the input value, so a huge input stays out of the reply
        message = _MESSAGES.get(code) or error["msg"]
    return FieldError(field=path or None, code=code, message=message)


def validate_draft(draft_type: type[D], data: Mapping[str, Any]) -> D | list[FieldError]:
    try:
        return draft_type.model_validate(data)
    except ValidationError as exc:
        return [_field_error(error) for error in exc.errors(include_url=False, include_input=False)]


async def check_references(
    context: Context, draft: Draft, *, unchanged: Collection[tuple[ReferenceKind, str]] = ()
) -> list[FieldError]:
    """One FieldError for every region, organization or practice the draft names that does not exist.

    References in ``unchanged`` were accepted before and are not checked again: a practice that
    a case study cites may have been deleted since, and that must not block editing the case study.
    """
    references = [ref for ref in draft.references() if (ref.kind, ref.id) not in unchanged]
    loaders: dict[ReferenceKind, DataLoader[str, Any]] = {
        ReferenceKind.REGION: context.loaders.regions,
        ReferenceKind.ORGANIZATION: context.loaders.organizations,
        ReferenceKind.PRACTICE: context.loaders.practices,
    }
    found = await asyncio.gather(*(loaders[ref.kind].load(ref.id) for ref in references))
    errors = []
    for reference, record in zip(references, found, strict=True):
        if record is None:
            code, message = _UNKNOWN[reference.kind]
            errors.append(FieldError(field=reference.field, code=code, message=message))
    return errors


# The referenced kinds that can be deleted; regions never are.
_DELETABLE: dict[ReferenceKind, Callable[[Stores], VersionedStore[Any]]] = {
    ReferenceKind.ORGANIZATION: lambda stores: stores.organizations,
    ReferenceKind.PRACTICE: lambda stores: stores.practices,
}


def held_references(
    stores: Stores, draft: Draft, *, unchanged: Collection[tuple[ReferenceKind, str]] = ()
) -> list[Referenced]:
    """What the write of ``draft`` must find still stored when it commits (see storage's _hold)."""
    held = dict.fromkeys(
        (ref.kind, ref.id)
        for ref in draft.references()
        if ref.kind in _DELETABLE and (ref.kind, ref.id) not in unchanged
    )
    return [Referenced(_DELETABLE[kind](stores), id) for kind, id in held]


def missing_reference_error(stores: Stores, draft: Draft, missing: MissingReference) -> FieldError:
    """The error of the field naming a record that was deleted while the draft was written."""
    for ref in draft.references():
        store = _DELETABLE.get(ref.kind)
        if store and ref.id == missing.id and store(stores).collection.name == missing.collection:
            code, message = _UNKNOWN[ref.kind]
            return FieldError(field=ref.field, code=code, message=message)
    raise missing  # held_references only holds what the draft names
