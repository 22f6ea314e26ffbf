"""The hub as `make run` serves it: every region and the demo content, on first start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storage.database import Stores
from storage.discussions import activity_key
from storage.store import SEARCH_PENDING, new_id
from tests.support import GraphQLClient

COUNTS = """
{
  practices(first: 100) { totalCount nodes { isDemo titleEn regions { code } organization { kind } } }
  caseStudies { totalCount nodes { isDemo organization { kind } relatedPractices { title } } }
  partnerships { totalCount nodes { isDemo partners { role organization { kind } } } }
  replications { totalCount nodes { isDemo practice { regions { code } } regions { code } } }
  organizations(first: 100) { totalCount nodes { kind isDemo } }
}
"""

REGION_COUNTS = """
{
  provinces: regions(level: PROVINCE) { totalCount }
  regencies: regions(level: REGENCY_CITY) { totalCount }
  kecamatan: regions(level: KECAMATAN) { totalCount }
  villages: regions(level: KELURAHAN_DESA) { totalCount }
  jakarta: region(code: "31") { name children { name } }
}
"""

IN_PROVINCE = """
query($code: String!) { practices(filter: {regionCode: $code}) { totalCount nodes { regions { code } } } }
"""


async def test_demo_database_holds_every_kemendagri_region(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(REGION_COUNTS)
    # then
    assert data["provinces"]["totalCount"] == 38
    assert data["regencies"]["totalCount"] == 514
    assert data["kecamatan"]["totalCount"] == 7285
    assert data["villages"]["totalCount"] == 83762
    assert data["jakarta"]["name"] == "Daerah Khusus Ibukota Jakarta"
    assert len(data["jakarta"]["children"]) == 6


async def test_demo_content_covers_kinds_provinces_and_relations(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(COUNTS)
    # then
    practices = data["practices"]["nodes"]
    assert data["practices"]["totalCount"] >= 30
    assert data["caseStudies"]["totalCount"] >= 10
    assert data["partnerships"]["totalCount"] >= 10
    assert data["replications"]["totalCount"] >= 10
    everything = [
        *practices,
        *data["caseStudies"]["nodes"],
        *data["partnerships"]["nodes"],
        *data["replications"]["nodes"],
        *data["organizations"]["nodes"],
    ]
    assert all(item["isDemo"] for item in everything)
    assert all(practice["titleEn"] for practice in practices)
    provinces = {region["code"][:2] for practice in practices for region in practice["regions"]}
    assert len(provinces) >= 8
    kinds = {organization["kind"] for organization in data["organizations"]["nodes"]}
    assert kinds == {
        "KECAMATAN_GOVERNMENT",
        "KELURAHAN_GOVERNMENT",
        "CITY_GOVERNMENT",
        "NGO",
        "ACADEMIC",
        "PRIVATE_SECTOR",
        "COMMUNITY_GROUP",
        "ASSOCIATION",
    }
    assert all(p["organization"] for p in practices)
    assert any(c["relatedPractices"] for c in data["caseStudies"]["nodes"])
    for replication in data["replications"]["nodes"]:  # adopted elsewhere than the original
        assert {r["code"] for r in replication["regions"]} != {
            r["code"] for r in replication["practice"]["regions"]
        }


async def test_a_province_filter_finds_demo_practices_of_its_kelurahan(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(IN_PROVINCE, {"code": "32"})
    # then
    assert data["practices"]["totalCount"] >= 2
    for practice in data["practices"]["nodes"]:
        assert any(region["code"].startswith("32") for region in practice["regions"])


DEMO_SEARCH = """
query($query: String!, $filter: SearchFilter) {
  search(query: $query, filter: $filter, first: 10, facets: [CONTENT_TYPE, PROVINCE]) {
    totalCount
    hits { type node { ... on Practice { title } ... on CaseStudy { title } ... on Partnership { title } } }
    facets { facet values { value label count } }
  }
}
"""


async def test_officials_find_demo_practices_the_way_they_type(demo_api: GraphQLClient) -> None:
    # when
    typo = await demo_api.data(DEMO_SEARCH, {"query": "bank smapah"})
    synonym = await demo_api.data(
        DEMO_SEARCH, {"query": "pos pelayanan terpadu", "filter": {"types": ["PRACTICE"]}}
    )
    in_java_west = await demo_api.data(DEMO_SEARCH, {"query": "sampah", "filter": {"regionCodes": ["32"]}})
    # then
    assert any("Sampah" in (hit["node"].get("title") or "") for hit in typo["search"]["hits"][:3])
    assert any("Posyandu" in hit["node"]["title"] for hit in synonym["search"]["hits"][:3])
    provinces = {f["facet"]: f["values"] for f in in_java_west["search"]["facets"]}["PROVINCE"]
    assert [(v["value"], v["label"]) for v in provinces] == [("32", "Jawa Barat")]
    assert in_java_west["search"]["totalCount"] >= 2


DISCUSSED = """
fragment discussed on Content { title discussion { threadCount openQuestionCount answeredQuestionCount } }
{
  practices(first: 100) { nodes { ...discussed } }
  caseStudies(first: 100) { nodes { ...discussed } }
  partnerships(first: 100) { nodes { ...discussed } }
  replications(first: 100) { nodes { ...discussed } }
}
"""

DEMO_THREADS = """
{
  search(query: "", filter: { types: [DISCUSSION] }, first: 50, facets: []) {
    totalCount
    hits {
      node {
        ... on Thread {
          kind title isDemo isAnswered authorName author { id }
          authorOrganization { name region { code } }
          subject { __typename organization { region { code } } }
          mentionedOrganizations { name }
          acceptedAnswer { isAcceptedAnswer authorOrganization { name } }
          replies(first: 10) { nodes { isDemo authorName quoted { body } mentionedOrganizations { name } } }
        }
      }
    }
  }
}
"""


async def test_demo_items_carry_questions_answers_and_comments(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(DISCUSSED)
    # then
    items = [node for listing in data.values() for node in listing["nodes"]]
    discussed = [item for item in items if item["discussion"]["threadCount"]]
    assert len(discussed) >= 15
    kinds = {
        kind
        for kind, listing in data.items()
        if any(n["discussion"]["threadCount"] for n in listing["nodes"])
    }
    assert kinds == {"practices", "caseStudies", "partnerships", "replications"}
    assert sum(item["discussion"]["answeredQuestionCount"] for item in items) >= 5
    assert sum(item["discussion"]["openQuestionCount"] for item in items) >= 2


async def test_demo_threads_are_signed_by_name_across_provinces(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(DEMO_THREADS)
    # then: every demo thread is signed by a named person of an organization, with no account
    # (the browser tests, sharing the database, may have added threads of their own)
    threads = [hit["node"] for hit in data["search"]["hits"] if hit["node"]["isDemo"]]
    assert len(threads) >= 15
    assert all(t["authorName"] and t["author"] is None and t["authorOrganization"] for t in threads)
    replies = [reply for t in threads for reply in t["replies"]["nodes"]]
    assert all(reply["isDemo"] and reply["authorName"] for reply in replies)
    # questions with accepted answers, open questions, comments, a quote and a mention
    answered = [t for t in threads if t["isAnswered"]]
    assert answered
    assert all(t["acceptedAnswer"]["isAcceptedAnswer"] for t in answered)
    assert any(t["kind"] == "QUESTION" and not t["isAnswered"] for t in threads)
    assert any(t["kind"] == "COMMENT" for t in threads)
    assert any(reply["quoted"] for reply in replies)
    assert any(t["mentionedOrganizations"] for t in threads) or any(
        reply["mentionedOrganizations"] for reply in replies
    )

    # and the asker is mostly of another province than the item's organization
    def province(organization: dict[str, Any]) -> str:
        return str(organization["region"]["code"])[:2]

    elsewhere = [
        t for t in threads if province(t["authorOrganization"]) != province(t["subject"]["organization"])
    ]
    assert len(elsewhere) >= 10


def _written_thread(**overrides: Any) -> dict[str, Any]:
    return {
        "_id": new_id(),
        "subject_collection": "practices",
        "subject_id": new_id(),
        "kind": "QUESTION",
        "title": "Berapa biaya timbangan digital?",
        "body": "Kami ingin membeli dua timbangan untuk bank sampah RW.",
        "author_name": "Maria Goreti Lio",
        "created_at": datetime(2026, 5, 1, 2, 0, tzinfo=UTC),
        "is_demo": True,
        **overrides,
    }


async def test_bulk_loaded_threads_take_their_activity_from_their_replies(stores: Stores) -> None:
    # given: a question with two replies, the first accepted
    thread = _written_thread()
    first, second = new_id(), new_id()
    replies = [
        {"_id": reply_id, "thread_id": thread["_id"], "body": body, "author_name": "Andi", "created_at": at}
        for reply_id, body, at in [
            (first, "Sekitar Rp1,2 juta per unit.", datetime(2026, 5, 2, tzinfo=UTC)),
            (second, "Kami membeli lewat e-katalog.", datetime(2026, 5, 3, tzinfo=UTC)),
        ]
    ]
    accepted_at = datetime(2026, 5, 4, tzinfo=UTC)
    # when
    await stores.discussions.insert_many(
        [{**thread, "accepted_reply_id": first, "accepted_at": accepted_at}], replies
    )
    # then: the thread is as live writes keep it, and its replies are about its item
    stored = await stores.discussions.threads.collection.find_one({"_id": thread["_id"]})
    assert stored is not None
    moved = datetime(2026, 5, 3, tzinfo=UTC)
    assert {k: stored[k] for k in ("reply_count", "answered", "activity_key", SEARCH_PENDING)} == {
        "reply_count": 2,
        "answered": True,
        "activity_key": activity_key(moved, thread["_id"]),
        SEARCH_PENDING: True,
    }
    assert stored["last_activity_at"].replace(tzinfo=UTC) == moved
    assert stored["updated_at"].replace(tzinfo=UTC) == accepted_at
    (page,) = await stores.discussions.replies_of([thread["_id"]], limit=10)
    assert [(r.id, r.subject_id) for r in page] == [
        (first, thread["subject_id"]),
        (second, thread["subject_id"]),
    ]


async def test_bulk_load_refuses_an_accepted_answer_of_another_thread_and_writes_nothing(
    stores: Stores,
) -> None:
    # given
    thread = _written_thread(accepted_reply_id=new_id())
    # when / then
    with pytest.raises(ValueError, match="accepted answer"):
        await stores.discussions.insert_many([thread], [])
    assert await stores.discussions.threads.collection.count_documents({}) == 0


async def test_a_demo_question_is_found_by_the_words_of_an_official(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(DEMO_SEARCH, {"query": "kehadiran posyandu"})
    # then
    assert "DISCUSSION" in [hit["type"] for hit in data["search"]["hits"]]


DEMO_SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) { session { user { role organization { name } } } errors { code } }
}
"""


