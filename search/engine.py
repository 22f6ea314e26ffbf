"""The search engine as the app uses it: a Meilisearch client, the index names, and health."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError, MeilisearchError
from meilisearch_python_sdk.models.search import SearchResultsFederated, SearchResultsWithUID
from meilisearch_python_sdk.models.task import TaskResult
from meilisearch_python_sdk.types import JsonDict

from search.errors import SearchUnavailable
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


# The SDK parametrizes its result models on every search (``SearchResultsFederated[JsonDict]``).
# Pydantic caches a parametrized model only while something references it, so without these the
# model was rebuilt, schema and all, whenever the garbage collector had run: 3-7 ms a search.
_RESULT_MODELS = (SearchResultsFederated[JsonDict], SearchResultsWithUID[JsonDict])


def open_client(url: str, api_key: str | None, *, timeout_s: int = 5) -> AsyncClient:
    # Uncompressed replies: a gzipped, chunked reply from Meilisearch stalls on a delayed TCP
    # acknowledgement, about 40 ms per search measured here (bench/README.md, "Search").
    return AsyncClient(url, api_key, timeout=timeout_s, custom_headers={"Accept-Encoding": "identity"})


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
    client: AsyncClient
    names: IndexNames

    def index_uid(self, spec: IndexSpec) -> str:
        return self.names.of(spec)

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
