"""Demo content: fictional practices, case studies, partnerships, discussions, events, exchanges.

The JSON files under ``demo/`` refer to each other by ``key``; loading gives every item a fresh
ID, resolves the keys and marks every record ``is_demo`` so it can be told apart (and removed).
Demo posts are signed by name by the staff of demo organizations: they have no author account.

Events are written relative to the day they are loaded, so that a demo always has some to come
and some past: ``starts_in_days`` (negative: past), ``local_time`` ("09:00") in the venue's own
zone (WIB, WITA or WIT; Jakarta time online), ``days`` (default 1) and ``hours`` on the last
day. Their ``registrations`` are participants by name only, not accounts: the seats they hold,
the waiting list and the certificates of those who attended.

Indicator reports (``indicator_reports.json``) are series, also relative to the load day: the
``values`` of consecutive periods of their ``granularity``, the last one ``last_periods_ago``
periods before the one under way (1: the latest ended period; 3 or more: stale). The ``note``
and ``evidence_url`` go with the latest value; ``reporter`` names who reported them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from storage.database import Stores
from storage.events import EventRecord, RegistrationRecord, time_zone_of_region
from storage.indicators import (
    IndicatorReportRecord,
    period_containing,
    period_of_ordinal,
    period_ordinal,
    report_document,
)
from storage.records import Indicator, Record
from storage.store import Document, VersionedStore, new_id, translate_errors, utc_now
from storage.vocabulary import PeriodGranularity, RegistrationStatus

_CONTENT_FILES = ("practices", "case_studies", "partnerships", "replications")
# `@[Nama Organisasi]` in a post, as resolvers/discussions.py reads it; demo text names its
# organizations exactly.
_MENTION = re.compile(r"@\[([^\[\]\n]{2,200})\]")
_SUBJECT_FILES = {"practices": "PRACTICE", "partnerships": "PARTNERSHIP"}


def read_demo_file(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        resources.files("storage").joinpath("demo", f"{name}.json").read_text(encoding="utf-8")
    )
    return data


class _Keys:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def assign(self, item: dict[str, Any]) -> str:
        self.ids[item["key"]] = new_id()
        return self.ids[item["key"]]

    def __call__(self, key: str) -> str:
        return self.ids[key]


def _prepare(item: dict[str, Any], keys: _Keys) -> Document:
    document = {k: v for k, v in item.items() if k != "key"}
    document["_id"] = keys(item["key"])
    document["is_demo"] = True
    if "organization" in document:
        document["organization_id"] = keys(document.pop("organization"))
    if "practice" in document:
        document["practice_id"] = keys(document.pop("practice"))
    if "related_practices" in document:
        document["related_practice_ids"] = [keys(k) for k in document.pop("related_practices")]
    for nested in ("partners", "contributions"):
        for entry in document.get(nested, []):
            entry["organization_id"] = keys(entry.pop("organization"))
    if "created_at" in document:
        document["created_at"] = datetime.fromisoformat(document["created_at"])
    return document


def _prepare_exchange(item: dict[str, Any], keys: _Keys, subjects: dict[str, tuple[str, str]]) -> Document:
    """An exchange: its subject's kind and owner come from the subject's own item.

    ``last_by`` names the side that took the latest step: the other side is the one to notify.
    """
    subject_kind, owner_key = subjects[item["subject"]]
    owner, requester = keys(owner_key), keys(item["requester"])
    document = {
        k: v for k, v in item.items() if k not in ("key", "subject", "requester", "replication", "last_by")
    }
    document.update(
        _id=keys(item["key"]),
        is_demo=True,
        subject_kind=subject_kind,
        subject_id=keys(item["subject"]),
        owner_organization_id=owner,
        requester_organization_id=requester,
        replication_id=keys(item["replication"]) if "replication" in item else None,
        notify_organization_ids=[owner if item["last_by"] == "requester" else requester],
        created_at=datetime.fromisoformat(item["created_at"]),
    )
    return document


async def _load(store: VersionedStore[Any], documents: list[Document], record_type: type[Record]) -> int:
    for document in documents:  # fail loudly on a data error rather than store a bad record
        record_type.model_validate({**document, "version": 1, "updated_at": document.get("created_at")})
    await store.insert_many(documents)
    return len(documents)


# Fields of events.json that are turned into others (keys into IDs, offsets into times).
_EVENT_SOURCE_ONLY = {
    "key",
    "organizer",
    "co_organizers",
    "related_practices",
    "registrations",
    "starts_in_days",
    "local_time",
    "days",
    "hours",
    "registration_closes_days_before",
}


def _event_times(item: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The UTC start and end of a demo event, from its day offset and its venue's local time."""
    venue = item.get("venue")
    zone = ZoneInfo(time_zone_of_region(venue["region_code"] if venue else None))
    day = now.astimezone(zone).date() + timedelta(days=item["starts_in_days"])
    starts = datetime.combine(day, time.fromisoformat(item["local_time"]), tzinfo=zone)
    ends = starts + timedelta(days=item.get("days", 1) - 1, hours=item["hours"])
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _prepare_event(item: dict[str, Any], keys: _Keys, now: datetime) -> tuple[Document, list[Document]]:
    """An event document and its registrations, with the seat and waiting-list counts they make."""
    event_id = keys(item["key"])
    starts_at, ends_at = _event_times(item, now)
    document: Document = {k: v for k, v in item.items() if k not in _EVENT_SOURCE_ONLY}
    document.update(
        _id=event_id,
        is_demo=True,
        organizer_id=keys(item["organizer"]),
        co_organizer_ids=[keys(k) for k in item.get("co_organizers", [])],
        related_practice_ids=[keys(k) for k in item.get("related_practices", [])],
        starts_at=starts_at,
        ends_at=ends_at,
        # Written some weeks before it takes place (or before today, for those to come).
        created_at=min(starts_at, now) - timedelta(days=21),
    )
    if (closes_before := item.get("registration_closes_days_before")) is not None:
        document["registration_deadline"] = starts_at - timedelta(days=closes_before)
    registrations: list[Document] = []
    waiting = 0
    # Registered in the week before the event, or the week before today for one to come.
    first_registered = min(starts_at, now) - timedelta(days=7)
    for number, entry in enumerate(item.get("registrations", [])):
        status = RegistrationStatus[entry.get("status", RegistrationStatus.REGISTERED.value)]
        waiting += status is RegistrationStatus.WAITLISTED
        user_id = new_id()
        attended = bool(entry.get("attended", False))
        registrations.append(
            {
                "_id": f"{event_id}:{user_id}",
                "event_id": event_id,
                "user_id": user_id,
                "user_name": entry["name"],
                "organization_id": keys(entry["organization"]),
                "status": status.value,
                "position": waiting if status is RegistrationStatus.WAITLISTED else None,
                "registered_at": first_registered + timedelta(hours=3 * number),
                "cancelled_at": None,
                "attended": attended,
                "attendance_marked_at": ends_at + timedelta(hours=1) if attended else None,
                "certificate_code": entry.get("certificate_code"),
            }
        )
    document["registered_count"] = len(registrations) - waiting
    document["waitlist_count"] = waiting
    document["waitlist_seq"] = waiting  # the next to wait gets the next position
    if document["registered_count"] > document["capacity"]:
        raise ValueError(f"demo event {item['key']}: more seats taken than it has")
    return document, registrations


