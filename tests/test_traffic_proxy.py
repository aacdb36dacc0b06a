"""The conformance proxy (``contract_tests/suite/traffic/proxy.py``): every exchange forwarded unchanged, bodies
streamed through as they arrive, a copy handed over after the last byte, bounded copies, and a clean 502 or a cut
connection when the upstream fails."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from contract_tests.cassette import Exchange
from contract_tests.suite.targets import serve_app
from contract_tests.suite.traffic.proxy import ProxyApp, UpstreamCut
from contract_tests.suite.traffic.upstream import HttpxUpstream

Handler = Callable[[httpx.Request], httpx.Response]


class Chunks(httpx.AsyncByteStream):
    """A response body that arrives in ``chunks`` and then, optionally, fails."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks, self.error = chunks, error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


def proxy_on(
    handler: Handler, *, upstream: str = "http://upstream.test", max_body: int = 1024
) -> tuple[ProxyApp, list[Exchange], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    exchanges: list[Exchange] = []

    async def record(request: httpx.Request) -> httpx.Response:
        await request.aread()
        seen.append(request)
        response: httpx.Response = handler(request)
        return response

    client = HttpxUpstream(upstream, httpx.AsyncClient(transport=httpx.MockTransport(record)))
    return ProxyApp(upstream, exchanges.append, max_body=max_body, client=client), exchanges, seen


def call(app: ProxyApp, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            response = await client.request(method, path, **kwargs)
            await response.aread()
            return response

    return asyncio.run(go())


def test_the_request_reaches_the_upstream_unchanged_and_the_response_comes_back_unchanged() -> None:
    answer = json.dumps({"id": "video_1"}).encode()

    def upstream(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "x-upstream": "yes", "server": "up/1"}
        return httpx.Response(201, headers=headers, stream=Chunks([answer]))

    app, exchanges, seen = proxy_on(upstream)
    sent_headers = {"authorization": "Bearer sk-1", "x-custom": "a,b", "content-type": "application/json"}
    response = call(app, "POST", "/v1/videos?ref=abc%2Fdef&n=1", headers=sent_headers, content=b'{"prompt": "cat"}')
    assert (response.status_code, response.content) == (201, answer)
    assert (response.headers["x-upstream"], response.headers["server"]) == ("yes", "up/1")
    (request,) = seen
    assert str(request.url) == "http://upstream.test/v1/videos?ref=abc%2Fdef&n=1"
    assert request.content == b'{"prompt": "cat"}'
    assert {k: v for k, v in request.headers.items() if k in sent_headers} == sent_headers
    (exchange,) = exchanges
    assert (exchange.method, exchange.target, exchange.status) == ("POST", "/v1/videos?ref=abc%2Fdef&n=1", 201)
    assert exchange.request_body == b'{"prompt": "cat"}'
    assert exchange.response_body == answer
    assert exchange.error is None


def test_the_proxy_adds_no_header_of_its_own_to_the_request() -> None:
    app, _, seen = proxy_on(lambda request: httpx.Response(204, stream=Chunks([])))
    call(app, "GET", "/v1/x", headers={"accept-encoding": "identity", "user-agent": "my-app/2"})
    (request,) = seen
    assert request.headers["user-agent"] == "my-app/2"
    assert request.headers["accept-encoding"] == "identity"
    assert request.headers["host"] == "upstream.test"


@pytest.mark.parametrize(
    ("upstream", "path", "query", "target"),
    [
        ("http://u.test", "/v1/videos/x", "", "/v1/videos/x"),
        ("http://u.test/v1", "/v1/videos/x", "a=1", "/v1/videos/x?a=1"),
        ("http://u.test/api/v1", "/v1/videos/x", "", "/api/v1/videos/x"),
        ("http://u.test/api/v1/", "/videos/x", "", "/api/v1/videos/x"),
        ("http://u.test/api", "/v1/videos/x", "", "/api/v1/videos/x"),
        ("http://u.test/v1", "/v1", "", "/v1"),
        ("http://u.test", "/", "", "/"),
    ],
)
def test_the_upstream_path_is_a_prefix_not_repeated(upstream: str, path: str, query: str, target: str) -> None:
    assert ProxyApp(upstream, lambda _exchange: None).upstream_target(path, query) == target


def test_an_encoded_body_passes_through_encoded_and_the_copy_keeps_it_for_the_checker() -> None:
    packed = gzip.compress(b'{"id": "video_1"}')

    def upstream(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, stream=Chunks([packed[:5], packed[5:]]))

    app, exchanges, _ = proxy_on(upstream)
    response = call(app, "GET", "/v1/videos/video_1")
    assert response.json() == {"id": "video_1"}  # the client decoded what it got: the gzip bytes
    assert exchanges[0].response_body == packed
    assert exchanges[0].response_header("content-encoding") == "gzip"


def test_an_upstream_that_is_down_gets_the_client_a_502_in_the_openai_format() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    app, exchanges, _ = proxy_on(upstream)
    response = call(app, "GET", "/v1/videos/x")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"
    assert isinstance(response.json()["error"]["message"], str)
    (exchange,) = exchanges
    assert (exchange.status, exchange.error) == (None, "ConnectionRefused")


def test_an_upstream_failing_mid_body_cuts_the_clients_connection_too() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        error = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return httpx.Response(200, headers={"content-length": "100"}, stream=Chunks([b'{"id": '], error))

    app, exchanges, _ = proxy_on(upstream)
    with pytest.raises(UpstreamCut):
        call(app, "GET", "/v1/videos/x")
    (exchange,) = exchanges
    assert (exchange.status, exchange.error, exchange.response_body) == (200, "ConnectionDropped", b'{"id": ')


class Asgi:
    """Drives the proxy's ASGI interface directly: request messages in, response messages out."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.inbox = list(messages)
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.inbox:
            return self.inbox.pop(0)
        await asyncio.sleep(3600)  # the client is still there
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        await asyncio.sleep(0)  # as a socket write does now and then: the loop runs its other tasks

    def run(self, app: ProxyApp, method: str = "POST", path: str = "/v1/upload") -> None:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"content-type", b"application/octet-stream")],
        }
        asyncio.run(app(scope, self.receive, self.send))

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def test_bodies_bigger_than_the_limit_pass_through_whole_and_only_their_start_is_kept() -> None:
    upload = [bytes([n]) * 40 for n in range(5)]  # 200 bytes in five messages

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks([request.content, b"tail" * 10]))

    app, exchanges, seen = proxy_on(upstream, max_body=50)
    client = Asgi([{"type": "http.request", "body": chunk, "more_body": n < 4} for n, chunk in enumerate(upload)])
    client.run(app)
    assert seen[0].content == b"".join(upload)
    assert client.body == b"".join(upload) + b"tail" * 10
    (exchange,) = exchanges
    assert (len(exchange.request_body), exchange.request_complete) == (50, False)
    assert (len(exchange.response_body), exchange.response_complete) == (50, False)


def test_a_client_that_leaves_a_stream_is_noted_not_blamed_on_the_server() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        events = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(events))

    app, exchanges, _ = proxy_on(upstream)
    client = Asgi([{"type": "http.request", "body": b"", "more_body": False}, {"type": "http.disconnect"}])
    client.run(app, method="GET", path="/v1/stream")
    assert exchanges[0].error == "ClientClosed"
    assert b"data: 3" not in client.body


def test_a_sink_that_fails_never_reaches_the_client() -> None:
    def broken(exchange: Exchange) -> None:
        raise RuntimeError("checker down")

    mock = httpx.MockTransport(lambda _: httpx.Response(200, stream=Chunks([b"ok"])))
    client = HttpxUpstream("http://upstream.test", httpx.AsyncClient(transport=mock))
    app = ProxyApp("http://upstream.test", broken, client=client)
    assert call(app, "GET", "/v1/x").content == b"ok"


@pytest.mark.integration  # over real TCP, paced in real time
def test_an_event_stream_reaches_the_client_event_by_event_over_tcp() -> None:
    """The upstream sends the second event only once the client has read the first: a proxy that waited for the
    whole body would never deliver the first (the upstream gives up waiting after 20 s and says so)."""
    first_read = threading.Event()
    outcome: dict[str, bool] = {}

    async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"data: first\n\n", "more_body": True})
        for _ in range(2000):
            if first_read.is_set():
                break
            await asyncio.sleep(0.01)
        outcome["client had the first event"] = first_read.is_set()
        await send({"type": "http.response.body", "body": b"data: second\n\n", "more_body": False})

    exchanges: list[Exchange] = []
    upstream_server = serve_app(upstream, name="upstream", control=False, max_seconds=60)
    proxy = ProxyApp(upstream_server.base_url, exchanges.append)
    proxy_server = serve_app(proxy, name="proxy", control=False, lifespan="on")  # on: it closes its connections
    try:
        with httpx.Client(timeout=30) as client, client.stream("GET", f"{proxy_server.base_url}/v1/stream") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "data: first"
            first_read.set()
            assert [line for line in lines if line] == ["data: second"]
    finally:
        proxy_server.close()
        upstream_server.close()
    assert outcome == {"client had the first event": True}
    assert exchanges[0].response_body == b"data: first\n\ndata: second\n\n"
