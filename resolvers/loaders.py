"""Per-request DataLoaders: every nested field batches its reads into one query per level."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from resolvers import visibility
from resolvers.viewer import Viewer
from storage.database import Stores
from storage.discussions import ReplyRecord, ThreadRecord
from storage.events import EventRecord, RegistrationRecord
from storage.exchanges import Party
from storage.filters import ContentFilter
from storage.funding import Distribution, theme_distributions
from storage.indicators import IndicatorReportRecord
from storage.notifications import NotificationRecord
from storage.pagination import Page
from storage.records import (
    AuditEntryRecord,
    CaseStudyRecord,
    ContentRecord,
    ExchangeRecord,
    ExchangeStats,
    OrganizationRecord,
    PartnershipRecord,
    PracticeRecord,
    RegionRecord,
    ReplicationRecord,
    UserRecord,
)
from storage.store import VersionedStore
from storage.vocabulary import ExchangeState, Theme

# Entries of an item's audit trail shown at most (the newest).
AUDIT_TRAIL_LIMIT = 200
# Replies of each thread loaded with the threads of a page (more are paged one thread at a time).
REPLIES_BATCHED = 101

K = TypeVar("K")
V = TypeVar("V")
C = TypeVar("C", bound=ContentRecord)


def _loader(load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    async def load_fn(keys: list[K]) -> Sequence[V]:
        return await load(keys)

    return DataLoader(load_fn=load_fn)


def _readable(
    store: VersionedStore[C], viewer: Viewer
) -> Callable[[Sequence[str]], Awaitable[list[C | None]]]:
    """Records by ID, None for those the viewer may not read: no nested field or node(id) leaks."""

    async def load(ids: Sequence[str]) -> list[C | None]:
        found = await store.get_many(ids)
        return [record if record and visibility.can_read(viewer, record) else None for record in found]

    return load


def _exchanges(
    stores: Stores, viewer: Viewer
) -> Callable[[Sequence[str]], Awaitable[list[ExchangeRecord | None]]]:
    async def load(ids: Sequence[str]) -> list[ExchangeRecord | None]:
        found = await stores.exchanges.get_many(ids)
        return [
            record if record and visibility.can_read_exchange(viewer, record) else None for record in found
        ]

    return load


@dataclass(frozen=True, slots=True)
class ExchangeListing:
    """One organization's exchanges on one side, in some states: a page (``first``, ``after``) or a count."""

    organization_id: str
    party: Party
    states: tuple[ExchangeState, ...] = ()
    first: int = 0
    after: str | None = None

    def counting(self) -> ExchangeListing:
        return dataclasses.replace(self, first=0, after=None)


def _by_query(keys: Sequence[ExchangeListing]) -> dict[ExchangeListing, list[ExchangeListing]]:
    """The keys grouped by everything but their organization: each group is one command."""
    groups: dict[ExchangeListing, list[ExchangeListing]] = defaultdict(list)
    for key in keys:
        groups[dataclasses.replace(key, organization_id="")].append(key)
    return groups


def _exchange_pages(
    stores: Stores,
) -> Callable[[Sequence[ExchangeListing]], Awaitable[list[Page[ExchangeRecord]]]]:
    async def load(keys: Sequence[ExchangeListing]) -> list[Page[ExchangeRecord]]:
        found: dict[ExchangeListing, Page[ExchangeRecord]] = {}
        for query, group in _by_query(keys).items():
            organizations = [key.organization_id for key in group]
            pages = await stores.exchanges.pages_of(
                query.party, organizations, states=query.states, first=query.first, after=query.after
            )
            found.update(zip(group, pages, strict=True))
        return [found[key] for key in keys]

    return load


def _exchange_counts(stores: Stores) -> Callable[[Sequence[ExchangeListing]], Awaitable[list[int]]]:
    async def load(keys: Sequence[ExchangeListing]) -> list[int]:
        found: dict[ExchangeListing, int] = {}
        for query, group in _by_query(keys).items():
            organizations = [key.organization_id for key in group]
            counts = await stores.exchanges.counts_of(query.party, organizations, states=query.states)
            found.update(zip(group, counts, strict=True))
        return [found[key] for key in keys]

    return load


