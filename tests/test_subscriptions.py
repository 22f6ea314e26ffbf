"""Live updates: GraphQL subscriptions over graphql-transport-ws, fed by change streams.

The app runs under uvicorn on a loopback port and a real WebSocket client (``websockets``) speaks
the protocol to it, as a browser's graphql-ws client would.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pymongo.errors import OperationFailure
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from resolvers.auth import parse_token
from resolvers.live import LiveFeed, LiveHub, SubscriptionEnded
from server.__main__ import websocket_options
from server.app import create_app
from server.settings import Settings
from server.supervisor import LocalService, free_port
from storage.database import Stores
from storage.errors import StorageUnavailable
from storage.vocabulary import Role
from tests.conftest import settings_for
from tests.support import (
    GraphQLClient,
    create_organization,
    create_practice,
    hub_admin_token,
    user_with_token,
)
from tests.test_accounts import SIGN_OUT
from tests.test_discussions import REPLY, START, _local
from tests.test_moderation import HIDE
from tests.test_workflow import ARCHIVE

SUBPROTOCOLS = [Subprotocol("graphql-transport-ws")]
NOTIFICATION_ADDED = "subscription { notificationAdded { id reason summary actorName subject { id } } }"
THREAD_UPDATED = "subscription($id: ID!) { threadUpdated(id: $id) { id body authorName thread { id } } }"
# Long enough for any machine; a test that waits this long has failed.
PATIENCE = 20.0
ROOT = Path(__file__).resolve().parent.parent
NODE_CLIENT = ROOT / "tests" / "js" / "live.mjs"


@dataclass
class Live:
    """A served app: its URL, an admin client over HTTP, and its live hub and feed."""

    url: str
    api: GraphQLClient
    stores: Stores
    state: dict[str, Any]

    @property
    def hub(self) -> LiveHub:
        hub: LiveHub = self.state["live"]
        return hub

    @property
    def feed(self) -> LiveFeed:
        feed: LiveFeed = self.state["feed"]
        return feed

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"

    async def user(self, role: Role, organization: str, name: str) -> tuple[GraphQLClient, str]:
        _, token = await user_with_token(
            self.stores, role=role, organization_id=_local(organization), name=name
        )
        return self.api.as_user(token), token

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (boundedly) for the server side of a step the client cannot observe."""
        for _ in range(int(PATIENCE / 0.01)):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the server never got there")


