"""Start, watch and stop the local services the app needs when no external URI is configured.

The local MongoDB is SecantusDB (a MongoDB-wire-compatible server from PyPI) run as a child
process on a free loopback port. The child is tied to this process: it receives SIGTERM when
we exit normally and, through PR_SET_PDEATHSIG on Linux, when we are killed outright, so no
orphan survives a crash of the app or of the test runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class LocalServiceError(RuntimeError):
    """A local service could not be found or did not become ready."""


@dataclass(frozen=True, slots=True)
class LocalService:
    name: str
    url: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_pdeathsig() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_pdeathsig


def find_executable(name: str) -> str | None:
    """An executable next to the running interpreter (the venv) first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _spawn(args: list[str], *, cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    cwd.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(),
        )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def _stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
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


@contextlib.asynccontextmanager
async def local_mongo(
    data_dir: Path, *, port: int | None = None, startup_seconds: float = 60.0
) -> AsyncIterator[LocalService]:
    """Run SecantusDB with its data under ``data_dir`` for the duration of the context."""
    executable = find_executable("secantusd-py")
    if executable is None:
        raise LocalServiceError(
            "No MONGODB_URI is set and the local MongoDB-compatible server (secantusd-py) is not "
            "installed. Run `make run` (it installs it), `pip install 'lumbung[local]'`, or set "
            "MONGODB_URI to a MongoDB server."
        )
    port = port or free_port()
    storage = data_dir / "mongo"
    log_path = data_dir / "secantusd.log"
    # cwd is the data folder so the server does not pick up a stray ./secantusd.toml.
    process = _spawn(
        [
            executable,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(storage),
            "--log-level",
            "WARNING",
        ],
        cwd=data_dir,
        log_path=log_path,
    )
    url = local_mongo_url(port)
    try:
        await _wait_for_mongo(url, process, log_path=log_path, within=startup_seconds)
        logger.info("local MongoDB (SecantusDB) ready on 127.0.0.1:%d, data in %s", port, storage)
        yield LocalService(name="mongodb", url=url, process=process)
    finally:
        await _stop(process)
