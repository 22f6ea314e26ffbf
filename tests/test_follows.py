"""Follows: themes, regions, organizations and items; counts, the viewer's list, and who may follow."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from storage.database import Stores
from storage.follows import target_key
from storage.vocabulary import FollowKind, Role
from tests.support import GraphQLClient, create_organization, create_practice, user_with_token
from tests.test_discussions import _local

FOLLOW = """
mutation($input: FollowInput!) {
  follow(input: $input) { follow { kind theme node { id } } followerCount errors { field code message } }
}
"""
UNFOLLOW = """
mutation($input: FollowInput!) { unfollow(input: $input) { followerCount errors { field code } } }
"""
FOLLOWED = """
query($practice: ID!, $organization: ID!) {
  practice: node(id: $practice) { ... on Practice { followerCount viewerFollows } }
  organization: node(id: $organization) { ... on Organization { followerCount viewerFollows } }
  region(code: "32.76") { followerCount viewerFollows }
  themes { theme followerCount viewerFollows }
}
"""
MINE = """
query($after: String) {
  viewer { follows(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { kind theme node { __typename ... on Region { code } ... on Practice { id } } }
  } }
}
"""


@dataclass
class Followers:
    practice: str
    organization: str
    draft: str
    first: GraphQLClient
    second: GraphQLClient
    outsider: GraphQLClient
    anonymous: GraphQLClient


@pytest.fixture
async def cast(api: GraphQLClient, stores: Stores) -> Followers:
    organization = await create_organization(api, name="Pemerintah Kelurahan Depok Jaya")
    other = await create_organization(api, name="Yayasan Lestari", kind="NGO")
    practice = await create_practice(api, organization, published=True)
    draft = await create_practice(api, organization, title="Praktik masih draf")
    clients = []
    for org in (other, other, other):
        _, token = await user_with_token(stores, role=Role.PARTNER, organization_id=_local(org))
        clients.append(api.as_user(token))
    return Followers(
        practice=practice["id"],
        organization=organization,
        draft=draft["id"],
        first=clients[0],
        second=clients[1],
        outsider=clients[2],
        anonymous=api.as_user(None),
    )


async def test_follow_each_kind_counts_and_shows_for_the_viewer(cast: Followers) -> None:
    # given two users following a practice, one also its organization, a region and a theme
    for client in (cast.first, cast.second):
        followed = await client.mutate(FOLLOW, {"target": {"id": cast.practice}})
        assert followed["errors"] == []
    await cast.first.mutate(FOLLOW, {"target": {"id": cast.organization}})
    region = await cast.first.mutate(FOLLOW, {"target": {"regionCode": "32.76"}})
    theme = await cast.first.mutate(FOLLOW, {"target": {"theme": "HEALTH"}})
    # when each looks at them
    mine = await cast.first.data(FOLLOWED, {"practice": cast.practice, "organization": cast.organization})
    theirs = await cast.outsider.data(
        FOLLOWED, {"practice": cast.practice, "organization": cast.organization}
    )
    # then counts are everyone's, viewerFollows each viewer's own
    assert region["follow"] == {
        "kind": "REGION",
        "theme": None,
        "node": {"id": region["follow"]["node"]["id"]},
    }
    assert theme["follow"]["theme"] == "HEALTH"
    assert theme["followerCount"] == 1
    assert mine["practice"] == {"followerCount": 2, "viewerFollows": True}
    assert theirs["practice"] == {"followerCount": 2, "viewerFollows": False}
    assert mine["organization"] == {"followerCount": 1, "viewerFollows": True}
    assert mine["region"] == {"followerCount": 1, "viewerFollows": True}
    health = next(t for t in mine["themes"] if t["theme"] == "HEALTH")
    assert health == {"theme": "HEALTH", "followerCount": 1, "viewerFollows": True}


async def test_following_twice_changes_nothing_and_unfollow_removes(cast: Followers) -> None:
    await cast.first.mutate(FOLLOW, {"target": {"id": cast.practice}})
    again = await cast.first.mutate(FOLLOW, {"target": {"id": cast.practice}})
    assert again["followerCount"] == 1
    gone = await cast.first.mutate(UNFOLLOW, {"target": {"id": cast.practice}})
    assert gone == {"followerCount": 0, "errors": []}


async def test_viewer_follows_paged_newest_first(cast: Followers) -> None:
    await cast.first.mutate(FOLLOW, {"target": {"regionCode": "32.76"}})
    await cast.first.mutate(FOLLOW, {"target": {"theme": "HEALTH"}})
    await cast.first.mutate(FOLLOW, {"target": {"id": cast.practice}})
    page = await cast.first.data(MINE)
    follows = page["viewer"]["follows"]
    rest = await cast.first.data(MINE, {"after": follows["pageInfo"]["endCursor"]})
    kinds = [n["kind"] for n in follows["nodes"] + rest["viewer"]["follows"]["nodes"]]
    assert kinds == ["PRACTICE", "THEME", "REGION"]
    assert follows["totalCount"] == 3
    others = await cast.second.data(MINE)
    assert others["viewer"]["follows"]["totalCount"] == 0


async def test_follow_refused_for_unknown_unreadable_or_anonymous(cast: Followers, stores: Stores) -> None:
    anonymous = await cast.anonymous.mutate(FOLLOW, {"target": {"theme": "HEALTH"}})
    unknown_region = await cast.first.mutate(FOLLOW, {"target": {"regionCode": "99.99"}})
    draft = await cast.first.mutate(FOLLOW, {"target": {"id": cast.draft}})
    user = await cast.first.mutate(FOLLOW, {"target": {"id": "VXNlcjo2MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"}})
    both = await cast.first.post(FOLLOW, {"input": {"target": {"theme": "HEALTH", "regionCode": "32"}}})
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert [(e["field"], e["code"]) for e in unknown_region["errors"]] == [
        ("target.regionCode", "UNKNOWN_REGION")
    ]
    assert [(e["field"], e["code"]) for e in draft["errors"]] == [("target.id", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in user["errors"]] == [("target.id", "INVALID_ID")]
    assert both["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # oneOf: exactly one
    assert await stores.follows.collection.count_documents({}) == 0


async def test_followers_of_an_item_include_its_regions_above(cast: Followers, stores: Stores) -> None:
    # a follow of a province reaches an item in one of its kelurahan (one indexed $in of keys)
    await cast.first.mutate(FOLLOW, {"target": {"regionCode": "32"}})
    await cast.second.mutate(FOLLOW, {"target": {"theme": "WASTE_MANAGEMENT"}})
    keys = [target_key(FollowKind.REGION, code) for code in ("32", "32.76", "32.76.05", "32.76.05.1001")]
    keys.append(target_key(FollowKind.THEME, "WASTE_MANAGEMENT"))
    assert len(await stores.follows.followers_of(keys)) == 2
