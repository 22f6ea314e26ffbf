"""The editorial workflow: draft, submitted, changes requested, published, archived; verification."""

from __future__ import annotations

from typing import Any

from storage.database import Stores
from storage.vocabulary import OrganizationKind, Role
from tests.support import (
    PUBLISH,
    SUBMIT,
    GraphQLClient,
    create_practice,
    organization_record,
    user_with_token,
)

REQUEST_CHANGES = """
mutation($input: RequestChangesInput!) {
  requestChanges(input: $input) { content { id version status } errors { field code message } }
}
"""
ARCHIVE = """
mutation($input: ArchiveInput!) {
  archive(input: $input) { content { id version status } errors { field code message } }
}
"""
VERIFY = """
mutation($input: VerifyPracticeInput!) {
  verifyPractice(input: $input) {
    practice { version verification { stillActive comment verifiedAt verifiedBy { name } } }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($input: UpdatePracticeInput!) {
  updatePractice(input: $input) { practice { version title } errors { field code message } }
}
"""
CREATE = """
mutation($input: PracticeInput!) { createPractice(input: $input) { practice { id } errors { field code } } }
"""
TRAIL = """
query($id: ID!) {
  node(id: $id) {
    ... on Practice {
      status
      auditTrail { action version comment actorName changes { field before after } }
    }
  }
}
"""


async def _member_and_reviewer(stores: Stores) -> tuple[str, str, str]:
    """The global ID of a kelurahan, and tokens of its member and of a reviewer."""
    from resolvers.ids import encode_id

    kelurahan = await organization_record(stores, kind=OrganizationKind.KELURAHAN_GOVERNMENT)
    association = await organization_record(stores, name="Asosiasi", kind=OrganizationKind.ASSOCIATION)
    _, member = await user_with_token(stores, role=Role.MEMBER, organization_id=kelurahan.id)
    _, reviewer = await user_with_token(stores, role=Role.REVIEWER, organization_id=association.id)
    return encode_id("Organization", kelurahan.id), member, reviewer


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_a_practice_goes_from_draft_through_changes_to_published_and_archived(
    api: GraphQLClient, stores: Stores
) -> None:
    # given: a member's draft
    organization, member_token, reviewer_token = await _member_and_reviewer(stores)
    member, reviewer = api.as_user(member_token), api.as_user(reviewer_token)
    draft = await create_practice(member, organization)
    # when: submitted, sent back with a comment, fixed, submitted again, published, archived
    submitted = await member.mutate(SUBMIT, {"id": draft["id"], "version": 1})
    sent_back = await reviewer.mutate(
        REQUEST_CHANGES, {"id": draft["id"], "version": 2, "comment": "Tambahkan data hasil timbangan."}
    )
    fixed = await member.mutate(
        UPDATE, {"id": draft["id"], "version": 3, "changes": {"title": "Judul Diperbaiki"}}
    )
    resubmitted = await member.mutate(SUBMIT, {"id": draft["id"], "version": 4})
    published = await reviewer.mutate(PUBLISH, {"id": draft["id"], "version": 5})
    archived = await member.mutate(ARCHIVE, {"id": draft["id"], "version": 6})
    # then
    steps = [submitted, sent_back, resubmitted, published, archived]
    assert [step["content"]["status"] for step in steps] == [
        "SUBMITTED",
        "CHANGES_REQUESTED",
        "SUBMITTED",
        "PUBLISHED",
        "ARCHIVED",
    ]
    assert fixed["errors"] == []
    trail = (await member.data(TRAIL, {"id": draft["id"]}))["node"]["auditTrail"]
    assert [entry["action"] for entry in trail] == [
        "ARCHIVED",
        "PUBLISHED",
        "SUBMITTED",
        "EDITED",
        "CHANGES_REQUESTED",
        "SUBMITTED",
        "CREATED",
    ]
    assert [entry["version"] for entry in trail] == [7, 6, 5, 4, 3, 2, 1]
    assert trail[4]["comment"] == "Tambahkan data hasil timbangan."
    assert trail[4]["changes"] == [{"field": "status", "before": "SUBMITTED", "after": "CHANGES_REQUESTED"}]
    assert trail[3]["changes"] == [
        {"field": "title", "before": "Bank Sampah Digital Kelurahan Sukmajaya", "after": "Judul Diperbaiki"}
    ]
    assert trail[4]["actorName"] != trail[3]["actorName"]


