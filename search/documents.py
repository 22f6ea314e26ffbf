"""Search documents: what the engine holds for each record, and nothing more.

A document carries the text to search (original, and a stemmed copy for Indonesian morphology),
the facets, every enclosing region code (so a filter on a province finds its kelurahan) and the
record's version. It never carries personal data: no contact person, e-mail, phone or author
name (UU PDP), as search results are public.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from search.text import stem_text
from storage.discussions import ReplyRecord, ThreadRecord
from storage.events import EventRecord
from storage.records import (
    CaseStudyRecord,
    ContentRecord,
    OrganizationRecord,
    PartnershipRecord,
    Period,
    PracticeRecord,
    VersionedRecord,
)
from storage.store import region_scope
from storage.vocabulary import ContentStatus, EventStatus, PostState, RegionLevel

SearchDocument = dict[str, Any]


class ContentType(StrEnum):
    """What a search hit is; also the facet that tells the kinds apart."""

    PRACTICE = "PRACTICE"
    CASE_STUDY = "CASE_STUDY"
    PARTNERSHIP = "PARTNERSHIP"
    ORGANIZATION = "ORGANIZATION"
    DISCUSSION = "DISCUSSION"
    EVENT = "EVENT"


REGION_FACETS = {
    RegionLevel.PROVINCE: "region_province",
    RegionLevel.REGENCY_CITY: "region_regency",
    RegionLevel.KECAMATAN: "region_kecamatan",
    RegionLevel.KELURAHAN_DESA: "region_kelurahan",
}


def _regions(codes: Iterable[str]) -> SearchDocument:
    scope = region_scope(list(codes))
    fields: SearchDocument = {"regions": scope}
    for level, field in REGION_FACETS.items():
        fields[field] = [code for code in scope if RegionLevel.of_code(code) is level]
    return fields


def _year(period: Period | None, fallback: date) -> int:
    return period.start.year if period is not None and period.start is not None else fallback.year


def _text(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _base(record: VersionedRecord, content_type: ContentType, text: str) -> SearchDocument:
    return {
        "id": record.id,
        "type": content_type.value,
        "version": record.version,
        "created_at": int(record.created_at.timestamp() * 1000),  # milliseconds: writes come fast
        "is_demo": record.is_demo,
        "stemmed": stem_text(text),
    }


def _content(
    record: ContentRecord, content_type: ContentType, organization: OrganizationRecord | None, body: str
) -> SearchDocument:
    text = _text(record.title, record.title_en, record.summary, record.summary_en, body)
    return {
        **_base(record, content_type, text),
        "title": record.title,
        "title_en": record.title_en,
        "summary": record.summary,
        "summary_en": record.summary_en,
        "body": body,
        "status": record.status.value,
        "themes": [theme.value for theme in record.themes],
        "sdgs": list(record.sdgs),
        "organization_id": record.organization_id,
        "organization_name": organization.name if organization else None,
        "organization_kind": organization.kind.value if organization else None,
        **_regions(record.region_codes),
    }


def practice_document(record: PracticeRecord, organization: OrganizationRecord | None) -> SearchDocument:
    body = _text(
        record.problem,
        record.approach,
        record.legal_basis,
        *(f"{block.name}. {block.description}" for block in record.building_blocks),
        *record.lessons_learned,
    )
    document = _content(record, ContentType.PRACTICE, organization, body)
    document.update(
        stage=record.stage.value,
        is_digital=record.is_digital,
        year=_year(record.period, record.created_at.date()),
    )
    return document


def case_study_document(record: CaseStudyRecord, organization: OrganizationRecord | None) -> SearchDocument:
    body = _text(record.context, record.methodology, record.findings, record.recommendations)
    document = _content(record, ContentType.CASE_STUDY, organization, body)
    document["year"] = record.created_at.year
    return document


def partnership_document(
    record: PartnershipRecord, organization: OrganizationRecord | None
) -> SearchDocument:
    body = _text(*record.objectives, *record.outcomes, *(c.description for c in record.contributions))
    document = _content(record, ContentType.PARTNERSHIP, organization, body)
    document.update(
        partnership_status=record.partnership_status.value,
        year=_year(record.period, record.created_at.date()),
    )
    return document


def organization_document(record: OrganizationRecord) -> SearchDocument:
    text = _text(record.name, record.description, record.kind.label_id, record.kind.label_en)
    return {
        **_base(record, ContentType.ORGANIZATION, text),
        "title": record.name,
        "summary": record.description,
        "body": _text(record.kind.label_id, record.kind.label_en),
        # Organizations have no editorial workflow: they are always visible.
        "status": ContentStatus.PUBLISHED.value,
        "organization_id": record.id,
        "organization_name": record.name,
        "organization_kind": record.kind.value,
        "verified": record.verified,
        **_regions([record.region_code] if record.region_code else []),
    }


# A thread's title when it has none (a comment): the start of its text.
_UNTITLED_LENGTH = 120


def thread_document(
    thread: ThreadRecord,
    replies: Iterable[ReplyRecord],
    subject: ContentRecord | None,
    organization: OrganizationRecord | None,
) -> SearchDocument:
    """A thread with the text of its replies, found under its item's regions, themes and status.

    Deleted and hidden posts leave their text out; the author's name stays out as everywhere.
    A thread whose item is gone is indexed as archived, which no anonymous search shows.
    """
    own = thread.body if thread.state is PostState.VISIBLE else None
    answers = [reply.body for reply in replies if reply.state is PostState.VISIBLE and reply.body]
    accepted = next(
        (r.body for r in replies if r.id == thread.accepted_reply_id and r.state is PostState.VISIBLE), None
    )
    title = thread.title or (own or "")[:_UNTITLED_LENGTH]
    text = _text(title, own, *answers)
    return {
        **_base(thread, ContentType.DISCUSSION, text),
        "title": title,
        "summary": own,
        "body": _text(accepted, *(answer for answer in answers if answer != accepted)),
        "status": subject.status.value if subject else ContentStatus.ARCHIVED.value,
        "themes": [theme.value for theme in subject.themes] if subject else [],
        "sdgs": list(subject.sdgs) if subject else [],
        "organization_id": subject.organization_id if subject else None,
        "organization_name": organization.name if organization else None,
        "organization_kind": organization.kind.value if organization else None,
        "year": thread.created_at.year,
        "discussion_kind": thread.kind.value,
        "answered": thread.accepted_reply_id is not None,
        **_regions(subject.region_codes if subject else []),
    }


def event_document(record: EventRecord, organization: OrganizationRecord | None) -> SearchDocument:
    """An event, found by its text, themes, venue region and month; drafts for its organizers only."""
    venue_name = record.venue.name if record.venue else None
    text = _text(record.title, record.title_en, record.description, record.description_en, venue_name)
    return {
        **_base(record, ContentType.EVENT, text),
        "title": record.title,
        "title_en": record.title_en,
        "summary": record.description,
        "summary_en": record.description_en,
        "body": _text(record.kind.label_id, record.kind.label_en, venue_name),
        # The audience filter knows published content: an event out of draft is public.
        "status": ContentStatus.DRAFT.value
        if record.status is EventStatus.DRAFT
        else ContentStatus.PUBLISHED.value,
        "event_status": record.status.value,
        "themes": [theme.value for theme in record.themes],
        "organization_id": record.organizer_id,
        "organization_name": organization.name if organization else None,
        "organization_kind": organization.kind.value if organization else None,
        "year": record.starts_at.year,
        "month": record.starts_at.strftime("%Y-%m"),
        "starts_at": int(record.starts_at.timestamp()),
        **_regions([record.venue.region_code] if record.venue else []),
    }
