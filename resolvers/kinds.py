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
from resolvers.exchange_drafts import ExchangeRequestDraft
from storage.database import Stores
from storage.filters import ContentFilter, ExchangeFilter
from storage.records import (
    CaseStudyRecord,
    ExchangeRecord,
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
        Dependents(
            stores.exchanges,
            ExchangeFilter(party_id=organization_id),
            "This organization takes part in peer exchanges; they must keep both their sides.",
        ),
    ]


def _asked_about(stores: Stores, subject_id: str) -> Dependents:
    return Dependents(
        stores.exchanges,
        ExchangeFilter(subject_ids=[subject_id]),
        "Other regions asked for exchanges about this item; they must not lose their subject.",
    )


def _practice_dependents(stores: Stores, practice_id: str) -> list[Dependents]:
    return [
        Dependents(
            stores.replications,
            ContentFilter(practice_ids=[practice_id]),
            "Other regions recorded replications of this practice; they must not lose their source.",
        ),
        _asked_about(stores, practice_id),
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
    dependents=lambda stores, id: [_asked_about(stores, id)],
)
REPLICATION: Kind[ReplicationRecord, ReplicationDraft] = Kind(
    name="Replication",
    draft=ReplicationDraft,
    store=lambda stores: stores.replications,
    loader=lambda loaders: loaders.replications,
)
# Not written through create/update/delete: its steps are in resolvers/exchanges.py.
EXCHANGE: Kind[ExchangeRecord, ExchangeRequestDraft] = Kind(
    name="ExchangeRequest",
    draft=ExchangeRequestDraft,
    store=lambda stores: stores.exchanges,
    loader=lambda loaders: loaders.exchanges,
)
KINDS = {kind.name: kind for kind in (ORGANIZATION, PRACTICE, CASE_STUDY, PARTNERSHIP, REPLICATION, EXCHANGE)}
