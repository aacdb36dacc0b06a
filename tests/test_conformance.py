"""scripts/conformance.py end to end: exit codes, categories, reports, baseline, targets, secrets."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contract_tests import cli as conformance
from contract_tests.report import SCHEMA_PATH
from tests.conftest import ROOT, SERVER_KEY

CANARY = "sk-canary-conformance-51c0ffee"


def _run(
    tmp_path: Path, *args: str, key: str | None = CANARY, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, Any]]:
    if key is None:
        monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    else:
        monkeypatch.setenv("TOKENOPS_API_KEY", key)
    reports = tmp_path / "reports"
    code = conformance.main(["--quiet", "--report-dir", str(reports), "--max-examples", "25", *args])
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8")) if reports.exists() else {}
    return code, report


def _new(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["category"], f["check"]) for f in report["findings"] if f["status"] == "new"}


def test_clean_run_exits_0_with_only_known_spec_gaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = _run(tmp_path, monkeypatch=monkeypatch)
    assert code == 0
    assert report["summary"]["verdict"] == "pass"
    assert report["summary"]["new"] == 0
    assert {(f["category"], f["signature"], f["status"]) for f in report["findings"]} == {
        ("spec_gap", "401", "known"),
        ("spec_gap", "404", "known"),
    }
    checks = {row["check"] for row in report["matrix"]}
    assert {"response_schema_conformance", "client_strict_parse", "lifecycle_progress_monotonic"} <= checks
    assert report["responses_checked"] > 25


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("server_error,every=4", {("server_nonconformance", "not_a_server_error")}),
        (
            "reality",
            {
                ("client_incompatibility", "client_strict_parse"),
                ("server_nonconformance", "response_schema_conformance"),
            },
        ),
        ("malformed_json,every=3", {("server_nonconformance", "response_schema_conformance")}),
        ("wrong_content_type,every=3", {("server_nonconformance", "content_type_conformance")}),
    ],
    ids=["5xx-burst", "reality", "malformed-json", "wrong-content-type"],
)
def test_each_fault_mode_fails_the_run_in_the_right_category(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, expected: set[tuple[str, str]]
) -> None:
    code, report = _run(tmp_path, "--mock-fault", fault, monkeypatch=monkeypatch)
    assert code == 1
    assert expected <= _new(report)
    assert report["summary"]["verdict"] == "fail"


def test_lifecycle_check_catches_progress_going_backwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = _run(tmp_path, "--mock-rig-lifecycle", monkeypatch=monkeypatch)
    assert code == 1
    assert _new(report) == {("lifecycle_violation", "lifecycle_progress_monotonic")}
    finding = next(f for f in report["findings"] if f["status"] == "new")
    assert finding["title"] == "Progress went backwards"
    assert "_rigged" in finding["request"]["url"]


def test_reports_parse_and_follow_their_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = _run(tmp_path, "--mock-fault", "reality,every=2", monkeypatch=monkeypatch)
    assert code == 1
    reports = tmp_path / "reports"
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    suite = ET.parse(reports / "junit.xml").getroot()
    assert suite.tag == "testsuite"
    assert int(suite.get("failures", "0")) == report["summary"]["new"]
    assert len(suite.findall("testcase")) == int(suite.get("tests", "0"))
    assert any(case.find("failure") is not None for case in suite.findall("testcase"))
    markdown = (reports / "conformance.md").read_text(encoding="utf-8")
    assert markdown.startswith("## ❌ TokenOps API conformance")
    assert "| Client incompatibility |" in markdown
    page = (reports / "conformance.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert "curl -X GET" in page
    for external in ("src=", "href=", "url(", "@import", "<script", "<link"):
        assert external not in page, external


def test_canary_key_is_absent_from_every_output(tmp_path: Path) -> None:
    env = {**os.environ, "TOKENOPS_API_KEY": CANARY, "PYTHONPATH": str(ROOT)}
    reports = tmp_path / "reports"
    baseline = tmp_path / "baseline.json"
    outputs = []
    for extra in (
        ["--mock-fault", "reality,every=2"],
        ["--mock-fault", "server_error,every=3"],
        ["--update-baseline", "--baseline", str(baseline)],
    ):
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "conformance.py"),
                "--report-dir",
                str(reports),
                "--max-examples",
                "15",
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert result.returncode in (0, 1), result.stderr
        outputs += [result.stdout, result.stderr]
    outputs += [path.read_text(encoding="utf-8") for path in [*reports.iterdir(), baseline]]
    forms = [CANARY, urllib.parse.quote(CANARY), base64.b64encode(CANARY.encode()).decode()]
    joined = "\n".join(outputs)
    assert "Bearer $TOKENOPS_API_KEY" in joined  # the curl lines are there, with the key replaced
    for form in forms:
        assert form not in joined


def test_against_the_mock_as_a_real_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    code, report = _run(tmp_path, "--target", server, key=SERVER_KEY, monkeypatch=monkeypatch)
    assert code == 0, report.get("findings")
    assert report["target"]["base_url"] == server
    assert report["target"]["name"].startswith("tokenops mock at")
    assert report["summary"]["categories"]["spec_gap"]["known"] == 2


def test_update_baseline_accepts_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = tmp_path / "baseline.json"
    code, _ = _run(
        tmp_path,
        "--mock-fault",
        "wrong_content_type,every=3",
        "--baseline",
        str(baseline),
        "--update-baseline",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    entries = json.loads(baseline.read_text(encoding="utf-8"))["entries"]
    assert {entry["check"] for entry in entries} >= {"content_type_conformance", "status_code_conformance"}
    code, report = _run(
        tmp_path, "--mock-fault", "wrong_content_type,every=3", "--baseline", str(baseline), monkeypatch=monkeypatch
    )
    assert code == 0
    assert report["summary"]["new"] == 0


@pytest.mark.parametrize(
    ("args", "env_key", "message"),
    [
        (["--target", "http://127.0.0.1:9"], CANARY, "is unreachable"),
        (["--target", "ftp://example"], CANARY, "must be an http:// or https:// URL"),
        (["--target", "http://127.0.0.1:9"], None, "set TOKENOPS_API_KEY"),
        ([], "sk bad key", "TOKENOPS_API_KEY has a bad format"),
        (["--target", "http://127.0.0.1:9", "--mock-fault", "reality"], CANARY, "apply to the embedded mock"),
        (["--mock-fault", "meteor"], CANARY, "unknown fault kind 'meteor'"),
        (["--baseline", "/nonexistent/baseline.json"], CANARY, "does not exist"),
        (["--max-examples", "0"], CANARY, "--max-examples must be >= 1"),
    ],
)
def test_usage_and_setup_errors_exit_2_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env_key: str | None,
    message: str,
) -> None:
    code, _ = _run(tmp_path, *args, key=env_key, monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
