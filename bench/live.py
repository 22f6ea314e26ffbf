"""Live updates benchmark: fan-out cost to the triggering mutation, and delivery across instances.

Starts a local MongoDB (SecantusDB) and Meilisearch, and two app instances (A and B, two
processes of ``python -m server serve``) on one database, the notifier running wherever its lease
is. Then:

1. **Fan-out.** Three questions followed by 0, 100 and 1,000 users. Replies are posted through A
   to each in its own phase (``--rounds`` each, after three warm-up replies), 0 followers first;
   between two phases the notifier catches up, so the fan-out of one phase (one notification per
   follower, inserted in the background) does not slow the next. The reply's latency is timed
   per follower count and compared with the median at 0 followers in this same run: the mutation
   itself writes one activity whatever the count; what the figures show beyond it is the
   background fan-out of the same phase sharing the machine.
2. **Delivery.** The Node client (``tests/js/live.mjs``: graphql-ws over ws) subscribes to a
   fourth thread on B and posts ``--events`` replies through A one after the other; each one's
   latency runs from sending the mutation to A to receiving it on B.
3. **Notification delivery.** The asker subscribes to ``notificationAdded`` on B (a Python
   graphql-transport-ws client) while ``--events`` replies to a fifth question are posted through
   A: from sending the mutation to receiving her notification on B, through the notifier (woken by
   the activity outbox's change stream on whichever instance holds its lease).

Prints the figures as JSON lines; bench/README.md records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench.read_mix import _wait_ready
from resolvers.accounts import create_user, issue_session
from resolvers.auth import AuthConfig
from resolvers.ids import encode_id
from server.supervisor import free_port, local_meilisearch, local_mongo
from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores, open_client
from storage.follows import target_key
from storage.pagination import newest_key
from storage.store import AuditNote, new_id, utc_now
from storage.vocabulary import AuditAction, FollowKind, Role

ROOT = Path(__file__).resolve().parent.parent
NODE_CLIENT = ROOT / "tests" / "js" / "live.mjs"
SECRET_KEY = "lumbung-bench-secret-key-" + "0123456789" * 3
AUTH = AuthConfig(secret_key=SECRET_KEY.encode(), hash_time_cost=1, hash_memory_kib=1024)
FOLLOWERS = (0, 100, 1000)
DATABASE = "bench_live"

REPLY = """
mutation($input: ReplyInput!) {
  replyToThread(input: $input) { reply { id } errors { field code message } }
}
"""


async def _token(stores: Stores, organization_id: str, name: str) -> tuple[str, str]:
    """A new user's ID and access token."""
    user = await create_user(
        stores,
        AUTH,
        email=f"{new_id()}@contoh.go.id",
        name=name,
        password="kata-sandi-bench-123",
        role=Role.MEMBER,
        organization_id=organization_id,
    )
    return user.id, (await issue_session(stores, AUTH, user)).access_token


async def _follow(stores: Stores, thread_id: str, count: int) -> None:
    key = target_key(FollowKind.THREAD, thread_id)
    now = utc_now()
    documents = []
    for _ in range(count):
        user_id = new_id()
        document_id = f"{user_id}:{key}"
        documents.append(
            {
                "_id": document_id,
                "user_id": user_id,
                "kind": FollowKind.THREAD.value,
                "target_id": thread_id,
                "target_key": key,
                "created_at": now,
                "newest_key": newest_key(now, document_id),
            }
        )
    if documents:
        await stores.follows.collection.insert_many(documents)


async def seed(stores: Stores) -> dict[str, Any]:
    """An organization's published practice, a question per follower count and one more; tokens."""
    await stores.regions.load(under=("32.76",))
    organization = await stores.organizations.insert(
        {"name": "Pemerintah Kelurahan Depok Jaya", "kind": "KELURAHAN_GOVERNMENT"}
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
    # The asker is told of each reply: without anyone named, an activity is not written at all.
    asker_id, asker_token = await _token(stores, organization.id, "Bu Sari")
    note = AuditNote(action=AuditAction.POSTED, actor_id=asker_id, actor_name="Bu Sari")
    threads: dict[str, str] = {}
    for name, followers in [*((str(n), n) for n in FOLLOWERS), ("delivery", 0), ("notifications", 0)]:
        thread = await stores.discussions.post_thread(
            {
                "subject_collection": "practices",
                "subject_id": practice.id,
                "kind": "QUESTION",
                "title": f"Pertanyaan ({name})",
                "body": "Bagaimana menjaga kehadiran nasabah?",
                "author_id": asker_id,
                "author_name": "Bu Sari",
                "author_organization_id": organization.id,
            },
            audit=note,
        )
        await _follow(stores, thread.id, followers)
        threads[name] = encode_id("Thread", thread.id)
    _, token = await _token(stores, organization.id, "Pak Budi")
    return {"threads": threads, "token": token, "askerToken": asker_token}


def _instance_env(
    mongo_url: str, meili_url: str, meili_key: str, port: int, data_dir: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "LUMBUNG_ENV": "development",
        "LUMBUNG_PORT": str(port),
        "LUMBUNG_DATA_DIR": str(data_dir),
        "MONGODB_URI": mongo_url,
        "LUMBUNG_MONGODB_DATABASE": DATABASE,
        "MEILI_URL": meili_url,
        "MEILI_MASTER_KEY": meili_key,
        "LUMBUNG_SECRET_KEY": SECRET_KEY,
        "LUMBUNG_SEED_REGIONS": "false",
        "LUMBUNG_SEED_DEMO": "false",
        "LUMBUNG_SEARCH_INDEXER": "false",
        "LUMBUNG_DIGESTS": "false",
        "LUMBUNG_POST_RATE_LIMIT": "1000000",
        "LUMBUNG_LOG_LEVEL": "WARNING",
    }


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
    )


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50Ms": round(statistics.median(ordered) * 1000, 2),
        "p95Ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2),
    }


