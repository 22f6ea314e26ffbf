"""The web client's static files, found as package data, from a checkout or an installed wheel."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from starlette.staticfiles import StaticFiles

WEB_PACKAGE = "lumbung_web"  # frontend_stub/, mapped in by pyproject.toml


def web_client_dir() -> Path:
    """The folder of the web client (a real folder: the package is installed unzipped)."""
    return Path(str(importlib.resources.files(WEB_PACKAGE)))


class WebClient(StaticFiles):
    """The web client's files, ``index.html`` for ``/``; the package's Python file is not one of them."""

    def __init__(self) -> None:
        super().__init__(directory=web_client_dir(), html=True, check_dir=False)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path.endswith(".py") or "__pycache__" in path:
            return "", None
        return super().lookup_path(path)
