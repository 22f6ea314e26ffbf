"""Practices as rows of a spreadsheet: the columns, importing rows as drafts, exporting readable ones.

A row is a mapping of column header to cell value (text, number, date or empty), read from CSV or
XLSX by the server. Two layouts:

- **Lumbung** (``LUMBUNG_COLUMNS``): every field of a practice, one column each, the layout of the
  template officials fill in (server/templates/) and of ``/export/practices.csv``; an export
  imports again. Lists go one item a line in a cell (``Pendanaan``: ``source | amount | note``).
- **National** (``NATIONAL_COLUMNS``): the fields of the national regional-innovation reporting
  (nama inovasi, inisiator, jenis, bentuk, urusan, waktu penerapan, permasalahan, rancang bangun,
  manfaat, hasil, anggaran, dasar hukum, bukti), export only; README "Import and export" maps them.

Imported rows go through the same draft validation and reference checks as ``createPractice``
(resolvers/drafts.py, resolvers/validation.py), and each valid row is stored as a draft of the
given organization with its audit entry, in one transaction. A row with any error is reported
(line, column, field, code, message) and nothing of it is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, TypeVar

from resolvers import visibility
from resolvers.context import Context
from resolvers.drafts import PracticeDraft
from resolvers.errors import ErrorCode, FieldError
from resolvers.ids import encode_id
from resolvers.validation import check_references, held_references, validate_draft
from storage.errors import MissingReference
from storage.filters import ContentFilter
from storage.pagination import SortOrder
from storage.records import OrganizationRecord, PracticeRecord
from storage.store import AuditNote, sort_key
from storage.vocabulary import AuditAction, FundingSource, OrganizationKind, Stage, Theme

Cell = str | int | float | date | datetime | None
Row = Mapping[str, Cell]
E = TypeVar("E", bound=Enum)

MAX_EXPORT_ROWS = 10_000
_PAGE = 100


class Layout(StrEnum):
    LUMBUNG = "lumbung"
    NATIONAL = "national"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    # What else a header of this column may say in a file (compared without case or punctuation).
    aliases: tuple[str, ...] = ()
    # Exported, but not read by the import (the importer sets or derives it).
    export_only: bool = False
    help: str = ""


LUMBUNG_COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", export_only=True, help="ID global di Lumbung (diisi saat ekspor)"),
    Column("title", "Judul", ("Nama Inovasi", "Title", "Judul Praktik"), help="3-200 karakter; wajib"),
    Column("title_en", "Judul (Inggris)", ("Title (English)",)),
    Column("summary", "Ringkasan", ("Summary", "Deskripsi Singkat"), help="wajib"),
    Column("summary_en", "Ringkasan (Inggris)", ("Summary (English)",)),
    Column("organization", "Organisasi", ("Nama Inisiator",), export_only=True),
    Column("status", "Status", export_only=True),
    Column(
        "region_codes",
        "Kode Wilayah",
        ("Region Codes", "Kode Wilayah Kemendagri"),
        help="kode Kemendagri, dipisah koma (32.76.05.1001); kosong: wilayah organisasi",
    ),
    Column("themes", "Tema", ("Themes",), help="1-5 tema, dipisah titik koma; lihat lembar Petunjuk"),
    Column("sdgs", "SDGs", ("SDG", "Tujuan SDGs"), help="nomor 1-17, dipisah koma"),
    Column("problem", "Masalah", ("Permasalahan", "Problem"), help="wajib"),
    Column(
        "approach", "Pendekatan", ("Rancang Bangun / Pendekatan", "Approach", "Rancang Bangun"), help="wajib"
    ),
    Column(
        "stage",
        "Tahap",
        ("Tahapan Inovasi", "Stage"),
        help="Inisiatif, Uji Coba, Diterapkan, Melembaga; wajib",
    ),
    Column(
        "is_digital", "Digital", ("Jenis Inovasi", "Is Digital"), help="Ya atau Tidak (Digital / Non Digital)"
    ),
    Column(
        "funding", "Pendanaan", ("Funding",), help="satu baris per sumber: sumber | jumlah rupiah | catatan"
    ),
    Column(
        "funding_source", "Sumber Dana", ("Sumber Anggaran", "Funding Source"), help="jika satu sumber saja"
    ),
    Column(
        "funding_amount", "Anggaran (Rp)", ("Anggaran", "Funding Amount"), help="jumlah rupiah sumber itu"
    ),
    Column("beneficiaries_count", "Jumlah Penerima Manfaat", ("Beneficiaries Count",)),
    Column("beneficiaries", "Penerima Manfaat", ("Manfaat", "Beneficiaries")),
    Column("legal_basis", "Dasar Hukum", ("Legal Basis", "Regulasi")),
    Column("period_start", "Mulai", ("Waktu Uji Coba / Penerapan", "Tanggal Mulai", "Start"), help="tanggal"),
    Column("period_end", "Selesai", ("Tanggal Selesai", "End"), help="tanggal; kosong jika masih berjalan"),
    Column(
        "results",
        "Hasil",
        ("Hasil Inovasi", "Results"),
        help="satu indikator per baris: nama | satuan | awal | target | capaian",
    ),
    Column("contact_name", "Narahubung", ("Contact",)),
    Column("contact_role", "Jabatan Narahubung", ("Contact Role",)),
    Column("contact_email", "Email Narahubung", ("Contact Email",)),
    Column("contact_phone", "Telepon Narahubung", ("Contact Phone",)),
    Column(
        "lessons_learned", "Pelajaran", ("Lessons Learned", "Pembelajaran"), help="satu pelajaran per baris"
    ),
    Column(
        "evidence_links",
        "Tautan Bukti",
        ("Bukti Pendukung", "Evidence Links"),
        help="satu per baris: label | https://...",
    ),
    Column("author_name", "Penulis", ("Author",)),
    Column("updated_at", "Diperbarui", export_only=True),
)

NATIONAL_COLUMNS: tuple[Column, ...] = (
    Column("title", "Nama Inovasi"),
    Column("initiator", "Inisiator Inovasi"),
    Column("initiator_name", "Nama Inisiator"),
    Column("type", "Jenis Inovasi"),
    Column("form", "Bentuk Inovasi"),
    Column("affairs", "Urusan Pemerintahan"),
    Column("stage", "Tahapan Inovasi"),
    Column("start", "Waktu Uji Coba / Penerapan"),
    Column("problem", "Permasalahan"),
    Column("approach", "Rancang Bangun / Pendekatan"),
    Column("benefits", "Manfaat"),
    Column("results", "Hasil Inovasi"),
    Column("budget", "Anggaran (Rp)"),
    Column("budget_sources", "Sumber Anggaran"),
    Column("legal_basis", "Dasar Hukum"),
    Column("evidence", "Bukti Pendukung"),
    Column("region_codes", "Kode Wilayah"),
    Column("id", "ID Lumbung"),
)

# Urusan pemerintahan (UU 23/2014) of each theme, for the national layout.
AFFAIRS: dict[Theme, str] = {
    Theme.WASTE_MANAGEMENT: "Lingkungan Hidup",
    Theme.HEALTH: "Kesehatan",
    Theme.NUTRITION_STUNTING: "Kesehatan",
    Theme.EDUCATION: "Pendidikan",
    Theme.PUBLIC_SERVICE: "Pemerintahan Umum",
    Theme.PARTICIPATORY_PLANNING: "Perencanaan Pembangunan",
    Theme.LOCAL_ECONOMY: "Koperasi, Usaha Kecil, dan Menengah",
    Theme.DIGITAL_GOVERNMENT: "Komunikasi dan Informatika",
    Theme.ENVIRONMENT: "Lingkungan Hidup",
    Theme.DISASTER_RESILIENCE: "Ketenteraman, Ketertiban Umum, dan Pelindungan Masyarakat",
    Theme.SOCIAL_PROTECTION: "Sosial",
    Theme.WATER_SANITATION: "Pekerjaan Umum dan Penataan Ruang",
    Theme.GENDER_CHILD: "Pemberdayaan Perempuan dan Pelindungan Anak",
    Theme.TRANSPARENCY: "Keuangan",
    Theme.COMMUNITY_SECURITY: "Ketenteraman, Ketertiban Umum, dan Pelindungan Masyarakat",
    Theme.AGRICULTURE_FOOD: "Pertanian",
    Theme.TOURISM_CULTURE: "Pariwisata",
    Theme.YOUTH: "Kepemudaan dan Olahraga",
}
FORM_PUBLIC_SERVICE = "Inovasi Pelayanan Publik"
FORM_GOVERNANCE = "Inovasi Tata Kelola Pemerintahan Daerah"
FORM_OTHER = "Inovasi Daerah lainnya sesuai dengan Urusan Pemerintahan"
_GOVERNANCE_THEMES = {Theme.DIGITAL_GOVERNMENT, Theme.PARTICIPATORY_PLANNING, Theme.TRANSPARENCY}
_GOVERNMENTS = {
    OrganizationKind.KECAMATAN_GOVERNMENT,
    OrganizationKind.KELURAHAN_GOVERNMENT,
    OrganizationKind.CITY_GOVERNMENT,
}
NATIONAL_STAGES = {
    Stage.INITIATIVE: "Inisiatif",
    Stage.PILOT: "Uji Coba",
    Stage.APPLIED: "Penerapan",
    Stage.INSTITUTIONALIZED: "Penerapan",
}


def columns_of(layout: Layout) -> tuple[Column, ...]:
    return LUMBUNG_COLUMNS if layout is Layout.LUMBUNG else NATIONAL_COLUMNS


def import_columns() -> tuple[Column, ...]:
    return tuple(column for column in LUMBUNG_COLUMNS if not column.export_only)


# ---------------------------------------------------------------------------------------------
# Import


def normalize_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


class MappingError(ValueError):
    """A column mapping names a field or a header that does not exist."""


def map_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field key -> the file's header for it: ``overrides`` (key -> header) first, else by name.

    A header matches a column by its header, its key or an alias, ignoring case and punctuation.
    """
    by_normal = {normalize_header(header): header for header in headers if header}
    keys = {column.key for column in import_columns()}
    mapping: dict[str, str] = {}
    for key, header in (overrides or {}).items():
        if key not in keys:
            raise MappingError(
                f"the mapping names {key!r}, which is not a field (fields: {', '.join(sorted(keys))})"
            )
        found = by_normal.get(normalize_header(header))
        if found is None:
            raise MappingError(
                f"the mapping maps {key!r} to the column {header!r}, which the file does not have"
            )
        mapping[key] = found
    for column in import_columns():
        if column.key in mapping:
            continue
        for name in (column.header, column.key, *column.aliases):
            found = by_normal.get(normalize_header(name))
            if found is not None and found not in mapping.values():
                mapping[column.key] = found
                break
    return mapping


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    field: str | None
    code: str
    message: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: list[str] = field(default_factory=list)  # global IDs of the practices written
    errors: list[RowError] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)  # rows with an error

    @property
    def refused(self) -> int:
        return len(self.skipped_lines)


