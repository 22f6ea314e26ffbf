"""The web client's budgets and funding page (frontend_stub/js/funding.js) in a real browser.

The figures on the page are checked against a computation over the demo content's own file
(storage/demo/practices.json): the published practices' funding, summed in the test.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.browser import PHONE

DEMO_PRACTICES = Path(__file__).resolve().parent.parent / "storage" / "demo" / "practices.json"
PRACTICE_IDS = "query { practices(first: 100) { nodes { id title } } }"
WASTE_BANK = 'Bank Sampah Digital "Tabungan Hijau" Kelurahan Depok Jaya'


def _published(**where: Any) -> list[dict[str, Any]]:
    practices: list[dict[str, Any]] = json.loads(DEMO_PRACTICES.read_text())
    found = [p for p in practices if p["status"] == "PUBLISHED"]
    if "theme" in where:
        found = [p for p in found if where["theme"] in p["themes"]]
    if "province" in where:
        province = where["province"]
        found = [p for p in found if any(code.split(".")[0] == province for code in p["region_codes"])]
    return found


def rupiah(amount: float) -> str:
    """What the page must show: "Rp 1.250.000", a no-break space after "Rp", whole rupiah."""
    return "Rp\u00a0" + f"{int(amount + 0.5):,}".replace(",", ".")


def _cost_per_beneficiary(practice: dict[str, Any]) -> float | None:
    cost = sum(f["amount"] for f in practice.get("funding", []))
    count = (practice.get("beneficiaries") or {}).get("count")
    return cost / count if cost > 0 and count else None


async def test_the_funding_page_charts_the_demo_practices_funding_by_source_in_rupiah(
    page: Page, output_dir: Path
) -> None:
    # given: the published demo practices' funding, summed here
    published = _published()
    by_source: dict[str, int] = defaultdict(int)
    for practice in published:
        for entry in practice["funding"]:
            by_source[entry["source"]] += entry["amount"]
    total = sum(by_source.values())
    await page.goto("/")
    # when
    await page.get_by_role("navigation").get_by_role("link", name="Anggaran").click()
    # then: the total in rupiah, a bar per source, largest first, each with its amount
    await expect(page.get_by_role("heading", level=1)).to_have_text("Anggaran dan pendanaan")
    await expect(page.locator("#funding-total")).to_have_text(rupiah(total))
    await expect(page.locator("#funding-practices")).to_have_text(str(len(published)))
    chart = page.locator("svg#funding-chart")
    await expect(chart).to_be_visible()
    bars = chart.locator("g.bar")
    await expect(bars).to_have_count(len(by_source))
    largest = max(by_source, key=lambda source: by_source[source])
    await expect(bars.first).to_have_attribute("data-source", largest)
    await expect(bars.first.locator(".bar-value")).to_have_text(rupiah(by_source[largest]))
    kelurahan_fund = chart.locator('g.bar[data-source="DANA_KELURAHAN"] .bar-label')
    await expect(kelurahan_fund).to_have_text("Dana Kelurahan")
    # the stages as a table, and the five figures of cost per beneficiary, all in rupiah
    stages = page.locator("#funding-stages tbody tr")
    await expect(stages).to_have_count(4)
    applied = sum(p["stage"] == "APPLIED" for p in published)
    applied_row = page.locator('#funding-stages tr[data-stage="APPLIED"]')
    await expect(applied_row).to_have_text(f"Diterapkan{applied}")
    values = sorted(v for p in published if (v := _cost_per_beneficiary(p)) is not None)
    median = page.locator('#funding-quartiles [data-quantile="median"] dd')
    await expect(median).to_have_text(rupiah(statistics.median(values)))
    await expect(page.locator('#funding-quartiles [data-quantile="min"] dd')).to_have_text(rupiah(values[0]))
    await page.screenshot(path=output_dir / "funding.png", full_page=True)

    # when: narrowed to a theme and a province
    await page.get_by_label("Tema").select_option(label="Pengelolaan Sampah")
    await page.get_by_label("Provinsi", exact=True).select_option(label="Jawa Barat")
    # then: the figures of those practices only, and the filter in the address
    chosen = _published(theme="WASTE_MANAGEMENT", province="32")
    await expect(page.locator("#funding-total")).to_have_text(
        rupiah(sum(f["amount"] for p in chosen for f in p["funding"]))
    )
    await expect(page.locator("#funding-status")).to_have_text(f"{len(chosen)} praktik baik terbit")
    assert "theme=WASTE_MANAGEMENT" in page.url
    assert re.search(r"region=32\b", page.url)

    # when: a year no demo practice ran in
    await page.get_by_label("Tahun berjalan").select_option("2015")
    # then
    empty = page.locator("#funding-empty")
    await expect(empty).to_have_text("Tidak ada praktik baik terbit dengan saringan ini.")


async def test_rupiah_reads_the_indonesian_way_in_both_languages(page: Page, output_dir: Path) -> None:
    # given
    await page.goto("/#/anggaran")
    fmt = "async (amount) => (await import('/js/i18n.js')).formatRupiah(amount)"
    # when
    indonesian = await page.evaluate(fmt, 1_250_000)
    await page.get_by_role("button", name="Switch the interface to English").click()
    english = await page.evaluate(fmt, 1_250_000)
    over_32_bits = await page.evaluate(fmt, 3_299_000_000)
    # then: the exact string, with the no-break space Intl's id-ID currency style also writes
    assert indonesian == english == "Rp\u00a01.250.000"
    assert over_32_bits == "Rp\u00a03.299.000.000"
    await expect(page.get_by_role("heading", level=1)).to_have_text("Budgets and funding")
    await expect(page.locator("#funding-stages thead")).to_have_text("StagePractices")
    # and on a phone the page fits the screen, the chart scaled down with it
    await page.set_viewport_size(PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await expect(page.locator("svg#funding-chart")).to_be_visible()
    await page.screenshot(path=output_dir / "funding-phone.png", full_page=True)


async def test_a_practice_page_shows_its_cost_per_beneficiary_beside_its_themes_median(
    page: Page, site: str
) -> None:
    # given: the Depok Jaya waste bank, and the published practices of its first theme
    async with httpx.AsyncClient(base_url=site) as http:
        response = await http.post("/graphql", json={"query": PRACTICE_IDS})
    nodes = response.json()["data"]["practices"]["nodes"]
    (practice_id,) = [node["id"] for node in nodes if node["title"] == WASTE_BANK]
    (practice,) = [p for p in _published() if p["title"] == WASTE_BANK]
    theme = practice["themes"][0]
    costs = [v for p in _published(theme=theme) if (v := _cost_per_beneficiary(p)) is not None]
    own = _cost_per_beneficiary(practice)
    assert own is not None
    # when
    await page.goto(f"/#/item/{practice_id}")
    # then
    await expect(page.locator("#cost-per-beneficiary")).to_contain_text(
        f"{rupiah(own)} per penerima manfaat, median tema: {rupiah(statistics.median(costs))}"
    )
    # and the link compares the budgets of the theme
    await page.locator("#cost-per-beneficiary").get_by_role("link", name="Bandingkan anggaran").click()
    await expect(page.get_by_label("Tema")).to_have_value(theme)
