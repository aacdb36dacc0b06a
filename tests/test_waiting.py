"""wait() and wait_many(): completion, failure, deadlines, server hints, transient errors, ordering, bounds."""

from __future__ import annotations

import asyncio
import gc
import json
import ssl
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.fakes import FakeClock, Script, error, ok, video
from tokenops import (
    APIConnectionError,
    AsyncTokenOps,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    SystemClock,
    TokenOpsError,
    TokenOpsWarning,
    Video,
    VideoGenerationFailed,
    VideoStatus,
    WaitTimeout,
    _config,
    response_info,
)


def progress(status: str, pct: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return ok(video(status, progress=pct), headers=headers)


def test_wait_returns_the_completed_video_and_reports_each_change(make_client: Any, clock: FakeClock) -> None:
    script = Script(
        progress("queued", 0),
        progress("in_progress", 10),
        progress("in_progress", 10),
        progress("in_progress", 60),
        ok(),
    )
    seen: list[tuple[str, object]] = []
    result = make_client(script).videos.wait(
        "video_123", on_progress=lambda v: seen.append((v.status_text, v.progress))
    )
    assert result.status is VideoStatus.COMPLETED
    assert script.count == 5
    assert seen == [("queued", 0), ("in_progress", 10), ("in_progress", 60), ("completed", 100)]


def test_default_poll_interval_starts_near_1s_and_backs_off_to_at_most_10s(make_client: Any, clock: FakeClock) -> None:
    script = Script(*[progress("in_progress", 5)] * 12, ok())
    make_client(script).videos.wait("video_123")
    assert 0.8 <= clock.sleeps[0] <= 1.0
    assert all(later >= 0.8 * earlier for earlier, later in zip(clock.sleeps, clock.sleeps[1:], strict=False))
    assert max(clock.sleeps) <= 10.0
    assert clock.sleeps[-1] >= 8.0  # it did grow towards the cap


def test_server_hint_is_reread_on_every_response(make_client: Any, clock: FakeClock) -> None:
    script = Script(
        progress("in_progress", 10, {"openai-poll-after-ms": "2000"}),
        progress("in_progress", 20, {"openai-poll-after-ms": "500"}),
        progress("in_progress", 30, {"retry-after": "3"}),
        progress("in_progress", 40),
        ok(),
    )
    make_client(script).videos.wait("video_123", poll_interval=7.0)
    assert clock.sleeps == [2.0, 0.5, 3.0, 7.0]


@pytest.mark.parametrize("hint", [{"openai-poll-after-ms": "0"}, {"retry-after": "0"}, {"retry-after": "-3"}])
def test_a_zero_hint_does_not_become_a_busy_loop(make_client: Any, clock: FakeClock, hint: dict[str, str]) -> None:
    script = Script(progress("in_progress", 10, hint), ok())
    make_client(script).videos.wait("video_123")
    assert len(clock.sleeps) == 1
    assert 0.8 <= clock.sleeps[0] <= 1.0  # the default interval (with jitter), not an immediate poll


def test_a_tiny_hint_is_floored(make_client: Any, clock: FakeClock) -> None:
    script = Script(progress("in_progress", 10, {"openai-poll-after-ms": "1"}), ok())
    make_client(script).videos.wait("video_123")
    assert clock.sleeps == [0.1]


def test_failed_job_raises_with_its_error(make_client: Any) -> None:
    failed = video("failed", error={"code": "moderation_blocked", "message": "Prompt rejected", "type": "invalid"})
    script = Script(progress("in_progress", 50), ok(failed))
    with pytest.raises(VideoGenerationFailed) as caught:
        make_client(script).videos.wait("video_123")
    assert caught.value.code == "moderation_blocked"
    assert caught.value.message == "Prompt rejected"
    assert caught.value.video.status is VideoStatus.FAILED
    assert "moderation_blocked: Prompt rejected" in str(caught.value)


def test_deadline_raises_wait_timeout_with_the_last_video_and_never_polls_past_it(
    make_client: Any, clock: FakeClock
) -> None:
    script = Script(progress("in_progress", 42), clock=clock, latency=0.05)
    start = clock.now
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=30.0, poll_interval=4.0)
    assert caught.value.last_video is not None
    assert caught.value.last_video.progress == 42
    assert "within 30s" in str(caught.value)
    assert clock.now - start <= 30.0
    assert all(request.extensions["timeout"]["read"] <= 30.0 for request in script.requests)
    # Polls every 4 s, and one final poll shortly before the deadline rather than none.
    assert script.count == 9


