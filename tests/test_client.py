"""TokenOps / AsyncTokenOps: configuration, retrieve, retries, the error tree, path safety, secret hygiene."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

import tokenops
from tests.conftest import ROOT
from tests.fakes import CANARY_KEY, FakeClock, Script, error, ok, video
from tokenops import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncTokenOps,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    TokenOps,
    TokenOpsError,
    UnprocessableEntityError,
    VideoStatus,
)
from tokenops._logging import configure_from_env

# --- configuration -------------------------------------------------------------------------------------------


def test_default_base_url_is_the_specs_first_server() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert spec["servers"][0]["url"] == tokenops.DEFAULT_BASE_URL


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="TOKENOPS_API_KEY"):
        TokenOps()
    with pytest.raises(ConfigurationError, match="TOKENOPS_API_KEY"):
        AsyncTokenOps(api_key="   ")


def test_environment_supplies_key_and_base_url_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENOPS_API_KEY", CANARY_KEY)
    monkeypatch.setenv("TOKENOPS_BASE_URL", "http://127.0.0.1:4010/")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok()

    with TokenOps(http_client=httpx.Client(transport=httpx.MockTransport(handler))) as client:
        client.videos.retrieve("video_123")
    with TokenOps(
        api_key="sk-explicit",
        base_url="http://other:1/prefix",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    ) as client:
        client.videos.retrieve("video_123")

    assert str(seen[0].url) == "http://127.0.0.1:4010/v1/videos/video_123"
    assert seen[0].headers["authorization"] == f"Bearer {CANARY_KEY}"
    assert str(seen[1].url) == "http://other:1/prefix/v1/videos/video_123"
    assert seen[1].headers["authorization"] == "Bearer sk-explicit"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "not a url"}, "must be an absolute http"),
        ({"base_url": "ftp://host"}, "must be an absolute http"),
        ({"api_key": "sk-with space"}, "whitespace or non-ASCII"),
        ({"api_key": "sk-\n-injected"}, "whitespace or non-ASCII"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"timeout": 0}, "timeout must be a positive finite number"),
        ({"timeout": float("inf")}, "timeout must be a positive finite number"),
    ],
)
def test_invalid_settings_raise_configuration_error(options: dict[str, Any], message: str) -> None:
    options.setdefault("api_key", CANARY_KEY)
    with pytest.raises(ConfigurationError, match=message) as caught:
        TokenOps(**options)
    assert CANARY_KEY not in str(caught.value)


def test_default_timeout_is_finite_and_per_call_timeout_overrides(make_client: Any) -> None:
    script = Script(ok())
    client = make_client(script)
    client.videos.retrieve("video_123")
    client.videos.retrieve("video_123", timeout=2.5)
    first, second = (request.extensions["timeout"] for request in script.requests)
    assert first == {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 60.0}
    assert second == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_context_manager_closes_the_pool_it_owns_but_not_an_injected_one() -> None:
    with TokenOps(api_key=CANARY_KEY) as owned:
        pass
    assert owned._http.is_closed
    injected = httpx.Client(transport=httpx.MockTransport(Script(ok())))
    with TokenOps(api_key=CANARY_KEY, http_client=injected):
        pass
    assert not injected.is_closed

    async def run() -> bool:
        async with AsyncTokenOps(api_key=CANARY_KEY) as client:
            pass
        return client._http.is_closed

    assert asyncio.run(run())


# --- retrieve --------------------------------------------------------------------------------------------------


def test_retrieve_sends_a_bearer_get_and_returns_a_video(make_client: Any) -> None:
    script = Script(ok(video("in_progress", progress=40)))
    result = make_client(script).videos.retrieve("video_123")
    request = script.requests[0]
    assert request.method == "GET"
    assert request.url.path == "/v1/videos/video_123"
    assert request.headers["authorization"] == f"Bearer {CANARY_KEY}"
    assert request.headers["user-agent"].startswith("tokenops-python/")
    assert result.status is VideoStatus.IN_PROGRESS
    assert result.progress == 40


def test_async_retrieve(make_async_client: Any) -> None:
    script = Script(ok(video("queued")))

    async def run() -> Any:
        async with make_async_client(script) as client:
            return await client.videos.retrieve("video_123")

    assert asyncio.run(run()).status is VideoStatus.QUEUED


@pytest.mark.parametrize(
    ("video_id", "raw_path"),
    [
        ("../x", "/v1/videos/..%2Fx"),
        ("a/b", "/v1/videos/a%2Fb"),
        ("..", "/v1/videos/%2E%2E"),
        (".", "/v1/videos/%2E"),
        ("a?b=c#d", "/v1/videos/a%3Fb%3Dc%23d"),
        ("视频 1", "/v1/videos/%E8%A7%86%E9%A2%91%201"),
    ],
)
def test_path_characters_are_encoded_so_no_id_reaches_another_route(
    make_client: Any, video_id: str, raw_path: str
) -> None:
    script = Script(ok())
    make_client(script).videos.retrieve(video_id)
    assert script.requests[0].url.raw_path.decode() == raw_path


@pytest.mark.parametrize("video_id", ["", "   ", "\t\n"])
def test_empty_ids_raise_value_error_before_any_request(make_client: Any, video_id: str) -> None:
    script = Script(ok())
    with pytest.raises(ValueError, match="non-empty"):
        make_client(script).videos.retrieve(video_id)
    assert script.count == 0


# --- error tree --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (408, RequestTimeoutError),
        (409, ConflictError),
        (410, APIStatusError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
        (302, APIStatusError),
    ],
)
def test_each_status_maps_to_its_class(make_client: Any, status: int, cls: type[APIStatusError]) -> None:
    script = Script(error(status, headers={"x-request-id": "req_42"}))
    with pytest.raises(cls) as caught:
        make_client(script, max_retries=0).videos.retrieve("video_123")
    exc = caught.value
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.request_id == "req_42"
    assert exc.error_message == "boom"
    assert exc.error_type == "invalid_request_error"
    assert exc.error_code == f"code_{status}"
    assert exc.body == {"error": {"message": "boom", "type": "invalid_request_error", "code": f"code_{status}"}}
    assert exc.request is not None
    assert (exc.request.method, str(exc.request.url)) == ("GET", "http://api.test/v1/videos/video_123")
    assert isinstance(exc, APIError)
    assert f"Error code: {status} - boom" in str(exc)


def test_non_json_error_body_is_kept_as_text(make_client: Any) -> None:
    script = Script(httpx.Response(502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"}))
    with pytest.raises(InternalServerError) as caught:
        make_client(script, max_retries=0).videos.retrieve("video_123")
    assert caught.value.body == "<html>Bad gateway</html>"
    assert caught.value.error_message is None


@pytest.mark.parametrize(
    ("exception", "cls"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.RemoteProtocolError("peer closed connection"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
        (httpx.TooManyRedirects("loop"), APIConnectionError),
    ],
)
def test_transport_errors_never_escape_raw(make_client: Any, exception: Exception, cls: type[Exception]) -> None:
    script = Script(exception)
    with pytest.raises(cls) as caught:
        make_client(script).videos.retrieve("video_123")
    assert not isinstance(caught.value, httpx.HTTPError)
    assert isinstance(caught.value.request, httpx.Request)  # type: ignore[attr-defined]
    assert script.count == 3  # retried: max_retries=2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b""),
        httpx.Response(200, content=b'{"id": "vid'),
        httpx.Response(200, content=b"<html>maintenance</html>", headers={"content-type": "text/html"}),
        httpx.Response(200, content=b"\xff\xfe{}"),
        httpx.Response(200, json=[video()]),
    ],
    ids=["empty", "truncated", "html", "invalid-utf8", "array"],
)
def test_unusable_success_bodies_raise_response_validation_error(make_client: Any, response: httpx.Response) -> None:
    script = Script(response)
    with pytest.raises(ResponseValidationError) as caught:
        make_client(script).videos.retrieve("video_123")
    assert caught.value.response is not None
    assert script.count == 1  # not retried: the server answered


def test_strict_mode_rejects_a_non_json_content_type(make_client: Any) -> None:
    response = httpx.Response(200, content=b'{"id": "video_123"}', headers={"content-type": "text/plain"})
    assert make_client(Script(response)).videos.retrieve("video_123").id == "video_123"
    with pytest.raises(ResponseValidationError, match="content-type is 'text/plain'"):
        make_client(Script(response), strict=True).videos.retrieve("video_123")


def test_strict_client_names_the_field(make_client: Any) -> None:
    script = Script(ok(video("queued")))
    with pytest.raises(ResponseValidationError, match="field 'status'") as caught:
        make_client(script, strict=True).videos.retrieve("video_123")
    assert isinstance(caught.value, TokenOpsError)


def test_oversized_body_is_refused_whether_declared_or_streamed(make_client: Any) -> None:
    declared = Script(httpx.Response(200, content=b"{" + b" " * 10_000 + b"}"))
    with pytest.raises(ResponseValidationError, match=r"exceeds 1000 bytes \(Content-Length 10002\)"):
        make_client(declared, max_response_bytes=1000).videos.retrieve("video_123")

    def chunks() -> Iterator[bytes]:
        yield b"{"
        for _ in range(100):
            yield b" " * 100
        yield b"}"

    streamed = Script(httpx.Response(200, content=chunks()))  # no Content-Length: chunked
    with pytest.raises(ResponseValidationError, match="exceeds 1000 bytes"):
        make_client(streamed, max_response_bytes=1000).videos.retrieve("video_123")
    small = Script(httpx.Response(200, content=iter([b'{"id": ', b'"video_123"}'])))
    assert make_client(small, max_response_bytes=1000).videos.retrieve("video_123").id == "video_123"


def test_gzip_bodies_are_decoded_and_a_gzip_lie_is_a_validation_error(make_client: Any) -> None:
    import gzip  # noqa: PLC0415

    packed = gzip.compress(json.dumps(video()).encode())
    good = Script(httpx.Response(200, content=packed, headers={"content-encoding": "gzip"}))
    assert make_client(good).videos.retrieve("video_123").id == "video_123"
    lie = Script(httpx.Response(200, stream=httpx.ByteStream(b'{"id": "x"}'), headers={"content-encoding": "gzip"}))
    with pytest.raises(ResponseValidationError, match="could not be decoded"):
        make_client(lie).videos.retrieve("video_123")


def test_redirects_are_not_followed_and_explain_themselves(make_client: Any) -> None:
    script = Script(httpx.Response(301, headers={"location": "http://elsewhere/v1/videos/video_123"}))
    with pytest.raises(APIStatusError, match="redirect to http://elsewhere/v1/videos/video_123 not followed"):
        make_client(script).videos.retrieve("video_123")
    assert script.count == 1


# --- retries ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 520])
def test_retryable_status_is_retried_then_succeeds(make_client: Any, clock: FakeClock, status: int) -> None:
    script = Script(error(status), error(status), ok())
    assert make_client(script).videos.retrieve("video_123").id == "video_123"
    assert script.count == 3
    assert len(clock.sleeps) == 2
    assert 0.375 <= clock.sleeps[0] <= 0.5
    assert 0.75 <= clock.sleeps[1] <= 1.0


def test_retry_budget_is_exactly_max_retries_plus_one_attempts(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(503))
    with pytest.raises(InternalServerError):
        make_client(script, max_retries=4).videos.retrieve("video_123")
    assert script.count == 5
    assert len(clock.sleeps) == 4


def test_per_call_max_retries_overrides_the_client(make_client: Any) -> None:
    script = Script(error(503))
    client = make_client(script, max_retries=5)
    with pytest.raises(InternalServerError):
        client.videos.retrieve("video_123", max_retries=0)
    assert script.count == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(make_client: Any, clock: FakeClock, status: int) -> None:
    script = Script(error(status))
    with pytest.raises(APIStatusError):
        make_client(script).videos.retrieve("video_123")
    assert script.count == 1
    assert clock.sleeps == []


def test_retry_after_is_honoured_and_retry_after_ms_takes_precedence(make_client: Any, clock: FakeClock) -> None:
    script = Script(
        error(429, headers={"retry-after": "3"}),
        error(429, headers={"retry-after": "9", "retry-after-ms": "250"}),
        ok(),
    )
    make_client(script).videos.retrieve("video_123")
    assert clock.sleeps == [3.0, 0.25]


def test_retry_after_beyond_the_cap_is_not_retried(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(429, headers={"retry-after": "120"}), ok())
    with pytest.raises(RateLimitError):
        make_client(script).videos.retrieve("video_123")
    assert script.count == 1
    assert clock.sleeps == []


def test_retry_after_garbage_falls_back_to_backoff(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(503, headers={"retry-after": "soon-ish"}), ok())
    make_client(script).videos.retrieve("video_123")
    assert 0.375 <= clock.sleeps[0] <= 0.5


def test_x_should_retry_header_wins(make_client: Any) -> None:
    forced = Script(error(400, headers={"x-should-retry": "true"}), ok())
    assert make_client(forced).videos.retrieve("video_123").id == "video_123"
    assert forced.count == 2
    vetoed = Script(error(503, headers={"x-should-retry": "false"}), ok())
    with pytest.raises(InternalServerError):
        make_client(vetoed).videos.retrieve("video_123")
    assert vetoed.count == 1


def test_async_client_retries_the_same_way(make_async_client: Any, clock: FakeClock) -> None:
    script = Script(httpx.ConnectError("refused"), error(503), ok())

    async def run() -> Any:
        async with make_async_client(script) as client:
            return await client.videos.retrieve("video_123")

    assert asyncio.run(run()).id == "video_123"
    assert script.count == 3
    assert len(clock.sleeps) == 2


# --- secret hygiene ------------------------------------------------------------------------------------------


def test_key_never_appears_in_repr_errors_or_logs(
    make_client: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hostile server echoes the key back in its error body; it must still not surface anywhere.
    echo = error(500, message=f"bad key Bearer {CANARY_KEY} ({CANARY_KEY})")
    script = Script(echo, httpx.ConnectError(f"refused for {CANARY_KEY}"), error(401, message=CANARY_KEY))
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TOKENOPS_LOG", "debug")
    client = make_client(script, max_retries=1)
    texts = [repr(client), str(client), repr(client._settings), repr(client.videos)]
    for _ in range(2):
        try:
            client.videos.retrieve("video_123")
        except TokenOpsError as exc:
            texts += [str(exc), repr(exc), repr(getattr(exc, "request", None)), repr(getattr(exc, "response", None))]
            if isinstance(exc, APIStatusError):
                texts += [repr(exc.response.request.headers), str(exc.body)]
    texts += [record.getMessage() for record in caplog.records]
    joined = "\n".join(texts)
    assert "Retrying GET" in joined  # the log did see the retry
    assert CANARY_KEY not in joined
    assert CANARY_KEY[4:] not in joined


def test_tokenops_log_debug_logs_each_request(
    make_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOKENOPS_LOG", "debug")
    configure_from_env()  # what `import tokenops` does, once
    make_client(Script(error(503), ok()), max_retries=1).videos.retrieve("video_123")
    err = capsys.readouterr().err
    assert "GET http://api.test/v1/videos/video_123 -> 503 (attempt 1)" in err
    assert "GET http://api.test/v1/videos/video_123 -> 200 (attempt 2)" in err
    assert CANARY_KEY not in err


def test_clients_never_configure_logging(make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Logging is configured once, when asked (TOKENOPS_LOG at import, --debug): never by a client or its copies.
    monkeypatch.setenv("TOKENOPS_LOG", "debug")
    logger = logging.getLogger("tokenops")
    before = (logger.level, list(logger.handlers))
    client = make_client(Script(ok()))
    client.with_options(max_retries=0).copy(strict=True)
    TokenOps(api_key=CANARY_KEY, base_url="http://api.test").close()
    assert (logger.level, list(logger.handlers)) == before


@pytest.mark.e2e
def test_tokenops_log_is_read_when_tokenops_is_imported() -> None:
    check = "import logging, tokenops; log = logging.getLogger('tokenops'); print(log.level, len(log.handlers))"
    for value, expected in (("info", "20 1"), ("", "0 0")):
        env = {**os.environ, "TOKENOPS_LOG": value}
        result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
        assert result.stdout.split() == expected.split(), (value, result.stdout, result.stderr)
