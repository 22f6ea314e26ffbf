"""The web client's events pages (frontend_stub/js/events.js) in a real browser, on the demo events.

The browser, the served app and the sign-in helpers are those of tests/browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect

from tests.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MEMBER_EMAIL,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    PHONE,
    api_token,
    sign_in,
)

# Indonesian abbreviations as Chromium's Intl writes them for id-ID.
DAYS = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
POSYANDU = "Pelatihan Kader Posyandu: Pemantauan Pertumbuhan dan Konseling Gizi Balita"
WATER = "Pelatihan Pengelola Air Komunal dan Hidran Umum"

EVENT_BY_TITLE = """
query($from: DateTime!) { events(filter: {from: $from}, first: 100) { nodes { id title } } }
"""
REGISTER = """
mutation($input: RegistrationInput!) { registerForEvent(input: $input) { errors { code } } }
"""
CANCEL_REGISTRATION = """
mutation($input: RegistrationInput!) { cancelRegistration(input: $input) { errors { code } } }
"""


def _day(moment: datetime) -> str:
    return f"{DAYS[moment.weekday()]}, {moment.day} {MONTHS[moment.month - 1]} {moment.year}"


async def _event_id(http: httpx.AsyncClient, title: str) -> str:
    response = await http.post(
        "/graphql", json={"query": EVENT_BY_TITLE, "variables": {"from": datetime.now(UTC).isoformat()}}
    )
    (found,) = [e["id"] for e in response.json()["data"]["events"]["nodes"] if e["title"] == title]
    return str(found)


async def _as(http: httpx.AsyncClient, email: str, password: str, query: str, event_id: str) -> None:
    headers = {"Authorization": f"Bearer {await api_token(http, email, password)}"}
    response = await http.post(
        "/graphql", json={"query": query, "variables": {"input": {"eventId": event_id}}}, headers=headers
    )
    payload = next(iter(response.json()["data"].values()))
    assert payload["errors"] == []


async def test_the_events_page_lists_upcoming_demo_events_in_their_venues_local_time(
    page: Page, site: str, output_dir: Path
) -> None:
    # given
    await page.goto("/")
    # when
    await page.get_by_role("navigation").get_by_role("link", name="Kegiatan").click()
    # then: the events to come, soonest first
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kegiatan & Pelatihan")
    rows = page.locator("#events > li")
    await expect(rows.first).to_be_visible()
    await expect(page.locator("#events-status")).to_contain_text("kegiatan akan datang")
    listed = await rows.evaluate_all("rows => rows.map(row => row.dataset.startsAt)")
    starts = [datetime.fromisoformat(start) for start in listed]
    assert len(starts) >= 8
    assert starts == sorted(starts)
    assert all(start > datetime.now(UTC) for start in starts)
    # each on its venue's clock, with its zone: WIB, WITA and WIT (Jakarta time online)
    whens = await rows.locator(".event-when").all_inner_texts()
    assert {when.rsplit(" ", 1)[1] for when in whens} == {"WIB", "WITA", "WIT"}
    posyandu = rows.filter(has_text=POSYANDU)
    local = datetime.fromisoformat(await posyandu.get_attribute("data-starts-at") or "").astimezone(
        ZoneInfo("Asia/Makassar")
    )
    assert (local.hour, local.minute) == (8, 30)
    await expect(posyandu.locator(".event-when")).to_have_text(
        # a two-day training: "Sab, 20 Des 2026 08.30", an en dash, "Min, 21 Des 2026 15.30 WITA"
        re.compile(rf"^{re.escape(_day(local))} 08\.30 \u2013 \w{{3}}, .* 15\.30 WITA$")
    )
    await expect(posyandu).to_contain_text("Pemerintah Kecamatan Tamalate")
    await expect(posyandu).to_contain_text("Aula Kantor Kecamatan Tamalate · Tamalate, Kota Makassar")
    await expect(posyandu).to_contain_text("Sisa 37 kursi")
    # online ones, a full one with its waiting list, a cancelled one
    await expect(rows.filter(has_text="Webinar SPBE").locator(".event-place")).to_have_text("Daring")
    await expect(rows.filter(has_text="Bank Sampah Berbasis Banjar")).to_contain_text("Penuh · Daftar tunggu")
    await expect(rows.filter(has_text="Klinik UMKM").locator(".event-seats")).to_have_text("Dibatalkan")
    await page.screenshot(path=output_dir / "events-list.png", full_page=True)

    # when: narrowed to trainings in Sulawesi Selatan
    await page.get_by_label("Jenis kegiatan").select_option(label="Pelatihan")
    await page.get_by_label("Provinsi", exact=True).select_option(label="Sulawesi Selatan")
    # then: the one training there, in the URL, and a calendar feed of the same filter
    await expect(page).to_have_url(
        re.compile(r"#/kegiatan\?kind=TRAINING&region=73$|region=73&kind=TRAINING")
    )
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator("h3")).to_have_text(POSYANDU)
    feed = await page.get_by_role("link", name="Langganan kalender").get_attribute("href")
    assert feed is not None
    assert "kind=TRAINING" in feed
    assert "regionCode=73" in feed
    async with httpx.AsyncClient() as http:
        calendar = await http.get(feed)
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert calendar.text.count("BEGIN:VEVENT") == 1
    assert "Pelatihan Kader Posyandu" in calendar.text

    # when: in English
    await page.get_by_role("button", name="Switch the interface to English").click()
    # then: the same events, on the same clocks, in English words
    await expect(page.get_by_role("heading", level=1)).to_have_text("Events & trainings")
    await expect(rows.first.locator(".event-when")).to_have_text(
        re.compile(r"^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} 08:30 \u2013 .* 15:30 WITA$")
    )
    await expect(rows.first).to_contain_text("37 seats left")

    # and: on a phone, nothing scrolls sideways
    await page.set_viewport_size(PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_a_signed_in_member_registers_for_an_event_and_sees_their_status(
    page: Page, output_dir: Path
) -> None:
    # given: an event in Jayapura, as anyone sees it
    await page.goto("/#/kegiatan")
    await page.get_by_role("link", name=WATER).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(WATER)
    await expect(page.locator(".facts")).to_contain_text("Waktu setempat (WIT)")
    await expect(page.locator(".facts")).to_contain_text("28 dari 30 kursi tersisa")
    await expect(page.get_by_role("link", name="Tambahkan ke kalender")).to_have_attribute(
        "href", re.compile(r"^/events/.+\.ics$")
    )
    # when: the visitor signs in to register
    await page.get_by_role("link", name="Masuk untuk mendaftar").click()
    await sign_in(page)
    # then: back on the event, with a button to register
    await expect(page.get_by_role("heading", level=1)).to_have_text(WATER)
    # when
    await page.get_by_role("button", name="Daftar", exact=True).click()
    # then: the member holds a seat, and is told so
    status = page.locator(".registration-status")
    await expect(status).to_have_text("Anda terdaftar di kegiatan ini.")
    await expect(status).to_be_focused()
    await expect(page.locator(".facts")).to_contain_text("27 dari 30 kursi tersisa")
    await page.screenshot(path=output_dir / "events-detail.png", full_page=True)
    # and the events page lists it under their registrations
    await page.get_by_role("link", name="Kembali ke daftar kegiatan").click()
    await expect(page.locator(".my-registrations")).to_contain_text(WATER)
    await expect(page.locator(".my-registrations")).to_contain_text("Terdaftar")

    # when: they give the seat up (which also leaves the shared demo database as it was)
    await page.locator(".my-registrations").get_by_role("link", name=WATER).click()
    await page.get_by_role("button", name="Batalkan pendaftaran").click()
    # then
    await expect(status).to_have_text("Pendaftaran Anda sudah dibatalkan.")
    await expect(page.locator(".facts")).to_contain_text("28 dari 30 kursi tersisa")
    await expect(page.get_by_role("button", name="Daftar", exact=True)).to_be_visible()


async def test_organizers_mark_attendance_and_anyone_verifies_the_certificate(
    page: Page, site: str, output_dir: Path
) -> None:
    # given: the demo member registered for an event that the association's admin may keep
    async with httpx.AsyncClient(base_url=site) as http:
        event_id = await _event_id(http, WATER)
        await _as(http, MEMBER_EMAIL, MEMBER_PASSWORD, REGISTER, event_id)
    await page.goto(f"/#/sign-in?next={quote(f'/kegiatan/{event_id}', safe='')}")
    await sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    attendance = page.locator("table.attendance")
    await expect(attendance).to_contain_text(MEMBER_NAME)
    # when: the admin ticks "hadir" for her
    member = attendance.locator("tr", has_text=MEMBER_NAME)
    await page.get_by_label(f"Hadir: {MEMBER_NAME}").check()
    # then: she gets a certificate code at once
    code_cell = member.locator(".certificate-code")
    await expect(code_cell).to_have_text(re.compile(r"^LMB-[A-Z2-9]{5}-[A-Z2-9]{5}$"))
    await expect(page.locator(".attendance-message")).to_have_text(f"Kehadiran {MEMBER_NAME} disimpan.")
    await page.screenshot(path=output_dir / "events-attendance.png", full_page=True)
    code = await code_cell.inner_text()

    # when: anyone checks the code on the events page
    await page.get_by_role("link", name="Kembali ke daftar kegiatan").click()
    await page.get_by_label("Kode sertifikat").fill(code.lower())
    await page.get_by_role("button", name="Periksa").click()
    # then
    await expect(page.locator(".verify-result")).to_contain_text(
        f"Sertifikat sah: {MEMBER_NAME} hadir di “{WATER}”"
    )
    # and an unknown code says so
    await page.get_by_label("Kode sertifikat").fill("LMB-TIDAK-ADA22")
    await page.get_by_role("button", name="Periksa").click()
    await expect(page.locator(".verify-result")).to_contain_text("tidak dikenal")

    # the shared demo database as it was: attendance taken back, the seat given up
    await page.goto(f"/#/kegiatan/{event_id}")
    await page.get_by_label(f"Hadir: {MEMBER_NAME}").uncheck()
    await expect(page.locator(".attendance-message")).to_have_text(f"Kehadiran {MEMBER_NAME} disimpan.")
    async with httpx.AsyncClient(base_url=site) as http:
        await _as(http, MEMBER_EMAIL, MEMBER_PASSWORD, CANCEL_REGISTRATION, event_id)


async def test_an_event_found_in_search_leads_to_its_page(page: Page) -> None:
    # given
    await page.goto("/#/search?q=pelatihan+kader+posyandu&type=EVENT")
    hit = page.locator("#hits > li").first
    # then: an event hit, with its organizer, place and local time
    await expect(hit).to_have_attribute("data-type", "EVENT")
    await expect(hit.locator(".badge")).to_have_text("Kegiatan")
    await expect(hit.locator(".hit-meta")).to_contain_text("Pemerintah Kecamatan Tamalate")
    await expect(hit.locator(".hit-meta")).to_contain_text("08.30")
    await expect(hit.locator(".hit-meta")).to_contain_text("WITA")
    # when
    await hit.locator("h3 a").click()
    # then
    await expect(page).to_have_url(re.compile(r"#/kegiatan/"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(POSYANDU)