class _CellError(ValueError):
    def __init__(self, key: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        super().__init__(message)
        self.key = key
        self.code = code


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _lines(value: Cell) -> list[str]:
    text = _text(value)
    return [line.strip() for line in re.split(r"[\r\n]+", text)] if text else []


def _items(value: Cell, separators: str = ",;\n") -> list[str]:
    text = _text(value)
    if not text:
        return []
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", text) if part.strip()]


def _enum(enum: type[E], key: str, text: str) -> E:
    """A member by its name or its Indonesian or English label, without case or punctuation."""
    wanted = normalize_header(text)
    for member in enum:
        names = (member.name, getattr(member, "label_id", ""), getattr(member, "label_en", ""))
        if wanted in {normalize_header(name) for name in names}:
            return member
    raise _CellError(key, f"{text[:60]!r} is not one of: {', '.join(_labels(enum))}.")


def _labels(enum: type[Enum]) -> list[str]:
    return [getattr(member, "label_id", member.name) for member in enum]


def _number(key: str, value: Cell) -> Decimal | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = _text(value)
    if text is None:
        return None
    cleaned = re.sub(r"(?i)^rp\.?\s*", "", text).replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", cleaned):  # Indonesian: 150.000.000,50
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):  # 150,000,000.50
        cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise _CellError(key, f"{text[:40]!r} is not a number.") from None


