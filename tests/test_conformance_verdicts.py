"""No green without evidence: the run ends inconclusive (3) naming the cause, interrupted (130) on Ctrl-C, and
``--fail-on`` / ``--min-checked`` decide what fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance_fakes import LABEL, PASSING, findings_of, run_cli
from tests.conftest import ROOT, SERVER_KEY

pytestmark = pytest.mark.integration


def test_a_wrong_key_is_inconclusive_not_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    code, report = run_cli(tmp_path, "--target", server, key="sk-wrong", monkeypatch=monkeypatch)
    assert code == 3
    assert report["verdict"]["verdict"] == "inconclusive"
    assert "every authenticated request got 401: is TOKENOPS_API_KEY right?" in report["verdict"]["reasons"]
    assert {op["operation"]: op["checked_bodies"] for op in report["operations"]} == dict.fromkeys(
        (op["operation"] for op in report["operations"]), 0
    )


@pytest.mark.committed_spec
def test_a_base_url_ending_in_v1_reaches_the_same_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    # One base URL rule (tokenops.spec.join_url), as the client and the CLI: https://host/v1 and https://host are
    # the same API for paths that start with /v1, and our mock's control API is found at the shared base.
    code, report = run_cli(
        tmp_path, "--target", f"{server}/v1", key=SERVER_KEY, monkeypatch=monkeypatch, examples=PASSING
    )
    assert (code, report["verdict"]["reasons"]) == (0, [])
    assert report["target"]["base_url"] == f"{server}/v1"
    assert report["target"]["name"].startswith("tokenops mock at")
    assert all(op["checked_bodies"] >= 5 for op in report["operations"])
    urls = [f["request"]["url"] for f in report["findings"] if f["request"].get("url")]
    assert urls
    assert all(url.startswith(f"{server}/v1/videos/") for url in urls), urls


def test_a_base_url_where_the_api_is_not_is_inconclusive_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    code, report = run_cli(tmp_path, "--target", f"{server}/api", key=SERVER_KEY, monkeypatch=monkeypatch)
    assert code == 3
    assert (
        f"no 2xx body for {LABEL}: every id returned 404; check the ids and that --target is the API's base URL"
        in report["verdict"]["reasons"]
    )


def test_ids_the_server_does_not_know_are_inconclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_cli(
        tmp_path, "--target", server, "--video-id", "video_expired_1", key=SERVER_KEY, monkeypatch=monkeypatch
    )
    assert code == 3
    (reason,) = [r for r in report["verdict"]["reasons"] if "video_expired_1" in r]
    assert reason.startswith("--video-id video_expired_1: no 2xx body checked in ")
    assert reason.endswith("; check the id")
    (evidence,) = [ids for ids in report["ids"] if ids["value"] == "video_expired_1"]
    assert evidence["given"] is True
    assert evidence["requests"] >= 1
    assert evidence["checked_bodies"] == 0
    terminal = capsys.readouterr().out
    assert "  why: --video-id video_expired_1: no 2xx body checked in " in terminal
    assert f"  id video_id=video_expired_1 (given): {evidence['requests']} requests, 0 bodies checked" in terminal


def test_fail_on_decides_which_categories_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-baseline.json"
    empty.write_text('{"format_version": 1, "entries": []}', encoding="utf-8")
    args = ("--baseline", str(empty), "--min-checked", "1")  # categories are the subject, not evidence thresholds
    code, report = run_cli(tmp_path, *args, monkeypatch=monkeypatch)
    assert code == 0  # the 401/404 spec gaps are new, but reported, not failing
    gaps = report["summary"]["categories"]["spec_gap"]["new"]
    assert {(f["signature"], f["status"]) for f in findings_of(report)} == {
        ("401", "new"),
        ("404", "new"),
        ("414", "new"),
    }
    assert gaps == len(report["findings"])
    code, report = run_cli(tmp_path, *args, "--fail-on", "spec_gap", monkeypatch=monkeypatch)
    assert code == 1
    assert report["verdict"]["failing"] == gaps
    assert report["verdict"]["fail_on"] == ["spec_gap"]


@pytest.mark.committed_spec
def test_min_checked_raises_the_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, report = run_cli(tmp_path, "--min-checked", "100000", monkeypatch=monkeypatch)
    assert code == 3
    reasons = report["verdict"]["reasons"]
    assert len(reasons) == len(report["operations"])  # one per operation
    assert all(reason.startswith("only ") for reason in reasons)
    assert any(f"checked for {LABEL} (need 100000)" in reason for reason in reasons)


def test_the_suite_honours_429_and_retry_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("--mock-fault", "rate_limit,retry_after=0.01,every=5")
    code, report = run_cli(tmp_path, *args, monkeypatch=monkeypatch, examples=PASSING)
    assert code == 0, report["verdict"]
    assert report["rate_limit_waits"] > 0  # the suite's own requests waited and retried
    tested = [op for op in report["operations"] if not op["not_tested"]]
    assert LABEL in {op["operation"] for op in tested}
    assert all(op["checked_bodies"] >= 5 for op in tested)


# Release tier: a real SIGINT to a conformance process (~1.3 s). make test proves the same path in-process: a
# KeyboardInterrupt mid-run (tests/test_runner.py) and the interrupted reports (tests/test_report.py).
@pytest.mark.release
def test_ctrl_c_exits_130_and_marks_the_reports_interrupted(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENOPS_API_KEY": "sk-interrupt"}
    command = [
        sys.executable,
        str(ROOT / "scripts" / "conformance.py"),
        "--report-dir",
        str(reports),
        "--max-examples",
        "400",
        "--mock-fault",
        "latency,latency_ms=20",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    for line in process.stdout:  # wait until schemathesis is sending requests
        if "phase coverage: started" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    assert report["verdict"]["verdict"] == "interrupted"
    assert report["verdict"]["exit_code"] == 130
    assert "INTERRUPTED" in (reports / "conformance.html").read_text(encoding="utf-8")
    assert (
        (reports / "conformance.md")
        .read_text(encoding="utf-8")
        .startswith("## ⏹️ TokenOps API conformance: INTERRUPTED")
    )
    assert "interrupted" in stdout.lower()
    assert "Traceback" not in stderr


def test_the_server_stops_with_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.suite.targets import embedded  # noqa: PLC0415

    target = embedded("sk-stop")
    assert httpx.get(f"{target.base_url}/_mock/clock", timeout=5).status_code == 200
    target.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{target.base_url}/_mock/clock", timeout=2)


class _NoControl:
    """Our mock without its control API: to the suite, a live server it can only poll."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/_mock"):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"no"})
            return
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    ("ids", "verdict"),
    [(["video_completed_demo", "video_in_progress_demo"], "pass"), (["video_in_progress_demo"], "inconclusive")],
    ids=["one-finished", "none-finished"],
)
def test_a_long_job_is_inconclusive_only_when_no_followed_job_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ids: list[str], verdict: str
) -> None:
    from contract_tests.mock import create_app  # noqa: PLC0415
    from contract_tests.suite.targets import serve_app  # noqa: PLC0415

    target = serve_app(_NoControl(create_app(api_keys=[SERVER_KEY], log_requests=False)), control=False)
    args = ["--target", target.base_url, "--lifecycle-timeout", "0.5", "--poll-interval", "0.25", "--min-checked", "1"]
    args += [word for video_id in ids for word in ("--video-id", video_id)]
    try:
        _code, report = run_cli(tmp_path, *args, key=SERVER_KEY, monkeypatch=monkeypatch)
    finally:
        target.close()
    lifecycle = report["lifecycle"]
    (running,) = lifecycle["unfinished"]
    assert (running["id"], running["last_status"], running["followed_seconds"]) == (
        "video_in_progress_demo",
        "in_progress",
        0.5,
    )
    assert 0 < running["last_progress"] < 100
    lifecycle_reasons = [reason for reason in report["verdict"]["reasons"] if reason.startswith("lifecycle:")]
    assert report["verdict"]["verdict"] == verdict, report["verdict"]["reasons"]
    if verdict == "pass":
        assert lifecycle["finished"] == ["video_completed_demo"]
        assert lifecycle_reasons == []
        assert any("video_in_progress_demo (in_progress, " in note for note in report["notes"])
    else:
        assert lifecycle["finished"] == []
        assert len(lifecycle_reasons) == 1
        assert "video_in_progress_demo (in_progress, " in lifecycle_reasons[0]
        assert "followed 0.5 s" in lifecycle_reasons[0]
