"""The web client in a real browser: the fixtures and helpers the browser tests share.

Debian's Chromium runs headless under Playwright: `make setup` installs the apt package where it
is missing, because Playwright's own browser download cannot reach its servers here. The
fixtures reach every test module as a plugin (see ``pytest_plugins`` in tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
SESSION_KEY = "lumbung.session"

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
    """The script errors and console errors of the test's page; any left at the end fail the test."""
    return []


@pytest.fixture
async def page(browser: Browser, site: str, browser_problems: list[str]) -> AsyncIterator[Page]:
    """A fresh browser profile on the site; any script error or failed request fails the test."""
    context = await browser.new_context(base_url=site, viewport=DESKTOP, locale="id-ID")
    page = await context.new_page()
    page.on("pageerror", lambda error: browser_problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: browser_problems.append(message.text) if message.type == "error" else None,
    )
    yield page
    await context.close()
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


async def stored_session(page: Page) -> dict[str, Any]:
    stored: dict[str, Any] = await page.evaluate(f"JSON.parse(sessionStorage.getItem('{SESSION_KEY}'))")
    return stored


async def store_session(page: Page, session: dict[str, Any]) -> None:
    await page.evaluate(
        "([key, value]) => sessionStorage.setItem(key, value)", [SESSION_KEY, json.dumps(session)]
    )


async def api_token(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post(
        "/graphql", json={"query": SIGN_IN, "variables": {"input": {"email": email, "password": password}}}
    )
    payload = response.json()["data"]["signIn"]
    assert payload["errors"] == []
    token: str = payload["session"]["accessToken"]
    return token
