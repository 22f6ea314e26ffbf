"""Command line: ``python -m server [serve|export-schema]``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from server.settings import REPO_ROOT, Settings


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description="Lumbung knowledge hub")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the hub (the default)")
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("path", nargs="?", type=Path, default=REPO_ROOT / "schema.graphql")
    args = parser.parse_args(argv)
    if args.command == "export-schema":
        export_schema(args.path)
    else:
        serve()


if __name__ == "__main__":
    main()
