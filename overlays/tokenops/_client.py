"""``TokenOps`` and ``AsyncTokenOps``: configuration, connection pool, and the drivers that run the flows."""

from __future__ import annotations

import asyncio
import os
import re
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from tokenops._clock import Clock, SystemClock
from tokenops._errors import ConfigurationError, ResponseValidationError
from tokenops._flows import (
    Failure,
    Flow,
    Send,
    Settings,
    Sleep,
)
from tokenops._logging import setup_from_env
from tokenops._version import __version__
from tokenops._videos import AsyncVideos, Videos
from tokenops.redaction import register_secret

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncTokenOps",
    "TokenOps",
]

DEFAULT_BASE_URL = "https://model-api.skyengine.com.cn"  # openapi.yaml servers[0].url (a test keeps them equal)
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
ENV_API_KEY = "TOKENOPS_API_KEY"
ENV_BASE_URL = "TOKENOPS_BASE_URL"
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: anything else would corrupt the Authorization header

T = TypeVar("T")


def _settings(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: float | httpx.Timeout,
    max_retries: int,
    strict: bool,
    clock: Clock | None,
) -> Settings:
    key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
    if key is None or not key.strip():
        raise ConfigurationError(f"No API key: pass api_key=... or set the {ENV_API_KEY} environment variable")
    if not _HEADER_SAFE.fullmatch(key):
        raise ConfigurationError("The API key contains whitespace or non-ASCII characters; check how it was copied")
    url = base_url if base_url is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"base_url {url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"base_url {url!r} must be an absolute http:// or https:// URL")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be an integer >= 0, not {max_retries!r}")
    if not isinstance(timeout, httpx.Timeout):
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < float("inf"):
            raise ConfigurationError(f"timeout must be a positive finite number of seconds, not {timeout!r}")
        timeout = httpx.Timeout(timeout)
    setup_from_env()
    return Settings(
        base_url=str(parsed).rstrip("/"),
        secret=register_secret(key),
        timeout=timeout,
        max_retries=max_retries,
        strict=strict,
        clock=clock or SystemClock(),
        user_agent=f"tokenops-python/{__version__}",
    )


class _SetCookieOnlyCookies(httpx.Cookies):
    """httpx's cookie jar, minus its per-response cost when the response sets no cookie.

    httpx builds urllib compatibility objects for every response to look for ``Set-Cookie`` (about a tenth of
    a ``retrieve`` here, see benchmarks/bench_client.py). A bearer-token API rarely sets cookies; when a
    response does (load-balancer stickiness, say), it is stored exactly as httpx would.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def _own_pool(client: httpx.Client | httpx.AsyncClient) -> None:
    # Only for the pool the overlay creates itself; an injected http_client is left exactly as given.
    # `_cookies` is what httpx's own `cookies` setter assigns (tests/test_client.py checks the effect).
    client._cookies = _SetCookieOnlyCookies(client.cookies)


def _too_large(limit: int, detail: str = "") -> ResponseValidationError:
    return ResponseValidationError(f"response body exceeds {limit} bytes{detail}")


def _declared_size_ok(response: httpx.Response, limit: int) -> bool:
    """True when the response declares an unencoded length within ``limit`` (so reading it whole is safe).

    Raises:
        ResponseValidationError: the declared length is over the limit (refused before reading a byte).
    """
    if "content-encoding" in response.headers:  # the decoded size may exceed the declared one
        return False
    declared = response.headers.get("content-length", "")
    if not declared.isdigit():
        return False
    if int(declared) > limit:
        raise _too_large(limit, f" (Content-Length {declared})")
    return True


class _BoundedBody:
    """Collects a streamed body of unknown length, refusing it once it passes ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.limit)
        self.chunks.append(chunk)

    def attach(self, response: httpx.Response) -> httpx.Response:
        # httpx has no public way to attach a body read under a size limit; this is what Response.read() sets.
        response._content = b"".join(self.chunks)
        return response