async def fan_out(url: str, seeded: dict[str, Any], rounds: int, stores: Stores) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {seeded['token']}"}
    samples: dict[int, list[float]] = {n: [] for n in FOLLOWERS}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        for followers in FOLLOWERS:  # one phase each, the notifier caught up in between
            await _caught_up(stores)
            for number in range(rounds + 3):  # the first three replies warm up and are not counted
                variables = {
                    "input": {"threadId": seeded["threads"][str(followers)], "body": f"Balasan {number}"}
                }
                started = time.perf_counter()
                answer = (await client.post("/graphql", json={"query": REPLY, "variables": variables})).json()
                elapsed = time.perf_counter() - started
                assert answer["data"]["replyToThread"]["errors"] == [], answer
                if number >= 3:
                    samples[followers].append(elapsed)
    baseline = statistics.median(samples[0])
    return {
        str(n): {**_summary(s), "ratioToZero": round(statistics.median(s) / baseline, 2)}
        for n, s in samples.items()
    }


async def _caught_up(stores: Stores, within: float = 300.0) -> float:
    """Seconds until the notifier has delivered every activity."""
    started = time.perf_counter()
    while await stores.database[ACTIVITY_OUTBOX].count_documents({"delivered_at": None}):
        if time.perf_counter() - started > within:
            raise SystemExit("the notifier did not catch up")
        await asyncio.sleep(0.2)
    return time.perf_counter() - started


async def _subscriptions(url: str) -> float:
    async with httpx.AsyncClient(base_url=url) as client:
        text = (await client.get("/metrics")).text
    return next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("lumbung_live_subscriptions ")
    )


async def notification_delivery(a: str, b: str, seeded: dict[str, Any], events: int) -> dict[str, Any]:
    """The asker's notificationAdded on B, each reply to her question posted through A."""
    headers = {"authorization": f"Bearer {seeded['token']}"}
    latencies: list[float] = []
    ws_url = b.replace("http://", "ws://") + "/graphql"
    async with (
        connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws,
        httpx.AsyncClient(base_url=a, headers=headers, timeout=30) as client,
    ):
        init = {"authorization": f"Bearer {seeded['askerToken']}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        before = await _subscriptions(b)
        query = "subscription { notificationAdded { id reason } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for _ in range(1200):  # until the subscriber is registered on B
            if await _subscriptions(b) > before:
                break
            await asyncio.sleep(0.05)
        else:
            raise SystemExit("B never registered the subscriber")
        for number in range(events):
            variables = {
                "input": {"threadId": seeded["threads"]["notifications"], "body": f"Jawaban {number}"}
            }
            started = time.perf_counter()
            answer = (await client.post("/graphql", json={"query": REPLY, "variables": variables})).json()
            assert answer["data"]["replyToThread"]["errors"] == [], answer
            async with asyncio.timeout(60):
                while (message := json.loads(await ws.recv()))["type"] != "next":
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    else:
                        raise SystemExit(f"notificationAdded ended: {message}")
            latencies.append(time.perf_counter() - started)
    return {"events": len(latencies), **_summary(latencies)}


async def delivery(a: str, b: str, seeded: dict[str, Any], events: int) -> dict[str, Any]:
    options = {"a": a, "b": b, "token": seeded["token"], "threadId": seeded["threads"]["delivery"]}
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_CLIENT),
        json.dumps({**options, "count": events}),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report: dict[str, Any] = json.loads(stdout)
    if process.returncode != 0:
        raise SystemExit(f"the Node client failed: {report}")
    latencies = [ms / 1000 for ms in report["latenciesMs"]]
    return {
        "events": len(latencies),
        **_summary(latencies),
        "mutation": _summary([ms / 1000 for ms in report["mutationMs"]]),
    }


async def main(rounds: int, events: int) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lumbung-bench-live-") as tmp:
        root = Path(tmp)
        async with local_mongo(root / "mongo") as mongo, local_meilisearch(root / "meili") as meili:
            ports = free_port(), free_port()
            env = [
                _instance_env(mongo.url, meili.url, meili.api_key or "", p, root / f"app{p}") for p in ports
            ]
            processes = [await _start(e) for e in env]
            try:
                a, b = (f"http://127.0.0.1:{p}" for p in ports)
                for url, process in zip((a, b), processes, strict=True):
                    await _wait_ready(url, process)
                client = open_client(mongo.url, timeout_ms=5000)
                stores = Stores.of(client[DATABASE])
                seeded = await seed(stores)
                figures = await fan_out(a, seeded, rounds, stores)
                print(json.dumps({"fanOut": figures, "rounds": rounds}), flush=True)
                caught_up = round(await _caught_up(stores), 1)
                told = await stores.notifications.collection.count_documents({})
                print(json.dumps({"notifierCaughtUpSeconds": caught_up, "notifications": told}), flush=True)
                print(json.dumps({"delivery": await delivery(a, b, seeded, events)}), flush=True)
                await _caught_up(stores)
                notified = await notification_delivery(a, b, seeded, events)
                print(json.dumps({"notificationDelivery": notified}), flush=True)
                await client.close()
            finally:
                for process in processes:
                    process.terminate()
                    await process.wait()
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30, help="replies per follower count")
    parser.add_argument("--events", type=int, default=200, help="replies delivered from A to B")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.events))
