"""The search engine as the app uses it: a Meilisearch client, the index names, and health."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpx2
import orjson
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError, MeilisearchError
from meilisearch_python_sdk.models.task import TaskResult

from search.errors import SearchUnavailable
from search.http import ConnectionPool, Reply
from search.indexes import SPECS, IndexNames, IndexSpec, settings_for

logger = logging.getLogger("lumbung.search")

P = ParamSpec("P")
T = TypeVar("T")

TASK_TIMEOUT_MS = 30_000
TASK_POLL_MS = 10


def translate_errors(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Report any failure to talk to Meilisearch as SearchUnavailable."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except MeilisearchApiError as exc:  # Meilisearch answered, but no: a bug or a misconfiguration
            logger.error("Meilisearch refused a request: %s", exc)
            raise SearchUnavailable(f"the search engine refused the request: {exc.code}") from exc
        except (MeilisearchError, httpx2.HTTPError, TimeoutError) as exc:  # the SDK's HTTP client is httpx2
            raise SearchUnavailable(f"the search engine failed: {type(exc).__name__}") from exc

    return wrapper


# Uncompressed replies: a gzipped, chunked reply from Meilisearch stalled on a delayed TCP
# acknowledgement, about 40 ms per search measured here (bench/README.md, "Search").
_HEADERS = {"Accept-Encoding": "identity"}


# Meilisearch error codes that name a defect of one document: its ID (characters other than a-z A-Z
# 0-9 - _, or over 511 bytes), a missing ID, a missing field, a malformed ``_geo``/``_geojson``.
# Left out on purpose: codes of the index or the engine that every document would meet alike
# (``index_primary_key_already_exists``, ``max_fields_limit_exceeded``, ``no_space_left_on_device``
# ...). See https://www.meilisearch.com/docs/reference/errors/error_codes and, for which failure
# maps to which code, ``impl ErrorCode for milli::Error`` in Meilisearch's meilisearch-types.
DOCUMENT_ERRORS = frozenset(
    {
        "invalid_document_id",
        "missing_document_id",
        "invalid_document_fields",
        "invalid_document_geo_field",
        "invalid_document_geojson_field",
    }
)


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """How a Meilisearch task ended and, unless it succeeded, what Meilisearch said.

    ``error_type`` is Meilisearch's own classification: ``invalid_request`` when the request's
    content was at fault, ``internal`` or ``system`` when the engine could not work (a bug, a full
    disk), ``auth`` for keys. A canceled task has no error at all.
    """

    status: str
    error_code: str | None = None
    error_type: str | None = None
    error_message: str | None = None

    @classmethod
    def of(cls, task: TaskResult) -> TaskOutcome:
        error = task.error or {}
        return cls(
            status=task.status,
            error_code=error.get("code"),
            error_type=error.get("type"),
            error_message=error.get("message"),
        )

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def refused(self) -> bool:
        """Meilisearch refused what was sent, rather than failing to process it."""
        return self.status == "failed" and self.error_type == "invalid_request"

    @property
    def names_a_document(self) -> bool:
        """Refused for a defect of a document, by Meilisearch's own error code."""
        return self.refused and self.error_code in DOCUMENT_ERRORS

    def describe(self) -> str:
        if self.error_code is None:
            return f"task {self.status}"
        return f"{self.error_code}: {self.error_message}"


@dataclass(frozen=True, slots=True)
class SearchEngine:
    """Meilisearch: ``client`` (the SDK) for indexes, documents and tasks, ``searches`` to search."""

    client: AsyncClient
    searches: ConnectionPool
    names: IndexNames
    # Told of every search: its duration in seconds and whether it succeeded (the metrics).
    observe: Callable[[float, bool], None] | None = None

    @classmethod
    def open(
        cls,
        url: str,
        api_key: str | None,
        *,
        names: IndexNames,
        timeout_s: int = 5,
        observe: Callable[[float, bool], None] | None = None,
    ) -> SearchEngine:
        """Clients of the Meilisearch at ``url``; ``aclose`` closes them."""
        headers = {**_HEADERS, **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
        return cls(
            client=AsyncClient(url, api_key, timeout=timeout_s, custom_headers=_HEADERS),
            searches=ConnectionPool(url, headers=headers, timeout_s=timeout_s),
            names=names,
            observe=observe,
        )

    async def aclose(self) -> None:
        await self.searches.aclose()
        await self.client.aclose()

    def index_uid(self, spec: IndexSpec) -> str:
        return self.names.of(spec)

    async def multi_search(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /multi-search: ``{"queries": [...]}`` and, to merge them, ``"federation"``.

        Bodies and replies are Meilisearch's own JSON, camelCase: the SDK's models cost about
        0.3 ms a search to build and read, for requests this package writes itself.
        """
        started = time.perf_counter()
        ok = False
        try:
            answer = await self._multi_search(body)
            ok = True
            return answer
        finally:
            if self.observe is not None:
                self.observe(time.perf_counter() - started, ok)

    async def _multi_search(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.searches.post("/multi-search", orjson.dumps(body))
        if reply.status != 200:
            code = _error_code(reply)
            logger.error("Meilisearch refused a search: %s %s", reply.status, reply.body[:500])
            raise SearchUnavailable(f"the search engine refused the request: {code}")
        try:
            answer = orjson.loads(reply.body)
        except orjson.JSONDecodeError as exc:
            raise SearchUnavailable("the search engine answered with malformed JSON") from exc
        if not isinstance(answer, dict):
            raise SearchUnavailable("the search engine answered with something else than an object")
        return answer

    @translate_errors
    async def healthy(self) -> bool:
        return (await self.client.health()).status == "available"

    @translate_errors
    async def wait(self, task_uid: int) -> TaskOutcome:
        """Wait for a task to end: succeeded, or failed or canceled and why."""
        result = await self.client.wait_for_task(
            task_uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=TASK_POLL_MS
        )
        return TaskOutcome.of(result)

    @translate_errors
    async def prepare(self, *, uid: str | None = None, spec: IndexSpec) -> None:
        """Create the index if missing and apply its settings; harmless when they already hold."""
        uid = uid or self.index_uid(spec)
        try:
            await self.client.get_index(uid)
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise
            await self.client.create_index(uid, primary_key="id", timeout_in_ms=TASK_TIMEOUT_MS)
        task = await self.client.index(uid).update_settings(settings_for(spec))
        outcome = await self.wait(task.task_uid)
        if not outcome.succeeded:
            raise SearchUnavailable(f"Meilisearch refused the settings of {uid}: {outcome.describe()}")

    async def prepare_all(self) -> None:
        for spec in SPECS:
            await self.prepare(spec=spec)


def _error_code(reply: Reply) -> str:
    """Meilisearch's error code (``index_not_found``...), or the HTTP status if it gave none."""
    try:
        error = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        error = None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else f"HTTP {reply.status}"
