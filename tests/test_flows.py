"""The flows' control flow, pinned exactly: per-request timeouts, boundaries of deadlines, log lines, warnings."""

from __future__ import annotations

import logging
import random
from typing import Any

import httpx
import pytest

from tests.fakes import FakeClock, Script, error, ok, video
from tokenops import (
    APIConnectionError,
    InternalServerError,
    RateLimitError,
    ResponseValidationError,
    TokenOpsWarning,
    VideoStatus,
    WaitTimeout,
)
from tokenops._flows import Send

TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=5.0)
CLIENT_TIMEOUT = httpx.Timeout(1.0)


def _send(deadline: float | None) -> Send:
    return Send(method="GET", url="http://api.test/x", timeout=TIMEOUT, deadline=deadline)


def test_timeout_at_caps_every_part_by_the_time_left() -> None:
    assert _send(None).timeout_at(0.0, CLIENT_TIMEOUT) == TIMEOUT
    capped = _send(107.0).timeout_at(100.0, CLIENT_TIMEOUT)
    assert capped is not None
    assert (capped.connect, capped.read, capped.write, capped.pool) == (7.0, 7.0, 7.0, 5.0)
    roomy = _send(150.0).timeout_at(100.0, CLIENT_TIMEOUT)
    assert roomy is not None
    assert (roomy.connect, roomy.read, roomy.write, roomy.pool) == (10.0, 50.0, 30.0, 5.0)
    ample = _send(300.0).timeout_at(100.0, CLIENT_TIMEOUT)
    assert ample is not None
    assert (ample.connect, ample.read, ample.write, ample.pool) == (10.0, 60.0, 30.0, 5.0)
    unbounded = Send(method="GET", url="u", timeout=httpx.Timeout(None), deadline=103.0)
    parts = unbounded.timeout_at(100.0, CLIENT_TIMEOUT)
    assert parts is not None
    assert (parts.connect, parts.read, parts.write, parts.pool) == (3.0, 3.0, 3.0, 3.0)


def test_timeout_at_starts_from_the_clients_timeout_when_the_call_has_none() -> None:
    client_timeout = httpx.Timeout(connect=2.0, read=20.0, write=4.0, pool=1.0)
    assert Send(method="GET", url="u").timeout_at(0.0, client_timeout) is client_timeout
    capped = Send(method="GET", url="u", deadline=103.0).timeout_at(100.0, client_timeout)
    assert capped is not None
    assert (capped.connect, capped.read, capped.write, capped.pool) == (2.0, 3.0, 3.0, 1.0)


def test_timeout_at_gives_none_once_no_time_is_left() -> None:
    assert _send(100.0).timeout_at(100.0, CLIENT_TIMEOUT) is None
    assert _send(100.0).timeout_at(101.0, CLIENT_TIMEOUT) is None
    assert _send(100.0).timeout_at(99.99, CLIENT_TIMEOUT) is not None


# --- boundaries of the deadline -----------------------------------------------------------------------------------


def test_a_retry_after_ending_exactly_at_the_deadline_is_not_waited_for(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(429, headers={"retry-after": "60"}), ok())
    with pytest.raises(RateLimitError):
        make_client(script).videos.wait("video_123", timeout=60)
    assert clock.sleeps == []


def test_a_retry_inside_a_poll_never_sleeps_up_to_the_deadline(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(503, headers={"retry-after": "10"}), ok())
    with pytest.raises(InternalServerError):
        make_client(script).videos.wait("video_123", timeout=10, max_retries=3)
    assert clock.sleeps == []
    assert script.count == 1


def test_a_regular_poll_landing_exactly_on_the_deadline_becomes_a_final_early_poll(
    make_client: Any, clock: FakeClock
) -> None:
    script = Script(ok(video("in_progress", progress=1)))
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=10, poll_interval=5)
    assert clock.sleeps == [5.0, 4.5]
    assert script.count == 3
    assert caught.value.video_id == "video_123"
    assert "last error" not in str(caught.value)


def test_an_error_at_the_deadline_ends_the_wait_without_a_retry(make_client: Any, clock: FakeClock) -> None:
    script = Script(httpx.ConnectError("refused"), clock=clock, latency=5.0)
    retries: list[float] = []
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=5, on_retry=lambda exc, delay: retries.append(delay))
    assert retries == []
    assert caught.value.video_id == "video_123"
    assert caught.value.last_error is not None


def test_the_announced_retry_delay_is_the_pause_actually_taken_before_the_deadline(
    make_client: Any, clock: FakeClock
) -> None:
    # Connection refused at once, every time: the backoff grows past the time left, the last pause is cut short.
    script = Script(httpx.ConnectError("refused"))
    retries: list[float] = []
    with pytest.raises(WaitTimeout):
        make_client(script).videos.wait("video_123", timeout=3, on_retry=lambda exc, delay: retries.append(delay))
    assert retries == clock.sleeps  # what `tokenops videos wait` prints is what happens
    assert sum(retries) < 3


def test_an_error_landing_on_the_deadline_keeps_the_last_video(make_client: Any, clock: FakeClock) -> None:
    # t=0 poll (2.5 s) -> 30 %; sleep 5; t=7.5 poll with 2.5 s left fails exactly at the deadline.
    script = Script(ok(video("in_progress", progress=30)), httpx.ConnectError("refused"), clock=clock, latency=2.5)
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=10, poll_interval=5)
    assert clock.now == pytest.approx(1010.0)
    assert caught.value.last_video is not None
    assert caught.value.last_video.progress == 30


