"""Typed filters turned into MongoDB queries.

Only values of known types reach a query (enum members, ints, validated codes and IDs), each
under a fixed field name and operator: no user-supplied mapping is ever passed through, so no
operator injection is possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.vocabulary import (
    ContentStatus,
    ExchangeState,
    OrganizationKind,
    PartnershipStatus,
    RegionLevel,
    ReplicationStatus,
    Stage,
    Theme,
)


def _any_of(query: dict[str, Any], field: str, values: Sequence[Any]) -> None:
    plain = list(dict.fromkeys(getattr(v, "value", v) for v in values))
    if len(plain) == 1:  # an equality lets a planner combine it with the sort key's range
        query[field] = plain[0]
    elif plain:
        query[field] = {"$in": plain}


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentFilter:
    """Within one facet any value matches (OR); across facets all must match (AND)."""

    themes: Sequence[Theme] = ()
    sdgs: Sequence[int] = ()
    # Matches content located in this region or anywhere below it.
    region_code: str | None = None
    organization_ids: Sequence[str] = ()
    statuses: Sequence[ContentStatus] = ()
    stages: Sequence[Stage] = ()
    partnership_statuses: Sequence[PartnershipStatus] = ()
    replication_statuses: Sequence[ReplicationStatus] = ()
    practice_ids: Sequence[str] = ()
    related_practice_ids: Sequence[str] = ()
    # Partnerships an organization takes part in, as a partner or a contributor.
    participant_ids: Sequence[str] = ()
    ids: Sequence[str] = ()
    # Who asks, as the reader entries it holds (see database.readers_of); None reads everything.
    readers: Sequence[str] | None = None

    def to_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.readers is not None:
            # never empty: an empty list would read as "no restriction" below
            _any_of(query, "readers", self.readers or ["nobody"])
        _any_of(query, "_id", self.ids)
        _any_of(query, "themes", self.themes)
        _any_of(query, "sdgs", [int(s) for s in self.sdgs])
        if self.region_code is not None:
            query["region_scope"] = str(self.region_code)
        _any_of(query, "organization_id", self.organization_ids)
        _any_of(query, "status", self.statuses)
        _any_of(query, "stage", self.stages)
        _any_of(query, "partnership_status", self.partnership_statuses)
        _any_of(query, "replication_status", self.replication_statuses)
        _any_of(query, "practice_id", self.practice_ids)
        _any_of(query, "related_practice_ids", self.related_practice_ids)
        _any_of(query, "participant_ids", self.participant_ids)
        return query


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationFilter:
    kinds: Sequence[OrganizationKind] = ()
    region_code: str | None = None

    def to_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        _any_of(query, "kind", self.kinds)
        if self.region_code is not None:
            query["region_scope"] = str(self.region_code)
        return query


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    organization_id: str

    def to_query(self) -> dict[str, Any]:
        return {"organization_id": self.organization_id}


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionFilter:
    level: RegionLevel | None = None
    parent_code: str | None = None
    # A name key (see regions.name_key); matches names starting with it (an indexed prefix range).
    name_prefix: str | None = None

    def to_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.level is not None:
            query["level"] = self.level.value
        if self.parent_code is not None:
            query["parent_code"] = str(self.parent_code)
        if self.name_prefix:
            query["name_key"] = {"$gte": self.name_prefix, "$lt": self.name_prefix + "\uffff"}
        return query


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeFilter:
    """Peer exchanges by the side an organization is on, their states and their subjects."""

    # Incoming: asked of this organization.
    owner_organization_id: str | None = None
    # Outgoing: asked by this organization.
    requester_organization_id: str | None = None
    # On either side.
    party_id: str | None = None
    states: Sequence[ExchangeState] = ()
    subject_ids: Sequence[str] = ()

    def to_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.owner_organization_id is not None:
            query["owner_organization_id"] = str(self.owner_organization_id)
        if self.requester_organization_id is not None:
            query["requester_organization_id"] = str(self.requester_organization_id)
        if self.party_id is not None:
            query["party_organization_ids"] = str(self.party_id)
        _any_of(query, "state", self.states)
        _any_of(query, "subject_id", self.subject_ids)
        return query