async def _load_events(stores: Stores, items: Sequence[dict[str, Any]], keys: _Keys) -> int:
    """Through the events store, as any event is written: sort keys, readers, search mark."""
    now = utc_now()
    prepared = [_prepare_event(item, keys, now) for item in items]
    registrations = [registration for _, found in prepared for registration in found]
    for registration in registrations:
        RegistrationRecord.model_validate(registration)
    count = await _load(stores.events, [document for document, _ in prepared], EventRecord)
    await stores.registrations.insert_many(registrations)
    return count


@translate_errors
async def load_demo_content(stores: Stores) -> dict[str, int]:
    """Insert the demo organizations, content and events; returns how many of each were loaded."""
    keys = _Keys()
    files = {name: read_demo_file(name) for name in ("organizations", *_CONTENT_FILES)}
    events = read_demo_file("events")
    exchanges = read_demo_file("exchanges")
    for items in (*files.values(), events, exchanges):
        for item in items:
            keys.assign(item)
    counts: dict[str, int] = {}
    for name, items in files.items():
        store: VersionedStore[Any] = getattr(stores, name)
        documents = [_prepare(item, keys) for item in items]
        counts[name] = await _load(store, documents, store.record_type)
    collections = {item["key"]: name for name in _CONTENT_FILES for item in files[name]}
    organizations = {item["name"]: keys(item["key"]) for item in files["organizations"]}
    threads, replies = _discussions(read_demo_file("discussions"), keys, collections, organizations)
    await stores.discussions.insert_many(threads, replies)
    counts["threads"], counts["replies"] = len(threads), len(replies)
    counts["events"] = await _load_events(stores, events, keys)
    subjects = {
        item["key"]: (kind, item["organization"])
        for name, kind in _SUBJECT_FILES.items()
        for item in files[name]
    }
    documents = [_prepare_exchange(item, keys, subjects) for item in exchanges]
    counts["exchanges"] = await _load(stores.exchanges, documents, stores.exchanges.record_type)
    content = {item["key"]: (name, item) for name in ("practices", "replications") for item in files[name]}
    counts["indicator_reports"] = await _load_indicator_reports(
        stores, read_demo_file("indicator_reports"), keys, content
    )
    return counts


