"""Command line: ``python -m server [serve|reindex|create-admin|export-schema]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from server.settings import REPO_ROOT, Settings
from server.supervisor import running_services


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        sys.exit(f"lumbung: invalid configuration: {problems}")


def serve() -> None:
    import uvicorn

    from server.app import create_app

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(
        f"Lumbung: http://{settings.host}:{settings.port}/graphql (data in {settings.data_dir})", flush=True
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


def export_schema(path: Path) -> None:
    from schema import build_schema

    path.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    print(f"wrote {path}")


class ProgressBar:
    """One line per index on stderr, redrawn in place."""

    WIDTH = 30

    def __init__(self) -> None:
        self.current: str | None = None

    def __call__(self, index: str, done: int, total: int) -> None:
        if self.current not in (None, index):
            sys.stderr.write("\n")
        self.current = index
        filled = self.WIDTH * done // total if total else self.WIDTH
        sys.stderr.write(f"\r{index:32} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}")
        sys.stderr.flush()


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

    settings = _beside_running_server(_settings())
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")

    async def run() -> dict[str, int]:
        async with contextlib.AsyncExitStack() as stack:
            stores = await open_stores(stack, settings)
            engine = await open_search(stack, settings)
            return await reindex(stores, engine, progress=ProgressBar())

    started = time.perf_counter()
    counts = asyncio.run(run())
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    print(
        f"\nreindexed {total} documents in {seconds:.1f} s ({total / seconds:.0f}/s): "
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
    args = parser.parse_args(argv)
    if args.command == "export-schema":
        export_schema(args.path)
    elif args.command == "reindex":
        reindex_command()
    elif args.command == "create-admin":
        create_admin_command(args.email, args.name)
    else:
        serve()


if __name__ == "__main__":
    main()
