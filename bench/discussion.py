"""Discussion benchmark: a practice page with its first 20 threads and their replies, beside the plain page.

Starts a local MongoDB (SecantusDB), seeds one organization and a published practice with 20
threads of 3 replies each, serves ``bench.server:app`` under uvicorn in a second process and
drives both queries with wrk from a third, alternating rounds. Prints requests/s and p50/p99 of
each and the ratio of the discussion page's throughput to the plain page's in this same run.
``tests/test_discussion_cost.py`` counts the MongoDB commands of the same two documents.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import wrk
from bench.serving import bench_app
from resolvers.ids import encode_id
from server.supervisor import local_mongo
from storage.database import Stores, open_client
from storage.store import AuditNote, new_id
from storage.vocabulary import AuditAction

ROOT = Path(__file__).resolve().parent.parent

PRACTICE_PAGE = """
query($id: ID!) {
  node(id: $id) {
    ... on Practice {
      id title summary problem approach stage status themes createdAt
      organization { id name kind }
      regions { code name level }
    }
  }
}
"""
PRACTICE_WITH_DISCUSSION = """
query($id: ID!) {
  node(id: $id) {
    ... on Practice {
      id title summary problem approach stage status themes createdAt
      organization { id name kind }
      regions { code name level }
      discussion {
        threadCount openQuestionCount answeredQuestionCount
        threads(first: 20) {
          pageInfo { hasNextPage endCursor }
          nodes {
            id kind title body state replyCount isAnswered lastActivityAt authorName
            authorOrganization { id name }
            mentionedOrganizations { id name }
            acceptedAnswer { id }
            replies(first: 20) {
              nodes {
                id body state createdAt authorName isAcceptedAnswer
                authorOrganization { id name }
                quoted { id body state }
              }
            }
          }
        }
      }
    }
  }
}
"""


async def seed_discussion(stores: Stores, *, threads: int, replies: int) -> str:
    """A published practice of a new organization with ``threads`` questions of ``replies`` each."""
    organization = await stores.organizations.insert(
        {"name": f"Pemerintah Kelurahan Uji {new_id()[-6:]}", "kind": "KELURAHAN_GOVERNMENT"}
    )
    practice = await stores.practices.insert(
        {
            "title": "Bank Sampah Digital",
            "summary": "Warga menabung sampah terpilah.",
            "organization_id": organization.id,
            "region_codes": ["32.76.05.1001"],
            "themes": ["WASTE_MANAGEMENT"],
            "status": "PUBLISHED",
            "problem": "TPS penuh.",
            "approach": "Tabungan sampah.",
            "stage": "APPLIED",
        }
    )
    note = AuditNote(action=AuditAction.POSTED, actor_id=None, actor_name="Bu Rina")
    author = {"author_name": "Bu Rina", "author_organization_id": organization.id}
    for number in range(threads):
        thread = await stores.discussions.post_thread(
            {
                "subject_collection": "practices",
                "subject_id": practice.id,
                "kind": "QUESTION",
                "title": f"Pertanyaan {number}",
                "body": "Bagaimana menjaga kehadiran nasabah setiap minggu?",
                "mentioned_organization_ids": [organization.id],
                **author,
            },
            audit=note,
        )
        for reply in range(replies):
            await stores.discussions.post_reply(
                {
                    "subject_collection": "practices",
                    "subject_id": practice.id,
                    "body": f"Balasan {reply}: kami memberi poin yang bisa ditukar sembako.",
                    **author,
                },
                thread_id=thread.id,
                audit=note,
            )
    return practice.id


async def _seed(mongo_url: str, database: str) -> str:
    client = open_client(mongo_url, timeout_ms=5000)
    stores = Stores.of(client[database])
    await stores.regions.load(under=("32.76",))
    await stores.ensure_indexes()
    practice_id = await seed_discussion(stores, threads=20, replies=3)
    await client.close()
    return encode_id("Practice", practice_id)


async def _check(url: str, node_id: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        body = {"query": PRACTICE_WITH_DISCUSSION, "variables": {"id": node_id}}
        answer = (await client.post("/graphql", json=body)).json()
    threads = answer["data"]["node"]["discussion"]["threads"]["nodes"]
    assert len(threads) == 20, answer
    assert all(len(thread["replies"]["nodes"]) == 3 for thread in threads), answer


async def run(*, seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    wrk.require_wrk()
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-") as tmp:
        workdir = Path(tmp)
        async with local_mongo(workdir / "data") as mongo:
            node_id = await _seed(mongo.url, "bench")
            async with bench_app(mongo.url, search_indexer=False) as url:
                await _check(url, node_id)
                bodies = {
                    name: json.dumps({"query": document, "variables": {"id": node_id}}).encode()
                    for name, document in (("plain", PRACTICE_PAGE), ("discussion", PRACTICE_WITH_DISCUSSION))
                }
                figures: dict[str, list[dict[str, float]]] = {name: [] for name in bodies}
                for body in bodies.values():  # a warm-up of each
                    wrk.run(f"{url}/graphql", seconds=2, connections=connections, body=body, workdir=workdir)
                for _ in range(rounds):  # alternating, so drift hits both alike
                    for name, body in bodies.items():
                        figures[name].append(
                            wrk.run(
                                f"{url}/graphql",
                                seconds=seconds,
                                connections=connections,
                                body=body,
                                workdir=workdir,
                            )
                        )
    results: dict[str, Any] = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in figures.items()
    }
    results["ratio"] = results["discussion"]["rps"] / results["plain"]["rps"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(run(seconds=args.seconds, connections=args.connections, rounds=args.rounds))
    print(f"{'page':12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name in ("plain", "discussion"):
        row = results[name]
        print(f"{name:12} {row['rps']:9.1f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['non_2xx']:8.0f}")
    took = time.perf_counter() - started
    print(f"discussion/plain throughput: {results['ratio']:.2f}  (run took {took:.0f} s)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "discussion.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