def test_unknown_status_keeps_polling(make_client: Any) -> None:
    script = Script(progress("upscaling", 99), progress("upscaling", 99), ok())
    assert make_client(script).videos.wait("video_123").is_terminal
    assert script.count == 3


def test_transient_errors_mid_wait_are_polled_through(make_client: Any, clock: FakeClock) -> None:
    script = Script(
        progress("in_progress", 10),
        error(503),
        error(503),
        error(503),  # the retrieve's own budget (max_retries=2) is exhausted here ...
        httpx.ConnectError("reset"),
        progress("in_progress", 80),  # ... and wait() carried on anyway
        ok(),
    )
    assert make_client(script).videos.wait("video_123", timeout=120).status is VideoStatus.COMPLETED
    assert script.count == 7


def test_transient_errors_until_the_deadline_become_wait_timeout(make_client: Any) -> None:
    script = Script(error(503))
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=20)
    assert caught.value.last_video is None
    assert "no response yet" in str(caught.value)


@pytest.mark.parametrize(("status", "cls"), [(401, AuthenticationError), (404, NotFoundError)])
def test_permanent_errors_end_the_wait_at_once(make_client: Any, status: int, cls: type[Exception]) -> None:
    script = Script(progress("in_progress", 10), error(status))
    with pytest.raises(cls):
        make_client(script).videos.wait("video_123")
    assert script.count == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout must be a positive"),
        ({"timeout": float("nan")}, "timeout must be a positive"),
        ({"poll_interval": -1.0}, "poll_interval must be"),
    ],
)
def test_invalid_wait_arguments(make_client: Any, kwargs: dict[str, Any], message: str) -> None:
    script = Script(ok())
    with pytest.raises(ValueError, match=message):
        make_client(script).videos.wait("video_123", **kwargs)
    assert script.count == 0


def test_keyboard_interrupt_propagates_cleanly(make_client: Any) -> None:
    def interrupt(video: Video) -> None:
        raise KeyboardInterrupt

    script = Script(progress("in_progress", 1))
    with pytest.raises(KeyboardInterrupt):
        make_client(script).videos.wait("video_123", on_progress=interrupt)
    assert script.count == 1


# --- async ------------------------------------------------------------------------------------------------------


class JobServer:
    """An async MockTransport handler: job N completes at t0 + duration[N]; tracks in-flight requests."""

    def __init__(self, clock: FakeClock, durations: dict[str, float], failing: frozenset[str] = frozenset()) -> None:
        self.clock = clock
        self.start = clock.now
        self.durations = durations
        self.failing = failing
        self.in_flight = 0
        self.peak = 0
        self.requests = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0)  # let other tasks start their requests
        self.in_flight -= 1
        video_id = request.url.path.rsplit("/", 1)[-1]
        if video_id not in self.durations:
            return error(404)
        elapsed = self.clock.now - self.start
        if elapsed < self.durations[video_id]:
            body = video("in_progress", id=video_id, progress=int(100 * elapsed / self.durations[video_id]))
            return ok(body, headers={"openai-poll-after-ms": "1000"})
        if video_id in self.failing:
            return ok(video("failed", id=video_id, error={"code": "boom", "message": "failed"}))
        return ok(video("completed", id=video_id))


