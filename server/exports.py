"""``/export/practices.csv`` and ``/export/practices.xlsx``: practices for spreadsheet programs.

The filter is the ``practices`` query's, as query parameters (``theme``, ``sdg``, ``regionCode``,
``organizationId``, ``status``, ``stage``; a repeated parameter lists values), and ``layout`` is
``lumbung`` (every field, importable again) or ``national`` (the national regional-innovation
reporting). Anonymous requests get published practices; with ``Authorization: Bearer`` what
that viewer may read, personal contact data included for signed-in viewers, as in the API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from enum import Enum
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from resolvers.accounts import viewer_of
from resolvers.auth import AuthConfig
from resolvers.content import content_filter
from resolvers.context import Context
from resolvers.errors import Unauthenticated, UserInputError
from resolvers.spreadsheets import Cell, Layout, export_rows
from resolvers.viewer import Viewer
from server.endpoint import refusal
from server.tables import BOM, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_line, xlsx_bytes
from storage.errors import StorageUnavailable
from storage.store import utc_now
from storage.vocabulary import ContentStatus, Stage, Theme

E = TypeVar("E", bound=Enum)
Endpoint = Callable[[Request], Awaitable[Response]]


def _members(enum: type[E], values: Sequence[str], name: str) -> list[E]:
    if unknown := [value for value in values if value not in enum.__members__]:
        raise UserInputError(f"`{name}` holds an unknown value: {unknown[0][:40]!r}.", argument=name)
    return [enum[value] for value in values]


def _sdgs(values: Sequence[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise UserInputError("`sdg` values are SDG numbers, 1 to 17.", argument="sdg") from None


def _layout(value: str | None) -> Layout:
    try:
        return Layout(value or Layout.LUMBUNG.value)
    except ValueError:
        raise UserInputError("`layout` is `lumbung` or `national`.", argument="layout") from None


async def _viewer(request: Request, auth: AuthConfig) -> Viewer:
    header = request.headers.get("authorization")
    if header is None:
        return Viewer()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send `Authorization: Bearer <accessToken>`.")
    return await viewer_of(request.state.stores, auth, token.strip())


def _filename(layout: Layout, extension: str) -> str:
    stem = "praktik-baik" if layout is Layout.LUMBUNG else "inovasi-daerah"
    return f"{stem}-{utc_now():%Y%m%d}.{extension}"


def routes(auth: AuthConfig) -> list[Route]:
    async def prepare(request: Request) -> tuple[Layout, AsyncIterator[list[Cell]]] | Response:
        try:
            viewer = await _viewer(request, auth)
        except Unauthenticated as exc:
            return refusal(401, str(exc), "UNAUTHENTICATED")
        except StorageUnavailable:
            return refusal(503, "The database is unavailable; try again shortly.", "SERVICE_UNAVAILABLE")
        context = Context.for_request(
            request.state.stores, request_id=uuid.uuid4().hex, auth=auth, viewer=viewer
        )
        params = request.query_params
        try:
            layout = _layout(params.get("layout"))
            store_filter = content_filter(
                context,
                themes=_members(Theme, params.getlist("theme"), "theme"),
                sdgs=_sdgs(params.getlist("sdg")),
                region_code=params.get("regionCode"),
                organization_ids=params.getlist("organizationId"),
                statuses=_members(ContentStatus, params.getlist("status"), "status"),
                stages=_members(Stage, params.getlist("stage"), "stage"),
            )
        except UserInputError as exc:
            return refusal(400, str(exc), "BAD_USER_INPUT")
        return layout, export_rows(context, filter=store_filter, layout=layout)

    async def as_csv(request: Request) -> Response:
        prepared = await prepare(request)
        if isinstance(prepared, Response):
            return prepared
        layout, rows = prepared

        async def body() -> AsyncIterator[str]:
            yield BOM  # so that Excel reads it as UTF-8
            async for row in rows:
                yield csv_line(row)

        headers = {"Content-Disposition": f'attachment; filename="{_filename(layout, "csv")}"'}
        return StreamingResponse(body(), media_type=CSV_MEDIA_TYPE, headers=headers)

    async def as_xlsx(request: Request) -> Response:
        prepared = await prepare(request)
        if isinstance(prepared, Response):
            return prepared
        layout, rows = prepared
        collected = [row async for row in rows]
        title = "Praktik Baik" if layout is Layout.LUMBUNG else "Inovasi Daerah"
        content = await asyncio.to_thread(xlsx_bytes, collected, title=title)
        headers = {"Content-Disposition": f'attachment; filename="{_filename(layout, "xlsx")}"'}
        return Response(content, media_type=XLSX_MEDIA_TYPE, headers=headers)

    return [
        Route("/export/practices.csv", as_csv, methods=["GET"]),
        Route("/export/practices.xlsx", as_xlsx, methods=["GET"]),
    ]
