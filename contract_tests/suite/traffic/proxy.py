"""The conformance proxy: a reverse proxy (a raw ASGI app, served by uvicorn) that forwards every exchange unchanged
and hands a copy to a checker afterwards.

Forwarding rules:

- The request goes to the upstream with its method, path, query, headers and body as the client sent them; only
  the hop-by-hop headers (``Connection``, ``Transfer-Encoding``...), ``Host`` and the body's framing are the HTTP
  stack's. The upstream URL's path is a prefix, and leading path segments it already ends with are not repeated
  (``--upstream https://api.example.com/v1`` and a client calling ``/v1/videos/x`` reach
  ``https://api.example.com/v1/videos/x``, as the ``tokenops`` client joins its base URL).
- The response goes back as it arrives: status, headers and the body chunk by chunk, still encoded (a gzip body
  stays gzip; a server-sent event stream reaches the client event by event). The proxy never waits for a check:
  the exchange is handed to the ``sink`` after its last byte went out.
- At most ``max_body`` bytes of each body are kept for checking; the rest still passes through, and the exchange
  is marked incomplete (reported as not checked).
- The upstream down (refused, unreachable, no response head in time): the client gets a 502 in the OpenAI error
  format, and the exchange carries the failure (a transport finding). The upstream failing mid-body (a reset, a
  stall past the timeout): the client's connection is cut the same way, so it sees what the upstream did.

A request the proxy cannot make sense of (a path the spec does not know, a body that is not JSON) is forwarded
as it is: the checker notes it. The upstream is reached through an :class:`~contract_tests.suite.traffic.upstream.
Upstream` (:class:`~contract_tests.suite.traffic.upstream.FastUpstream` by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from contract_tests.cassette import HOP_BY_HOP, Exchange
from contract_tests.suite.traffic.upstream import FastUpstream, Upstream, UpstreamError, UpstreamResponse

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_TIMEOUT", "ProxyApp", "UpstreamCut"]

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_TIMEOUT = 60.0
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in HOP_BY_HOP)
logger = logging.getLogger("contract_tests.proxy")

Sink = Callable[[Exchange], object]  # its result is ignored


class UpstreamCut(Exception):
    """The upstream failed mid-response: the client's connection is cut too (uvicorn closes it)."""


async def _rest(head: bytes, receive: Any) -> AsyncIterator[bytes]:
    """A request body too big to keep, forwarded as it arrives: what was read already, then the rest."""
    yield head
    while True:
        more = await receive()
        if more["type"] != "http.request":
            return
        yield more.get("body", b"")
        if not more.get("more_body", False):
            return


def _overlap(base: list[str], path: str) -> int:
    """How many leading segments of ``path`` the base path already ends with."""
    parts = path.lstrip("/").split("/", len(base))
    for count in range(min(len(base), len(parts)), 0, -1):
        if base[-count:] == parts[:count]:
            return count
    return 0


