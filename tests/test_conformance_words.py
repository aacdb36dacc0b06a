"""Words match the verdict, as ``tokenops-conformance`` (its ``main()``) prints them, against broken servers
over TCP: a server answering 500 (or an HTML page) to everything is told so, not asked for ids; phases end in the
suite's own terms; the embedded mock is named at the address it really ran on."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.rawserver import raw_server

pytestmark = pytest.mark.integration


def _answer(status: str, media: str, body: bytes) -> object:
    def behaviour(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: {media}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        conn.sendall(head.encode() + body)

    return behaviour


def _run_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``tokenops-conformance *args`` in this process (the same ``main`` the console script calls, ~2 s faster a run
    than the installed script; the console scripts themselves run in the release tier's packaging tests)."""
    from contract_tests.suite import cli  # noqa: PLC0415 - schemathesis loads only for the tests that run the suite

    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-words")
    monkeypatch.delenv("TOKENOPS_VIDEO_IDS", raising=False)
    monkeypatch.chdir(tmp_path)
    reports = tmp_path / "reports"
    code = cli.main([*args, "--max-examples", "3", "--report-dir", str(reports)])
    out, err = capsys.readouterr()
    done = subprocess.CompletedProcess(["tokenops-conformance", *args], code, out, err)
    return done, json.loads((reports / "conformance.json").read_text(encoding="utf-8"))


@pytest.mark.committed_spec
@pytest.mark.parametrize(
    ("status", "media", "body"),
    [
        ("500 Internal Server Error", "application/json", b'{"error": {"message": "boom"}}'),
        ("200 OK", "text/html", b"<html><head><title>Welcome to nginx</title></head></html>"),
    ],
    ids=["500-everything", "html-everything"],
)
def test_a_server_answering_errors_to_everything_is_told_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: str,
    media: str,
    body: bytes,
) -> None:
    with raw_server(_answer(status, media, body)) as base:  # type: ignore[arg-type]
        done, report = _run_in_process(tmp_path, capsys, monkeypatch, "--target", base, "--quiet")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    why = [line for line in done.stdout.splitlines() if line.startswith("  why: ")]
    assert why == [
        "  why: the server answers errors to every request: a 5xx or a page that is not an API response; fix the "
        "server, or check that --target is the API and not a proxy's error page"
    ]
    assert "give ids" not in done.stdout
    assert "accept them: " not in done.stdout  # not offered for acceptance
    assert "these are not offered for acceptance" in done.stdout.splitlines()[-1]
    assert report["verdict"]["reasons"] == [line.removeprefix("  why: ") for line in why]


@pytest.mark.committed_spec
def test_phases_end_in_the_suites_terms_and_the_embedded_mock_is_named_where_it_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    done, report = _run_in_process(tmp_path, capsys, monkeypatch)
    assert done.returncode == 0, done.stdout[-3000:]
    phases = [line for line in done.stdout.splitlines() if line.startswith("· phase ") and "started" not in line]
    assert phases
    assert all(line.split(": ", 1)[1].startswith(("completed: ", "skipped: ")) for line in phases), phases
    assert "failure" not in done.stdout
    assert "deviations found" not in done.stdout
    assert {phase["outcome"] for phase in report["phases"].values()} <= {"completed", "skipped"}
    target = report["target"]
    ran_on = target["base_url"]
    assert ran_on.startswith("http://127.0.0.1:")
    assert ran_on != "http://127.0.0.1:4010"  # a free port, not the replay address
    assert target["replay_base_url"] == "http://127.0.0.1:4010"
    headline = next(line for line in done.stdout.splitlines() if line.startswith("PASS: "))
    assert headline.startswith(f"PASS: embedded mock (ran on {ran_on}; curls replay on http://127.0.0.1:4010), ")
