"""The vendored spec is the upstream page's block, byte-for-byte, and spec.lock.json records it."""

from __future__ import annotations

import hashlib
import json
import re

from tests.conftest import ROOT

PAGE = ROOT / "upstream" / "get-video-status.md"


def _extract_block(page: str) -> str:
    # Deliberately independent of scripts/_spec.py: find the fence lines by hand.
    lines = page.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("````yaml")]
    assert len(starts) == 1
    end = next(i for i in range(starts[0] + 1, len(lines)) if lines[i].rstrip("\n") == "````")
    return "".join(lines[starts[0] + 1 : end])


def test_openapi_yaml_is_the_upstream_block_byte_for_byte() -> None:
    block = _extract_block(PAGE.read_text(encoding="utf-8"))
    assert (ROOT / "openapi.yaml").read_bytes() == block.encode("utf-8")


def test_upstream_page_fence_names_the_operation() -> None:
    assert re.search(r"^````yaml GET /v1/videos/\{video_id\}$", PAGE.read_text(encoding="utf-8"), re.MULTILINE)


def test_lock_records_spec_provenance() -> None:
    lock = json.loads((ROOT / "spec.lock.json").read_text(encoding="utf-8"))
    assert lock["spec"]["sha256"] == hashlib.sha256((ROOT / "openapi.yaml").read_bytes()).hexdigest()
    assert lock["spec"]["operation_ids"] == ["getVideoStatus"]
    assert lock["sources"] == [
        {"path": "upstream/get-video-status.md", "sha256": hashlib.sha256(PAGE.read_bytes()).hexdigest()}
    ]
    assert lock["generator"]["openapi-python-client"] == "0.29.1"
    assert lock["generator"]["ruff"] == "0.17.6"