async def test_steps_out_of_order_are_refused_and_change_nothing(api: GraphQLClient) -> None:
    # given: a draft (the hub admin may take every step, so only the order is at stake)
    organization_id = (await api.data("{ viewer { organization { id } } }"))["viewer"]["organization"]["id"]
    draft = await create_practice(api, organization_id)
    # when
    published = await api.mutate(PUBLISH, {"id": draft["id"], "version": 1})
    archived = await api.mutate(ARCHIVE, {"id": draft["id"], "version": 1})
    sent_back = await api.mutate(REQUEST_CHANGES, {"id": draft["id"], "version": 1, "comment": "Perbaiki."})
    # then
    assert _codes(published) == _codes(archived) == _codes(sent_back) == ["INVALID_TRANSITION"]
    assert published["errors"][0]["message"] == (
        "This Practice is 'draft'; only 'submitted' items can be published."
    )
    assert (await api.data(TRAIL, {"id": draft["id"]}))["node"]["status"] == "DRAFT"


async def test_a_request_for_changes_needs_a_comment(api: GraphQLClient) -> None:
    # given
    organization_id = (await api.data("{ viewer { organization { id } } }"))["viewer"]["organization"]["id"]
    draft = await create_practice(api, organization_id)
    await api.mutate(SUBMIT, {"id": draft["id"], "version": 1})
    # when
    blank = await api.mutate(REQUEST_CHANGES, {"id": draft["id"], "version": 2, "comment": "   "})
    # then
    assert blank["errors"] == [
        {"field": "comment", "code": "REQUIRED", "message": "Say what should change, for the authors."}
    ]


async def test_a_step_on_a_stale_version_is_a_conflict(api: GraphQLClient) -> None:
    # given
    organization_id = (await api.data("{ viewer { organization { id } } }"))["viewer"]["organization"]["id"]
    draft = await create_practice(api, organization_id)
    await api.mutate(UPDATE, {"id": draft["id"], "version": 1, "changes": {"title": "Judul Lain"}})
    # when
    submitted = await api.mutate(SUBMIT, {"id": draft["id"], "version": 1})
    # then
    assert [(e["field"], e["code"]) for e in submitted["errors"]] == [("version", "CONFLICT")]


async def test_owners_cannot_edit_a_submitted_or_published_practice(
    api: GraphQLClient, stores: Stores
) -> None:
    # given
    organization, member_token, _ = await _member_and_reviewer(stores)
    member = api.as_user(member_token)
    draft = await create_practice(member, organization)
    await member.mutate(SUBMIT, {"id": draft["id"], "version": 1})
    # when
    edited = await member.mutate(UPDATE, {"id": draft["id"], "version": 2, "changes": {"title": "Diam-diam"}})
    # then
    assert edited["errors"] == [
        {
            "field": None,
            "code": "FORBIDDEN",
            "message": "A submitted Practice can only be changed by a reviewer.",
        }
    ]


async def test_a_reviewer_marks_a_published_practice_still_active_or_stopped(
    api: GraphQLClient, stores: Stores
) -> None:
    # given
    organization, _, reviewer_token = await _member_and_reviewer(stores)
    reviewer = api.as_user(reviewer_token)
    practice = await create_practice(api, organization, published=True)
    draft = await create_practice(api, organization)
    # when
    active = await reviewer.mutate(
        VERIFY, {"id": practice["id"], "version": practice["version"], "stillActive": True}
    )
    stopped = await reviewer.mutate(
        VERIFY,
        {
            "id": practice["id"],
            "version": practice["version"] + 1,
            "stillActive": False,
            "comment": "Bank sampah berhenti sejak 2025.",
        },
    )
    unpublished = await reviewer.mutate(VERIFY, {"id": draft["id"], "version": 1, "stillActive": True})
    # then
    assert active["errors"] == []
    assert active["practice"]["verification"]["stillActive"] is True
    verification = stopped["practice"]["verification"]
    assert verification["stillActive"] is False
    assert verification["comment"] == "Bank sampah berhenti sejak 2025."
    assert verification["verifiedBy"]["name"].startswith("Pengguna Uji")
    assert verification["verifiedAt"] >= active["practice"]["verification"]["verifiedAt"]
    assert _codes(unpublished) == ["INVALID_TRANSITION"]


async def test_an_update_that_changes_nothing_keeps_the_version(api: GraphQLClient) -> None:
    # given
    organization_id = (await api.data("{ viewer { organization { id } } }"))["viewer"]["organization"]["id"]
    draft = await create_practice(api, organization_id)
    # when
    same = await api.mutate(UPDATE, {"id": draft["id"], "version": 1, "changes": {"title": draft["title"]}})
    # then
    assert same == {"practice": {"version": 1, "title": draft["title"]}, "errors": []}
    trail = (await api.data(TRAIL, {"id": draft["id"]}))["node"]["auditTrail"]
    assert [entry["action"] for entry in trail] == ["CREATED"]


async def test_a_practice_without_an_organization_reports_the_missing_field(api: GraphQLClient) -> None:
    # when
    payload = await api.mutate(CREATE, {"title": "Tanpa Pemilik"})
    # then: the missing owner is a field error, not a refusal to write for "no organization"
    assert {"field": "organizationId", "code": "REQUIRED"} in payload["errors"]
    assert all(error["code"] != "FORBIDDEN" for error in payload["errors"])
