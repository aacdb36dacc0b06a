"""``TokenOps`` and ``AsyncTokenOps``: configuration, connection pool, and the drivers that run the flows."""

from __future__ import annotations

import asyncio
import copy as _copy
import math
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import attrs
import httpx

from tokenops._bodies import Chunks, blocked_failure, closed_failure, declared_size_ok, is_closed, rebuilt
from tokenops._calls import AsyncOperations, Operations
from tokenops._clock import Clock
from tokenops._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Settings,
    build_settings,
    default_tls,
    pool_limits,
)
from tokenops._errors import ResponseValidationError
from tokenops._flows import Failure, Flow, Received, Send, Sleep
from tokenops._videos import AsyncVideos, Videos

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncTokenOps",
    "TokenOps",
]

_SEND_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ResponseValidationError)
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
Slots = asyncio.LifoQueue[httpx.AsyncClient | None]
SHARD_ABOVE = 8  # wait_many uses the client's own pool up to this many requests in flight (AsyncTokenOps._pools_for)
POOL_SHARD = 2  # and beyond it, pools of this many connections
_UNCHANGED: Any = object()


class _Base:
    _settings: Settings
    _owns_http: bool

    def _configure(self, http_client: HttpT | None, make_http: type[HttpT], **settings: Any) -> HttpT:
        """Settings and connection pool, common to both clients; returns the pool."""
        self._settings = build_settings(**settings)
        self._owns_http = http_client is None
        # The pool the client builds carries the key's headers and the default timeout itself, so a plain call
        # passes neither (httpx merges per-request headers and timeouts on every request: a tenth of a call).
        self._pool_headers: Mapping[str, str] | None = None
        self._pool_timeout: httpx.Timeout | None = None
        if http_client is None:
            if not self._settings.default_headers:
                self._pool_headers = self._settings.headers
            self._pool_timeout = self._settings.timeout
            http_client = make_http(
                verify=default_tls(),
                follow_redirects=False,
                limits=pool_limits(self._settings.max_connections),
                headers=self._pool_headers,
                timeout=self._pool_timeout,
            )
        return http_client

    def _request(self, http: Any, action: Send, timeout: httpx.Timeout) -> httpx.Request:
        headers = None if action.headers is self._pool_headers else action.headers
        return http.build_request(  # type: ignore[no-any-return]
            action.method,
            action.url,
            params=action.params,
            headers=headers,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is self._pool_timeout else timeout,
            **action.body,
        )

    def _describe(self) -> str:
        s = self._settings
        return f"{type(self).__name__}(base_url={s.base_url!r}, max_retries={s.max_retries}, strict={s.strict})"

    def __repr__(self) -> str:
        return self._describe()

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout = _UNCHANGED,
        max_retries: int = _UNCHANGED,
        strict: bool = _UNCHANGED,
        default_headers: Mapping[str, str] = _UNCHANGED,
        default_query: Mapping[str, str] = _UNCHANGED,
        max_response_bytes: int = _UNCHANGED,
        max_download_bytes: int = _UNCHANGED,
        clock: Clock = _UNCHANGED,
    ) -> Self:
        """A client with some settings changed, sharing this one's connection pool (closing it closes nothing).

        Args:
            timeout, max_retries, strict, default_headers, default_query, max_response_bytes,
            max_download_bytes, clock: as for the constructor; ``default_headers``/``default_query`` replace
            the current ones.

        Returns:
            The new client; this one is unchanged.

        Raises:
            ConfigurationError: an invalid setting.
        """
        current = self._settings
        changes: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "strict": strict,
            "default_headers": default_headers,
            "default_query": default_query,
            "max_response_bytes": max_response_bytes,
            "max_download_bytes": max_download_bytes,
            "clock": clock,
        }
        arguments = {name: getattr(current, name) if value is _UNCHANGED else value for name, value in changes.items()}
        settings = build_settings(
            api_key=current.secret.value,
            base_url=current.base_url,
            max_connections=current.max_connections,
            **arguments,
        )
        clone = _copy.copy(self)
        clone._settings = attrs.evolve(settings, secret=current.secret)  # one registered secret per key
        clone._owns_http = False
        if clone._pool_headers is not None and clone._settings.headers == clone._pool_headers:
            clone._pool_headers = clone._settings.headers  # same content: the pool's own headers serve it
        else:
            clone._pool_headers = None
        if clone._pool_timeout is not None and clone._settings.timeout == clone._pool_timeout:
            clone._pool_timeout = clone._settings.timeout
        clone._resources()
        return clone

    copy = with_options

    def _resources(self) -> None:  # pragma: no cover - abstract: TokenOps and AsyncTokenOps define it
        raise NotImplementedError


