"""Indicator charts on practice and replication pages (frontend_stub/js/indicators.js, charts.js).

Driven in a real browser on the demo content (tests/browser.py): the practice page charts each
reported indicator with its baseline and target, a replication's page draws the original
practice's reports as a second line, and a member of the owning organization corrects a report.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.async_api import Page, expect

from resolvers.exchange_drafts import today_in_indonesia
from storage.indicators import period_containing, period_of_ordinal, period_ordinal
from storage.vocabulary import PeriodGranularity
from tests.browser import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in

POSYANDU = "Posyandu Prima Cegah Stunting Kelurahan Mangasa"
NITA = "Replikasi Posyandu Prima Cegah Stunting di Desa Nita, Kabupaten Sikka"
BANK_SAMPAH = 'Bank Sampah Digital "Tabungan Hijau" Kelurahan Depok Jaya'
ITEMS = "{ practices(first: 100) { nodes { id title } } replications(first: 100) { nodes { id title } } }"


async def _item_id(site: str, title: str) -> str:
    async with httpx.AsyncClient(base_url=site) as http:
        data = (await http.post("/graphql", json={"query": ITEMS})).json()["data"]
    (found,) = [
        n["id"] for kind in ("practices", "replications") for n in data[kind]["nodes"] if n["title"] == title
    ]
    return str(found)


def _quarter_ago(periods: int) -> str:
    current = period_ordinal(
        PeriodGranularity.QUARTER, period_containing(PeriodGranularity.QUARTER, today_in_indonesia())
    )
    assert current is not None
    return period_of_ordinal(PeriodGranularity.QUARTER, current - periods)


def _last_quarter() -> str:
    return _quarter_ago(1)


BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def _last_month_shown() -> str:
    current = period_ordinal(
        PeriodGranularity.MONTH, period_containing(PeriodGranularity.MONTH, today_in_indonesia())
    )
    assert current is not None
    year, month = period_of_ordinal(PeriodGranularity.MONTH, current - 1).split("-")
    return f"{BULAN[int(month) - 1]} {year}"


def _shown(quarter: str) -> str:
    """A quarter as the page writes it: 2026-Q1 is "Triwulan I 2026"."""
    year, number = quarter.split("-Q")
    return f"Triwulan {['I', 'II', 'III', 'IV'][int(number) - 1]} {year}"


async def test_a_practice_page_charts_each_indicator_with_baseline_target_and_points(
    page: Page, site: str, output_dir: Path
) -> None:
    # given the demo's stunting practice, reported for eight quarters
    practice = await _item_id(site, POSYANDU)
    # when
    await page.goto(f"/#/item/{quote(practice)}")
    # then
    section = page.locator("section.monitoring")
    await expect(section.get_by_role("heading", level=2)).to_have_text("Pemantauan indikator")
    stunting = section.locator('li.indicator[data-key="prevalensi-stunting-balita"]')
    chart = stunting.get_by_role("img")
    await expect(chart).to_have_attribute(
        "aria-label",
        f"Grafik Prevalensi stunting balita: 8 laporan dari {_shown(_eight_quarters())} sampai "
        f"{_shown(_last_quarter())}, terakhir 11,4 %. Target 10 %.",
    )
    await expect(chart.locator(".line-baseline line")).to_have_count(1)
    await expect(chart.locator(".line-target line")).to_have_count(1)
    await expect(chart.locator(".series-own circle")).to_have_count(8)
    await expect(chart.locator(".series-own circle title").last).to_have_text(
        f"Prevalensi stunting balita · {_shown(_last_quarter())}: 11,4"
    )
    await expect(stunting.locator(".badge.trend")).to_have_text("Membaik")
    await expect(stunting).to_contain_text("Kemajuan menuju target: 85,7%")
    # and the values are there for screen readers too
    await expect(stunting.locator(".visually-hidden table tbody tr")).to_have_count(8)
    # and the latest report's note, with its evidence link
    notes = stunting.locator(".indicator-notes")
    await notes.get_by_text("Catatan laporan").click()
    await expect(notes).to_contain_text(f"{_shown(_last_quarter())} · Pengukuran serentak bulan timbang")
    await expect(notes.get_by_role("link", name="bukti")).to_have_attribute(
        "href", "https://sigizi.kemkes.go.id/"
    )
    # and an anonymous visitor gets no report form
    await expect(stunting.get_by_text("Laporkan capaian")).to_have_count(0)
    await section.scroll_into_view_if_needed()
    await page.screenshot(path=output_dir / "indicators.png", full_page=False)


def _eight_quarters() -> str:
    last = period_ordinal(PeriodGranularity.QUARTER, _last_quarter())
    assert last is not None
    return period_of_ordinal(PeriodGranularity.QUARTER, last - 7)


async def test_a_replication_page_draws_the_original_practice_as_a_second_line(
    page: Page, site: str, output_dir: Path
) -> None:
    # given Nita's replication of the Mangasa posyandu: six quarters beside the original's eight
    replication = await _item_id(site, NITA)
    # when
    await page.goto(f"/#/item/{quote(replication)}")
    # then both lines are drawn on the same quarters, with a legend
    section = page.locator("section.monitoring")
    await expect(section.get_by_role("heading", level=2)).to_have_text(
        "Pemantauan indikator dibanding praktik asal"
    )
    stunting = section.locator('li.indicator[data-key="prevalensi-stunting-balita"]')
    chart = stunting.get_by_role("img")
    await expect(chart.locator(".series-own circle")).to_have_count(6)
    await expect(chart.locator(".series-original circle")).to_have_count(8)
    await expect(chart).to_have_attribute(
        "aria-label",
        f"Grafik Prevalensi stunting balita: 6 laporan dari {_shown(_six_quarters())} sampai "
        f"{_shown(_last_quarter())}, terakhir 22,9 %. Target 18 %. Praktik asal melaporkan 11,4 % pada "
        f"{_shown(_last_quarter())}.",
    )
    await expect(stunting.locator(".chart-legend")).to_contain_text("Praktik asal")
    await expect(stunting.locator(".chart-legend")).to_contain_text("Replikasi ini")
    await section.scroll_into_view_if_needed()
    await page.screenshot(path=output_dir / "indicators-comparison.png", full_page=False)


def _six_quarters() -> str:
    last = period_ordinal(PeriodGranularity.QUARTER, _last_quarter())
    assert last is not None
    return period_of_ordinal(PeriodGranularity.QUARTER, last - 5)


KEMIREN = "Rencana Replikasi APBDes Terbuka hingga Dusun di Desa Kemiren, Kabupaten Banyuwangi"


async def test_the_results_table_shows_the_progress_of_the_latest_report(page: Page, site: str) -> None:
    # given Kemiren's replication: no value stated as achieved, 61 % reported against a target of 90 %
    replication = await _item_id(site, KEMIREN)
    # when
    await page.goto(f"/#/item/{quote(replication)}")
    # then the results table's bar says what the monitoring section says: 67.8 %
    row = page.locator("table.indicators tbody tr", has_text="Pertanyaan warga yang dijawab dalam 7 hari")
    await expect(row.locator(".progress-bar")).to_have_attribute("style", "width: 68%")
    await expect(page.locator("section.monitoring")).to_contain_text("Kemajuan menuju target: 67,8%")


async def test_a_member_of_the_owning_organization_corrects_a_report_from_the_page(
    page: Page, site: str
) -> None:
    # given the demo member of Depok Jaya on the page of its waste bank
    practice = await _item_id(site, BANK_SAMPAH)
    await page.goto(f"/#/sign-in?next={quote(f'/item/{practice}', safe='')}")
    await sign_in(page)
    customers = page.locator('li.indicator[data-key="nasabah-aktif"]')
    await expect(customers.get_by_role("img")).to_be_visible()
    # and its monthly indicator's periods read as months
    monthly = page.locator('li.indicator[data-key="sampah-anorganik-terkelola-bank-sampah"]')
    await expect(monthly).to_contain_text(f"Laporan terakhir {_last_month_shown()}: 13,2 ton/bulan")
    # when the last quarter is reported again, corrected
    await customers.get_by_text("Laporkan capaian").click()
    form = customers.get_by_role("form")
    await form.get_by_label("Periode", exact=True).fill(_last_quarter())
    await form.get_by_label("Nilai (orang)").fill("2150")
    await form.get_by_role("button", name="Simpan laporan").click()
    # then the chart shows the corrected value, still five quarters
    await expect(customers.locator(".series-own circle title").last).to_have_text(
        f"Nasabah aktif · {_shown(_last_quarter())}: 2.150"
    )
    await expect(customers.locator(".series-own circle")).to_have_count(5)
    # and a period not begun is refused next to the form
    await customers.get_by_text("Laporkan capaian").click()
    await form.get_by_label("Periode", exact=True).fill("2099-Q1")
    await form.get_by_label("Nilai (orang)").fill("1")
    await form.get_by_role("button", name="Simpan laporan").click()
    await expect(form.get_by_role("alert")).to_contain_text("Periode ini belum dimulai.")
    await expect(form.get_by_label("Periode", exact=True)).to_have_attribute("aria-invalid", "true")
    # and a value too large is named as such, on its field
    await form.get_by_label("Periode", exact=True).fill(_last_quarter())
    await form.get_by_label("Nilai (orang)").fill("1e300")
    await form.get_by_role("button", name="Simpan laporan").click()
    await expect(form.get_by_role("alert")).to_contain_text("Nilai terlalu besar.")
    await expect(form.get_by_label("Nilai (orang)")).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_label("Periode", exact=True)).not_to_have_attribute("aria-invalid", "true")


async def test_a_report_on_a_replication_redraws_its_comparison_placed_by_calendar_period(
    page: Page, site: str
) -> None:
    # given a hub admin on Nita's replication, whose six quarters sit beside the original's eight
    replication = await _item_id(site, NITA)
    await page.goto(f"/#/sign-in?next={quote(f'/item/{replication}', safe='')}")
    await sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    stunting = page.locator('li.indicator[data-key="prevalensi-stunting-balita"]')
    chart = stunting.get_by_role("img")
    await expect(chart.locator(".series-own circle")).to_have_count(6)
    # when a quarter well before both series is reported (its kind of period fixed by the reports)
    await stunting.get_by_text("Laporkan capaian").click()
    form = stunting.get_by_role("form")
    await expect(form.get_by_label("Jenis periode")).to_be_disabled()
    early = _quarter_ago(10)
    await form.get_by_label("Periode", exact=True).fill(early.lower())
    await form.get_by_label("Nilai (%)").fill("29")
    await form.get_by_role("button", name="Simpan laporan").click()
    # then the chart is drawn again from the comparison as it is now, and the save is announced
    await expect(chart.locator(".series-own circle")).to_have_count(7)
    await expect(chart.locator(".series-own circle title").first).to_have_text(
        f"Replikasi ini · {_shown(early)}: 29"
    )
    await expect(chart.locator(".series-original circle")).to_have_count(8)
    await expect(stunting.get_by_role("status")).to_have_text(f"Laporan {_shown(early)} tersimpan.")
    # and the quarter nobody reported between it and the original's first leaves a gap of two steps
    own = float(await chart.locator(".series-own circle").first.get_attribute("cx") or "nan")
    first, second = [
        float(await chart.locator(".series-original circle").nth(n).get_attribute("cx") or "nan")
        for n in (0, 1)
    ]
    assert abs((first - own) - 2 * (second - first)) < 0.5
