"""The browser tests' shared setup: the app on the demo content under uvicorn, Debian's Chromium
under Playwright, a fresh page per test, and signing in as the demo accounts.

A plugin of the test session (``pytest_plugins`` in conftest.py), so that every browser test
module gets these fixtures without importing them. Debian's Chromium runs headless: `make setup`
installs the apt package where it is missing, because Playwright's own browser download cannot
reach its servers here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, ViewportSize, async_playwright

from server.supervisor import LocalService
from tests.conftest import serving, settings_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HAS_CHROMIUM = CHROMIUM.exists()
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)

# The demo accounts (storage/demo/users.json), seeded with the demo content.
MEMBER_EMAIL, MEMBER_PASSWORD = "anggota@demo.lumbung.id", "lumbung-anggota-demo"
MEMBER_NAME, MEMBER_ORGANIZATION = "Siti Nurhaliza Putri", "Pemerintah Kelurahan Depok Jaya"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@demo.lumbung.id", "lumbung-admin-demo"
REVIEWER_EMAIL, REVIEWER_PASSWORD = "peninjau@demo.lumbung.id", "lumbung-peninjau-demo"
PARTNER_EMAIL, PARTNER_PASSWORD = "mitra@demo.lumbung.id", "lumbung-mitra-demo"

SIGN_IN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""


@pytest.fixture(scope="module")
async def site(mongo: LocalService, meili: LocalService, demo_database: str) -> AsyncIterator[str]:
    """The app under uvicorn on the demo database, with its indexer, as `make run` serves it."""
    async with serving(settings_for(mongo, meili, demo_database)) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAS_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def browser_problems() -> list[str]:
    """The script errors and console errors of the test's pages; any left at the end fail the test."""
    return []


@contextlib.asynccontextmanager
async def fresh_page(browser: Browser, site: str, problems: list[str]) -> AsyncIterator[Page]:
    """A page in a browser profile of its own (another person), its script and console errors
    collected in ``problems``."""
    context = await browser.new_context(base_url=site, viewport=DESKTOP, locale="id-ID")
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        yield page
    finally:
        await context.close()


@pytest.fixture
async def page(browser: Browser, site: str, browser_problems: list[str]) -> AsyncIterator[Page]:
    """A fresh browser profile on the site; any script error or failed request fails the test."""
    async with fresh_page(browser, site, browser_problems) as page:
        yield page
    assert browser_problems == []


def account(page: Page) -> Locator:
    """The header's account area: who is signed in, or the way to sign in."""
    return page.get_by_role("group", name="Akun")


async def sign_in(page: Page, email: str = MEMBER_EMAIL, password: str = MEMBER_PASSWORD) -> None:
    """Fill in and send the sign-in form, which is on the page."""
    form = page.locator("form.sign-in-form")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Kata sandi").fill(password)
    await form.get_by_role("button", name="Masuk").click()


async def api_token(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post(
        "/graphql", json={"query": SIGN_IN, "variables": {"input": {"email": email, "password": password}}}
    )
    payload = response.json()["data"]["signIn"]
    assert payload["errors"] == []
    token: str = payload["session"]["accessToken"]
    return token