def _integer(key: str, value: Cell) -> int | None:
    number = _number(key, value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise _CellError(key, "A whole number is expected.")
    return int(number)


def _float(key: str, value: Cell) -> float | None:
    number = _number(key, value)
    return None if number is None else float(number)


def _date(key: str, value: Cell) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}", text):  # a year alone: its first day
        return f"{text}-01-01"
    raise _CellError(key, f"{text[:40]!r} is not a date (2024-03-01 or 01/03/2024).")


def _boolean(key: str, value: Cell) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    normal = normalize_header(text)
    if normal in {"ya", "y", "yes", "true", "1", "digital"}:
        return True
    if normal in {"tidak", "t", "no", "n", "false", "0", "nondigital", "bukan"}:
        return False
    raise _CellError(key, f"{text[:40]!r}: write Ya or Tidak.")


def _split_parts(line: str) -> list[str]:
    return [part.strip() for part in line.split("|")]


def _funding(key: str, value: Cell) -> list[dict[str, Any]]:
    entries = []
    for line in _lines(value):
        source, amount, *note = [*_split_parts(line), ""][:3]
        entries.append(
            {
                "source": _enum(FundingSource, key, source),
                "amount": _integer(key, amount),
                **({"note": note[0]} if note and note[0] else {}),
            }
        )
    return entries


