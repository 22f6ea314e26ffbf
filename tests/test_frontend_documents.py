"""Every GraphQL document of the web client is valid against the schema (a merge can break one)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from graphql import parse, validate

from schema import build_schema

SCRIPT = Path(__file__).parent / "js" / "documents.mjs"


def test_web_client_documents_validate_against_the_schema() -> None:
    # given every document api.js exports, as the browser builds them
    output = subprocess.run(
        ["node", "--no-warnings", str(SCRIPT)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    documents: dict[str, str] = json.loads(output)
    schema = build_schema()._schema
    # when each is parsed and validated
    problems = {name: [e.message for e in validate(schema, parse(text))] for name, text in documents.items()}
    # then none has an error (and there are documents to check)
    assert len(documents) > 20
    assert {name: errors for name, errors in problems.items() if errors} == {}
