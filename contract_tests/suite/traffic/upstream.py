"""The proxy's HTTP/1.1 client to the upstream: keep-alive connections on asyncio protocols, responses parsed by
httptools (the C parser uvicorn serves with), bodies streamed as they arrive, with backpressure.

Why not httpx: forwarding one small exchange through ``httpx.AsyncClient`` costs about 550 us of CPU on the
benchmark machine, almost all of it in httpcore (h11 and anyio); this client costs a fraction of that
(``benchmarks/bench_proxy.py``), and the proxy's whole budget at 500 requests/s is one millisecond. httpx is kept
where it is the better tool: the tests' scripted upstreams (:class:`HttpxUpstream`).

What it does: ``http`` and ``https`` (the default TLS context, SNI), a bounded pool of idle connections per
upstream, ``Content-Length`` or chunked request bodies, interim 1xx responses skipped, responses delimited by
length, chunks or the connection's end. A reused connection the upstream had already closed is retried once on a
new one when the request body can be sent again. Every failure is an :class:`UpstreamError` with the kind the
suite's findings use: ``ConnectionRefused``, ``ConnectionFailed``, ``Timeout`` (connect, or ``timeout`` seconds
without a byte), ``ConnectionDropped`` (closed mid-response, or a response that is not HTTP).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Protocol, cast

import httptools
import httpx

__all__ = ["FastUpstream", "HttpxUpstream", "Upstream", "UpstreamError", "UpstreamResponse"]

RawHeaders = list[tuple[bytes, bytes]]
HIGH_WATER = 256 * 1024  # bytes of a response buffered before the upstream is asked to pause
_SKIP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
    | {b"host", b"content-length"}
)


class UpstreamError(Exception):
    """The upstream failed; ``kind`` is the transport failure's kind (see the module docstring)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class UpstreamResponse(Protocol):
    """A response head, and its body as it arrives."""

    status: int
    headers: RawHeaders  # as received (names in their case)

    def chunks(self) -> AsyncIterator[bytes]:
        """The body, chunk by chunk (transfer coding removed, content coding kept).

        Raises:
            UpstreamError: the body did not arrive whole.
        """
        ...

    async def aclose(self) -> None:
        """Done with it: the connection goes back to the pool when the body was read whole."""
        ...


class Upstream(Protocol):
    """Where the proxy sends requests."""

    async def send(
        self, method: str, target: str, headers: RawHeaders, body: bytes | AsyncIterator[bytes]
    ) -> UpstreamResponse:
        """Send one request (``target``: path and query); returns once the response head arrived.

        Raises:
            UpstreamError: no response head came.
        """
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


