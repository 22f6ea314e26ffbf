"""MongoDB round trips grow with a query's depth, never with its page size; every read uses an index."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from resolvers.accounts import create_user, issue_session, viewer_of
from resolvers.context import Context
from schema import build_schema
from server.supervisor import LocalService
from storage.database import Stores
from storage.filters import ContentFilter, RegionFilter
from storage.pagination import SortOrder, encode_cursor, page_query
from storage.regions import name_key
from storage.store import Document, new_id
from storage.vocabulary import Role
from tests.conftest import TEST_REGION_ROOTS
from tests.support import TEST_AUTH

NESTED_PAGE = """
query($first: Int!) {
  practices(first: $first) {
    edges {
      node {
        title
        organization { name region { name parent { name } } }
        regions { name ancestors { name } }
        replications { title organization { name } regions { name } }
        caseStudies { title }
      }
    }
  }
}
"""

# The query above nests five levels; a loader per nested field gives at most this many finds.
MAX_COMMANDS = 9


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def counted(mongo: LocalService) -> AsyncIterator[tuple[Stores, CommandCounter]]:
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo.url, event_listeners=[counter], tz_aware=True)
    name = f"cost_{uuid.uuid4().hex[:8]}"
    stores = Stores.of(client[name])
    await stores.regions.load(under=TEST_REGION_ROOTS)
    await stores.ensure_indexes()
    yield stores, counter
    await client.drop_database(name)
    await client.close()


def _practice(organization_id: str, index: int) -> Document:
    return {
        "_id": new_id(),
        "title": f"Praktik {index:03d}",
        "summary": "Ringkasan",
        "organization_id": organization_id,
        "region_codes": ["32.76.05.1001", "35.78.09"],
        "themes": ["HEALTH"],
        "status": "PUBLISHED",
        "problem": "Masalah",
        "approach": "Pendekatan",
        "stage": "PILOT",
    }


async def _seed(stores: Stores, practices: int) -> None:
    organizations = [
        {
            "_id": new_id(),
            "name": f"Kelurahan {i}",
            "kind": "KELURAHAN_GOVERNMENT",
            "region_code": "32.76.05.1001",
        }
        for i in range(practices)
    ]
    await stores.organizations.insert_many(organizations)
    documents = [_practice(organizations[i]["_id"], i) for i in range(practices)]
    await stores.practices.insert_many(documents)
    replications = [
        {
            **_practice(organizations[i]["_id"], i),
            "_id": new_id(),
            "practice_id": document["_id"],
            "adaptations": "Disesuaikan",
            "replication_status": "IN_PROGRESS",
        }
        for i, document in enumerate(documents)
    ]
    await stores.replications.insert_many(replications)


async def _commands_for(stores: Stores, counter: CommandCounter, first: int) -> list[str]:
    schema = build_schema()
    counter.commands.clear()
    result = await schema.execute(
        NESTED_PAGE,
        variable_values={"first": first},
        context_value=Context.for_request(stores, request_id="t", auth=TEST_AUTH),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    edges: list[dict[str, Any]] = result.data["practices"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["replications"][0]["organization"]["name"] for edge in edges)
    return list(counter.commands)


async def test_nested_page_costs_the_same_commands_for_5_and_50_items(
    counted: tuple[Stores, CommandCounter],
) -> None:
    # given
    stores, counter = counted
    await _seed(stores, practices=50)
    # when
    small = await _commands_for(stores, counter, first=5)
    large = await _commands_for(stores, counter, first=50)
    # then: a handful of finds, one per loader per level of the query (the page, organizations,
    # regions, replications, case studies, ...), however many items the page holds. Loads of one
    # loader that become due in different event-loop ticks may split into two batches, so the
    # bound is the depth of the query, not an exact number.
    assert len(small) <= MAX_COMMANDS, small
    assert len(large) <= MAX_COMMANDS, large
    assert set(large) == {"find"}


def _plan_stages(plan: dict[str, Any]) -> set[str]:
    stages = {plan.get("stage", "")}
    for key in ("inputStage", "queryPlan"):
        if isinstance(plan.get(key), dict):
            stages |= _plan_stages(plan[key])
    for child in plan.get("inputStages", []):
        stages |= _plan_stages(child)
    return stages


async def _stages(
    stores: Stores, collection: str, query: dict[str, Any], sort: list[tuple[str, int]]
) -> set[str]:
    explained = await stores.database[collection].find(query).sort(sort).limit(21).explain()
    return _plan_stages(explained["queryPlanner"]["winningPlan"])


LISTINGS = [
    ("practices", ContentFilter(), SortOrder.NEWEST),
    ("practices", ContentFilter(), SortOrder.TITLE),
    ("practices", ContentFilter(region_code="32"), SortOrder.NEWEST),
    ("practices", ContentFilter(themes=["HEALTH"]), SortOrder.NEWEST),  # type: ignore[list-item]
    ("practices", ContentFilter(organization_ids=["x"]), SortOrder.NEWEST),
    ("replications", ContentFilter(practice_ids=["x"]), SortOrder.NEWEST),
    ("regions", RegionFilter(parent_code="32.76"), SortOrder.CODE),
    ("regions", RegionFilter(name_prefix=name_key("Pancoran M")), SortOrder.CODE),
]


async def test_region_records_are_read_from_mongodb_once(counted: tuple[Stores, CommandCounter]) -> None:
    # given: regions read once (Bali is not loaded yet)
    stores, counter = counted
    codes = ["32", "32.76", "32.76.05.1001", "51.71"]
    first = await stores.regions.get_many(codes)
    # when
    counter.commands.clear()
    again = await stores.regions.get_many(codes)
    # then: only the region not found is asked for again, and found once it is loaded
    assert again == first
    assert [r.name if r else None for r in again] == ["Jawa Barat", "Kota Depok", "Sukmajaya", None]
    assert counter.commands == ["find"]
    await stores.regions.load(under=["51.71"])
    assert (await stores.regions.get_many(["51.71"]))[0] is not None


async def test_a_bearer_token_is_checked_in_one_round_trip(counted: tuple[Stores, CommandCounter]) -> None:
    # given: a signed-in admin of the association
    stores, counter = counted
    association = await stores.organizations.insert(
        {"name": "Asosiasi", "kind": "ASSOCIATION", "verified": True}
    )
    user = await create_user(
        stores,
        TEST_AUTH,
        email="a@asosiasi.id",
        name="Rina",
        password="kata-sandi-uji",
        role=Role.ADMIN,
        organization_id=association.id,
    )
    token = (await issue_session(stores, TEST_AUTH, user)).access_token
    # when
    counter.commands.clear()
    viewer = await viewer_of(stores, TEST_AUTH, token)
    # then: the session, its user and the user's organization come in one command
    assert (viewer.user_id, viewer.is_hub_admin) == (user.id, True)
    assert counter.commands == ["aggregate"]


@pytest.mark.parametrize(
    ("collection", "query", "order", "next_page"),
    [
        *[(*listing, False) for listing in LISTINGS],
        # Later pages add a range on the sort key. SecantusDB's planner serves it with an index
        # after an equality, but not after a second range: a region-name search's next page
        # (a name prefix range, then the code range) is a collection scan there, where MongoDB
        # scans the name index and filters. That case is left out, a deviation of the local server.
        *[
            (*listing, True)
            for listing in LISTINGS
            if not isinstance(listing[1], RegionFilter) or not listing[1].name_prefix
        ],
    ],
)
async def test_listing_queries_are_served_by_an_index(
    counted: tuple[Stores, CommandCounter],
    collection: str,
    query: ContentFilter | RegionFilter,
    order: SortOrder,
    next_page: bool,
) -> None:
    # given
    stores, _ = counted
    await _seed(stores, practices=3)
    after = None
    if next_page:  # `after` adds a range on the order's key
        first = await stores.database[collection].find_one({}, sort=order.mongo_sort())
        assert first is not None
        after = encode_cursor(order, first)
    mongo_query = page_query(query.to_query(), order, after)
    # when
    stages = await _stages(stores, collection, mongo_query, order.mongo_sort())
    # then
    assert "IXSCAN" in stages
    assert "COLLSCAN" not in stages
