"""The operator's commands: backup, restore, import and export of practices, the import template.

Each runs beside a server on the same data folder (reusing its local services) or against the
configured MongoDB and Meilisearch, prints progress on standard error (server/progress.py) and a
summary on standard output, and exits non-zero with a sentence when it cannot do its work.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from resolvers.accounts import viewer_of
from resolvers.content import content_filter
from resolvers.context import Context
from resolvers.errors import UserInputError
from resolvers.ids import InvalidGlobalId, decode_id_of
from resolvers.spreadsheets import (
    Cell,
    ImportReport,
    Layout,
    MappingError,
    export_rows,
    import_practices,
    map_columns,
)
from resolvers.viewer import Viewer
from search.reindex import reindex
from server.app import auth_config, open_search, open_stores
from server.progress import Progress
from server.settings import Settings
from server.tables import TableError, csv_lines, read_table, xlsx_bytes
from storage.backup import BackupError, read_manifest, restore_backup, write_backup
from storage.database import DERIVED_FIELDS_MIGRATION, Stores
from storage.records import OrganizationRecord
from storage.store import sort_key
from storage.vocabulary import ContentStatus, Role, Stage, Theme


def _fail(message: str) -> NoReturn:
    sys.exit(f"lumbung: {message}")


# Backup and restore --------------------------------------------------------------------------


def backup(settings: Settings, path: Path) -> None:
    async def run() -> None:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            started = time.perf_counter()
            with Progress() as progress:
                manifest = await write_backup(
                    stores.database.client,
                    stores.database,
                    path,
                    schema_version=DERIVED_FIELDS_MIGRATION,
                    progress=lambda name, done, total: progress.update(name, done, total),
                )
            total = sum(manifest.collections.values())
            print(
                f"backed up {total:,} documents of {len(manifest.collections)} collections of "
                f"{manifest.database!r} to {path} in {time.perf_counter() - started:.1f} s "
                f"({manifest.consistency})"
            )

    try:
        asyncio.run(run())
    except BackupError as exc:
        _fail(str(exc))


def restore(settings: Settings, path: Path, *, rebuild_search: bool = True) -> None:
    async def run() -> None:
        async with contextlib.AsyncExitStack() as stack:
            manifest = read_manifest(path)
            stores = await open_stores(stack, settings)
            started = time.perf_counter()
            with Progress() as progress:
                await restore_backup(
                    stores.database,
                    path,
                    progress=lambda name, done, total: progress.update(name, done, total),
                )
            await stores.ensure_indexes()  # and brings an older schema up to date (its migration)
            total = sum(manifest.collections.values())
            seconds = time.perf_counter() - started
            print(
                f"restored {total:,} documents of {len(manifest.collections)} collections "
                f"(backup of {manifest.database!r}, {manifest.created_at}) in {seconds:.1f} s"
            )
            if manifest.schema_version != DERIVED_FIELDS_MIGRATION:
                print(
                    f"the backup's schema is {manifest.schema_version}; its records were brought up to date"
                )
            if rebuild_search:
                engine = await open_search(stack, settings)
                with Progress() as progress:
                    counts = await reindex(stores, engine, progress=progress.update)
                print(f"rebuilt the search indexes: {sum(counts.values()):,} documents")

    try:
        asyncio.run(run())
    except BackupError as exc:
        _fail(str(exc))


# Import --------------------------------------------------------------------------------------


async def find_organization(stores: Stores, given: str) -> OrganizationRecord | None:
    """An organization by global ID, stored ID, or name (case and accents ignored)."""
    candidates = [given]
    with contextlib.suppress(InvalidGlobalId):
        candidates.append(decode_id_of("Organization", given))
    for record in await stores.organizations.get_many(candidates):
        if record is not None:
            return record
    wanted = sort_key(given)
    async for document in stores.organizations.collection.find({"sort_key": wanted}).limit(2):
        return OrganizationRecord.model_validate(document)
    return None


def _mapping(mapping_file: Path | None, columns: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if mapping_file is not None:
        try:
            loaded = json.loads(mapping_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"cannot read the mapping file {mapping_file}: {exc}")
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            _fail(f"{mapping_file} must be a JSON object of field names to column headers")
        mapping.update(loaded)
    for option in columns:
        key, separator, header = option.partition("=")
        if not separator:
            _fail(f"--column takes FIELD=HEADER, not {option!r}")
        mapping[key.strip()] = header.strip()
    return mapping


def write_report(path: Path, report: ImportReport) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["baris", "kolom", "field", "kode", "pesan"])
        for error in report.errors:
            writer.writerow([error.line, error.column or "", error.field or "", error.code, error.message])


def import_file(
    settings: Settings,
    file: Path,
    *,
    organization: str,
    mapping_file: Path | None = None,
    columns: Sequence[str] = (),
    sheet: str | None = None,
    report_path: Path | None = None,
    dry_run: bool = False,
) -> None:
    try:
        headers, rows = read_table(file, sheet=sheet)
    except (OSError, TableError) as exc:
        _fail(str(exc))
    try:
        mapping = map_columns(headers, _mapping(mapping_file, columns))
    except MappingError as exc:
        _fail(str(exc))
    report_path = report_path or file.with_name(f"{file.stem}.laporan.csv")

    async def run() -> ImportReport:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            owner = await find_organization(stores, organization)
            if owner is None:
                _fail(f"no organization has the ID or name {organization!r}")
            # Reads as a reviewer would (references to any organization's items are checked).
            context = Context.for_request(
                stores,
                request_id=f"import-{uuid.uuid4().hex[:8]}",
                auth=auth_config(settings),
                viewer=Viewer(role=Role.REVIEWER, name="import"),
            )
            with Progress() as progress:
                return await import_practices(
                    context,
                    rows,
                    mapping=mapping,
                    organization=owner,
                    source=file.name,
                    dry_run=dry_run,
                    progress=progress.reporter(f"import {file.name}"),
                )

    unmapped = sorted(set(headers) - set(mapping.values()) - {""})
    report = asyncio.run(run())
    write_report(report_path, report)
    verb = "would import" if dry_run else "imported"
    accepted = report.rows - report.refused
    print(
        f"{verb} {accepted} of {report.rows} rows "
        f"as draft practices; {report.refused} rows refused"
        + (f" (see {report_path})" if report.refused else "")
    )
    if unmapped:
        print(f"columns not imported: {', '.join(unmapped)}")
    for error in report.errors[:10]:
        print(f"  line {error.line}, {error.column or error.field or '-'}: {error.code}: {error.message}")
    if len(report.errors) > 10:
        print(f"  ... {len(report.errors) - 10} more in {report_path}")
    if report.refused:
        sys.exit(2)


# Export --------------------------------------------------------------------------------------


def export(
    settings: Settings,
    *,
    output: Path | None,
    file_format: str,
    layout: Layout,
    everything: bool,
    token: str | None,
    themes: Sequence[str],
    stages: Sequence[str],
    statuses: Sequence[str],
    region_code: str | None,
    organization_ids: Sequence[str],
) -> None:
    async def run() -> list[list[Cell]]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            auth = auth_config(settings)
            viewer = Viewer(role=Role.REVIEWER, name="export") if everything else Viewer()
            if token is not None:
                viewer = await viewer_of(stores, auth, token)
            context = Context.for_request(
                stores, request_id=f"export-{uuid.uuid4().hex[:8]}", auth=auth, viewer=viewer
            )
            try:
                store_filter = content_filter(
                    context,
                    themes=[Theme[value] for value in themes],
                    stages=[Stage[value] for value in stages],
                    statuses=[ContentStatus[value] for value in statuses],
                    region_code=region_code,
                    organization_ids=organization_ids,
                )
            except (KeyError, UserInputError) as exc:
                _fail(f"invalid filter: {exc}")
            return [row async for row in export_rows(context, filter=store_filter, layout=layout)]

    rows = asyncio.run(run())
    if file_format == "xlsx":
        title = "Praktik Baik" if layout is Layout.LUMBUNG else "Inovasi Daerah"
        data = xlsx_bytes(rows, title=title)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            output.write_bytes(data)
    else:
        text = "".join(csv_lines(rows))
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    if output is not None:
        print(f"exported {len(rows) - 1} practices to {output}", file=sys.stderr)