@pytest.mark.parametrize(
    ("email", "password", "role", "organization"),
    [
        (
            "admin@demo.lumbung.id",
            "lumbung-admin-demo",
            "ADMIN",
            "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia",
        ),
        (
            "peninjau@demo.lumbung.id",
            "lumbung-peninjau-demo",
            "REVIEWER",
            "Asosiasi Pemerintah Kecamatan dan Kelurahan Seluruh Indonesia",
        ),
        ("anggota@demo.lumbung.id", "lumbung-anggota-demo", "MEMBER", "Pemerintah Kelurahan Depok Jaya"),
        ("mitra@demo.lumbung.id", "lumbung-mitra-demo", "PARTNER", "Yayasan Lestari Kampung Nusantara"),
    ],
)
async def test_each_demo_account_of_the_readme_signs_in_with_its_role(
    demo_api: GraphQLClient, email: str, password: str, role: str, organization: str
) -> None:
    # when
    payload = await demo_api.mutate(DEMO_SIGN_IN, {"email": email, "password": password})
    # then
    assert payload == {
        "session": {"user": {"role": role, "organization": {"name": organization}}},
        "errors": [],
    }


DEMO_EVENTS = """
query($filter: EventFilterInput) {
  events(filter: $filter, first: 100) {
    totalCount
    nodes {
      title status isDemo startsAt localStartsAt timeZoneAbbreviation cancellationReason
      seatsLeft waitlistCount venue { region { code } } onlineUrl organizer { name }
    }
  }
}
"""
DEMO_TOKEN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
DEMO_EXCHANGES = """
{
  organizations(first: 100) {
    nodes {
      exchangeRequests(direction: OUTGOING, first: 20) {
        nodes {
          state kind isDemo message
          replication { practice { id } }
          subject { __typename ... on Practice { id } }
          requestingRegion { code }
          ownerOrganization { region { code } }
        }
      }
    }
  }
}
"""


