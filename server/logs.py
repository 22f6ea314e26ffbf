"""Logging: one JSON object a line in production, short human lines in development.

Each record carries what is known of the request it belongs to (``request_id``, ``operation``,
``viewer_id``), bound in context variables by the access-log middleware and the GraphQL endpoint,
so a traceback logged deep in a resolver is found again by the ID the client was shown.

Dependencies log at WARNING unless asked otherwise (``LUMBUNG_DEPENDENCY_LOG_LEVEL``): httpx writes
a line for every HTTP call, which is every task poll of the indexer, and uvicorn one per request.
The hub's own access log (``lumbung.access``) has one line per request with its duration: at
INFO with JSON logs, where a log pipeline counts them; in a terminal only the failed and slow ones.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any, Literal

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["json", "text"]

# The packages of this project: they log at LUMBUNG_LOG_LEVEL, everything else at the dependency level.
OWN_LOGGERS = ("lumbung", "server", "schema", "resolvers", "search", "storage")
ACCESS_LOGGER = "lumbung.access"
# Requests slower than this are logged in a terminal too.
SLOW_SECONDS = 2.0

_REQUEST: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "lumbung_request", default=None
)
_REQUEST_FIELDS = ("request_id", "operation", "viewer_id")
# Attributes every LogRecord has: what is not among them came in through ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", *_REQUEST_FIELDS}


def bind(**fields: str | None) -> None:
    """Attach fields to the request being handled (a no-op outside a request)."""
    current = _REQUEST.get()
    if current is not None:
        current.update({name: value for name, value in fields.items() if value})


def current_request_id() -> str | None:
    current = _REQUEST.get()
    return current.get("request_id") if current else None


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[dict[str, str]]:
    token = _REQUEST.set({"request_id": request_id})
    try:
        yield _REQUEST.get() or {}
    finally:
        _REQUEST.reset(token)


class RequestFields(logging.Filter):
    """Copies the request's fields onto every record logged while handling it."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_REQUEST.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _REQUEST_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                entry[name] = value
        entry.update(
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``13:20:15 INFO    loaded 91,599 regions in 5.4 s``; a dependency's name is shown."""

    def __init__(self) -> None:
        super().__init__(datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        own = record.name.split(".")[0] in OWN_LOGGERS or record.name.startswith("uvicorn")
        line = f"{self.formatTime(record, self.datefmt)} {record.levelname:<7} "
        line += record.getMessage() if own else f"{record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id and record.levelno >= logging.WARNING and record.name != ACCESS_LOGGER:
            line += f" [request {request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(
    *,
    level: str = "INFO",
    log_format: LogFormat = "text",
    dependency_level: str = "WARNING",
    access_log: bool | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Set up the root logger for a process (the CLI calls it; an app factory never does)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(dependency_level)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # uvicorn's start and stop lines are the server's life, not chatter; its access log is off.
    logging.getLogger("uvicorn.error").setLevel(level)
    logging.getLogger("uvicorn.access").setLevel("WARNING")
    access = log_format == "json" if access_log is None else access_log
    logging.getLogger(ACCESS_LOGGER).setLevel(level if access else "WARNING")


def route_of(path: str) -> str:
    """A bounded label for a request path (metrics and access lines)."""
    if path in ("/graphql", "/healthz", "/readyz", "/metrics", "/events.ics"):
        return path
    if path.startswith("/events/"):
        return "/events/{id}.ics"
    if path.startswith("/export/"):
        return "/export"
    return "static"


class AccessLog:
    """One line per HTTP request, the request's ID bound for everything logged while it runs.

    The ID is the client's ``X-Request-ID`` when it is a sane one, else a new one; every response
    carries it back.
    """

    def __init__(self, app: ASGIApp, *, observe: Any = None) -> None:
        self.app = app
        # observe(route, method, status, seconds): the metrics' HTTP counters
        self.observe = observe
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _sane_id(given) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-ID"] = request_id
            await send(message)

        with request_scope(request_id) as fields:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_of(scope["path"])
                if self.observe is not None:
                    self.observe(route, scope["method"], status, seconds)
                slow_or_failed = status >= 500 or seconds >= SLOW_SECONDS
                level = logging.WARNING if slow_or_failed else logging.INFO
                if self.logger.isEnabledFor(level):
                    self.logger.log(
                        level,
                        "%s %s %d %.1f ms%s",
                        scope["method"],
                        scope["path"],
                        status,
                        seconds * 1000,
                        f" ({fields['operation']})" if "operation" in fields else "",
                        extra={
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(seconds * 1000, 2),
                        },
                    )


def _sane_id(value: str) -> bool:
    return 0 < len(value) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-") for c in value)
