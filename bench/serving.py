"""The benchmarks' app process: ``bench.server:app`` under uvicorn on a loopback port.

A process of its own, so that the load generator and the app do not share an event loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from server.supervisor import free_port

ROOT = Path(__file__).resolve().parent.parent


async def wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.returncode is not None:
                raise SystemExit("the benchmark server exited early")
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the benchmark server did not become ready")


@asynccontextmanager
async def bench_app(
    mongo_url: str, *, database: str = "bench", search_indexer: bool = True
) -> AsyncIterator[str]:
    """Serve the app on ``database`` (no seeding: the benchmark loads its own data); yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MONGODB_URI": mongo_url,
        "LUMBUNG_MONGODB_DATABASE": database,
        "LUMBUNG_SEED_REGIONS": "false",
        "LUMBUNG_SEED_DEMO": "false",
        "LUMBUNG_LOG_LEVEL": "WARNING",
    }
    if not search_indexer:
        env["LUMBUNG_SEARCH_INDEXER"] = "false"
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "uvicorn", "bench.server:app", "--host", "127.0.0.1"),
        *("--port", str(port), "--no-access-log", "--log-level", "warning"),
        cwd=ROOT,
        env=env,
    )
    try:
        await wait_ready(url, server)
        yield url
    finally:
        server.terminate()
        await server.wait()
