"""The tokenops CLI: output and exit codes (0 ok, 1 failed/API error, 2 usage/config, 3 timeout, 130 interrupt)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import tokenops
from tests.conftest import ROOT
from tests.fakes import CANARY_KEY, FakeClock, Script, error, ok, video
from tokenops import _cli


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENOPS_API_KEY", CANARY_KEY)
    monkeypatch.setenv("TOKENOPS_BASE_URL", "http://api.test")


def run(script: Script, *argv: str) -> int:
    # A fake clock: retries and polls never really sleep.
    return _cli.main(list(argv), http_client=httpx.Client(transport=httpx.MockTransport(script)), clock=FakeClock())


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


@pytest.mark.integration
def test_console_script_runs_as_a_process(server: str) -> None:
    # The session's mock refuses the canary key with a 401, which is not retried: no real backoff in the process.
    env = {**os.environ, "TOKENOPS_API_KEY": CANARY_KEY, "TOKENOPS_BASE_URL": server, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "tokenops", "videos", "get", "video_123"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tokenops: error: AuthenticationError")
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


# --- issue 12: the CLI as a user meets it -------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        _cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"tokenops {tokenops.__version__}"


def test_base_url_and_debug_are_accepted_after_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    script = Script(ok())
    assert run(script, "videos", "get", "video_123", "--base-url", "http://other.test", "--debug") == 0
    assert str(script.requests[0].url) == "http://other.test/v1/videos/video_123"
    assert run(script, "--base-url", "http://first.test", "videos", "get", "video_123") == 0
    assert str(script.requests[1].url) == "http://first.test/v1/videos/video_123"


def test_debug_logs_every_request_without_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    script = Script(error(503), ok())
    assert _cli.main(["--debug", "videos", "get", "video_123"], http_client=_http(script), clock=clock) == 0
    err = capsys.readouterr().err
    assert "GET http://api.test/v1/videos/video_123 -> 503 (attempt 1)" in err
    assert "GET http://api.test/v1/videos/video_123 -> 200 (attempt 2)" in err
    assert CANARY_KEY not in err


@pytest.mark.parametrize(
    ("reply", "code", "status"),
    [
        (ok(video("failed", error={"code": "blocked", "message": "no"})), 1, "failed"),
        (ok(video("queued")), 3, "queued"),
    ],
)
def test_wait_json_prints_the_final_state_also_on_failure_or_timeout(
    capsys: pytest.CaptureFixture[str], reply: httpx.Response, code: int, status: str
) -> None:
    argv = ["videos", "wait", "video_123", "--json", "--timeout", "5"]
    assert _cli.main(argv, http_client=_http(Script(reply)), clock=FakeClock()) == code
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == status
    assert captured.err.strip().splitlines()[-1].startswith("tokenops: error:")


def test_wait_json_prints_null_when_no_state_was_ever_seen(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["videos", "wait", "video_123", "--json", "--timeout", "5"]
    assert _cli.main(argv, http_client=_http(Script(error(503))), clock=FakeClock()) == 3
    assert json.loads(capsys.readouterr().out) is None


@pytest.mark.parametrize("action", ["get", "wait"])
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.ConnectTimeout("timed out"),
    ],
    ids=["refused", "dns", "connect-timeout"],
)
def test_a_server_never_reached_ends_get_and_wait_as_unreachable(
    capsys: pytest.CaptureFixture[str], action: str, failure: Exception
) -> None:
    script = Script(failure)
    clock = FakeClock()
    argv = ["videos", action, "video_123"]  # wait's default --timeout is 600 s: not waited out
    assert _cli.main(argv, http_client=_http(script), clock=clock) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("tokenops: error: unreachable: http://api.test/v1/videos/video_123 (")
    assert len(script.requests) == _cli.CONNECT_ATTEMPTS
    assert clock.now - FakeClock().now < 10  # the backoff between the attempts (fake clock): seconds, not --timeout


def test_every_request_has_the_connect_budget() -> None:
    script = Script(ok(video("completed")))
    assert run(script, "videos", "get", "video_123") == 0
    assert script.requests[0].extensions["timeout"]["connect"] == _cli.CONNECT_TIMEOUT


def test_a_server_that_answered_once_is_polled_through_a_dropped_connection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = Script(
        ok(video("in_progress", progress=10, id="v"), headers={"openai-poll-after-ms": "1"}),
        *[httpx.ConnectError("[Errno 111] Connection refused")] * 4,
        ok(video("completed", id="v")),
    )
    assert _cli.main(["videos", "wait", "v", "--timeout", "60"], http_client=_http(script), clock=FakeClock()) == 0
    assert "retrying in" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        ({"TOKENOPS_API_KEY": ""}, [], "no API key: set TOKENOPS_API_KEY (the CLI never takes the key as an argument)"),
        ({}, ["--base-url", "ftp://x"], "--base-url 'ftp://x' must be an absolute http:// or https:// URL"),
        ({"TOKENOPS_BASE_URL": "http://u:pw@host"}, [], "TOKENOPS_BASE_URL 'http://***@host' contains a user name or"),
        ({}, ["--base-url", "http://h/v1?x=1"], "--base-url 'http://h/v1?x=1' must not contain a query"),
    ],
)
def test_cli_errors_name_options_and_variables_not_python_arguments(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    argv: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert run(Script(ok()), *argv, "videos", "get", "video_123") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tokenops: error: {message}")
    assert "api_key=" not in err
    assert "base_url" not in err


def test_a_bad_timeout_is_a_usage_error_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run(Script(ok()), "videos", "wait", "video_123", "--timeout", "-1")
    assert caught.value.code == 2
    assert "argument --timeout: '-1' is not a positive number of seconds" in capsys.readouterr().err


@pytest.mark.parametrize(
    "base",
    ["http://h", "http://h/", "http://h/v1", "http://h/v1/", "http://h/api", "http://h/api/v1", "http://h/v1/videos"],
)
def test_the_cli_calls_the_url_of_the_shared_base_url_rule(base: str) -> None:
    from tokenops.spec import PathTemplate, join_url  # noqa: PLC0415

    script = Script(ok())
    assert run(script, "--base-url", base, "videos", "get", "video_123") == 0
    template = PathTemplate.compile("/v1/videos/{video_id}")
    assert str(script.requests[0].url) == join_url(base, template, template.expand({"video_id": "video_123"}))


def test_plain_lines_when_rich_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setitem(sys.modules, "rich", None)  # what `import rich` sees without the `cli` extra
    script = Script(ok(video("in_progress", progress=40, id="v")), ok(video("completed", id="v")))
    assert _cli.main(["videos", "wait", "v"], http_client=_http(script), clock=FakeClock()) == 0
    assert terminal.getvalue().splitlines() == ["v in_progress 40%", "v completed 100%"]


def test_the_bar_shows_connecting_retrying_and_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    clock = FakeClock()
    states: list[str] = []
    script = Script(
        httpx.ConnectError("[Errno 111] Connection refused"),
        ok(video("in_progress", progress=20, id="v"), headers={"openai-poll-after-ms": "10000"}),
        ok(video("in_progress", progress=40, id="v"), headers={"openai-poll-after-ms": "10000"}),
        ok(video("completed", id="v")),
    )
    from tokenops import _progress  # noqa: PLC0415

    real = _progress.RichDisplay.progress

    def spy(self: Any, video_: Any) -> None:
        real(self, video_)
        states.append(self.bar.tasks[0].fields["eta"])

    monkeypatch.setattr(_progress.RichDisplay, "progress", spy)
    assert _cli.main(["videos", "wait", "v"], http_client=_http(script), clock=clock) == 0
    drawn = terminal.getvalue()
    assert "v completed" in drawn
    assert states[:2] == ["eta --", "eta 30s"]  # 20 % in 10 s: 60 % left takes 30 s


def test_progress_rate_eta() -> None:
    from tokenops._progress import ProgressRate, format_eta  # noqa: PLC0415

    clock = FakeClock()
    rate = ProgressRate(clock)
    assert rate.eta(10) is None
    clock.now += 0.5
    assert rate.eta(20) is None  # too short a sample
    clock.now += 9.5
    assert rate.eta(30) == pytest.approx(35.0)
    assert rate.eta(None) is None
    assert rate.eta(5) is None  # progress went backwards: start over
    assert (format_eta(None), format_eta(75.2), format_eta(4.4)) == ("eta --", "eta 1m15s", "eta 4s")


# Release tier: `python -m tokenops` processes on a real closed pipe (~0.5 s each). Their in-process twin, in make
# test: test_run_ends_quietly_with_exit_0_when_the_reader_went_away.
@pytest.mark.parametrize("argv", [["videos", "get", "video_pipe", "--json"], ["videos", "wait", "video_pipe"]])
@pytest.mark.release
def test_a_reader_that_goes_away_ends_quietly(server: str, mock_control: httpx.Client, argv: list[str]) -> None:
    # `tokenops ... | head -1`: the reader closes the pipe before the CLI writes (it is still importing).
    from tests.conftest import SERVER_KEY  # noqa: PLC0415

    # A job that finishes within a second, so `wait` reaches its final write soon (the mock's clock is real here).
    job = {"id": "video_pipe", "pending_seconds": 0, "running_seconds": 0.3}
    assert mock_control.post("/_mock/jobs", json=job).status_code == 201
    env = {**os.environ, "TOKENOPS_API_KEY": SERVER_KEY, "TOKENOPS_BASE_URL": server, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tokenops", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None
    assert process.stderr is not None
    with process.stderr:
        process.stdout.close()
        stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr


def _http(script: Script) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(script))


# --- the entry points: `tokenops` (run) and `python -m tokenops` ---------------------------------------------------


def test_get_of_a_failed_job_summarises_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    failed = video("failed", error={"code": "moderation_blocked", "message": "nope"})
    assert run(Script(ok(failed)), "videos", "get", "video_123") == 0  # get reports the job; only wait judges it
    out = capsys.readouterr().out
    assert out.startswith("video_123  failed")
    assert out.rstrip().endswith("error=moderation_blocked: nope")


def test_get_of_an_error_without_a_code_keeps_the_separator(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(Script(ok(video("failed", error="quota exhausted"))), "videos", "get", "video_123") == 0
    assert capsys.readouterr().out.rstrip().endswith("error=: quota exhausted")


def test_run_exits_with_the_code_of_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["tokenops", "--version"])
    with pytest.raises(SystemExit) as caught:
        _cli.run()
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"tokenops {tokenops.__version__}"


def test_python_dash_m_tokenops_is_the_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import runpy  # noqa: PLC0415

    monkeypatch.setattr(sys, "argv", ["tokenops", "videos"])  # a usage error: argparse exits 2 before any request
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("tokenops", run_name="__main__")
    assert caught.value.code == 2
    assert "usage: tokenops" in capsys.readouterr().err


class _ClosedPipe(io.StringIO):
    """stdout after `| head -1` has exited: writes vanish, the flush fails, the descriptor is a real one."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self._fd


