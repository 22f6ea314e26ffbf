"""Peer exchanges in the web client: a member of one kelurahan asks for a study visit on another's
published practice, and a member of the owning kelurahan accepts and schedules it.

The browser and the served demo site are in tests/browser.py. The requesting member is made for
the test in the demo database, and removed afterwards with everything the test wrote there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from pymongo import AsyncMongoClient

from storage.database import Stores
from storage.demo import demo_organization_ids
from storage.store import Document
from storage.vocabulary import Role
from tests.browser import ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_NAME, PHONE, account, api_token, sign_in
from tests.support import TEST_PASSWORD, user_with_token

REQUESTER_EMAIL = "lurah.pagesangan@uji.lumbung.id"
REQUESTER_NAME = "Baiq Nurul Hidayah"
REQUESTER_ORGANIZATION = "Pemerintah Kelurahan Pagesangan"
OWNER_ORGANIZATION = "Pemerintah Kelurahan Depok Jaya"
# The markup is typed by a person and must come back as the very same text, never as a tag.
MESSAGE = "Kami ingin belajar <b>langsung</b> cara kerja bank sampah induk dan aplikasi tabungannya."

PRACTICES = "{ practices(first: 100, order: TITLE) { nodes { id title organization { name } } } }"
EXCHANGE = """
query($id: ID!) {
  node(id: $id) { ... on ExchangeRequest { state schedule { place } auditTrail { action } } }
}
"""


@pytest.fixture
async def requester(mongo_client: AsyncMongoClient[Document], demo_database: str) -> AsyncIterator[str]:
    """A member of Kelurahan Pagesangan (Kota Mataram, NTB); the organization's local ID."""
    stores = Stores.of(mongo_client[demo_database])
    organizations = await demo_organization_ids(stores, [REQUESTER_ORGANIZATION])
    organization_id = organizations[REQUESTER_ORGANIZATION]
    user, _ = await user_with_token(
        stores, role=Role.MEMBER, organization_id=organization_id, email=REQUESTER_EMAIL, name=REQUESTER_NAME
    )
    yield organization_id
    # the demo database is shared by the session: leave it as it was
    asked = stores.exchanges.collection.find({"requester_organization_id": organization_id}, {"_id": 1})
    ids = [document["_id"] async for document in asked]
    await stores.audit_trail.collection.delete_many({"subject_id": {"$in": ids}})
    await stores.exchanges.collection.delete_many({"_id": {"$in": ids}})
    await stores.sessions.collection.delete_many({"user_id": user.id})
    await stores.users.collection.delete_one({"_id": user.id})


