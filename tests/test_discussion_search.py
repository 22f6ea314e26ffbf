"""Threads and their replies in `search`: found under their item's regions, themes and status."""

from __future__ import annotations

from typing import Any

from resolvers.ids import encode_id
from tests.support import create_organization, create_practice, publish
from tests.test_discussions import REPLY, START, _local
from tests.test_replications import UPDATE_REPLICATION, create_replication
from tests.test_search import SearchHub, hub

__all__ = ["hub"]  # the fixture, shared with the search tests

SEARCH = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, facets: [CONTENT_TYPE]) {
    hits { type highlights { field snippet } node { __typename ... on Thread { id title isAnswered } } }
    facets { facet values { value count label } }
  }
}
"""


async def _discussed_practice(hub: SearchHub, *, published: bool) -> tuple[dict[str, Any], str]:
    organization = await create_organization(hub.writer, name="Pemerintah Kelurahan Menteng")
    practice = await create_practice(
        hub.writer,
        organization,
        title="Posyandu Keliling Menteng",
        summary="Kader posyandu mendatangi rumah balita.",
        regionCodes=["31.71.06.1001"],
        themes=["HEALTH"],
        published=published,
    )
    asked = await hub.writer.mutate(
        START,
        {
            "subjectId": practice["id"],
            "kind": "QUESTION",
            "title": "Bagaimana menjaga kehadiran ibu di posyandu?",
            "body": "Kehadiran turun setiap musim hujan. Apa strategi kelurahan lain?",
        },
    )
    assert asked["errors"] == []
    thread_id: str = asked["thread"]["id"]
    replied = await hub.writer.mutate(
        REPLY,
        {"threadId": thread_id, "body": "Kami mengirim pengingat lewat grup WhatsApp RW sehari sebelumnya."},
    )
    assert replied["errors"] == []
    return practice, thread_id


async def test_question_and_answer_found_under_item_region(hub: SearchHub) -> None:
    # given a question with an answer on a published practice in Jakarta Pusat
    _, thread_id = await _discussed_practice(hub, published=True)
    await hub.settle()
    # when someone searches, in other words, for how others handle posyandu attendance
    result = await hub.api.data(SEARCH, {"query": "kehadiran posyandu"})
    by_answer = await hub.api.data(
        SEARCH, {"query": "pengingat whatsapp", "filter": {"regionCodes": ["31.71"]}}
    )
    # then the thread is a DISCUSSION hit, found by its question and by its answer's words
    hits = [h for h in result["search"]["hits"] if h["type"] == "DISCUSSION"]
    assert [h["node"]["id"] for h in hits] == [thread_id]
    assert [h["node"]["id"] for h in by_answer["search"]["hits"]] == [thread_id]
    types = {v["value"]: v["label"] for v in result["search"]["facets"][0]["values"]}
    assert types["DISCUSSION"] == "Diskusi"


async def test_draft_discussion_not_found_until_item_published(hub: SearchHub) -> None:
    # given a question on a draft
    practice, thread_id = await _discussed_practice(hub, published=False)
    await hub.settle()
    # then the public does not find it, its organization's reviewers do
    assert (await hub.api.data(SEARCH, {"query": "kehadiran posyandu"}))["search"]["hits"] == []
    found = await hub.writer.data(SEARCH, {"query": "kehadiran posyandu"})
    assert [h["node"]["id"] for h in found["search"]["hits"] if h["type"] == "DISCUSSION"] == [thread_id]
    # when the item is published, its thread follows it into public search
    await publish(hub.writer, practice["id"], practice["version"])
    await hub.settle()
    public = await hub.api.data(SEARCH, {"query": "kehadiran posyandu"})
    assert thread_id in [h["node"]["id"] for h in public["search"]["hits"] if h["type"] == "DISCUSSION"]


async def test_hidden_reply_text_leaves_search(hub: SearchHub) -> None:
    # given an indexed answer that a moderator then hides
    _, thread_id = await _discussed_practice(hub, published=True)
    await hub.settle()
    replies = await hub.stores.discussions.replies_of([_local(thread_id)], limit=10)
    reply_id = replies[0][0].id
    hidden = await hub.writer.mutate(  # a hub admin moderates like a reviewer
        """mutation($input: ModeratePostInput!) { hidePost(input: $input) { errors { code } } }""",
        {"id": encode_id("Reply", reply_id), "version": 1, "reason": "Data pribadi."},
    )
    assert hidden["errors"] == []
    await hub.settle()
    # then its words no longer find the thread
    assert (await hub.api.data(SEARCH, {"query": "pengingat whatsapp"}))["search"]["hits"] == []


async def test_replication_thread_moves_with_its_regions(hub: SearchHub) -> None:
    # given a question on a published replication in Keputih (Surabaya)
    practice, _ = await _discussed_practice(hub, published=True)
    organization = await create_organization(hub.writer, name="Pemerintah Kelurahan Keputih")
    replication = await create_replication(hub.writer, organization, practice["id"])
    version = await publish(hub.writer, replication["id"], replication["version"])
    asked = await hub.writer.mutate(
        START,
        {
            "subjectId": replication["id"],
            "kind": "QUESTION",
            "title": "Berapa biaya timbangan digital bank sampah?",
            "body": "Kami ingin tahu harga timbangan yang dipakai di Keputih.",
        },
    )
    assert asked["errors"] == []
    await hub.settle()
    surabaya = {"query": "timbangan digital", "filter": {"regionCodes": ["35.78"]}}
    assert _threads(await hub.api.data(SEARCH, surabaya)) == [asked["thread"]["id"]]
    # when the replication is moved to Depok
    moved = await hub.writer.mutate(
        UPDATE_REPLICATION,
        {"id": replication["id"], "version": version, "changes": {"regionCodes": ["32.76.05"]}},
    )
    assert moved["errors"] == []
    await hub.settle()
    # then its thread is found under Depok, no longer under Surabaya
    depok = {"query": "timbangan digital", "filter": {"regionCodes": ["32.76"]}}
    assert _threads(await hub.api.data(SEARCH, depok)) == [asked["thread"]["id"]]
    assert _threads(await hub.api.data(SEARCH, surabaya)) == []


def _threads(data: dict[str, Any]) -> list[str]:
    return [h["node"]["id"] for h in data["search"]["hits"] if h["type"] == "DISCUSSION"]
