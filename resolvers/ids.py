"""Global IDs: opaque, and carrying the type they belong to (``base64("Practice:<hex>")``)."""

from __future__ import annotations

import base64
import binascii
import re

_HEX_ID = re.compile(r"^[0-9a-f]{24}$")
_MAX_LENGTH = 200


class InvalidGlobalId(ValueError):
    pass


def encode_id(type_name: str, local_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local_id}".encode()).decode()


def decode_id(global_id: str) -> tuple[str, str]:
    """``(type_name, local_id)`` of a global ID; raises InvalidGlobalId for anything else."""
    if len(global_id) > _MAX_LENGTH:
        raise InvalidGlobalId("the ID is too long")
    try:
        raw = base64.urlsafe_b64decode(global_id.encode("ascii") + b"=" * (-len(global_id) % 4))
        type_name, _, local_id = raw.decode("utf-8").partition(":")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidGlobalId("the ID is not a valid global ID") from exc
    if not type_name or not local_id:
        raise InvalidGlobalId("the ID is not a valid global ID")
    return type_name, local_id


def decode_id_of(type_name: str, global_id: str) -> str:
    """The local ID of a global ID that must name a ``type_name``."""
    actual, local_id = decode_id(global_id)
    if actual != type_name:
        raise InvalidGlobalId(f"the ID belongs to a {actual}, not a {type_name}")
    if type_name != "Region" and not _HEX_ID.match(local_id):
        raise InvalidGlobalId("the ID is not a valid global ID")
    return local_id
