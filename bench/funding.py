"""Funding benchmark: ``fundingSummary`` over the 20,000-document set, beside a plain listing.

Starts a local MongoDB (SecantusDB) in a temporary folder, loads the regions of the provinces
``bench/search.py`` uses, and inserts the same generated set (its ``Generator``: 60 % practices,
each with the funding, beneficiaries and period of the demo practice it was made from, then case
studies and partnerships). Serves ``bench.server:app`` under uvicorn in a second process and
sends, one request at a time and in alternating rounds so that drift hits all alike:

- ``listing``: ``practices(first: 20)`` with titles, stage and funding (the baseline);
- ``summary``: ``fundingSummary`` with no filter (every published practice);
- ``summary_filtered``: ``fundingSummary`` of a province, a theme and a year;
- ``listing_with_costs``: the listing with each practice's cost per beneficiary and its theme's
  median (one more aggregation for every theme on the page).

Prints p50/p95 of each and their ratio to the listing's, and writes ``bench/results/funding.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.search import PROVINCES, Generator, _kelurahan, _summary, insert_documents
from bench.serving import bench_app
from server.supervisor import local_mongo
from storage.database import Stores, open_client
from storage.store import new_id

ROOT = Path(__file__).resolve().parent.parent

LISTING = """
query { practices(first: 20) { nodes { id title stage funding { source amount } } } }
"""
SUMMARY = """
query($filter: FundingFilter) {
  fundingSummary(filter: $filter) {
    practiceCount totalAmount
    bySource { source amount practiceCount }
    byStage { stage count }
    costPerBeneficiary { count min p25 median p75 max }
  }
}
"""
LISTING_WITH_COSTS = """
query {
  practices(first: 20) {
    nodes { id title stage funding { source amount } costPerBeneficiary themeMedianCostPerBeneficiary }
  }
}
"""
SCENARIOS: dict[str, tuple[str, dict[str, Any]]] = {
    "listing": (LISTING, {}),
    "summary": (SUMMARY, {}),
    "summary_filtered": (
        SUMMARY,
        {"filter": {"regionCode": "32", "themes": ["WASTE_MANAGEMENT"], "year": 2023}},
    ),
    "listing_with_costs": (LISTING_WITH_COSTS, {}),
}


async def _seed(mongo_url: str, database: str, *, documents: int, seed: int) -> dict[str, Any]:
    client = open_client(mongo_url, timeout_ms=5000)
    stores = Stores.of(client[database])
    await stores.regions.load(under=PROVINCES)
    await stores.ensure_indexes()
    organizations = [
        {"_id": new_id(), "name": f"Pemerintah Kelurahan {index}", "kind": "KELURAHAN_GOVERNMENT"}
        for index in range(40)
    ]
    await stores.organizations.insert_many(organizations)
    generator = Generator(random.Random(seed), await _kelurahan(stores), [o["_id"] for o in organizations])
    inserted = await insert_documents(stores, generator.documents(documents))
    await client.close()
    return inserted


async def _timed(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({response.status_code}): {body}")
    return elapsed


async def _measure(url: str, *, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    async with httpx.AsyncClient(base_url=url, timeout=120.0) as http:
        for query, variables in SCENARIOS.values():  # a warm-up of each (parse cache, pools)
            await _timed(http, query, variables)
        for _ in range(rounds):
            for name, (query, variables) in SCENARIOS.items():
                samples[name].append(await _timed(http, query, variables))
    return samples


async def run(*, documents: int, rounds: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-") as tmp:
        workdir = Path(tmp)
        async with local_mongo(workdir / "data") as mongo:
            inserted = await _seed(mongo.url, "bench", documents=documents, seed=seed)
            async with bench_app(mongo.url, search_indexer=False) as url:
                samples = await _measure(url, rounds=rounds)
    figures: dict[str, Any] = {name: _summary(values) for name, values in samples.items()}
    baseline = figures["listing"]
    for name in SCENARIOS:
        figures[name]["p50_ratio"] = figures[name]["p50_ms"] / baseline["p50_ms"]
        figures[name]["p95_ratio"] = figures[name]["p95_ms"] / baseline["p95_ms"]
    return {"inserted": inserted, "rounds": rounds, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(run(documents=args.documents, rounds=args.rounds, seed=args.seed))
    print(f"documents: {results['inserted']['documents']}, {results['inserted']['insert_s']:.0f} s to insert")
    print(f"{'scenario':20} {'p50 ms':>9} {'p95 ms':>9} {'p50 / listing':>14} {'p95 / listing':>14}")
    for name in SCENARIOS:
        row = results[name]
        latency = f"{row['p50_ms']:9.1f} {row['p95_ms']:9.1f}"
        print(f"{name:20} {latency} {row['p50_ratio']:14.2f} {row['p95_ratio']:14.2f}")
    print(f"(run took {time.perf_counter() - started:.0f} s)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "funding.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