def test_run_ends_quietly_with_exit_0_when_the_reader_went_away(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tmp_path / "stdout").open("w") as target:
        pipe = _ClosedPipe(target.fileno())
        monkeypatch.setattr(sys, "stdout", pipe)
        monkeypatch.setattr(sys, "argv", ["tokenops", "--version"])
        with pytest.raises(SystemExit) as caught:
            _cli.run()
        # The descriptor now points at /dev/null, so the interpreter's last flush cannot raise again.
        assert os.path.samestat(os.fstat(target.fileno()), Path(os.devnull).stat())
    assert caught.value.code == _cli.EXIT_OK  # what the reader wanted (`| head -1`), it read
    assert capsys.readouterr().err == ""


def test_retry_reason_is_a_few_scrubbed_words() -> None:
    from tokenops import ResponseValidationError  # noqa: PLC0415
    from tokenops._progress import retry_reason  # noqa: PLC0415
    from tokenops.redaction import REDACTED, register_secret  # noqa: PLC0415

    secret = register_secret("sk-reason-secret")
    reason = retry_reason(ResponseValidationError(f"bad body from {secret.value}: " + "x" * 300))
    assert reason.startswith(f"bad body from {REDACTED}: xxx")
    assert len(reason) == 200


# The console script as installed, as a process (release tier: make test keeps one process smoke test,
# test_console_script_runs_as_a_process; each behaviour here has an in-process twin through main() above).
@pytest.mark.release
def test_the_installed_cli_against_a_refused_port_a_v1_base_and_a_closed_pipe(server: str) -> None:
    """``tokenops`` as installed: a refused port ends get and wait at once (exit 1, ``unreachable: URL``), a base URL
    ending in ``/v1`` reaches the API, and ``| head -1`` ends with exit 0."""
    from contract_tests.mock.process import free_port  # noqa: PLC0415
    from tests.conftest import SERVER_KEY  # noqa: PLC0415

    script = str(Path(sys.executable).with_name("tokenops"))
    env = {**os.environ, "TOKENOPS_API_KEY": SERVER_KEY, "TOKENOPS_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    for action in ("get", "wait"):
        done = subprocess.run(
            [script, "videos", action, "video_completed_demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        (line,) = [line for line in done.stderr.splitlines() if line.startswith("tokenops: error:")]
        assert line.startswith(
            f"tokenops: error: unreachable: {env['TOKENOPS_BASE_URL']}/v1/videos/video_completed_demo ("
        )
    env["TOKENOPS_BASE_URL"] = f"{server}/v1"
    done = subprocess.run(
        [script, "videos", "get", "video_completed_demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.split()[:2]) == (0, ["video_completed_demo", "completed"]), done.stderr
    piped = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{script} videos get video_completed_demo --json | head -1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "{\n", "")
