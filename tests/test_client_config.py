"""TokenOps configuration and conveniences: base_url rules, per-call options, defaults, with_options, raw responses,
response info, event hooks on injected clients, closed clients."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from tests.fakes import CANARY_KEY, FakeClock, Script, error, ok, video
from tokenops import (
    NOT_GIVEN,
    APITimeoutError,
    AsyncTokenOps,
    ClientClosedError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
    NotGiven,
    RawResponse,
    TokenOps,
    TokenOpsError,
    Video,
    WaitTimeout,
    response_info,
)

# --- base_url -------------------------------------------------------------------------------------------------------


def test_a_password_in_base_url_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        TokenOps(api_key=CANARY_KEY, base_url="http://user:hunter2-secret@api.test")
    assert "hunter2-secret" not in str(caught.value)
    assert "user name or password" in str(caught.value)


@pytest.mark.parametrize("url", ["http://api.test/?q=1", "http://api.test/#frag", "http://api.test?"])
def test_a_query_or_fragment_in_base_url_is_refused_with_a_hint(url: str) -> None:
    with pytest.raises(ConfigurationError, match="default_query"):
        TokenOps(api_key=CANARY_KEY, base_url=url)


@pytest.mark.parametrize(
    ("base_url", "path"),
    [
        ("http://api.test", "/v1/videos/v"),
        ("http://api.test/v1", "/v1/videos/v"),  # the OpenAI convention: accepted, not doubled
        ("http://api.test/v1/", "/v1/videos/v"),
        ("http://api.test/proxy/v1", "/proxy/v1/videos/v"),
        ("http://api.test/proxy", "/proxy/v1/videos/v"),
    ],
)
def test_a_trailing_api_prefix_in_base_url_is_accepted_once(make_client: Any, base_url: str, path: str) -> None:
    script = Script(ok())
    make_client(script, base_url=base_url).videos.retrieve("v")
    assert script.requests[0].url.path == path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"max_download_bytes": -1}, "max_download_bytes"),
        ({"max_connections": 0}, "max_connections"),
        ({"timeout": httpx.Timeout(-1.0)}, "timeout"),
        ({"default_headers": {"X": 1}}, "default_headers"),
        ({"base_url": 42}, "base_url"),
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TokenOps(api_key=CANARY_KEY, **options)


# --- per-call options -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -1},
        {"timeout": 0},
        {"timeout": float("inf")},
        {"timeout": True},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"extra_headers": {"X-A": 1}},
        {"extra_query": ["a"]},
    ],
)
def test_invalid_per_call_options_are_typed_errors_and_send_nothing(make_client: Any, options: dict[str, Any]) -> None:
    script = Script(ok())
    with pytest.raises(InvalidArgumentError) as caught:
        make_client(script).videos.retrieve("video_123", **options)
    assert isinstance(caught.value, TokenOpsError)
    assert isinstance(caught.value, ValueError)
    assert script.count == 0


def test_default_and_extra_headers_and_query_are_merged_extra_winning(make_client: Any) -> None:
    script = Script(ok())
    client = make_client(script, default_headers={"X-Team": "a", "X-Env": "prod"}, default_query={"region": "eu"})
    client.videos.retrieve("video_123", extra_headers={"X-Env": "test"}, extra_query={"trace": "1", "region": "us"})
    client.videos.retrieve("video_123")
    first, second = script.requests
    assert (first.headers["x-team"], first.headers["x-env"]) == ("a", "test")
    assert dict(first.url.params) == {"region": "us", "trace": "1"}
    assert (second.headers["x-env"], dict(second.url.params)) == ("prod", {"region": "eu"})
    assert first.headers["authorization"] == f"Bearer {CANARY_KEY}"


def test_default_headers_cannot_replace_the_api_key(make_client: Any) -> None:
    script = Script(ok())
    make_client(script, default_headers={"Authorization": "Bearer other"}).videos.retrieve("video_123")
    assert script.requests[0].headers["authorization"] == f"Bearer {CANARY_KEY}"


def test_with_options_changes_settings_and_shares_the_pool(clock: FakeClock) -> None:
    script = Script(error(503), ok())
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=clock, max_retries=0)
    patient = client.with_options(max_retries=3, timeout=5.0, default_headers={"X-A": "1"})
    assert patient.videos.retrieve("video_123").id == "video_123"
    assert script.count == 2
    assert script.requests[0].extensions["timeout"]["read"] == 5.0
    assert script.requests[0].headers["x-a"] == "1"
    assert patient._http is client._http
    assert client._settings.max_retries == 0  # the original is unchanged
    patient.close()
    assert not http.is_closed
    assert client.copy(strict=True)._settings.strict is True
    with pytest.raises(ConfigurationError):
        client.with_options(max_retries=-1)


def test_copies_of_an_owned_pool_do_not_close_it() -> None:
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test")
    client.with_options(max_retries=1).close()
    assert not client._http.is_closed
    client.close()
    assert client._http.is_closed


def test_an_argument_not_given_to_with_options_keeps_the_current_value() -> None:
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", max_retries=4, strict=True)
    copy = client.with_options(max_retries=NOT_GIVEN, timeout=7.0)
    assert (copy._settings.max_retries, copy._settings.strict, copy._settings.timeout) == (4, True, httpx.Timeout(7.0))
    assert NotGiven() is NOT_GIVEN
    assert not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"
    client.close()


def test_the_pools_own_headers_and_timeout_are_reused_by_value_not_by_identity() -> None:
    from tokenops._request import request_defaults  # noqa: PLC0415 - the decision itself: no request shows it

    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test")
    settings = client._settings
    # Equal values in other objects: the pool's own serve (nothing per request for httpx to merge).
    same = request_defaults(settings, dict(settings.headers), httpx.Timeout(60.0, connect=10.0))
    assert same == (None, httpx.USE_CLIENT_DEFAULT)
    assert request_defaults(settings, None, None) == (settings.headers, settings.timeout)  # a pool that is not ours
    other = request_defaults(settings, {**settings.headers, "Accept": "text/plain"}, httpx.Timeout(5.0))
    assert other == (settings.headers, settings.timeout)
    # A copy with an equal timeout (another object) still uses the pool's; one with other headers sends its own.
    assert client.with_options(timeout=httpx.Timeout(60.0, connect=10.0)).videos._requester._timeout is (
        httpx.USE_CLIENT_DEFAULT
    )
    other_headers = client.with_options(default_headers={"X-A": "1"}).videos._requester._headers
    assert other_headers is not None
    assert other_headers["X-A"] == "1"
    client.close()


# --- results carry their response -------------------------------------------------------------------------------------


def test_with_raw_response_gives_status_headers_request_id_and_elapsed(make_client: Any, clock: FakeClock) -> None:
    script = Script(ok(headers={"x-request-id": "req_7", "x-ratelimit-remaining": "9"}), clock=clock, latency=0.25)
    raw = make_client(script).videos.with_raw_response.retrieve("video_123")
    assert isinstance(raw, RawResponse)
    assert (raw.status_code, raw.request_id, raw.headers["x-ratelimit-remaining"]) == (200, "req_7", "9")
    assert raw.elapsed.total_seconds() == pytest.approx(0.25)
    assert raw.request.method == "GET"
    assert isinstance(raw.parse(), Video)
    assert raw.parse().id == "video_123"


def test_one_raw_response_wrapper_serves_every_method_and_refuses_a_plain_one(make_client: Any) -> None:
    from tokenops._request import to_raw_response_wrapper  # noqa: PLC0415

    client = make_client(Script(ok(headers={"x-request-id": "req_3"})))
    raw = client.videos.with_raw_response
    assert raw.retrieve.__wrapped__.__self__._requester is client.videos._requester.raw  # the same requester, raw
    assert raw.retrieve.__doc__ == client.videos.retrieve.__doc__  # the plain method's signature and docs
    assert raw is client.videos.with_raw_response  # built once
    with pytest.raises(TypeError, match=r"Videos.retrieve does not belong to a resource built over requester.raw"):
        to_raw_response_wrapper(client.videos.retrieve)("video_123")


def test_the_request_id_and_headers_are_reachable_from_a_result(make_client: Any) -> None:
    script = Script(ok(headers={"x-request-id": "req_9"}))
    video = make_client(script).videos.retrieve("video_123")
    info = response_info(video)
    assert info is not None
    assert (info.request_id, info.status_code, info.headers["content-type"]) == ("req_9", 200, "application/json")
    assert response_info(object()) is None


def test_async_raw_response(make_async_client: Any) -> None:
    async def run() -> RawResponse[Video]:
        async with make_async_client(Script(ok(headers={"x-request-id": "req_a"}))) as client:
            return await client.videos.with_raw_response.retrieve("video_123")

    raw = asyncio.run(run())
    assert (raw.request_id, raw.parse().id) == ("req_a", "video_123")


# --- injected clients, closed clients -------------------------------------------------------------------------------


def test_a_raise_for_status_hook_on_an_injected_client_does_not_turn_a_404_into_a_retried_connection_error(
    clock: FakeClock,
) -> None:
    script = Script(error(404))
    http = httpx.Client(
        transport=httpx.MockTransport(script), event_hooks={"response": [lambda r: r.raise_for_status()]}
    )
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=clock)
    with pytest.raises(NotFoundError) as caught:
        client.videos.retrieve("video_123")
    assert script.count == 1
    assert caught.value.status_code == 404


def test_request_hooks_on_an_injected_client_run(clock: FakeClock) -> None:
    script = Script(ok())

    def tag(request: httpx.Request) -> None:
        request.headers["X-Hooked"] = "yes"

    http = httpx.Client(transport=httpx.MockTransport(script), event_hooks={"request": [tag]})
    TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=clock).videos.retrieve("v")
    assert script.requests[0].headers["x-hooked"] == "yes"


def test_a_closed_client_raises_a_typed_error_at_once(make_client: Any) -> None:
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test")
    client.close()
    with pytest.raises(ClientClosedError, match="closed"):
        client.videos.retrieve("video_123")
    injected_script = Script(ok())
    injected = make_client(injected_script)
    injected._http.close()
    with pytest.raises(ClientClosedError):
        injected.videos.retrieve("video_123")


def test_a_closed_async_client_raises_a_typed_error(make_async_client: Any) -> None:
    async def run() -> None:
        client = make_async_client(Script(ok()))
        await client._http.aclose()
        await client.videos.retrieve("video_123")

    with pytest.raises(ClientClosedError):
        asyncio.run(run())


def test_a_deadline_that_passed_is_a_timeout_without_a_request() -> None:
    # The deadline is gone by the time the request would be sent: APITimeoutError inside, WaitTimeout outside.
    script = Script(ok())
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=_Jumping())
    with pytest.raises(WaitTimeout) as caught:
        client.videos.wait("video_123", timeout=0.5)
    assert isinstance(caught.value.last_error, APITimeoutError)
    assert script.count == 0


class _Jumping(FakeClock):
    """A clock on which every reading is a second later than the one before."""

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


def test_repr_and_logs_show_no_secret(make_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(Script(error(500), ok()))
    with caplog.at_level(logging.DEBUG, logger="tokenops"):
        client.videos.retrieve("video_123")
    assert CANARY_KEY not in repr(client)
    assert CANARY_KEY not in caplog.text
    assert "GET http://api.test/v1/videos/video_123 -> 500" in caplog.text


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_async_client_accepts_the_same_options() -> None:
    client = AsyncTokenOps(api_key=CANARY_KEY, base_url="http://api.test/v1", default_query={"a": "b"})
    assert client._settings.base_url == "http://api.test/v1"  # kept as given: joined per call (spec.join_url)
    assert client.with_options(max_retries=0)._settings.default_query == {"a": "b"}
    asyncio.run(client.close())


def test_pooled_connections_outlive_a_polling_pause() -> None:
    # httpx's default keep-alive expiry (5 s) is shorter than wait()'s pauses (hints and backoff reach 10 s):
    # every poll after a long pause reconnected. The pools the client builds keep idle connections longer.
    from tokenops._config import pool_limits  # noqa: PLC0415
    from tokenops._flows import MAX_POLL_INTERVAL  # noqa: PLC0415

    limits = pool_limits(7)
    assert (limits.max_connections, limits.max_keepalive_connections) == (7, 7)
    assert limits.keepalive_expiry is not None
    assert limits.keepalive_expiry > MAX_POLL_INTERVAL


def test_a_base_url_httpx_cannot_parse_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"base_url 'http://\[::1' is not a valid URL"):
        TokenOps(api_key=CANARY_KEY, base_url="http://[::1")


def test_idempotency_key_false_sends_none(make_client: Any) -> None:
    script = Script(ok(video()), ok(video()))
    client = make_client(script)
    client.operations.call("getVideoStatus", video_id="video_123", idempotency_key=False)
    client.operations.call("getVideoStatus", video_id="video_123", idempotency_key="key-1")
    assert [r.headers.get("idempotency-key") for r in script.requests] == [None, "key-1"]


def test_a_raise_for_status_hook_on_an_injected_async_client_gives_the_typed_error(clock: FakeClock) -> None:
    script = Script(error(404))

    async def raise_for_status(response: httpx.Response) -> None:
        response.raise_for_status()

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(script), event_hooks={"response": [raise_for_status]})
        async with AsyncTokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=clock) as c:
            await c.videos.retrieve("video_123")

    with pytest.raises(NotFoundError) as caught:
        asyncio.run(run())
    assert (script.count, caught.value.status_code) == (1, 404)


def test_a_runtime_error_from_the_transport_is_not_mistaken_for_a_closed_client(
    make_client: Any, make_async_client: Any
) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport bug")

    with pytest.raises(RuntimeError, match="transport bug"):
        make_client(broken).videos.retrieve("video_123")

    async def run() -> None:
        async with make_async_client(broken) as client:
            await client.videos.retrieve("video_123")

    with pytest.raises(RuntimeError, match="transport bug"):
        asyncio.run(run())


@pytest.mark.parametrize(
    ("base_url", "path"),
    [
        ("http://api.test", "/v1beta/models/m:generateContent"),
        ("http://api.test/v1beta", "/v1beta/models/m:generateContent"),
        ("http://api.test/v1", "/v1/v1beta/models/m:generateContent"),  # the base path is kept, never guessed
    ],
)
def test_each_operation_joins_the_base_url_by_its_own_path(make_client: Any, base_url: str, path: str) -> None:
    from tokenops_client.types import Endpoint  # noqa: PLC0415 - a hand-made operation of another prefix

    template = "/v1beta/models/{model}:generateContent"
    endpoint = Endpoint(
        name="generate_content",
        method="POST",
        path=template,
        path_parameters={"model": "model"},
        query_parameters={},
        header_parameters={},
        bodies=(),
        responses=(),
        requires_auth=True,
        build_request=lambda model: {"method": "post", "url": template.format(model=model)},
    )
    script = Script(ok({}))
    make_client(script, base_url=base_url).operations.call(endpoint, model="m")
    assert script.requests[0].url.path == path