def _results(key: str, value: Cell) -> list[dict[str, Any]]:
    indicators = []
    for line in _lines(value):
        parts = [*_split_parts(line), "", "", "", ""]
        name, unit, baseline, target, achieved = parts[:5]
        indicators.append(
            {
                "name": name,
                "unit": unit or "-",
                "baseline": _float(key, baseline),
                "target": _float(key, target),
                "achieved": _float(key, achieved),
            }
        )
    return indicators


def _links(value: Cell) -> list[dict[str, str]]:
    links = []
    for line in _lines(value):
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        url = url.strip()
        links.append({"label": label.strip() or url[:300], "url": url})
    return links


def practice_input(
    row: Row, mapping: Mapping[str, str], *, organization: OrganizationRecord
) -> dict[str, Any]:
    """The draft's fields from one row (what createPractice's input holds); _CellError on a bad cell."""

    def cell(key: str) -> Cell:
        header = mapping.get(key)
        return row.get(header) if header is not None else None

    data: dict[str, Any] = {"organization_id": organization.id}
    for key in (
        "title",
        "title_en",
        "summary",
        "summary_en",
        "problem",
        "approach",
        "legal_basis",
        "author_name",
    ):
        if (text := _text(cell(key))) is not None:
            data[key] = text
    codes = _items(cell("region_codes"))
    if not codes and organization.region_code:
        codes = [organization.region_code]
    data["region_codes"] = codes
    data["themes"] = [_enum(Theme, "themes", text) for text in _items(cell("themes"), ",;\n")]
    data["sdgs"] = [_integer("sdgs", text) for text in _items(cell("sdgs"))]
    if (stage := _text(cell("stage"))) is not None:
        data["stage"] = _enum(Stage, "stage", _national_stage(stage))
    if (digital := _boolean("is_digital", cell("is_digital"))) is not None:
        data["is_digital"] = digital
    funding = _funding("funding", cell("funding"))
    source, amount = _text(cell("funding_source")), _integer("funding_amount", cell("funding_amount"))
    if source is not None or amount is not None:
        funding.append(
            {"source": _enum(FundingSource, "funding_source", source or "OTHER"), "amount": amount}
        )
    if funding:
        data["funding"] = funding
    count = _integer("beneficiaries_count", cell("beneficiaries_count"))
    description = _text(cell("beneficiaries"))
    if count is not None or description is not None:
        data["beneficiaries"] = {"count": count, "description": description}
    start, end = _date("period_start", cell("period_start")), _date("period_end", cell("period_end"))
    if start or end:
        data["period"] = {"start": start, "end": end}
    if results := _results("results", cell("results")):
        data["results"] = results
    contact = {
        name: text
        for name in ("name", "role", "email", "phone")
        if (text := _text(cell(f"contact_{name}"))) is not None
    }
    if contact:
        data["contact"] = contact
    if lessons := _lines(cell("lessons_learned")):
        data["lessons_learned"] = lessons
    if links := _links(cell("evidence_links")):
        data["evidence_links"] = links
    return data


