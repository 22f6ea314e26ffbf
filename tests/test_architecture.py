"""The schema artefact and the layering stay true to the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from schema import build_schema

ROOT = Path(__file__).resolve().parent.parent
# Each layer may import only from the layers after it.
LAYERS = ("server", "schema", "resolvers", "search", "storage")


def test_committed_schema_matches_the_code() -> None:
    # given
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    # then
    assert committed == build_schema().as_str() + "\n", "schema.graphql is stale: run `make schema`"


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_from_layers_below(layer: str) -> None:
    # given
    above = set(LAYERS[: LAYERS.index(layer)])
    # when
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & above)
        for path in (ROOT / layer).rglob("*.py")
        if _imported_packages(path) & above
    }
    # then
    assert offenders == {}


@pytest.mark.parametrize("layer", ["search", "storage"])
def test_lower_layers_know_nothing_of_graphql_or_http(layer: str) -> None:
    imports = set().union(*(_imported_packages(p) for p in (ROOT / layer).rglob("*.py")))
    assert not imports & {"strawberry", "graphql", "starlette"}
