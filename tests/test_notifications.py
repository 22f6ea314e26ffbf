"""Notifications: who is told of what, exactly once, visible only to the recipient."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from resolvers.notifier import Notifier
from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores
from storage.vocabulary import Role
from tests.support import (
    PUBLISH,
    SUBMIT,
    GraphQLClient,
    create_organization,
    create_practice,
    user_with_token,
)
from tests.test_discussions import ACCEPT, REPLY, START, _local
from tests.test_events import CANCEL, CANCEL_REGISTRATION, REGISTER, event_input
from tests.test_events import CREATE as CREATE_EVENT
from tests.test_events import PUBLISH as PUBLISH_EVENT
from tests.test_follows import FOLLOW

NOTIFICATIONS = """
query($unreadOnly: Boolean! = false) {
  viewer {
    notifications(unreadOnly: $unreadOnly) {
      totalCount unreadCount
      nodes { id reason read summary actorName actor { name } subject { __typename id } }
    }
  }
}
"""
MARK = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { marked unreadCount errors { field code } }
}
"""
SETTINGS = """
mutation($input: NotificationSettingsInput!) {
  updateNotificationSettings(input: $input) { settings { mutedReasons digest language } errors { code } }
}
"""
REQUEST_CHANGES = """
mutation($input: RequestChangesInput!) {
  requestChanges(input: $input) { content { version } errors { code } }
}
"""


@dataclass
class Town:
    api: GraphQLClient
    stores: Stores
    owner_org: str
    asker: GraphQLClient
    owner: GraphQLClient
    colleague: GraphQLClient
    follower: GraphQLClient
    notifier: Notifier

    async def deliver(self) -> None:
        while await self.notifier.run_once():
            pass

    async def published_practice(self, organization: str | None = None) -> dict[str, Any]:
        """A published practice, with the review steps it took already told (and forgotten)."""
        practice = await create_practice(self.api, organization or self.owner_org, published=True)
        await self.deliver()
        await self.stores.notifications.collection.delete_many({})
        return practice


async def _user(
    api: GraphQLClient, stores: Stores, role: Role, organization: str, name: str
) -> GraphQLClient:
    _, token = await user_with_token(stores, role=role, organization_id=_local(organization), name=name)
    return api.as_user(token)


@pytest.fixture
async def town(api: GraphQLClient, stores: Stores) -> Town:
    owner_org = await create_organization(api, name="Pemerintah Kelurahan Depok Jaya")
    asker_org = await create_organization(api, name="Pemerintah Kelurahan Keputih")
    ngo = await create_organization(api, name="Yayasan Lestari", kind="NGO")
    return Town(
        api=api,
        stores=stores,
        owner_org=owner_org,
        asker=await _user(api, stores, Role.MEMBER, asker_org, "Bu Sari"),
        owner=await _user(api, stores, Role.MEMBER, owner_org, "Pak Budi"),
        colleague=await _user(api, stores, Role.ADMIN, owner_org, "Bu Rina"),
        follower=await _user(api, stores, Role.PARTNER, ngo, "Mas Yoga"),
        notifier=Notifier(stores=stores, owner="test"),
    )


