"""Crash recovery: how soon every acknowledged write is searchable again after an app is killed.

Four writers, signed in as the demo admin, create drafts through ``createPractice`` as fast as
the app takes them; the app is killed with SIGKILL in the middle of the burst. Then, per scenario,
repeated ``--rounds`` times:

- **restart**: one app, as `make run` starts it (``python -m server serve``, its own data folder
  and local services, every region and the demo content), started again on the same folder.
  Measured: from the new instance answering ``/readyz`` to ``search`` finding the last
  acknowledged write (polled every 50 ms), and from the kill to ``/readyz``.
- **restart, lease left to expire**: the same with ``LUMBUNG_LEASE_PROVE_DEAD=false``: the new
  instance cannot prove the old one dead and waits for its lease to end, as an instance on
  another host would.
- **survivor**: two apps on shared services (a MongoDB and a Meilisearch started here), two
  writers on each; the one holding the indexer's lease is killed, and the other must take over.
  Measured: from the kill to ``search`` on the survivor finding every acknowledged write. Proving
  the dead instance dead is off, as between hosts. The killed one is started again for the next
  round.
- **baseline**: the restart with the former lease (90 s, nothing proved dead), ``--baseline-rounds``
  times.

Prints a table and writes ``bench/results/crash_recovery.json``. ``--keep`` keeps the apps' logs
and data; ``BENCH_APP_LOG_LEVEL=INFO`` makes the apps log every request to Meilisearch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from search.indexer import LEASE_NAME
from server.lifeline import tied
from server.supervisor import free_port, local_meilisearch, local_mongo
from storage.database import open_client

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4
TARGET_S = 10.0
# A search that takes longer is asked again: a request stuck on the shared machine must not
# count as the index's delay.
POLL_TIMEOUT_S = 2.0
SCENARIOS = {
    "restart": "restart (same host)",
    "restart_lease_expiry": "restart, lease left to expire",
    "survivor": "survivor of two, lease holder killed",
    "baseline_90s_lease": "baseline: restart, former 90 s lease",
}
RESTART_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "restart": {},
    "restart_lease_expiry": {"LUMBUNG_LEASE_PROVE_DEAD": "false"},
    "baseline_90s_lease": {"LUMBUNG_LEASE_SECONDS": "90", "LUMBUNG_LEASE_PROVE_DEAD": "false"},
}
# The demo admin that `make run` creates (README): an admin of the association, who finds drafts.
ADMIN = {"email": "admin@demo.lumbung.id", "password": "lumbung-admin-demo"}

SIGN_IN = """
mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }
"""
CREATE_ORGANIZATION = """
mutation($input: OrganizationInput!) {
  createOrganization(input: $input) { organization { id } errors { code } }
}
"""
CREATE_PRACTICE = """
mutation($input: PracticeInput!) { createPractice(input: $input) { practice { id } errors { code } } }
"""
# Every hit of one type for a word, a page at a time.
SEARCH_IDS = """
query($query: String!, $type: ContentType!, $after: String) {
  search(query: $query, filter: {types: [$type]}, facets: [], first: 100, after: $after) {
    hits { node { ... on Practice { id } ... on Organization { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


# --- apps -----------------------------------------------------------------------------------------


@dataclass
class App:
    name: str
    data_dir: Path
    env: Mapping[str, str]
    url: str = ""
    process: asyncio.subprocess.Process | None = None
    log_path: Path = field(default_factory=Path)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = self.data_dir.parent / f"{self.name}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "MEILI_", "LUMBUNG_"))},
            "PORT": str(port),
            "LUMBUNG_DATA_DIR": str(self.data_dir),
            "LUMBUNG_LOG_LEVEL": os.environ.get("BENCH_APP_LOG_LEVEL", "WARNING"),
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *tied([sys.executable, "-m", "server", "serve"]),  # a killed benchmark leaves no app
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, *, within: float = 600) -> dict[str, Any]:
        """Polls /readyz every 50 ms until it answers 200; its body."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise SystemExit(f"{self.name} exited early:\n{_tail(self.log_path)}")
                with contextlib.suppress(httpx.TransportError):
                    response = await http.get("/readyz")
                    if response.status_code == 200:
                        body: dict[str, Any] = response.json()
                        return body
                await asyncio.sleep(0.05)
        raise SystemExit(f"{self.name} was not ready within {within:.0f} s:\n{_tail(self.log_path)}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _services_of(data_dir: Path) -> list[int]:
    """Live local services (SecantusDB, Meilisearch) whose command line names ``data_dir``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            if (
                state not in ("Z", "X")
                and str(data_dir) in command
                and ("secantusd" in command or "meilisearch" in command)
            ):
                found.append(int(entry.name))
    return found


def _logs_of(data_dir: Path) -> str:
    return "\n".join(f"{log.name}:\n{_tail(log)}" for log in sorted(data_dir.glob("*.log")))


async def _wait_services_stopped(data_dir: Path, *, within: float = 120) -> None:
    """The killed app's services get SIGTERM from the kernel; the next start needs their files."""
    deadline = time.monotonic() + within
    while _services_of(data_dir):
        if time.monotonic() > deadline:
            raise SystemExit(f"the local services of {data_dir} did not stop:\n{_logs_of(data_dir)}")
        await asyncio.sleep(0.05)


# --- GraphQL --------------------------------------------------------------------------------------


async def _graphql(
    http: httpx.AsyncClient, query: str, variables: Mapping[str, Any], *, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({response.status_code}): {body}")
    data: dict[str, Any] = body["data"]
    return data


async def _sign_in(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        data = await _graphql(http, SIGN_IN, {"input": ADMIN})
    token: str = data["signIn"]["session"]["accessToken"]
    return token


async def _found(url: str, *, token: str, query: str, type: str) -> set[str]:
    found: set[str] = set()
    variables: dict[str, Any] = {"query": query, "type": type, "after": None}
    async with httpx.AsyncClient(base_url=url, timeout=POLL_TIMEOUT_S) as http:
        while True:
            data = (await _graphql(http, SEARCH_IDS, variables, token=token))["search"]
            found.update(hit["node"]["id"] for hit in data["hits"] if hit["node"])
            if not data["pageInfo"]["hasNextPage"]:
                return found
            variables["after"] = data["pageInfo"]["endCursor"]


@dataclass
class Found:
    at: float  # time.monotonic()
    # Searches that got no answer within POLL_TIMEOUT_S (asked again at once)
    unanswered: int


async def _wait_found(url: str, ids: set[str], *, token: str, query: str, type: str, within: float) -> Found:
    """When search first found every one of ``ids``."""
    deadline = time.monotonic() + within
    unanswered = 0
    while True:
        try:
            if ids <= await _found(url, token=token, query=query, type=type):
                return Found(time.monotonic(), unanswered)
        except httpx.TimeoutException:
            unanswered += 1
        except (RuntimeError, httpx.TransportError):  # not answering yet: ask again
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"search did not find every acknowledged write within {within:.0f} s")
        await asyncio.sleep(0.05)


async def _organization(url: str, token: str) -> str:
    """A new organization, once search finds it: the writers' practices belong to it."""
    name = {
        "name": "Pemerintah Kecamatan Tahan Padam",
        "kind": "KECAMATAN_GOVERNMENT",
        "regionCode": "32.76.05",
    }
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        data = await _graphql(http, CREATE_ORGANIZATION, {"input": name}, token=token)
    organization_id: str = data["createOrganization"]["organization"]["id"]
    await _wait_found(
        url, {organization_id}, token=token, query="tahan padam", type="ORGANIZATION", within=120
    )
    return organization_id


@dataclass
class Burst:
    """Writers creating drafts through apps until those die or ``stop`` is set."""

    token: str
    organization_id: str
    # In every title of a round, and its search query: a round finds only its own writes.
    word: str = ""
    acknowledged: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    serial: int = 0

    async def write(self, url: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            while not self.stop.is_set():
                self.serial += 1
                title = f"Bank Sampah Tahan Padam {self.word} {self.serial}"
                variables = {"input": _practice(self.organization_id, title)}
                try:
                    response = await http.post(
                        "/graphql", json={"query": CREATE_PRACTICE, "variables": variables}
                    )
                except httpx.TransportError:  # killed: this write was never acknowledged
                    return
                payload = response.json()["data"]["createPractice"]
                if payload["errors"]:
                    raise RuntimeError(f"a write failed: {payload['errors']}")
                self.acknowledged.append(payload["practice"]["id"])


def _unique_word(rng: random.Random) -> str:
    # Ten random letters: two such words are never within Meilisearch's two typos of each other.
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def _practice(organization_id: str, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": "Warga menabung sampah terpilah; pencatatan tetap jalan saat listrik padam.",
        "organizationId": organization_id,
        "regionCodes": ["32.76.05.1001"],
        "themes": ["WASTE_MANAGEMENT"],
        "sdgs": [11, 12],
        "problem": "Sampah rumah tangga menumpuk di TPS dan sungai.",
        "approach": "Bank sampah per RW dengan penimbangan mingguan dan saldo digital.",
        "stage": "PILOT",
    }


# --- scenarios ------------------------------------------------------------------------------------


async def restarts(
    workdir: Path, name: str, *, rounds: int, burst_s: float, env: Mapping[str, str], rng: random.Random
) -> list[dict[str, Any]]:
    """Kill one app mid-burst and start it again on its data folder, ``rounds`` times."""
    app = App(name, workdir / name / "data", env)
    await app.start()
    results = []
    try:
        await app.wait_ready()  # the first start loads every region and the demo content
        token = await _sign_in(app.url)
        burst = Burst(token, await _organization(app.url, token))
        for round_ in range(rounds):
            burst.acknowledged.clear()
            burst.word = _unique_word(rng)
            writers = [asyncio.create_task(burst.write(app.url)) for _ in range(WRITERS)]
            await asyncio.sleep(burst_s + rng.random() / 2)  # the kill lands anywhere in a round
            killed = time.monotonic()
            await app.kill()
            await asyncio.gather(*writers)
            acknowledged = set(burst.acknowledged)
            await _wait_services_stopped(app.data_dir)
            await app.start()
            readiness = await app.wait_ready()
            ready = time.monotonic()
            found = await _wait_found(
                app.url, acknowledged, token=token, query=burst.word, type="PRACTICE", within=600
            )
            results.append(
                {
                    "acknowledged": len(acknowledged),
                    "kill_to_ready_s": ready - killed,
                    "ready_to_searchable_s": found.at - ready,
                    "unanswered_searches": found.unanswered,
                    "backlog_at_ready": readiness["checks"].get("searchBacklog"),
                }
            )
            print(f"  {name} {round_ + 1}/{rounds}: {_describe(results[-1])}", flush=True)
    finally:
        await app.stop()
    return results


async def survivors(
    workdir: Path, *, rounds: int, burst_s: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Two apps on shared services; kill the indexer's lease holder mid-burst, ``rounds`` times."""
    async with (
        local_mongo(workdir / "shared" / "mongo") as mongo,
        local_meilisearch(workdir / "shared" / "meili") as meili,
    ):
        env = {
            "MONGODB_URI": mongo.url,
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.api_key or "",
            "LUMBUNG_SECRET_KEY": secrets.token_urlsafe(48),  # the same on both: one token for both
            "LUMBUNG_LEASE_PROVE_DEAD": "false",
        }
        apps = [App(f"survivor-{n}", workdir / f"survivor-{n}" / "data", env) for n in (1, 2)]
        client = open_client(mongo.url, timeout_ms=10_000)
        results = []
        try:
            for app in apps:  # one after the other: the first loads every region and the demo content
                await app.start()
                await app.wait_ready()
            token = await _sign_in(apps[0].url)
            burst = Burst(token, organization_id="")
            for round_ in range(rounds):
                lease = await client["lumbung"]["leases"].find_one({"_id": LEASE_NAME})
                assert lease is not None
                holder_pid = int(lease["owner"].split(":")[1])  # server.app names owners host:pid:nonce
                (holder,) = [app for app in apps if app.pid == holder_pid]
                (survivor,) = [app for app in apps if app is not holder]
                burst.acknowledged.clear()
                burst.stop.clear()
                burst.word = _unique_word(rng)
                # A new organization each round: the killed instance's transactions under way
                # stay open until MongoDB aborts them (transactionLifetimeLimitSeconds, 60 s), and
                # each holds its organization (every new practice writes it): writes of it wait.
                burst.organization_id = await _organization(survivor.url, token)
                writers = [
                    asyncio.create_task(burst.write(app.url)) for app in apps for _ in range(WRITERS // 2)
                ]
                await asyncio.sleep(burst_s + rng.random() / 2)
                killed = time.monotonic()
                await holder.kill()
                burst.stop.set()
                before_kill = set(burst.acknowledged)
                found = await _wait_found(
                    survivor.url, before_kill, token=token, query=burst.word, type="PRACTICE", within=600
                )
                # The survivor's writes under way at the kill: answered at once, or (those waiting
                # for a transaction the killed instance left open) given up by the writer at 30 s.
                await asyncio.gather(*writers)
                writers_done = time.monotonic()
                await _wait_found(
                    survivor.url,
                    set(burst.acknowledged),
                    token=token,
                    query=burst.word,
                    type="PRACTICE",
                    within=600,
                )
                results.append(
                    {
                        "acknowledged_before_kill": len(before_kill),
                        "kill_to_searchable_s": found.at - killed,
                        "unanswered_searches": found.unanswered,
                        "acknowledged_after_kill": len(burst.acknowledged) - len(before_kill),
                        "writes_under_way_finished_after_s": writers_done - killed,
                    }
                )
                print(f"  survivor {round_ + 1}/{rounds}: {_describe(results[-1])}", flush=True)
                await holder.start()  # two instances again for the next round
                await holder.wait_ready()
        finally:
            for app in apps:
                await app.stop()
            await client.close()
    return results


# --- the run --------------------------------------------------------------------------------------


def _describe(result: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
        for key, value in result.items()
    )


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50_s": statistics.median(values), "max_s": max(values), "min_s": min(values)}


async def run(
    *, scenarios: Sequence[str], rounds: int, baseline_rounds: int, burst_s: float, seed: int, keep: bool
) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    rng = random.Random(seed)
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "rounds": rounds,
        "baseline_rounds": baseline_rounds,
        "burst_s": burst_s,
        "writers": WRITERS,
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg()[0],
    }
    prefix = "lumbung-bench-crash-"
    place = (
        contextlib.nullcontext(tempfile.mkdtemp(prefix=prefix))
        if keep
        else tempfile.TemporaryDirectory(prefix=prefix)
    )
    with place as tmp:
        workdir = Path(tmp)
        print(f"logs and data in {workdir}{'' if keep else ' (deleted at the end)'}", flush=True)
        for name in scenarios:
            count = baseline_rounds if name == "baseline_90s_lease" else rounds
            if not count:
                continue
            print(f"{name}: {count} rounds", flush=True)
            if name == "survivor":
                results[name] = await survivors(workdir, rounds=count, burst_s=burst_s, rng=rng)
            else:
                env = RESTART_ENVIRONMENTS[name]
                results[name] = await restarts(workdir, name, rounds=count, burst_s=burst_s, env=env, rng=rng)
    for name in scenarios:
        if results.get(name):
            measure = "kill_to_searchable_s" if name == "survivor" else "ready_to_searchable_s"
            results[f"{name}_summary"] = _summary([r[measure] for r in results[name]])
            if name != "survivor":
                results[f"{name}_kill_to_ready"] = _summary([r["kill_to_ready_s"] for r in results[name]])
    return results


def _print(results: Mapping[str, Any]) -> None:
    print()
    print(f"{'scenario':44} {'measure':34} {'p50 s':>7} {'max s':>7} {'min s':>7}")
    for name, label in SCENARIOS.items():
        measure = (
            "kill -> every write searchable" if name == "survivor" else "/readyz -> every write searchable"
        )
        for key, what in ((f"{name}_summary", measure), (f"{name}_kill_to_ready", "kill -> /readyz")):
            if key in results:
                s = results[key]
                print(f"{label:44} {what:34} {s['p50_s']:7.2f} {s['max_s']:7.2f} {s['min_s']:7.2f}")
    print(f"(the target: every acknowledged write searchable within {TARGET_S:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="kills per scenario")
    parser.add_argument(
        "--baseline-rounds", type=int, default=2, help="kills with the former 90 s lease (0: none)"
    )
    parser.add_argument(
        "--burst-seconds", type=float, default=2.0, help="writing before each kill (plus up to 0.5 s)"
    )
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--keep", action="store_true", help="keep the apps' logs and data")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    results = asyncio.run(
        run(
            rounds=args.rounds,
            baseline_rounds=args.baseline_rounds,
            burst_s=args.burst_seconds,
            keep=args.keep,
            scenarios=[name for name in args.scenarios.split(",") if name],
            seed=args.seed,
        )
    )
    results["run_s"] = time.perf_counter() - started
    results["load_average_end"] = os.getloadavg()[0]
    _print(results)
    print(
        f"(run took {results['run_s']:.0f} s; 1-minute load average {results['load_average_start']:.1f} "
        f"before, {results['load_average_end']:.1f} after, on {results['cpus']} CPUs)"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "crash_recovery.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
