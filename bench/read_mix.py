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
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import wrk
from bench.serving import bench_app
from resolvers.ids import decode_id, encode_id
from server.app import auth_config, prepare_database
from server.settings import Settings
from server.supervisor import local_mongo
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


async def _seed(mongo_url: str, database: str) -> str:
    client = open_client(mongo_url, timeout_ms=5000)
    stores = Stores.of(client[database])
    settings = Settings(mongodb_uri=mongo_url, mongodb_database=database)
    await prepare_database(stores, settings, auth_config(settings))
    practice = await stores.practices.collection.find_one({}, sort=[("created_at", -1)])
    await client.close()
    assert practice is not None
    return encode_id("Practice", practice["_id"])


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
    wrk.require_wrk()
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-") as tmp:
        workdir = Path(tmp)
        async with local_mongo(workdir / "data") as mongo:
            node_id = await _seed(mongo.url, "bench")
            async with bench_app(mongo.url) as url:
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
                    payload = body.encode() if body is not None else None
                    for duration in (2, seconds):  # a warm-up, then the measured run
                        results[name] = wrk.run(
                            target, seconds=duration, connections=connections, body=payload, workdir=workdir
                        )
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
