"""The conformance command's own logic (``contract_tests.suite.cli``), without a run: keys, ids, options, the last line,
the console script, and Ctrl-C or an unexpected error before the run starts. Runs are in test_conformance*.py."""

from __future__ import annotations

import signal
import socket
import sys
import types
from pathlib import Path

import pytest

from contract_tests import _commands
from contract_tests.mock import DEFAULT_API_KEY
from contract_tests.suite import cli
from contract_tests.suite.categories import Category
from contract_tests.suite.report import tool_versions
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import Decision, Verdict
from tests.rawserver import raw_server


def test_tool_versions_say_when_a_tool_is_missing() -> None:
    versions = tool_versions(("schemathesis", "no-such-distribution-tokenops-test"))
    assert versions["no-such-distribution-tokenops-test"] == "not installed"
    assert versions["schemathesis"][0].isdigit()
    versions["schemathesis"] = "changed by a caller"  # each call gets its own dict
    assert tool_versions(("schemathesis",))["schemathesis"][0].isdigit()


def test_the_embedded_mock_takes_the_default_key_when_none_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    assert cli._api_key(target_given=False) == DEFAULT_API_KEY
    with pytest.raises(cli.UsageError, match="set TOKENOPS_API_KEY to the key for --target"):
        cli._api_key(target_given=True)
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-" + "x" * 600)
    with pytest.raises(cli.UsageError, match="bad format"):
        cli._api_key(target_given=True)


def test_ids_from_plain_values_and_name_value_pairs() -> None:
    ids = cli._ids(["job_id=job_1", "video_id=video_b", "job_id=job=2"], ["video_a"], "--path-id")
    assert ids == {"video_id": ["video_a", "video_b"], "job_id": ["job_1", "job=2"]}
    for bad in ("=job_1", "job_id=", "job_id"):
        with pytest.raises(cli.UsageError, match=r"--path-id takes NAME=ID"):
            cli._ids([bad], [], "--path-id")


def test_options_collect_ids_from_flags_and_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = tmp_path / "other.yaml"
    monkeypatch.setenv("TOKENOPS_VIDEO_IDS", "video_env_1, ,video_env_2")
    args = cli._parser("conformance").parse_args(
        [
            "--video-id", "video_flag",
            "--path-id", "job_id=job_1",
            "--disposable-id", "video_doomed",
            "--disposable-id", "job_id=job_doomed",
            "--spec", str(spec),
            "--baseline", str(tmp_path / "none.json"),
            "--request-timeout", "4",
        ]
    )  # fmt: skip
    target = types.SimpleNamespace(embedded=False)  # only whether writes may be sent is read from it here
    options = cli._options(args, target=target, api_key="sk-x", notify=print)  # type: ignore[arg-type]
    assert options.ids == {"video_id": ["video_flag", "video_env_1", "video_env_2"], "job_id": ["job_1"]}
    assert options.disposable == {"video_id": ["video_doomed"], "job_id": ["job_doomed"]}
    assert options.spec == spec
    assert options.baseline is None  # a baseline that does not exist yet is no baseline
    assert options.request_timeout == 4.0
    assert (options.writes.allowed, options.writes.max_writes) == (False, None)  # a target other than the mock


@pytest.mark.parametrize(
    ("verdict", "start"),
    [
        (Verdict.PASS, "pass: every operation conforms"),
        (Verdict.FAIL, "2 new finding(s) in failing categories."),
        (Verdict.INCONCLUSIVE, "inconclusive: not enough evidence to pass"),
        (Verdict.INTERRUPTED, "interrupted: the reports cover what ran; run again to conclude"),
    ],
)
def test_the_last_line_says_what_the_verdict_means(verdict: Verdict, start: str) -> None:
    decision = Decision(verdict, (), 2, (Category.SERVER_NONCONFORMANCE,), 5)
    args = cli._parser("conformance").parse_args(["--target", "http://h"])
    invocation = cli._Invocation("tokenops-conformance", ("--target", "http://h"))
    result = RunResult(target="t", base_url="http://h", started_at=0.0)
    assert cli._last_line(decision, result, args, invocation).startswith(start)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_the_console_script_exits_with_mains_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["tokenops-conformance", "--max-examples", "0"])
    with pytest.raises(SystemExit) as exited:
        _commands.conformance()
    assert exited.value.code == 2
    assert capsys.readouterr().err == "conformance: error: --max-examples must be >= 1\n"
    monkeypatch.setattr(sys, "argv", ["tokenops-conformance", "--max-examples", "many"])
    with pytest.raises(SystemExit) as exited:
        _commands.conformance()
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("usage: tokenops-conformance ")


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_an_unexpected_error_before_the_run_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("paths: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-cli-unit")
    code = cli.main(["--quiet", "--spec", str(spec), "--report-dir", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("conformance: error: ")
    assert "broken.yaml is not valid YAML (line 2, column 1)" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "reports").exists()


def _ctrl_c(conn: socket.socket) -> None:
    """The user presses Ctrl-C while the command waits for the target to answer."""
    signal.raise_signal(signal.SIGINT)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_ctrl_c_before_the_run_starts_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-cli-unit")
    previous = signal.getsignal(signal.SIGINT)
    try:
        with raw_server(_ctrl_c) as base:
            code = cli.main(["--quiet", "--target", base])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130
    assert capsys.readouterr().err == "conformance: interrupted before the run started\n"


def test_a_pass_with_operations_left_out_says_it_covers_the_tested_ones() -> None:
    decision = Decision(Verdict.PASS, (), 0, (Category.SERVER_NONCONFORMANCE,), 5)
    args = cli._parser("conformance").parse_args(["--target", "http://h"])
    invocation = cli._Invocation("tokenops-conformance", ("--target", "http://h"))
    result = RunResult(target="t", base_url="http://h", started_at=0.0, operations=["GET /a", "GET /b", "POST /a"])
    result.not_tested = {"GET /b": "not selected", "POST /a": "writes not allowed"}
    assert cli._last_line(decision, result, args, invocation) == (
        "pass: every tested operation conforms, with the evidence above (2 of 3 not tested: see above why)"
    )
