"""The suite is spec-driven: the grown 6-operation spec (the vendor pages in tests/fixtures/upstream/videos-api
synced with ours and regenerated in a temp copy) is tested operation by operation against a small fake API,
with no change to any hand-written file: every operation gets evidence, and checks apply where the spec says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract_tests.targets import serve_app
from tests.conformance_fakes import KEY, FakeVideoAPI
from tests.conftest import ROOT, copy_repo_inputs

pytestmark = pytest.mark.e2e
PAGES = sorted((ROOT / "tests" / "fixtures" / "upstream" / "videos-api").glob("*.md"))
GIVEN = ["video_a", "video_b", "video_c"]
DISPOSABLE = [f"video_spare_{index}" for index in range(8)]
OPERATIONS = {
    "GET /v1/videos",
    "POST /v1/videos",
    "GET /v1/videos/{video_id}",
    "DELETE /v1/videos/{video_id}",
    "GET /v1/videos/{video_id}/content",
    "POST /v1/videos/{video_id}/remix",
}


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repo_inputs(tmp_path_factory.mktemp("grown") / "repo")
    for script, args in (("spec_sync.py", ["upstream/get-video-status.md", *map(str, PAGES)]), ("regenerate.py", [])):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / script), "--root", str(root), *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return root


def _conformance(grown: Path, tmp_path: Path, broken: frozenset[str] = frozenset()) -> tuple[int, dict[str, Any]]:
    target = serve_app(FakeVideoAPI(GIVEN + DISPOSABLE, broken=broken), control=False)
    reports = tmp_path / "reports"
    args = [f"--video-id={video_id}" for video_id in GIVEN] + [f"--disposable-id={video_id}" for video_id in DISPOSABLE]
    # The grown generated client shadows the checkout's, as it would after `make regenerate`.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(grown / "generated"), str(ROOT)]), "TOKENOPS_API_KEY": KEY}
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "conformance.py"),
                "--quiet",
                "--target",
                target.base_url,
                "--spec",
                str(grown / "openapi.yaml"),
                "--report-dir",
                str(reports),
                "--max-examples",
                "15",
                "--poll-interval",
                "0.01",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        target.close()
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads((reports / "conformance.json").read_text(encoding="utf-8"))


def _matrix(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    return {(row["operation"], row["check"]): row for row in report["matrix"]}


def test_every_operation_of_the_grown_spec_is_tested_with_evidence(grown: Path, tmp_path: Path) -> None:
    code, report = _conformance(grown, tmp_path)
    assert code == 0, (report["verdict"], [f["title"] for f in report["findings"] if f["status"] == "new"])
    assert {op["operation"] for op in report["operations"]} == OPERATIONS
    for op in report["operations"]:
        assert op["checked_bodies"] >= 5, op
    assert {(ids["value"], ids["checked_bodies"] > 0) for ids in report["ids"] if ids["given"]} == {
        (video_id, True) for video_id in GIVEN
    }
    matrix = _matrix(report)
    # The client parses each operation's body with that operation's generated type; a binary download has none.
    for label in OPERATIONS - {"GET /v1/videos/{video_id}/content"}:
        assert matrix[(label, "client_strict_parse")]["held"] > 0, label
    assert matrix[("GET /v1/videos/{video_id}/content", "client_strict_parse")]["held"] == 0
    # "Response id equals the path id" where the path ends in the id and the response has an id ...
    for label in ("GET /v1/videos/{video_id}", "DELETE /v1/videos/{video_id}"):
        assert matrix[(label, "response_id_matches_request")]["held"] > 0, label
    # ... not for a remix, whose answer is a new video.
    assert matrix[("POST /v1/videos/{video_id}/remix", "response_id_matches_request")]["held"] == 0
    # Lifecycle rules apply wherever the resource appears, list items included.
    assert matrix[("GET /v1/videos", "status_implies_fields")]["held"] > 0
    # Given ids survive the run: DELETE only ever reached disposable ids.
    assert report["lifecycle"]["never_found"] == []


def test_spec_driven_checks_catch_deviations_in_new_operations(grown: Path, tmp_path: Path) -> None:
    code, report = _conformance(grown, tmp_path, frozenset({"delete-id", "list-incomplete"}))
    assert code == 1
    fresh = {(f["operation"], f["check"]): f for f in report["findings"] if f["status"] == "new"}
    wrong_id = fresh[("DELETE /v1/videos/{video_id}", "response_id_matches_request")]
    assert wrong_id["evidence"]["got"] == f"{wrong_id['evidence']['asked']}_other"
    incomplete = fresh[("GET /v1/videos", "status_implies_fields")]
    assert incomplete["evidence"]["field"].startswith("data[")
    assert incomplete["evidence"]["field"].endswith("].completed_at")