def _users(stores: Stores, viewer: Viewer) -> Callable[[Sequence[str]], Awaitable[list[UserRecord | None]]]:
    async def load(ids: Sequence[str]) -> list[UserRecord | None]:
        if not visibility.can_read_user(viewer):
            return [None] * len(ids)
        return await stores.users.get_many(ids)

    return load


def _grouped(
    store: VersionedStore[C],
    *,
    filter_for: Callable[[list[str]], ContentFilter],
    keys_of: Callable[[C], Sequence[str]],
) -> Callable[[Sequence[str]], Awaitable[list[list[C]]]]:
    """Load the records pointing at each key (newest first) with one query for all keys."""

    async def load(keys: Sequence[str]) -> list[list[C]]:
        records = await store.find_all(filter=filter_for(list(keys)))
        grouped: dict[str, list[C]] = defaultdict(list)
        for record in sorted(records, key=lambda r: r.created_at, reverse=True):
            for key in keys_of(record):
                grouped[key].append(record)
        return [grouped[key] for key in keys]

    return load


def _theme_costs(stores: Stores) -> Callable[[Sequence[Theme]], Awaitable[list[Distribution]]]:
    async def load(themes: Sequence[Theme]) -> list[Distribution]:
        return await theme_distributions(collection=stores.practices.collection, themes=themes)

    return load