@contextlib.asynccontextmanager
async def live_app(settings: Settings, stores: Stores) -> AsyncIterator[Live]:
    """The app under uvicorn (as conftest's ``serving``), with its lifespan state at hand."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            **websocket_options(settings),
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            api = GraphQLClient(http).as_user(await hub_admin_token(stores))
            yield Live(url=url, api=api, stores=stores, state=server.lifespan.state)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[Live]:
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_index_prefix="shared",
        search_indexer=False,
        live_updates=True,
        live_max_connections_per_user=3,
        cors_origins=["https://hub.example.org"],
        live_max_subscriptions_per_connection=2,
    )
    async with live_app(settings, stores) as app:
        yield app


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    """The next message that is not a server ping (answered, as graphql-ws does)."""
    async with asyncio.timeout(PATIENCE):
        while True:
            frame = await ws.recv()
            assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
            message: dict[str, Any] = json.loads(frame)
            if message["type"] != "ping":
                return message
            await ws.send(json.dumps({"type": "pong"}))


@contextlib.asynccontextmanager
async def connected(live: Live, payload: dict[str, Any] | None = None) -> AsyncIterator[ClientConnection]:
    """A WebSocket past connection_init (acknowledged), closed on the way out."""
    async with connect(live.ws_url, subprotocols=SUBPROTOCOLS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        assert (await _receive(ws))["type"] == "connection_ack"
        yield ws


async def _subscribe(ws: ClientConnection, query: str, variables: dict[str, Any] | None = None) -> str:
    operation = uuid.uuid4().hex
    message = {
        "id": operation,
        "type": "subscribe",
        "payload": {"query": query, "variables": variables or {}},
    }
    await ws.send(json.dumps(message))
    return operation


async def _close_code(ws: ClientConnection) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(PATIENCE):
            while True:
                await ws.recv()
    return ws.close_code


async def _question(asker: GraphQLClient, practice_id: str) -> str:
    asked = await asker.mutate(
        START,
        {"subjectId": practice_id, "kind": "QUESTION", "title": "Berapa biayanya?", "body": "Rinciannya?"},
    )
    assert asked["errors"] == []
    thread_id: str = asked["thread"]["id"]
    return thread_id


@dataclass
class Town:
    practice_id: str
    asker: GraphQLClient
    asker_token: str
    owner: GraphQLClient
    owner_token: str


@pytest.fixture
async def town(live: Live) -> Town:
    owner_org = await create_organization(live.api, name="Pemerintah Kelurahan Depok Jaya")
    asker_org = await create_organization(live.api, name="Pemerintah Kelurahan Keputih")
    practice = await create_practice(live.api, owner_org, published=True)
    asker, asker_token = await live.user(Role.MEMBER, asker_org, "Bu Sari")
    owner, owner_token = await live.user(Role.MEMBER, owner_org, "Pak Budi")
    return Town(practice["id"], asker, asker_token, owner, owner_token)


async def test_notification_added_tells_the_asker_of_an_answer_at_once(live: Live, town: Town) -> None:
    # given Bu Sari's question, and Bu Sari subscribed to her notifications
    thread_id = await _question(town.asker, town.practice_id)
    async with connected(live, {"authorization": f"Bearer {town.asker_token}"}) as ws:
        operation = await _subscribe(ws, NOTIFICATION_ADDED)
        await live.until(lambda: live.hub.subscription_count == 1)
        # when Pak Budi answers it
        await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Sekitar dua juta rupiah."})
        # then she is told, over the open connection
        message = await _receive(ws)
    assert message["id"] == operation
    assert message["type"] == "next"
    notification = message["payload"]["data"]["notificationAdded"]
    assert notification["reason"] == "ANSWER_TO_MY_QUESTION"
    assert notification["actorName"] == "Pak Budi"


async def test_notification_added_is_not_told_to_another_user(live: Live, town: Town) -> None:
    # given Pak Budi subscribed (the token as {"token": ...}) and Bu Sari's question
    async with connected(live, {"token": town.owner_token}) as ws:
        await _subscribe(ws, NOTIFICATION_ADDED)
        await live.until(lambda: live.hub.subscription_count == 1)
        thread_id = await _question(town.asker, town.practice_id)
        # when he answers it (Bu Sari is told), then she quotes his answer (he is told)
        answer = await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Sekitar dua juta rupiah."})
        await town.asker.mutate(
            REPLY, {"threadId": thread_id, "body": "Terima kasih!", "quotedReplyId": answer["reply"]["id"]}
        )
        # then he hears of the question and of her reply, and not of the answer she was told of
        # (it was written between the two: it would have come second)
        received = [(await _receive(ws))["payload"]["data"]["notificationAdded"] for _ in range(2)]
    assert [n["reason"] for n in received] == ["NEW_QUESTION_ON_MY_ITEM", "REPLY_TO_MY_POST"]
    asker = await live.stores.users.collection.find_one({"name": "Bu Sari"})
    assert asker is not None
    told = await live.stores.notifications.collection.distinct("reason", {"user_id": asker["_id"]})
    assert "ANSWER_TO_MY_QUESTION" in told


def _session_id(token: str) -> str:
    parsed = parse_token(token)
    assert parsed is not None
    return parsed.record_id


async def _spoil(live: Live, token: str, how: str) -> str:
    """``token`` made malformed, revoked or expired, as the server would find it."""
    sessions = live.stores.sessions
    if how == "malformed":
        return "nope"
    if how == "revoked":
        await sessions.revoke(_session_id(token))
    else:
        past = datetime.now(UTC) - timedelta(minutes=1)
        expired = {"$set": {"access_expires_at": past}}
        await sessions.collection.update_one({"_id": _session_id(token)}, expired)
    return token


@pytest.mark.parametrize("how", ["malformed", "revoked", "expired"])
async def test_an_invalid_token_closes_the_connection_with_4403(live: Live, town: Town, how: str) -> None:
    token = await _spoil(live, town.asker_token, how)
    async with connect(live.ws_url, subprotocols=SUBPROTOCOLS) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert await _close_code(ws) == 4403
    assert live.hub.connection_count == 0


@pytest.fixture
async def pinged(mongo: LocalService, meili: LocalService, stores: Stores) -> AsyncIterator[Live]:
    """An app that pings (and checks its connections' sign-in) every tenth of a second."""
    settings = settings_for(
        mongo, meili, stores.database.name, search_indexer=False, live_updates=True, live_ping_seconds=0.1
    )
    async with live_app(settings, stores) as app:
        yield app


async def test_signing_out_closes_an_open_live_connection_with_4403(pinged: Live) -> None:
    # given Bu Sari subscribed to her notifications
    organization = await create_organization(pinged.api, name="Pemerintah Kelurahan Keputih")
    asker, token = await pinged.user(Role.MEMBER, organization, "Bu Sari")
    async with connected(pinged, {"authorization": f"Bearer {token}"}) as ws:
        await _subscribe(ws, NOTIFICATION_ADDED)
        await pinged.until(lambda: pinged.hub.subscription_count == 1)
        # when she signs out (in another tab, over HTTP)
        assert (await asker.data(SIGN_OUT))["signOut"]["errors"] == []
        # then the open connection is closed as forbidden, and its subscription is gone
        assert await _close_code(ws) == 4403
    await pinged.until(lambda: pinged.hub.subscription_count == 0 and pinged.hub.connection_count == 0)


@pytest.mark.parametrize("how", ["revoked", "expired", "demoted", "removed"])
async def test_a_subscribe_after_the_sign_in_ended_closes_the_connection_with_4403(
    live: Live, town: Town, how: str
) -> None:
    # given Bu Sari connected, signed in
    async with connected(live, {"authorization": f"Bearer {town.asker_token}"}) as ws:
        # when her session ends, or her account changes, while the connection stays open
        if how == "demoted":
            await live.stores.users.collection.update_one(
                {"name": "Bu Sari"}, {"$set": {"role": Role.REVIEWER.value}}
            )
        elif how == "removed":
            await live.stores.users.collection.delete_one({"name": "Bu Sari"})
        else:
            await _spoil(live, town.asker_token, how)
        await _subscribe(ws, NOTIFICATION_ADDED)
        # then her next subscribe closes it as forbidden (the client signs in again)
        assert await _close_code(ws) == 4403
    assert live.hub.subscription_count == 0


async def test_a_query_over_the_websocket_is_refused_with_a_code(live: Live, town: Town) -> None:
    async with connected(live, {"authorization": f"Bearer {town.asker_token}"}) as ws:
        for query in ("{ viewer { id } }", "mutation { signOut { errors { code } } }"):
            operation = await _subscribe(ws, query)
            message = await _receive(ws)
            assert message["id"] == operation
            assert message["type"] == "error"
            assert message["payload"][0]["extensions"]["code"] == "QUERY_OVER_WEBSOCKET"
    # and the sign-out was not run: the token still works over HTTP
    assert (await town.asker.data("{ viewer { id } }"))["viewer"] is not None


async def test_notification_added_without_a_token_is_unauthenticated(live: Live) -> None:
    async with connected(live) as ws:
        operation = await _subscribe(ws, NOTIFICATION_ADDED)
        message = await _receive(ws)
    # then the protocol's `error` message: the operation never started
    assert message["id"] == operation
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_thread_updated_yields_new_replies_to_anyone_who_may_read_the_thread(
    live: Live, town: Town
) -> None:
    # given an anonymous subscriber of a public thread
    thread_id = await _question(town.asker, town.practice_id)
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        # when two replies are posted
        for body in ("Sekitar dua juta rupiah.", "Ditambah biaya pelatihan."):
            await town.owner.mutate(REPLY, {"threadId": thread_id, "body": body})
        received = [(await _receive(ws))["payload"]["data"]["threadUpdated"] for _ in range(2)]
    # then both arrive, in order, with their thread
    assert [reply["body"] for reply in received] == ["Sekitar dua juta rupiah.", "Ditambah biaya pelatihan."]
    assert {reply["thread"]["id"] for reply in received} == {thread_id}


async def test_thread_updated_of_an_unknown_thread_is_not_found(live: Live) -> None:
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": "VGhyZWFkOjY1ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZg"})
        message = await _receive(ws)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert live.hub.subscription_count == 0


async def test_a_stream_error_is_resumed_without_missing_a_reply(live: Live, town: Town) -> None:
    # given a subscriber of a thread, and the replies' change stream failing (closed under it)
    thread_id = await _question(town.asker, town.practice_id)
    watcher = live.feed.replies
    down, written = asyncio.Event(), asyncio.Event()

    async def hold_the_resume(step: str) -> None:
        down.set()
        await written.wait()

    watcher.fault = hold_the_resume
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        assert watcher.stream is not None
        await watcher.stream.close()
        async with asyncio.timeout(PATIENCE):
            await down.wait()
        # when three replies are posted while it is down, and it then resumes
        bodies = ["Jawaban pertama.", "Jawaban kedua.", "Jawaban ketiga."]
        for body in bodies:
            await town.owner.mutate(REPLY, {"threadId": thread_id, "body": body})
        written.set()
        received = [(await _receive(ws))["payload"]["data"]["threadUpdated"]["body"] for _ in bodies]
    # then every one of them arrives, in order, through the resumed stream
    assert received == bodies
    assert watcher.restarts == 1


async def test_a_user_past_the_connection_limit_has_her_oldest_connection_closed_with_4429(
    live: Live, town: Town
) -> None:
    # given Bu Sari with as many connections as allowed (3 in this app); the first may be a tab's
    # that vanished on a dropped network, still open as far as the server knows
    payload = {"authorization": f"Bearer {town.asker_token}"}
    async with contextlib.AsyncExitStack() as stack:
        oldest, *others = [await stack.enter_async_context(connected(live, payload)) for _ in range(3)]
        # when she opens one more
        newest = await stack.enter_async_context(connected(live, payload))
        # then the new one gets in (and works), and the oldest is closed with 4429 saying why
        assert await _close_code(oldest) == 4429
        assert "at most 3" in (oldest.close_reason or "")
        await _subscribe(newest, NOTIFICATION_ADDED)
        await live.until(lambda: live.hub.subscription_count == 1)
        assert all(ws.close_code is None for ws in others)
        await live.until(lambda: live.hub.connection_count == 3)
        # and another user is not affected by her limit
        async with connected(live, {"token": town.owner_token}):
            assert live.hub.connection_count == 4
    # and once they are all closed, none is counted
    await live.until(lambda: live.hub.connection_count == 0)


async def test_a_subscription_past_the_limit_of_a_connection_is_refused(live: Live, town: Town) -> None:
    thread_id = await _question(town.asker, town.practice_id)
    async with connected(live) as ws:
        # given as many subscriptions as one connection may hold (2 in this app)
        for _ in range(2):
            await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 2)
        # when a third is asked for, then it gets an error saying why, and the two remain
        third = await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        message = await _receive(ws)
        assert message["id"] == third
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert live.hub.subscription_count == 2
    # and closing the connection ends its subscriptions
    await live.until(lambda: live.hub.subscription_count == 0)