async def test_demo_events_span_zones_provinces_past_and_upcoming(demo_api: GraphQLClient) -> None:
    # given
    now = datetime.now(UTC)
    # when
    everything = (await demo_api.data(DEMO_EVENTS))["events"]
    upcoming = (await demo_api.data(DEMO_EVENTS, {"filter": {"from": now.isoformat()}}))["events"]
    # then: a dozen and more, each organized by a demo organization, in all three zones
    events = everything["nodes"]
    assert everything["totalCount"] >= 12
    assert all(event["isDemo"] and event["organizer"] for event in events)
    assert {event["timeZoneAbbreviation"] for event in events} == {"WIB", "WITA", "WIT"}
    provinces = {event["venue"]["region"]["code"][:2] for event in events if event["venue"]}
    assert len(provinces) >= 8
    assert any(event["onlineUrl"] and not event["venue"] for event in events)
    # some took place, some are to come, one was called off and says why
    past = [event for event in events if _moment(event["startsAt"]) < now]
    assert past
    assert {event["status"] for event in past} == {"FINISHED"}
    (cancelled,) = [event for event in events if event["status"] == "CANCELLED"]
    assert cancelled["cancellationReason"]
    # the listing from now holds the rest, soonest first, open for registration
    starts = [_moment(event["startsAt"]) for event in upcoming["nodes"]]
    assert upcoming["totalCount"] == len(events) - len(past)
    assert starts == sorted(starts)
    assert all(start >= now for start in starts)
    assert sum(event["status"] == "PUBLISHED" for event in upcoming["nodes"]) >= 8
    # one is full and has a waiting list; times are the venue's own
    assert any(event["seatsLeft"] == 0 and event["waitlistCount"] > 0 for event in upcoming["nodes"])
    (makassar,) = [e for e in events if e["title"].startswith("Pelatihan Kader Posyandu")]
    assert makassar["timeZoneAbbreviation"] == "WITA"
    assert makassar["localStartsAt"].endswith("T08:30:00+08:00")


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


