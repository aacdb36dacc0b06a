"""The proxy's upstream client (``contract_tests/suite/traffic/upstream.py``) over real TCP: bodies as they come
(length, chunks, the connection's end), kept-alive connections reused, a stale one retried, TLS, and every way an
upstream fails named by the kind the findings use."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract_tests.suite.targets import serve_app
from contract_tests.suite.traffic.upstream import FastUpstream, UpstreamError
from tests.rawserver import garbage_status_line, raw_server, reset_after_headers, reset_before_headers, stall_mid_body

pytestmark = pytest.mark.integration  # upstreams over real TCP


def fetch(
    base: str, method: str = "GET", body: Any = b"", headers: list[tuple[bytes, bytes]] | None = None, **options: Any
) -> tuple[int, dict[bytes, bytes], bytes]:
    async def go() -> tuple[int, dict[bytes, bytes], bytes]:
        upstream = FastUpstream(base, **options)
        try:
            response = await upstream.send(method, "/v1/x?a=1", headers or [], body)
            try:
                chunks = [chunk async for chunk in response.chunks()]
            finally:
                await response.aclose()
            return response.status, dict(response.headers), b"".join(chunks)
        finally:
            await upstream.aclose()

    return asyncio.run(go())


def answer(raw: bytes) -> Callable[[socket.socket], None]:
    return lambda conn: conn.sendall(raw)


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", b"hello"),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello until the end", b"hello until the end"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", b"ok"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
)
def test_a_body_arrives_however_it_is_delimited(raw: bytes, body: bytes) -> None:
    with raw_server(answer(raw), max_seconds=10) as base:
        assert fetch(base)[2] == body


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        (reset_before_headers, "ConnectionDropped"),
        (reset_after_headers, "ConnectionDropped"),
        (garbage_status_line, "ConnectionDropped"),
    ],
)
def test_each_failure_has_its_kind(behaviour: Callable[[socket.socket], None], kind: str) -> None:
    with raw_server(behaviour, max_seconds=10) as base, pytest.raises(UpstreamError) as caught:
        fetch(base)
    assert caught.value.kind == kind


def test_a_refused_connection_and_a_stall_have_their_kinds() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with pytest.raises(UpstreamError) as refused:
        fetch(f"http://127.0.0.1:{port}")
    assert refused.value.kind == "ConnectionRefused"
    hold = threading.Event()
    with raw_server(stall_mid_body(hold), max_seconds=10) as base:
        try:
            with pytest.raises(UpstreamError) as stalled:
                fetch(base, timeout=0.3)
        finally:
            hold.set()
    assert stalled.value.kind == "Timeout"


def _echo_app() -> Any:
    connections: set[Any] = set()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        connections.add(scope.get("client"))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        payload = json.dumps({"method": scope["method"], "body": body.decode(), "headers": headers}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})

    app.connections = connections  # type: ignore[attr-defined]
    return app


def test_connections_are_reused_and_streamed_bodies_are_chunked() -> None:
    app = _echo_app()
    server = serve_app(app, name="echo", control=False, max_seconds=60)

    async def parts() -> Any:
        for part in (b"one,", b"two,", b"three"):
            yield part

    async def go() -> list[dict[str, Any]]:
        upstream = FastUpstream(server.base_url)
        seen = []
        try:
            for body in (b'{"a": 1}', parts(), b""):
                response = await upstream.send("POST", "/echo", [(b"x-client", b"kept")], body)
                seen.append(json.loads(b"".join([chunk async for chunk in response.chunks()])))
                await response.aclose()
        finally:
            await upstream.aclose()
        return seen

    try:
        first, streamed, empty = asyncio.run(go())
    finally:
        server.close()
    assert (first["body"], first["headers"]["content-length"], first["headers"]["x-client"]) == (
        '{"a": 1}',
        "8",
        "kept",
    )
    assert (streamed["body"], streamed["headers"]["transfer-encoding"]) == ("one,two,three", "chunked")
    assert empty["headers"]["content-length"] == "0"
    assert len(app.connections) == 1  # one kept-alive connection for the three requests


def test_an_idle_connection_the_upstream_closed_is_replaced() -> None:
    # Keep-alive says the connection stays; the server closes it anyway after each answer.
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def go(base: str) -> list[bytes]:
        upstream = FastUpstream(base)
        bodies = []
        for _ in range(3):
            response = await upstream.send("GET", "/", [], b"")
            bodies.append(b"".join([chunk async for chunk in response.chunks()]))
            await response.aclose()
            await asyncio.sleep(0.05)  # the close reaches the idle connection, as it would between real requests
        await upstream.aclose()
        return bodies

    with raw_server(answer(raw), max_seconds=10) as base:
        assert asyncio.run(go(base)) == [b"ok"] * 3


def test_https_upstreams_are_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trustme  # noqa: PLC0415 - cryptography costs 70 ms at collection

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret"
    with raw_server(answer(raw), max_seconds=10, tls=context) as base:
        with pytest.raises(UpstreamError) as refused:
            fetch(base)  # the test CA is not trusted
        assert refused.value.kind == "ConnectionFailed"
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        assert fetch(base)[2] == b"secret"


def test_head_responses_end_at_their_head() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"
    with raw_server(answer(raw), max_seconds=10) as base:
        assert fetch(base, method="HEAD")[:1] == (200,)
