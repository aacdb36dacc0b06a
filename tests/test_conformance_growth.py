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

from contract_tests.suite.targets import serve_app
from tests.conformance_fakes import KEY, FakeVideoAPI
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
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
BROKEN = frozenset({"delete-id", "list-incomplete"})
# Both runs in one process that imports the grown generated client, as it would after `make regenerate`.
DRIVER = """
import json, sys
from pathlib import Path
from contract_tests.suite.report import to_json
from contract_tests.suite.runner import RunOptions, run
from contract_tests.suite.targets import remote
from contract_tests.suite.verdict import decide
job = json.loads(sys.argv[1])
for name, (url, examples) in job["targets"].items():
    target = remote(url)
    try:
        options = RunOptions(target=target, api_key=job["key"], ids={"video_id": job["given"]},
            disposable={"video_id": job["disposable"]}, spec=Path(job["spec"]), config=Path(job["config"]),
            max_examples=examples, poll_interval=0.01)
        result = run(options)
    finally:
        target.close()
    report = to_json(result, decide(result), {})
    Path(job["out"], name + ".json").write_text(json.dumps(report), encoding="utf-8")
"""


def _light(config: str) -> str:
    """The repo's schemathesis config for this test: positive cases of the examples and fuzzing phases only."""
    for setting, light in (
        ("[phases.coverage]\nenabled = true", "[phases.coverage]\nenabled = false"),
        ("[phases.stateful]\nenabled = true", "[phases.stateful]\nenabled = false"),
        ('mode = "all"', 'mode = "positive"'),
    ):
        assert setting in config, setting
        config = config.replace(setting, light)
    return config


@pytest.fixture(scope="module")
def reports(grown_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """A clean and a broken fake API, tested with the grown spec: conformance.json of each by name."""
    out = tmp_path_factory.mktemp("grown-runs")
    # Evidence per operation is the subject here, not the kinds of cases the phases generate (the coverage and
    # stateful phases and negative cases cost seconds per operation): the repo's config, lighter.
    config = out / "schemathesis.toml"
    config.write_text(_light((ROOT / "schemathesis.toml").read_text(encoding="utf-8")), encoding="utf-8")
    targets = {
        "clean": serve_app(FakeVideoAPI(GIVEN + DISPOSABLE), control=False),
        "broken": serve_app(FakeVideoAPI(GIVEN + DISPOSABLE, broken=BROKEN), control=False),
    }
    job = {
        # 5 checked bodies per operation for the clean run's verdict; a few requests per operation to catch a lie.
        "targets": {"clean": (targets["clean"].base_url, 8), "broken": (targets["broken"].base_url, 2)},
        "key": KEY,
        "given": GIVEN,
        "disposable": DISPOSABLE,
        "spec": str(grown_repo / "openapi.yaml"),
        "config": str(config),
        "out": str(out),
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(grown_repo / "generated"), str(ROOT)])}
    try:
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, json.dumps(job)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        for target in targets.values():
            target.close()
    assert done.returncode == 0, done.stderr
    return {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in targets}


def _matrix(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    return {(row["operation"], row["check"]): row for row in report["matrix"]}


def test_every_operation_of_the_grown_spec_is_tested_with_evidence(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["clean"]
    new = [f["title"] for f in report["findings"] if f["status"] == "new"]
    assert report["verdict"]["exit_code"] == 0, (report["verdict"], new)
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
    # The list is walked page by page and its pages judged together (contract_tests/suite/pagination.py).
    for check in ("pagination_no_repeats", "pagination_order", "pagination_end", "pagination_limit"):
        assert (matrix[("GET /v1/videos", check)]["held"], matrix[("GET /v1/videos", check)]["failed"]) == (1, 0)


def test_spec_driven_checks_catch_deviations_in_new_operations(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["broken"]
    assert report["verdict"]["exit_code"] == 1
    fresh = {(f["operation"], f["check"]): f for f in report["findings"] if f["status"] == "new"}
    wrong_id = fresh[("DELETE /v1/videos/{video_id}", "response_id_matches_request")]
    assert wrong_id["evidence"]["got"] == f"{wrong_id['evidence']['asked']}_other"
    incomplete = fresh[("GET /v1/videos", "status_implies_fields")]
    assert incomplete["evidence"]["field"].startswith("data[")
    assert incomplete["evidence"]["field"].endswith("].completed_at")
