"""The malformed-response corpus: bad or surprising answers a real server (or proxy) may send.

Every kind is served to both ``TokenOps`` and ``AsyncTokenOps``. For each: nothing escapes the documented
error tree, nothing hangs past the configured timeout, and the result is the expected tolerant value or
typed error. README "Malformed-response corpus" lists the same kinds.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests import rawserver
from tests.fakes import CANARY_KEY, FakeClock, video
from tokenops import (
    UNSET,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncTokenOps,
    InternalServerError,
    RateLimitError,
    ResponseValidationError,
    TokenOps,
    TokenOpsError,
    Video,
    VideoStatus,
)
from tokenops_client.models import VideoStatusResponse

JSON = {"content-type": "application/json"}


def raw(
    status: int, content: bytes, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=content, headers=headers or JSON)


def body(data: Any) -> Callable[[httpx.Request], httpx.Response]:
    return raw(200, json.dumps(data).encode())


def streamed(status: int, content: bytes, headers: dict[str, str]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, stream=httpx.ByteStream(content), headers=headers)


def redirect_to_self(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"location": str(request.url)})


def all_null(request: httpx.Request) -> httpx.Response:
    # Every property the spec defines, from the generated model itself.
    return httpx.Response(200, json=dict.fromkeys(VideoStatusResponse._JSON_NAMES.values()))


Check = Callable[[Any], None]


def is_error(cls: type[Exception]) -> Check:
    def check(outcome: Any) -> None:
        assert isinstance(outcome, cls), repr(outcome)

    return check


def is_video(predicate: Callable[[Video], bool]) -> Check:
    def check(outcome: Any) -> None:
        assert isinstance(outcome, Video), repr(outcome)
        assert predicate(outcome), repr(outcome)

    return check


# (kind, handler, client options, expectation)
CORPUS: list[tuple[str, Callable[[httpx.Request], httpx.Response], dict[str, Any], Check]] = [
    ("empty-body-200", raw(200, b""), {}, is_error(ResponseValidationError)),
    ("empty-body-204", raw(204, b""), {}, is_error(ResponseValidationError)),
    ("truncated-json", raw(200, b'{"id": "video_123", "status": "compl'), {}, is_error(ResponseValidationError)),
    ("json-array", body([video()]), {}, is_error(ResponseValidationError)),
    ("json-string", body("video_123"), {}, is_error(ResponseValidationError)),
    ("json-number", body(42), {}, is_error(ResponseValidationError)),
    ("json-null", body(None), {}, is_error(ResponseValidationError)),
    (
        "html-200",
        raw(200, b"<html><body>Maintenance</body></html>", {"content-type": "text/html"}),
        {},
        is_error(ResponseValidationError),
    ),
    (
        "html-502",
        raw(502, b"<html><h1>502 Bad Gateway</h1></html>", {"content-type": "text/html"}),
        {},
        is_error(InternalServerError),
    ),
    (
        "wrong-content-type",
        raw(200, json.dumps(video()).encode(), {"content-type": "text/plain"}),
        {},
        is_video(lambda v: v.status is VideoStatus.COMPLETED),
    ),
    (
        "gzip-lie",
        streamed(200, b'{"id": "x"}', {"content-encoding": "gzip", **JSON}),
        {},
        is_error(ResponseValidationError),
    ),
    (
        "gzip-real",
        raw(200, gzip.compress(json.dumps(video()).encode()), {"content-encoding": "gzip", **JSON}),
        {},
        is_video(lambda v: v.id == "video_123"),
    ),
    ("huge-body", raw(200, b'{"id": "' + b"x" * (8 * 1024 * 1024) + b'"}'), {}, is_error(ResponseValidationError)),
    (
        "huge-body-chunked",
        streamed(200, b'{"pad": "' + b"y" * (6 * 1024 * 1024) + b'"}', JSON),
        {},
        is_error(ResponseValidationError),
    ),
    ("status-520", raw(520, b"origin error"), {}, is_error(InternalServerError)),
    ("status-599", raw(599, b""), {}, is_error(InternalServerError)),
    ("redirect-loop", redirect_to_self, {}, is_error(APIStatusError)),
    ("retry-after-garbage", raw(429, b"{}", {"retry-after": "tomorrow-ish"}), {}, is_error(RateLimitError)),
    ("retry-after-negative", raw(429, b"{}", {"retry-after": "-30"}), {}, is_error(RateLimitError)),
    ("retry-after-huge", raw(429, b"{}", {"retry-after": "86400"}), {}, is_error(RateLimitError)),
    ("every-field-null", all_null, {}, is_video(lambda v: v.status is UNSET and v.error is UNSET and v.id is UNSET)),
    (
        "every-enum-unknown",
        body(video("rendering", object="video.v2", size="4096x2160")),
        {},
        is_video(lambda v: v.status == "rendering" and v.size == "4096x2160" and not v.is_terminal),
    ),
    (
        "ints-as-strings",
        body(video("in_progress", progress="40", created_at="1741570283")),
        {},
        is_video(lambda v: v.progress == 40 and v.created_at == 1741570283),
    ),
    (
        "ints-as-floats",
        body(video("in_progress", progress=40.0, created_at=1741570283.5)),
        {},
        is_video(lambda v: v.progress == 40 and v.created_at is UNSET),
    ),
    ("ints-as-booleans", body(video("in_progress", progress=True)), {}, is_video(lambda v: v.progress is UNSET)),
    (
        "error-as-string",
        body(video("failed", error="GPU on fire")),
        {},
        is_video(lambda v: v.error_message == "GPU on fire"),
    ),
    (
        "duplicate-keys",
        raw(200, b'{"id": "video_1", "status": "pending", "status": "completed", "progress": 100}'),
        {},
        is_video(lambda v: v.status is VideoStatus.COMPLETED),
    ),
    ("invalid-utf8", raw(200, b'{"id": "\xff\xfe"}'), {}, is_error(ResponseValidationError)),
    ("utf8-bom", raw(200, b"\xef\xbb\xbf" + json.dumps(video()).encode()), {}, is_video(lambda v: v.id == "video_123")),
    ("deep-nesting", raw(200, b"[" * 200_000 + b"]" * 200_000), {}, is_error(ResponseValidationError)),
    (
        "nan-and-infinity",
        raw(200, b'{"id": "v", "progress": NaN, "created_at": Infinity}'),
        {},
        is_video(lambda v: v.progress is UNSET and v.created_at is UNSET),
    ),
    (
        "transport-reset",
        lambda request: (_ for _ in ()).throw(httpx.RemoteProtocolError("reset")),
        {},
        is_error(APIConnectionError),
    ),
    (
        "transport-read-timeout",
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow")),
        {},
        is_error(APITimeoutError),
    ),
]


def _sync(handler: Callable[[httpx.Request], httpx.Response], options: dict[str, Any]) -> Any:
    client = TokenOps(
        api_key=CANARY_KEY,
        base_url="http://corpus.test",
        clock=FakeClock(),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        **options,
    )
    try:
        return client.videos.retrieve("video_123")
    except TokenOpsError as exc:
        return exc


def _async(handler: Callable[[httpx.Request], httpx.Response], options: dict[str, Any]) -> Any:
    async def go() -> Any:
        client = AsyncTokenOps(
            api_key=CANARY_KEY,
            base_url="http://corpus.test",
            clock=FakeClock(),
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            **options,
        )
        try:
            return await client.videos.retrieve("video_123")
        except TokenOpsError as exc:
            return exc

    return asyncio.run(go())


def test_corpus_has_at_least_25_distinct_kinds() -> None:
    kinds = [kind for kind, *_ in CORPUS] + [kind for kind, *_ in TCP_CORPUS]
    assert len(kinds) == len(set(kinds))
    assert len(kinds) >= 25


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("kind", "handler", "options", "check"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_over_mock_transport(
    flavour: str, kind: str, handler: Callable[[httpx.Request], httpx.Response], options: dict[str, Any], check: Check
) -> None:
    outcome = (_sync if flavour == "sync" else _async)(handler, options)  # anything else raised fails the test
    check(outcome)
    if isinstance(outcome, TokenOpsError):
        assert CANARY_KEY not in str(outcome)


def test_a_redirect_loop_followed_by_your_own_client_is_a_connection_error() -> None:
    client = TokenOps(
        api_key=CANARY_KEY,
        base_url="http://corpus.test",
        clock=FakeClock(),
        http_client=httpx.Client(transport=httpx.MockTransport(redirect_to_self), follow_redirects=True),
    )
    with pytest.raises(APIConnectionError, match="TooManyRedirects"):
        client.videos.retrieve("video_123")


# --- over real TCP: resets and stalls ------------------------------------------------------------------------

HOLD = threading.Event()
STALL_READ = 0.1  # the read timeout the stall runs into: short, it is what that kind is about
TCP_CORPUS: list[tuple[str, rawserver.Behaviour, type[Exception], float]] = [
    ("tcp-reset-before-headers", rawserver.reset_before_headers, APIConnectionError, 2.0),
    ("tcp-reset-after-headers", rawserver.reset_after_headers, APIConnectionError, 2.0),
    ("tcp-read-timeout-mid-body", rawserver.stall_mid_body(HOLD), APITimeoutError, STALL_READ),
    ("tcp-garbage-status-line", rawserver.garbage_status_line, APIConnectionError, 2.0),
]


@pytest.mark.integration
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("kind", "behaviour", "expected", "read"), TCP_CORPUS, ids=[c[0] for c in TCP_CORPUS])
def test_corpus_over_tcp(
    flavour: str, kind: str, behaviour: rawserver.Behaviour, expected: type[Exception], read: float
) -> None:
    HOLD.clear()
    clock = FakeClock()  # the backoff between the two attempts is simulated; sockets and timeouts are real
    # Connect and pool timeouts stay generous (a loaded machine); the other kinds fail long before their read timeout.
    timeout = httpx.Timeout(2.0, read=read)
    options: dict[str, Any] = {"api_key": CANARY_KEY, "timeout": timeout, "max_retries": 1, "clock": clock}
    with rawserver.raw_server(behaviour) as base:
        started = time.monotonic()
        if flavour == "sync":
            client = TokenOps(base_url=base, **options)
            with client, pytest.raises(expected):
                client.videos.retrieve("video_123")
        else:

            async def go() -> None:
                async with AsyncTokenOps(base_url=base, **options) as client:
                    await client.videos.retrieve("video_123")

            with pytest.raises(expected):
                asyncio.run(go())
        elapsed = time.monotonic() - started
        HOLD.set()
    assert len(clock.sleeps) == 1  # retried once, as configured
    # Two attempts, each bounded by the read timeout: never a hang (the stall holds its connection for 10 s).
    assert elapsed < 2 * read + 2.0, elapsed
