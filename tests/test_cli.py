"""The tokenops CLI: output and exit codes (0 ok, 1 failed/API error, 2 usage/config, 3 timeout, 130 interrupt)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.fakes import CANARY_KEY, Script, error, ok, video
from tokenops import _cli


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENOPS_API_KEY", CANARY_KEY)
    monkeypatch.setenv("TOKENOPS_BASE_URL", "http://api.test")


def run(script: Script, *argv: str) -> int:
    return _cli.main(list(argv), http_client=httpx.Client(transport=httpx.MockTransport(script)))


def test_get_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Script(ok(video("completed", model="sora-2", size="720x1280"))), "videos", "get", "video_123") == 0
    out = capsys.readouterr().out
    assert out.startswith("video_123  completed  100%  model=sora-2  size=720x1280")
    assert "created=2025-03-10T01:31:23Z" in out


def test_get_json_prints_the_body(capsys: pytest.CaptureFixture[str]) -> None:
    body = video("queued", extra_field="kept")
    assert run(Script(ok(body)), "videos", "get", "video_123", "--json") == 0
    assert json.loads(capsys.readouterr().out) == body


def test_wait_prints_plain_progress_lines_off_a_tty(capsys: pytest.CaptureFixture[str]) -> None:
    # The server hint keeps the real sleep tiny: the CLI uses the system clock.
    script = Script(
        ok(video("in_progress", progress=30, id="v"), headers={"openai-poll-after-ms": "1"}),
        ok(video("completed", id="v")),
    )
    assert run(script, "videos", "wait", "v", "--timeout", "30") == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["v in_progress 30%", "v completed 100%"]
    assert captured.out.startswith("v  completed  100%")


def test_failed_job_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    failed = video("failed", error={"code": "moderation_blocked", "message": "nope"})
    assert run(Script(ok(failed)), "videos", "wait", "video_123") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "tokenops: error: video video_123 failed (moderation_blocked: nope)"
    assert not any("Traceback" in line for line in err)


@pytest.mark.parametrize(("status", "name"), [(404, "NotFoundError"), (401, "AuthenticationError")])
def test_api_errors_exit_1(capsys: pytest.CaptureFixture[str], status: int, name: str) -> None:
    assert run(Script(error(status, message="no such video")), "videos", "get", "video_x") == 1
    err = capsys.readouterr().err
    assert err.strip() == f"tokenops: error: {name}: Error code: {status} - no such video"


def test_wait_timeout_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    script = Script(ok(video("in_progress", progress=5), headers={"openai-poll-after-ms": "1"}))
    assert run(script, "videos", "wait", "video_123", "--timeout", "0.2") == 3
    assert "did not finish within 0.2s" in capsys.readouterr().err


def test_missing_key_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENOPS_API_KEY")
    assert run(Script(ok()), "videos", "get", "video_123") == 2
    assert "TOKENOPS_API_KEY" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run(Script(ok()), "videos", "frobnicate")
    assert caught.value.code == 2
    assert run(Script(ok()), "videos", "get", "  ") == 2
    assert "non-empty" in capsys.readouterr().err


def test_interrupt_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Script(KeyboardInterrupt()), "videos", "get", "video_123") == 130  # type: ignore[arg-type]
    assert "interrupted" in capsys.readouterr().err


def test_debug_prints_a_traceback_without_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Script(error(500, message=f"echo {CANARY_KEY}")), "--debug", "videos", "get", "video_123") == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert CANARY_KEY not in err


def test_console_script_runs_as_a_process() -> None:
    env = {**os.environ, "TOKENOPS_API_KEY": CANARY_KEY, "TOKENOPS_BASE_URL": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-m", "tokenops", "videos", "get", "video_123"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tokenops: error: APIConnectionError")
    assert CANARY_KEY not in result.stderr + result.stdout


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wait_draws_a_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    script = Script(
        ok(video("in_progress", progress=40, id="v"), headers={"openai-poll-after-ms": "1"}),
        ok(video("completed", id="v")),
    )
    assert run(script, "videos", "wait", "v", "--timeout", "30") == 0
    drawn = terminal.getvalue()
    assert "v completed" in drawn
    assert "100%" in drawn
    assert "━" in drawn  # rich's bar