# The practices and replications of the demo by key: (their collection, their item).
_Items = dict[str, tuple[str, dict[str, Any]]]


def _indicator_reports(series: dict[str, Any], keys: _Keys, items: _Items, today: date) -> list[Document]:
    """The reports of one series (see the module docstring)."""
    collection, item = items[series["item"]]
    indicator = next((i for i in item.get("results", []) if i["name"] == series["indicator"]), None)
    if indicator is None:
        raise ValueError(f"demo reports of {series['item']}: no indicator {series['indicator']!r}")
    granularity = PeriodGranularity[series["granularity"]]
    current = period_ordinal(granularity, period_containing(granularity, today))
    assert current is not None
    last = current - series["last_periods_ago"]
    values: list[float] = series["values"]
    documents = []
    for offset, value in enumerate(values):
        latest = offset == len(values) - 1
        document = report_document(
            subject_collection=collection,
            subject_id=keys(series["item"]),
            indicator_key=Indicator.model_validate(indicator).effective_key,
            granularity=granularity,
            period=period_of_ordinal(granularity, last - len(values) + 1 + offset),
            value=float(value),
            note=series.get("note") if latest else None,
            evidence_url=series.get("evidence_url") if latest else None,
            reported_by=None,
            reported_by_name=series.get("reporter"),
            organization_id=keys(item["organization"]),
        )
        documents.append({**document, "is_demo": True})
    return documents


async def _load_indicator_reports(
    stores: Stores, series: Sequence[dict[str, Any]], keys: _Keys, items: _Items
) -> int:
    today = utc_now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    documents = [document for entry in series for document in _indicator_reports(entry, keys, items, today)]
    now = utc_now()
    for document in documents:
        IndicatorReportRecord.model_validate({**document, "_id": "-", "created_at": now, "updated_at": now})
    await stores.indicator_reports.insert_many(documents)
    return len(documents)


def _post(item: dict[str, Any], keys: _Keys, organizations: dict[str, str]) -> Document:
    """What a thread and a reply share: the ID, text, author, mentions and time."""
    mentioned = [organizations[name] for name in dict.fromkeys(_MENTION.findall(item["body"]))]
    return {
        "_id": keys.assign(item),
        "body": item["body"],
        "author_id": None,
        "author_name": item["author_name"],
        "author_organization_id": keys(item["author_organization"]),
        "mentioned_organization_ids": mentioned,
        "created_at": datetime.fromisoformat(item["created_at"]),
        "is_demo": True,
    }


def _discussions(
    items: list[dict[str, Any]], keys: _Keys, collections: dict[str, str], organizations: dict[str, str]
) -> tuple[list[Document], list[Document]]:
    """Threads and replies from ``discussions.json``: a thread names its item, a reply the
    reply it quotes and a question its accepted answer, all by key."""
    threads: list[Document] = []
    replies: list[Document] = []
    for item in items:
        thread = _post(item, keys, organizations)
        its_replies = [
            {**_post(reply, keys, organizations), "thread_id": thread["_id"]} for reply in item["replies"]
        ]
        for reply, written in zip(its_replies, item["replies"], strict=True):
            quoted = keys(written["quotes"]) if written.get("quotes") else None
            if quoted is not None and quoted not in {other["_id"] for other in its_replies}:
                raise ValueError(f"{written['key']} quotes a reply of another thread")
            reply["quoted_reply_id"] = quoted
        threads.append(
            {
                **thread,
                "subject_collection": collections[item["subject"]],
                "subject_id": keys(item["subject"]),
                "kind": item["kind"],
                "title": item.get("title"),
                "accepted_reply_id": keys(item["accepted"]) if item.get("accepted") else None,
                "accepted_at": datetime.fromisoformat(item["accepted_at"]) if item.get("accepted") else None,
            }
        )
        replies.extend(its_replies)
    return threads, replies


@translate_errors
async def has_content(stores: Stores) -> bool:
    return await stores.organizations.collection.find_one({}, {"_id": 1}) is not None


@translate_errors
async def demo_organization_ids(stores: Stores, names: list[str]) -> dict[str, str]:
    """IDs of the demo organizations with these names (demo users are placed by name)."""
    cursor = stores.organizations.collection.find({"name": {"$in": names}, "is_demo": True}, {"name": 1})
    return {document["name"]: document["_id"] async for document in cursor}
