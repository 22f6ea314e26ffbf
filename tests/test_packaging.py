"""The hub as a wheel: built, installed into a fresh virtual environment, and serving from there.

A checkout is not what production runs: paths must come from the installed packages (the web
client is package data of ``lumbung_web``, the demo content of ``storage``, the import template of
``server``), never from a repository next to them. The fresh environment is offline: it gets the
wheel alone, and finds its dependencies in this test environment's site-packages through a
``.pth`` line, after its own (so the wheel, not the checkout's editable install, is imported).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from server.settings import REPO_ROOT
from server.supervisor import LocalService, free_port
from storage.store import Document

SOURCES = ("server", "schema", "resolvers", "search", "storage", "frontend_stub")
OWN_FILES = ("pyproject.toml", "README.md", "constraints.txt")


def _copy_sources(into: Path) -> Path:
    """The files the wheel is built from (a copy, so that building leaves the checkout clean)."""
    source = into / "source"
    for name in SOURCES:
        shutil.copytree(REPO_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "docs"))
    for name in OWN_FILES:
        shutil.copy2(REPO_ROOT / name, source / name)
    return source


def _run(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the hub's wheel installed in it: its Python."""
    root = tmp_path_factory.mktemp("wheel")
    source = _copy_sources(root)
    wheels = root / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        wheels,
        source,
        cwd=root,
    )
    [wheel] = wheels.glob("lumbung-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=root,
    )
    return python


def test_the_wheel_holds_every_package_and_the_files_the_app_reads(tmp_path: Path) -> None:
    # given
    source = _copy_sources(tmp_path)
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        tmp_path,
        source,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("lumbung-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # then: every package of the repository (pyproject.toml lists them one by one)
    configured = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = {path.parent.name for path in REPO_ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == (set(configured) - {"lumbung_web"}) | {"frontend_stub"}
    for package in set(configured):
        assert f"{package}/__init__.py" in names
    # and the files read at run time
    assert "lumbung_web/index.html" in names
    assert "lumbung_web/js/main.js" in names
    assert "lumbung_web/css/lumbung.css" in names
    assert "storage/demo/practices.json" in names
    assert "search/synonyms.json" in names
    assert "server/templates/praktik-baik-template.xlsx" in names
    assert "server/graphiql/index.html" in names
    assert not any(name.endswith((".png", ".pyc")) for name in names)


def test_an_installed_wheel_imports_from_its_own_environment(installed: Path, tmp_path: Path) -> None:
    # when
    where = subprocess.check_output(
        [
            installed,
            "-c",
            "import server, server.web; print(server.__file__); print(server.web.web_client_dir())",
        ],
        cwd=tmp_path,
        text=True,
    ).split()
    # then
    site = installed.parent.parent
    assert all(Path(path).is_relative_to(site) for path in where), where
    assert (Path(where[1]) / "index.html").is_file()


def _serve(python: Path, *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [python, "-m", "server", "serve"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture
async def database(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[str]:
    name = f"wheel_{uuid.uuid4().hex[:8]}"
    yield name
    await mongo_client.drop_database(name)


async def test_an_installed_wheel_serves_the_web_client_and_graphql(
    installed: Path, tmp_path: Path, mongo: LocalService, meili: LocalService, database: str
) -> None:
    # given: the installed hub, started away from the checkout
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("LUMBUNG_", "MEILI_", "MONGODB_", "SMTP_"))
        },
        "PORT": str(port),
        "LUMBUNG_DATA_DIR": str(tmp_path / "data"),
        "MONGODB_URI": mongo.url,
        "LUMBUNG_MONGODB_DATABASE": database,
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.api_key or "",
        "LUMBUNG_SEED_REGIONS": "false",
        "LUMBUNG_SEED_DEMO": "false",
        "LUMBUNG_DIGESTS": "false",
    }
    log = tmp_path / "server.log"
    process = _serve(installed, cwd=tmp_path, env=env, log=log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(600):
                assert process.poll() is None, log.read_text()
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            # when
            page = await client.get("/")
            script = await client.get("/js/main.js")
            python_file = await client.get("/__init__.py")
            answer = await client.post(
                "/graphql", json={"query": "{ organizations(first: 1) { totalCount } }"}
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    # then
    assert page.status_code == 200, log.read_text()
    assert "<script" in page.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert python_file.status_code == 404
    assert answer.status_code == 200
    assert answer.json() == {"data": {"organizations": {"totalCount": 0}}}
    assert "(not installed)" not in log.read_text()
