"""The discussion section of detail pages and the moderation queue, in a real browser.

The site (on the demo content), Chromium and a page per test come from tests/browser.py; other
people join a test through pages of their own (``fresh_page``).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from playwright.async_api import Browser, Locator, Page, Route, expect
from pymongo import AsyncMongoClient

from storage.database import Stores
from storage.demo import demo_organization_ids
from storage.store import Document
from storage.vocabulary import Role
from tests.browser import (
    MEMBER_EMAIL,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    PARTNER_EMAIL,
    PARTNER_PASSWORD,
    PHONE,
    REVIEWER_EMAIL,
    REVIEWER_PASSWORD,
    api_token,
    fresh_page,
    sign_in,
)
from tests.support import TEST_PASSWORD, user_with_token

PRACTICES = "{ practices(first: 100) { nodes { id title organization { name } } } }"
START_THREAD = """
mutation($input: StartThreadInput!) { startThread(input: $input) { thread { id } errors { code } } }
"""
RATE_LIMITED = {
    "data": {
        "startThread": {
            "thread": None,
            "errors": [
                {
                    "field": None,
                    "code": "RATE_LIMITED",
                    "message": "You posted 20 times in the last 10 minutes; wait a little and try again.",
                }
            ],
        }
    }
}


async def published_practice(site: str, title_start: str) -> dict[str, Any]:
    """A published demo practice by the start of its title (anonymous listings are published only)."""
    async with httpx.AsyncClient(base_url=site) as http:
        response = await http.post("/graphql", json={"query": PRACTICES})
    nodes: list[dict[str, Any]] = response.json()["data"]["practices"]["nodes"]
    (practice,) = [node for node in nodes if node["title"].startswith(title_start)]
    return practice


async def member_of(stores: Stores, organization: str, name: str) -> str:
    """A new member account of a demo organization; its email (the password is TEST_PASSWORD)."""
    organization_id = (await demo_organization_ids(stores, [organization]))[organization]
    email = f"{uuid.uuid4().hex[:8]}@uji.lumbung.id"
    await user_with_token(stores, role=Role.MEMBER, organization_id=organization_id, email=email, name=name)
    return email


def discussion(page: Page) -> Locator:
    return page.locator("section.discussion")


def thread_titled(page: Page, title: str) -> Locator:
    return discussion(page).locator("article.thread", has=page.get_by_role("heading", name=title, exact=True))


async def open_signed_in(page: Page, path: str, email: str, password: str) -> None:
    """Sign in, then land on ``path`` of the page."""
    await page.goto(f"/#/sign-in?next={quote(path, safe='')}")
    await sign_in(page, email, password)
    await expect(page.get_by_role("heading", level=1)).not_to_have_text("Masuk")


async def test_a_member_asks_the_owners_answer_and_accepts_it(
    page: Page,
    browser: Browser,
    site: str,
    browser_problems: list[str],
    demo_database: str,
    mongo_client: AsyncMongoClient[Document],
    output_dir: Path,
) -> None:
    # given: a published practice of Kecamatan Cibinong, and a member of that kecamatan
    practice = await published_practice(site, "PATEN Keliling Kecamatan Cibinong")
    owner_email = await member_of(
        Stores.of(mongo_client[demo_database]), "Pemerintah Kecamatan Cibinong", "Heri Gunawan"
    )
    item = f"/item/{practice['id']}"
    # and: the demo member, signing in from the discussion section
    await page.goto(f"/#{item}")
    await expect(discussion(page).get_by_role("heading", name="Diskusi")).to_be_visible()
    await expect(discussion(page).locator(".discussion-counts")).to_have_text(
        "0 pertanyaan terbuka, 0 terjawab"
    )
    await discussion(page).get_by_role("link", name="Masuk untuk bertanya").click()
    await sign_in(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(practice["title"])
    form = discussion(page).locator("form.new-thread")
    text = "Berapa petugas yang ikut PATEN Keliling?\nDan bagaimana berkas dibawa kembali ke kecamatan?"

    # when: a question without its title
    await form.get_by_label("Teks").fill(text)
    await form.get_by_role("button", name="Kirim", exact=True).click()
    # then: the API's error, next to the field, in Indonesian
    title_field = form.locator(".field", has=page.get_by_label("Judul pertanyaan"))
    await expect(title_field.locator(".field-error")).to_have_text("Wajib diisi.")
    await expect(form.locator(".form-errors")).to_contain_text("Judul pertanyaan: Wajib diisi.")

    # when: the server says one has posted too often
    async def rate_limited(route: Route) -> None:
        if "mutation StartThread" in (route.request.post_data or ""):
            await route.fulfill(status=200, content_type="application/json", body=json.dumps(RATE_LIMITED))
        else:
            await route.continue_()

    await page.route("**/graphql", rate_limited)
    title = "Berapa petugas PATEN Keliling dalam satu kunjungan?"
    await form.get_by_label("Judul pertanyaan").fill(title)
    await form.get_by_role("button", name="Kirim", exact=True).click()
    # then: it says so beside the form, and the text is kept
    await expect(form.locator(".form-errors")).to_have_text(re.compile("Anda terlalu sering mengirim"))
    await expect(form.get_by_label("Teks")).to_have_value(text)
    await page.unroute("**/graphql")

    # when: sent again
    await form.get_by_role("button", name="Kirim", exact=True).click()
    # then: the question is on the page with its line break, and counted as open
    question = thread_titled(page, title)
    await expect(question).to_be_focused()
    assert await question.locator(".post-text").first.inner_text() == text  # the line break kept
    await expect(question.locator(".badge.open")).to_have_text("Belum terjawab")
    await expect(discussion(page).locator(".discussion-counts")).to_have_text(
        "1 pertanyaan terbuka, 0 terjawab"
    )

    # when: someone of the owning kecamatan answers
    answer = "Tiga petugas: satu verifikator dan dua operator.\nBerkas dibawa dalam map tersegel."
    async with fresh_page(browser, site, browser_problems) as owner:
        await open_signed_in(owner, item, owner_email, TEST_PASSWORD)
        theirs = thread_titled(owner, title)
        await theirs.get_by_role("button", name="Balas", exact=True).click()
        await theirs.get_by_label("Balasan Anda").fill(answer)
        await theirs.get_by_role("button", name="Kirim balasan").click()
        await expect(theirs.locator("article.reply .post-text")).to_have_text(answer)
        await expect(theirs.locator("article.reply .byline")).to_contain_text("Pemerintah Kecamatan Cibinong")

    # and: the asker accepts it
    await page.reload()
    reply = question.locator("article.reply")
    await expect(reply.locator(".post-text")).to_have_text(answer)
    await reply.get_by_role("button", name="Terima sebagai jawaban").click()
    # then: the answer is marked, the question answered, the counts moved
    await expect(reply).to_be_focused()
    await expect(reply.locator(".badge.accepted")).to_have_text("✓ Jawaban diterima")
    await expect(question.locator(".badge.answered")).to_have_text("Terjawab")
    await expect(discussion(page).locator(".discussion-counts")).to_have_text(
        "0 pertanyaan terbuka, 1 terjawab"
    )
    await discussion(page).screenshot(path=output_dir / "discussion-accepted.png")
    # and the chips filter by it
    chips = discussion(page).get_by_role("group", name="Saring diskusi")
    await chips.get_by_role("button", name="Pertanyaan terbuka").click()
    await expect(discussion(page).locator("ol.threads")).to_have_text("Tidak ada diskusi untuk saringan ini.")
    await chips.get_by_role("button", name="Terjawab").click()
    await expect(chips.get_by_role("button", name="Terjawab")).to_have_attribute("aria-pressed", "true")
    await expect(question).to_be_visible()


async def test_html_in_a_post_is_shown_as_text_and_never_runs(
    page: Page, browser: Browser, site: str, browser_problems: list[str], output_dir: Path
) -> None:
    # given: a signed-in member on a practice
    practice = await published_practice(site, "Pekarangan Pangan Lestari TP PKK Kelurahan Pagesangan")
    item = f"/item/{practice['id']}"
    await open_signed_in(page, item, MEMBER_EMAIL, MEMBER_PASSWORD)
    form = discussion(page).locator("form.new-thread")
    title = '<b>Judul</b> <img src=x onerror="window.__xss=3">'
    body = (
        "<script>window.__xss=1</script>\n"
        '<img src=x onerror="window.__xss=2">\n'
        "Salam untuk @[Pemerintah Kelurahan Depok Jaya] & <i>semua</i>."
    )
    # when: a question whose title and text are markup
    await form.get_by_label("Judul pertanyaan").fill(title)
    await form.get_by_label("Teks").fill(body)
    await form.get_by_role("button", name="Kirim", exact=True).click()
    await expect(thread_titled(page, title)).to_be_focused()

    # then: it reads as the characters typed, for the author and for anyone else
    async with fresh_page(browser, site, browser_problems) as visitor:
        await visitor.goto(f"/#{item}")
        for viewer in (page, visitor):
            post = thread_titled(viewer, title)
            await expect(post.get_by_role("heading", level=3)).to_have_text(title)
            assert await post.locator(".post-text").inner_text() == body.replace("@[", "@").replace(
                "] &", " &"
            )
            # the mention is a link, its text a text node too
            mention = post.locator(".post-text a.mention")
            await expect(mention).to_have_text("@Pemerintah Kelurahan Depok Jaya")
            assert await post.locator("img, script, b, i").count() == 0
            await viewer.wait_for_load_state("networkidle")
            assert await viewer.evaluate("typeof window.__xss") == "undefined"
        await thread_titled(page, title).screenshot(path=output_dir / "discussion-injection.png")


async def test_a_reported_post_is_hidden_from_the_queue_and_shows_a_placeholder(
    page: Page, browser: Browser, site: str, browser_problems: list[str], output_dir: Path
) -> None:
    # given: an advertisement posted on a practice, as a comment
    practice = await published_practice(site, "Sekolah Lansia dan Pendamping Lansia Tangguh")
    item = f"/item/{practice['id']}"
    advert = "Jual pulsa dan paket data murah!\nHubungi 0812-0000-0000, dijamin termurah."
    async with httpx.AsyncClient(base_url=site) as http:
        headers = {"Authorization": f"Bearer {await api_token(http, PARTNER_EMAIL, PARTNER_PASSWORD)}"}
        comment = {"subjectId": practice["id"], "kind": "COMMENT", "body": advert}
        response = await http.post(
            "/graphql", json={"query": START_THREAD, "variables": {"input": comment}}, headers=headers
        )
    payload = response.json()["data"]["startThread"]
    assert payload["errors"] == []
    thread_id = payload["thread"]["id"]

    # when: the demo member reports it
    await open_signed_in(page, item, MEMBER_EMAIL, MEMBER_PASSWORD)
    post = discussion(page).locator(f'article.thread[data-thread-id="{thread_id}"]')
    await expect(post.locator(".post-text")).to_have_text(advert)
    await post.get_by_role("button", name="Laporkan").click()
    await post.get_by_label("Alasan laporan").select_option(label="Spam atau iklan")
    await post.get_by_label("Keterangan").fill("Iklan pulsa, tidak ada hubungannya dengan sekolah lansia.")
    await post.get_by_role("button", name="Kirim laporan").click()
    # then
    await expect(post.locator(".notice")).to_have_text("Terima kasih. Laporan Anda diteruskan ke moderator.")

    # when: a reviewer opens the moderation queue from the header
    async with fresh_page(browser, site, browser_problems) as reviewer:
        await open_signed_in(reviewer, "/", REVIEWER_EMAIL, REVIEWER_PASSWORD)
        await reviewer.get_by_role("navigation").get_by_role("link", name="Moderasi").click()
        await expect(reviewer.get_by_role("heading", level=1)).to_have_text("Antrean moderasi")
        report = reviewer.locator("article.report", has_text="Jual pulsa")
        # then: the report, with the post, its reason and who reported it
        await expect(report.locator(".post-text")).to_have_text(advert)
        await expect(report).to_contain_text("Spam atau iklan")
        await expect(report).to_contain_text(f"Dilaporkan oleh {MEMBER_NAME}")
        await expect(report.get_by_role("link", name=practice["title"])).to_be_visible()
        await reviewer.screenshot(path=output_dir / "discussion-moderation.png", full_page=True)
        # when: the reviewer hides it, with the reason offered
        await report.get_by_role("button", name="Sembunyikan kiriman").click()
        form = report.locator("form.moderation-form")
        await expect(form.get_by_label("Alasan")).to_have_value("Spam atau iklan")
        await form.get_by_role("button", name="Sembunyikan kiriman").click()
        # then: it leaves the queue
        await expect(reviewer.locator("article.report", has_text="Jual pulsa")).to_have_count(0)
        await expect(reviewer.locator(".result-status")).to_contain_text("Kiriman disembunyikan.")
        # and on the item's page the reviewer still reads it, and may show it again
        await reviewer.goto(f"/#{item}")
        hidden = discussion(reviewer).locator(f'article.thread[data-thread-id="{thread_id}"]')
        await expect(hidden.locator(".placeholder")).to_have_text("Disembunyikan moderator")
        await expect(hidden.locator(".post-text")).to_have_text(advert)
        await expect(hidden.get_by_role("button", name="Tampilkan lagi")).to_be_visible()

    # then: anyone else sees the placeholder only
    await page.reload()
    await expect(post.locator(".placeholder")).to_have_text("Disembunyikan moderator")
    await expect(post).not_to_contain_text("Jual pulsa")
    await expect(post.get_by_role("button", name="Laporkan")).to_have_count(0)
    await post.screenshot(path=output_dir / "discussion-hidden.png")


async def test_discussions_and_the_queue_fit_a_phone_width_screen(browser: Browser, site: str) -> None:
    # given
    practice = await published_practice(site, "Posyandu Prima Cegah Stunting Kelurahan Mangasa")
    problems: list[str] = []
    async with fresh_page(browser, site, problems) as phone:
        await phone.set_viewport_size(PHONE)
        await open_signed_in(phone, f"/item/{practice['id']}", REVIEWER_EMAIL, REVIEWER_PASSWORD)
        for path in [f"/#/item/{practice['id']}", "/#/moderation"]:
            # when
            await phone.goto(path)
            await expect(
                phone.locator("section.discussion article.thread, .moderation .result-status").first
            ).to_be_visible()
            await phone.wait_for_load_state("networkidle")
            # then
            assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    assert problems == []


async def test_a_member_quotes_a_reply_edits_it_and_deletes_another(page: Page, site: str) -> None:
    # given: a comment of the demo member, with a reply of theirs
    practice = await published_practice(site, "Sekolah Lansia dan Pendamping Lansia Tangguh")
    await open_signed_in(page, f"/item/{practice['id']}", MEMBER_EMAIL, MEMBER_PASSWORD)
    form = discussion(page).locator("form.new-thread")
    await form.get_by_label("Komentar", exact=True).check()
    await expect(form.get_by_label("Judul pertanyaan")).to_be_hidden()
    await form.get_by_label("Teks").fill("Kelas lansia kami di Depok Jaya juga memakai jadwal Sabtu pagi.")
    await form.get_by_role("button", name="Kirim", exact=True).click()
    comment = discussion(page).locator("article.thread").first
    await expect(comment).to_be_focused()
    await comment.get_by_role("button", name="Balas", exact=True).click()
    await comment.get_by_label("Balasan Anda").fill("Pesertanya rata-rata 40 orang per kelas.")
    await comment.get_by_role("button", name="Kirim balasan").click()
    first = comment.locator("article.reply").first
    await expect(first).to_be_focused()

    # when: a reply too short, in English
    await page.get_by_role("button", name="Switch the interface to English").click()
    await comment.locator("article.reply").first.get_by_role("button", name="Quote and reply").click()
    await comment.get_by_label("Your reply to this quote").fill("?")
    await comment.get_by_role("button", name="Send reply").click()
    # then: the API's own message, next to the field
    await expect(comment.locator(".reply-form .field-error")).to_have_text("Write at least a few words.")

    # when: written out, in Indonesian again
    await comment.get_by_label("Your reply to this quote").fill("Maaf, maksud saya 40 orang per kelurahan.")
    await comment.get_by_role("button", name="Send reply").click()
    await expect(comment.locator("article.reply")).to_have_count(2)
    await page.get_by_role("button", name="Ganti bahasa antarmuka ke bahasa Indonesia").click()
    # then: the second reply quotes the first
    second = comment.locator("article.reply").nth(1)
    await expect(second.locator("blockquote.quote")).to_contain_text(
        "Pesertanya rata-rata 40 orang per kelas."
    )

    # when: the second is edited
    await second.get_by_role("button", name="Ubah").click()
    await second.get_by_label("Teks").fill("Maaf, maksud saya 40 orang per RW.")
    await second.get_by_role("button", name="Simpan").click()
    # then
    await expect(second).to_be_focused()
    await expect(second.locator(".post-text")).to_have_text("Maaf, maksud saya 40 orang per RW.")
    await expect(second.locator(".byline")).to_contain_text("diubah")

    # when: the first is deleted
    await first.get_by_role("button", name="Hapus").click()
    await first.get_by_role("button", name="Ya, hapus").click()
    # then: a placeholder takes its place, and in the quote of it
    await expect(first.locator(".placeholder")).to_have_text("Dihapus oleh penulis")
    await expect(second.locator("blockquote.quote .placeholder")).to_have_text("Dihapus oleh penulis")
    await expect(first.get_by_role("button", name="Hapus")).to_have_count(0)
