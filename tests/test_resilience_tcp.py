"""The client against the mock's fault modes over real TCP (the mock as a server on 127.0.0.1), on every transport.

Time is simulated: the client's clock drives the mock's (each client sleep advances the mock's clock by the
same amount through the control API), so Retry-After and deadlines are measured exactly and nothing sleeps. Each
test runs on the sync client's pool, the async client's own pool and ``DefaultAioHttpClient`` (tests/transports.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import SERVER_KEY as KEY
from tests.mock_helpers import LinkedClock
from tests.rawserver import CountingProxy
from tests.transports import ASYNC_TRANSPORTS, TRANSPORTS, async_client, call_with
from tokenops import InternalServerError, TokenOps, Video, VideoStatus

every_transport = pytest.mark.parametrize("transport", TRANSPORTS)


@pytest.fixture
def mock_base(server: str) -> str:
    return server


@pytest.fixture
def clock(mock_base: str) -> Iterator[LinkedClock]:
    linked = LinkedClock(mock_base)
    yield linked
    linked.close()


def _fault(control: httpx.Client, **rule: Any) -> None:
    assert control.post("/_mock/faults", json=rule).status_code == 201


def _retrieve(transport: str, base_url: str, clock: LinkedClock, **options: Any) -> Video:
    """``videos.retrieve("video_completed_demo")`` on a client for ``transport``, linked to the mock's clock."""
    video: Video = call_with(
        transport,
        lambda client: client.videos.retrieve("video_completed_demo"),
        api_key=KEY,
        base_url=base_url,
        clock=clock,
        **options,
    )
    return video


def _count(control: httpx.Client, status: int) -> int:
    return int(control.get("/_mock/stats").json()["requests"].get(f"api_{status}", 0))


@pytest.mark.integration
@every_transport
def test_429_retry_after_is_honoured(
    mock_base: str, mock_control: httpx.Client, clock: LinkedClock, transport: str
) -> None:
    _fault(mock_control, kind="rate_limit", retry_after=3, count=1)
    video = _retrieve(transport, mock_base, clock)
    assert video.is_terminal
    assert clock.sleeps == [3.0]
    assert _count(mock_control, 429) == 1


@every_transport
def test_503_burst_shorter_than_the_retry_budget_succeeds(
    mock_base: str, mock_control: httpx.Client, clock: LinkedClock, transport: str
) -> None:
    _fault(mock_control, kind="server_error", status=503, count=2)
    video = _retrieve(transport, mock_base, clock, max_retries=2)
    assert video.status is VideoStatus.COMPLETED
    assert _count(mock_control, 503) == 2
    assert len(clock.sleeps) == 2


@every_transport
@pytest.mark.parametrize("max_retries", [0, 2, 4])
def test_503_burst_longer_fails_after_exactly_max_retries_plus_one_attempts(
    mock_base: str, mock_control: httpx.Client, clock: LinkedClock, max_retries: int, transport: str
) -> None:
    _fault(mock_control, kind="server_error", status=503, count=10)
    with pytest.raises(InternalServerError):
        _retrieve(transport, mock_base, clock, max_retries=max_retries)
    assert _count(mock_control, 503) == max_retries + 1


@every_transport
def test_connection_drops_are_retried(
    mock_base: str, mock_control: httpx.Client, clock: LinkedClock, transport: str
) -> None:
    _fault(mock_control, kind="drop", count=2)
    video = _retrieve(transport, mock_base, clock, max_retries=2)
    assert video.is_terminal
    assert _count(mock_control, 200) == 1
    assert _count(mock_control, 599) == 2  # the mock counts a response cut mid-body as 599
    assert len(clock.sleeps) == 2


@every_transport
def test_wait_survives_a_fault_burst_mid_wait_and_finishes_before_its_deadline(
    mock_base: str, mock_control: httpx.Client, clock: LinkedClock, transport: str
) -> None:
    mock_control.post("/_mock/jobs", json={"id": "video_burst", "pending_seconds": 2, "running_seconds": 20})
    burst = {"armed": True}

    def on_progress(video: Video) -> None:
        if video.status is VideoStatus.IN_PROGRESS and burst["armed"]:
            burst["armed"] = False  # more 503s than one retrieve's budget: wait() must poll through them
            _fault(mock_control, kind="server_error", status=503, count=5)

    started = clock.now
    video = call_with(
        transport,
        lambda client: client.videos.wait("video_burst", timeout=60, on_progress=on_progress),
        api_key=KEY,
        base_url=mock_base,
        clock=clock,
        max_retries=2,
    )
    assert video.status is VideoStatus.COMPLETED
    assert not burst["armed"]
    assert _count(mock_control, 503) == 5
    assert clock.now - started <= 60
    assert clock.now - started >= 20  # it really waited for the job (22 s, less the real time that passed)


# --- connection pools over real TCP (a counting proxy in front of the mock) ------------------------------------------


@pytest.mark.integration
def test_a_sync_client_shared_by_32_threads_opens_at_most_32_connections(
    server: str, mock_control: httpx.Client
) -> None:
    assert mock_control.post("/_mock/jobs", json={"id": "video_pool"}).status_code == 201
    with (
        CountingProxy(server) as proxy,
        TokenOps(api_key=KEY, base_url=proxy.base_url) as client,
        ThreadPoolExecutor(32) as threads,
    ):
        videos = list(threads.map(lambda _: client.videos.retrieve("video_pool"), range(32 * 8)))
    assert all(v.id == "video_pool" for v in videos)
    # A thread may find every connection busy an instant before one is returned: a few extra, never churn
    # (httpx's default pool keeps 20 alive: 1,556 connections for 4,800 calls, about 200 for these 256).
    assert 1 <= proxy.connections <= 32 * 1.2


@pytest.mark.integration
@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_wait_many_keeps_one_connection_per_slot_beyond_the_default_pool(
    server: str, mock_control: httpx.Client, transport: str
) -> None:
    ids = [f"video_many_{i}" for i in range(400)]
    jobs = [{"id": video_id, "pending_seconds": 0, "running_seconds": 0.5} for video_id in ids]
    assert mock_control.post("/_mock/jobs", json=jobs).status_code == 201

    async def run(base_url: str) -> list[Any]:
        # DefaultAioHttpClient is sized by its owner; the client's own pool (100) is widened for the call.
        size = 150 if transport == "aiohttp" else None
        async with async_client(transport, api_key=KEY, base_url=base_url, max_connections=size) as client:
            return await client.videos.wait_many(ids, timeout=60, concurrency=150)

    with CountingProxy(server) as proxy:
        results = asyncio.run(run(proxy.base_url))
    assert [r.id for r in results] == ids
    assert all(isinstance(r, Video) and r.status is VideoStatus.COMPLETED for r in results)
    # ~1,200 polls: a pool that churned (httpx's 20 kept alive) opens about one connection per poll. On a loaded
    # machine a few connections are replaced (the benchmark measures the figure: benchmarks/bench_wait_many.py).
    assert proxy.connections <= 150 * 2
