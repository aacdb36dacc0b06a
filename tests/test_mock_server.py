"""The mock as a real server: ``python -m contract_tests.mock`` on a free 127.0.0.1 port, hit over TCP."""

from __future__ import annotations

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