def test_a_wait_timeout_after_errors_keeps_the_last_video(make_client: Any, clock: FakeClock) -> None:
    script = Script(ok(video("in_progress", progress=30)), error(503))
    with pytest.raises(WaitTimeout) as caught:
        make_client(script).videos.wait("video_123", timeout=20)
    assert caught.value.video_id == "video_123"
    assert caught.value.last_video is not None
    assert caught.value.last_video.progress == 30
    assert isinstance(caught.value.last_error, InternalServerError)


@pytest.mark.parametrize("reply", [ok(status=204), ok(body=[1, 2], status=201)], ids=["204", "201 list"])
def test_retrieve_and_wait_refuse_a_success_that_is_not_a_video(make_client: Any, reply: httpx.Response) -> None:
    # An undocumented 2xx parses to None or plain JSON: videos promise a Video, so it is an error, not a result.
    for method in ("retrieve", "wait"):
        with pytest.raises(ResponseValidationError, match="the response is not a Video") as caught:
            getattr(make_client(Script(reply)).videos, method)("video_123")
        assert caught.value.response is not None
        assert caught.value.response.status_code == reply.status_code


def test_a_connection_error_names_the_request_that_was_attempted(make_client: Any) -> None:
    # The request the driver built (with the call's query and the client's headers), not one rebuilt from the URL.
    client = make_client(Script(httpx.ConnectError("refused")), max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.videos.retrieve("video_123", extra_query={"trace": "1"})
    request = caught.value.request
    assert request is not None
    assert str(request.url) == "http://api.test/v1/videos/video_123?trace=1"
    assert request.headers["user-agent"].startswith("tokenops-python/")
    assert "GET http://api.test/v1/videos/video_123?trace=1" in str(caught.value)


def test_300_is_not_a_success(make_client: Any) -> None:
    with pytest.raises(Exception, match="300"):
        make_client(Script(ok(status=300)), max_retries=0).videos.retrieve("video_123")


def test_an_http_date_retry_after_is_honoured_by_retrieve(make_client: Any, clock: FakeClock) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415
    from email.utils import format_datetime  # noqa: PLC0415

    when = format_datetime(datetime.fromtimestamp(clock.time() + 20, tz=UTC), usegmt=True)
    make_client(Script(error(503, headers={"retry-after": when}), ok())).videos.retrieve("video_123")
    assert clock.sleeps == [pytest.approx(20.0)]


def test_backoff_jitter_comes_from_the_clients_rng(make_client: Any, clock: FakeClock) -> None:
    client = make_client(Script(error(500), error(500), ok()))
    client._settings.rng.seed(11)
    client.videos.retrieve("video_123")
    reference = random.Random(11)
    assert clock.sleeps == [0.5 * (1 - 0.25 * reference.random()), 1.0 * (1 - 0.25 * reference.random())]
    waiting = make_client(Script(error(500), ok()))
    waiting._settings.rng.seed(5)
    clock.sleeps.clear()
    waiting.videos.wait("video_123")
    assert clock.sleeps == [0.5 * (1 - 0.25 * random.Random(5).random())]


# --- the server answering for another id -------------------------------------------------------------------------


def test_another_id_warns_once_and_strict_names_the_value_and_response(make_client: Any) -> None:
    other = video("in_progress", id="video_other", progress=5)
    script = Script(ok(other), ok(video("in_progress", id="video_other", progress=6)), ok(video(id="video_other")))
    with pytest.warns(TokenOpsWarning) as caught:
        assert make_client(script).videos.wait("video_123").status is VideoStatus.COMPLETED
    assert len(caught) == 1
    with pytest.raises(ResponseValidationError) as strict:
        make_client(Script(ok(other)), strict=True).videos.wait("video_123")
    assert strict.value.value == "video_other"
    assert strict.value.response is not None
    assert strict.value.response.status_code == 200


# --- log lines, exactly -------------------------------------------------------------------------------------------


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "tokenops"]


def test_request_and_retry_log_lines(make_client: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(Script(error(503, headers={"retry-after": "2"}), httpx.ConnectError("down"), ok()))
    with caplog.at_level(logging.DEBUG, logger="tokenops"):
        client.videos.retrieve("video_123")
    url = "http://api.test/v1/videos/video_123"
    messages = _messages(caplog)
    assert messages[0] == f"GET {url} -> 503 (attempt 1)"
    assert messages[1] == f"Retrying GET {url} in 2.00 s (Error code: 503 - boom, retry 1 of 2)"
    assert messages[2] == f"GET {url} -> ConnectError (attempt 2)"
    assert messages[3].startswith(f"Retrying GET {url} in ")
    assert messages[3].endswith(f"(Connection error (ConnectError: down): GET {url}, retry 2 of 2)")
    assert messages[4] == f"GET {url} -> 200 (attempt 3)"


def test_wait_logs_each_transient_error(make_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(Script(error(429, headers={"retry-after": "3"}), ok()))
    with caplog.at_level(logging.INFO, logger="tokenops"):
        client.videos.wait("video_123")
    assert _messages(caplog) == ["wait(video_123): transient error, polling again in 3.00 s: Error code: 429 - boom"]
