"""The clients' pools: the async client's transports (httpx's own pool in small shards, the default, and aiohttp,
``tokenops[aiohttp]``), the sync client's pool, and how the requester sends through them.

All are httpx transports (``httpx.AsyncBaseTransport``, ``httpx.BaseTransport``), so everything above them is unchanged:
the one request path, timeouts and deadlines, retries, the error tree, streamed downloads.

- :class:`ShardedTransport`: httpx's transport (``httpx.AsyncHTTPTransport``, httpcore) split into pools of
  :data:`SHARD_SIZE` connections behind one queue of free slots. httpcore's pool rescans every connection for every
  queued request and again on every response (each idle connection's socket polled, and a list of all connections
  built per idle one): at 200 in flight on one pool of 200 that is 5-50 ms of CPU per request. A shard scans two.
  :func:`async_pool` mounts it for ``all://`` in an ordinary ``httpx.AsyncClient``, so proxies from the environment
  (mounted by httpx for their schemes) still win.
- :class:`AioHttpTransport` and :class:`DefaultAioHttpClient`: aiohttp's connection pool and HTTP parser, for
  hundreds of requests in flight at a third of the CPU (``benchmarks/bench_concurrency.py``). The requester sends
  through it directly (:func:`send_streaming`), skipping ``httpx.AsyncClient.send``'s auth, redirect, hook and
  cookie machinery when the client uses none of them.
- :class:`SyncPool`: the ``httpx.Client`` a ``TokenOps`` builds, sent through the same way (:func:`send_sync`) when no
  proxy is set in the environment: ``send`` and URL parsing were a tenth of a sequential call's CPU.

Both clients the requester sends through directly build requests as httpx does, with what depends only on the client
worked out once (:class:`RequestBuilder`), and give each response what ``send`` gives it (its request, its elapsed
time, the cookies it sets stored in the client).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from tokenops._config import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    KEEPALIVE_EXPIRY,
    default_tls,
    pool_limits,
    shown_url,
)
from tokenops._errors import ConfigurationError

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "SHARD_SIZE",
    "AioHttpTransport",
    "DefaultAioHttpClient",
    "RequestBuilder",
    "ShardedTransport",
    "SyncPool",
    "async_pool",
    "send_streaming",
    "send_sync",
]

SHARD_SIZE = 2  # connections per httpcore pool: its bookkeeping grows with the square of this
AIOHTTP_EXTRA = "tokenops[aiohttp]"
CHUNK_SIZE = 64 * 1024
URL_CACHE = 16_384  # parsed URLs a RequestBuilder keeps (wait_many polls each job's URL again and again)
PREREAD_BYTES = 64 * 1024  # a body declared this small (and not encoded) is read with the headers
_SIZED = frozenset(("POST", "PUT", "PATCH"))  # methods httpx gives "Content-Length: 0" when they have no body
_NO_BODY = httpx.ByteStream(b"")  # immutable: one for every request without a body
TIMEOUT_CACHE = 64  # aiohttp timeouts and header sets kept per transport (a client's usual ones)
S = TypeVar("S")


# --- free slots: last released first, waiters first come first served ---------------------------------------------


class Slots(Generic[S]):
    """A fixed set of slots (each names where a request may go), handed out one per request in flight.

    The slot released last is handed out first, so warm connections carry a light load while the others idle out;
    a request that finds none waits in line (first come, first served) up to its pool timeout.
    """

    def __init__(self, slots: list[S]) -> None:
        self._free = slots
        self._waiters: collections.deque[asyncio.Future[S]] = collections.deque()

    def __len__(self) -> int:
        return len(self._free)

    async def acquire(self, timeout: float | None) -> S:
        """A free slot, waiting at most ``timeout`` seconds (None: for ever).

        Raises:
            httpx.PoolTimeout: none became free in time.
        """
        if self._free and not self._waiters:
            return self._free.pop()
        waiter: asyncio.Future[S] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())  # handed a slot as it gave up: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout(f"no free connection within {timeout} s") from None
            raise

    def release(self, slot: S) -> None:
        """Give ``slot`` back: to the first request still waiting, else to the free ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                return
        self._free.append(slot)


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its slot back when it is closed (once, however often it is closed)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def _pool_timeout(request: httpx.Request) -> float | None:
    timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
    return timeout.get("pool")


class ShardedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport for ``connections`` requests in flight, as pools of :data:`SHARD_SIZE` connections.

    Args:
        connections: the most requests in flight (and connections open); more wait for a free slot up to the
            request's pool timeout (then ``httpx.PoolTimeout``, as httpx's pool raises).
        verify: the TLS context of every shard.
    """

    def __init__(self, connections: int, *, verify: ssl.SSLContext) -> None:
        shards = -(-connections // SHARD_SIZE)
        slots: list[httpx.AsyncHTTPTransport] = []
        self._shards: list[httpx.AsyncHTTPTransport] = []
        for index in range(shards):
            size = connections // shards + (1 if index < connections % shards else 0)
            shard = httpx.AsyncHTTPTransport(verify=verify, limits=pool_limits(size), trust_env=False)
            self._shards.append(shard)
            slots.extend([shard] * size)
        slots.reverse()  # the first shard's slots on top: a light load stays on few connections
        self._slots = Slots(slots)

    @property
    def shards(self) -> int:
        """How many pools the connections are split over."""
        return len(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = await self._slots.acquire(_pool_timeout(request))
        try:
            response = await shard.handle_async_request(request)
        except BaseException:
            self._slots.release(shard)
            raise
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):  # pragma: no cover - httpx's transport always streams
            raise TypeError(f"unexpected response stream {type(stream).__name__}")
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(stream, lambda: self._slots.release(shard)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def async_pool(
    connections: int,
    *,
    headers: Mapping[str, str] | None,
    timeout: httpx.Timeout | None,
    verify: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` an ``AsyncTokenOps`` builds: keep-alive for every connection, no redirects, and
    :class:`ShardedTransport` for every URL no proxy from the environment claims."""
    tls = verify or default_tls()
    return httpx.AsyncClient(
        verify=tls,
        follow_redirects=False,
        limits=pool_limits(connections),  # the transport for hosts in NO_PROXY; proxies' own pools
        headers=headers,
        timeout=timeout,
        mounts={"all://": ShardedTransport(connections, verify=tls)},
    )


# --- aiohttp ------------------------------------------------------------------------------------------------------


def _aiohttp() -> Any:
    try:
        import aiohttp  # noqa: PLC0415 - the optional extra, imported when it is asked for
    except ImportError:
        raise ConfigurationError(f"DefaultAioHttpClient needs aiohttp: pip install '{AIOHTTP_EXTRA}'") from None
    return aiohttp


def _seconds(*values: float | None) -> float | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _mapped(exc: Exception, request: httpx.Request) -> Exception:
    """The httpx exception an aiohttp one means (what the error tree and the retry rules read), or ``exc`` itself.

    Connect failures and timeouts waiting for a connection happen before a byte was sent (``ConnectError``,
    ``ConnectTimeout``: retry-safe for any method); anything later is a read, protocol or timeout error. Messages
    lose any ``user:password@`` of a proxy URL.
    """
    aiohttp = _aiohttp()
    if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ClientError):  # a timeout aiohttp raised bare
        return httpx.ReadTimeout("timed out", request=request)
    if not isinstance(exc, aiohttp.ClientError):
        return exc
    mapped: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        mapped = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        mapped = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        mapped = httpx.ProxyError
    elif isinstance(exc, aiohttp.ClientConnectorError):
        mapped = httpx.ConnectError
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        mapped = httpx.UnsupportedProtocol
    elif isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        mapped = httpx.RemoteProtocolError
    elif isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError):
        mapped = httpx.ReadError
    else:
        mapped = httpx.TransportError
    return mapped(shown_url(str(exc) or type(exc).__name__), request=request)


