"""iCalendar (RFC 5545) feeds of events at plain HTTP routes, for calendar apps that speak no GraphQL.

``/events.ics`` lists the events of a filter (``from``, ``to``, ``regionCode``, ``theme``,
``kind``: the same as `events(filter:)`), ``/events/<id>.ics`` one event. Without ``from`` the
feed starts ``FEED_PAST_DAYS`` ago: a calendar app that subscribes to it wants what is coming
and what just happened, not the oldest events of the hub. Calendar apps fetch
them without credentials, so they show what anonymous visitors see: events out of draft.
Times are written in UTC (``Z``), which every calendar app shows in its user's own zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from resolvers import events
from resolvers.auth import AuthConfig
from resolvers.context import Context
from resolvers.errors import UserInputError
from resolvers.ids import encode_id
from server.endpoint import refusal
from storage.events import EventRecord
from storage.store import utc_now
from storage.vocabulary import EventKind, EventStatus, Theme

MEDIA_TYPE = "text/calendar; charset=utf-8"
FEED_LIMIT = 100
FEED_PAST_DAYS = 90
_LINE_OCTETS = 75


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslashes, semicolons, commas and line breaks escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside a character."""
    encoded = line.encode()
    if len(encoded) <= _LINE_OCTETS:
        return line
    parts: list[str] = []
    current, size = "", 0
    for character in line:
        width = len(character.encode())
        limit = _LINE_OCTETS if not parts else _LINE_OCTETS - 1
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += character
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(record: EventRecord, *, base_url: str, now: datetime) -> list[str]:
    global_id = encode_id("Event", record.id)
    location = (
        ", ".join(part for part in (record.venue.name, record.venue.address) if part)
        if record.venue
        else None
    )
    description = record.description + (f"\n\n{record.online_url}" if record.online_url else "")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{record.id}@lumbung",
        f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(record.starts_at)}",
        f"DTEND:{stamp(record.ends_at)}",
        f"SUMMARY:{escape(record.title)}",
        f"DESCRIPTION:{escape(description)}",
        f"CATEGORIES:{escape(record.kind.label_id)}",
        f"STATUS:{'CANCELLED' if record.status is EventStatus.CANCELLED else 'CONFIRMED'}",
        f"SEQUENCE:{record.version}",
        f"URL:{base_url}/#/kegiatan/{global_id}",
        f"LAST-MODIFIED:{stamp(record.updated_at)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    lines.append("END:VEVENT")
    return lines


def calendar(records: Iterable[EventRecord], *, name: str, base_url: str) -> str:
    now = utc_now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Lumbung//Kegiatan dan pelatihan//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for record in records:
        lines.extend(vevent(record, base_url=base_url, now=now))
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)


def _context(request: Request, auth: AuthConfig) -> Context:
    return Context.for_request(request.state.stores, request_id=uuid.uuid4().hex, auth=auth)


def _datetime(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise UserInputError(f"`{name}` is not an ISO 8601 date and time.", argument=name) from exc


def _themes(values: Sequence[str]) -> list[Theme]:
    if unknown := [value for value in values if value not in Theme.__members__]:
        raise UserInputError(f"`theme` holds an unknown value: {unknown[0][:40]!r}.", argument="theme")
    return [Theme[value] for value in values]


def _kinds(values: Sequence[str]) -> list[EventKind]:
    if unknown := [value for value in values if value not in EventKind.__members__]:
        raise UserInputError(f"`kind` holds an unknown value: {unknown[0][:40]!r}.", argument="kind")
    return [EventKind[value] for value in values]


Endpoint = Callable[[Request], Awaitable[Response]]


def routes(auth: AuthConfig) -> tuple[Endpoint, Endpoint]:
    """The two endpoints, bound to the app's credentials settings (for the request context)."""

    async def feed(request: Request) -> Response:
        params = request.query_params
        context = _context(request, auth)
        try:
            store_filter = events.event_filter(
                context,
                starts_from=_datetime(params.get("from"), "from")
                or utc_now() - timedelta(days=FEED_PAST_DAYS),
                starts_before=_datetime(params.get("to"), "to"),
                region_code=params.get("regionCode"),
                themes=_themes(params.getlist("theme")),
                kinds=_kinds(params.getlist("kind")),
            )
            page = await events.find_events(context, filter=store_filter, first=FEED_LIMIT, after=None)
        except UserInputError as exc:
            return refusal(400, str(exc), "BAD_USER_INPUT")
        body = calendar(
            page.items, name="Lumbung: kegiatan dan pelatihan", base_url=str(request.base_url).rstrip("/")
        )
        return Response(body, media_type=MEDIA_TYPE)

    async def one(request: Request) -> Response:
        context = _context(request, auth)
        found = await events.get_event(context, request.path_params["id"])
        if found is None:
            return refusal(404, "No event has this ID.", "NOT_FOUND")
        body = calendar([found], name=found.title, base_url=str(request.base_url).rstrip("/"))
        headers = {"Content-Disposition": 'attachment; filename="kegiatan.ics"'}
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

    return feed, one
