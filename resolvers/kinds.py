"""The writable kinds of the hub and what keeps each from being deleted."""

from __future__ import annotations

from resolvers.content import Kind
from resolvers.drafts import (
    CaseStudyDraft,
    OrganizationDraft,
    PartnershipDraft,
    PracticeDraft,
    ReplicationDraft,
)
from storage.database import Stores
from storage.filters import ContentFilter
from storage.records import (
    CaseStudyRecord,
    OrganizationRecord,
    PartnershipRecord,
    PracticeRecord,
    ReplicationRecord,
)


async def _organization_in_use(stores: Stores, organization_id: str) -> str | None:
    owned = ContentFilter(organization_ids=[organization_id])
    for store in (stores.practices, stores.case_studies, stores.partnerships, stores.replications):
        if await store.count(filter=owned):
            return "This organization still owns content; move or delete that content first."
    if await stores.partnerships.count(filter=ContentFilter(participant_ids=[organization_id])):
        return "This organization takes part in a partnership; remove it from the partnership first."
    return None


async def _practice_in_use(stores: Stores, practice_id: str) -> str | None:
    if await stores.replications.count(filter=ContentFilter(practice_ids=[practice_id])):
        return "Other regions recorded replications of this practice; they must not lose their source."
    return None


ORGANIZATION: Kind[OrganizationRecord, OrganizationDraft] = Kind(
    name="Organization",
    draft=OrganizationDraft,
    store=lambda stores: stores.organizations,
    loader=lambda loaders: loaders.organizations,
    in_use=_organization_in_use,
)
PRACTICE: Kind[PracticeRecord, PracticeDraft] = Kind(
    name="Practice",
    draft=PracticeDraft,
    store=lambda stores: stores.practices,
    loader=lambda loaders: loaders.practices,
    in_use=_practice_in_use,
)
CASE_STUDY: Kind[CaseStudyRecord, CaseStudyDraft] = Kind(
    name="CaseStudy",
    draft=CaseStudyDraft,
    store=lambda stores: stores.case_studies,
    loader=lambda loaders: loaders.case_studies,
)
PARTNERSHIP: Kind[PartnershipRecord, PartnershipDraft] = Kind(
    name="Partnership",
    draft=PartnershipDraft,
    store=lambda stores: stores.partnerships,
    loader=lambda loaders: loaders.partnerships,
)
REPLICATION: Kind[ReplicationRecord, ReplicationDraft] = Kind(
    name="Replication",
    draft=ReplicationDraft,
    store=lambda stores: stores.replications,
    loader=lambda loaders: loaders.replications,
)
KINDS = {kind.name: kind for kind in (ORGANIZATION, PRACTICE, CASE_STUDY, PARTNERSHIP, REPLICATION)}
