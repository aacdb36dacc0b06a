"""The mock as a real server: ``python -m contract_tests.mock`` on a free 127.0.0.1 port, hit over TCP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import SERVER_KEY as KEY
from tests.fakes import FakeClock
from tests.mock_helpers import LinkedClock
from tokenops import APIConnectionError, TokenOps, VideoStatus


def test_well_known_ids_over_tcp(server: str, mock_control: httpx.Client) -> None:
    response = mock_control.get("/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert mock_control.get("/v1/videos/video_completed_demo").status_code == 401


def test_client_waits_for_a_job_over_tcp(server: str, mock_control: httpx.Client) -> None:
    mock_control.post("/_mock/jobs", json={"id": "video_tcp", "pending_seconds": 1, "running_seconds": 3})
    seen: list[str] = []
    clock = LinkedClock(server)  # the client's polls advance the mock's clock: the 4 s job takes no real time
    try:
        with TokenOps(api_key=KEY, base_url=server, clock=clock) as client:
            video = client.videos.wait(
                "video_tcp", timeout=20, poll_interval=0.5, on_progress=lambda v: seen.append(v.status_text)
            )
    finally:
        clock.close()
    assert video.status is VideoStatus.COMPLETED
    assert seen[-1] == "completed"
    assert "in_progress" in seen  # it saw the job move, not only its end


def test_client_survives_a_503_burst_and_a_dropped_connection_over_tcp(server: str, mock_control: httpx.Client) -> None:
    mock_control.post("/_mock/faults", json={"kind": "server_error", "count": 2})
    clock = FakeClock()  # the retry backoff is waited on this clock: no real sleeping
    with TokenOps(api_key=KEY, base_url=server, max_retries=2, clock=clock) as client:
        assert client.videos.retrieve("video_completed_demo").is_terminal
        mock_control.post("/_mock/faults", json={"kind": "drop", "count": 1})
        assert client.videos.retrieve("video_completed_demo").is_terminal
        mock_control.post("/_mock/faults", json={"kind": "drop"})
        with pytest.raises(APIConnectionError):
            client.videos.retrieve("video_completed_demo")
    stats = mock_control.get("/_mock/stats").json()["requests"]
    assert stats["api_503"] == 2
    assert len(clock.sleeps) >= 2  # the client backed off between attempts (on the fake clock)


def test_huge_headers_are_refused_over_tcp(server: str, mock_control: httpx.Client) -> None:
    response = mock_control.get(
        "/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}", "X-Big": "y" * 20_000}
    )
    assert 400 <= response.status_code < 500


# The console script as a process (release tier; its in-process twins are in tests/test_mock_api.py).
@pytest.mark.release
def test_the_console_script_says_its_key_ignores_the_clients_and_refuses_a_busy_port(tmp_path: Path) -> None:
    """``tokenops-mock`` as a user starts it with a real key exported: it names the key it accepts (not theirs), and a
    second one on the same port says so in one line and exits 2."""
    script = Path(sys.executable).with_name("tokenops-mock")
    env = {**os.environ, "TOKENOPS_API_KEY": "sk-a-users-real-key"}
    env.pop("TOKENOPS_MOCK_API_KEY", None)
    log = tmp_path / "mock.log"
    with log.open("wb") as sink:
        first = subprocess.Popen([str(script), "--port", "0", "--quiet"], env=env, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 30
        while "TokenOps mock on " not in log.read_text(encoding="utf-8") and first.poll() is None:
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
        line = log.read_text(encoding="utf-8").splitlines()[-1]
        found = re.match(
            r"TokenOps mock on (http://127\.0\.0\.1:(\d+))  key: sk-mock-local  \(\$TOKENOPS_API_KEY is", line
        )
        assert found, line
        base, port = found.group(1), found.group(2)
        assert "sk-a-users-real-key" not in line
        with httpx.Client(base_url=base, timeout=10) as http:
            path = "/v1/videos/video_completed_demo"
            assert http.get(path, headers={"Authorization": "Bearer sk-a-users-real-key"}).status_code == 401
            assert http.get(path, headers={"Authorization": "Bearer sk-mock-local"}).status_code == 200
        second = subprocess.run(
            [str(script), "--port", port], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert second.returncode == 2
        assert second.stderr == (
            f"mock: error: port {port} on 127.0.0.1 is already in use (another mock?): stop it, or pick a free "
            "port with --port N (0 picks one)\n"
        )
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl-C: a normal shutdown, exit 0, no traceback
        code = first.wait(timeout=10)
    assert code == 0
    assert "Traceback" not in log.read_text(encoding="utf-8")
