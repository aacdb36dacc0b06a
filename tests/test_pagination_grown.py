"""Pagination end to end, on grown specs: the client walks the mock's video list (a package regenerated from the
grown spec, sync and async, ``videos.list()`` and ``operations.call``), and the vendor's three list pages (the video
list, OpenAI's model list, Gemini's token-paged model list) pass the suite's pagination checks against the mock, or
fail them with the mock's page faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock import create_app, parse_fault_spec
from contract_tests.suite.pagination import PAGINATION_CHECKS
from contract_tests.suite.targets import Target, serve_app
from tests.conformance_fakes import run_cli
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
KEY = "sk-pagination-e2e-77aa"
VIDEOS, GEMINI, MODELS = "GET /v1/videos", "GET /v1beta/models", "GET /v1/models"


def test_the_client_lists_every_video_sync_and_async(grown_repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(grown_repo / "generated"), str(ROOT)])}
    env.pop("TOKENOPS_API_KEY", None)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "grown_list_calls.py"),
            str(grown_repo / "openapi.yaml"),
            str(tmp_path / "mock.log"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    live = result["live"]  # oldest first, as the control API lists them
    newest_first = live[::-1]
    assert len(live) >= 23
    sync = result["sync"]
    assert sync["first_page"] == ["Page", 5, newest_first[4], True]
    assert sync["listed"] == newest_first  # every video once, newest first, over pages of 5
    assert sync["types"] == ["Video"]
    assert sync["called"] == newest_first
    assert sync["after"] == newest_first[5:]
    assert sync["pages"] == list(range(-(-len(live) // 5)))
    cursor, page, message = result["looped"]
    assert (cursor, page) == (newest_first[4], 1)
    assert f"the next cursor {cursor!r} was already used for page 1" in message
    asynchronous = result["async"]
    assert asynchronous["listed"] == live  # order="asc"
    assert asynchronous["first_page"] == ["AsyncPage", 4, True]
    assert asynchronous["called"] == newest_first
    assert sum(asynchronous["pages"]) == len(live)


@pytest.fixture
def lists_mock(list_spec: Path, request: pytest.FixtureRequest) -> Iterator[Target]:
    """The mock serving the list spec over TCP, in this process (its process form is the session's mock's)."""
    faults = [parse_fault_spec(fault) for fault in getattr(request, "param", ())]
    target = serve_app(create_app(api_keys=[KEY], spec=list_spec, faults=faults, log_requests=False), control=True)
    try:
        yield target
    finally:
        target.close()


def _conformance(mock: Target, spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    _, report = run_cli(
        tmp_path,
        "--target",
        mock.base_url,
        "--spec",
        str(spec),
        "--min-checked",
        "1",
        key=KEY,
        monkeypatch=monkeypatch,
        examples="3",
        focus=False,
    )
    return report


def test_the_vendors_list_pages_pass_the_pagination_checks_against_the_mock(
    lists_mock: Target, list_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _conformance(lists_mock, list_spec, tmp_path, monkeypatch)
    assert report["verdict"]["exit_code"] == 0, report["verdict"]
    judged = {
        (row["operation"], row["check"]): (row["held"], row["failed"])
        for row in report["matrix"]
        if row["check"].startswith("pagination_")
    }
    expected = {(VIDEOS, check): (1, 0) for check in PAGINATION_CHECKS}
    expected |= {(GEMINI, check): (1, 0) for check in PAGINATION_CHECKS if check != "pagination_after_last"}
    expected |= {(MODELS, "pagination_no_repeats"): (1, 0)}
    assert judged == expected
    assert not [note for note in report["notes"] if note.startswith("pagination")]


@pytest.mark.parametrize(
    "lists_mock", [("page_repeat,path=/v1/videos", "page_loop,path=/v1beta/models")], indirect=True
)
def test_page_faults_are_pagination_findings_with_the_page_and_cursor(
    lists_mock: Target, list_spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _conformance(lists_mock, list_spec, tmp_path, monkeypatch)
    assert report["verdict"]["exit_code"] == 1
    found = {(f["operation"], f["check"]): f for f in report["findings"] if f["check"].startswith("pagination_")}
    repeated = found[(VIDEOS, "pagination_no_repeats")]
    looped = found[(GEMINI, "pagination_end")]
    for finding in (repeated, looped):
        assert finding["category"] == "server_nonconformance"
        assert finding["evidence"]["page"] == 1
        assert finding["evidence"]["cursor"] in finding["message"]
        assert finding["request"]["curl"]
    assert "again (first on page 0)" in repeated["message"]
    assert "already used for page 1" in looped["message"]
    assert (VIDEOS, "pagination_unknown_cursor") not in found  # an unknown cursor stays an empty page
