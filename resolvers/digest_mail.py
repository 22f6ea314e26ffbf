"""A digest as an email: subject and body in the user's language, plain text and HTML.

Everything a user or another user wrote (names, summaries) reaches the HTML part only through
``html.escape``; links are built from IDs and the configured public address, escaped too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from storage.vocabulary import MONTH_NAMES, DigestFrequency, Language, NotificationReason

SUMMARY_MAX = 200
_SPACES = re.compile(r"\s+")

_WEEKDAYS = {
    Language.ID: ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DASH = "\N{EN DASH}"  # between days of a range: "11-17 Mei" set as typesetters do
# What an entry is about, when it has no summary of its own.
_SUBJECT_NOUNS = {
    "Thread": ("Diskusi", "A discussion"),
    "Reply": ("Balasan", "A reply"),
    "Event": ("Kegiatan", "An event"),
    "Practice": ("Praktik baik", "A practice"),
    "CaseStudy": ("Studi kasus", "A case study"),
    "Partnership": ("Kemitraan", "A partnership"),
    "Replication": ("Replikasi", "A replication"),
    "ExchangeRequest": ("Permintaan kunjungan", "An exchange request"),
}
_WORDS = {
    Language.ID: {
        "subject.DAILY": "Ringkasan Lumbung: {count}, {period}",
        "subject.WEEKLY": "Ringkasan mingguan Lumbung: {count}, {period}",
        "count.one": "{n} pemberitahuan belum dibaca",
        "count.many": "{n} pemberitahuan belum dibaca",
        "greeting": "Halo {name},",
        "intro": "Berikut pemberitahuan Lumbung yang belum Anda baca dari {period}.",
        "by": "oleh {name}",
        "more": "dan {n} lainnya",
        "open": "Buka Lumbung",
        "why.DAILY": "Anda menerima ringkasan harian ini sesuai pengaturan pemberitahuan Anda "
        "(hari menurut waktu Jakarta, WIB).",
        "why.WEEKLY": "Anda menerima ringkasan mingguan ini sesuai pengaturan pemberitahuan Anda "
        "(pekan Senin-Minggu menurut waktu Jakarta, WIB).",
        "unsubscribe": "Berhenti menerima ringkasan email",
        "week": "pekan {week} ({days})",
    },
    Language.EN: {
        "subject.DAILY": "Lumbung digest: {count}, {period}",
        "subject.WEEKLY": "Lumbung weekly digest: {count}, {period}",
        "count.one": "{n} unread notification",
        "count.many": "{n} unread notifications",
        "greeting": "Hello {name},",
        "intro": "Here are your unread Lumbung notifications of {period}.",
        "by": "by {name}",
        "more": "and {n} more",
        "open": "Open Lumbung",
        "why.DAILY": "You get this daily digest because of your notification settings "
        "(days in Jakarta time, WIB).",
        "why.WEEKLY": "You get this weekly digest because of your notification settings "
        "(weeks from Monday to Sunday in Jakarta time, WIB).",
        "unsubscribe": "Stop these email digests",
        "week": "week {week} ({days})",
    },
}


@dataclass(frozen=True, slots=True)
class DigestEntry:
    summary: str | None
    actor_name: str | None
    subject_type: str
    link: str


@dataclass(frozen=True, slots=True)
class DigestGroup:
    reason: NotificationReason
    entries: Sequence[DigestEntry]
    # All of the period's unread ones of this reason; ``entries`` may show fewer.
    count: int


@dataclass(frozen=True, slots=True)
class Digest:
    claim_id: str
    name: str
    email: str
    language: Language
    frequency: DigestFrequency
    first_day: date
    last_day: date
    # ISO week number of a weekly digest's period.
    week: int
    groups: Sequence[DigestGroup]
    hub_url: str
    unsubscribe_url: str

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)


def _day(day: date, language: Language, *, weekday: bool = False, year: bool = True) -> str:
    text = f"{day.day} {MONTH_NAMES[language][day.month - 1]}" + (f" {day.year}" if year else "")
    return f"{_WEEKDAYS[language][day.weekday()]} {text}" if weekday else text


def period_label(digest: Digest, *, dash: str = _DASH) -> str:
    """Its days: a daily one's date, a weekly one's ISO week and days (with an en dash between)."""
    language, first, last = digest.language, digest.first_day, digest.last_day
    if digest.frequency is DigestFrequency.DAILY:
        return _day(first, language, weekday=True)
    if (first.year, first.month) == (last.year, last.month):
        days = f"{first.day}{dash}{_day(last, language)}"
    elif first.year == last.year:
        days = f"{_day(first, language, year=False)} {dash} {_day(last, language)}"
    else:
        days = f"{_day(first, language)} {dash} {_day(last, language)}"
    return _WORDS[language]["week"].format(week=digest.week, days=days)


def _count(digest: Digest) -> str:
    words = _WORDS[digest.language]
    return words["count.one" if digest.total == 1 else "count.many"].format(n=digest.total)


def subject_line(digest: Digest) -> str:
    template = _WORDS[digest.language][f"subject.{digest.frequency.value}"]
    # An ASCII subject: Python folds a non-ASCII one with a space too many where it wraps.
    return template.format(count=_count(digest), period=period_label(digest, dash="-"))


def _label(reason: NotificationReason, language: Language) -> str:
    return reason.label_id if language is Language.ID else reason.label_en


def _entry_text(entry: DigestEntry, language: Language) -> str:
    """One line of what happened, in plain text (escaped later for HTML)."""
    summary = _SPACES.sub(" ", entry.summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1].rstrip() + "…"
    if not summary:
        nouns = _SUBJECT_NOUNS.get(entry.subject_type, ("Lumbung", "Lumbung"))
        summary = nouns[0] if language is Language.ID else nouns[1]
    return summary


def _actor(entry: DigestEntry, language: Language) -> str | None:
    name = _SPACES.sub(" ", entry.actor_name or "").strip()
    return _WORDS[language]["by"].format(name=name) if name else None


def text_body(digest: Digest) -> str:
    language, words = digest.language, _WORDS[digest.language]
    lines = [
        words["greeting"].format(name=digest.name),
        "",
        words["intro"].format(period=period_label(digest)),
    ]
    for group in digest.groups:
        lines += ["", f"{_label(group.reason, language)} ({group.count})"]
        for entry in group.entries:
            actor = _actor(entry, language)
            lines.append(f"  - {_entry_text(entry, language)}" + (f" ({actor})" if actor else ""))
            lines.append(f"    {entry.link}")
        if (hidden := group.count - len(group.entries)) > 0:
            lines.append(f"  {words['more'].format(n=hidden)}: {digest.hub_url}")
    lines += [
        "",
        f"{words['open']}: {digest.hub_url}",
        "",
        "-- ",
        words[f"why.{digest.frequency.value}"],
        f"{words['unsubscribe']}: {digest.unsubscribe_url}",
    ]
    return "\n".join(lines) + "\n"


def _link(url: str, text: str, style: str = "color:#0b6e4f") -> str:
    return f'<a href="{html.escape(url, quote=True)}" style="{style}">{html.escape(text)}</a>'


def html_body(digest: Digest) -> str:
    language, words = digest.language, _WORDS[digest.language]
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language.value.lower()}"><head><meta charset="utf-8">',
        f"<title>{e(subject_line(digest))}</title></head>",
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1d1d1b">',
        f"<p>{e(words['greeting'].format(name=digest.name))}</p>",
        f"<p>{e(words['intro'].format(period=period_label(digest)))}</p>",
    ]
    for group in digest.groups:
        parts.append(
            f'<h2 style="font-size:17px;margin:24px 0 8px">{e(_label(group.reason, language))} '
            f'<span style="color:#6b6b6b;font-weight:normal">({group.count})</span></h2>'
        )
        parts.append('<ul style="padding-left:20px;margin:0">')
        for entry in group.entries:
            actor = _actor(entry, language)
            suffix = f' <span style="color:#6b6b6b">— {e(actor)}</span>' if actor else ""
            parts.append(
                f'<li style="margin:4px 0">{_link(entry.link, _entry_text(entry, language))}{suffix}</li>'
            )
        if (hidden := group.count - len(group.entries)) > 0:
            parts.append(
                f'<li style="margin:4px 0">{_link(digest.hub_url, words["more"].format(n=hidden))}</li>'
            )
        parts.append("</ul>")
    button = "display:inline-block;padding:8px 16px;background:#0b6e4f;color:#ffffff;text-decoration:none"
    parts += [
        f'<p style="margin:24px 0">{_link(digest.hub_url, words["open"], button)}</p>',
        '<hr style="border:none;border-top:1px solid #dddddd">',
        f'<p style="font-size:12px;color:#6b6b6b">{e(words[f"why.{digest.frequency.value}"])} '
        f"{_link(digest.unsubscribe_url, words['unsubscribe'], 'color:#6b6b6b')}</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def message_id(digest: Digest, mail_from: str) -> str:
    """The same for every attempt at one digest: a receiver may drop a copy it already has."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "lumbung.local"
    local = re.sub(r"[^A-Za-z0-9.-]", ".", f"digest.{digest.claim_id}")
    return f"<{local}@{domain}>"


def build_message(digest: Digest, *, mail_from: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject_line(digest)
    message["From"] = mail_from
    message["To"] = Address(display_name=_SPACES.sub(" ", digest.name).strip(), addr_spec=digest.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(digest, mail_from)
    # RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs to this URL.
    message["List-Unsubscribe"] = f"<{digest.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: no vacation or out-of-office replies to this.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body(digest))
    message.add_alternative(html_body(digest), subtype="html")
    # After the parts: set_content and add_alternative move or drop the Content-* headers.
    message["Content-Language"] = digest.language.value.lower()
    return message