def _national_stage(text: str) -> str:
    """The national reporting says Penerapan where Lumbung says Diterapkan."""
    return "APPLIED" if normalize_header(text) == "penerapan" else text


# A validation error's field (camelCase path) -> the import key whose column holds it.
_FIELD_KEYS = {
    "regionCodes": "region_codes",
    "titleEn": "title_en",
    "summaryEn": "summary_en",
    "legalBasis": "legal_basis",
    "authorName": "author_name",
    "isDigital": "is_digital",
    "lessonsLearned": "lessons_learned",
    "evidenceLinks": "evidence_links",
    "organizationId": "organization",
}


def _key_of(field_path: str | None, mapping: Mapping[str, str]) -> str | None:
    if not field_path:
        return None
    head, _, rest = field_path.partition(".")
    if head == "period":
        return "period_end" if rest.startswith("end") else "period_start"
    if head == "beneficiaries":
        return "beneficiaries_count" if rest.startswith("count") else "beneficiaries"
    if head == "contact":
        return f"contact_{rest.split('.')[0] or 'name'}"
    if head == "funding":
        return "funding" if "funding" in mapping else "funding_source"
    return _FIELD_KEYS.get(head, head)


def _row_errors(line: int, errors: Iterable[FieldError], mapping: Mapping[str, str]) -> list[RowError]:
    found = []
    for error in errors:
        key = _key_of(error.field, mapping)
        column = mapping.get(key) if key else None
        if column is None and key is not None:
            column = next((c.header for c in LUMBUNG_COLUMNS if c.key == key), None)
        found.append(RowError(line, column, error.field, error.code.value, error.message))
    return found


Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    del done, total


def _blank(row: Row) -> bool:
    return all(_text(value) is None for value in row.values())