async def test_completing_a_subscription_removes_its_subscriber(live: Live, town: Town) -> None:
    thread_id = await _question(town.asker, town.practice_id)
    async with connected(live) as ws:
        operation = await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        await ws.send(json.dumps({"id": operation, "type": "complete"}))
        await live.until(lambda: live.hub.subscription_count == 0)
        assert live.hub.connection_count == 1


async def test_the_server_pings_an_idle_connection(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    settings = settings_for(
        mongo, meili, stores.database.name, search_indexer=False, live_updates=True, live_ping_seconds=0.1
    )
    async with live_app(settings, stores) as app, connected(app) as ws:
        async with asyncio.timeout(PATIENCE):
            message = json.loads(await ws.recv())
    assert message == {"type": "ping"}


async def run_node_client(options: dict[str, Any]) -> dict[str, Any]:
    """tests/js/live.mjs (graphql-ws's createClient over ws) with ``options``; its JSON report."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_CLIENT),
        json.dumps(options),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    report: dict[str, Any] = json.loads(stdout or b"{}")
    assert process.returncode == 0, (report, stderr.decode())
    return report


async def test_a_reply_posted_through_instance_a_reaches_a_subscriber_on_instance_b(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given two instances on one database, and a question on a published practice
    settings = settings_for(mongo, meili, stores.database.name, search_indexer=False, live_updates=True)
    async with live_app(settings, stores) as a, live_app(settings, stores) as b:
        owner_org = await create_organization(a.api, name="Pemerintah Kelurahan Depok Jaya")
        practice = await create_practice(a.api, owner_org, published=True)
        asker, _ = await a.user(Role.MEMBER, owner_org, "Bu Sari")
        _, token = await a.user(Role.MEMBER, owner_org, "Pak Budi")
        thread_id = await _question(asker, practice["id"])
        # when a Node client subscribes on B and posts a reply through A
        report = await run_node_client({"a": a.url, "b": b.url, "token": token, "threadId": thread_id})
    # then it received the reply (it exits 0 only then), once, and says how long it took
    assert len(report["latenciesMs"]) == 1
    print(json.dumps({"deliveryLatencyMs": report["latenciesMs"][0]}))


async def _open_and_subscribe(live: Live, thread_id: str) -> ClientConnection:
    # No client-side keepalive: its tasks would be counted with the server's.
    ws = await connect(live.ws_url, subprotocols=SUBPROTOCOLS, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert (await _receive(ws))["type"] == "connection_ack"
    await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
    return ws


async def _open_many(live: Live, thread_id: str, connections: int) -> list[ClientConnection]:
    opened: list[ClientConnection] = []
    for start in range(0, connections, 50):
        batch = min(50, connections - start)
        opened += await asyncio.gather(*(_open_and_subscribe(live, thread_id) for _ in range(batch)))
    await live.until(lambda: live.hub.subscription_count == connections)
    return opened


async def _drop(live: Live, opened: list[ClientConnection]) -> None:
    """Close half the connections, and drop the others abruptly (a client that vanished)."""
    for number, ws in enumerate(opened):
        if number % 2:
            ws.transport.abort()
        else:
            await ws.close()
    opened.clear()
    await live.until(lambda: live.hub.connection_count == 0 and live.hub.subscription_count == 0)


def _settle() -> tuple[int, int]:
    gc.collect()
    return len(asyncio.all_tasks()), tracemalloc.get_traced_memory()[0]


async def _settled_within(live: Live, tasks: int) -> tuple[int, int]:
    """``_settle`` once at most ``tasks`` remain (the handlers' last callbacks), or when patience ends."""
    with contextlib.suppress(AssertionError):
        await live.until(lambda: len(asyncio.all_tasks()) <= tasks)
    return _settle()


async def test_500_connections_opened_and_dropped_leave_no_task_or_memory_behind(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_indexer=False,
        live_updates=True,
        live_max_connections_per_user=1000,
    )
    async with live_app(settings, stores) as live:
        owner_org = await create_organization(live.api, name="Pemerintah Kelurahan Depok Jaya")
        practice = await create_practice(live.api, owner_org, published=True)
        asker, _ = await live.user(Role.MEMBER, owner_org, "Bu Sari")
        thread_id = await _question(asker, practice["id"])
        # warm-up, as many at once as below: caches and pymongo's pool grow to their size
        idle = len(asyncio.all_tasks())
        await _drop(live, await _open_many(live, thread_id, 50))
        await _settled_within(live, idle)
        tracemalloc.start()
        try:
            # given the server at rest
            tasks_before, memory_before = _settle()
            # when 500 subscribed connections come and go
            opened = await _open_many(live, thread_id, 500)
            tasks_busy, memory_busy = _settle()
            await _drop(live, opened)
            tasks_after, memory_after = await _settled_within(live, tasks_before + 2)
        finally:
            tracemalloc.stop()
    # then the tasks and the memory they took are back to where they were
    # (each connection's handler, ping and subscription: the client runs none of its own)
    assert tasks_busy >= tasks_before + 2 * 500
    assert tasks_after <= tasks_before + 2
    assert memory_after - memory_before < 0.1 * (memory_busy - memory_before)
    print(
        json.dumps(
            {
                "tasks": [tasks_before, tasks_busy, tasks_after],
                "memory": [memory_before, memory_busy, memory_after],
            }
        )
    )


async def test_a_subscriber_too_slow_for_its_queue_is_dropped_and_the_others_go_on() -> None:
    # given two subscribers of a thread with room for two events each
    hub = LiveHub(queue_size=2)
    topic = ("thread", "t1")
    with hub.subscribed(topic) as slow, hub.subscribed(topic) as quick:
        # when three events come while the slow one reads none (the quick one reads each)
        received = []
        for number in range(3):
            hub.publish(topic, {"n": number})
            received.append((await anext(aiter(quick.events()))).document)
        # then the slow one is told it missed events, and the quick one got all three
        with pytest.raises(SubscriptionEnded) as ended:
            async for _ in slow.events():
                pass
        assert ended.value.code == "LIVE_TOO_SLOW"
        assert received == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert hub.subscription_count == 1
    assert hub.subscription_count == 0


async def test_thread_updated_of_a_hidden_thread_is_not_found_but_its_author_may_watch(
    live: Live, town: Town
) -> None:
    # given Bu Sari's question, hidden by a moderator
    asked = await town.asker.mutate(
        START, {"subjectId": town.practice_id, "kind": "QUESTION", "title": "Iklan?", "body": "Beli di sini."}
    )
    thread = asked["thread"]
    hidden = await live.api.mutate(
        HIDE, {"id": thread["id"], "version": thread["version"], "reason": "Iklan, bukan pertanyaan."}
    )
    assert hidden["errors"] == []
    # when an anonymous visitor and then its author subscribe to it
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread["id"]})
        refused = await _receive(ws)
    async with connected(live, {"token": town.asker_token}) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread["id"]})
        await live.until(lambda: live.hub.subscription_count == 1)
    # then the visitor is told there is no such thread, and the author is subscribed
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_notification_written_by_the_notifier_of_instance_a_reaches_a_subscriber_on_b(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given instance A running the notifier and instance B without one, on one database
    settings = settings_for(mongo, meili, stores.database.name, search_indexer=False, live_updates=True)
    without_notifier = settings.model_copy(update={"notifier": False})
    async with live_app(settings, stores) as a, live_app(without_notifier, stores) as b:
        owner_org = await create_organization(a.api, name="Pemerintah Kelurahan Depok Jaya")
        asker_org = await create_organization(a.api, name="Pemerintah Kelurahan Keputih")
        practice = await create_practice(a.api, owner_org, published=True)
        asker, asker_token = await b.user(Role.MEMBER, asker_org, "Bu Sari")
        owner, _ = await b.user(Role.MEMBER, owner_org, "Pak Budi")
        thread_id = await _question(asker, practice["id"])
        # when Bu Sari, connected to B, is answered through B (whose write wakes A's notifier)
        async with connected(b, {"authorization": f"Bearer {asker_token}"}) as ws:
            await _subscribe(ws, NOTIFICATION_ADDED)
            await b.until(lambda: b.hub.subscription_count == 1)
            await owner.mutate(REPLY, {"threadId": thread_id, "body": "Sekitar dua juta rupiah."})
            message = await _receive(ws)
    # then the notification A wrote reaches her on B
    assert message["payload"]["data"]["notificationAdded"]["reason"] == "ANSWER_TO_MY_QUESTION"
    assert b.state["notifier"] is None


async def test_a_browser_page_of_another_origin_may_connect_only_when_listed(live: Live) -> None:
    # given an app that lists https://hub.example.org in LUMBUNG_CORS_ORIGINS
    # when a page of that origin and a page of another connect, then only the first gets in
    async with connect(live.ws_url, subprotocols=SUBPROTOCOLS, origin=Origin("https://hub.example.org")):
        pass
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            live.ws_url, subprotocols=SUBPROTOCOLS, origin=Origin("https://elsewhere.example")
        ):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("accept", ["application/json", "multipart/mixed", "text/event-stream"])