class TokenOps(_Base):
    """Synchronous client: ``client.videos`` (retrieve, wait) and ``client.operations`` (any operation).

    Args:
        api_key: the key; default ``$TOKENOPS_API_KEY``.
        base_url: default ``$TOKENOPS_BASE_URL``, else the spec's server URL (:data:`DEFAULT_BASE_URL`). A
            trailing ``/v1`` (the spec's common path prefix) is accepted and dropped; a user/password, query or
            fragment is refused.
        timeout: seconds or an :class:`httpx.Timeout`; default :data:`DEFAULT_TIMEOUT` (finite).
        max_retries: retries on connection errors, timeouts, 408/409/429/5xx; default 2. POST/PATCH are
            retried only with an ``idempotency_key`` (or when the connection was never made).
        strict: raise :class:`ResponseValidationError` on anything the spec does not allow.
        http_client: your own :class:`httpx.Client` (proxies, transports, event hooks ...); you keep ownership.
        clock: time source for sleeps and deadlines (see :class:`Clock`); default the system clock.
        max_response_bytes: larger JSON/text bodies raise :class:`ResponseValidationError`; default 4 MiB.
        max_download_bytes: the limit for binary downloads; default 8 GiB.
        max_connections: the pool size (all kept alive) of the pool the client creates; default 100.
        default_headers / default_query: sent with every request (per-call ``extra_*`` win).

    Raises:
        ConfigurationError: no API key, or an invalid setting.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        strict: bool = False,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
    ) -> None:
        self._http = self._configure(
            http_client,
            httpx.Client,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
            max_response_bytes=max_response_bytes,
            max_download_bytes=max_download_bytes,
            max_connections=max_connections,
            default_headers=default_headers,
            default_query=default_query,
        )
        self._resources()

    def _resources(self) -> None:
        self.videos = Videos(self)
        self.operations = Operations(self)

    def _send(self, action: Send) -> Received | Failure:
        http, clock = self._http, self._settings.clock
        if http.is_closed:
            return closed_failure(None)
        timeout = action.timeout_at(clock.monotonic())
        request: httpx.Request | None = None
        try:
            request = self._request(http, action, timeout or action.timeout)
            return blocked_failure(action, request) if timeout is None else self._exchange(http, request, action.stream)
        except RuntimeError:
            if is_closed(http):  # closed by another thread while we were sending
                return closed_failure(request)
            raise
        except _SEND_ERRORS as exc:
            return Failure(exc, request)

    def _exchange(self, http: httpx.Client, request: httpx.Request, stream: bool) -> Received:
        clock, limit = self._settings.clock, self._settings.max_response_bytes
        start = clock.monotonic()
        try:
            response = http.send(request, stream=True)
        except httpx.HTTPStatusError as exc:  # a raise_for_status hook on an injected client: the status decides
            return Received(rebuilt(exc.response, b""), clock.monotonic() - start)
        if stream and response.is_success:
            return Received(response, clock.monotonic() - start)
        chunks: Chunks | None = None
        try:
            if declared_size_ok(response, limit):
                response.read()  # the common case: a declared, acceptable length
            else:
                chunks = Chunks(response, limit)
                for chunk in response.iter_bytes():
                    chunks.add(chunk)
        finally:
            response.close()
        result = response if chunks is None else rebuilt(response, b"".join(chunks.parts))
        return Received(result, clock.monotonic() - start)

    def _run(self, flow: Flow) -> Any:
        reply: Any = None
        try:
            while True:
                action = flow.send(reply)
                if isinstance(action, Sleep):
                    self._settings.clock.sleep(action.seconds)
                    reply = None
                else:
                    reply = self._send(action)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def close(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in: that one is yours)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncTokenOps(_Base):
    """Asynchronous client: same arguments as :class:`TokenOps`, with an :class:`httpx.AsyncClient`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        strict: bool = False,
        http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
    ) -> None:
        self._http = self._configure(
            http_client,
            httpx.AsyncClient,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
            max_response_bytes=max_response_bytes,
            max_download_bytes=max_download_bytes,
            max_connections=max_connections,
            default_headers=default_headers,
            default_query=default_query,
        )
        self._resources()

    def _resources(self) -> None:
        self.videos = AsyncVideos(self)
        self.operations = AsyncOperations(self)

    def _pools_for(self, concurrency: int) -> list[tuple[httpx.AsyncClient | None, int]]:
        """(pool, slots) shares for ``concurrency`` requests in flight; a ``None`` pool is the client's own.

        httpcore's pool bookkeeping costs grow with the square of its open connections (about 5 ms of CPU per
        request at 200: every request checks every idle connection's socket), so beyond :data:`SHARD_ABOVE`
        connections the work is split over pools of at most that size, each kept fully alive (pools of 2: 1.6 ms
        per request at 200 in ``benchmarks/bench_wait_many.py``, 2.2 ms with pools of 8). An ``http_client`` you
        passed in is used as it is, in one share.
        """
        if not self._owns_http or concurrency <= min(SHARD_ABOVE, self._settings.max_connections):
            return [(None, concurrency)]
        shards = math.ceil(concurrency / POOL_SHARD)
        sizes = [concurrency // shards + (1 if i < concurrency % shards else 0) for i in range(shards)]
        # The one TLS context (default_tls): loading the CA bundle once per pool would cost 2 s at concurrency 200.
        tls = default_tls()
        return [
            (
                httpx.AsyncClient(
                    verify=tls,
                    follow_redirects=False,
                    limits=pool_limits(size),
                    headers=self._pool_headers,
                    timeout=self._pool_timeout,
                ),
                size,
            )
            for size in sizes
        ]

    async def _send(self, action: Send, slots: Slots | None = None) -> Received | Failure:
        if slots is None:
            return await self._send_now(action, self._http)
        # A slot is one connection's worth of concurrency. Last released, first reused: when load drops, the
        # same warm connections carry it and the others expire, instead of every pool waking a cold one.
        pool = await slots.get()  # the deadline is applied after the wait for a slot, not before it
        try:
            return await self._send_now(action, pool or self._http)
        finally:
            slots.put_nowait(pool)

    async def _send_now(self, action: Send, http: httpx.AsyncClient) -> Received | Failure:
        if http.is_closed:
            return closed_failure(None)
        timeout = action.timeout_at(self._settings.clock.monotonic())
        request: httpx.Request | None = None
        try:
            request = self._request(http, action, timeout or action.timeout)
            if timeout is None:
                return blocked_failure(action, request)
            return await self._exchange(http, request, action.stream)
        except RuntimeError:
            if is_closed(http):
                return closed_failure(request)
            raise
        except _SEND_ERRORS as exc:
            return Failure(exc, request)

    async def _exchange(self, http: httpx.AsyncClient, request: httpx.Request, stream: bool) -> Received:
        clock, limit = self._settings.clock, self._settings.max_response_bytes
        start = clock.monotonic()
        try:
            response = await http.send(request, stream=True)
        except httpx.HTTPStatusError as exc:
            return Received(rebuilt(exc.response, b""), clock.monotonic() - start)
        if stream and response.is_success:
            return Received(response, clock.monotonic() - start)
        chunks: Chunks | None = None
        try:
            if declared_size_ok(response, limit):
                await response.aread()
            else:
                chunks = Chunks(response, limit)
                async for chunk in response.aiter_bytes():
                    chunks.add(chunk)
        finally:
            await response.aclose()
        result = response if chunks is None else rebuilt(response, b"".join(chunks.parts))
        return Received(result, clock.monotonic() - start)

    async def _run(self, flow: Flow, slots: Slots | None = None) -> Any:
        reply: Any = None
        try:
            while True:
                action = flow.send(reply)
                if isinstance(action, Sleep):
                    await self._settings.clock.asleep(action.seconds)
                    reply = None
                else:
                    reply = await self._send(action, slots)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def close(self) -> None:
        """Close the connection pool (not an ``http_client`` you passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
