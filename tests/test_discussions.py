"""Discussions and Q&A: threads on items, replies one level deep, accepted answers, edits, deletions."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from storage.activity import ACTIVITY_OUTBOX
from storage.database import Stores
from storage.discussions import THREADS
from storage.vocabulary import Role
from tests.support import (
    GraphQLClient,
    create_organization,
    create_practice,
    user_with_token,
)
from tests.test_case_studies import CREATE_CASE_STUDY, case_study_input

START = """
mutation($input: StartThreadInput!) {
  startThread(input: $input) {
    thread { id version kind title body state replyCount isAnswered authorName
             mentionedOrganizations { name } subject { id title } }
    errors { field code message }
  }
}
"""
REPLY = """
mutation($input: ReplyInput!) {
  replyToThread(input: $input) {
    reply { id version body quoted { id body } isAcceptedAnswer }
    thread { id replyCount lastActivityAt }
    errors { field code message }
  }
}
"""
ACCEPT = """
mutation($input: AcceptAnswerInput!) {
  acceptAnswer(input: $input) {
    reply { id isAcceptedAnswer } thread { id version isAnswered acceptedAnswer { id } }
    errors { field code message }
  }
}
"""
EDIT = """
mutation($input: EditPostInput!) {
  editPost(input: $input) {
    thread { id version body editedAt } reply { id version body editedAt } errors { field code message }
  }
}
"""
DELETE = """
mutation($input: PostVersionInput!) {
  deletePost(input: $input) {
    thread { id state body } reply { id state body } errors { field code message }
  }
}
"""
DISCUSSION = """
query($id: ID!, $kind: DiscussionKind, $answered: Boolean, $after: String) {
  node(id: $id) {
    ... on Practice {
      discussion {
        threadCount openQuestionCount answeredQuestionCount
        threads(kind: $kind, answered: $answered, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes {
            id title state body isAnswered replyCount
            replies { totalCount nodes { id body state quoted { id state body } } }
          }
        }
      }
    }
  }
}
"""
THREAD = """
query($id: ID!) {
  thread(id: $id) {
    id body state viewerCanEdit viewerCanAcceptAnswer
    auditTrail { action changes { field before after } }
    replies { nodes { id body } }
  }
}
"""
MY_THREADS = "{ viewer { threads { totalCount nodes { id title } } } }"


@dataclass
class Forum:
    api: GraphQLClient
    practice: dict[str, Any]
    owner_org: str
    asker: GraphQLClient
    owner: GraphQLClient
    outsider: GraphQLClient
    anonymous: GraphQLClient


def _local(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().partition(":")[2]


async def _client(api: GraphQLClient, stores: Stores, role: Role, organization_id: str) -> GraphQLClient:
    _, token = await user_with_token(stores, role=role, organization_id=_local(organization_id))
    return api.as_user(token)


@pytest.fixture
async def forum(api: GraphQLClient, stores: Stores) -> Forum:
    owner_org = await create_organization(api, name="Pemerintah Kelurahan Depok Jaya")
    asker_org = await create_organization(
        api, name="Pemerintah Kelurahan Keputih", kind="KELURAHAN_GOVERNMENT", regionCode="35.78.09.1001"
    )
    other_org = await create_organization(api, name="Yayasan Lestari", kind="NGO")
    practice = await create_practice(api, owner_org, published=True)
    return Forum(
        api=api,
        practice=practice,
        owner_org=owner_org,
        asker=await _client(api, stores, Role.MEMBER, asker_org),
        owner=await _client(api, stores, Role.MEMBER, owner_org),
        outsider=await _client(api, stores, Role.PARTNER, other_org),
        anonymous=api.as_user(None),
    )


async def _ask(forum: Forum, **overrides: Any) -> dict[str, Any]:
    payload = await forum.asker.mutate(
        START,
        {
            "subjectId": forum.practice["id"],
            "kind": "QUESTION",
            "title": "Bagaimana menjaga kehadiran nasabah bank sampah?",
            "body": "Nasabah kami berhenti datang setelah tiga bulan. Apa yang Bapak/Ibu lakukan?",
            **overrides,
        },
    )
    assert payload["errors"] == [], payload["errors"]
    thread: dict[str, Any] = payload["thread"]
    return thread


async def _reply(client: GraphQLClient, thread_id: str, body: str, **overrides: Any) -> dict[str, Any]:
    payload = await client.mutate(REPLY, {"threadId": thread_id, "body": body, **overrides})
    assert payload["errors"] == [], payload["errors"]
    return payload


async def test_question_answered_and_accepted_by_asker(forum: Forum, stores: Stores) -> None:
    # given a question on a published practice, answered by the practice's organization
    thread = await _ask(forum)
    answer = await _reply(forum.owner, thread["id"], "Kami beri poin tabungan yang bisa ditukar sembako.")
    # when the asker accepts the answer
    accepted = await forum.asker.mutate(ACCEPT, {"replyId": answer["reply"]["id"]})
    # then the question is answered, and the item counts it
    assert accepted["errors"] == []
    assert accepted["thread"]["isAnswered"] is True
    assert accepted["thread"]["acceptedAnswer"]["id"] == answer["reply"]["id"]
    data = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"]})
    discussion = data["node"]["discussion"]
    assert (discussion["openQuestionCount"], discussion["answeredQuestionCount"]) == (0, 1)
    assert discussion["threads"]["nodes"][0]["replies"]["nodes"][0]["body"].startswith("Kami beri poin")
    # and whom to tell was recorded with each write: the owner of a question, the asker of a reply
    activities = await stores.discussions.activities(thread_id=_local(thread["id"]))
    kinds = [(a["kind"], bool(a["organization_ids"]), bool(a["user_ids"])) for a in activities]
    assert kinds == [
        ("QUESTION_ASKED", True, False),
        ("REPLY_POSTED", False, True),
        ("ANSWER_ACCEPTED", False, True),
    ]
    assert activities[0]["organization_ids"] == [_local(forum.owner_org)]


async def test_accept_answer_refused_to_others(forum: Forum) -> None:
    # given a question with an answer
    thread = await _ask(forum)
    answer = await _reply(forum.outsider, thread["id"], "Coba undian bulanan bagi nasabah aktif.")
    reply_id = answer["reply"]["id"]
    # when someone who is neither the asker nor of the item's organization accepts it
    refused = await forum.outsider.mutate(ACCEPT, {"replyId": reply_id})
    anonymous = await forum.anonymous.mutate(ACCEPT, {"replyId": reply_id})
    # then it is refused, but the item's organization may
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    by_owner = await forum.owner.mutate(ACCEPT, {"replyId": reply_id})
    assert by_owner["errors"] == []
    assert by_owner["thread"]["isAnswered"] is True


async def test_comment_has_no_accepted_answer(forum: Forum) -> None:
    # given a comment thread with a reply
    comment = await _ask(forum, kind="COMMENT", title=None, body="Program yang sangat menginspirasi!")
    reply = await _reply(forum.owner, comment["id"], "Terima kasih, silakan berkunjung.")
    # when its author tries to accept the reply
    payload = await forum.asker.mutate(ACCEPT, {"replyId": reply["reply"]["id"]})
    # then comments cannot be answered
    assert [e["code"] for e in payload["errors"]] == ["INVALID_TRANSITION"]


async def test_question_without_title_refused(forum: Forum) -> None:
    payload = await forum.asker.mutate(
        START, {"subjectId": forum.practice["id"], "kind": "QUESTION", "body": "Berapa biayanya?"}
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("title", "REQUIRED")]


async def test_reply_to_reply_quotes_it_one_level_deep(forum: Forum) -> None:
    # given a reply in a thread
    thread = await _ask(forum)
    first = await _reply(forum.owner, thread["id"], "Kami buka setiap Sabtu pagi.")
    # when someone answers that reply
    second = await _reply(
        forum.asker, thread["id"], "Sabtu pagi jam berapa?", quotedReplyId=first["reply"]["id"]
    )
    # then the answer is a reply of the thread that quotes the first, not a child of it
    assert second["reply"]["quoted"] == {"id": first["reply"]["id"], "body": "Kami buka setiap Sabtu pagi."}
    assert second["thread"]["replyCount"] == 2
    data = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"]})
    replies = data["node"]["discussion"]["threads"]["nodes"][0]["replies"]["nodes"]
    assert [r["body"] for r in replies] == ["Kami buka setiap Sabtu pagi.", "Sabtu pagi jam berapa?"]


async def test_quoting_reply_of_another_thread_refused(forum: Forum) -> None:
    one = await _ask(forum)
    other = await _ask(forum, title="Berapa biaya timbangan digital?")
    reply = await _reply(forum.owner, one["id"], "Jawaban di utas pertama.")
    payload = await forum.asker.mutate(
        REPLY, {"threadId": other["id"], "body": "Mengutip utas lain", "quotedReplyId": reply["reply"]["id"]}
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("quotedReplyId", "INVALID")]


async def test_threads_newest_activity_first_with_filters(forum: Forum) -> None:
    # given three threads, the oldest of which gets a reply (activity) last, one answered
    oldest = await _ask(forum, title="Pertanyaan pertama")
    answered = await _ask(forum, title="Pertanyaan kedua")
    await _ask(forum, kind="COMMENT", title=None, body="Komentar ketiga.")
    answer = await _reply(forum.owner, answered["id"], "Ini jawabannya.")
    await forum.asker.mutate(ACCEPT, {"replyId": answer["reply"]["id"]})
    await _reply(forum.owner, oldest["id"], "Balasan terbaru.")
    # when the discussion is read page by page, and filtered
    first = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"]})
    threads = first["node"]["discussion"]["threads"]
    after = threads["pageInfo"]["endCursor"]
    second = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"], "after": after})
    open_questions = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"], "answered": False})
    comments = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"], "kind": "COMMENT"})
    # then the thread with the latest reply comes first, and the filters narrow the list
    titles = [t["title"] for t in threads["nodes"]] + [
        t["title"] for t in second["node"]["discussion"]["threads"]["nodes"]
    ]
    assert titles == ["Pertanyaan pertama", "Pertanyaan kedua", None]
    assert threads["totalCount"] == 3
    assert threads["pageInfo"]["hasNextPage"] is True
    open_nodes = open_questions["node"]["discussion"]["threads"]
    assert [t["title"] for t in open_nodes["nodes"]] == ["Pertanyaan pertama"]
    assert open_nodes["totalCount"] == 1
    comment_nodes = comments["node"]["discussion"]["threads"]
    assert [t["title"] for t in comment_nodes["nodes"]] == [None]
    assert comment_nodes["totalCount"] == 1


async def test_edit_within_window_audited(forum: Forum) -> None:
    # given the asker's fresh question
    thread = await _ask(forum)
    # when the asker corrects it
    edited = await forum.asker.mutate(
        EDIT, {"id": thread["id"], "version": thread["version"], "body": "Teks yang sudah dibetulkan."}
    )
    # then the text changes and the audit trail keeps the old text (for the author and moderators)
    assert edited["errors"] == []
    assert edited["thread"]["body"] == "Teks yang sudah dibetulkan."
    assert edited["thread"]["editedAt"]
    mine = await forum.asker.data(THREAD, {"id": thread["id"]})
    edits = [e for e in mine["thread"]["auditTrail"] if e["action"] == "EDITED"]
    assert edits[0]["changes"] == [
        {"field": "body", "before": thread["body"], "after": "Teks yang sudah dibetulkan."}
    ]
    others = await forum.outsider.data(THREAD, {"id": thread["id"]})
    assert others["thread"]["auditTrail"] == []
    assert others["thread"]["viewerCanEdit"] is False


async def test_edit_after_window_only_moderators(forum: Forum, stores: Stores) -> None:
    # given a question posted an hour ago (past the 30-minute window)
    thread = await _ask(forum)
    hour_ago = (await stores.discussions.threads.get_many([_local(thread["id"])]))[0]
    assert hour_ago is not None
    await stores.discussions.threads.collection.update_one(
        {"_id": hour_ago.id}, {"$set": {"created_at": hour_ago.created_at - timedelta(hours=1)}}
    )
    # when its author and a moderator (the hub admin) edit it
    late = await forum.asker.mutate(EDIT, {"id": thread["id"], "version": 1, "body": "Terlambat mengubah."})
    moderated = await forum.api.mutate(
        EDIT, {"id": thread["id"], "version": 1, "body": "Dirapikan moderator."}
    )
    # then only the moderator may
    assert [e["code"] for e in late["errors"]] == ["FORBIDDEN"]
    assert moderated["errors"] == []
    assert moderated["thread"]["body"] == "Dirapikan moderator."


async def test_edit_by_someone_else_refused(forum: Forum) -> None:
    thread = await _ask(forum)
    payload = await forum.owner.mutate(EDIT, {"id": thread["id"], "version": 1, "body": "Bukan punya saya."})
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_stale_version_conflicts(forum: Forum) -> None:
    thread = await _ask(forum)
    await forum.asker.mutate(EDIT, {"id": thread["id"], "version": 1, "body": "Perubahan pertama."})
    payload = await forum.asker.mutate(EDIT, {"id": thread["id"], "version": 1, "body": "Perubahan basi."})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("version", "CONFLICT")]


async def test_deleted_reply_leaves_placeholder(forum: Forum) -> None:
    # given a reply that another reply quotes
    thread = await _ask(forum)
    first = await _reply(forum.owner, thread["id"], "Jawaban yang akan dihapus.")
    await _reply(forum.asker, thread["id"], "Terima kasih!", quotedReplyId=first["reply"]["id"])
    # when its author deletes it
    deleted = await forum.owner.mutate(DELETE, {"id": first["reply"]["id"], "version": 1})
    # then its text is gone for everyone, and the quote shows a deleted placeholder
    assert deleted["errors"] == []
    assert deleted["reply"] == {"id": first["reply"]["id"], "state": "DELETED", "body": None}
    data = await forum.api.data(DISCUSSION, {"id": forum.practice["id"]})
    replies = data["node"]["discussion"]["threads"]["nodes"][0]["replies"]["nodes"]
    assert [r["state"] for r in replies] == ["DELETED", "VISIBLE"]
    assert replies[1]["quoted"] == {"id": first["reply"]["id"], "state": "DELETED", "body": None}


async def test_delete_by_someone_else_refused(forum: Forum) -> None:
    thread = await _ask(forum)
    payload = await forum.outsider.mutate(DELETE, {"id": thread["id"], "version": 1})
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_mentions_resolved_to_organizations(forum: Forum, stores: Stores) -> None:
    # when a question mentions an organization by name, in other letter case
    thread = await _ask(forum, body="Mungkin @[pemerintah kelurahan depok jaya] bisa berbagi pengalaman?")
    # then the mention names the organization, and the organization is to be told
    assert thread["mentionedOrganizations"] == [{"name": "Pemerintah Kelurahan Depok Jaya"}]
    activities = await stores.discussions.activities(thread_id=_local(thread["id"]))
    mentioned = [a for a in activities if a["kind"] == "ORGANIZATION_MENTIONED"]
    assert mentioned[0]["organization_ids"] == [_local(forum.owner_org)]


async def test_mention_of_unknown_organization_refused(forum: Forum, stores: Stores) -> None:
    payload = await forum.asker.mutate(
        START,
        {"subjectId": forum.practice["id"], "kind": "COMMENT", "body": "Halo @[Kelurahan Antah Berantah]!"},
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "UNKNOWN_ORGANIZATION")]
    assert await stores.database[THREADS].count_documents({}) == 0


async def test_text_stored_as_plain_text(forum: Forum) -> None:
    # when a post carries markup and control characters
    body = "<script>alert(1)</script>\r\nBaris kedua\x00 <img src=x onerror=alert(2)>"
    thread = await _ask(forum, body=body)
    # then it is kept as the text typed (no HTML is interpreted or stripped), lines normalized
    assert thread["body"] == "<script>alert(1)</script>\nBaris kedua <img src=x onerror=alert(2)>"


async def test_too_long_post_refused(forum: Forum, stores: Stores) -> None:
    payload = await forum.asker.mutate(
        START, {"subjectId": forum.practice["id"], "kind": "COMMENT", "body": "a" * 10_001}
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "TOO_LONG")]
    assert await stores.database[THREADS].count_documents({}) == 0


async def test_posting_rate_limited(forum: Forum, stores: Stores) -> None:
    # given a user who has posted the maximum in the window (20)
    thread = await _ask(forum)
    for number in range(19):
        await _reply(forum.asker, thread["id"], f"Balasan nomor {number}.")
    # when the user posts once more
    payload = await forum.asker.mutate(REPLY, {"threadId": thread["id"], "body": "Satu lagi."})
    # then it is refused with its own code, and nothing is written
    assert [e["code"] for e in payload["errors"]] == ["RATE_LIMITED"]
    assert await stores.discussions.replies.collection.count_documents({}) == 19
    # while others still post
    await _reply(forum.owner, thread["id"], "Saya masih bisa membalas.")


async def test_anonymous_reads_but_cannot_post(forum: Forum) -> None:
    await _ask(forum)
    payload = await forum.anonymous.mutate(
        START, {"subjectId": forum.practice["id"], "kind": "COMMENT", "body": "Tanpa masuk."}
    )
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    data = await forum.anonymous.data(DISCUSSION, {"id": forum.practice["id"]})
    assert data["node"]["discussion"]["threadCount"] == 1


async def test_draft_discussion_visible_only_to_draft_readers(forum: Forum) -> None:
    # given a question on a draft, asked by its own organization
    draft = await create_practice(forum.api, forum.owner_org)
    payload = await forum.owner.mutate(
        START,
        {"subjectId": draft["id"], "kind": "QUESTION", "title": "Siap diajukan?", "body": "Mohon dicek."},
    )
    thread_id = payload["thread"]["id"]
    # when others look for the thread
    outsider = await forum.outsider.data(THREAD, {"id": thread_id})
    anonymous = await forum.anonymous.data("query($id: ID!) { node(id: $id) { id } }", {"id": thread_id})
    reviewer = await forum.api.data(THREAD, {"id": thread_id})
    # then only who may read the draft sees it
    assert outsider["thread"] is None
    assert anonymous["node"] is None
    assert reviewer["thread"]["body"] == "Mohon dicek."
    refused = await forum.outsider.mutate(REPLY, {"threadId": thread_id, "body": "Boleh ikut?"})
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]


async def test_viewer_threads_lists_mine(forum: Forum) -> None:
    await _ask(forum, title="Pertanyaan saya")
    await forum.owner.mutate(
        START, {"subjectId": forum.practice["id"], "kind": "COMMENT", "body": "Komentar pemilik."}
    )
    mine = await forum.asker.data(MY_THREADS)
    assert [t["title"] for t in mine["viewer"]["threads"]["nodes"]] == ["Pertanyaan saya"]
    assert mine["viewer"]["threads"]["totalCount"] == 1


async def test_failed_write_leaves_nothing(forum: Forum, stores: Stores) -> None:
    # a refused post writes no thread, no audit entry and nothing to tell
    await forum.asker.mutate(START, {"subjectId": forum.practice["id"], "kind": "QUESTION", "body": "x"})
    assert await stores.database[THREADS].count_documents({}) == 0
    assert await stores.database[ACTIVITY_OUTBOX].count_documents({"thread_id": {"$exists": True}}) == 0


async def test_partner_and_reviewer_may_post_on_case_study(api: GraphQLClient, stores: Stores) -> None:
    # Discussions are on every kind of content; everyone signed in may take part.
    ngo = await create_organization(api, name="Yayasan Lestari", kind="NGO")
    _, token = await user_with_token(stores, role=Role.PARTNER, organization_id=_local(ngo))
    partner = api.as_user(token)
    case = await api.mutate(CREATE_CASE_STUDY, case_study_input(ngo))
    assert case["errors"] == [], case["errors"]
    subject = case["caseStudy"]["id"]
    posted = await partner.mutate(
        START, {"subjectId": subject, "kind": "COMMENT", "body": "Data lengkap ada."}
    )
    assert posted["errors"] == []
    assert posted["thread"]["subject"]["id"] == subject
