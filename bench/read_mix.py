"""Read-mix benchmark: GraphQL against a bare Starlette endpoint doing the same MongoDB reads.

Starts a local MongoDB (SecantusDB) with every region and the demo content, serves
``bench.server:app`` under uvicorn in a second process, and drives both endpoints with wrk
(Debian's package) from a third, for a fixed duration each. Prints requests/s and p50/p99
latency, and the GraphQL/bare throughput ratios measured in this same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from resolvers.ids import decode_id, encode_id
from server.app import auth_config, prepare_database
from server.settings import Settings
from server.supervisor import free_port, local_mongo
from storage.database import Stores, open_client

ROOT = Path(__file__).resolve().parent.parent

PRACTICES_PAGE = """
query {
  practices(first: 20) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title titleEn summary stage status themes sdgs createdAt
      organization { id name kind }
      regions { code name level }
      replications { id title replicationStatus }
    } }
  }
}
"""
NODE = """
query($id: ID!) { node(id: $id) { id ... on Practice { title summary stage organization { id name kind } } } }
"""

_LUA = """
local f = io.open("{body}", "rb")
wrk.method = "{method}"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
"""


def _wrk(url: str, *, seconds: int, connections: int, body: str | None, workdir: Path) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if body is not None:
        body_path = workdir / f"body-{abs(hash(body))}.json"
        body_path.write_text(body)
        script = workdir / f"post-{abs(hash(body))}.lua"
        script.write_text(_LUA.format(body=body_path, method="POST"))
        args[1:1] = ["-s", str(script)]
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return _parse_wrk(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert p50, output
    assert p99, output
    return {
        "rps": rps,
        "p50_ms": _ms(*p50.groups()),
        "p99_ms": _ms(*p99.groups()),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


async def _seed(mongo_url: str, database: str) -> str:
    client = open_client(mongo_url, timeout_ms=5000)
    stores = Stores.of(client[database])
    settings = Settings(mongodb_uri=mongo_url, mongodb_database=database)
    await prepare_database(stores, settings, auth_config(settings))
    practice = await stores.practices.collection.find_one({}, sort=[("created_at", -1)])
    await client.close()
    assert practice is not None
    return encode_id("Practice", practice["_id"])


async def _wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
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


async def _check_same_data(url: str, node_id: str) -> None:
    """Both sides must answer with the same practices, or the comparison means nothing."""
    async with httpx.AsyncClient(base_url=url) as client:
        graphql = (await client.post("/graphql", json={"query": PRACTICES_PAGE})).json()
        bare = (await client.get("/bare/practices")).json()
        node = (await client.post("/graphql", json={"query": NODE, "variables": {"id": node_id}})).json()
    titles = [edge["node"]["title"] for edge in graphql["data"]["practices"]["edges"]]
    assert titles == [p["title"] for p in bare["practices"]], "the endpoints disagree"
    assert node["data"]["node"]["organization"], node


async def run(*, seconds: int, connections: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-") as tmp:
        workdir = Path(tmp)
        async with local_mongo(workdir / "data") as mongo:
            node_id = await _seed(mongo.url, "bench")
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "MONGODB_URI": mongo.url,
                "LUMBUNG_MONGODB_DATABASE": "bench",
                "LUMBUNG_SEED_REGIONS": "false",
                "LUMBUNG_SEED_DEMO": "false",
                "LUMBUNG_LOG_LEVEL": "WARNING",
            }
            server = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "uvicorn",
                "bench.server:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                cwd=ROOT,
                env=env,
            )
            try:
                await _wait_ready(url, server)
                await _check_same_data(url, node_id)
                local_id = decode_id(node_id)[1]
                scenarios = {
                    "graphql_practices_page": (f"{url}/graphql", json.dumps({"query": PRACTICES_PAGE})),
                    "bare_practices_page": (f"{url}/bare/practices", None),
                    "graphql_node": (
                        f"{url}/graphql",
                        json.dumps({"query": NODE, "variables": {"id": node_id}}),
                    ),
                    "bare_node": (f"{url}/bare/node/{local_id}", None),
                }
                results: dict[str, Any] = {}
                for name, (target, body) in scenarios.items():
                    _wrk(target, seconds=2, connections=connections, body=body, workdir=workdir)  # warm-up
                    results[name] = _wrk(
                        target, seconds=seconds, connections=connections, body=body, workdir=workdir
                    )
            finally:
                server.terminate()
                await server.wait()
    results["ratio_practices_page"] = (
        results["graphql_practices_page"]["rps"] / results["bare_practices_page"]["rps"]
    )
    results["ratio_node"] = results["graphql_node"]["rps"] / results["bare_node"]["rps"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(run(seconds=args.seconds, connections=args.connections))
    print(f"{'scenario':26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, figures in results.items():
        if isinstance(figures, dict):
            print(
                f"{name:26} {figures['rps']:9.1f} {figures['p50_ms']:8.2f} {figures['p99_ms']:8.2f} "
                f"{figures['non_2xx']:8.0f}"
            )
    print(
        f"GraphQL/bare throughput: practices page {results['ratio_practices_page']:.2f}, "
        f"node {results['ratio_node']:.2f}  (run took {time.perf_counter() - started:.0f} s)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "read_mix.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
