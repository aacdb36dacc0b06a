"""The spec drives everything: no hand-written module outside the resource modules names an operation.

Paths, operation ids and generated function names come from the generated package's operation table
(``tokenops.operations``) or from the spec; only the resource modules (the client's ``videos`` resource and the
mock's stateful video handlers) name what they model. Docstrings and comments may show examples.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tokenops import operations

RESOURCE_MODULES = {"overlays/tokenops/_videos.py", "contract_tests/mock/_videos.py"}
HAND_WRITTEN = sorted(
    path
    for folder in ("overlays/tokenops", "contract_tests")
    for path in (ROOT / folder).rglob("*.py")
    if not path.name.startswith("test_") and path.relative_to(ROOT).as_posix() not in RESOURCE_MODULES
)


@functools.cache
def _names() -> frozenset[str]:
    """Every operation's path, generated function name and operationId, and the API's version prefix."""
    found = {"/v1/"}
    for endpoint in operations.all_endpoints().values():
        found |= {endpoint.path, endpoint.name}
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    for item in spec["paths"].values():
        found |= {op["operationId"] for op in item.values() if isinstance(op, dict) and "operationId" in op}
    return frozenset(found)


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_scan_sees_the_modules_and_the_operations() -> None:
    assert len(HAND_WRITTEN) > 40
    assert {"/v1/videos/{video_id}", "get_video_status", "getVideoStatus"} <= _names()


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("path", HAND_WRITTEN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_operation_literal_outside_the_resource_modules(path: Path) -> None:
    names = _names()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [(line, text) for line, text in _string_constants(tree) if any(name in text for name in names)]
    assert not found, f"{path.relative_to(ROOT)} names operations itself: {found}"