async def test_a_subscription_over_http_is_refused_with_a_code(live: Live, accept: str) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        body = {"query": THREAD_UPDATED, "variables": {"id": "x"}}
        response = await http.post("/graphql", json=body, headers={"accept": accept})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"


async def test_a_stream_that_cannot_resume_ends_every_subscription_with_live_resync(
    live: Live, town: Town
) -> None:
    # given a subscriber of a thread, and the replies' stream failing with a token the server
    # cannot resume from (as one older than the oplog window is)
    thread_id = await _question(town.asker, town.practice_id)
    watcher = live.feed.replies
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        spoiled: list[str] = []

        async def spoil_the_token(step: str) -> None:
            if not spoiled:  # once: the next reopen, from now, goes through
                spoiled.append(step)
                watcher.resume_token = {"_data": "00"}

        watcher.fault = spoil_the_token
        assert watcher.stream is not None
        await watcher.stream.close()
        # then the subscription ends with LIVE_RESYNC (the client must refetch)
        message = await _receive(ws)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "LIVE_RESYNC"
        # and the watcher goes on from now: a new subscription gets the next reply
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        await live.until(lambda: watcher.stream is not None)
        await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Setelah pemulihan."})
        while (message := await _receive(ws))["type"] != "next":
            pass
    assert message["payload"]["data"]["threadUpdated"]["body"] == "Setelah pemulihan."


