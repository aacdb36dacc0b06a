"""Accepting findings (contract_tests/suite/accepting.py): what is offered, the command that accepts, what changed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from contract_tests.suite import cli
from contract_tests.suite.accepting import accept, accept_command, acceptable, update_lines
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.findings import Ledger
from contract_tests.suite.records import Received
from contract_tests.suite.runner import RunResult

LABEL = "GET /v1/videos/{video_id}"
JSON = (("content-type", "application/json"),)


def _result(statuses: list[int], *, transport: bool = False) -> RunResult:
    """A run of one operation that got ``statuses`` (a 500 fails not_a_server_error, a 200 is a checked body)."""
    ledger = Ledger(KnownDeviations(None), "sk-accept")
    for status in statuses:
        received = Received(status, JSON, b'{"error": {"message": "boom"}}' if status >= 500 else b'{"id": "v"}')
        ledger.evidence.record(
            LABEL,
            ordinary=True,
            status=status,
            with_key=True,
            outcomes={},
            checked=status == 200,
            known_only=False,
            path_params={},
            error_answer=status >= 500,
        )
        if status >= 500:
            ledger.add(
                check="not_a_server_error",
                failure_type="ServerError",
                title="Server error",
                message="500",
                key="500",
                operation=LABEL,
                phase="fuzzing",
                sent=None,
                received=received,
            )
    if transport:
        ledger.no_response(
            ConnectionResetError("peer closed"), label=LABEL, ordinary=True, path_params={}, phase="coverage", sent=None
        )
    result = RunResult(target="t", base_url="http://t", started_at=0.0, operations=[LABEL])
    result.findings, result.evidence = ledger.findings, ledger.evidence
    return result


def test_a_server_that_errors_on_some_requests_has_its_errors_offered() -> None:
    accepted, refused = acceptable(_result([200, 200, 500]))
    assert ([f.check for f in accepted], refused) == (["not_a_server_error"], [])


def test_errors_everywhere_and_transport_failures_are_not_offered_unless_asked() -> None:
    result = _result([500, 500, 500, 404], transport=True)
    accepted, refused = acceptable(result)
    assert (accepted, sorted(f.check for f in refused)) == ([], ["not_a_server_error", "transport_error"])
    accepted, refused = acceptable(result, server_errors=True)
    assert (len(accepted), refused) == (2, [])
    # A transport failure on a server that otherwise answers is still not an API property to accept.
    accepted, refused = acceptable(_result([200, 200], transport=True))
    assert (accepted, [f.check for f in refused]) == ([], ["transport_error"])


def test_accepting_writes_the_file_and_rejudges_the_run(tmp_path: Path) -> None:
    result = _result([200, 200, 500])
    assert [f.known for f in result.findings] == [False]
    acceptance = accept(result, tmp_path / "team-baseline.json")
    assert [f.known for f in result.findings] == [True]
    assert result.baseline == str(tmp_path / "team-baseline.json")
    (entry,) = json.loads((tmp_path / "team-baseline.json").read_text(encoding="utf-8"))["entries"]
    lines = update_lines(acceptance)
    path = tmp_path / "team-baseline.json"
    assert lines[0] == f"baseline {path}: 1 added, 0 updated, 0 expired renewed (review and commit it)"
    added = f"  added {entry['id']}: server_nonconformance: Server error (not_a_server_error, 500) on {LABEL}"
    assert lines[1] == added


def test_refused_findings_are_listed_with_the_flag_that_accepts_them(tmp_path: Path) -> None:
    acceptance = accept(_result([500, 500]), tmp_path / "baseline.json")
    lines = update_lines(acceptance)
    assert lines[0].endswith("0 added, 0 updated, 0 expired renewed (not written)")
    assert lines[1].startswith("  not accepted: 1 finding of an unreachable or failing server (Server error)")
    assert lines[1].endswith("add --accept-server-errors to accept them anyway")
    assert not (tmp_path / "baseline.json").exists()


def test_the_accept_command_is_the_run_again_with_update_baseline() -> None:
    argv = ["--target", "http://h/v1", "--video-id", "video 1", "--spec", "my spec.yaml", "--update-baseline"]
    line = accept_command("tokenops-conformance", argv, {"TOKENOPS_VIDEO_IDS": "a,b", "TOKENOPS_API_KEY": "sk-no"})
    assert line == (
        "TOKENOPS_VIDEO_IDS=a,b tokenops-conformance --target http://h/v1 --video-id 'video 1' "
        "--spec 'my spec.yaml' --update-baseline"
    )
    assert shlex.split(line)[2:-1] == argv[:-1]
    assert "sk-no" not in line
    assert accept_command("tokenops-conformance", [], {}) == "tokenops-conformance --update-baseline"


def test_the_program_is_the_console_script_by_name_or_the_script_with_its_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "bin" / "tokenops-conformance"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", str(script.parent))
    assert cli._program("tokenops-conformance") == "tokenops-conformance"
    monkeypatch.setenv("PATH", "/nonexistent")
    assert cli._program("tokenops-conformance") == "bin/tokenops-conformance"  # not on PATH: the path as called
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "scripts" / "conformance.py")])
    monkeypatch.setattr(sys, "executable", str(tmp_path / ".venv" / "bin" / "python"))
    assert cli._program("conformance") == ".venv/bin/python scripts/conformance.py"
