"""The vendored spec is what the upstream pages recorded in spec.lock.json give, and the lock records them.

One page: ``openapi.yaml`` is its block byte-for-byte. Several pages: every page's operations and components are
in ``openapi.yaml`` unchanged and nothing else is. What is expected comes from ``spec.lock.json`` and ``upstream/``,
so these tests hold for today's one page and for a repo that took more.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import yaml

from tests.conftest import ROOT

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LOCK = json.loads((ROOT / "spec.lock.json").read_text(encoding="utf-8"))
PAGES = [ROOT / source["path"] for source in LOCK["sources"]]
FENCE = re.compile(r"^````yaml (?P<method>[A-Z]+) (?P<path>\S+)$")


def _extract_block(page: str) -> tuple[str, str]:
    # Deliberately independent of contract_tests/toolchain/spec.py: find the fence lines by hand.
    lines = page.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("````yaml")]
    assert len(starts) == 1
    end = next(i for i in range(starts[0] + 1, len(lines)) if lines[i].rstrip("\n") == "````")
    return lines[starts[0]].rstrip("\n"), "".join(lines[starts[0] + 1 : end])


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        (method, path): item[method]
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def _components(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(kind, name) for kind, items in document.get("components", {}).items() for name in items}


def test_the_lock_records_every_upstream_page() -> None:
    assert PAGES
    assert sorted(page.relative_to(ROOT).as_posix() for page in PAGES) == sorted(
        page.relative_to(ROOT).as_posix() for page in (ROOT / "upstream").glob("*.md")
    )


def test_openapi_yaml_is_the_upstream_block_byte_for_byte() -> None:
    blocks = [_extract_block(page.read_text(encoding="utf-8"))[1] for page in PAGES]
    spec_bytes = (ROOT / "openapi.yaml").read_bytes()
    if len(blocks) == 1:
        assert spec_bytes == blocks[0].encode("utf-8")
        return
    spec = yaml.safe_load(spec_bytes)
    documents = [yaml.safe_load(block) for block in blocks]
    for document in documents:
        assert {key: spec[key] for key in ("openapi", "info", "servers")} == {
            key: document[key] for key in ("openapi", "info", "servers")
        }
        for key, operation in _operations(document).items():
            assert _operations(spec)[key] == operation, key
        for kind, items in document.get("components", {}).items():
            for name, value in items.items():
                assert spec["components"][kind][name] == value, (kind, name)
    assert set(_operations(spec)) == {key for document in documents for key in _operations(document)}
    assert _components(spec) == set().union(*(_components(document) for document in documents))


def test_upstream_page_fence_names_the_operation() -> None:
    for page in PAGES:
        fence, block = _extract_block(page.read_text(encoding="utf-8"))
        named = FENCE.match(fence)
        assert named, fence
        assert named["method"].lower() in yaml.safe_load(block)["paths"][named["path"]], page


def test_lock_records_spec_provenance() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert LOCK["spec"]["sha256"] == hashlib.sha256((ROOT / "openapi.yaml").read_bytes()).hexdigest()
    assert LOCK["spec"]["operation_ids"] == sorted(operation["operationId"] for operation in _operations(spec).values())
    assert "getVideoStatus" in LOCK["spec"]["operation_ids"]
    assert LOCK["sources"] == [
        {"path": page.relative_to(ROOT).as_posix(), "sha256": hashlib.sha256(page.read_bytes()).hexdigest()}
        for page in PAGES
    ]
    assert LOCK["generator"]["openapi-python-client"] == "0.29.1"
    assert LOCK["generator"]["ruff"] == "0.17.6"