class _AioHttpStream(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads one; closing it returns the connection to aiohttp's pool."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK_SIZE):
                yield chunk
        except Exception as exc:
            raise _mapped(exc, self._request) from exc

    async def aclose(self) -> None:
        self._response.release()


def _aiohttp_headers(multidict: Any, raw: tuple[tuple[bytes, bytes], ...], encoding: str) -> Any:
    """httpx's raw headers as aiohttp takes them: an immutable multidict (aiohttp copies it), less
    ``Transfer-Encoding`` (aiohttp frames the body itself)."""
    pairs = [(k.decode(encoding), v.decode(encoding)) for k, v in raw if k.lower() != b"transfer-encoding"]
    return multidict.CIMultiDictProxy(multidict.CIMultiDict(pairs))


def _aiohttp_timeout(
    module: Any, pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for httpx's (``connect``: waiting for a connection and making it; no write timeout)."""
    timeout: aiohttp.ClientTimeout = module.ClientTimeout(
        total=None, connect=_seconds(pool, connect), sock_connect=connect, sock_read=read
    )
    return timeout


class AioHttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one ``aiohttp.ClientSession`` (created in the event loop that first sends).

    Args:
        max_connections: aiohttp's connection limit (all kept alive for ``keepalive_expiry`` seconds when idle).
        verify: the TLS context (default: the one the clients share, from ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
        trust_env: proxies from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``NO_PROXY`` (aiohttp reads them).
        keepalive_expiry: seconds an idle connection is kept.

    Raises:
        ConfigurationError: aiohttp is not installed (``pip install 'tokenops[aiohttp]'``).
    """

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        verify: ssl.SSLContext | None = None,
        trust_env: bool = True,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self._aiohttp = _aiohttp()
        import yarl  # noqa: PLC0415 - aiohttp's URL type, installed with it

        self._yarl = yarl.URL
        import multidict  # noqa: PLC0415 - aiohttp's header type, installed with it

        # What aiohttp takes, built once per distinct input and kept (least recently used first out): all immutable.
        # URLs: one per URL string, the last URL_CACHE (parsing was ~2 % of a request); header sets and timeouts: a
        # client's usual few (deadline-capped timeouts come and go).
        self._yarl_url: Callable[[str], Any] = functools.lru_cache(maxsize=URL_CACHE)(
            functools.partial(yarl.URL, encoded=True)
        )
        self._header_set: Callable[[tuple[tuple[bytes, bytes], ...], str], Any] = functools.lru_cache(
            maxsize=TIMEOUT_CACHE
        )(functools.partial(_aiohttp_headers, multidict))
        self._client_timeout: Callable[[float | None, float | None, float | None], aiohttp.ClientTimeout] = (
            functools.lru_cache(maxsize=TIMEOUT_CACHE)(functools.partial(_aiohttp_timeout, self._aiohttp))
        )
        self._max_connections = max_connections
        self._tls = verify or default_tls()
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Read once, as httpx reads them when a client is built (aiohttp's own trust_env re-reads them, and netrc,
        # in a thread for every request).
        self._env_proxies = urllib.request.getproxies() if trust_env else {}
        self._proxies: dict[tuple[str, str], tuple[Any, Any]] = {}

    def _proxy(self, url: httpx.URL) -> tuple[Any, Any]:
        """(proxy URL, proxy auth) for ``url``, from the environment (``NO_PROXY`` honoured), cached per origin."""
        key = (url.scheme, url.host)
        found = self._proxies.get(key)
        if found is None:
            env = self._env_proxies
            proxy = None if urllib.request.proxy_bypass(url.host) else env.get(url.scheme)
            proxy = proxy or env.get("all")
            if not proxy:
                found = (None, None)
            else:
                parsed = self._yarl(proxy if "://" in proxy else f"http://{proxy}")
                auth = self._aiohttp.BasicAuth.from_url(parsed) if parsed.user else None
                found = (parsed.with_user(None), auth)
            self._proxies[key] = found
        return found

    def _session_here(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None:
            aiohttp = self._aiohttp
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=self._keepalive, ssl=self._tls
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx's client keeps the cookies
                auto_decompress=False,  # httpx decodes (and the size limits count what it decodes)
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this DefaultAioHttpClient is bound to the event loop it first sent from: make one per event loop"
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        session = self._session_here()
        try:
            data: bytes | None = request.content or None
        except httpx.RequestNotRead:  # a streamed body (multipart files): read it whole, aiohttp sends bytes
            data = await request.aread() or None
        headers = self._headers(request.headers)
        proxy, proxy_auth = self._proxy(request.url) if self._env_proxies else (None, None)
        try:
            response = await session.request(
                request.method,
                self._yarl_url(str(request.url)),  # percent-encoded by httpx already: sent as it is
                headers=headers,
                data=data,
                allow_redirects=False,
                proxy=proxy,
                proxy_auth=proxy_auth,
                timeout=self._timeout(request),
            )
        except Exception as exc:
            raise _mapped(exc, request) from exc
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        length = response.content_length
        if length is not None and length <= PREREAD_BYTES and "Content-Encoding" not in response.headers:
            # The common small JSON answer, read now in one piece (the caller's size limit still sees the declared
            # length before it looks at the body): a third of the cost of streaming it through httpx.
            try:
                content = await response.read()
            except Exception as exc:
                raise _mapped(exc, request) from exc
            finally:
                response.release()
            read = httpx.Response(
                response.status, headers=response.raw_headers, content=content, request=request, extensions=extensions
            )
            read.elapsed = timedelta(seconds=time.perf_counter() - start)  # closed: httpx's client never times it
            return read
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_AioHttpStream(response, request),
            request=request,
            extensions=extensions,
        )

    def _headers(self, headers: httpx.Headers) -> Any:
        """``headers`` as aiohttp takes them (see :func:`_aiohttp_headers`), kept per header set."""
        return self._header_set(tuple(headers.raw), headers.encoding)

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for the request's httpx timeouts (see :func:`_aiohttp_timeout`), kept per set."""
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        return self._client_timeout(timeout.get("pool"), timeout.get("connect"), timeout.get("read"))

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


# --- requests built once per client, sent straight to its transport -----------------------------------------------


class RequestBuilder:
    """httpx's ``build_request`` for what the requester sends (an absolute URL string, headers as a dict or None; no
    cookies, extensions or client params), with what depends only on the client worked out once: the client's headers
    merged with the call's (and the ``Host`` header httpx puts first) while both stay equal, and the parsed URL, for the
    last :data:`URL_CACHE` distinct ones (a wait polls one again and again; parsing it costs as much as the rest).
    """

    def __init__(self) -> None:
        self._merged: tuple[dict[str, str], list[tuple[bytes, bytes]], httpx.Headers] | None = None
        self._sent: tuple[httpx.Headers, bytes, httpx.Headers] | None = None
        # functools' LRU cache: safe when threads share a sync client (it is one lock-free C dict lookup on a hit).
        self._parsed: Callable[[str], httpx.URL] = functools.lru_cache(maxsize=URL_CACHE)(httpx.URL)

    def build(
        self,
        client: httpx.Client | httpx.AsyncClient,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any,
        data: Any,
        files: Any,
        json: Any,
        params: Any,
        headers: Any,
        cookies: Any,
        timeout: Any,
        extensions: Any,
    ) -> httpx.Request | None:
        """The request ``client.build_request`` would build, or None when it is not one of those (httpx builds it)."""
        if (
            cookies is not None
            or extensions is not None
            or not isinstance(url, str)
            or not (headers is None or isinstance(headers, dict))
            or client.cookies
            or client.params
            or not url.startswith(("http://", "https://"))
        ):
            return None
        chosen = client.timeout if timeout is httpx.USE_CLIENT_DEFAULT else timeout
        if not isinstance(chosen, httpx.Timeout):
            chosen = httpx.Timeout(chosen)
        parsed = self._parsed(url)
        merged = self._merged_headers(client.headers, headers or {})
        request_extensions = {"timeout": chosen.as_dict()}
        if content is None and data is None and files is None and json is None and method.upper() not in _SIZED:
            # No body: what httpx would send (its Host header first, an empty body read), from headers merged once.
            request = httpx.Request(
                method,
                parsed,
                params=params,
                headers=self._sent_headers(merged, parsed.netloc),
                stream=_NO_BODY,
                extensions=request_extensions,
            )
            request.read()
            return request
        return httpx.Request(
            method,
            parsed,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=merged,
            extensions=request_extensions,
        )

    def _merged_headers(self, own: httpx.Headers, headers: dict[str, str]) -> httpx.Headers:
        """The client's headers ``own`` updated with ``headers`` (as httpx merges them)."""
        own_raw = own.raw
        merged = self._merged
        if merged is None or merged[0] != headers or merged[1] != own_raw:
            combined = httpx.Headers(own)
            combined.update(headers)
            merged = self._merged = (dict(headers), own_raw, combined)
        return merged[2]

    def _sent_headers(self, merged: httpx.Headers, netloc: bytes) -> httpx.Headers:
        """``merged`` with the ``Host`` header httpx puts first (unless one is there), for the host last asked."""
        sent = self._sent
        if sent is None or sent[0] is not merged or sent[1] != netloc:
            hosted = merged if "host" in merged else httpx.Headers([(b"Host", netloc), *merged.raw])
            sent = self._sent = (merged, netloc, hosted)
        return sent[2]


class _BuildsOnce:
    """``build_request`` through the client's :class:`RequestBuilder`, else httpx's (a mixin before the httpx
    client class)."""

    request_builder: RequestBuilder

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: Any = None,
    ) -> httpx.Request:
        """httpx's ``build_request``; what the requester sends is built by the client's :class:`RequestBuilder`."""
        arguments: dict[str, Any] = {
            "content": content,
            "data": data,
            "files": files,
            "json": json,
            "params": params,
            "headers": headers,
            "cookies": cookies,
            "timeout": timeout,
            "extensions": extensions,
        }
        client: Any = self
        built = self.request_builder.build(client, method, url, **arguments)
        if built is not None:
            return built
        return super().build_request(method, url, **arguments)  # type: ignore[misc, no-any-return]


class SyncPool(_BuildsOnce, httpx.Client):
    """The ``httpx.Client`` a ``TokenOps`` builds: keep-alive for every connection, no redirects; its transport is
    mounted for ``all://`` (so proxies from the environment, mounted by httpx for their schemes, still win) and kept as
    :attr:`pool_transport` for :func:`send_sync`, which sends straight to it when the environment names no proxy.

    Args:
        connections: the pool size, all kept alive.
        verify: the TLS context (default: the one the clients share, from ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
        **kwargs: other ``httpx.Client`` arguments (``headers``, ``timeout`` ...).
    """

    def __init__(self, connections: int, *, verify: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        tls = verify or default_tls()
        self.request_builder = RequestBuilder()
        self.pool_transport = httpx.HTTPTransport(verify=tls, limits=pool_limits(connections), trust_env=False)
        # Read when the client is built, as httpx reads them: with any proxy variable set, httpx picks the transport.
        self.direct = not urllib.request.getproxies()
        kwargs.setdefault("follow_redirects", False)
        super().__init__(
            verify=tls,
            limits=pool_limits(connections),  # the transport for hosts in NO_PROXY
            mounts={"all://": self.pool_transport},
            **kwargs,
        )


class DefaultAioHttpClient(_BuildsOnce, httpx.AsyncClient):
    """An ``httpx.AsyncClient`` over aiohttp, for many requests in flight: ``AsyncTokenOps(http_client=...)``.

    Like openai's ``DefaultAioHttpClient``. It keeps every connection alive, never follows redirects, trusts the CA
    bundle of ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` and proxies from the environment. You own it: close it
    (``await http_client.aclose()`` or ``async with``) when you are done.

    Args:
        max_connections: connections aiohttp may open (and keep); size it for your concurrency.
        timeout: httpx's default timeout for requests sent through it (the tokenops client passes its own).
        trust_env: read proxies from the environment.
        **kwargs: other ``httpx.AsyncClient`` arguments (``headers``, ``event_hooks`` ...; not ``transport``).

    Raises:
        ConfigurationError: aiohttp is not installed (``pip install 'tokenops[aiohttp]'``).
    """

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        trust_env: bool = True,
        **kwargs: Any,
    ) -> None:
        self.aiohttp_transport = AioHttpTransport(max_connections=max_connections, trust_env=trust_env)
        self.request_builder = RequestBuilder()
        kwargs.setdefault("follow_redirects", False)
        super().__init__(transport=self.aiohttp_transport, timeout=timeout, trust_env=trust_env, **kwargs)


def _plain(http: httpx.Client | httpx.AsyncClient) -> bool:
    """True when ``send`` would add nothing but what :func:`_as_sent` adds: no auth, event hooks, redirects to
    follow or cookies to send (and the client is open: a closed one's ``send`` raises, its transport may not)."""
    hooks = http.event_hooks
    return not (
        http.is_closed
        or http.auth is not None
        or hooks["request"]
        or hooks["response"]
        or http.follow_redirects
        or http.cookies
    )


class _TimedStream(httpx.SyncByteStream):
    """A response body that sets the response's ``elapsed`` when it is closed, as ``httpx.Client.send`` does."""

    def __init__(self, stream: httpx.SyncByteStream, response: httpx.Response, start: float) -> None:
        self._stream, self._response, self._start = stream, response, start

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        self._response.elapsed = timedelta(seconds=time.perf_counter() - self._start)
        self._stream.close()


class _AsyncTimedStream(httpx.AsyncByteStream):
    """:class:`_TimedStream` for an async body."""

    def __init__(self, stream: httpx.AsyncByteStream, response: httpx.Response, start: float) -> None:
        self._stream, self._response, self._start = stream, response, start

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        self._response.elapsed = timedelta(seconds=time.perf_counter() - self._start)
        await self._stream.aclose()


def _as_sent(
    http: httpx.Client | httpx.AsyncClient, request: httpx.Request, response: httpx.Response, start: float
) -> None:
    """What ``send`` gives a response: its request, its elapsed time when closed, the cookies it sets (stored in
    ``http.cookies``: from then on every request goes through ``send``, which sends them)."""
    response.request = request
    stream = response.stream
    if not response.is_closed:  # (a body the transport read whole, it timed)
        if isinstance(http, httpx.AsyncClient) and isinstance(stream, httpx.AsyncByteStream):
            response.stream = _AsyncTimedStream(stream, response, start)
        elif isinstance(stream, httpx.SyncByteStream):
            response.stream = _TimedStream(stream, response, start)
    if "set-cookie" in response.headers:
        http.cookies.extract_cookies(response)


async def send_streaming(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """``http.send(request, stream=True)``; for a :class:`DefaultAioHttpClient`, straight to its transport.

    A :class:`DefaultAioHttpClient` that uses none of what ``send`` adds (auth, event hooks, redirects, cookies to
    send) skips it: about a third of a request's CPU at 200 in flight.
    """
    if not isinstance(http, DefaultAioHttpClient) or not _plain(http):
        return await http.send(request, stream=True)
    start = time.perf_counter()
    response = await http.aiohttp_transport.handle_async_request(request)
    _as_sent(http, request, response, start)
    return response


def send_sync(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """``http.send(request, stream=True)``; for a :class:`SyncPool` whose environment names no proxy and that uses
    none of what ``send`` adds, straight to its transport (``send`` was a tenth of a sequential call's CPU)."""
    if not isinstance(http, SyncPool) or not http.direct or not _plain(http):
        return http.send(request, stream=True)
    start = time.perf_counter()
    try:
        response = http.pool_transport.handle_request(request)
    except httpx.RequestError as exc:
        exc.request = request  # as send attaches it
        raise
    _as_sent(http, request, response, start)
    return response