def test_async_wait(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 5.0})

    async def run() -> Video:
        async with make_async_client(server) as client:
            return await client.videos.wait("video_a")

    assert asyncio.run(run()).status is VideoStatus.COMPLETED
    assert server.requests == 6


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_keeps_input_order_and_puts_failures_in_place(make_async_client: Any, clock: FakeClock) -> None:
    durations = {f"video_{i}": float(20 - i) for i in range(10)}
    server = JobServer(clock, durations, failing=frozenset({"video_3"}))
    ids = [*durations, "video_missing"]

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(ids, timeout=120, concurrency=3)

    results = asyncio.run(run())
    assert [getattr(r, "id", None) for r in results[:3]] == ["video_0", "video_1", "video_2"]
    assert isinstance(results[3], VideoGenerationFailed)
    assert all(isinstance(r, Video) for i, r in enumerate(results[:10]) if i != 3)
    assert isinstance(results[10], NotFoundError)
    assert server.peak <= 3


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_respects_the_concurrency_bound(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {f"video_{i}": 3.0 for i in range(50)})

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(server.durations, concurrency=7)

    assert len(asyncio.run(run())) == 50
    assert server.peak == 7


def test_wait_many_can_raise_the_first_error(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_ok": 50.0, "video_bad": 2.0}, failing=frozenset({"video_bad"}))

    async def run() -> list[Video]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(["video_ok", "video_bad"], return_exceptions=False)

    with pytest.raises(VideoGenerationFailed):
        asyncio.run(run())


def test_wait_many_validates_every_id_before_any_request(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 1.0})

    async def run(ids: list[str], **kwargs: Any) -> Any:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(ids, **kwargs)

    with pytest.raises(ValueError, match="non-empty"):
        asyncio.run(run(["video_a", " "]))
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(run(["video_a"], concurrency=0))
    with pytest.raises(InvalidArgumentError, match="video_id must be a string, not int"):
        asyncio.run(run(["video_a", 7]))  # type: ignore[list-item]
    assert server.requests == 0


def test_wait_many_reports_progress_of_every_job(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 2.0, "video_b": 3.0})
    seen: list[tuple[str, str]] = []

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(
                ["video_a", "video_b"], on_progress=lambda v: seen.append((str(v.id), v.status_text))
            )

    assert [r.status_text for r in asyncio.run(run())] == ["completed", "completed"]
    assert {("video_a", "completed"), ("video_b", "completed"), ("video_a", "in_progress")} <= set(seen)


def test_wait_many_keeps_responses_only_for_finished_jobs(make_async_client: Any, clock: FakeClock) -> None:
    # Memory: 10,000 running jobs must not hold 10,000 responses; a finished job's result keeps its own.
    server = JobServer(clock, {"video_a": 2.0, "video_b": 1e9})
    in_callback: list[Any] = []

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(
                ["video_a", "video_b"], timeout=30, on_progress=lambda v: in_callback.append(response_info(v))
            )

    done, running = asyncio.run(run())
    info = response_info(done)
    assert info is not None
    assert info.status_code == 200
    assert isinstance(running, WaitTimeout)
    assert running.last_video is not None
    assert response_info(running.last_video) is None
    assert in_callback
    assert all(info is not None for info in in_callback)


def test_retrieve_refuses_an_id_that_is_not_a_string(make_client: Any) -> None:
    script = Script(ok(video()))
    with pytest.raises(InvalidArgumentError, match="video_id must be a string, not int"):
        make_client(script).videos.retrieve(123)
    assert script.count == 0


def test_cancelling_an_async_wait_stops_it(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 1e9})

    async def run() -> None:
        async with make_async_client(server) as client:
            task = asyncio.create_task(client.videos.wait("video_a"))
            while server.requests < 3:
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    assert server.requests == 3


