"""Conformance with the GraphQL-over-HTTP spec, audited by the reference suite (npm graphql-http)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "tests" / "graphql_http_audit.mjs"


async def _audit(url: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        "node", str(AUDIT), url, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    report: dict[str, Any] = json.loads(stdout or b"{}")
    assert "fatal" not in report, report["fatal"] + stderr.decode()
    return report


async def test_server_passes_every_must_and_should_of_the_audit(served: str) -> None:
    # when
    report = await _audit(f"{served}/graphql")
    # then: graphql-http reports failed MUSTs as "error" and failed SHOULDs as "warn"
    results = report["results"]
    assert len(results) >= 60
    failures = [r for r in results if r["status"] in ("error", "warn")]
    assert failures == []


async def test_graphql_response_media_type_uses_status_codes(served: str) -> None:
    # given
    headers = {"accept": "application/graphql-response+json"}
    async with httpx.AsyncClient(base_url=served) as client:
        # when
        ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
        unacceptable = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/xml"}
        )
    # then
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert invalid.status_code == 400
    assert "data" not in invalid.json()
    assert unacceptable.status_code == 406


async def test_graphiql_is_served_to_browsers_in_development(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
