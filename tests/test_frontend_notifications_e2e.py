"""Follows, the live unread badge, the notifications page and the profile page, in a real browser.

The site (on the demo content), Chromium and a page per test come from tests/browser.py. The
member is made for each test in the demo database (so the badge starts from nothing), and so is
the other person whose reply the member is told of; both are removed afterwards with everything
the test wrote there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from pymongo import AsyncMongoClient

from storage.database import Stores
from storage.demo import demo_organization_ids
from storage.store import Document
from storage.vocabulary import Role
from tests.browser import api_token, sign_in
from tests.support import TEST_PASSWORD, user_with_token

DOCS = Path(__file__).resolve().parent.parent / "frontend_stub" / "docs"
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
ANSWER = "Kami melatih pengurus selama dua bulan, lalu warga ikut dalam pertemuan RT."


@dataclass
class People:
    member_email: str
    other_name: str
    other_token: str


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
    yield People(member_email, other_name, other_token)
    # the demo database is shared by the session: leave it as it was
    database = mongo_client[demo_database]
    user_ids = [member.id, other.id]
    threads = stores.discussions.threads.collection.find({"author_id": {"$in": user_ids}}, {"_id": 1})
    thread_ids = [document["_id"] async for document in threads]
    await stores.discussions.replies.collection.delete_many({"thread_id": {"$in": thread_ids}})
    await stores.discussions.threads.collection.delete_many({"_id": {"$in": thread_ids}})
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
    await item.get_by_role("button", name="Berhenti mengikuti").click()
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
    await form.get_by_label("Kegiatan saya berubah").uncheck()
    await form.get_by_label("Bahasa email").select_option("EN")
    await form.get_by_role("button", name="Simpan pengaturan").click()
    # then: it says so, and a reload shows the same
    await expect(form.locator(".form-status")).to_have_text("Pengaturan tersimpan.")
    await page.reload()
    await expect(form.get_by_label("Harian")).to_be_checked()
    await expect(form.get_by_label("Kegiatan saya berubah")).not_to_be_checked()
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