class _Connection(asyncio.Protocol):
    """One connection: a response at a time, its events from httptools' callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.used = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._begin(head_request=False)

    def _begin(self, *, head_request: bool) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.head_request = head_request
        self.status = 0
        self.headers: RawHeaders = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False
        self.got_bytes = False
        self.error: UpstreamError | None = None
        self.body: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.paused = False

    # -- asyncio.Protocol ----------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # a stream transport (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = UpstreamError("ConnectionDropped", f"the upstream sent something that is not HTTP: {exc}")
            self._close()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.head_done and not self.complete and self.error is None:
            delimited = any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self.headers)
            if delimited:
                self.error = UpstreamError(
                    "ConnectionDropped", "connection broken: the upstream closed it mid-response"
                )
            else:
                self.complete = True  # a body delimited by the connection's end
        elif not self.head_done and self.error is None:
            self.error = UpstreamError("ConnectionDropped", "connection broken: closed before a response")
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._drain = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self._drain = None

    # -- httptools callbacks -------------------------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 200 and self.status != 101:  # noqa: PLR2004 - an interim response: the real one follows
            self.headers = []
            return
        self.head_done = True
        if self.head_request:
            self.complete = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True

    def on_message_complete(self) -> None:
        if self.head_done:
            self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message is over
            self.complete = True

    # -- for the client ------------------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def wait(self, timeout: float) -> None:
        """Until something happens on the connection, or ``timeout`` seconds pass.

        Raises:
            UpstreamError: the timeout.
        """
        waiter = self._waiter = self.loop.create_future()
        timer = self.loop.call_later(timeout, _time_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def drain(self) -> None:
        if self._drain is not None:
            await self._drain

    def take(self) -> bytes | None:
        """The next body chunk, or None when none is buffered."""
        if not self.body:
            return None
        chunk = self.body.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < HIGH_WATER // 2 and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return chunk

    @property
    def reusable(self) -> bool:
        return self.complete and not self.lost and self.error is None and not self.head_request and self.keep_alive


def _time_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Response:
    def __init__(self, pool: FastUpstream, connection: _Connection) -> None:
        self._pool = pool
        self._connection = connection
        self.status = connection.status
        self.headers = connection.headers
        self._released = False

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        while True:
            chunk = connection.take()
            if chunk is not None:
                yield chunk
                continue
            if connection.complete:
                return
            if connection.error is not None:
                connection._close()
                raise connection.error
            try:
                await connection.wait(self._pool.timeout)
            except TimeoutError:
                connection._close()
                message = f"timed out: no byte from the upstream in {self._pool.timeout:g} s"
                raise UpstreamError("Timeout", message) from None

    async def aclose(self) -> None:
        if self._released:
            return
        self._released = True
        self._pool.release(self._connection)


class FastUpstream:
    """The client for one upstream base URL (its path is ignored: ``target`` is the whole path).

    Args:
        base_url: ``http(s)://host[:port]``.
        timeout: seconds to connect, and seconds without a byte before a response counts as stalled.
        connections: idle connections kept for reuse.
    """

    def __init__(self, base_url: str, *, timeout: float = 60.0, connections: int = 100) -> None:
        url = httpx.URL(base_url)
        self.host = url.host
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if url.scheme == "https" else None
        default = self.port == (443 if url.scheme == "https" else 80)
        self.authority = (f"[{self.host}]" if ":" in self.host else self.host) + ("" if default else f":{self.port}")
        self.timeout = timeout
        self.connections = connections
        self._idle: collections.deque[_Connection] = collections.deque()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                ),
                min(self.timeout, 10.0),
            )
        except TimeoutError:
            raise UpstreamError("Timeout", f"timed out connecting to {self.authority}") from None
        except ConnectionRefusedError as exc:
            raise UpstreamError("ConnectionRefused", f"connection refused by {self.authority}: {exc}") from None
        except OSError as exc:  # name resolution, unreachable network, TLS handshake (ssl.SSLError)
            raise UpstreamError("ConnectionFailed", f"cannot connect to {self.authority}: {exc}") from None
        return connection

    def _head(self, method: str, target: str, headers: RawHeaders, length: int | None) -> bytes:
        lines = [f"{method} {target} HTTP/1.1\r\nhost: {self.authority}\r\n".encode("latin-1")]
        lines += [name + b": " + value + b"\r\n" for name, value in headers if name.lower() not in _SKIP]
        if length is None:
            lines.append(b"transfer-encoding: chunked\r\n")
        elif length or method in ("POST", "PUT", "PATCH"):
            lines.append(b"content-length: %d\r\n" % length)
        lines.append(b"\r\n")
        return b"".join(lines)

    async def send(
        self, method: str, target: str, headers: RawHeaders, body: bytes | AsyncIterator[bytes]
    ) -> UpstreamResponse:
        """See :class:`Upstream`."""
        streamed = not isinstance(body, bytes)
        length = next((int(v) for n, v in headers if n.lower() == b"content-length" and v.isdigit()), None)
        head = self._head(method, target, headers, length if streamed else len(body))  # type: ignore[arg-type]
        for attempt in (1, 2):
            while self._idle and self._idle[-1].lost:  # the upstream closed it while it was idle
                self._idle.pop()
            reused = bool(self._idle)
            connection = self._idle.pop() if reused else await self._connect()
            connection._begin(head_request=method == "HEAD")
            connection.used = True
            try:
                await self._write(connection, head, body, chunked=streamed and length is None)
                while not connection.head_done:
                    if connection.error is not None:
                        raise connection.error
                    await connection.wait(self.timeout)
            except TimeoutError:
                connection._close()
                raise UpstreamError("Timeout", f"timed out: no response head in {self.timeout:g} s") from None
            except UpstreamError:
                connection._close()
                if reused and attempt == 1 and not connection.got_bytes and not streamed:
                    continue  # the upstream had closed this idle connection: once more, on a new one
                raise
            return _Response(self, connection)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _write(
        self, connection: _Connection, head: bytes, body: bytes | AsyncIterator[bytes], *, chunked: bool
    ) -> None:
        transport = connection.transport
        assert transport is not None  # noqa: S101 - connected
        if isinstance(body, bytes):
            transport.write(head + body)
            return
        transport.write(head)
        async for chunk in body:
            if connection.lost:
                break
            if chunk:
                transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                await connection.drain()
        if chunked:
            transport.write(b"0\r\n\r\n")

    def release(self, connection: _Connection) -> None:
        """A response is done with its connection: keep it for the next request, or close it."""
        if connection.reusable and len(self._idle) < self.connections:
            self._idle.append(connection)
        else:
            connection._close()

    async def aclose(self) -> None:
        """See :class:`Upstream`."""
        while self._idle:
            self._idle.pop()._close()


def _httpx_kind(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "Timeout"
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "ConnectionDropped"
    if isinstance(error, httpx.ConnectError) and "refused" in str(error).lower():
        return "ConnectionRefused"
    return "ConnectionFailed"


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers = list(response.headers.raw)

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise UpstreamError(_httpx_kind(exc), " ".join(str(exc).split()) or type(exc).__name__) from None

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxUpstream:
    """The same interface over an ``httpx.AsyncClient`` (any transport: tests script their upstreams with
    ``httpx.MockTransport``)."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self._origin = base_url.rstrip("/")
        self._client = client

    async def send(
        self, method: str, target: str, headers: RawHeaders, body: bytes | AsyncIterator[bytes]
    ) -> UpstreamResponse:
        """See :class:`Upstream`."""
        kept = [(name, value) for name, value in headers if name.lower() not in _SKIP - {b"content-length"}]
        request = httpx.Request(method, self._origin + target, headers=kept, content=body)
        try:
            return _HttpxResponse(await self._client.send(request, stream=True))
        except httpx.HTTPError as exc:
            raise UpstreamError(_httpx_kind(exc), " ".join(str(exc).split()) or type(exc).__name__) from None

    async def aclose(self) -> None:
        """See :class:`Upstream`."""
        with contextlib.suppress(Exception):
            await self._client.aclose()
