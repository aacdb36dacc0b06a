"""The vendor's list pages as one spec (the video list, OpenAI's model list, Gemini's token-paged model list, with
today's page), for the tests of pagination in the mock and the suite."""

from __future__ import annotations

import functools
from pathlib import Path

from contract_tests.toolchain.sync import build, read_source
from tests.conftest import ROOT

LIST_PAGES = (
    "upstream/get-video-status.md",
    "tests/fixtures/upstream/videos-api/list-videos.md",
    "tests/fixtures/upstream/catalog/list-models.md",
    "tests/fixtures/upstream/catalog/list-gemini-models.md",
)


@functools.cache
def list_spec_text() -> str:
    """``openapi.yaml`` as ``spec_sync`` would write it from :data:`LIST_PAGES`."""
    text, _ = build([read_source(page, ROOT) for page in LIST_PAGES])
    return text


def write_list_spec(folder: Path) -> Path:
    """The list spec written to ``folder/openapi.yaml``."""
    path = folder / "openapi.yaml"
    path.write_text(list_spec_text(), encoding="utf-8")
    return path
