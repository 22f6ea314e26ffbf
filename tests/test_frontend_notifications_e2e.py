"""Follows, the live unread badge, the notifications page and the profile page, in a real browser.

The site (on the demo content), Chromium and a page per test come from tests/browser.py. The
member is made for each test in the demo database (so the badge starts from nothing), and so is
the other person whose reply the member is told of; both are removed afterwards with everything
the test wrote there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Page, Request, Route, WebSocketRoute, expect
from pymongo import AsyncMongoClient

from resolvers.ids import decode_id
from server.supervisor import LocalService
from storage.database import Stores
from storage.demo import demo_organization_ids
from storage.store import Document
from storage.vocabulary import Role
from tests.browser import MEMBER_EMAIL, MEMBER_PASSWORD, api_token, sign_in
from tests.conftest import serving, settings_for
from tests.support import TEST_PASSWORD, user_with_token
from tests.test_frontend_e2e import REFUSED_TOKEN_LOG, forged, store_session, stored_session

MEMBER_ORGANIZATION = "Pemerintah Kelurahan Pagesangan"
OTHER_ORGANIZATION = "Pemerintah Kelurahan Depok Jaya"
PRACTICE_TITLE = "Bank Sampah Digital"

PRACTICES = "{ practices(first: 100, order: TITLE) { nodes { id title } } }"
START_THREAD = """
mutation($input: StartThreadInput!) { startThread(input: $input) { thread { id } errors { code } } }
"""
REPLY = """
mutation($input: ReplyInput!) { replyToThread(input: $input) { reply { id } errors { code } } }
"""
SETTINGS = "{ viewer { notificationSettings { mutedReasons digest language } } }"
QUESTION = "Berapa lama warga perlu dilatih sebelum bank sampah berjalan sendiri?"
FOLLOW_UP = "Tambahan: modul pelatihannya bisa kami kirim bila diminta."
ANSWER = "Kami melatih pengurus selama dua bulan, lalu warga ikut dalam pertemuan RT."
# How long a live change may take to reach the page (the watcher, the notifier, the socket).
LIVE_PATIENCE_MS = 20_000
LIVE_GAUGES = re.compile(r"^(lumbung_live_connections|lumbung_live_subscriptions) (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
async def site(mongo: LocalService, meili: LocalService, demo_database: str) -> AsyncIterator[str]:
    """The demo site of tests/browser.py, with live updates (the subscriptions' watchers) on."""
    async with serving(settings_for(mongo, meili, demo_database, live_updates=True)) as url:
        yield url


@dataclass
class People:
    member_email: str
    other_name: str
    other_token: str
    asker_token: str


@pytest.fixture
async def people(mongo_client: AsyncMongoClient[Document], demo_database: str) -> AsyncIterator[People]:
    """A member of Pagesangan (who follows and is told), and a member of Depok Jaya (who answers)."""
    stores = Stores.of(mongo_client[demo_database])
    organizations = await demo_organization_ids(stores, [MEMBER_ORGANIZATION, OTHER_ORGANIZATION])
    member_email = f"{uuid.uuid4().hex[:8]}@uji.lumbung.id"
    member, _ = await user_with_token(
        stores,
        role=Role.MEMBER,
        organization_id=organizations[MEMBER_ORGANIZATION],
        email=member_email,
        name="Baiq Nurul Hidayah",
    )
    other_name = "Rahmat Hidayat"
    other, other_token = await user_with_token(
        stores, role=Role.MEMBER, organization_id=organizations[OTHER_ORGANIZATION], name=other_name
    )
    # and the one who asks the question the other answers
    asker, asker_token = await user_with_token(
        stores, role=Role.MEMBER, organization_id=organizations[OTHER_ORGANIZATION], name="Yakobus Ndun"
    )
    yield People(member_email, other_name, other_token, asker_token)
    # the demo database is shared by the session: leave it as it was
    database = mongo_client[demo_database]
    user_ids = [member.id, other.id, asker.id]
    threads = stores.discussions.threads.collection.find({"author_id": {"$in": user_ids}}, {"version": 1})
    versions = {document["_id"]: document["version"] async for document in threads}
    await stores.discussions.replies.collection.delete_many({"thread_id": {"$in": list(versions)}})
    for thread_id, version in versions.items():
        # through the store, so that the search index lets go of the question too
        await stores.discussions.threads.delete(id=thread_id, expected_version=version)
    outbox = database["search_outbox"]
    unindexed = {"record_id": {"$in": list(versions)}, "done": False}
    for _ in range(100):  # the site's indexer takes them out before the next test searches
        if not await outbox.count_documents(unindexed):
            break
        await asyncio.sleep(0.1)
    await stores.follows.collection.delete_many({"user_id": {"$in": user_ids}})
    await stores.notifications.collection.delete_many({"user_id": {"$in": user_ids}})
    await database["notification_settings"].delete_many({"_id": {"$in": user_ids}})
    await stores.sessions.collection.delete_many({"user_id": {"$in": user_ids}})
    await stores.users.collection.delete_many({"_id": {"$in": user_ids}})


async def practice_id(site: str) -> str:
    async with httpx.AsyncClient(base_url=site) as http:
        nodes = (await http.post("/graphql", json={"query": PRACTICES})).json()["data"]["practices"]["nodes"]
    (practice,) = [node for node in nodes if node["title"].startswith(PRACTICE_TITLE)]
    identifier: str = practice["id"]
    return identifier


async def as_other(site: str, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=site, headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
    data: dict[str, Any] = response.json()["data"]
    return data


def badge(page: Page) -> Any:
    return page.locator("#nav .unread-badge")


def notifications_link(page: Page) -> Any:
    return page.locator("#nav .nav-notifications")


async def subscribed(site: str) -> None:
    """Wait until the server holds the page's subscription: one connection with one subscription.

    The page says data-live="socket" at connection_ack, before its subscribe has reached the
    server; a notification written in between would go unseen until the next poll. (The site
    serves this module alone, and each test's page is the only one left open.)
    """
    gauges: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=site) as http:
        for _ in range(200):
            text = (await http.get("/metrics")).text
            gauges = {name: float(value) for name, value in LIVE_GAUGES.findall(text)}
            if gauges == {"lumbung_live_connections": 1.0, "lumbung_live_subscriptions": 1.0}:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the page's subscription did not reach the server: {gauges}")


async def following_a_question(page: Page, site: str, people: People) -> str:
    """The member signed in on the practice's page, following a new question of Depok Jaya's
    member; the question's ID."""
    practice = await practice_id(site)
    started = await as_other(
        site,
        people.asker_token,
        START_THREAD,
        {"input": {"subjectId": practice, "kind": "QUESTION", "title": QUESTION, "body": QUESTION}},
    )
    thread_id: str = started["startThread"]["thread"]["id"]
    await page.goto(f"/#/sign-in?next=%2Fitem%2F{practice}%3Fthread%3D{thread_id}")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    follow = page.locator(f"article.thread[data-thread-id='{thread_id}'] .follow-button")
    await follow.click()
    await expect(follow).to_have_attribute("aria-pressed", "true")
    return thread_id


async def reply(site: str, people: People, thread_id: str, body: str = ANSWER) -> None:
    """Depok Jaya's member replies in the thread, through the API."""
    replied = await as_other(
        site, people.other_token, REPLY, {"input": {"threadId": thread_id, "body": body}}
    )
    assert replied["replyToThread"]["errors"] == []


@dataclass
class Relay:
    """The page's live connections, passed on to the server through the test, which can hold back
    the server's `next` messages and end a subscription as the server does."""

    opened: int = 0
    from_page: list[dict[str, Any]] = field(default_factory=list)
    holding: bool = False
    held: list[str | bytes] = field(default_factory=list)
    page_side: WebSocketRoute | None = None
    server_side: WebSocketRoute | None = None

    def __call__(self, route: WebSocketRoute) -> None:
        self.opened += 1
        server = route.connect_to_server()
        self.page_side, self.server_side = route, server

        def to_server(message: str | bytes) -> None:
            self.from_page.append(json.loads(message))
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if self.holding and json.loads(message).get("type") == "next":
                self.held.append(message)
            else:
                route.send(message)

        route.on_message(to_server)
        server.on_message(to_page)

    def subscriptions(self) -> list[str]:
        return [message["id"] for message in self.from_page if message.get("type") == "subscribe"]

    async def until(self, condition: Any) -> None:
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"the relay never saw it: {self.from_page}, held {self.held}")

    def release(self) -> None:
        assert self.page_side is not None
        self.holding = False
        for message in self.held:
            self.page_side.send(message)
        self.held.clear()

    def end_subscription(self, code: str) -> None:
        """What the server sends when it drops a subscriber (an error, then complete); the server's
        own subscription is completed for it."""
        assert self.page_side is not None
        assert self.server_side is not None
        current = self.subscriptions()[-1]
        error = {"message": "Ended by the server.", "extensions": {"code": code}}
        self.page_side.send(json.dumps({"id": current, "type": "next", "payload": {"errors": [error]}}))
        self.page_side.send(json.dumps({"id": current, "type": "complete"}))
        self.server_side.send(json.dumps({"id": current, "type": "complete"}))


