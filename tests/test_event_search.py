"""Events in `search`: found by their text under their venue's region, counted by month."""

from __future__ import annotations

from tests.support import create_organization
from tests.test_events import CREATE, PUBLISH, _soon, event_input
from tests.test_search import SearchHub, hub

__all__ = ["hub"]  # the fixture, shared with the search tests

SEARCH = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, facets: [CONTENT_TYPE, MONTH]) {
    hits { type node { __typename ... on Event { id title timeZoneAbbreviation } } }
    facets { facet values { value count label } }
  }
}
"""


async def test_published_event_found_with_month_facet(hub: SearchHub) -> None:
    # given a published training in Depok and a draft one
    organizer = await create_organization(hub.writer, name="Yayasan Pelatihan Desa", kind="NGO")
    starts = _soon(10)
    created = await hub.writer.mutate(
        CREATE,
        event_input(organizer, title="Pelatihan Kader Posyandu", startsAt=starts, endsAt=_soon(10, 15)),
    )
    event = created["event"]
    await hub.writer.mutate(PUBLISH, {"id": event["id"], "version": event["version"]})
    await hub.writer.mutate(CREATE, event_input(organizer, title="Pelatihan Kader Draf"))
    await hub.settle()
    # when the public searches for it, and by its month
    result = await hub.api.data(SEARCH, {"query": "pelatihan kader"})
    month = starts[:7]
    by_month = await hub.api.data(SEARCH, {"query": "", "filter": {"months": [month], "types": ["EVENT"]}})
    # then the published event is an EVENT hit, its month a facet value; the draft stays hidden
    events = [h["node"]["title"] for h in result["search"]["hits"] if h["type"] == "EVENT"]
    assert events == ["Pelatihan Kader Posyandu"]
    facets = {f["facet"]: f["values"] for f in result["search"]["facets"]}
    assert {v["value"]: v["count"] for v in facets["MONTH"]} == {month: 1}
    assert [h["node"]["id"] for h in by_month["search"]["hits"]] == [event["id"]]
    bad = await hub.api.post(SEARCH, {"query": "", "filter": {"months": ["Desember"]}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