@dataclass(frozen=True, slots=True)
class Loaders:
    regions: DataLoader[str, RegionRecord | None]
    region_children: DataLoader[str, list[RegionRecord]]
    organizations: DataLoader[str, OrganizationRecord | None]
    practices: DataLoader[str, PracticeRecord | None]
    case_studies: DataLoader[str, CaseStudyRecord | None]
    partnerships: DataLoader[str, PartnershipRecord | None]
    replications: DataLoader[str, ReplicationRecord | None]
    replications_of_practice: DataLoader[str, list[ReplicationRecord]]
    case_studies_of_practice: DataLoader[str, list[CaseStudyRecord]]
    users: DataLoader[str, UserRecord | None]
    audit_trail: DataLoader[str, list[AuditEntryRecord]]
    threads: DataLoader[str, ThreadRecord | None]
    replies: DataLoader[str, ReplyRecord | None]
    replies_of_thread: DataLoader[str, list[ReplyRecord]]
    # (threads, open questions, answered questions) of each item
    discussion_counts: DataLoader[str, tuple[int, int, int]]
    open_reports: DataLoader[str, int]
    events: DataLoader[str, EventRecord | None]
    # The registrations (seats, then the waiting list) of each event.
    registrations_of_event: DataLoader[str, list[RegistrationRecord]]
    # By follow target key (storage/follows.py): how many follow it, and whether the viewer does.
    follower_counts: DataLoader[str, int]
    viewer_follows: DataLoader[str, bool]
    # The viewer's own notifications by ID (nobody reads another's).
    notifications: DataLoader[str, NotificationRecord | None]
    exchanges: DataLoader[str, ExchangeRecord | None]
    # by practice ID: one aggregation for every practice of a page
    exchange_stats: DataLoader[str, ExchangeStats]
    # An organization's incoming or outgoing exchanges: the organizations of a page in one command.
    # Who may list them is asked before loading (visibility.can_list_exchanges_of).
    exchange_pages: DataLoader[ExchangeListing, Page[ExchangeRecord]]
    exchange_counts: DataLoader[ExchangeListing, int]
    # Every indicator report of each practice or replication (by its ID), by indicator and period.
    # Asked only for items the viewer read through ``practices`` or ``replications``.
    indicator_reports: DataLoader[str, list[IndicatorReportRecord]]
    # Cost per beneficiary of the published practices of each theme: one aggregation for all.
    theme_costs: DataLoader[Theme, Distribution]

    @classmethod
    def for_request(cls, stores: Stores, viewer: Viewer) -> Loaders:
        """Loaders that read only what ``viewer`` may read (see resolvers/visibility.py)."""
        readers = visibility.readers(viewer)

        async def audit_trail(ids: Sequence[str]) -> list[list[AuditEntryRecord]]:
            return await stores.audit_trail.of_subjects(ids, limit=AUDIT_TRAIL_LIMIT)

        practices = _loader(_readable(stores.practices, viewer))
        case_studies = _loader(_readable(stores.case_studies, viewer))
        partnerships = _loader(_readable(stores.partnerships, viewer))
        replications = _loader(_readable(stores.replications, viewer))
        subjects: dict[str, DataLoader[str, Any]] = {
            "practices": practices,
            "case_studies": case_studies,
            "partnerships": partnerships,
            "replications": replications,
        }
        discussions = stores.discussions

        async def threads(ids: Sequence[str]) -> list[ThreadRecord | None]:
            """Threads of items the viewer may read: a thread is as readable as its item."""
            found = await discussions.threads.get_many(ids)
            items = await asyncio.gather(
                *(subjects[t.subject_collection].load(t.subject_id) for t in found if t is not None)
            )
            readable = iter(items)
            return [t if t is not None and next(readable) is not None else None for t in found]

        async def replies(ids: Sequence[str]) -> list[ReplyRecord | None]:
            found = await discussions.replies.get_many(ids)
            parents = await thread_loader.load_many([r.thread_id for r in found if r is not None])
            readable = iter(parents)
            return [r if r is not None and next(readable) is not None else None for r in found]

        thread_loader = _loader(threads)

        async def notifications(ids: Sequence[str]) -> list[NotificationRecord | None]:
            found = await stores.notifications.get_many(ids)
            return [n if n is not None and n.user_id == viewer.user_id else None for n in found]

        async def viewer_follows(keys: Sequence[str]) -> list[bool]:
            if viewer.user_id is None:
                return [False] * len(keys)
            return await stores.follows.followed_by(viewer.user_id, keys)

        async def events(ids: Sequence[str]) -> list[EventRecord | None]:
            found = await stores.events.get_many(ids)
            return [e if e is not None and visibility.can_read_event(viewer, e) else None for e in found]

        return cls(
            regions=_loader(stores.regions.get_many),
            region_children=_loader(stores.regions.children_of),
            organizations=_loader(stores.organizations.get_many),
            practices=practices,
            case_studies=case_studies,
            partnerships=partnerships,
            replications=replications,
            replications_of_practice=_loader(
                _grouped(
                    stores.replications,
                    filter_for=lambda ids: ContentFilter(practice_ids=ids, readers=readers),
                    keys_of=lambda record: [record.practice_id],
                )
            ),
            case_studies_of_practice=_loader(
                _grouped(
                    stores.case_studies,
                    filter_for=lambda ids: ContentFilter(related_practice_ids=ids, readers=readers),
                    keys_of=lambda record: record.related_practice_ids,
                )
            ),
            users=_loader(_users(stores, viewer)),
            audit_trail=_loader(audit_trail),
            threads=thread_loader,
            replies=_loader(replies),
            # Only asked for threads the viewer read through ``threads`` (or an item's page).
            replies_of_thread=_loader(lambda ids: discussions.replies_of(ids, limit=REPLIES_BATCHED)),
            discussion_counts=_loader(discussions.question_counts),
            open_reports=_loader(lambda ids: stores.reports.open_counts(list(ids))),
            events=_loader(events),
            registrations_of_event=_loader(stores.registrations.of_events),
            follower_counts=_loader(stores.follows.follower_counts),
            viewer_follows=_loader(viewer_follows),
            notifications=_loader(notifications),
            exchanges=_loader(_exchanges(stores, viewer)),
            exchange_stats=_loader(stores.exchanges.completion_stats),
            exchange_pages=_loader(_exchange_pages(stores)),
            exchange_counts=_loader(_exchange_counts(stores)),
            indicator_reports=_loader(stores.indicator_reports.of_subjects),
            theme_costs=_loader(_theme_costs(stores)),
        )