def _bad_gateway(message: str, code: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(
        {"error": {"message": message, "type": "proxy_error", "param": None, "code": code}}, separators=(",", ":")
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-tokenops-proxy", b"upstream-error"),
    ]
    return headers, body


class ProxyApp:
    """The reverse proxy (see the module docstring).

    Args:
        upstream: the base URL requests are forwarded to.
        sink: called with each finished :class:`~contract_tests.cassette.Exchange` (never awaited: it must not block).
        max_body: bytes of each body kept for checking.
        timeout: seconds to connect, and seconds without a byte from the upstream before it counts as stalled.
        client: the upstream client (default a :class:`~contract_tests.suite.traffic.upstream.FastUpstream`).
    """

    def __init__(
        self,
        upstream: str,
        sink: Sink,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        timeout: float = DEFAULT_TIMEOUT,
        client: Upstream | None = None,
    ) -> None:
        url = httpx.URL(upstream)
        self._base_path = url.path.rstrip("/")
        self._base = [part for part in self._base_path.split("/") if part]
        self.sink = sink
        self.max_body = max_body
        self.client: Upstream = client if client is not None else FastUpstream(upstream, timeout=timeout)

    def upstream_target(self, raw_path: str, query: str) -> str:
        """The path and query a request for ``raw_path`` (percent-encoded) and ``query`` gets upstream."""
        drop = _overlap(self._base, raw_path) if self._base else 0
        if drop:
            raw_path = "/" + "/".join(raw_path.lstrip("/").split("/")[drop:])
            raw_path = "" if raw_path == "/" else raw_path
        return f"{self._base_path}{raw_path}" + (f"?{query}" if query else "") or "/"

    async def aclose(self) -> None:
        """Close the upstream connections."""
        await self.client.aclose()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not an HTTP API exchange
            return
        await self._exchange(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_request(self, receive: Any) -> tuple[bytes, bool, AsyncIterator[bytes] | None]:
        """(the body kept, whether it is whole, the stream to forward when it is too big to keep)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True, None
            chunk = message.get("body", b"")
            if not message.get("more_body", False):
                if not chunks:
                    return chunk, True, None
                chunks.append(chunk)
                return b"".join(chunks), True, None
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                head = b"".join(chunks)
                return head[: self.max_body], False, _rest(head, receive)

    async def _exchange(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started, clock = time.time(), time.perf_counter()
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        method = scope["method"]
        raw_headers = scope["headers"]
        body, body_whole, stream = await self._read_request(receive)
        exchange = {  # the request's half of the Exchange, made whole when the response ends
            "method": method,
            "target": raw_path + (f"?{query}" if query else ""),
            "request_headers": tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers),
            "request_body": body,
            "request_complete": body_whole,
            "started_at": started,
        }
        target = self.upstream_target(raw_path, query)
        try:
            response = await self.client.send(method, target, raw_headers, stream if stream is not None else body)
        except UpstreamError as exc:
            message = " ".join(str(exc).split())[:300]
            headers, payload = _bad_gateway(
                f"The upstream did not answer: {exc.kind}: {message}", "upstream_unreachable"
            )
            await send({"type": "http.response.start", "status": 502, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            self._done(exchange, clock, error=exc.kind, error_message=message)
            return
        # A response without a length (an event stream) may never end: watch for the client leaving meanwhile.
        sized = any(name.lower() == b"content-length" for name, _ in response.headers)
        gone = None if sized else asyncio.ensure_future(receive())
        try:
            await self._relay(response, exchange, clock, send, gone)
        finally:
            if gone is not None and not gone.done():
                gone.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await gone

    async def _relay(
        self,
        response: UpstreamResponse,
        exchange: dict[str, Any],
        clock: float,
        send: Any,
        gone: asyncio.Future[Any] | None,
    ) -> None:
        raw_headers = response.headers
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(name, value) for name, value in raw_headers if name.lower() not in _HOP_BY_HOP_BYTES],
            }
        )
        kept: list[bytes] = []
        size, whole, sent = 0, True, 0
        length = next((int(v) for n, v in raw_headers if n.lower() == b"content-length" and v.isdigit()), None)
        failure: UpstreamError | None = None
        client_gone = ended = False
        try:
            async for chunk in response.chunks():
                if gone is not None and gone.done():
                    client_gone = True
                    break
                sent += len(chunk)
                ended = length is not None and sent >= length  # the last chunk: no empty message after it
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": not ended})
                except OSError:
                    client_gone = True
                    break
                if whole:
                    if size + len(chunk) <= self.max_body:
                        kept.append(chunk)
                        size += len(chunk)
                    else:
                        kept.append(chunk[: self.max_body - size])
                        whole = False
        except UpstreamError as exc:
            failure = exc
        finally:
            await response.aclose()
        finished = {
            "status": response.status,
            "response_headers": tuple(
                (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw_headers
            ),
            "response_body": b"".join(kept),
            "response_complete": whole,
        }
        if client_gone:
            self._done(
                exchange, clock, error="ClientClosed", error_message="the client closed the connection", **finished
            )
            return
        if failure is not None:
            message = " ".join(str(failure).split())[:300]
            self._done(exchange, clock, error=failure.kind, error_message=message, **finished)
            raise UpstreamCut(f"upstream failed mid-response ({failure.kind}): connection cut")
        if not ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        self._done(exchange, clock, **finished)

    def _done(self, request: dict[str, Any], clock: float, **fields: Any) -> None:
        fields["duration"] = time.perf_counter() - clock
        try:
            self.sink(Exchange(**request, **fields))
        except Exception:  # the checker's trouble never reaches the traffic
            logger.exception("proxy: the exchange could not be handed to the checker")