async def test_a_member_asks_for_a_study_visit_and_the_owner_accepts_and_schedules_it(
    page: Page, site: str, requester: str, output_dir: Path
) -> None:
    # given: Depok Jaya's published waste-bank practice, opened by a member of Pagesangan
    async with httpx.AsyncClient(base_url=site) as http:
        practices = (await http.post("/graphql", json={"query": PRACTICES})).json()["data"]["practices"]
    (practice,) = [
        p
        for p in practices["nodes"]
        if p["title"].startswith("Bank Sampah Digital") and p["organization"]["name"] == OWNER_ORGANIZATION
    ]
    await page.goto(f"/#/sign-in?next=%2Fitem%2F{practice['id']}")
    await sign_in(page, REQUESTER_EMAIL, TEST_PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text(practice["title"])

    # when: the form opens, starting from the member's own kelurahan
    await page.get_by_role("button", name="Minta kunjungan / mentoring").click()
    form = page.locator("form.exchange-form")
    await expect(form.get_by_label("Kelurahan/Desa", exact=True)).to_have_value("52.71.02.1001")
    await expect(form.get_by_label("Kunjungan belajar")).to_be_checked()
    start = date.today() + timedelta(days=40)
    await form.get_by_label("Rentang 1: Mulai").fill(start.isoformat())
    await form.get_by_label("Rentang 1: Selesai").fill((start + timedelta(days=1)).isoformat())
    await form.get_by_label("Jumlah peserta").fill("12")
    await form.get_by_label("Pesan").fill("Halo")
    await form.get_by_role("button", name="Kirim permintaan").click()
    # then: a message that is too short is refused next to its field
    await expect(form.locator(".error-summary")).to_be_focused()
    await expect(form.get_by_label("Pesan")).to_have_attribute("aria-invalid", "true")
    await expect(form.locator(".field.has-error")).to_contain_text("Terlalu pendek.")
    await form.screenshot(path=output_dir / "frontend-exchange-form.png")

    # when: a real message
    await form.get_by_label("Pesan").fill(MESSAGE)
    await form.get_by_role("button", name="Kirim permintaan").click()
    # then
    await expect(page.get_by_role("heading", name="Permintaan terkirim")).to_be_focused()
    await expect(page.locator(".exchange-request .success")).to_contain_text(OWNER_ORGANIZATION)
    await page.screenshot(path=output_dir / "frontend-exchange-request.png", full_page=True)

    # and: it is among Pagesangan's outgoing requests, its message shown as typed
    await page.get_by_role("link", name="Lihat pertukaran").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pertukaran antardaerah")
    await expect(page.get_by_role("tab", name="Keluar")).to_have_attribute("aria-selected", "true")
    sent = page.locator(".exchange-card", has_text="cara kerja bank sampah induk")
    await expect(sent).to_contain_text("Diminta")
    await expect(sent.locator("dd", has_text=OWNER_ORGANIZATION)).to_be_visible()
    await expect(sent.locator(".exchange-message")).to_have_text(MESSAGE)
    await expect(sent.locator(".exchange-message b")).to_have_count(0)
    await expect(sent.get_by_role("button", name="Batalkan")).to_be_visible()
    await expect(sent.get_by_role("button", name="Terima")).to_have_count(0)

    # when: a member of Depok Jaya signs in and opens the incoming requests
    await account(page).get_by_role("button", name="Keluar").click()
    await expect(account(page).get_by_role("link", name="Masuk")).to_be_visible()
    await page.goto("/#/sign-in?next=%2Fexchanges")
    await sign_in(page)
    await expect(account(page)).to_contain_text(MEMBER_NAME)
    await expect(page.get_by_role("tab", name="Masuk")).to_have_attribute("aria-selected", "true")
    await page.get_by_label("Status").select_option(label="Diminta")
    await expect(page).to_have_url(re.compile(r"state=REQUESTED"))
    card = page.locator(".exchange-card", has_text="cara kerja bank sampah induk")
    await expect(card.locator("dd", has_text=REQUESTER_ORGANIZATION)).to_be_visible()
    await expect(
        card.locator("dd", has_text=re.compile(r"^Pagesangan, .*Nusa Tenggara Barat$"))
    ).to_be_visible()
    # and accepts it
    await card.get_by_role("button", name="Terima").click()
    await card.get_by_label("Pesan untuk peminta").fill(
        "Dengan senang hati, kami tunggu di kantor kelurahan."
    )
    await card.get_by_role("button", name="Terima").click()
    # then
    card = page.locator(".exchange-card", has_text="cara kerja bank sampah induk")
    await expect(card.locator(".badge.state")).to_have_text("Diterima")
    await expect(page.get_by_role("status").filter(has_text="Status sekarang: Diterima.")).to_have_count(1)

    # when: and schedules it, at the kelurahan office
    await card.get_by_role("button", name="Jadwalkan").click()
    moment = (datetime.now() + timedelta(days=41)).replace(hour=9, minute=0)
    await card.get_by_label("Mulai (tanggal dan jam)").fill(moment.strftime("%Y-%m-%dT%H:%M"))
    await card.get_by_label("Tempat").fill("Kantor Kelurahan Depok Jaya")
    await card.get_by_role("button", name="Jadwalkan").click()
    # then
    await expect(card.locator(".badge.state")).to_have_text("Dijadwalkan")
    await expect(card).to_contain_text("Kantor Kelurahan Depok Jaya")
    await expect(card.get_by_role("button", name="Jadwalkan")).to_be_visible()  # it can move again
    await page.screenshot(path=output_dir / "frontend-exchanges.png", full_page=True)
    exchange_id = await card.get_attribute("data-id")
    assert exchange_id

    # and the page reads on a phone without sideways scrolling
    await page.set_viewport_size(PHONE)
    await page.reload()
    await expect(page.locator(".exchange-card").first).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # and the server holds the same, every step audited
    async with httpx.AsyncClient(base_url=site) as http:
        headers = {"Authorization": f"Bearer {await api_token(http, ADMIN_EMAIL, ADMIN_PASSWORD)}"}
        response = await http.post(
            "/graphql", json={"query": EXCHANGE, "variables": {"id": exchange_id}}, headers=headers
        )
    exchange = response.json()["data"]["node"]
    assert exchange["state"] == "SCHEDULED"
    assert exchange["schedule"] == {"place": "Kantor Kelurahan Depok Jaya"}
    assert [entry["action"] for entry in exchange["auditTrail"]] == [
        "EXCHANGE_SCHEDULED",
        "EXCHANGE_ACCEPTED",
        "EXCHANGE_REQUESTED",
    ]
