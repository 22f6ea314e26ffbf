"""The spreadsheet template officials fill in to import practices (``python -m server import-template``).

``server/templates/praktik-baik-template.xlsx`` is this module's output, committed so that it can
be downloaded from the repository; tests/test_import_export.py fails when the two drift apart.
Sheets: "Praktik Baik" (the columns and one example row), "Petunjuk" (what each column takes)
and "Daftar" (the allowed values of the closed vocabularies).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from resolvers.spreadsheets import LUMBUNG_COLUMNS, import_columns
from storage.vocabulary import FundingSource, Stage, Theme

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATES / "praktik-baik-template.xlsx"
SAMPLE_CSV = TEMPLATES / "praktik-baik-contoh.csv"
DATA_SHEET = "Praktik Baik"
REQUIRED = {"title", "summary", "problem", "approach", "stage", "themes"}

EXAMPLE: dict[str, str | int] = {
    "title": "Bank Sampah Digital RW 05",
    "title_en": "Digital waste bank of RW 05",
    "summary": "Warga menabung sampah terpilah dan mencatat saldo lewat aplikasi.",
    "region_codes": "32.76.05.1001",
    "themes": "Pengelolaan Sampah; Ekonomi Lokal dan UMKM",
    "sdgs": "11, 12",
    "problem": "Sampah rumah tangga menumpuk di TPS dan sungai.",
    "approach": "Bank sampah per RW dengan penimbangan mingguan dan saldo digital.",
    "stage": "Diterapkan",
    "is_digital": "Ya",
    "funding": "Dana Kelurahan | 150000000\nCSR/TJSL | 25000000 | timbangan digital",
    "beneficiaries_count": 1200,
    "beneficiaries": "Rumah tangga di RW 05",
    "legal_basis": "Peraturan Wali Kota Depok Nomor 12 Tahun 2023",
    "period_start": "2023-01-01",
    "results": "Sampah terpilah | ton per bulan | 2 | 10 | 8,5",
    "contact_name": "Siti Rahmawati",
    "contact_role": "Kepala Seksi Pemberdayaan Masyarakat",
    "lessons_learned": "Libatkan kader PKK sejak awal\nTimbang di hari yang tetap",
    "evidence_links": "Berita kelurahan | https://example.org/bank-sampah",
}


def write_template(path: Path = TEMPLATE) -> None:
    columns = import_columns()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.key in REQUIRED:
            cell.fill = required_fill
        example = sheet.cell(row=2, column=index, value=EXAMPLE.get(column.key))
        example.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = 18 if column.key not in REQUIRED else 28
    sheet.freeze_panes = "B2"
    lists = workbook.create_sheet("Daftar")
    vocabularies = {
        "Tahap": [stage.label_id for stage in Stage],
        "Tema": [theme.label_id for theme in Theme],
        "Sumber Dana": [source.label_id for source in FundingSource],
        "Digital": ["Ya", "Tidak"],
    }
    for index, (name, values) in enumerate(vocabularies.items(), start=1):
        lists.cell(row=1, column=index, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value)
        lists.column_dimensions[get_column_letter(index)].width = 34
    for key, list_name in (("stage", "Tahap"), ("is_digital", "Digital"), ("funding_source", "Sumber Dana")):
        position = next(i for i, c in enumerate(columns, start=1) if c.key == key)
        list_column = get_column_letter(list(vocabularies).index(list_name) + 1)
        size = len(vocabularies[list_name]) + 1
        validation = DataValidation(
            type="list", formula1=f"=Daftar!${list_column}$2:${list_column}${size}", allow_blank=True
        )
        validation.add(f"{get_column_letter(position)}2:{get_column_letter(position)}1000")
        sheet.add_data_validation(validation)
    guide = workbook.create_sheet("Petunjuk")
    guide.append(["Kolom", "Wajib", "Isi"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.header, "ya" if column.key in REQUIRED else "", column.help])
    guide.append([])
    guide.append(["Baris yang salah tidak disimpan; laporan menyebut baris, kolom dan alasannya."])
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["C"].width = 90
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def template_headers() -> list[str]:
    return [column.header for column in import_columns()]


__all__ = ["DATA_SHEET", "LUMBUNG_COLUMNS", "SAMPLE_CSV", "TEMPLATE", "template_headers", "write_template"]
