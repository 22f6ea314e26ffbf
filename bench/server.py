"""The app as served in production, plus bare Starlette endpoints doing the same MongoDB reads.

The bare endpoints are the baseline: the same finds (a page, then the organizations, regions
and replications of the page, one query each) with the documents returned as JSON, and no
GraphQL, validation or records in between. ``uvicorn bench.server:app`` serves both.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.app import create_app
from server.settings import Settings
from storage.database import Stores


def _jsonable(document: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in document.items()
    }


async def _by_id(stores: Stores, collection: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    cursor = stores.database[collection].find({"_id": {"$in": ids}})
    return {doc["_id"]: _jsonable(doc) async for doc in cursor}


async def bare_practices(request: Request) -> JSONResponse:
    """A page of 20 practices with their organizations, regions and replications."""
    stores: Stores = request.state.stores
    page = await stores.practices.collection.find({}).sort("newest_key", -1).limit(21).to_list()
    practices = [_jsonable(doc) for doc in page[:20]]
    organizations = await _by_id(stores, "organizations", list({p["organization_id"] for p in practices}))
    regions = await _by_id(stores, "regions", list({c for p in practices for c in p["region_codes"]}))
    replications: dict[str, list[dict[str, Any]]] = {}
    async for doc in stores.replications.collection.find(
        {"practice_id": {"$in": [p["_id"] for p in practices]}}
    ):
        replications.setdefault(doc["practice_id"], []).append(_jsonable(doc))
    for practice in practices:
        practice["organization"] = organizations.get(practice["organization_id"])
        practice["regions"] = [regions.get(code) for code in practice["region_codes"]]
        practice["replications"] = replications.get(practice["_id"], [])
    return JSONResponse({"practices": practices, "hasNextPage": len(page) > 20})


async def bare_node(request: Request) -> JSONResponse:
    """One practice by ID with its organization."""
    stores: Stores = request.state.stores
    practice = await stores.practices.collection.find_one({"_id": request.path_params["id"]})
    if practice is None:
        return JSONResponse({"practice": None})
    organization = await stores.organizations.collection.find_one({"_id": practice["organization_id"]})
    result = _jsonable(practice)
    result["organization"] = _jsonable(organization) if organization else None
    return JSONResponse({"practice": result})


def build() -> Starlette:
    app = create_app(Settings())
    app.router.routes.extend([Route("/bare/practices", bare_practices), Route("/bare/node/{id}", bare_node)])
    return app


app = build()
