"""`python -m server import`/`export`, `/export/practices.{csv,xlsx}` and the shipped template.

Rows are validated as createPractice validates its input; a bad row is reported by line, column
and field in a report file and nothing of it is written; exports take the `practices` filter and
come in the Lumbung layout (importable again) or the national regional-innovation layout.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from resolvers.context import Context
from resolvers.ids import encode_id
from resolvers.spreadsheets import (
    LUMBUNG_COLUMNS,
    NATIONAL_COLUMNS,
    ImportReport,
    MappingError,
    import_columns,
    import_practices,
    map_columns,
)
from resolvers.viewer import Viewer
from server.app import auth_config
from server.progress import Progress
from server.supervisor import LocalService
from server.tables import read_table
from server.template import DATA_SHEET, SAMPLE_CSV, TEMPLATE, template_headers, write_template
from storage.database import Stores
from storage.records import OrganizationRecord
from storage.vocabulary import OrganizationKind, Role
from tests.conftest import settings_for
from tests.support import CREATE_PRACTICE, GraphQLClient, organization_record, practice_input

ORGANIZATION = "Pemerintah Kelurahan Depok Jaya"
PRACTICES = """
query Practices($filter: PracticeFilter, $after: String) {
  practices(filter: $filter, first: 100, after: $after) {
    totalCount nodes { id title } pageInfo { hasNextPage endCursor }
  }
}
"""
ORGANIZATIONS = "query Organizations { organizations(first: 100) { nodes { name } } }"
BAD_ROWS = [
    # a stage the vocabulary does not have
    {"Judul": "Kampung Tangguh Bencana", "Tahap": "Selesai"},
    # a title createPractice refuses (too short)
    {"Judul": "AB"},
    # a region code nobody has
    {"Judul": "Pos Ronda Digital", "Kode Wilayah": "99.99.99.9999"},
]


def _environment(mongo: LocalService, meili: LocalService, database: str, data_dir: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("LUMBUNG_", "MEILI_", "MONGODB_"))}
    return {
        **kept,
        "LUMBUNG_ENV": "test",
        "LUMBUNG_DATA_DIR": str(data_dir),
        "MONGODB_URI": mongo.url,
        "LUMBUNG_MONGODB_DATABASE": database,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.api_key or "",
    }


def _command(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _sample_with_bad_rows(path: Path) -> Path:
    """The shipped sample (three good rows), then three rows each wrong in one way."""
    with SAMPLE_CSV.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    good = rows[0]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(good))
        writer.writeheader()
        writer.writerows(rows)
        for bad in BAD_ROWS:
            writer.writerow({**good, **bad})
    return path


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.DictReader(source))


async def _organization(stores: Stores, name: str = ORGANIZATION) -> OrganizationRecord:
    return await organization_record(
        stores, name=name, kind=OrganizationKind.KELURAHAN_GOVERNMENT, region_code="32.76.05.1001"
    )


def _context(stores: Stores, mongo: LocalService, meili: LocalService) -> Context:
    settings = settings_for(mongo, meili, stores.database.name)
    viewer = Viewer(role=Role.REVIEWER, name="import")
    return Context.for_request(stores, request_id="import-test", auth=auth_config(settings), viewer=viewer)


async def _import(
    stores: Stores, mongo: LocalService, meili: LocalService, path: Path, **overrides: str
) -> ImportReport:
    headers, rows = read_table(path)
    return await import_practices(
        _context(stores, mongo, meili),
        rows,
        mapping=map_columns(headers, overrides),
        organization=await _organization(stores),
        source=path.name,
    )


# Import ------------------------------------------------------------------------------------


async def test_import_of_a_csv_stores_good_rows_as_drafts_and_reports_each_bad_one(
    mongo: LocalService, meili: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: the sample and three bad rows, and the organization they belong to
    organization = await _organization(stores)
    file = _sample_with_bad_rows(tmp_path / "inovasi.csv")
    # when
    done = _command(
        "import",
        file,
        "--organization",
        ORGANIZATION,
        env=_environment(mongo, meili, stores.database.name, tmp_path),
    )
    # then: it says what it did, and fails (exit 2) because rows were refused
    assert done.returncode == 2, done.stderr
    assert "imported 3 of 6 rows as draft practices; 3 rows refused" in done.stdout
    assert "inovasi.laporan.csv" in done.stdout
    # and the report names each bad row's line (the header is line 1), column, field and code
    report = _report(tmp_path / "inovasi.laporan.csv")
    assert [(row["baris"], row["kolom"], row["field"], row["kode"]) for row in report] == [
        ("5", "Tahap", "stage", "INVALID"),
        ("6", "Judul", "title", "TOO_SHORT"),
        ("7", "Kode Wilayah", "regionCodes.0", "UNKNOWN_REGION"),
    ]
    assert all(row["pesan"] for row in report)
    # and the good rows are drafts of the organization with an audit entry; nothing of the bad ones
    stored = await stores.practices.collection.find({}).to_list()
    assert sorted(document["title"] for document in stored) == [
        "Bank Sampah Digital RW 05",
        "Musrenbang Daring Sukmajaya",
        "Posyandu Keliling Abadijaya",
    ]
    assert {document["status"] for document in stored} == {"DRAFT"}
    assert {document["organization_id"] for document in stored} == {organization.id}
    audited = await stores.audit_trail.collection.count_documents(
        {"subject_id": {"$in": [d["_id"] for d in stored]}, "actor_name": "Impor berkas inovasi.csv"}
    )
    assert audited == 3
    assert await stores.audit_trail.collection.count_documents({}) == 3
    # and progress went to standard error as plain lines (no terminal here)
    assert "import inovasi.csv: 6/6 (100%)" in done.stderr


async def test_import_reads_the_row_as_createpractice_would_and_refuses_what_it_refuses(
    api: GraphQLClient, mongo: LocalService, meili: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a title too long and an SDG out of range, once through the API, once in a file
    organization = await _organization(stores)
    wrong = {"title": "Bank Sampah " * 30, "sdgs": [11, 18]}
    answer = await api.data(
        CREATE_PRACTICE, {"input": practice_input(encode_id("Organization", organization.id), **wrong)}
    )
    with SAMPLE_CSV.open(encoding="utf-8-sig", newline="") as source:
        row = next(csv.DictReader(source))
    file = tmp_path / "satu.csv"
    with file.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow({**row, "Judul": wrong["title"], "SDGs": "11, 18"})
    # when
    report = await _import(stores, mongo, meili, file)
    # then: the same fields and codes
    from_api = sorted((e["field"], e["code"]) for e in answer["createPractice"]["errors"])
    from_file = sorted((e.field, e.code) for e in report.errors)
    assert from_api == from_file
    assert len(from_file) == 2
    assert {e.line for e in report.errors} == {2}
    assert report.imported == []


async def test_import_of_an_xlsx_follows_a_column_mapping(
    mongo: LocalService, meili: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: a region's own spreadsheet, its headers unlike the template's, and a mapping for them
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Nama Kegiatan", "Uraian", "Bidang", "Persoalan", "Cara", "Status Inovasi", "Biaya", "Sejak"]
    )
    sheet.append(
        [
            "Layanan Adminduk Keliling",
            "Petugas kelurahan melayani KTP dan KK di balai RW setiap Sabtu.",
            "Pelayanan Publik",
            "Warga lansia sulit datang ke kantor kelurahan.",
            "Jadwal keliling per RW dengan perangkat perekaman portabel.",
            "Uji Coba",
            35_000_000,
            "2024-03-01",
        ]
    )
    file = tmp_path / "data-wilayah.xlsx"
    workbook.save(file)
    mapping = {
        "title": "Nama Kegiatan",
        "summary": "Uraian",
        "themes": "Bidang",
        "problem": "Persoalan",
        "approach": "Cara",
        "stage": "Status Inovasi",
        "funding_amount": "Biaya",
        "period_start": "Sejak",
    }
    mapping_file = tmp_path / "pemetaan.json"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    await _organization(stores)
    # when
    done = _command(
        "import",
        file,
        "--organization",
        ORGANIZATION.upper(),
        "--mapping",
        mapping_file,
        "--column",
        "funding_source=Biaya",
        env=_environment(mongo, meili, stores.database.name, tmp_path),
    )
    # then: --column overrides the mapping file, so the amount is read as a source: a reported error
    assert done.returncode == 2, done.stderr
    [refused] = _report(tmp_path / "data-wilayah.laporan.csv")
    assert (refused["baris"], refused["kolom"], refused["field"]) == ("2", "Biaya", "funding_source")
    # when: without that override
    done = _command(
        "import",
        file,
        "--organization",
        ORGANIZATION.upper(),
        "--mapping",
        mapping_file,
        env=_environment(mongo, meili, stores.database.name, tmp_path),
    )
    # then
    assert done.returncode == 0, done.stdout + done.stderr
    [stored] = await stores.practices.collection.find({}).to_list()
    assert stored["title"] == "Layanan Adminduk Keliling"
    assert stored["themes"] == ["PUBLIC_SERVICE"]
    assert stored["stage"] == "PILOT"
    assert [(f["source"], f["amount"]) for f in stored["funding"]] == [("OTHER", 35_000_000)]
    assert stored["period"]["start"] == "2024-03-01"
    assert stored["region_codes"] == ["32.76.05.1001"], "no region column: the organization's region"


async def test_importing_a_file_again_adds_nothing_and_a_dry_run_writes_nothing(
    mongo: LocalService, meili: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given
    await _organization(stores)
    file = tmp_path / "contoh.csv"
    shutil.copy(SAMPLE_CSV, file)
    env = _environment(mongo, meili, stores.database.name, tmp_path)
    # when
    dry = _command("import", file, "--organization", ORGANIZATION, "--dry-run", env=env)
    count_after_dry_run = await stores.practices.collection.count_documents({})
    first = _command("import", file, "--organization", ORGANIZATION, env=env)
    again = _command("import", file, "--organization", ORGANIZATION, env=env)
    # then
    assert dry.returncode == 0, dry.stderr
    assert "would import 3 of 3 rows" in dry.stdout
    assert count_after_dry_run == 0
    assert first.returncode == 0, first.stderr
    assert again.returncode == 2
    assert {row["kode"] for row in _report(tmp_path / "contoh.laporan.csv")} == {"DUPLICATE"}
    assert await stores.practices.collection.count_documents({}) == 3


def test_a_mapping_must_name_fields_and_columns_that_exist() -> None:
    with pytest.raises(MappingError, match="not a field"):
        map_columns(["Judul"], {"judul_praktik": "Judul"})
    with pytest.raises(MappingError, match="which the file does not have"):
        map_columns(["Judul"], {"title": "Nama Inovasi"})
    # headers match the template's, a field's key or an alias, whatever their case and punctuation
    assert map_columns(["NAMA INOVASI", "permasalahan", "Rancang bangun / pendekatan"]) == {
        "title": "NAMA INOVASI",
        "problem": "permasalahan",
        "approach": "Rancang bangun / pendekatan",
    }


# The template ------------------------------------------------------------------------------


async def test_the_shipped_template_is_current_and_its_example_row_imports(
    mongo: LocalService, meili: LocalService, stores: Stores, tmp_path: Path
) -> None:
    # given: the template as the code writes it now
    fresh = tmp_path / "template.xlsx"
    write_template(fresh)
    # then: the committed one has the same sheets, headers and example (`python -m server import-template`)
    shipped, current = load_workbook(TEMPLATE, read_only=True), load_workbook(fresh, read_only=True)
    assert shipped.sheetnames == current.sheetnames
    for name in shipped.sheetnames:
        assert list(shipped[name].values) == list(current[name].values), (
            f"{name} drifted: run import-template"
        )
    assert [c.value for c in next(iter(shipped[DATA_SHEET].rows))] == template_headers()
    assert template_headers() == [column.header for column in import_columns()]
    # and the sample CSV has the template's columns
    with SAMPLE_CSV.open(encoding="utf-8-sig", newline="") as source:
        assert set(next(csv.reader(source))) <= set(template_headers())
    # when: the template itself, with its example row, is imported
    report = await _import(stores, mongo, meili, TEMPLATE)
    # then
    assert report.errors == []
    assert len(report.imported) == 1


# Progress ----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    # given
    plain, terminal = io.StringIO(), Terminal()
    # when
    for stream in (plain, terminal):
        with Progress(stream=stream, every_s=3600) as progress:
            for done in range(0, 201, 20):
                progress.update("practices", done, 200)
    # then: in a log, a first line and the last, not one per update
    assert plain.getvalue().splitlines() == ["practices: 0/200 (0%)", "practices: 200/200 (100%)"]
    # and on a terminal, rich's bar, drawn in place
    drawn = terminal.getvalue()
    assert "200/200" in drawn
    assert "━" in drawn
    assert "practices: 0/200" not in drawn


# Export ------------------------------------------------------------------------------------


async def _titles(api: GraphQLClient, filter: dict[str, Any] | None = None) -> list[str]:
    titles: list[str] = []
    after = None
    while True:
        page = (await api.data(PRACTICES, {"filter": filter, "after": after}))["practices"]
        titles += [node["title"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return titles
        after = page["pageInfo"]["endCursor"]


def _csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


async def test_the_export_route_gives_what_practices_gives_as_csv_with_the_same_filter(
    demo_api: GraphQLClient,
) -> None:
    # when
    everything = await demo_api.http.get("/export/practices.csv")
    waste = await demo_api.http.get("/export/practices.csv", params={"theme": "WASTE_MANAGEMENT"})
    # then
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="praktik-baik-' in everything.headers["content-disposition"]
    rows = _csv_rows(everything.text)
    assert list(rows[0]) == [column.header for column in LUMBUNG_COLUMNS]
    assert sorted(row["Judul"] for row in rows) == sorted(await _titles(demo_api))
    waste_titles = sorted(row["Judul"] for row in _csv_rows(waste.text))
    assert waste_titles == sorted(await _titles(demo_api, {"themes": ["WASTE_MANAGEMENT"]}))
    assert 0 < len(waste_titles) < len(rows)
    # and personal contact data stays with signed-in members, as in the API
    assert {row["Email Narahubung"] for row in rows} == {""}


async def test_the_export_route_gives_the_national_layout_as_xlsx(demo_api: GraphQLClient) -> None:
    # when
    response = await demo_api.http.get("/export/practices.xlsx", params={"layout": "national"})
    # then
    assert response.status_code == 200
    assert 'filename="inovasi-daerah-' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *rows = list(sheet.values)
    assert list(header) == [column.header for column in NATIONAL_COLUMNS]
    assert list(header[:4]) == ["Nama Inovasi", "Inisiator Inovasi", "Nama Inisiator", "Jenis Inovasi"]
    by_name = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted(str(row["Nama Inovasi"]) for row in by_name) == sorted(await _titles(demo_api))
    assert {row["Jenis Inovasi"] for row in by_name} <= {"Digital", "Non Digital"}
    assert {row["Inisiator Inovasi"] for row in by_name} <= {"OPD", "Masyarakat"}
    assert all(row["Permasalahan"] and row["Rancang Bangun / Pendekatan"] for row in by_name)


async def test_the_export_route_refuses_an_unknown_filter_value(demo_api: GraphQLClient) -> None:
    # when
    response = await demo_api.http.get("/export/practices.csv", params={"stage": "FINISHED"})
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_export_command_writes_both_layouts_and_its_csv_imports_again(
    mongo: LocalService, meili: LocalService, demo_database: str, demo_api: GraphQLClient, tmp_path: Path
) -> None:
    # given
    env = _environment(mongo, meili, demo_database, tmp_path)
    # when
    national = _command("export", "--layout", "national", "-o", tmp_path / "inovasi.xlsx", env=env)
    lumbung = _command("export", "--theme", "WASTE_MANAGEMENT", "-o", tmp_path / "praktik.csv", env=env)
    # then
    assert national.returncode == 0, national.stderr
    assert lumbung.returncode == 0, lumbung.stderr
    sheet = load_workbook(tmp_path / "inovasi.xlsx", read_only=True).worksheets[0]
    assert len(list(sheet.values)) - 1 == len(await _titles(demo_api))
    waste = await _titles(demo_api, {"themes": ["WASTE_MANAGEMENT"]})
    assert f"exported {len(waste)} practices" in lumbung.stderr
    # when: the Lumbung layout is read back, for an organization that owns none of it (a dry run)
    with (tmp_path / "praktik.csv").open(encoding="utf-8-sig", newline="") as source:
        owners = {row["Organisasi"] for row in csv.DictReader(source)}
    names = [node["name"] for node in (await demo_api.data(ORGANIZATIONS))["organizations"]["nodes"]]
    other = next(name for name in names if name not in owners)
    checked = _command("import", tmp_path / "praktik.csv", "--organization", other, "--dry-run", env=env)
    unknown = _command(
        "import", tmp_path / "praktik.csv", "--organization", "Kelurahan Antah Berantah", env=env
    )
    # then: every exported row would import; an organization must exist
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"would import {len(waste)} of {len(waste)} rows" in checked.stdout
    assert unknown.returncode != 0
    assert "no organization has the ID or name" in unknown.stderr
