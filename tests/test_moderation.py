"""Moderation: reports, the reviewers' queue, hiding and restoring posts with placeholders."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from storage.database import Stores
from storage.vocabulary import Role
from tests.support import GraphQLClient, create_organization, create_practice, user_with_token
from tests.test_discussions import REPLY, START, THREAD, _client, _local

REPORT = """
mutation($input: ReportPostInput!) {
  reportPost(input: $input) { report { id reason status post { id } } errors { field code message } }
}
"""
HIDE = """
mutation($input: ModeratePostInput!) {
  hidePost(input: $input) { thread { id version state body moderation { reason } } reply { id state }
                            errors { field code message } }
}
"""
RESTORE = """
mutation($input: ModeratePostInput!) {
  restorePost(input: $input) { thread { id state body } errors { field code message } }
}
"""
DISMISS = """
mutation($input: DismissReportsInput!) {
  dismissReports(input: $input) { thread { id state } errors { field code message } }
}
"""
QUEUE = """
{ moderationQueue { totalCount nodes { reason text status reporterName post { id state body } } } }
"""
POST_VIEW = """
query($id: ID!) { thread(id: $id) { state body moderation { reason hiddenByName } openReportCount } }
"""


@dataclass
class Cast:
    """A reported comment's author, a reporter, a colleague of the author, a reviewer, the public."""

    thread_id: str
    clients: dict[str, GraphQLClient]

    def __getitem__(self, name: str) -> GraphQLClient:
        return self.clients[name]


@pytest.fixture
async def cast(api: GraphQLClient, stores: Stores) -> Cast:
    owner_org = await create_organization(api, name="Pemerintah Kelurahan Depok Jaya")
    other_org = await create_organization(api, name="Yayasan Lestari", kind="NGO")
    practice = await create_practice(api, owner_org, published=True)
    association = await create_organization(api, name="Asosiasi Uji", kind="ASSOCIATION")
    _, reviewer_token = await user_with_token(stores, role=Role.REVIEWER, organization_id=_local(association))
    author = await _client(api, stores, Role.MEMBER, owner_org)
    posted = await author.mutate(
        START,
        {"subjectId": practice["id"], "kind": "COMMENT", "body": "Beli timbangan di toko saya, diskon 50%!"},
    )
    assert posted["errors"] == []
    clients = {
        "author": author,
        "reporter": await _client(api, stores, Role.PARTNER, other_org),
        "bystander": await _client(api, stores, Role.MEMBER, owner_org),
        "reviewer": api.as_user(reviewer_token),
        "anonymous": api.as_user(None),
    }
    return Cast(thread_id=posted["thread"]["id"], clients=clients)


def _thread(cast: Cast) -> str:
    return cast.thread_id


async def test_report_reaches_queue_and_hiding_closes_it(cast: Cast) -> None:
    # given a reported post
    reported = await cast["reporter"].mutate(
        REPORT, {"id": _thread(cast), "reason": "SPAM", "text": "Iklan toko."}
    )
    assert reported["errors"] == []
    queue = await cast["reviewer"].data(QUEUE)
    assert queue["moderationQueue"]["totalCount"] == 1
    assert queue["moderationQueue"]["nodes"][0]["post"]["id"] == _thread(cast)
    # when a reviewer hides it with a reason
    hidden = await cast["reviewer"].mutate(
        HIDE, {"id": _thread(cast), "version": 1, "reason": "Iklan, bukan diskusi."}
    )
    # then the report leaves the queue, and everyone but the author and moderators sees a placeholder
    assert hidden["errors"] == []
    assert (await cast["reviewer"].data(QUEUE))["moderationQueue"]["totalCount"] == 0
    public = await cast["anonymous"].data(POST_VIEW, {"id": _thread(cast)})
    colleague = await cast["bystander"].data(POST_VIEW, {"id": _thread(cast)})
    own = await cast["author"].data(POST_VIEW, {"id": _thread(cast)})
    assert public["thread"] == {"state": "HIDDEN", "body": None, "moderation": None, "openReportCount": None}
    assert colleague["thread"]["body"] is None
    assert own["thread"]["body"].startswith("Beli timbangan")
    assert own["thread"]["moderation"]["reason"] == "Iklan, bukan diskusi."


async def test_hidden_thread_takes_no_replies_and_author_cannot_edit(cast: Cast) -> None:
    await cast["reviewer"].mutate(HIDE, {"id": _thread(cast), "version": 1, "reason": "Iklan."})
    reply = await cast["bystander"].mutate(REPLY, {"threadId": _thread(cast), "body": "Masih bisa?"})
    assert [e["code"] for e in reply["errors"]] == ["INVALID_TRANSITION"]


async def test_restore_shows_post_again(cast: Cast) -> None:
    hidden = await cast["reviewer"].mutate(HIDE, {"id": _thread(cast), "version": 1, "reason": "Iklan."})
    version = hidden["thread"]["version"]
    restored = await cast["reviewer"].mutate(
        RESTORE, {"id": _thread(cast), "version": version, "reason": "Sudah dijelaskan penulis."}
    )
    assert restored["errors"] == []
    assert restored["thread"]["state"] == "VISIBLE"
    public = await cast["anonymous"].data(POST_VIEW, {"id": _thread(cast)})
    assert public["thread"]["body"].startswith("Beli timbangan")
    trail = await cast["reviewer"].data(THREAD, {"id": _thread(cast)})
    actions = [entry["action"] for entry in trail["thread"]["auditTrail"]]
    assert actions == ["RESTORED", "HIDDEN", "POSTED"]


async def test_dismissed_reports_leave_post_visible(cast: Cast) -> None:
    await cast["reporter"].mutate(REPORT, {"id": _thread(cast), "reason": "OFF_TOPIC"})
    dismissed = await cast["reviewer"].mutate(DISMISS, {"id": _thread(cast), "reason": "Masih relevan."})
    assert dismissed["errors"] == []
    assert dismissed["thread"]["state"] == "VISIBLE"
    assert (await cast["reviewer"].data(QUEUE))["moderationQueue"]["totalCount"] == 0
    again = await cast["reviewer"].mutate(DISMISS, {"id": _thread(cast), "reason": "Lagi."})
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]


async def test_report_once_per_reporter(cast: Cast) -> None:
    await cast["reporter"].mutate(REPORT, {"id": _thread(cast), "reason": "SPAM"})
    twice = await cast["reporter"].mutate(REPORT, {"id": _thread(cast), "reason": "ABUSIVE"})
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("id", "DUPLICATE")]


async def test_report_other_needs_text(cast: Cast) -> None:
    payload = await cast["reporter"].mutate(REPORT, {"id": _thread(cast), "reason": "OTHER"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("text", "REQUIRED")]


async def test_moderation_refused_to_non_reviewers(cast: Cast) -> None:
    # given a member, a partner and anonymous visitors
    for name in ("author", "reporter", "anonymous"):
        # when they try to moderate or read the queue
        hidden = await cast[name].mutate(HIDE, {"id": _thread(cast), "version": 1, "reason": "Tidak suka."})
        queue = await cast[name].post(QUEUE)
        # then they are refused
        expected = "UNAUTHENTICATED" if name == "anonymous" else "FORBIDDEN"
        assert [e["code"] for e in hidden["errors"]] == [expected]
        assert queue["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_anonymous_cannot_report(cast: Cast) -> None:
    payload = await cast["anonymous"].mutate(REPORT, {"id": _thread(cast), "reason": "SPAM"})
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
