"""Per-request DataLoaders: every nested field batches its reads into one query per level."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from storage.database import Stores
from storage.filters import ContentFilter
from storage.records import (
    CaseStudyRecord,
    ContentRecord,
    OrganizationRecord,
    PartnershipRecord,
    PracticeRecord,
    RegionRecord,
    ReplicationRecord,
)
from storage.store import VersionedStore

K = TypeVar("K")
V = TypeVar("V")
C = TypeVar("C", bound=ContentRecord)


def _loader(load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    async def load_fn(keys: list[K]) -> Sequence[V]:
        return await load(keys)

    return DataLoader(load_fn=load_fn)


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

    @classmethod
    def for_request(cls, stores: Stores) -> Loaders:
        return cls(
            regions=_loader(stores.regions.get_many),
            region_children=_loader(stores.regions.children_of),
            organizations=_loader(stores.organizations.get_many),
            practices=_loader(stores.practices.get_many),
            case_studies=_loader(stores.case_studies.get_many),
            partnerships=_loader(stores.partnerships.get_many),
            replications=_loader(stores.replications.get_many),
            replications_of_practice=_loader(
                _grouped(
                    stores.replications,
                    filter_for=lambda ids: ContentFilter(practice_ids=ids),
                    keys_of=lambda record: [record.practice_id],
                )
            ),
            case_studies_of_practice=_loader(
                _grouped(
                    stores.case_studies,
                    filter_for=lambda ids: ContentFilter(related_practice_ids=ids),
                    keys_of=lambda record: record.related_practice_ids,
                )
            ),
        )
