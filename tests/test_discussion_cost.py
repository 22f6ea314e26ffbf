"""A practice page with its first 20 threads and their replies costs a constant number of commands."""

from __future__ import annotations

from typing import Any

from bench.discussion import PRACTICE_PAGE, PRACTICE_WITH_DISCUSSION, seed_discussion
from resolvers.context import Context
from resolvers.ids import encode_id
from schema import build_schema
from storage.database import Stores
from tests.support import TEST_AUTH
from tests.test_query_cost import CommandCounter, counted

__all__ = ["counted"]
MAX_COMMANDS = 8  # the fixture, shared with the query-cost tests


async def _commands(stores: Stores, counter: CommandCounter, document: str, practice_id: str) -> list[str]:
    counter.commands.clear()
    result = await build_schema().execute(
        document,
        variable_values={"id": encode_id("Practice", practice_id)},
        context_value=Context.for_request(stores, request_id="t", auth=TEST_AUTH),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    node: dict[str, Any] = result.data["node"]
    assert node["title"]
    return list(counter.commands)


async def test_practice_page_with_threads_costs_the_same_for_5_and_20_threads(
    counted: tuple[Stores, CommandCounter],
) -> None:
    # given two practices, one with 5 threads and one with 20, each thread with 3 replies
    stores, counter = counted
    few = await seed_discussion(stores, threads=5, replies=3)
    many = await seed_discussion(stores, threads=20, replies=3)
    # when each practice page is read with its first 20 threads, their replies and authors
    small = await _commands(stores, counter, PRACTICE_WITH_DISCUSSION, few)
    large = await _commands(stores, counter, PRACTICE_WITH_DISCUSSION, many)
    plain = await _commands(stores, counter, PRACTICE_PAGE, many)
    # then the number of MongoDB commands does not grow with the threads shown: one query per
    # loader and level (the practice, its organization and regions, the page of threads, the
    # replies of all of them, their organizations, the counts). As in test_query_cost, loads of a
    # loader due in different event-loop ticks may split in two, so the bound is not exact.
    assert len(small) <= MAX_COMMANDS, small
    assert len(large) <= MAX_COMMANDS, large
    assert len(plain) <= 3, plain
