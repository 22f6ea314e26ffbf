"""GraphQL enums for every closed vocabulary; the members are those of the lower layers."""

from __future__ import annotations

from enum import Enum

import strawberry

from resolvers.errors import ErrorCode as _ErrorCode
from storage import vocabulary

RegionLevel = strawberry.enum(
    vocabulary.RegionLevel, description="Level of a region in the Kemendagri hierarchy."
)
OrganizationKind = strawberry.enum(
    vocabulary.OrganizationKind, description="What kind of body an organization is."
)
Theme = strawberry.enum(vocabulary.Theme, description="Topic a content item is about.")
ContentStatus = strawberry.enum(vocabulary.ContentStatus, description="Editorial state of a content item.")
Stage = strawberry.enum(vocabulary.Stage, description="How far a practice has matured.")
FundingSource = strawberry.enum(vocabulary.FundingSource, description="Where money for a practice came from.")
PartnerRole = strawberry.enum(vocabulary.PartnerRole, description="Role of an organization in a partnership.")
PartnershipStatus = strawberry.enum(vocabulary.PartnershipStatus, description="Lifecycle of a partnership.")
AgreementKind = strawberry.enum(vocabulary.AgreementKind, description="Kind of a partnership's agreement.")
ReplicationStatus = strawberry.enum(vocabulary.ReplicationStatus, description="Progress of a replication.")
ErrorCode = strawberry.enum(_ErrorCode, description="What is wrong with a mutation's input.")


@strawberry.enum(description="Order of a content listing.")
class ContentOrder(Enum):
    NEWEST = "NEWEST"
    TITLE = "TITLE"


@strawberry.enum(description="Order of an organization listing.")
class OrganizationOrder(Enum):
    NAME = "NAME"
    NEWEST = "NEWEST"