_SEND_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ResponseValidationError)
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class _Base:
    _settings: Settings
    _owns_http: bool
    _max_response_bytes: int

    def _configure(
        self, http_client: HttpT | None, make_http: type[HttpT], max_response_bytes: int, **settings: Any
    ) -> HttpT:
        """Settings, response limit and connection pool, common to both clients; returns the pool."""
        self._settings = _settings(**settings)
        self._max_response_bytes = max_response_bytes
        self._owns_http = http_client is None
        if http_client is None:
            http_client = make_http(follow_redirects=False)
            _own_pool(http_client)
        return http_client

    def _describe(self) -> str:
        s = self._settings
        return f"{type(self).__name__}(base_url={s.base_url!r}, max_retries={s.max_retries}, strict={s.strict})"

    def __repr__(self) -> str:
        return self._describe()


class TokenOps(_Base):
    """Synchronous client. ``client.videos`` has ``retrieve`` and ``wait``.

    Args:
        api_key: the key; default ``$TOKENOPS_API_KEY``.
        base_url: default ``$TOKENOPS_BASE_URL``, else the spec's server URL (:data:`DEFAULT_BASE_URL`).
        timeout: seconds or an :class:`httpx.Timeout`; default :data:`DEFAULT_TIMEOUT` (finite).
        max_retries: retries on connection errors, timeouts, 408/409/429/5xx; default 2.
        strict: raise :class:`ResponseValidationError` on anything the spec does not allow.
        http_client: your own :class:`httpx.Client` (proxies, transports, ...); you keep ownership of it.
        clock: time source for sleeps and deadlines (see :class:`Clock`); default the system clock.
        max_response_bytes: larger bodies raise :class:`ResponseValidationError`; default 4 MiB.

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
    ) -> None:
        self._http = self._configure(
            http_client,
            httpx.Client,
            max_response_bytes,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
        )
        self.videos = Videos(self)

    def _send(self, action: Send) -> httpx.Response | Failure:
        request: httpx.Request | None = None
        try:
            request = self._http.build_request("GET", action.url, headers=action.headers, timeout=action.timeout)
            response = self._http.send(request, stream=True)
            try:
                if _declared_size_ok(response, self._max_response_bytes):
                    response.read()  # the common case: a declared, acceptable length
                    return response
                body = _BoundedBody(self._max_response_bytes)
                for chunk in response.iter_bytes():
                    body.add(chunk)
            finally:
                response.close()
        except _SEND_ERRORS as exc:
            return Failure(exc, request)
        return body.attach(response)

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
    ) -> None:
        self._http = self._configure(
            http_client,
            httpx.AsyncClient,
            max_response_bytes,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict=strict,
            clock=clock,
        )
        self.videos = AsyncVideos(self)

    async def _send(self, action: Send, semaphore: asyncio.Semaphore | None = None) -> httpx.Response | Failure:
        request: httpx.Request | None = None
        try:
            request = self._http.build_request("GET", action.url, headers=action.headers, timeout=action.timeout)
            if semaphore is not None:
                async with semaphore:
                    return await self._receive(request)
            return await self._receive(request)
        except _SEND_ERRORS as exc:
            return Failure(exc, request)

    async def _receive(self, request: httpx.Request) -> httpx.Response:
        response = await self._http.send(request, stream=True)
        try:
            if _declared_size_ok(response, self._max_response_bytes):
                await response.aread()
                return response
            body = _BoundedBody(self._max_response_bytes)
            async for chunk in response.aiter_bytes():
                body.add(chunk)
        finally:
            await response.aclose()
        return body.attach(response)

    async def _run(self, flow: Flow, semaphore: asyncio.Semaphore | None = None) -> Any:
        reply: Any = None
        try:
            while True:
                action = flow.send(reply)
                if isinstance(action, Sleep):
                    await self._settings.clock.asleep(action.seconds)
                    reply = None
                else:
                    reply = await self._send(action, semaphore)
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