EVENT_SEARCH = """
query($query: String!) {
  search(query: $query, filter: {types: [EVENT]}, first: 5, facets: []) {
    hits { type node { ... on Event { title timeZoneAbbreviation } } }
  }
}
"""
VERIFY_DEMO_CERTIFICATE = """
query($code: String!) {
  verifyCertificate(code: $code) { valid participantName attendedEvent { title status } }
}
"""


async def test_a_demo_event_is_found_through_search_and_its_certificates_verify(
    demo_api: GraphQLClient,
) -> None:
    # when
    found = await demo_api.data(EVENT_SEARCH, {"query": "pelatihan kader posyandu"})
    verified = await demo_api.data(VERIFY_DEMO_CERTIFICATE, {"code": "lmb-dpj7k-bs2q4"})
    # then
    hits = found["search"]["hits"]
    assert hits
    assert {hit["type"] for hit in hits} == {"EVENT"}
    assert hits[0]["node"] == {
        "title": "Pelatihan Kader Posyandu: Pemantauan Pertumbuhan dan Konseling Gizi Balita",
        "timeZoneAbbreviation": "WITA",
    }
    assert verified["verifyCertificate"] == {
        "valid": True,
        "participantName": "Dewi Lestari",
        "attendedEvent": {"title": "Pelatihan Pengelolaan Bank Sampah Digital", "status": "FINISHED"},
    }


