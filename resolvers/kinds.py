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
from storage.store import Dependents


def _organization_dependents(stores: Stores, organization_id: str) -> list[Dependents]:
    owned = ContentFilter(organization_ids=[organization_id])
    owns = "This organization still owns content; move or delete that content first."
    return [
        *(
            Dependents(store, owned, owns)
            for store in (stores.practices, stores.case_studies, stores.partnerships, stores.replications)
        ),
        Dependents(
            stores.partnerships,
            ContentFilter(participant_ids=[organization_id]),
            "This organization takes part in a partnership; remove it from the partnership first.",
        ),
    ]


def _practice_dependents(stores: Stores, practice_id: str) -> list[Dependents]:
    return [
        Dependents(
            stores.replications,
            ContentFilter(practice_ids=[practice_id]),
            "Other regions recorded replications of this practice; they must not lose their source.",
        )
    ]


ORGANIZATION: Kind[OrganizationRecord, OrganizationDraft] = Kind(
    name="Organization",
    draft=OrganizationDraft,
    store=lambda stores: stores.organizations,
    loader=lambda loaders: loaders.organizations,
    dependents=_organization_dependents,
)
PRACTICE: Kind[PracticeRecord, PracticeDraft] = Kind(
    name="Practice",
    draft=PracticeDraft,
    store=lambda stores: stores.practices,
    loader=lambda loaders: loaders.practices,
    dependents=_practice_dependents,
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
