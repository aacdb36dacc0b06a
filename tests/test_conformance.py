"""scripts/conformance.py end to end: verdicts and exit codes, categories, reports, baseline, targets, usage errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contract_tests.suite.report import SCHEMA_PATH
from contract_tests.suite.spec_facts import load_facts
from contract_tests.suite.targets import embedded
from tests.conformance_fakes import (
    CANARY,
    HTML_PAGES,
    LABEL,
    PASSING,
    REALITY_AND_RIGGED,
    SERVER_ERRORS,
    findings_of,
    matrix_of,
    run_cli,
)
from tests.conftest import ROOT, SERVER_KEY

pytestmark = pytest.mark.integration


def new(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["category"], f["check"]) for f in report["findings"] if f["status"] != "known"}


def test_clean_run_passes_with_evidence_and_only_known_spec_gaps(conformance_runs: Any) -> None:
    code, report, _ = conformance_runs(examples=PASSING)
    assert code == 0
    assert report["verdict"] == {
        "verdict": "pass",
        "exit_code": 0,
        "reasons": [],
        "failing": 0,
        "fail_on": ["server_nonconformance", "lifecycle_violation", "client_incompatibility"],
        "min_checked": 5,
    }
    # Undocumented error statuses are the only deviations, and the baseline knows them all.
    assert {(f["category"], f["status"]) for f in report["findings"]} == {("spec_gap", "known")}
    # 414: the very-long path-edge probe, judged by every check (the project baseline knows it too).
    assert {(f["signature"], f["status"]) for f in findings_of(report)} == {
        ("401", "known"),
        ("404", "known"),
        ("414", "known"),
    }
    assert {op["operation"] for op in report["operations"]} == set(load_facts(ROOT / "openapi.yaml").operations)
    tested = [operation for operation in report["operations"] if not operation["not_tested"]]
    assert LABEL in {operation["operation"] for operation in tested}  # (on a grown spec: the focused operation)
    for operation in tested:
        assert operation["checked_bodies"] >= 5, operation
        assert operation["auth_refused"] == 0, operation
    checks = matrix_of(report)
    assert {"response_schema_conformance", "client_strict_parse", "lifecycle_progress_monotonic"} <= set(checks)
    # The suite's own checks really ran (schemathesis counts a check returning True as skipped, not passed).
    assert checks["client_strict_parse"]["held"] >= 5
    assert checks["client_strict_parse"]["not_applicable"] > 0  # the 4xx answers
    assert report["lifecycle"]["unfinished"] == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (SERVER_ERRORS, {("server_nonconformance", "not_a_server_error")}),
        (
            ("--mock-fault", "reality"),
            {
                ("client_incompatibility", "client_strict_parse"),
                ("server_nonconformance", "response_schema_conformance"),
            },
        ),
        (("--mock-fault", "malformed_json,every=3"), {("server_nonconformance", "response_schema_conformance")}),
        (("--mock-fault", "wrong_content_type,every=3"), {("server_nonconformance", "content_type_conformance")}),
        (HTML_PAGES, {("server_nonconformance", "not_an_api_response")}),
    ],
    ids=["5xx-burst", "reality", "malformed-json", "wrong-content-type", "html-maintenance-page"],
)
def test_each_fault_mode_fails_the_run_in_the_right_category(
    conformance_runs: Any, args: tuple[str, ...], expected: set[tuple[str, str]]
) -> None:
    code, report, _ = conformance_runs(*args)
    assert code == 1
    assert expected <= new(report)
    assert report["verdict"]["verdict"] == "fail"


def test_an_html_page_is_one_finding_not_a_cascade(conformance_runs: Any) -> None:
    code, report, _ = conformance_runs(*HTML_PAGES)
    assert code == 1
    fresh = [f for f in report["findings"] if f["status"] != "known"]
    assert [(f["check"], f["signature"]) for f in fresh] == [("not_an_api_response", "200 text/html")]
    assert fresh[0]["operation"] == "*"  # one finding for the whole run, whichever operations the page reached
    assert fresh[0]["occurrences"] > 3
    assert "502 Bad Gateway" in fresh[0]["message"]


def test_lifecycle_check_catches_progress_going_backwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = run_cli(tmp_path, "--mock-rig-lifecycle", monkeypatch=monkeypatch)
    assert code == 1
    assert new(report) == {("lifecycle_violation", "lifecycle_progress_monotonic")}
    finding = next(f for f in report["findings"] if f["status"] == "new")
    assert finding["title"] == "Progress went backwards"
    assert "_rigged" in finding["request"]["url"]
    assert finding["evidence"]["field"] == "progress"


def test_reports_parse_and_follow_their_schema(conformance_runs: Any) -> None:
    code, report, reports = conformance_runs(*REALITY_AND_RIGGED)
    assert code == 1
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    suite = ET.parse(reports / "junit.xml").getroot()
    assert suite.tag == "testsuite"
    assert int(suite.get("failures", "0")) == report["summary"]["new"]
    assert len(suite.findall("testcase")) == int(suite.get("tests", "0"))
    assert any(case.find("failure") is not None for case in suite.findall("testcase"))
    markdown = (reports / "conformance.md").read_text(encoding="utf-8")
    assert markdown.startswith("## ❌ TokenOps API conformance: FAIL")
    assert "| Client incompatibility |" in markdown
    assert "| Lifecycle violation |" in markdown
    page = (reports / "conformance.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<div class='chart'" in page  # the findings by category, as HTML bars
    assert 'curl -sS -i -X "GET"' in page.replace("&quot;", '"')
    for external in ("src=", "href=", "url(", "@import", "<script", "<link"):
        assert external not in page, external
    seed = json.loads((reports / "mock-seed.json").read_text(encoding="utf-8"))
    assert {"video_conformance_completed", "video_conformance_lifecycle_ok"} <= {job["id"] for job in seed}


def test_against_the_mock_as_a_real_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    code, report = run_cli(tmp_path, "--target", server, key=SERVER_KEY, monkeypatch=monkeypatch, examples=PASSING)
    assert code == 0, report.get("verdict")
    assert report["target"]["base_url"] == server
    assert report["target"]["name"].startswith("tokenops mock at")
    assert report["replay"] == []
    # The committed baseline applies to a server the suite did not start, as to its own mock.
    assert {(f["category"], f["status"]) for f in report["findings"]} == {("spec_gap", "known")}
    assert {f["signature"] for f in findings_of(report)} == {"401", "404", "414"}


def test_the_printed_accept_command_accepts_the_findings_into_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    # Evidence thresholds are not the subject (a third of the bodies are mislabelled): one checked body will do.
    args = ("--mock-fault", "wrong_content_type,every=3", "--min-checked", "1")
    code, report = run_cli(tmp_path, *args, monkeypatch=monkeypatch)
    assert (code, report["verdict"]["verdict"]) == (1, "fail")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "Fix the server, or accept them: " in last
    command = shlex.split(last.split("accept them: ", 1)[1].split(" (then review", 1)[0])
    assert command[0] == "tokenops-conformance"
    assert command[-1] == "--update-baseline"
    from contract_tests.suite import cli  # noqa: PLC0415

    monkeypatch.setenv("TOKENOPS_API_KEY", CANARY)
    assert cli.main(command[1:]) == 0  # the same run, accepted: judged again with the new baseline
    out = capsys.readouterr().out
    assert out.startswith("baseline conformance-baseline.json: ")
    assert "server_nonconformance: Undocumented Content-Type (content_type_conformance" in out
    assert "\nPASS: embedded mock" in out
    entries = json.loads((tmp_path / "conformance-baseline.json").read_text(encoding="utf-8"))["entries"]
    assert {entry["check"] for entry in entries} >= {"content_type_conformance", "status_code_conformance"}
    assert all(entry["category"] for entry in entries)
    assert not list((ROOT / "contract_tests").rglob("*baseline*.json"))  # never inside the package
    code, report = run_cli(tmp_path, *args, monkeypatch=monkeypatch)
    assert (code, report["summary"]["new"]) == (0, 0)


def test_a_server_that_answers_errors_to_everything_is_not_offered_for_acceptance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, report = run_cli(tmp_path, "--mock-fault", "server_error", "--update-baseline", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert code == 1
    assert "  not accepted: " in out
    assert "accept them: " not in out
    assert report["verdict"]["reasons"][0].startswith("the server answers errors to ")
    assert "give ids" not in " ".join(report["verdict"]["reasons"])
    accepted = json.loads((tmp_path / "conformance-baseline.json").read_text(encoding="utf-8"))["entries"]
    assert accepted  # the auth probes' 401s (answered before the fault) are the API's: offered and accepted
    assert not [
        entry for entry in accepted if entry["signature"].startswith("5") or entry["check"] == "not_a_server_error"
    ]


@pytest.mark.parametrize(
    ("args", "env_key", "message"),
    [
        (["--target", "http://127.0.0.1:9"], CANARY, "is unreachable"),
        (["--target", "ftp://example"], CANARY, "must be an http:// or https:// URL"),
        (["--target", "http://127.0.0.1:9"], None, "set TOKENOPS_API_KEY"),
        ([], "sk bad key", "TOKENOPS_API_KEY has a bad format"),
        (["--target", "http://127.0.0.1:9", "--mock-fault", "reality"], CANARY, "apply to the embedded mock"),
        (["--mock-fault", "meteor"], CANARY, "unknown fault kind 'meteor'"),
        (["--baseline", "/nonexistent/baseline.json"], CANARY, "baseline /nonexistent/baseline.json does not exist"),
        (["--baseline", "/"], CANARY, "baseline / is a directory"),
        (["--accept-server-errors"], CANARY, "--accept-server-errors goes with --update-baseline"),
        (["--max-examples", "0"], CANARY, "--max-examples must be >= 1"),
        (["--min-checked", "-1"], CANARY, "--min-checked must be >= 0"),
        (["--poll-interval", "0"], CANARY, "--poll-interval and --lifecycle-timeout must be > 0"),
        (["--lifecycle-timeout", "-5"], CANARY, "--poll-interval and --lifecycle-timeout must be > 0"),
        (["--request-timeout", "0"], CANARY, "--request-timeout must be > 0"),
        (["--fail-on", "meteors"], CANARY, "--fail-on: unknown category meteors"),
        (["--path-id", "no-equals-sign"], CANARY, "--path-id takes NAME=ID"),
        (["--spec", "/nonexistent/openapi.yaml"], CANARY, "is not a file"),
        (["--max-writes", "-1"], CANARY, "--max-writes must be >= 0"),
        (["--include-writes"], CANARY, "--include-writes applies to --target"),
        (["--billed", "makeVideos"], CANARY, "--billed 'makeVideos' is no operation of the spec (operations: "),
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
    monkeypatch.chdir(tmp_path)
    code, _ = run_cli(tmp_path, *args, key=env_key, monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written: no reports, no baseline


def test_a_broken_baseline_is_a_setup_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "broken-baseline.json"
    baseline.write_text('{"format_version": 1, "entries": [{"operation": "*"}]}', encoding="utf-8")
    code, _ = run_cli(tmp_path, "--baseline", str(baseline), monkeypatch=monkeypatch)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"conformance: error: baseline {baseline}: Entry")
    assert "missing string fields: check, failure, signature" in err


# Release tier: schemathesis' own console script as a process (~1.2-2.5 s, most of it imports), as a user runs it
# with the repo's schemathesis.toml. make test keeps the suite's checks and hooks in-process (tests/test_checks.py,
# the conformance runs) and the config's hooks in tests/test_checks.py::test_the_repo_config_names_the_suite_hooks.
@pytest.mark.release
def test_plain_schemathesis_with_the_repo_config_runs_the_suite_checks(tmp_path: Path) -> None:
    target = embedded("sk-plain", faults=["reality"])
    target.create_jobs([{"id": "video_123456789"}])  # the spec's example id: schemathesis' examples phase asks for it
    schemathesis = Path(sys.executable).with_name("schemathesis")
    command = [str(schemathesis), "--config-file", str(ROOT / "schemathesis.toml"), "run", str(ROOT / "openapi.yaml")]
    command += ["--url", target.base_url, "-H", "Authorization: Bearer sk-plain", "--max-examples", "5"]
    command += ["--phases", "examples"]  # the config's hooks and checks are the subject, not the phases
    try:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    finally:
        target.close()
    assert done.returncode == 1
    assert "The generated model rejects what the server sends" in done.stdout  # client_strict_parse, ours