async def test_demo_exchanges_cover_every_state_between_provinces_and_one_became_a_replication(
    demo_api: GraphQLClient,
) -> None:
    # given: the demo hub admin, who reads every organization's exchanges
    signed_in = await demo_api.mutate(
        DEMO_TOKEN, {"email": "admin@demo.lumbung.id", "password": "lumbung-admin-demo"}
    )
    admin = demo_api.as_user(signed_in["session"]["accessToken"])
    # when
    data = await admin.data(DEMO_EXCHANGES)
    # then
    exchanges = [
        exchange
        for organization in data["organizations"]["nodes"]
        for exchange in organization["exchangeRequests"]["nodes"]
    ]
    assert len(exchanges) >= 8
    assert all(exchange["isDemo"] for exchange in exchanges)
    assert {exchange["state"] for exchange in exchanges} == {
        "REQUESTED",
        "ACCEPTED",
        "DECLINED",
        "SCHEDULED",
        "COMPLETED",
        "CANCELLED",
    }
    assert {exchange["kind"] for exchange in exchanges} == {"STUDY_VISIT", "MENTORING", "DOCUMENTS"}
    assert {exchange["subject"]["__typename"] for exchange in exchanges} == {"Practice", "Partnership"}
    for exchange in exchanges:  # from one province to another
        assert exchange["requestingRegion"]["code"][:2] != exchange["ownerOrganization"]["region"]["code"][:2]
    (converted,) = [exchange for exchange in exchanges if exchange["replication"]]
    assert converted["state"] == "COMPLETED"
    assert converted["replication"]["practice"]["id"] == converted["subject"]["id"]


DEMO_INDICATORS = """
{
  practices(first: 100) {
    nodes { title results { stale reports { period } } freshness { reportedIndicatorCount } }
  }
  replications(first: 100) {
    nodes { title indicatorComparison { original { key } points { replicationValue originalValue } } }
  }
}
"""


async def test_demo_indicators_have_reports_some_stale_and_comparable_replications(
    demo_api: GraphQLClient,
) -> None:
    # when
    data = await demo_api.data(DEMO_INDICATORS)
    # then: at least 15 practices report their indicators, some of them not lately
    practices = data["practices"]["nodes"]
    reported = [p for p in practices if p["freshness"]["reportedIndicatorCount"] > 0]
    assert len(reported) >= 15
    indicators = [i for p in practices for i in p["results"]]
    assert any(i["stale"] for i in indicators)
    assert sum(1 for i in indicators if i["reports"] and not i["stale"]) >= 15
    # and replications line up with their originals on shared periods
    compared = [
        point
        for replication in data["replications"]["nodes"]
        for comparison in replication["indicatorComparison"]
        for point in comparison["points"]
        if point["replicationValue"] is not None and point["originalValue"] is not None
    ]
    assert len({r["title"] for r in data["replications"]["nodes"] if r["indicatorComparison"]}) >= 8
    assert len(compared) >= 20


DEMO_FUNDING = """
{
  fundingSummary {
    practiceCount totalAmount
    bySource { source practiceCount }
    byStage { stage count }
    costPerBeneficiary { count min median max }
  }
}
"""


async def test_demo_practices_have_varied_funding_and_beneficiaries(demo_api: GraphQLClient) -> None:
    # when
    data = await demo_api.data(DEMO_FUNDING)
    summary = data["fundingSummary"]
    # then: the funding page has something to show: many sources, every published practice
    # with a cost per beneficiary, and costs that differ by orders of magnitude
    sources = {row["source"]: row["practiceCount"] for row in summary["bySource"]}
    assert {"APBD", "DANA_KELURAHAN", "DANA_DESA", "CSR", "GRANT", "COMMUNITY"} <= sources.keys()
    assert sum(count >= 5 for count in sources.values()) >= 4
    assert summary["practiceCount"] >= 30
    assert summary["costPerBeneficiary"]["count"] == summary["practiceCount"]
    assert summary["costPerBeneficiary"]["max"] > 100 * summary["costPerBeneficiary"]["min"]
    assert sum(row["count"] > 0 for row in summary["byStage"]) >= 3