def test_results_are_token_ops_errors_only(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 1e9})

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(["video_a"], timeout=5)

    (result,) = asyncio.run(run())
    assert isinstance(result, WaitTimeout)
    assert isinstance(result, TokenOpsError)


# --- rate limits and transient errors -----------------------------------------------------------------------------


def test_retry_after_on_429_is_honoured_within_the_deadline(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(429, headers={"retry-after": "120"}), ok())
    retries: list[tuple[str, float]] = []
    video_ = make_client(script).videos.wait(
        "video_123", timeout=600, on_retry=lambda exc, delay: retries.append((type(exc).__name__, delay))
    )
    assert video_.status is VideoStatus.COMPLETED
    assert clock.sleeps == [120.0]
    assert retries == [("RateLimitError", 120.0)]


def test_retry_after_ms_on_503_is_honoured(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(503, headers={"retry-after-ms": "2500"}), ok())
    make_client(script).videos.wait("video_123", timeout=600)
    assert clock.sleeps == [2.5]


def test_retry_after_past_the_deadline_raises_the_rate_limit_at_once(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(429, headers={"retry-after": "120"}), ok())
    with pytest.raises(RateLimitError):
        make_client(script).videos.wait("video_123", timeout=60)
    assert clock.sleeps == []
    assert script.count == 1


