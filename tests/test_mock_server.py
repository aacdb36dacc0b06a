"""The mock as a real server: ``python -m contract_tests.mock`` on a free 127.0.0.1 port, hit over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT
from tokenops import APIConnectionError, TokenOps, VideoStatus

KEY = "sk-tcp-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "contract_tests.mock", "--port", str(port), "--api-key", KEY, "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path_factory.mktemp("mock") / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/_mock/clock", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mock did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _reset(server: str) -> None:
    assert httpx.post(f"{server}/_mock/reset", timeout=5).status_code == 200


def test_well_known_ids_over_tcp(server: str) -> None:
    response = httpx.get(f"{server}/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert httpx.get(f"{server}/v1/videos/video_completed_demo").status_code == 401


def test_client_waits_for_a_job_over_tcp(server: str) -> None:
    httpx.post(f"{server}/_mock/jobs", json={"id": "video_tcp", "pending_seconds": 0.1, "running_seconds": 0.3})
    seen: list[str] = []
    with TokenOps(api_key=KEY, base_url=server) as client:
        video = client.videos.wait(
            "video_tcp", timeout=20, poll_interval=0.1, on_progress=lambda v: seen.append(v.status_text)
        )
    assert video.status is VideoStatus.COMPLETED
    assert seen[-1] == "completed"


def test_client_survives_a_503_burst_and_a_dropped_connection_over_tcp(server: str) -> None:
    httpx.post(f"{server}/_mock/faults", json={"kind": "server_error", "count": 2})
    with TokenOps(api_key=KEY, base_url=server, max_retries=2) as client:
        assert client.videos.retrieve("video_completed_demo").is_terminal
        httpx.post(f"{server}/_mock/faults", json={"kind": "drop", "count": 1})
        assert client.videos.retrieve("video_completed_demo").is_terminal
        httpx.post(f"{server}/_mock/faults", json={"kind": "drop"})
        with pytest.raises(APIConnectionError):
            client.videos.retrieve("video_completed_demo")
    stats = httpx.get(f"{server}/_mock/stats").json()["requests"]
    assert stats["api_503"] == 2


def test_huge_headers_are_refused_over_tcp(server: str) -> None:
    response = httpx.get(
        f"{server}/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}", "X-Big": "y" * 20_000}
    )
    assert 400 <= response.status_code < 500
