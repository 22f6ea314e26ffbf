"""GraphiQL at /graphql in a real browser that can reach nothing but the app (development mode).

Every request to another host is aborted and recorded: the page must work from the files the app
serves (server/ide.py), and try nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from server.ide import CONTENT_SECURITY_POLICY
from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, HAS_CHROMIUM
from tests.support import organization_record, user_with_token

PRACTICE_COUNT = "{ practices(first: 1) { totalCount } }"
VIEWER = "query Me { viewer { name role } }"
GRAPHIQL_FILES = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "plugin-explorer.umd.js",
    "plugin-explorer.css",
    "page.css",
    "start.js",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAS_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def elsewhere() -> list[str]:
    """The URLs of other hosts that the page tried to reach."""
    return []


@pytest.fixture
async def graphiql(browser: Browser, served: str, elsewhere: list[str]) -> AsyncIterator[Page]:
    """GraphiQL opened in a fresh profile, offline but for the app; script errors fail the test."""
    context = await browser.new_context(base_url=served, viewport=DESKTOP)
    problems: list[str] = []

    async def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", offline)
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    await page.goto("/graphql")
    await expect(page.get_by_role("button", name="Execute query (Ctrl-Enter)")).to_be_visible()
    yield page
    await context.close()
    assert problems == []
    assert elsewhere == []


async def run_in_editor(page: Page, document: str) -> None:
    """Replace the query editor's text with ``document`` and run it."""
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    # inserted, not typed key by key: the editor would close every brace typed
    await page.keyboard.insert_text(document)
    # GraphiQL takes in an edit (and the operation to run) a moment later, then stores it
    await page.wait_for_function("doc => localStorage.getItem('graphiql:query') === doc", arg=document)
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()


async def test_graphiql_runs_a_query_from_its_editor_with_other_hosts_unreachable(
    graphiql: Page, elsewhere: list[str], output_dir: Path
) -> None:
    # when
    await run_in_editor(graphiql, PRACTICE_COUNT)
    # then
    response = graphiql.locator(".graphiql-response .CodeMirror")
    await expect(response).to_contain_text('"totalCount": 0')
    await graphiql.screenshot(path=output_dir / "graphiql-query.png")
    assert elsewhere == []


async def test_graphiql_documents_the_practice_type(graphiql: Page, output_dir: Path) -> None:
    # when
    await graphiql.get_by_role("button", name="Show Documentation Explorer").click()
    docs = graphiql.get_by_role("region", name="Documentation Explorer")
    await docs.get_by_role("link", name="Practice", exact=True).click()
    # then
    await expect(docs.locator(".graphiql-doc-explorer-title")).to_have_text("Practice")
    await expect(docs).to_contain_text("buildingBlocks")
    await graphiql.screenshot(path=output_dir / "graphiql-docs.png")


async def test_graphiql_explorer_lists_the_query_fields(graphiql: Page) -> None:
    # when
    await graphiql.get_by_role("button", name="Show GraphiQL Explorer").click()
    # then
    await expect(graphiql.locator(".graphiql-explorer-root")).to_contain_text("practices")


async def test_graphiql_sends_the_token_from_its_headers_editor(
    graphiql: Page, stores: Stores, output_dir: Path
) -> None:
    # given: a member's live access token
    organization = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    _, token = await user_with_token(stores, role=Role.MEMBER, organization_id=organization.id, name="Siti")
    await graphiql.get_by_role("button", name="Headers").click()
    headers = graphiql.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    await headers.click()
    await graphiql.keyboard.insert_text(f'{{"Authorization": "Bearer {token}"}}')
    # when
    await run_in_editor(graphiql, VIEWER)
    # then
    response = graphiql.locator(".graphiql-response .CodeMirror")
    await expect(response).to_contain_text('"name": "Siti"')
    await expect(response).to_contain_text('"role": "MEMBER"')
    await graphiql.screenshot(path=output_dir / "graphiql-signed-in.png")


async def test_graphiql_is_served_with_its_files_from_this_origin_only(served: str) -> None:
    # when
    async with httpx.AsyncClient(base_url=served) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        files = [await client.get(f"/graphiql/{name}") for name in GRAPHIQL_FILES]
        outside = await client.get("/graphiql/package.json")
        traversal = await client.get("/graphiql/..%2Fpackage.json")
    # then
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "https://" not in page.text
    assert [response.status_code for response in files] == [200] * len(GRAPHIQL_FILES)
    assert (outside.status_code, traversal.status_code) == (404, 404)
