"""Command line: ``python -m server COMMAND``; ``python -m server --help`` lists the commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

from pydantic import ValidationError

from server.logs import configure_logging
from server.settings import REPO_ROOT, Settings
from server.supervisor import running_services

logger = logging.getLogger("lumbung")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        sys.exit(f"lumbung: invalid configuration: {problems}")


def _configure_logging(settings: Settings, *, level: str | None = None) -> None:
    configure_logging(
        level=level or settings.log_level,
        log_format=settings.effective_log_format,
        dependency_level=settings.dependency_log_level,
        access_log=settings.access_log,
    )


def _ready_banner(settings: Settings) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "Lumbung is ready:",
        f"  web client  {base}/",
        f"  GraphQL     {base}/graphql" + ("" if settings.is_production else " (GraphiQL in a browser)"),
        f"  health      {base}/readyz",
    ]
    if settings.metrics_port is not None:
        lines.append(
            f"  metrics     http://{settings.metrics_host or settings.host}:{settings.metrics_port}/metrics"
        )
    elif not settings.is_production or settings.metrics_token is not None:
        lines.append(f"  metrics     {base}/metrics")
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)


def serve() -> None:
    import uvicorn

    from server.app import create_app

    settings = _settings()
    _configure_logging(settings)
    logger.info("Lumbung %s (%s), data in %s", _version(), settings.env.value, settings.data_dir)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                logger.info("%s", _ready_banner(settings))

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # ours (server/logs.py), not uvicorn's
        access_log=False,  # server/logs.py's AccessLog writes one line per request
        # The app reads X-Forwarded-For itself, from LUMBUNG_FORWARDED_ALLOW_IPS only (server/app.py);
        # uvicorn's own reading would believe any local client.
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        **websocket_options(settings),
    )
    Server(config).run()


class WebSocketOptions(TypedDict):
    ws_ping_interval: float
    ws_ping_timeout: float


def websocket_options(settings: Settings) -> WebSocketOptions:
    """uvicorn's WebSocket pings: they find a vanished client (README "Live updates")."""
    return {
        "ws_ping_interval": settings.live_ws_ping_seconds,
        "ws_ping_timeout": settings.live_ws_ping_timeout_seconds,
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lumbung")
    except PackageNotFoundError:
        return "(not installed)"


def export_schema(path: Path) -> None:
    from schema import build_schema

    path.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    print(f"wrote {path}")


def _beside_running_server(settings: Settings) -> Settings:
    """Use the local services of a server already running on this data folder, if there is one."""
    running = running_services(settings.data_dir)
    updates: dict[str, object] = {}
    if settings.mongodb_uri is None and "mongodb" in running:
        updates["mongodb_uri"] = running["mongodb"]["url"]
    if settings.meili_url is None and "meilisearch" in running:
        updates.update(
            meili_url=running["meilisearch"]["url"], meili_master_key=running["meilisearch"]["api_key"]
        )
    return Settings.model_validate({**settings.model_dump(), **updates}) if updates else settings


def reindex_command() -> None:
    from search.reindex import reindex
    from server.app import open_search, open_stores
    from server.progress import Progress

    settings = _beside_running_server(_settings())
    _configure_logging(settings, level="WARNING")

    async def run() -> dict[str, int]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            engine = await open_search(stack, settings)
            with Progress() as progress:
                return await reindex(stores, engine, progress=progress.update)

    started = time.perf_counter()
    counts = asyncio.run(run())
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    print(
        f"reindexed {total} documents in {seconds:.1f} s ({total / max(seconds, 0.001):.0f}/s): "
        + ", ".join(f"{name} {n}" for name, n in counts.items())
    )


def _new_password() -> str:
    import getpass
    import os

    if password := os.environ.get("LUMBUNG_ADMIN_PASSWORD"):
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Repeat the password: ") != password:
        sys.exit("lumbung: the passwords differ")
    return password


def create_admin_command(email: str, name: str) -> None:
    from resolvers.accounts import create_admin
    from server.app import auth_config, open_stores

    settings = _beside_running_server(_settings())
    _configure_logging(settings, level="WARNING")
    password = _new_password()

    async def run() -> str:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            await stores.ensure_indexes()
            result = await create_admin(
                stores, auth_config(settings), email=email, name=name, password=password
            )
            if isinstance(result, list):
                sys.exit("lumbung: " + "; ".join(f"{e.field}: {e.message}" for e in result))
            return result.id

    user_id = asyncio.run(run())
    print(f"created admin {email} (user {user_id}); sign in with the signIn mutation")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description="Lumbung knowledge hub")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the hub (the default)")
    commands.add_parser("reindex", help="rebuild every search index from MongoDB and swap it in")
    admin = commands.add_parser(
        "create-admin",
        help="create a hub admin (password from LUMBUNG_ADMIN_PASSWORD, standard input or a prompt)",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("path", nargs="?", type=Path, default=REPO_ROOT / "schema.graphql")
    backup = commands.add_parser("backup", help="write every collection to a .tar.gz, at one snapshot")
    backup.add_argument("path", type=Path)
    restore = commands.add_parser("restore", help="restore a backup into an empty database, then reindex")
    restore.add_argument("path", type=Path)
    restore.add_argument("--no-reindex", action="store_true", help="leave the search indexes alone")
    importing = commands.add_parser("import", help="import practices from a CSV or XLSX file as drafts")
    importing.add_argument("file", type=Path)
    importing.add_argument("--organization", required=True, help="the owner: its ID or its name")
    importing.add_argument("--mapping", type=Path, help="a JSON file of field names to column headers")
    importing.add_argument(
        "--column", action="append", default=[], metavar="FIELD=HEADER", help="map one field to a column"
    )
    importing.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    importing.add_argument("--report", type=Path, help="where to write the report of refused rows")
    importing.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    exporting = commands.add_parser("export", help="export practices as CSV or XLSX")
    exporting.add_argument("--output", "-o", type=Path, help="the file (default: standard output)")
    exporting.add_argument(
        "--format", choices=["csv", "xlsx"], help="default: from --output's name, else csv"
    )
    exporting.add_argument("--layout", choices=[layout.value for layout in _layouts()], default="lumbung")
    exporting.add_argument("--all", action="store_true", help="unpublished practices too (as a reviewer)")
    exporting.add_argument("--token", help="export what this access token's user may read")
    exporting.add_argument("--theme", action="append", default=[])
    exporting.add_argument("--stage", action="append", default=[])
    exporting.add_argument("--status", action="append", default=[])
    exporting.add_argument("--region-code")
    exporting.add_argument("--organization-id", action="append", default=[])
    template = commands.add_parser("import-template", help="write the XLSX template of the import")
    template.add_argument("path", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.command == "export-schema":
        export_schema(args.path)
    elif args.command == "reindex":
        reindex_command()
    elif args.command == "create-admin":
        create_admin_command(args.email, args.name)
    elif args.command in ("backup", "restore", "import", "export", "import-template"):
        _operation(args)
    else:
        serve()


def _layouts() -> list[Any]:
    from resolvers.spreadsheets import Layout

    return list(Layout)


def _operation(args: argparse.Namespace) -> None:
    from resolvers.spreadsheets import Layout
    from server import operations
    from server.template import TEMPLATE, write_template

    if args.command == "import-template":
        path = args.path or Path(TEMPLATE.name)
        write_template(path)
        print(f"wrote {path}")
        return
    settings = _beside_running_server(_settings())
    _configure_logging(settings, level="WARNING")
    if args.command == "backup":
        operations.backup(settings, args.path)
    elif args.command == "restore":
        operations.restore(settings, args.path, rebuild_search=not args.no_reindex)
    elif args.command == "import":
        operations.import_file(
            settings,
            args.file,
            organization=args.organization,
            mapping_file=args.mapping,
            columns=args.column,
            sheet=args.sheet,
            report_path=args.report,
            dry_run=args.dry_run,
        )
    else:
        file_format = args.format or ("xlsx" if args.output and args.output.suffix == ".xlsx" else "csv")
        operations.export(
            settings,
            output=args.output,
            file_format=file_format,
            layout=Layout(args.layout),
            everything=args.all,
            token=args.token,
            themes=args.theme,
            stages=args.stage,
            statuses=args.status,
            region_code=args.region_code,
            organization_ids=args.organization_id,
        )


if __name__ == "__main__":
    main()