async def test_a_thread_whose_item_is_archived_while_watched_ends_its_subscription_with_not_found(
    live: Live, town: Town
) -> None:
    # given an anonymous visitor watching a question on a published practice
    owner_org = await create_organization(live.api, name="Pemerintah Kelurahan Menteng")
    practice = await create_practice(live.api, owner_org, published=True)
    thread_id = await _question(town.asker, practice["id"])
    async with connected(live) as ws:
        operation = await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        # when the practice is archived (no longer public), and a reviewer, who may still read it,
        # replies in the thread
        archived = await live.api.mutate(ARCHIVE, {"id": practice["id"], "version": practice["version"]})
        assert archived["errors"] == []
        replied = await live.api.mutate(REPLY, {"threadId": thread_id, "body": "Diarsipkan."})
        assert replied["errors"] == []
        # then the visitor is told the thread is gone, not the reply, and the subscription ends
        message = await _receive(ws)
        assert message["id"] == operation
        assert message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await _receive(ws)) == {"id": operation, "type": "complete"}
    assert live.hub.subscription_count == 0


async def test_one_reply_is_read_once_for_all_the_visitors_watching_its_thread(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given an app without a notifier (nothing else reads threads), every load of a thread counted
    settings = settings_for(
        mongo, meili, stores.database.name, search_indexer=False, live_updates=True, notifier=False
    )
    async with live_app(settings, stores) as live, contextlib.AsyncExitStack() as stack:
        owner_org = await create_organization(live.api, name="Pemerintah Kelurahan Depok Jaya")
        practice = await create_practice(live.api, owner_org, published=True)
        asker, _ = await live.user(Role.MEMBER, owner_org, "Bu Sari")
        thread_id = await _question(asker, practice["id"])
        threads = live.state["stores"].discussions.threads
        loads: list[list[str]] = []
        get_many = threads.get_many

        async def counted(ids: Any) -> Any:
            loads.append(list(ids))
            return await get_many(ids)

        threads.get_many = counted
        sockets: list[ClientConnection] = []

        async def reply_seen_by(watchers: int) -> int:
            """The thread's loads while a reply is posted and ``watchers`` visitors receive it."""
            while len(sockets) < watchers:
                sockets.append(await stack.enter_async_context(connected(live)))
                await _subscribe(sockets[-1], THREAD_UPDATED, {"id": thread_id})
            await live.until(lambda: live.hub.subscription_count == watchers)
            loads.clear()
            await asker.mutate(REPLY, {"threadId": thread_id, "body": "Sekitar dua juta rupiah."})
            for ws in sockets:
                assert (await _receive(ws))["payload"]["data"]["threadUpdated"]["id"]
            return len(loads)

        # when a reply is seen by one visitor, then one by three
        with_one, with_three = await reply_seen_by(1), await reply_seen_by(3)
        del threads.get_many
    # then the three cost the thread's loads of the one: loaded once per event, not per visitor
    assert with_three == with_one


async def _metric(live: Live, name: str) -> float:
    async with httpx.AsyncClient(base_url=live.url) as http:
        text = (await http.get("/metrics")).text
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


async def test_a_change_that_cannot_be_handed_on_is_skipped_and_the_next_one_arrives(
    live: Live, town: Town
) -> None:
    # given a subscriber of a thread, and the replies' watcher failing on the next change (a bug)
    thread_id = await _question(town.asker, town.practice_id)
    watcher = live.feed.replies
    hand_on = watcher.on_change
    failures: list[str] = []

    def fails_once(change: Any) -> None:
        if not failures:
            failures.append(change["fullDocument"]["body"])
            raise RuntimeError("a bug in a callback")
        hand_on(change)

    watcher.on_change = fails_once
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        # when two replies are posted
        for body in ("Yang gagal.", "Yang berikutnya."):
            await town.owner.mutate(REPLY, {"threadId": thread_id, "body": body})
        message = await _receive(ws)
    # then the first is lost to the bug, and the second still arrives: the watcher lives on
    assert failures == ["Yang gagal."]
    assert message["payload"]["data"]["threadUpdated"]["body"] == "Yang berikutnya."
    assert watcher.failed_changes == 1


@pytest.mark.parametrize("fault", ["error", "cancelled"])
async def test_a_watcher_that_fails_unexpectedly_resumes_and_is_counted(
    live: Live, town: Town, fault: str
) -> None:
    # given a subscriber of a thread, and the replies' watcher failing with an unexpected error
    # while it resumes, or its task cancelled from outside
    thread_id = await _question(town.asker, town.practice_id)
    feed, watcher = live.feed, live.feed.replies
    before = await _metric(live, "lumbung_live_watcher_restarts")
    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: live.hub.subscription_count == 1)
        if fault == "error":
            raised: list[str] = []

            async def fails_once(step: str) -> None:
                if not raised:
                    raised.append(step)
                    raise RuntimeError("a bug while resuming")

            watcher.fault = fails_once
            assert watcher.stream is not None
            await watcher.stream.close()
            await live.until(lambda: bool(raised))
        else:
            feed.tasks[feed.watchers.index(watcher)].cancel()
        await live.until(lambda: watcher.stream is not None and watcher.stream.alive)
        # when a reply is posted
        await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Masih hidup."})
        message = await _receive(ws)
    # then it arrives, and /metrics counts the restart
    assert message["payload"]["data"]["threadUpdated"]["body"] == "Masih hidup."
    assert await _metric(live, "lumbung_live_watcher_restarts") > before