async def import_practices(
    context: Context,
    rows: Sequence[tuple[int, Row]],
    *,
    mapping: Mapping[str, str],
    organization: OrganizationRecord,
    source: str,
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Validate every row as createPractice would, and store the valid ones as drafts.

    ``rows`` are (line number in the file, row). A row whose title the organization already has
    (or an earlier row of the file had) is reported as DUPLICATE, so a file fixed after a first
    run can be imported again as a whole.
    """
    report = ImportReport()
    known = {
        sort_key(document["title"])
        async for document in context.stores.practices.collection.find(
            {"organization_id": organization.id}, {"title": 1}
        )
    }
    audit_name = f"Impor berkas {source}"[:300]
    total = len(rows)
    for done, (line, row) in enumerate(rows, start=1):
        progress(done - 1, total)
        if _blank(row):
            continue
        report.rows += 1
        errors = await _import_row(
            context,
            line,
            row,
            mapping=mapping,
            organization=organization,
            known=known,
            audit_name=audit_name,
            dry_run=dry_run,
            report=report,
        )
        if errors:
            report.errors.extend(errors)
            report.skipped_lines.append(line)
    progress(total, total)
    if report.imported and not dry_run:
        context.on_write()
    return report


async def _import_row(
    context: Context,
    line: int,
    row: Row,
    *,
    mapping: Mapping[str, str],
    organization: OrganizationRecord,
    known: set[str],
    audit_name: str,
    dry_run: bool,
    report: ImportReport,
) -> list[RowError]:
    try:
        data = practice_input(row, mapping, organization=organization)
    except _CellError as exc:
        header = mapping.get(exc.key) or next(
            (c.header for c in LUMBUNG_COLUMNS if c.key == exc.key), exc.key
        )
        return [RowError(line, header, exc.key, exc.code.value, str(exc))]
    draft = validate_draft(PracticeDraft, data)
    if isinstance(draft, list):
        return _row_errors(line, draft, mapping)
    if errors := await check_references(context, draft):
        return _row_errors(line, errors, mapping)
    title_key = sort_key(draft.title)
    if title_key in known:
        message = "The organization already has a practice with this title (imported before?)."
        return [RowError(line, mapping.get("title"), "title", ErrorCode.DUPLICATE.value, message)]
    known.add(title_key)
    if dry_run:
        return []
    audit = AuditNote(
        action=AuditAction.CREATED, actor_id=None, actor_name=audit_name, comment=f"baris {line}"
    )
    try:
        record = await context.stores.practices.insert(
            draft.model_dump(mode="json"), audit=audit, references=held_references(context.stores, draft)
        )
    except MissingReference:  # the organization was deleted meanwhile
        return [
            RowError(
                line,
                None,
                "organizationId",
                ErrorCode.UNKNOWN_ORGANIZATION.value,
                "No organization has this ID.",
            )
        ]
    report.imported.append(encode_id("Practice", record.id))
    return []


# ---------------------------------------------------------------------------------------------
# Export


async def readable_practices(
    context: Context, *, filter: ContentFilter, limit: int = MAX_EXPORT_ROWS
) -> AsyncIterator[list[PracticeRecord]]:
    """Pages of the practices the viewer may read under ``filter``, newest first, up to ``limit``."""
    after: str | None = None
    sent = 0
    while sent < limit:
        page = await context.stores.practices.find_page(
            filter=filter, order=SortOrder.NEWEST, first=min(_PAGE, limit - sent), after=after
        )
        if not page.items:
            return
        sent += len(page.items)
        yield list(page.items)
        if not page.has_next_page or not page.cursors:
            return
        after = page.cursors[-1]


def _join(values: Iterable[str], separator: str = "\n") -> str:
    return separator.join(value for value in values if value)


def _amount(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def lumbung_row(
    record: PracticeRecord, organization: OrganizationRecord | None, *, personal: bool
) -> list[Cell]:
    period = record.period
    beneficiaries = record.beneficiaries
    contact = record.contact
    values: dict[str, Cell] = {
        "id": encode_id("Practice", record.id),
        "title": record.title,
        "title_en": record.title_en,
        "summary": record.summary,
        "summary_en": record.summary_en,
        "organization": organization.name if organization else None,
        "status": record.status.label_id,
        "region_codes": ", ".join(record.region_codes),
        "themes": "; ".join(theme.label_id for theme in record.themes),
        "sdgs": ", ".join(str(sdg) for sdg in record.sdgs),
        "problem": record.problem,
        "approach": record.approach,
        "stage": record.stage.label_id,
        "is_digital": "Ya" if record.is_digital else "Tidak",
        "funding": _join(
            " | ".join(part for part in (f.source.label_id, str(f.amount), f.note or "") if part)
            for f in record.funding
        ),
        "funding_source": None,
        "funding_amount": None,
        "beneficiaries_count": beneficiaries.count if beneficiaries else None,
        "beneficiaries": beneficiaries.description if beneficiaries else None,
        "legal_basis": record.legal_basis,
        "period_start": period.start if period else None,
        "period_end": period.end if period else None,
        "results": _join(
            " | ".join([i.name, i.unit, _amount(i.baseline), _amount(i.target), _amount(i.achieved)])
            for i in record.results
        ),
        "contact_name": contact.name if contact else None,
        "contact_role": contact.role if contact else None,
        # Personal data (UU PDP): for signed-in viewers only, as in the API.
        "contact_email": contact.email if contact and personal else None,
        "contact_phone": contact.phone if contact and personal else None,
        "lessons_learned": _join(record.lessons_learned),
        "evidence_links": _join(f"{link.label} | {link.url}" for link in record.evidence_links),
        "author_name": record.author_name,
        "updated_at": record.updated_at.replace(tzinfo=None, microsecond=0),
    }
    return [values[column.key] for column in LUMBUNG_COLUMNS]


def _form(themes: Sequence[Theme]) -> str:
    if Theme.PUBLIC_SERVICE in themes:
        return FORM_PUBLIC_SERVICE
    if _GOVERNANCE_THEMES & set(themes):
        return FORM_GOVERNANCE
    return FORM_OTHER


def _indicator(indicator: Any) -> str:
    text = f"{indicator.name}: "
    if indicator.baseline is not None:
        text += f"{_amount(indicator.baseline)} -> "
    text += f"{_amount(indicator.achieved) or '-'} {indicator.unit}"
    if indicator.target is not None:
        text += f" (target {_amount(indicator.target)})"
    return text


def national_row(record: PracticeRecord, organization: OrganizationRecord | None) -> list[Cell]:
    beneficiaries = record.beneficiaries
    benefits = []
    if beneficiaries and beneficiaries.description:
        benefits.append(beneficiaries.description)
    if beneficiaries and beneficiaries.count is not None:
        benefits.append(f"{beneficiaries.count} penerima manfaat")
    values: dict[str, Cell] = {
        "title": record.title,
        "initiator": "OPD" if organization and organization.kind in _GOVERNMENTS else "Masyarakat",
        "initiator_name": organization.name if organization else None,
        "type": "Digital" if record.is_digital else "Non Digital",
        "form": _form(record.themes),
        "affairs": "; ".join(dict.fromkeys(AFFAIRS[theme] for theme in record.themes)),
        "stage": NATIONAL_STAGES[record.stage],
        "start": record.period.start if record.period else None,
        "problem": record.problem,
        "approach": record.approach,
        "benefits": _join(benefits, "; ") or record.summary,
        "results": _join(_indicator(i) for i in record.results) or record.summary,
        "budget": sum(f.amount for f in record.funding) if record.funding else None,
        "budget_sources": "; ".join(dict.fromkeys(f.source.label_id for f in record.funding)),
        "legal_basis": record.legal_basis,
        "evidence": _join(f"{link.label}: {link.url}" for link in record.evidence_links),
        "region_codes": ", ".join(record.region_codes),
        "id": encode_id("Practice", record.id),
    }
    return [values[column.key] for column in NATIONAL_COLUMNS]


async def export_rows(
    context: Context, *, filter: ContentFilter, layout: Layout, limit: int = MAX_EXPORT_ROWS
) -> AsyncIterator[list[Cell]]:
    """The header row, then one row per practice the viewer may read (``filter`` holds its readers)."""
    yield [column.header for column in columns_of(layout)]
    personal = context.viewer.is_authenticated
    async for page in readable_practices(context, filter=filter, limit=limit):
        page = [record for record in page if visibility.can_read(context.viewer, record)]
        organizations = await context.loaders.organizations.load_many([r.organization_id for r in page])
        for record, organization in zip(page, organizations, strict=True):
            if layout is Layout.LUMBUNG:
                yield lumbung_row(record, organization, personal=personal)
            else:
                yield national_row(record, organization)
