"""Fetch any object by its global ID (Relay ``node``/``nodes``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from resolvers.context import Context
from resolvers.errors import UserInputError
from resolvers.ids import InvalidGlobalId, decode_id
from resolvers.kinds import KINDS

MAX_NODES = 100


async def get_node(context: Context, global_id: str) -> tuple[str, Any] | None:
    """``(type name, record)``, or None for an ID of no object (unknown, deleted, or malformed)."""
    try:
        type_name, local_id = decode_id(global_id)
    except InvalidGlobalId:
        return None
    record: Any
    if type_name == "Region":
        record = await context.loaders.regions.load(local_id)
    elif type_name == "User":
        record = await context.loaders.users.load(local_id)
    elif type_name == "Thread":
        record = await context.loaders.threads.load(local_id)
    elif type_name == "Reply":
        record = await context.loaders.replies.load(local_id)
    elif type_name == "Event":
        record = await context.loaders.events.load(local_id)
    elif type_name == "Notification":
        record = await context.loaders.notifications.load(local_id)
    elif kind := KINDS.get(type_name):
        record = await kind.loader(context.loaders).load(local_id)
    else:
        return None
    return (type_name, record) if record is not None else None


async def get_nodes(context: Context, global_ids: Sequence[str]) -> list[tuple[str, Any] | None]:
    if len(global_ids) > MAX_NODES:
        raise UserInputError(f"`ids` lists more than {MAX_NODES} IDs.", argument="ids")
    return list(await asyncio.gather(*(get_node(context, global_id) for global_id in global_ids)))