@pytest.mark.parametrize("lost", ["history_lost", "no_token"])
async def test_a_watcher_that_lost_its_place_tells_live_resync_once_its_new_stream_is_open(
    live: Live, town: Town, lost: str
) -> None:
    # given a subscriber of a thread, and the replies' stream failing: its token older than the
    # oplog (ChangeStreamHistoryLost, injected), or no token to resume from at all
    thread_id = await _question(town.asker, town.practice_id)
    watcher, hub = live.feed.replies, live.hub
    dropped_before = hub.dropped
    told_before_reopening: list[bool] = []

    async def history_lost_once(step: str) -> None:
        first = not told_before_reopening
        told_before_reopening.append(hub.dropped > dropped_before)
        if first and lost == "history_lost":
            raise OperationFailure("Resume of change stream was not possible", code=286)
        if first:
            watcher.resume_token = None

    async with connected(live) as ws:
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: hub.subscription_count == 1)
        watcher.fault = history_lost_once
        assert watcher.stream is not None
        await watcher.stream.close()
        # when it resumes, then the subscription ends with LIVE_RESYNC
        message = await _receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "LIVE_RESYNC"
        # and a client that subscribes again at once gets the next reply: the new stream was
        # open before anyone was told to refetch
        await _subscribe(ws, THREAD_UPDATED, {"id": thread_id})
        await live.until(lambda: hub.subscription_count == 1)
        await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Setelah pemulihan."})
        while (message := await _receive(ws))["type"] != "next":
            pass
    assert message["payload"]["data"]["threadUpdated"]["body"] == "Setelah pemulihan."
    assert not any(told_before_reopening)


