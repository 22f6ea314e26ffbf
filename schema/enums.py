"""GraphQL enums for every closed vocabulary: the lower layers' enums, registered with strawberry.

``strawberry.enum`` marks the class and returns it unchanged, so these names are the very
classes the resolvers and stores use, and they type-check as such.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from resolvers.errors import ErrorCode
from resolvers.exchanges import ExchangeDirection, ExchangeStep
from storage.vocabulary import (
    AgreementKind,
    AuditAction,
    ContentStatus,
    DigestFrequency,
    DiscussionKind,
    EventKind,
    EventStatus,
    ExchangeKind,
    ExchangeState,
    FollowKind,
    FundingSource,
    IndicatorDirection,
    IndicatorTrend,
    Language,
    NotificationReason,
    OrganizationKind,
    PartnerRole,
    PartnershipStatus,
    PeriodGranularity,
    PostState,
    RegionLevel,
    RegistrationStatus,
    ReplicationStatus,
    ReportReason,
    ReportStatus,
    Role,
    Stage,
    Theme,
)

_DESCRIPTIONS: dict[type[Enum], str] = {
    RegionLevel: "Level of a region in the Kemendagri hierarchy.",
    OrganizationKind: "What kind of body an organization is.",
    Theme: "Topic a content item is about.",
    ContentStatus: "Editorial state of a content item.",
    Stage: "How far a practice has matured.",
    FundingSource: "Where money for a practice came from.",
    PartnerRole: "Role of an organization in a partnership.",
    PartnershipStatus: "Lifecycle of a partnership.",
    AgreementKind: "Kind of a partnership's agreement.",
    ReplicationStatus: "Progress of a replication.",
    ErrorCode: "What is wrong with a mutation's input.",
    Role: "What a user may do within the user's organization (see the README's Roles).",
    AuditAction: "What a change in an audit trail did.",
    DiscussionKind: "A thread asks a question (which can have an accepted answer) or comments.",
    PostState: "Whether a post's text is shown, or a placeholder.",
    ReportReason: "Why a post was reported to the moderators.",
    ReportStatus: "Where a report stands.",
    EventKind: "What kind of gathering an event is.",
    EventStatus: "Lifecycle of an event.",
    RegistrationStatus: "A seat, a place on the waiting list, or given up.",
    FollowKind: "What a follow is of.",
    NotificationReason: "Why someone is told of something.",
    DigestFrequency: "How often unread notifications are emailed as a digest.",
    Language: "The language of a user's emails.",
    ExchangeKind: "What a government asks of the organization behind a practice or a partnership.",
    ExchangeState: "Where a peer exchange stands.",
    ExchangeDirection: "Exchanges asked of an organization (INCOMING) or by it (OUTGOING).",
    ExchangeStep: "A step of a peer exchange after its request, each its own mutation.",
    IndicatorDirection: "Which way an indicator must move to improve (stunting prevalence: DECREASE).",
    PeriodGranularity: "How long the period of an indicator report is.",
    IndicatorTrend: "How an indicator moved over its last three reports, direction aware.",
}
for _enum, _description in _DESCRIPTIONS.items():
    strawberry.enum(_enum, description=_description)


@strawberry.enum(description="Order of a content listing.")
class ContentOrder(Enum):
    NEWEST = "NEWEST"
    TITLE = "TITLE"


@strawberry.enum(description="Order of an organization listing.")
class OrganizationOrder(Enum):
    NAME = "NAME"
    NEWEST = "NEWEST"


__all__ = [
    "AgreementKind",
    "AuditAction",
    "ContentOrder",
    "ContentStatus",
    "DigestFrequency",
    "DiscussionKind",
    "ErrorCode",
    "EventKind",
    "EventStatus",
    "ExchangeDirection",
    "ExchangeKind",
    "ExchangeState",
    "ExchangeStep",
    "FollowKind",
    "FundingSource",
    "IndicatorDirection",
    "IndicatorTrend",
    "Language",
    "NotificationReason",
    "OrganizationKind",
    "OrganizationOrder",
    "PartnerRole",
    "PartnershipStatus",
    "PeriodGranularity",
    "PostState",
    "RegionLevel",
    "RegistrationStatus",
    "ReplicationStatus",
    "ReportReason",
    "ReportStatus",
    "Role",
    "Stage",
    "Theme",
]
