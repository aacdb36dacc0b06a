"""spec.lock.json: read refuses what is not a JSON object, build keeps recorded sources, compare names sections."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from contract_tests.toolchain import lock

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {"/b": {"get": {"operationId": "getB"}}, "/a": {"post": {"operationId": "postA"}}},
}
TOOLS = {"ruff": "1", "openapi-python-client": "2"}


def _root(tmp_path: Path) -> Path:
    (tmp_path / "openapi.yaml").write_text("openapi: 3.1.0\n", encoding="utf-8")
    (tmp_path / "upstream").mkdir()
    for name in ("b-page.md", "a-page.md"):
        (tmp_path / "upstream" / name).write_text(f"# {name}\n", encoding="utf-8")
    return tmp_path


def test_a_missing_lock_reads_as_none_and_compares_as_missing(tmp_path: Path) -> None:
    assert lock.read(tmp_path) is None
    assert lock.compare(tmp_path, lock.build(_root(tmp_path), DOCUMENT, TOOLS)) == ["  missing: spec.lock.json"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "spec.lock.json is not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "spec.lock.json must hold a JSON object"),
    ],
)
def test_a_broken_lock_is_a_lock_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / lock.LOCK_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(lock.LockError, match=message):
        lock.read(tmp_path)


def test_without_recorded_sources_the_upstream_pages_are_the_sources(tmp_path: Path) -> None:
    root = _root(tmp_path)
    built = lock.build(root, DOCUMENT, TOOLS)
    assert built["sources"] == [
        {"path": "upstream/a-page.md", "sha256": hashlib.sha256(b"# a-page.md\n").hexdigest()},
        {"path": "upstream/b-page.md", "sha256": hashlib.sha256(b"# b-page.md\n").hexdigest()},
    ]
    assert built["spec"] == {
        "path": "openapi.yaml",
        "sha256": hashlib.sha256(b"openapi: 3.1.0\n").hexdigest(),
        "openapi": "3.1.0",
        "operation_ids": ["getB", "postA"],
    }
    assert list(built["generator"]) == ["config", "openapi-python-client", "ruff"]
    lock.write(root, built)
    assert lock.read(root) == built
    assert lock.compare(root, built) == []


def test_recorded_sources_are_kept_and_a_changed_section_is_named(tmp_path: Path) -> None:
    root = _root(tmp_path)
    recorded = [{"path": "https://example.invalid/page", "sha256": "0" * 64}]
    lock.write(root, {**lock.build(root, DOCUMENT, TOOLS), "sources": recorded})
    rebuilt = lock.build(root, DOCUMENT, {**TOOLS, "ruff": "9"})
    assert rebuilt["sources"] == recorded
    (problem,) = lock.compare(root, rebuilt)
    assert problem.startswith("  changed: spec.lock.json [generator]: committed ")
    assert '"ruff": "1"' in problem
    assert problem.endswith('"ruff": "9"}')