async def test_a_database_outage_at_connection_init_closes_with_try_again_later(
    live: Live, town: Town
) -> None:
    # given the database failing the next sign-in lookup (injected)
    sessions = live.state["stores"].sessions
    signed_in = sessions.signed_in

    async def unavailable_once(session_id: str) -> Any:
        del sessions.signed_in
        raise StorageUnavailable("the database is down")

    sessions.signed_in = unavailable_once
    # when Bu Sari connects, then she is closed with 1013 (graphql-ws retries it; 1011 it does not)
    async with connect(live.ws_url, subprotocols=SUBPROTOCOLS) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {town.asker_token}"}}
        await ws.send(json.dumps(init))
        assert await _close_code(ws) == 1013
    # and the next attempt, the database back, gets in
    async with connected(live, {"authorization": f"Bearer {town.asker_token}"}):
        assert live.hub.connection_count == 1
    assert sessions.signed_in == signed_in


async def test_a_client_that_vanished_is_found_by_the_websocket_pings_and_uncounted(
    mongo: LocalService, meili: LocalService, stores: Stores
) -> None:
    # given an app with WebSocket-level pings every 0.2 s, and a subscribed connection
    settings = settings_for(
        mongo,
        meili,
        stores.database.name,
        search_indexer=False,
        live_updates=True,
        live_ws_ping_seconds=0.2,
        live_ws_ping_timeout_seconds=0.2,
    )
    async with live_app(settings, stores) as app:
        owner_org = await create_organization(app.api, name="Pemerintah Kelurahan Depok Jaya")
        practice = await create_practice(app.api, owner_org, published=True)
        asker, _ = await app.user(Role.MEMBER, owner_org, "Bu Sari")
        thread_id = await _question(asker, practice["id"])
        ws = await _open_and_subscribe(app, thread_id)
        await app.until(lambda: app.hub.subscription_count == 1)
        # when its client vanishes without a word (it reads nothing more, so answers no ping)
        ws.transport.pause_reading()
        # then the server finds out, closes it, and counts it no more
        await app.until(lambda: app.hub.connection_count == 0 and app.hub.subscription_count == 0)
        ws.transport.abort()
