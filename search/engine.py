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
    async def wait(self, task_uid: int) -> bool:
        """Wait for a task; True when it succeeded."""
        result = await self.client.wait_for_task(
            task_uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=TASK_POLL_MS
        )
        return result.status == "succeeded"

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
        if not await self.wait(task.task_uid):
            raise SearchUnavailable(f"Meilisearch refused the settings of {uid}")

    async def prepare_all(self) -> None:
        for spec in SPECS:
            await self.prepare(spec=spec)