@pytest.mark.parametrize("value", ["0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
def test_zero_negative_or_past_retry_after_backs_off(make_client: Any, clock: FakeClock, value: str) -> None:
    script = Script(error(429, headers={"retry-after": value}), error(429, headers={"retry-after": value}), ok())
    make_client(script).videos.wait("video_123", timeout=60)
    assert len(clock.sleeps) == 2
    assert 0.375 <= clock.sleeps[0] <= 0.5  # backoff_delay(0): 0.5 s minus up to 25% jitter
    assert 0.75 <= clock.sleeps[1] <= 1.0  # backoff_delay(1)


def test_backoff_after_transient_errors_grows_and_resets_after_a_success(make_client: Any, clock: FakeClock) -> None:
    script = Script(
        error(500),
        error(500),
        error(500),
        progress("in_progress", 5, {"openai-poll-after-ms": "3000"}),
        error(502),
        ok(),
    )
    make_client(script).videos.wait("video_123", timeout=600)
    low, high = zip(*((0.375, 0.5), (0.75, 1.0), (1.5, 2.0), (3.0, 3.0), (0.375, 0.5)), strict=True)
    assert len(clock.sleeps) == 5
    assert all(lo <= s <= hi for lo, s, hi in zip(low, clock.sleeps, high, strict=True)), clock.sleeps


def test_each_poll_is_one_attempt_unless_max_retries_says_otherwise(make_client: Any, clock: FakeClock) -> None:
    retries: list[float] = []
    script = Script(error(503), ok())
    make_client(script).videos.wait("video_123", on_retry=lambda exc, delay: retries.append(delay))
    assert len(retries) == 1  # the wait's own poll-through, not the retrieve's hidden retries
    script = Script(error(503), ok())
    retries.clear()
    make_client(script).videos.wait("video_123", max_retries=3, on_retry=lambda exc, delay: retries.append(delay))
    assert retries == []
    assert script.count == 2


def test_wait_timeout_names_the_last_error(make_client: Any) -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=5)
    assert isinstance(caught.value.last_error, APIConnectionError)
    assert "connection refused" in str(caught.value)
    assert "http://api.test/v1/videos/video_123" in str(caught.value)


def test_every_request_timeout_is_the_time_left(make_client: Any, clock: FakeClock) -> None:
    script = Script(progress("in_progress", 42), clock=clock, latency=1.0)
    start = clock.now
    with pytest.raises(WaitTimeout):
        make_client(script, timeout=60.0).videos.wait("video_123", timeout=10.0, poll_interval=3.0)
    sent_at = [start]
    for sleep in clock.sleeps:
        sent_at.append(sent_at[-1] + 1.0 + sleep)
    for when, request in zip(sent_at, script.requests, strict=False):
        assert request.extensions["timeout"]["read"] == pytest.approx(start + 10.0 - when)
    assert clock.now - start <= 10.0


def test_no_request_is_sent_once_the_deadline_has_passed(make_client: Any, clock: FakeClock) -> None:
    # A request that takes longer than the time left: the next poll must not go out.
    script = Script(progress("in_progress", 1), clock=clock, latency=4.0)
    start = clock.now
    with pytest.raises(WaitTimeout):
        make_client(script).videos.wait("video_123", timeout=5.0, poll_interval=0.2)
    # t=0 poll (4 s), t=4.2 poll with a 0.8 s timeout (times out at 5.0), then nothing: the deadline has passed.
    assert script.count == 2
    assert script.requests[1].extensions["timeout"]["read"] == pytest.approx(0.8)
    assert clock.now - start == pytest.approx(5.0)


# --- the id the server answers for -------------------------------------------------------------------------------


def test_an_id_that_changes_mid_wait_is_a_warning_when_tolerant(make_client: Any) -> None:
    script = Script(progress("in_progress", 10), ok(video(id="video_other")), ok(video(id="video_other")))
    with pytest.warns(TokenOpsWarning, match="video_other") as caught:
        result = make_client(script).videos.wait("video_123")
    assert result.id == "video_other"
    assert len(caught) == 1


def test_an_id_that_changes_mid_wait_is_an_error_when_strict(make_client: Any) -> None:
    script = Script(progress("in_progress", 10), ok(video(id="video_other")))
    with pytest.raises(ResponseValidationError, match="video_other") as caught:
        make_client(script, strict=True).videos.wait("video_123")
    assert caught.value.field == "id"
    assert script.count == 2


# --- wait_many: one deadline, whatever the queueing; pools ---------------------------------------------------------


class SlowServer:
    """Every request takes ``latency`` seconds of fake time; jobs never finish. Records when each was sent."""

    def __init__(self, clock: FakeClock, latency: float) -> None:
        self.clock = clock
        self.latency = latency
        self.sent: list[float] = []
        self.timeouts: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(self.clock.now)
        self.timeouts.append(request.extensions["timeout"]["read"])
        self.clock.now += self.latency
        await asyncio.sleep(0)
        video_id = request.url.path.rsplit("/", 1)[-1]
        return ok(video("in_progress", id=video_id, progress=1))


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_never_sends_past_its_deadline_while_queueing(make_async_client: Any, clock: FakeClock) -> None:
    server = SlowServer(clock, latency=0.05)
    start = clock.now

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many([f"video_{i}" for i in range(600)], timeout=2, concurrency=10)

    results = asyncio.run(run())
    assert len(results) == 600
    assert all(isinstance(result, WaitTimeout) for result in results)
    # The fake clock runs one request at a time, so a request checked just before the deadline can reach the
    # server up to `concurrency` latencies later; none is checked after it (before the fix: 7.8 s for 2 s).
    slack = 10 * 0.05
    assert server.sent
    assert max(server.sent) < start + 2 + slack
    assert len(server.sent) <= 2 / 0.05 + 10
    assert all(timeout <= 2 for timeout in server.timeouts)
    assert clock.now - start <= 2 + 2 * slack


async def _pool_for(client: AsyncTokenOps, connections: int) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    """The pool wait_many sends over for ``connections`` in flight, and the client's own."""
    requester = client.videos._requester
    async with requester.pool(connections) as pool:
        assert not pool.is_closed
    return pool, requester._http


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_opens_a_pool_of_its_concurrency_only_beyond_the_clients_own(monkeypatch: pytest.MonkeyPatch) -> None:
    contexts: list[ssl.SSLContext] = []
    real_context = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        contexts.append(real_context(*args, **kwargs))
        return contexts[-1]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    _config.tls_for.cache_clear()
    client = AsyncTokenOps(api_key="sk-test", base_url="http://api.test", max_connections=50)
    try:
        pool, own = asyncio.run(_pool_for(client, 50))
        assert pool is own
        pool, own = asyncio.run(_pool_for(client, 200))
        assert pool is not own
        assert pool.is_closed  # opened for the call, closed after it
        assert not own.is_closed
        assert pool.headers["authorization"] == "Bearer sk-test"
        assert len(contexts) == 1  # the CA bundle is loaded once for the client and every pool it opens
    finally:
        asyncio.run(client.close())
    injected = AsyncTokenOps(api_key="sk-test", base_url="http://api.test", http_client=httpx.AsyncClient())
    pool, own = asyncio.run(_pool_for(injected, 10_000))
    assert pool is own  # a pool you pass in is yours to size


class _ParkedClock(SystemClock):
    """Real time, but a pause between polls lasts until the task is cancelled."""

    async def asleep(self, seconds: float) -> None:
        await asyncio.Event().wait()


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_closes_its_pools_however_often_it_is_cancelled() -> None:
    # 20 in flight on a client whose own pool holds 5: a pool of 20 is opened for the call. Every job polls once (a
    # real keep-alive connection each), then parks; the call is cancelled, and cancelled again at every step of its
    # cleanup. The connections must still be closed, by the client: the cyclic garbage collector, which would close
    # the sockets of pools left open, is off meanwhile. (Before: the second cancellation skipped the closing; a
    # plain `await aclose()` in a `finally` loses the pools a later cancellation interrupts.)
    state = {"requests": 0, "open": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state["open"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                video_id = head.split(b" ", 2)[1].decode().rsplit("/", 1)[-1]
                body = json.dumps(video("in_progress", id=video_id, progress=1)).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
                writer.write(b"content-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                state["requests"] += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            state["open"] -= 1
            writer.close()

    async def scenario() -> BaseException:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            client = AsyncTokenOps(api_key="sk-test", base_url=base_url, clock=_ParkedClock(), max_connections=5)
            async with client:
                ids = [f"video_{i}" for i in range(20)]
                task = asyncio.ensure_future(client.videos.wait_many(ids, concurrency=20, timeout=60))
                while state["requests"] < len(ids):
                    await asyncio.sleep(0.01)
                assert state["open"] > 0
                # Cancelled, and again at every step of its cleanup (waiting for the cancelled polls, closing pools).
                while not task.done():
                    task.cancel()
                    await asyncio.sleep(0)
                with pytest.raises(asyncio.CancelledError) as caught:
                    await task
                while state["open"]:  # bounded by the wait_for below
                    await asyncio.sleep(0.01)
        return caught.value

    gc.disable()
    try:
        assert isinstance(asyncio.run(asyncio.wait_for(scenario(), 10)), asyncio.CancelledError)
    finally:
        gc.enable()


def test_wait_many_validates_options_into_the_error_tree(make_async_client: Any, clock: FakeClock) -> None:
    server = JobServer(clock, {"video_a": 1.0})

    async def run(**kwargs: Any) -> Any:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(["video_a"], **kwargs)

    for kwargs in ({"timeout": -1}, {"timeout": float("nan")}, {"concurrency": True}, {"poll_interval": 0}):
        with pytest.raises(InvalidArgumentError):
            asyncio.run(run(**kwargs))
    assert server.requests == 0


@pytest.mark.integration  # real time: a deadline no fake clock can advance
def test_wait_many_returns_at_its_deadline_even_when_a_request_hangs(clock: FakeClock) -> None:
    # A transport that ignores timeouts (no fake clock can advance it): the hard stop ends the call anyway,
    # about HARD_STOP_GRACE real seconds after its timeout, with the last state seen.
    seen = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("video_fast"):
            return ok(video("completed", id="video_fast"))
        if not seen.is_set():
            seen.set()
            return ok(video("in_progress", id="video_hang", progress=7), headers={"openai-poll-after-ms": "1"})
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def run() -> list[Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(hang))
        async with AsyncTokenOps(api_key="sk-test", base_url="http://api.test", http_client=http) as client:
            # 0.5 s: enough for the first polls on a loaded machine (0.05 s was not: the fast job went unsent)
            return await client.videos.wait_many(["video_fast", "video_hang"], timeout=0.5)

    fast, hung = asyncio.run(run())
    assert isinstance(fast, Video)
    assert isinstance(hung, WaitTimeout)
    assert hung.last_video is not None
    assert hung.last_video.progress == 7


# --- wait_many's scheduler: each job on its own hints, no task per waiting job ---------------------------------------


class HintServer:
    """Job N finishes ``durations[N]`` fake seconds after the start and asks to be polled every ``hints[N]`` ms;
    counts requests per job and the tasks alive while each request is served."""

    def __init__(self, clock: FakeClock, durations: dict[str, float], hints: dict[str, int]) -> None:
        self.clock, self.start = clock, clock.now
        self.durations, self.hints = durations, hints
        self.polls: Counter[str] = Counter()
        self.tasks = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        video_id = request.url.path.rsplit("/", 1)[-1]
        self.polls[video_id] += 1
        self.tasks = max(self.tasks, len(asyncio.all_tasks()))
        if self.clock.now - self.start < self.durations[video_id]:
            hint = {"openai-poll-after-ms": str(self.hints[video_id])}
            return ok(video("in_progress", id=video_id, progress=1), headers=hint)
        return ok(video("completed", id=video_id))


def test_wait_many_polls_each_job_when_its_server_hint_says(make_async_client: Any, clock: FakeClock) -> None:
    durations = {"video_fast": 3.0, "video_slow": 3.0, "video_once": 0.0}
    hints = {"video_fast": 500, "video_slow": 1500, "video_once": 1000}
    server = HintServer(clock, durations, hints)

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(list(durations), timeout=60, concurrency=2)

    assert all(isinstance(result, Video) for result in asyncio.run(run()))
    # At 0, then every hint until done: 0, .5, ... 3.0 (7 polls); 0, 1.5, 3.0 (3); done at once (1).
    assert server.polls == {"video_fast": 7, "video_slow": 3, "video_once": 1}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_wait_many_keeps_no_task_per_waiting_job(make_async_client: Any, clock: FakeClock) -> None:
    ids = [f"video_{i}" for i in range(300)]
    server = HintServer(clock, dict.fromkeys(ids, 5.0), dict.fromkeys(ids, 1000))

    async def run() -> list[Any]:
        async with make_async_client(server) as client:
            return await client.videos.wait_many(ids, timeout=60, concurrency=4)

    assert all(isinstance(result, Video) for result in asyncio.run(run()))
    assert sum(server.polls.values()) == 300 * 6
    # The call's task, 4 workers and the timer: waiting jobs are heap entries (before: a task per job, 301+).
    assert server.tasks <= 1 + 4 + 1


def test_an_error_in_on_progress_ends_wait_many_with_it_and_leaves_nothing_running(
    make_async_client: Any, clock: FakeClock
) -> None:
    ids = [f"video_{i}" for i in range(20)]
    server = HintServer(clock, dict.fromkeys(ids, 5.0), dict.fromkeys(ids, 1000))

    def boom(video: Video) -> None:
        if video.id == "video_7":
            raise LookupError("the caller's bug")

    async def run() -> set[asyncio.Task[Any]]:
        async with make_async_client(server) as client:
            with pytest.raises(LookupError, match="the caller's bug"):
                await client.videos.wait_many(ids, timeout=60, concurrency=3, on_progress=boom)
        return set(asyncio.all_tasks()) - {asyncio.current_task()}

    assert asyncio.run(run()) == set()