async def _notifications(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.data(NOTIFICATIONS, variables)
    found: dict[str, Any] = data["viewer"]["notifications"]
    return found


def _reasons(found: dict[str, Any]) -> list[str]:
    return [node["reason"] for node in found["nodes"]]


async def _question(town: Town, practice_id: str) -> str:
    asked = await town.asker.mutate(
        START,
        {
            "subjectId": practice_id,
            "kind": "QUESTION",
            "title": "Berapa biayanya?",
            "body": "Mohon rinciannya.",
        },
    )
    assert asked["errors"] == []
    thread_id: str = asked["thread"]["id"]
    return thread_id


async def test_question_answer_and_acceptance_tell_the_right_people(town: Town) -> None:
    # given a question on Depok Jaya's practice, answered by Depok Jaya and accepted by the asker
    practice = await town.published_practice()
    thread_id = await _question(town, practice["id"])
    reply = await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Sekitar dua juta rupiah."})
    await town.asker.mutate(ACCEPT, {"replyId": reply["reply"]["id"]})
    # when the notifier delivers
    await town.deliver()
    # then the item's organization heard of the question (not the one who answered: it was told
    # too, being of the organization), the asker of the answer, the answerer of its acceptance
    asker, owner, colleague_seen = [await _notifications(c) for c in (town.asker, town.owner, town.colleague)]
    assert _reasons(asker) == ["ANSWER_TO_MY_QUESTION"]
    assert sorted(_reasons(owner)) == ["ANSWER_ACCEPTED", "NEW_QUESTION_ON_MY_ITEM"]
    assert _reasons(colleague_seen) == ["NEW_QUESTION_ON_MY_ITEM"]
    node = colleague_seen["nodes"][0]
    assert node["actorName"] == "Bu Sari"
    assert node["subject"] == {"__typename": "Thread", "id": thread_id}
    assert colleague_seen["unreadCount"] == 1


async def test_nobody_is_told_of_their_own_doing(town: Town) -> None:
    practice = await town.published_practice()
    await town.owner.mutate(
        START, {"subjectId": practice["id"], "kind": "COMMENT", "body": "Catatan dari kami sendiri."}
    )
    await town.deliver()
    assert (await _notifications(town.owner))["totalCount"] == 0
    assert _reasons(await _notifications(town.colleague)) == ["NEW_COMMENT_ON_MY_ITEM"]


async def test_reply_in_a_followed_thread(town: Town) -> None:
    practice = await town.published_practice()
    thread_id = await _question(town, practice["id"])
    await town.follower.mutate(FOLLOW, {"target": {"id": thread_id}})
    await town.owner.mutate(REPLY, {"threadId": thread_id, "body": "Jawaban untuk semua."})
    await town.deliver()
    assert _reasons(await _notifications(town.follower)) == ["REPLY_IN_FOLLOWED_THREAD"]


async def test_a_reply_by_the_threads_own_author_tells_its_followers(town: Town) -> None:
    # given a question followed by someone, and nobody else to tell of a reply by its asker
    practice = await town.published_practice()
    thread_id = await _question(town, practice["id"])
    await town.follower.mutate(FOLLOW, {"target": {"id": thread_id}})
    # when the asker adds to the question
    await town.asker.mutate(REPLY, {"threadId": thread_id, "body": "Tambahan: untuk 12 RW."})
    await town.deliver()
    # then the follower is told, and the asker is not
    assert _reasons(await _notifications(town.follower)) == ["REPLY_IN_FOLLOWED_THREAD"]
    assert (await _notifications(town.asker))["totalCount"] == 0


async def test_publishing_tells_followers_of_a_province_and_the_owners(town: Town) -> None:
    # given a follower of Jawa Barat and a draft in a kelurahan of Depok (32.76...)
    await town.follower.mutate(FOLLOW, {"target": {"regionCode": "32"}})
    draft = await create_practice(town.api, town.owner_org)
    # when it is submitted, sent back with a comment, submitted and published
    submitted = await town.api.mutate(SUBMIT, {"id": draft["id"], "version": draft["version"]})
    back = await town.api.mutate(
        REQUEST_CHANGES,
        {"id": draft["id"], "version": submitted["content"]["version"], "comment": "Lengkapi data."},
    )
    again = await town.api.mutate(SUBMIT, {"id": draft["id"], "version": back["content"]["version"]})
    await town.api.mutate(PUBLISH, {"id": draft["id"], "version": again["content"]["version"]})
    await town.deliver()
    # then the follower hears of the new practice once, its organization of each review step
    follower = await _notifications(town.follower)
    assert _reasons(follower) == ["NEW_ITEM_FOLLOWED"]
    assert follower["nodes"][0]["subject"] == {"__typename": "Practice", "id": draft["id"]}
    owner = await _notifications(town.owner)
    assert _reasons(owner) == ["REVIEW_STEP"] * 4
    assert "Lengkapi data." in [node["summary"] for node in owner["nodes"]]


async def test_mention_tells_the_organization(town: Town) -> None:
    practice = await town.published_practice()
    other = await create_practice(
        town.api, await create_organization(town.api, name="Kelurahan Lain"), published=True
    )
    await town.asker.mutate(
        START,
        {
            "subjectId": other["id"],
            "kind": "COMMENT",
            "body": "@[Pemerintah Kelurahan Depok Jaya] punya pengalaman?",
        },
    )
    await town.deliver()
    assert _reasons(await _notifications(town.owner)) == ["ORGANIZATION_MENTIONED"]
    del practice


async def test_waitlist_and_cancellation_told_to_registrants(town: Town) -> None:
    ngo = await create_organization(town.api, name="Yayasan Pelatihan", kind="NGO")
    created = await town.api.mutate(CREATE_EVENT, event_input(ngo, capacity=1))
    event = created["event"]
    published = await town.api.mutate(PUBLISH_EVENT, {"id": event["id"], "version": event["version"]})
    await town.owner.mutate(REGISTER, {"eventId": event["id"]})
    await town.asker.mutate(REGISTER, {"eventId": event["id"]})  # waits
    await town.owner.mutate(CANCEL_REGISTRATION, {"eventId": event["id"]})
    await town.api.mutate(
        CANCEL, {"id": event["id"], "version": published["event"]["version"], "reason": "Hujan badai."}
    )
    await town.deliver()
    assert _reasons(await _notifications(town.asker)) == ["EVENT_CANCELLED", "WAITLIST_PROMOTED"]


async def test_muted_reason_is_not_delivered(town: Town) -> None:
    muted = await town.colleague.mutate(
        SETTINGS, {"mutedReasons": ["NEW_QUESTION_ON_MY_ITEM"], "digest": "DAILY"}
    )
    assert muted["settings"] == {
        "mutedReasons": ["NEW_QUESTION_ON_MY_ITEM"],
        "digest": "DAILY",
        "language": "ID",
    }
    practice = await town.published_practice()
    await _question(town, practice["id"])
    await town.deliver()
    assert (await _notifications(town.colleague))["totalCount"] == 0
    assert _reasons(await _notifications(town.owner)) == ["NEW_QUESTION_ON_MY_ITEM"]


async def test_notifications_are_only_their_recipients(town: Town) -> None:
    # given a notification of the owner
    practice = await town.published_practice()
    await _question(town, practice["id"])
    await town.deliver()
    (mine,) = (await _notifications(town.owner))["nodes"]
    # when someone else reads it by ID or marks it read
    read = await town.asker.data("query($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]})
    marked = await town.asker.mutate(MARK, {"ids": [mine["id"]]})
    anonymous = await town.api.as_user(None).mutate(MARK, {"all": True})
    # then it does not exist for them, and stays unread
    assert read["node"] is None
    assert marked["marked"] == 0
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    own = await town.owner.data("query($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]})
    assert own["node"] == {"id": mine["id"]}
    assert (await _notifications(town.owner))["unreadCount"] == 1


async def test_mark_one_then_all_read(town: Town) -> None:
    practice = await town.published_practice()
    for _ in range(3):
        await _question(town, practice["id"])
    await town.deliver()
    first, *_ = (await _notifications(town.owner))["nodes"]
    one = await town.owner.mutate(MARK, {"ids": [first["id"]]})
    assert (one["marked"], one["unreadCount"]) == (1, 2)
    unread = await _notifications(town.owner, unreadOnly=True)
    assert unread["totalCount"] == 2
    rest = await town.owner.mutate(MARK, {"all": True})
    assert (rest["marked"], rest["unreadCount"]) == (2, 0)
    neither = await town.owner.mutate(MARK, {})
    assert [e["code"] for e in neither["errors"]] == ["INVALID"]


async def test_crash_after_delivery_tells_nobody_twice(town: Town, stores: Stores) -> None:
    # given a notifier that dies after inserting notifications, before marking the activity
    async def crash(step: str) -> None:
        raise RuntimeError(f"killed at {step}")

    practice = await town.published_practice()
    await _question(town, practice["id"])
    await town.notifier.lease.release()
    with pytest.raises(RuntimeError):
        await Notifier(stores=stores, owner="doomed", fault=crash).run_once()
    await stores.database["leases"].delete_many({})  # the dead one's lease is gone
    # when another delivers again
    await town.deliver()
    # then each recipient has the notification once, and the activity is delivered
    assert (await _notifications(town.owner))["totalCount"] == 1
    assert await stores.database[ACTIVITY_OUTBOX].count_documents({"delivered_at": None}) == 0


async def test_racing_notifiers_tell_nobody_twice(town: Town, stores: Stores) -> None:
    practice = await town.published_practice()
    for _ in range(5):
        await _question(town, practice["id"])
    racers = [Notifier(stores=stores, owner=f"racer-{n}") for n in range(3)]
    # each takes the lease in turn if it can; even the ones that find it taken run their rounds
    await asyncio.gather(*(racer.run_once() for racer in racers), town.deliver())
    await town.deliver()
    found = await _notifications(town.owner)
    assert found["totalCount"] == 5
    assert len({node["id"] for node in found["nodes"]}) == 5
