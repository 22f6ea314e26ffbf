"""Spreadsheet files: rows read from CSV or XLSX, rows written to CSV or XLSX.

Cells that a spreadsheet program would run as a formula (text starting with ``=``, ``+``, ``-``
or ``@``) are written as text: in XLSX typed as a string, in CSV behind an apostrophe, which
the import takes off again (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from resolvers.spreadsheets import Cell, Row

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """A file that cannot be read as a table (format, encoding, no header row)."""


def _clean(value: object) -> Cell:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("'") and text[1:2] in _FORMULA_START:
            text = text[1:]  # written so by an export: the apostrophe only kept it from running
        return text or None
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, datetime | date | int | float) or value is None:
        return value
    return str(value)


def _table(
    lines: Iterable[tuple[int, Sequence[object]]],
) -> tuple[list[str], list[tuple[int, dict[str, Cell]]]]:
    """The first non-empty line is the header; every later line a row keyed by it."""
    headers: list[str] | None = None
    rows: list[tuple[int, dict[str, Cell]]] = []
    for number, values in lines:
        cells = [_clean(value) for value in values]
        if headers is None:
            if any(cell is not None for cell in cells):
                headers = [str(cell) if cell is not None else "" for cell in cells]
            continue
        rows.append((number, {header: cell for header, cell in zip(headers, cells, strict=False) if header}))
    if headers is None:
        raise TableError("the file has no header row")
    return headers, rows


def read_table(
    path: Path, *, sheet: str | None = None
) -> tuple[list[str], list[tuple[int, dict[str, Cell]]]]:
    """(headers, [(line number, row)]) of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise TableError(f"{path.name}: only .csv and .xlsx files can be imported")


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Cell]]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # an older Excel's "CSV"
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    return _table(enumerate(reader, 1))  # a record's number: its row in a spreadsheet program


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[tuple[int, dict[str, Cell]]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableError(f"{path.name} is not a readable XLSX file: {exc}") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise TableError(f"{path.name} has no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        if not hasattr(worksheet, "iter_rows"):
            raise TableError(f"{path.name}: the sheet {worksheet.title!r} is a chart, not a table")
        lines = (
            (number, list(values)) for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)
        )
        return _table(lines)
    finally:
        workbook.close()


def _csv_value(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    text = str(cell)
    return f"'{text}" if isinstance(cell, str) and text.startswith(_FORMULA_START) else text


BOM = "\ufeff"


def csv_line(row: Sequence[Cell]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_csv_value(cell) for cell in row])
    return buffer.getvalue()


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """CSV text, a line at a time, after a byte-order mark so that Excel reads it as UTF-8."""
    yield BOM
    for row in rows:
        yield csv_line(row)


def _header_cell(sheet: Worksheet, text: str) -> XlsxCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _cell(sheet: Worksheet, value: Cell) -> XlsxCell | Cell:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    return value


def xlsx_bytes(rows: Iterable[Sequence[Cell]], *, title: str, widths: Sequence[int] = ()) -> bytes:
    """An XLSX workbook of one sheet: the first row as a bold header, frozen."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows):
        if number == 0:
            sheet.append([_header_cell(sheet, str(value)) for value in row])
        else:
            sheet.append([_cell(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _letter(index: int) -> str:
    return get_column_letter(index + 1)


__all__ = [
    "BOM",
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "Row",
    "TableError",
    "csv_line",
    "csv_lines",
    "read_table",
    "xlsx_bytes",
]