async def test_a_member_follows_a_thread_and_is_told_of_a_reply_live_then_reads_it(
    page: Page, site: str, people: People, output_dir: Path
) -> None:
    # given: a question of a Depok Jaya member on the waste-bank practice
    practice = await practice_id(site)
    started = await as_other(
        site,
        people.asker_token,
        START_THREAD,
        {"input": {"subjectId": practice, "kind": "QUESTION", "title": QUESTION, "body": QUESTION}},
    )
    thread_id = started["startThread"]["thread"]["id"]
    # and: the member of Pagesangan signed in, on the practice opened at that question
    await page.goto(f"/#/sign-in?next=%2Fitem%2F{practice}%3Fthread%3D{thread_id}")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    thread = page.locator(f"article.thread[data-thread-id='{thread_id}']")
    follow = thread.locator(".follow-button")
    await expect(follow).to_have_attribute("aria-pressed", "false")
    await expect(follow).to_have_text(re.compile(r"^Ikuti"))
    count = thread.locator(".follow-count")
    before = int((await count.inner_text()).split()[0])

    # when: the member follows the question
    await follow.click()
    # then: the button is pressed and the count goes up, also after a reload
    await expect(follow).to_have_attribute("aria-pressed", "true")
    await expect(follow).to_have_text(re.compile(r"^Berhenti mengikuti"))
    await expect(count).to_have_text(f"{before + 1} pengikut")
    await page.reload()
    await expect(follow).to_have_attribute("aria-pressed", "true")
    await expect(count).to_have_text(f"{before + 1} pengikut")
    # and: nothing unread yet, the socket connected and subscribed
    await expect(page.locator("html")).to_have_attribute("data-live", "socket")
    await subscribed(site)
    await expect(badge(page)).to_be_hidden()

    # when: Depok Jaya's member answers, through the API
    replied = await as_other(
        site, people.other_token, REPLY, {"input": {"threadId": thread_id, "body": ANSWER}}
    )
    assert replied["replyToThread"]["errors"] == []
    # then: the badge counts it without a reload
    await expect(badge(page)).to_be_visible(timeout=LIVE_PATIENCE_MS)
    await expect(badge(page)).to_contain_text("1")
    await expect(notifications_link(page)).to_have_accessible_name(
        re.compile(r"Pemberitahuan\s*1 belum dibaca")
    )

    # when: the member opens the notifications
    await page.locator("#nav").get_by_role("link", name=re.compile("^Pemberitahuan")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pemberitahuan")
    card = page.locator("article.notification").first
    # then: the reply is there, unread, naming who and where
    await expect(card).to_have_class(re.compile(r"\bunread\b"))
    await expect(card).to_contain_text(f"{people.other_name} membalas di diskusi yang Anda ikuti")
    await expect(card.get_by_role("link", name=QUESTION)).to_be_visible()
    # (frontend_stub/docs/notifications.png is a copy of it, as the README shows it)
    await page.screenshot(path=output_dir / "notifications.png")

    # when: it is marked read (the button names what it marks, for screen readers)
    await card.get_by_role("button", name=re.compile(rf"^Tandai dibaca\s*: {re.escape(QUESTION)}$")).click()
    # then: the badge goes, and the card is read
    await expect(badge(page)).to_be_hidden()
    await expect(card).not_to_have_class(re.compile(r"\bunread\b"))
    await expect(page.get_by_role("button", name="Tandai semua dibaca")).to_be_disabled()

    # when: another reply comes while the page is open
    again = await as_other(
        site, people.other_token, REPLY, {"input": {"threadId": thread_id, "body": FOLLOW_UP}}
    )
    assert again["replyToThread"]["errors"] == []
    # then: it is offered at the top, in a live region, not pushed under the reader's eyes, and
    # the badge counts it
    await expect(badge(page)).to_contain_text("1", timeout=LIVE_PATIENCE_MS)
    await expect(page.locator("article.notification")).to_have_count(1)
    offer = page.get_by_role("status").filter(has_text="1 pemberitahuan baru")
    await offer.get_by_role("button", name="1 pemberitahuan baru · tampilkan").click()
    await expect(page.locator("article.notification")).to_have_count(2)
    await expect(page.locator("article.notification.unread")).to_have_count(1)
    card = page.locator("article.notification").last
    await expect(card).not_to_have_class(re.compile(r"\bunread\b"))

    # and: a link opens the question on the practice's page
    await card.get_by_role("link", name=QUESTION).click()
    await expect(page.locator(f"article.thread[data-thread-id='{thread_id}']")).to_contain_text(ANSWER)


async def test_a_signed_out_visitor_signs_in_to_follow_a_practice_which_stays_followed(
    page: Page, site: str, people: People
) -> None:
    # given: the practice's page, signed out
    practice = await practice_id(site)
    await page.goto(f"/#/item/{practice}")
    header = page.locator(".detail-header")
    # when: "Ikuti" is followed
    await header.get_by_role("link", name=re.compile(r"^Ikuti")).click()
    # then: it asks to sign in, and comes back to the practice
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    follow = header.locator(".follow-button")
    await expect(follow).to_have_attribute("aria-pressed", "false")
    before = int((await header.locator(".follow-count").inner_text()).split()[0])

    # when: the member follows it
    await follow.click()
    # then: pressed, one more follower, and so after a reload
    await expect(follow).to_have_attribute("aria-pressed", "true")
    await expect(header.locator(".follow-count")).to_have_text(f"{before + 1} pengikut")
    await page.reload()
    await expect(follow).to_have_attribute("aria-pressed", "true")
    await expect(header.locator(".follow-count")).to_have_text(f"{before + 1} pengikut")

    # when: the profile lists it, and the member stops following it there
    await page.locator("#nav").get_by_role("link", name="Profil").click()
    item = page.locator(".follow-item", has_text=PRACTICE_TITLE)
    await expect(item).to_contain_text("Praktik baik")
    # (each such button names what it stops following, for screen readers)
    await item.get_by_role(
        "button", name=re.compile(rf"^Berhenti mengikuti\s*: Praktik baik {PRACTICE_TITLE}")
    ).click()
    await expect(item).to_have_count(0)
    # then: the practice's button is back to "Ikuti"
    await page.goto(f"/#/item/{practice}")
    await expect(follow).to_have_attribute("aria-pressed", "false")
    await expect(header.locator(".follow-count")).to_have_text(f"{before} pengikut")


async def test_the_profile_page_saves_a_daily_digest_and_a_muted_reason(
    page: Page, site: str, people: People
) -> None:
    # given: the member's profile
    await page.goto("/#/sign-in?next=%2Fprofile")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Profil")
    form = page.locator("form.settings-form")
    # (a weekly digest in Indonesian, of every reason, until one chooses otherwise)
    await expect(form.get_by_label("Mingguan")).to_be_checked()
    await expect(form.get_by_label("Bahasa email")).to_have_value("ID")
    # when: a daily digest in English, without event changes, is saved
    await form.get_by_label("Harian").check()
    await form.get_by_label("Kegiatan tempat saya terdaftar atau yang saya ikuti berubah").uncheck()
    await form.get_by_label("Bahasa email").select_option("EN")
    await form.get_by_role("button", name="Simpan pengaturan").click()
    # then: it says so, and a reload shows the same
    await expect(form.locator(".form-status")).to_have_text("Pengaturan tersimpan.")
    await page.reload()
    await expect(form.get_by_label("Harian")).to_be_checked()
    await expect(
        form.get_by_label("Kegiatan tempat saya terdaftar atau yang saya ikuti berubah")
    ).not_to_be_checked()
    await expect(form.get_by_label("Pertanyaan saya dijawab")).to_be_checked()
    await expect(form.get_by_label("Bahasa email")).to_have_value("EN")
    # and: the API has it as saved
    async with httpx.AsyncClient(base_url=site) as http:
        token = await api_token(http, people.member_email, TEST_PASSWORD)
        response = await http.post(
            "/graphql", json={"query": SETTINGS}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.json()["data"]["viewer"]["notificationSettings"] == {
        "mutedReasons": ["EVENT_CHANGED"],
        "digest": "DAILY",
        "language": "EN",
    }


EVENTS = "{ events(first: 1) { nodes { id title } } }"
INCOMING = """
{ viewer { organization { exchangeRequests(direction: INCOMING, first: 1) { nodes { id message } } } } }
"""


async def first_event(site: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=site) as http:
        (event,) = (await http.post("/graphql", json={"query": EVENTS})).json()["data"]["events"]["nodes"]
    found: dict[str, str] = event
    return found


async def test_the_notifications_page_pages_filters_the_unread_and_marks_all_read(
    page: Page, site: str, people: People, mongo_client: AsyncMongoClient[Document], demo_database: str
) -> None:
    # given: 25 notifications of the member about a demo event, the 5 oldest read already
    stores = Stores.of(mongo_client[demo_database])
    event = await first_event(site)
    _, event_id = decode_id(event["id"])
    member = await stores.users.collection.find_one({"email": people.member_email})
    assert member is not None
    start = datetime.now(UTC) - timedelta(hours=30)
    await stores.notifications.deliver(
        [
            {
                "_id": f"uji{index:02d}:{member['_id']}",
                "user_id": member["_id"],
                "reason": "EVENT_CHANGED",
                "activity_id": f"uji{index:02d}",
                "actor_name": "Panitia Pelatihan",
                "subject_type": "Event",
                "subject_id": event_id,
                "summary": f"Perubahan jadwal ke-{index + 1}",
                "created_at": start + timedelta(hours=index),
            }
            for index in range(25)
        ]
    )
    await stores.notifications.collection.update_many(
        {"user_id": member["_id"], "activity_id": {"$in": [f"uji{index:02d}" for index in range(5)]}},
        {"$set": {"read": True}},
    )
    await page.goto("/#/sign-in?next=%2Fnotifications")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    cards = page.locator("article.notification")
    # then: the newest 20, the badge counting the 20 unread
    await expect(cards).to_have_count(20)
    await expect(cards.first).to_contain_text("Perubahan jadwal ke-25")
    await expect(page.locator(".notifications-page .result-status")).to_have_text(
        "25 pemberitahuan, 20 belum dibaca"
    )
    await expect(badge(page)).to_contain_text("20")
    # and: each links to the event's own page
    await expect(cards.first.get_by_role("link", name="Perubahan jadwal ke-25")).to_have_attribute(
        "href", f"#/kegiatan/{quote(event['id'], safe='')}"
    )

    # when: the rest is loaded
    await page.get_by_role("button", name="Muat lagi").click()
    # then: all 25, the oldest read
    await expect(cards).to_have_count(25)
    await expect(cards.last).to_contain_text("Perubahan jadwal ke-1")
    await expect(cards.last).not_to_have_class(re.compile(r"\bunread\b"))
    await expect(page.get_by_role("button", name="Muat lagi")).to_have_count(0)

    # when: only the unread are asked for
    await page.get_by_label("Hanya yang belum dibaca").check()
    # then: 20, and the address says so (a reload keeps it)
    await expect(cards).to_have_count(20)
    await expect(page).to_have_url(re.compile(r"#/notifications\?unread=1$"))

    # when: all are marked read
    await page.get_by_role("button", name="Tandai semua dibaca").click()
    # then: none is left unread, nor counted by the badge
    await expect(page.locator("article.notification.unread")).to_have_count(0)
    await expect(badge(page)).to_be_hidden()
    await page.reload()
    await expect(page.locator(".notifications-page .result-status")).to_have_text(
        "Tidak ada pemberitahuan yang belum dibaca."
    )


async def test_item_links_of_an_event_and_of_an_exchange_request_open_their_own_pages(
    page: Page, site: str
) -> None:
    # given: a demo event, and an exchange asked of the demo member's kelurahan
    event = await first_event(site)
    async with httpx.AsyncClient(base_url=site) as http:
        token = await api_token(http, MEMBER_EMAIL, MEMBER_PASSWORD)
        data = (
            await http.post(
                "/graphql", json={"query": INCOMING}, headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
    (exchange,) = data["data"]["viewer"]["organization"]["exchangeRequests"]["nodes"]
    # when: "#/item/<id>" of the event is opened
    await page.goto(f"/#/item/{quote(event['id'], safe='')}")
    # then: the event's page shows, at its own address, with its follow button
    await expect(page).to_have_url(re.compile(r"#/kegiatan/"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(event["title"])
    await expect(page.locator(".detail-header .follow-button")).to_be_visible()

    # when: "#/item/<id>" of the exchange is opened (as from an email), signed out
    await page.goto(f"/#/item/{quote(exchange['id'], safe='')}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    await sign_in(page)
    # then: after signing in, that one request shows among the exchanges
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pertukaran antardaerah")
    card = page.locator(".exchange-card")
    await expect(card).to_have_count(1)
    await expect(card.locator(".exchange-message")).to_have_text(exchange["message"])
    await expect(page.get_by_role("link", name="Semua pertukaran")).to_be_visible()


REFUSED = {
    "data": {
        "follow": {
            "followerCount": None,
            "follow": None,
            "errors": [{"field": None, "code": "FORBIDDEN", "message": "You may not do this."}],
        }
    }
}


async def test_following_a_theme_from_search_goes_back_when_refused_and_holds_when_accepted(
    page: Page, site: str, people: People
) -> None:
    # given: the search narrowed to the health theme, signed in
    await page.goto("/#/sign-in?next=%2Fsearch%3Ftheme%3DHEALTH")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    bar = page.locator(".follow-bar li", has_text="Kesehatan")
    follow = bar.locator(".follow-button")
    await expect(follow).to_have_attribute("aria-pressed", "false")
    before = await bar.locator(".follow-count").inner_text()

    # when: the server refuses the follow
    async def refused(route: Route) -> None:
        if "mutation Follow" in (route.request.post_data or ""):
            await route.fulfill(status=200, content_type="application/json", body=json.dumps(REFUSED))
        else:
            await route.continue_()

    await page.route("**/graphql", refused)
    await follow.click()
    # then: the button is as it was, and says why
    await expect(bar.locator(".follow-status")).to_have_text("Anda tidak berhak melakukan ini.")
    await expect(follow).to_have_attribute("aria-pressed", "false")
    await expect(bar.locator(".follow-count")).to_have_text(before)
    await page.unroute("**/graphql")

    # when: it is tried again, and accepted
    await follow.click()
    # then: followed, and listed on the profile as a theme
    await expect(follow).to_have_attribute("aria-pressed", "true")
    await expect(bar.locator(".follow-status")).to_have_text("Anda sekarang mengikuti ini.")
    await page.locator("#nav").get_by_role("link", name="Profil").click()
    await expect(page.locator(".follow-item", has_text="Kesehatan")).to_contain_text("Tema")


async def test_a_refused_socket_token_is_renewed_and_the_badge_stays_live(
    page: Page, site: str, people: People, browser_problems: list[str]
) -> None:
    # given: the member signed in, following a question of Depok Jaya's member
    thread_id = await following_a_question(page, site, people)
    follow = page.locator(f"article.thread[data-thread-id='{thread_id}'] .follow-button")
    # when: the page comes back with an access token the server refuses (expired, revoked)
    signed_in = await stored_session(page)
    await store_session(page, {**signed_in, "accessToken": forged(signed_in["accessToken"])})
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await page.reload()
    # then: the socket, refused with 4403, is opened again with a renewed token
    await expect(page.locator("html")).to_have_attribute("data-live", "socket")
    assert len(sockets) == 2
    await expect(follow).to_have_attribute("aria-pressed", "true")
    assert (await stored_session(page))["accessToken"] != signed_in["accessToken"]
    # and: a reply still reaches the badge without a reload
    await subscribed(site)
    await reply(site, people, thread_id)
    await expect(badge(page)).to_contain_text("1", timeout=LIVE_PATIENCE_MS)
    # the browser logged the refused HTTP requests, and nothing else went wrong
    assert all(REFUSED_TOKEN_LOG in problem for problem in browser_problems), browser_problems
    browser_problems.clear()


async def test_a_notification_counted_already_is_not_counted_again_when_it_arrives(
    page: Page, site: str, people: People
) -> None:
    # given: the member following a question, live, the server's messages passing through the test
    relay = Relay()
    await page.route_web_socket("**/graphql", relay)
    thread_id = await following_a_question(page, site, people)
    await expect(page.locator("html")).to_have_attribute("data-live", "socket")
    await subscribed(site)
    # and: a reply whose notification is held back on its way to the page
    relay.holding = True
    await reply(site, people, thread_id)
    await relay.until(lambda: relay.held)
    # and: the notifications page, which counts it from the server
    await notifications_link(page).click()
    await expect(page.locator("article.notification")).to_have_count(1)
    await expect(notifications_link(page)).to_have_accessible_name(re.compile(r"1 belum dibaca$"))

    # when: the notification arrives over the socket after all
    relay.release()
    # then: it is offered, and the badge still counts one unread, not two
    await expect(page.get_by_role("button", name="1 pemberitahuan baru · tampilkan")).to_be_visible()
    await expect(notifications_link(page)).to_have_accessible_name(re.compile(r"1 belum dibaca$"))
    await expect(badge(page).locator("[aria-hidden]")).to_have_text("1")


async def test_a_connection_that_stops_answering_is_given_up_at_the_pong_timeout_and_opened_again(
    page: Page, site: str, people: People
) -> None:
    # given: a first live connection that goes dead once acknowledged: it answers no ping, and
    # its closing handshake never ends (a laptop woken up, a proxy that dropped it)
    opened: list[WebSocketRoute] = []

    def dead_then_real(route: WebSocketRoute) -> None:
        opened.append(route)
        if len(opened) > 1:
            route.connect_to_server()
            return

        def answer(message: str | bytes) -> None:
            if json.loads(message).get("type") == "connection_init":
                route.send(json.dumps({"type": "connection_ack"}))

        route.on_message(answer)
        route.on_close(lambda code, reason: None)

    await page.route_web_socket("**/graphql", dead_then_real)
    await page.clock.install()
    thread_id = await following_a_question(page, site, people)
    html = page.locator("html")
    await expect(html).to_have_attribute("data-live", "socket")

    # when: the page's ping (every 25 s) goes unanswered for 10 s
    await page.clock.fast_forward(25_000)
    await page.clock.fast_forward(10_000)
    # then: the page polls at once, then connects again, and is live again
    await expect(html).to_have_attribute("data-live", "polling")
    await expect(html).to_have_attribute("data-live", "socket", timeout=LIVE_PATIENCE_MS)
    assert len(opened) == 2
    await subscribed(site)
    await reply(site, people, thread_id)
    await expect(badge(page)).to_contain_text("1", timeout=LIVE_PATIENCE_MS)


async def test_a_subscription_ended_for_missed_events_is_counted_again_and_renewed_on_the_same_socket(
    page: Page, site: str, people: People
) -> None:
    # given: the member following a question, live through the test
    relay = Relay()
    await page.route_web_socket("**/graphql", relay)
    thread_id = await following_a_question(page, site, people)
    await expect(page.locator("html")).to_have_attribute("data-live", "socket")
    await subscribed(site)
    # and: a reply whose notification the page misses
    relay.holding = True
    await reply(site, people, thread_id)
    await relay.until(lambda: relay.held)
    relay.held.clear()
    relay.holding = False
    await expect(badge(page)).to_be_hidden()

    # when: the server ends the subscription: events were missed (LIVE_RESYNC)
    first = relay.subscriptions()[-1]
    relay.end_subscription("LIVE_RESYNC")
    # then: the badge counts what was missed, from the server
    await expect(notifications_link(page)).to_have_accessible_name(re.compile(r"1 belum dibaca$"))
    # and: the page subscribes again on the same connection
    await relay.until(lambda: relay.subscriptions()[-1] != first)
    assert relay.opened == 1
    await expect(page.locator("html")).to_have_attribute("data-live", "socket")
    # and: the next reply reaches the badge live
    await subscribed(site)
    await reply(site, people, thread_id, FOLLOW_UP)
    await expect(notifications_link(page)).to_have_accessible_name(
        re.compile(r"2 belum dibaca$"), timeout=LIVE_PATIENCE_MS
    )


def unread_count_asked(request: Request) -> bool:
    return "UnreadCount" in (request.post_data or "")


async def test_a_server_without_live_updates_leaves_the_badge_to_polling_without_reconnecting(
    page: Page, site: str, people: People
) -> None:
    # given: the member signed in, live through the test
    relay = Relay()
    await page.route_web_socket("**/graphql", relay)
    await page.clock.install()
    await page.goto("/#/sign-in?next=%2Fprofile")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    html = page.locator("html")
    await expect(html).to_have_attribute("data-live", "socket")
    await relay.until(lambda: relay.subscriptions())

    # when: the server ends the subscription: it has no live updates (LIVE_UNAVAILABLE)
    relay.end_subscription("LIVE_UNAVAILABLE")
    # then: the page polls the count
    await expect(html).to_have_attribute("data-live", "polling")
    # and: a minute later it has polled, and not connected again
    async with page.expect_request(unread_count_asked) as polled:
        await page.clock.fast_forward(61_000)
    await polled.value
    await expect(html).to_have_attribute("data-live", "polling")
    assert relay.opened == 1


async def test_a_filter_changed_while_the_notifications_load_shows_each_card_once(
    page: Page, site: str, people: People, mongo_client: AsyncMongoClient[Document], demo_database: str
) -> None:
    # given: 3 notifications of the member, 1 read
    stores = Stores.of(mongo_client[demo_database])
    event = await first_event(site)
    _, event_id = decode_id(event["id"])
    member = await stores.users.collection.find_one({"email": people.member_email})
    assert member is not None
    await stores.notifications.deliver(
        [
            {
                "_id": f"ujiload{index}:{member['_id']}",
                "user_id": member["_id"],
                "reason": "EVENT_CHANGED",
                "activity_id": f"ujiload{index}",
                "actor_name": "Panitia Pelatihan",
                "subject_type": "Event",
                "subject_id": event_id,
                "summary": f"Perubahan tempat ke-{index + 1}",
                "created_at": datetime.now(UTC) - timedelta(hours=index),
            }
            for index in range(3)
        ]
    )
    await stores.notifications.collection.update_one({"activity_id": "ujiload2"}, {"$set": {"read": True}})
    # and: the notifications page's answers held until the test lets them go
    held: list[Route] = []

    async def hold(route: Route) -> None:
        if "query Notifications" in (route.request.post_data or ""):
            held.append(route)
        else:
            await route.continue_()

    await page.route("**/graphql", hold)
    await page.goto("/#/sign-in?next=%2Fnotifications")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    for _ in range(200):
        if held:
            break
        await asyncio.sleep(0.05)

    # when: "unread only" is ticked before the first load has answered
    await page.get_by_label("Hanya yang belum dibaca").check()
    for _ in range(200):
        if len(held) == 2:
            break
        await asyncio.sleep(0.05)
    # and: the first load's answer comes, then the second's
    for route in held:
        with contextlib.suppress(Exception):  # the page may have given up the first already
            await route.fulfill(response=await route.fetch())
    # then: the unread two show, each once
    status = page.locator(".notifications-page .result-status")
    await expect(status).to_contain_text("2 belum dibaca")
    cards = page.locator("article.notification")
    await expect(cards).to_have_count(2)
    await expect(page.locator("article.notification.unread")).to_have_count(2)


async def test_english_says_what_an_event_notification_means_and_counts_one_follower(
    page: Page, site: str, people: People, mongo_client: AsyncMongoClient[Document], demo_database: str
) -> None:
    # given: one notification of the member: an event changed
    stores = Stores.of(mongo_client[demo_database])
    event = await first_event(site)
    _, event_id = decode_id(event["id"])
    member = await stores.users.collection.find_one({"email": people.member_email})
    assert member is not None
    await stores.notifications.deliver(
        [
            {
                "_id": f"ujien:{member['_id']}",
                "user_id": member["_id"],
                "reason": "EVENT_CHANGED",
                "activity_id": "ujien",
                "actor_name": "Panitia Pelatihan",
                "subject_type": "Event",
                "subject_id": event_id,
                "summary": "Jadwal baru",
                "created_at": datetime.now(UTC),
            }
        ]
    )
    # and: the member following a new question (its only follower), the page in English
    thread_id = await following_a_question(page, site, people)
    await page.get_by_role("button", name="Switch the interface to English").click()
    # then: one follower, in the singular
    thread = page.locator(f"article.thread[data-thread-id='{thread_id}']")
    await expect(thread.locator(".follow-count")).to_have_text("1 follower")
    # when: the notifications are opened
    await page.locator("#nav").get_by_role("link", name=re.compile("^Notifications")).click()
    # then: the event's notification says it concerns an event registered for or followed
    card = page.locator("article.notification")
    await expect(card).to_contain_text("An event you registered for or follow changed")
    await expect(page.locator(".notifications-page .result-status")).to_have_text("1 notification, 1 unread")
    # and: the profile's checkbox for it says the same
    await page.locator("#nav").get_by_role("link", name="Profile").click()
    await expect(page.get_by_label("An event I registered for or follow changes")).to_be_checked()


async def test_the_region_follow_button_of_the_search_is_named_after_the_region(
    page: Page, site: str, people: People
) -> None:
    # given: the search narrowed to West Java, signed in
    await page.goto("/#/sign-in?next=%2Fsearch%3Fregion%3D32")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    # then: the region's follow button says what it follows
    bar = page.locator(".follow-bar")
    await expect(bar.get_by_role("button", name=re.compile(r"^Ikuti\s*: Jawa Barat$"))).to_be_visible()


async def test_a_muted_reason_this_page_does_not_know_stays_muted_when_the_settings_are_saved(
    page: Page, site: str, people: People
) -> None:
    # given: settings that mute a reason newer than this page (as a newer server may send)
    sent: list[dict[str, Any]] = []

    async def newer_server(route: Route) -> None:
        body = route.request.post_data or ""
        if "query Profile" in body:
            response = await route.fetch()
            data = await response.json()
            data["data"]["viewer"]["notificationSettings"]["mutedReasons"] = ["POLL_OPENED"]
            await route.fulfill(response=response, body=json.dumps(data))
        elif "UpdateNotificationSettings" in body:
            sent.append(json.loads(body)["variables"]["input"])
            settings = {**sent[-1]}
            payload = {"settings": settings, "errors": []}
            await route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"data": {"updateNotificationSettings": payload}}),
            )
        else:
            await route.continue_()

    await page.route("**/graphql", newer_server)
    await page.goto("/#/sign-in?next=%2Fprofile")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    form = page.locator("form.settings-form")
    # when: another reason is unticked and the settings saved
    await form.get_by_label("Pertanyaan saya dijawab").uncheck()
    await form.get_by_role("button", name="Simpan pengaturan").click()
    # then: it says so, and the unknown reason was sent muted too
    await expect(form.locator(".form-status")).to_have_text("Pengaturan tersimpan.")
    assert sent[-1]["mutedReasons"] == ["POLL_OPENED", "ANSWER_TO_MY_QUESTION"]


async def test_a_page_whose_connection_a_newer_one_replaced_polls_until_it_is_looked_at_again(
    page: Page, site: str, people: People
) -> None:
    # given: the member signed in, live through the test
    relay = Relay()
    await page.route_web_socket("**/graphql", relay)
    await page.clock.install()
    await page.goto("/#/sign-in?next=%2Fprofile")
    await sign_in(page, people.member_email, TEST_PASSWORD)
    html = page.locator("html")
    await expect(html).to_have_attribute("data-live", "socket")
    await relay.until(lambda: relay.subscriptions())

    # when: the server closes it for a newer connection of the member's (another tab: 4429)
    assert relay.page_side is not None
    await relay.page_side.close(code=4429, reason="Replaced by a newer connection.")
    # then: the page polls the count
    await expect(html).to_have_attribute("data-live", "polling")
    # and: a minute later it has polled, and not pushed the newer one out in turn
    async with page.expect_request(unread_count_asked) as polled:
        await page.clock.fast_forward(61_000)
    await polled.value
    await expect(html).to_have_attribute("data-live", "polling")
    assert relay.opened == 1

    # when: the page is looked at again
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    # then: it is live again, on a new connection
    await expect(html).to_have_attribute("data-live", "socket")
    assert relay.opened == 2
