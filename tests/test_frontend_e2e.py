"""The web client (frontend_stub/) in a real browser against the app serving the demo content.

The site, the browser and a fresh page per test come from tests/browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from playwright.async_api import Browser, Locator, Page, Route, expect
from pymongo import AsyncMongoClient

from storage.database import Stores
from storage.store import Document
from tests.browser import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MEMBER_NAME,
    MEMBER_ORGANIZATION,
    PHONE,
    account,
    api_token,
    sign_in,
)
from tests.support import wait_until_indexed

SESSION_KEY = "lumbung.session"
# How Chromium logs a response refused for its token; the page itself logs nothing.
REFUSED_TOKEN_LOG = "the server responded with a status of 401"

VIEWER = "query { viewer { id } }"
PRACTICE = """
query($id: ID!) { node(id: $id) { ... on Practice { id version title status organization { name } } } }
"""
DELETE_PRACTICE = """
mutation($input: DeleteInput!) { deletePractice(input: $input) { errors { field code message } } }
"""


def results(page: Page) -> Locator:
    return page.locator("#hits > li")


async def search_for(page: Page, text: str) -> None:
    box = page.get_by_role("combobox", name="Kata kunci")
    await box.fill(text)
    await box.press("Enter")


async def stored_session(page: Page) -> dict[str, Any]:
    stored: dict[str, Any] = await page.evaluate(f"JSON.parse(sessionStorage.getItem('{SESSION_KEY}'))")
    return stored


async def store_session(page: Page, session: dict[str, Any]) -> None:
    await page.evaluate(
        "([key, value]) => sessionStorage.setItem(key, value)", [SESSION_KEY, json.dumps(session)]
    )


def forged(token: str) -> str:
    """``token`` with its secret replaced: well formed, and refused like an expired or revoked one."""
    record_id, _ = token.split(".", 1)
    return f"{record_id}.not-the-secret-of-this-session"


async def test_search_with_a_typo_finds_waste_banks_and_two_facets_narrow_it(
    page: Page, output_dir: Path
) -> None:
    # given
    await page.goto("/")
    # when: a typo for "sampah" (waste)
    await search_for(page, "smapah")
    # then: waste practices, with the matched words highlighted
    await expect(page.locator("#result-status")).to_contain_text("hasil untuk “smapah”")
    await expect(results(page).first).to_be_visible()
    assert "Bank Sampah" in " ".join(await results(page).locator("h3").all_inner_texts())
    await expect(results(page).locator("mark").first).to_have_text(re.compile("sampah", re.IGNORECASE))
    everything = await results(page).count()

    # when: two facets, type "practice" and theme "waste management"
    await page.get_by_role("group", name="Jenis").get_by_label("Praktik Baik").check()
    await expect(page).to_have_url(re.compile(r"type=PRACTICE"))
    await expect(results(page).locator("xpath=self::*[not(@data-type='PRACTICE')]")).to_have_count(0)
    await page.get_by_role("group", name="Tema").get_by_label("Pengelolaan Sampah").check()
    # then: only waste-management practices, both filters in the URL and shown as chips
    await expect(page).to_have_url(re.compile(r"theme=WASTE_MANAGEMENT"))
    await expect(page.locator(".chip")).to_have_count(2)
    await expect(page.locator(".results")).not_to_have_attribute("aria-busy", "true")
    narrowed = await results(page).count()
    assert 0 < narrowed < everything
    assert set(await results(page).evaluate_all("items => items.map(i => i.dataset.type)")) == {"PRACTICE"}
    await page.screenshot(path=output_dir / "frontend-search.png")
    # and the practices of these filters download as a spreadsheet (the export route, no GraphQL)
    export = page.locator(".export-links").get_by_role("link", name="CSV")
    await expect(export).to_have_attribute("href", "/export/practices.csv?theme=WASTE_MANAGEMENT")
    download = await page.request.get(await export.get_attribute("href") or "")
    assert download.ok
    exported = [line for line in (await download.text()).splitlines()[1:] if line.strip()]
    assert exported, "waste-management practices are exported"

    # when: the URL is opened again, as a shared link would be
    await page.reload()
    # then: the same search
    await expect(page.get_by_role("combobox", name="Kata kunci")).to_have_value("smapah")
    await expect(page.get_by_role("group", name="Tema").get_by_label("Pengelolaan Sampah")).to_be_checked()
    await expect(results(page)).to_have_count(narrowed)


async def test_a_result_opens_its_detail_page_and_leads_to_a_similar_practice_of_another_region(
    page: Page, output_dir: Path
) -> None:
    # given
    await page.goto("/#/search?q=bank+sampah&type=PRACTICE")
    first = results(page).first.locator("h3 a")
    title = await first.inner_text()
    # when
    await first.click()
    # then: the practice with its organization, regions, building blocks and results
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text(title)
    await expect(page.locator(".facts")).to_contain_text("Organisasi")
    await expect(page.locator(".facts")).to_contain_text("Wilayah")
    await expect(page.get_by_role("heading", name="Komponen yang dapat direplikasi")).to_be_visible()
    await expect(page.get_by_role("table").first).to_contain_text("Indikator")
    similar = page.locator(".similar .card h3 a")
    await expect(similar.first).to_be_visible()
    await page.screenshot(path=output_dir / "frontend-detail.png", full_page=True)
    place = await page.locator(".facts dd").nth(1).inner_text()

    # when: following a similar practice
    other_title = await similar.first.inner_text()
    await similar.first.click()
    # then: its own detail page, located elsewhere
    await expect(heading).to_have_text(other_title)
    await expect(heading).to_be_focused()
    assert await page.locator(".facts dd").nth(1).inner_text() != place


async def test_suggestions_complete_titles_as_one_types_and_open_the_item(page: Page) -> None:
    # given
    await page.goto("/")
    box = page.get_by_role("combobox", name="Kata kunci")
    # when
    await box.press_sequentially("bank sam", delay=30)
    options = page.get_by_role("option")
    await expect(options.first).to_be_visible()
    await expect(box).to_have_attribute("aria-expanded", "true")
    chosen = await options.first.locator(".combobox-label").inner_text()
    await box.press("ArrowDown")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    await box.press("Enter")
    # then
    await expect(page.get_by_role("heading", level=1)).to_have_text(chosen)


async def test_the_region_picker_narrows_province_regency_kecamatan_kelurahan(page: Page) -> None:
    # given
    await page.goto("/#/search?q=sampah")
    await expect(results(page).first).to_be_visible()
    # when
    for level, name in [
        ("Provinsi", "Jawa Barat"),
        ("Kabupaten/Kota", "Kota Depok"),
        ("Kecamatan", "Pancoran Mas"),
        ("Kelurahan/Desa", "Depok Jaya"),
    ]:
        select = page.get_by_label(level, exact=True)
        await expect(select).to_be_enabled()
        await select.select_option(label=name)
    # then: the URL holds the kelurahan, and every hit is there
    await expect(page).to_have_url(re.compile(r"region=32\.76\.01\.1007"))
    await expect(page.locator(".chip")).to_contain_text("Depok Jaya")
    await expect(page.locator(".results")).not_to_have_attribute("aria-busy", "true")
    places = await results(page).locator(".place").all_inner_texts()
    assert places
    assert all(place.startswith("Depok Jaya") for place in places)


async def test_region_facets_drill_down_from_province_to_kecamatan(page: Page) -> None:
    # given
    await page.goto("/#/search?q=sampah")
    regions = page.locator(".region-values a")
    # when
    await regions.filter(has_text="Jawa Barat").click()
    # then: the province is chosen and the facet now counts its kecamatan
    await expect(page).to_have_url(re.compile(r"region=32(&|$)"))
    await expect(page.get_by_label("Provinsi", exact=True)).to_have_value("32")
    await expect(regions.filter(has_text="Pancoran Mas")).to_be_visible()


async def test_load_more_appends_the_next_page_and_moves_focus_to_it(page: Page) -> None:
    # given: browsing everything, newest first
    await page.goto("/")
    await expect(results(page)).to_have_count(20)
    # when
    await page.get_by_role("button", name="Muat lebih banyak").click()
    # then
    await expect(results(page)).to_have_count(40)
    await expect(results(page).nth(20).locator("h3 a")).to_be_focused()


async def test_a_search_engine_outage_reads_as_a_message_with_a_retry(page: Page) -> None:
    # given: the server answers searches as it does while Meilisearch is down
    async def outage(route: Route) -> None:
        if "query Search(" in (route.request.post_data or ""):
            body = {
                "data": None,
                "errors": [
                    {"message": "Search is unavailable.", "extensions": {"code": "SEARCH_UNAVAILABLE"}}
                ],
            }
            await route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
        else:
            await route.continue_()

    await page.route("**/graphql", outage)
    # when
    await page.goto("/#/search?q=sampah")
    # then
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Mesin pencari sedang tidak tersedia")
    await expect(results(page)).to_have_count(0)
    # when: the engine is back and one retries
    await page.unroute("**/graphql")
    await alert.get_by_role("button", name="Coba lagi").click()
    # then
    await expect(results(page).first).to_be_visible()
    await expect(alert).to_be_hidden()


async def test_the_interface_switches_to_english_and_back(page: Page) -> None:
    # given
    await page.goto("/#/search?q=sampah")
    await expect(results(page).first).to_be_visible()
    # when
    await page.get_by_role("button", name="Switch the interface to English").click()
    # then: the interface is English, the search the same
    await expect(page.get_by_role("heading", level=1)).to_have_text("Find good practice")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("group", name="Theme")).to_be_visible()
    await expect(page.locator("#result-status")).to_contain_text("results for “sampah”")
    # when: back to Indonesian
    await page.get_by_role("button", name="Ganti bahasa antarmuka ke bahasa Indonesia").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cari praktik baik")


async def test_a_phone_width_screen_needs_no_sideways_scrolling(browser: Browser, site: str) -> None:
    # given
    context = await browser.new_context(base_url=site, viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    for path in ["/#/search?q=sampah", "/#/sign-in", "/#/contribute"]:
        # when
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await page.wait_for_load_state("networkidle")
        # then
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        if path == "/#/sign-in":
            # the form comes next, under a header that names who is signed in
            await sign_in(page)
            await expect(account(page)).to_contain_text(MEMBER_NAME)
    await expect(page.locator("form.practice-form")).to_be_visible()
    await context.close()


async def test_a_wrong_password_reads_as_an_error_and_signing_out_returns_to_anonymous(
    page: Page, site: str
) -> None:
    # given: a search, and the sign-in page reached from the header
    await page.goto("/#/search?q=sampah")
    await expect(results(page).first).to_be_visible()
    await account(page).get_by_role("link", name="Masuk").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")

    # when: a wrong password
    await sign_in(page, password="lumbung-bukan-sandinya")
    # then: a clear error, read out at once, and the password emptied for another try
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Email atau kata sandi salah.")
    await expect(page.get_by_label("Kata sandi")).to_have_value("")
    await expect(account(page).get_by_role("link", name="Masuk")).to_be_visible()

    # when: the right one
    await sign_in(page)
    # then: back to the search, and the header says who is signed in
    await expect(page).to_have_url(re.compile(r"#/search\?q=sampah$"))
    await expect(account(page)).to_contain_text(MEMBER_NAME)
    await expect(account(page)).to_contain_text(f"Anggota · {MEMBER_ORGANIZATION}")
    token = (await stored_session(page))["accessToken"]

    # when
    await account(page).get_by_role("button", name="Keluar").click()
    # then: anonymous again, in the page and on the server
    await expect(account(page).get_by_role("link", name="Masuk")).to_be_focused()
    await expect(account(page)).not_to_contain_text(MEMBER_NAME)
    await expect(page.locator("#announcer")).to_have_text("Anda sudah keluar.")
    assert await page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None
    async with httpx.AsyncClient(base_url=site) as http:
        response = await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and contributing asks to sign in again
    await page.get_by_role("link", name="Kontribusi").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")


async def test_a_refused_token_is_refreshed_once_and_a_dead_session_asks_to_sign_in_again(
    page: Page, browser_problems: list[str]
) -> None:
    # given: signed in, on a search
    await page.goto("/#/sign-in?next=%2Fsearch%3Fq%3Dsampah")
    await sign_in(page)
    await expect(results(page).first).to_be_visible()
    signed_in = await stored_session(page)

    # when: the server refuses the access token, as it does an expired or revoked one
    await store_session(page, {**signed_in, "accessToken": forged(signed_in["accessToken"])})
    await page.reload()
    # then: the session is refreshed, and the page reads on, signed in, with the new pair
    await expect(results(page).first).to_be_visible()
    await expect(account(page)).to_contain_text(MEMBER_NAME)
    refreshed = await stored_session(page)
    assert refreshed["accessToken"] not in (signed_in["accessToken"], forged(signed_in["accessToken"]))
    assert refreshed["refreshToken"] != signed_in["refreshToken"]

    # when: the refresh token is refused too
    await store_session(
        page,
        {
            **refreshed,
            "accessToken": forged(refreshed["accessToken"]),
            "refreshToken": forged(refreshed["refreshToken"]),
        },
    )
    await page.reload()
    # then: the session is dropped, the header says so, and the search still reads anonymously
    await expect(account(page)).to_contain_text("Sesi Anda telah berakhir.")
    await expect(account(page).get_by_role("link", name="Masuk lagi")).to_be_visible()
    await expect(results(page).first).to_be_visible()
    assert await page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None
    # and the contribute form asks to sign in again, saying why
    await page.get_by_role("link", name="Kontribusi").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    await expect(page.locator(".notice")).to_contain_text("Sesi Anda telah berakhir. Silakan masuk lagi")
    # the browser logged each refused request, and nothing else went wrong
    assert browser_problems
    assert all(REFUSED_TOKEN_LOG in problem for problem in browser_problems), browser_problems
    browser_problems.clear()


async def test_the_contribute_form_signs_in_shows_field_errors_saves_a_draft_and_submits_it(
    page: Page,
    site: str,
    demo_database: str,
    mongo_client: AsyncMongoClient[Document],
) -> None:
    # given: the form asks a visitor to sign in first, then comes back to it
    await page.goto("/#/contribute")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Masuk")
    await expect(page).to_have_url(re.compile(r"#/sign-in\?next=%2Fcontribute$"))
    await sign_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bagikan praktik baik")
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    form = page.locator("form.practice-form")
    # the practice belongs to the member's own organization, shown rather than asked for
    organization = form.get_by_label("Organisasi pemilik")
    await expect(organization).to_have_value(MEMBER_ORGANIZATION)
    await expect(organization).to_have_attribute("readonly", "")

    # and: a form filled in but for the title, with an amount beyond what the API accepts
    await form.get_by_label("Ringkasan").fill("Warga menabung sampah terpilah di bank sampah RW.")
    await form.get_by_role("group", name="Tema").get_by_label("Pengelolaan Sampah").check()
    await form.get_by_role("group", name="Tahap").get_by_label("Uji Coba").check()
    for level, name in [("Provinsi", "Jawa Barat"), ("Kabupaten/Kota", "Kota Depok")]:
        select = form.get_by_label(level, exact=True)
        await expect(select).to_be_enabled()
        await select.select_option(label=name)
    await form.get_by_label("Masalah yang diatasi").fill("Sampah rumah tangga menumpuk di pinggir jalan.")
    await form.get_by_label("Pendekatan").fill("Bank sampah per RW dengan penimbangan mingguan.")
    await form.get_by_label("Sumber dana").select_option(label="Dana Kelurahan")
    amount = form.get_by_label("Jumlah (Rp)")
    await amount.fill("9.000.000.000.000.000")
    # switching the language draws the form again, with what was typed
    await page.get_by_role("button", name="Switch the interface to English").click()
    await expect(form.get_by_label("Summary")).to_have_value(
        "Warga menabung sampah terpilah di bank sampah RW."
    )
    await expect(page.get_by_role("group", name="Account")).to_contain_text("Member · ")
    await page.get_by_role("button", name="Ganti bahasa antarmuka ke bahasa Indonesia").click()
    await expect(form.get_by_label("Kabupaten/Kota", exact=True)).to_have_value("32.76")

    # when
    await form.get_by_role("button", name="Simpan sebagai draf").click()
    # then: each error next to its field, and a summary that has the focus
    title = form.get_by_label("Judul (wajib)")
    await expect(page.locator("#field-title-error")).to_have_text("Wajib diisi.")
    await expect(title).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#field-funding-0-amount-error")).to_have_text(
        "Nilai di luar rentang yang diizinkan."
    )
    await expect(amount).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".error-summary")).to_be_focused()
    await expect(page.locator(".error-summary")).to_contain_text("Ada 2 isian yang perlu diperbaiki")

    # when: corrected
    await title.fill("Bank Sampah RW Uji Coba dari Peramban")
    await amount.fill("150.000.000")
    await form.get_by_role("button", name="Simpan sebagai draf").click()
    # then: saved as a draft, which can be submitted for review
    await expect(page.get_by_role("heading", name="Draf tersimpan")).to_be_focused()

    # when
    await page.get_by_role("button", name="Ajukan untuk ditinjau").click()
    # then: submitted, and the practice says so
    await expect(page.get_by_role("heading", name="Diajukan untuk ditinjau")).to_be_focused()
    await expect(page.locator(".success")).to_contain_text("Status: Diajukan.")
    await page.get_by_role("link", name="Lihat praktik").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bank Sampah RW Uji Coba dari Peramban")
    await expect(page.locator(".badge.status")).to_have_text("Diajukan")
    practice_id = unquote(page.url.rsplit("/item/", 1)[1])

    # the demo database is shared by the session: leave it as it was (an owner cannot delete a
    # submitted practice; the association's admin can)
    async with httpx.AsyncClient(base_url=site) as http:
        headers = {"Authorization": f"Bearer {await api_token(http, ADMIN_EMAIL, ADMIN_PASSWORD)}"}
        response = await http.post(
            "/graphql", json={"query": PRACTICE, "variables": {"id": practice_id}}, headers=headers
        )
        practice = response.json()["data"]["node"]
        assert practice["status"] == "SUBMITTED"
        assert practice["organization"]["name"] == MEMBER_ORGANIZATION
        delete = {"input": {"id": practice["id"], "version": practice["version"]}}
        response = await http.post(
            "/graphql", json={"query": DELETE_PRACTICE, "variables": delete}, headers=headers
        )
        assert response.json()["data"]["deletePractice"]["errors"] == []
    await wait_until_indexed(Stores.of(mongo_client[demo_database]))


VERIFY_PRACTICE = """
mutation($input: VerifyPracticeInput!) { verifyPractice(input: $input) { errors { code } } }
"""
FIRST_PUBLISHED = "{ practices(first: 1, order: TITLE) { nodes { id version title } } }"


async def test_a_practice_page_shows_when_a_reviewer_last_verified_it(page: Page, site: str) -> None:
    # given: the association's admin (a reviewer too) confirms that a published practice still runs
    async with httpx.AsyncClient(base_url=site) as http:
        (practice,) = (await http.post("/graphql", json={"query": FIRST_PUBLISHED})).json()["data"][
            "practices"
        ]["nodes"]
        headers = {"Authorization": f"Bearer {await api_token(http, ADMIN_EMAIL, ADMIN_PASSWORD)}"}
        verify = {"input": {"id": practice["id"], "version": practice["version"], "stillActive": True}}
        response = await http.post(
            "/graphql", json={"query": VERIFY_PRACTICE, "variables": verify}, headers=headers
        )
        assert response.json()["data"]["verifyPractice"]["errors"] == []
    # when
    await page.goto(f"/#/item/{practice['id']}")
    # then
    await expect(page.get_by_role("heading", level=1)).to_have_text(practice["title"])
    await expect(page.locator(".facts")).to_contain_text("Verifikasi terakhir")
    await expect(page.locator(".facts")).to_contain_text("masih berjalan per")
