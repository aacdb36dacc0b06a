"""``TokenOps`` and ``AsyncTokenOps``: configuration, connection pool, and the drivers that run the flows."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

import httpx

from tokenops._clock import Clock, SystemClock
from tokenops._errors import ConfigurationError, TokenOpsError
from tokenops._flows import (
    Failure,
    Flow,
    ProgressCallback,
    Send,
    Settings,
    Sleep,
    retrieve_flow,
    validate_wait_args,
    video_path,
    wait_flow,
)
from tokenops._logging import register_secret, setup_from_env
from tokenops._models import Video
from tokenops._version import __version__

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


class _BodyTooLarge(Exception):
    pass


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


def _per_call_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


def _check_size(response: httpx.Response, size: int, limit: int) -> None:
    if size > limit:
        raise _BodyTooLarge(f"response body exceeds {limit} bytes")


def _declared_size_ok(response: httpx.Response, limit: int) -> bool:
    """True when the response declares an unencoded length within ``limit`` (so reading it whole is safe).

    Raises:
        _BodyTooLarge: the declared length is over the limit (refused before reading a byte).
    """
    if "content-encoding" in response.headers:  # the decoded size may exceed the declared one
        return False
    declared = response.headers.get("content-length", "")
    if not declared.isdigit():
        return False
    if int(declared) > limit:
        raise _BodyTooLarge(f"response body exceeds {limit} bytes (Content-Length {declared})")
    return True


def _finish(response: httpx.Response, chunks: list[bytes]) -> httpx.Response:
    # httpx has no public way to attach a body read under a size limit; this is what Response.read() sets.
    response._content = b"".join(chunks)
    return response


class _Base:
    _settings: Settings
    _owns_http: bool
    _max_response_bytes: int

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
        self._settings = _settings(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, strict=strict, clock=clock
        )
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.Client(follow_redirects=False)
            _own_pool(http_client)
        self._http = http_client
        self._max_response_bytes = max_response_bytes
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
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    _check_size(response, size, self._max_response_bytes)
                    chunks.append(chunk)
            finally:
                response.close()
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, _BodyTooLarge) as exc:
            return Failure(_as_validation(exc), request)
        return _finish(response, chunks)

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
        self._settings = _settings(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, strict=strict, clock=clock
        )
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(follow_redirects=False)
            _own_pool(http_client)
        self._http = http_client
        self._max_response_bytes = max_response_bytes
        self.videos = AsyncVideos(self)

    async def _send(self, action: Send, semaphore: asyncio.Semaphore | None = None) -> httpx.Response | Failure:
        request: httpx.Request | None = None
        try:
            request = self._http.build_request("GET", action.url, headers=action.headers, timeout=action.timeout)
            if semaphore is not None:
                async with semaphore:
                    return await self._receive(request)
            return await self._receive(request)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, _BodyTooLarge) as exc:
            return Failure(_as_validation(exc), request)

    async def _receive(self, request: httpx.Request) -> httpx.Response:
        response = await self._http.send(request, stream=True)
        try:
            if _declared_size_ok(response, self._max_response_bytes):
                await response.aread()
                return response
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                _check_size(response, size, self._max_response_bytes)
                chunks.append(chunk)
        finally:
            await response.aclose()
        return _finish(response, chunks)

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


def _as_validation(exc: Exception) -> Exception:
    if isinstance(exc, _BodyTooLarge):
        from tokenops._errors import ResponseValidationError  # noqa: PLC0415 - only on this rare path

        return ResponseValidationError(str(exc))
    return exc


class Videos:
    """``client.videos``: the video-generation jobs."""

    def __init__(self, client: TokenOps) -> None:
        self._client = client

    def retrieve(
        self, video_id: str, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> Video:
        """Fetch a job's current state (``GET /v1/videos/{video_id}``).

        Args:
            video_id: the job id; any characters are safely percent-encoded.
            timeout: per-call override of the client's timeout.
            max_retries: per-call override of the client's retry budget.

        Returns:
            The job as a :class:`Video`.

        Raises:
            ValueError: ``video_id`` is empty or whitespace (no request is made).
            APIStatusError: a non-2xx answer (subclass by status code), after retries where they apply.
            APIConnectionError: no answer, after retries.
            ResponseValidationError: the body is not a JSON object (or, strict, violates the spec).
        """
        flow = retrieve_flow(
            self._client._settings, video_id, timeout=_per_call_timeout(timeout), max_retries=max_retries
        )
        video: Video = self._client._run(flow)[0]
        return video

    def wait(
        self,
        video_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_retries: int | None = None,
    ) -> Video:
        """Poll until the job completes.

        The interval is the server's hint (``openai-poll-after-ms`` or ``Retry-After`` on a 200), re-read on
        every response; else ``poll_interval``; else 1 s growing by 1.5x to 10 s, with jitter. No request
        and no sleep extends past the deadline; transient errors are polled through until it.

        Args:
            video_id: the job id.
            timeout: seconds until :class:`WaitTimeout`.
            poll_interval: fixed interval when the server gives no hint.
            on_progress: called with the video whenever its status or progress changes.
            max_retries: per-request retry budget override.

        Returns:
            The completed :class:`Video`.

        Raises:
            VideoGenerationFailed: the job ended in ``failed``.
            WaitTimeout: the deadline passed first (carries the last video seen).
            ValueError: invalid ``video_id``, ``timeout`` or ``poll_interval``.
            APIStatusError: a non-transient error such as 401 or 404.
        """
        flow = wait_flow(
            self._client._settings,
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            max_retries=max_retries,
        )
        video: Video = self._client._run(flow)
        return video


class AsyncVideos:
    """``aclient.videos``: the video-generation jobs, async."""

    def __init__(self, client: AsyncTokenOps) -> None:
        self._client = client

    async def retrieve(
        self, video_id: str, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> Video:
        """Async :meth:`Videos.retrieve`."""
        flow = retrieve_flow(
            self._client._settings, video_id, timeout=_per_call_timeout(timeout), max_retries=max_retries
        )
        result = await self._client._run(flow)
        video: Video = result[0]
        return video

    async def wait(
        self,
        video_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_retries: int | None = None,
    ) -> Video:
        """Async :meth:`Videos.wait`; cancelling the task stops it cleanly."""
        flow = wait_flow(
            self._client._settings,
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            max_retries=max_retries,
        )
        video: Video = await self._client._run(flow)
        return video

    @overload
    async def wait_many(
        self,
        video_ids: Iterable[str],
        *,
        timeout: float = ...,
        concurrency: int = ...,
        poll_interval: float | None = ...,
        on_progress: ProgressCallback | None = ...,
        return_exceptions: Literal[True] = ...,
    ) -> list[Video | TokenOpsError]: ...

    @overload
    async def wait_many(
        self,
        video_ids: Iterable[str],
        *,
        timeout: float = ...,
        concurrency: int = ...,
        poll_interval: float | None = ...,
        on_progress: ProgressCallback | None = ...,
        return_exceptions: Literal[False],
    ) -> list[Video]: ...

    async def wait_many(
        self,
        video_ids: Iterable[str],
        *,
        timeout: float = 600.0,
        concurrency: int = 100,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        return_exceptions: bool = True,
    ) -> Sequence[Video | TokenOpsError]:
        """Wait for many jobs on this client's one connection pool.

        All jobs are polled concurrently; at most ``concurrency`` requests are in flight at once. They
        share one deadline, ``timeout`` seconds from the call.

        Args:
            video_ids: the job ids; all are validated before any request.
            timeout: seconds for the whole batch.
            concurrency: maximum requests in flight.
            poll_interval: as for :meth:`wait`.
            on_progress: as for :meth:`wait`, for every job.
            return_exceptions: True (default): a job's error (:class:`VideoGenerationFailed`,
                :class:`WaitTimeout`, any :class:`TokenOpsError`) takes its place in the result list.
                False: the first error is raised and the other waits are cancelled.

        Returns:
            One entry per id, in input order.

        Raises:
            ValueError: an invalid id, ``timeout``, ``poll_interval`` or ``concurrency``.
            TokenOpsError: with ``return_exceptions=False``, the first job error.
        """
        ids = list(video_ids)
        for video_id in ids:
            video_path(video_id)
        validate_wait_args(timeout, poll_interval)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        semaphore = asyncio.Semaphore(concurrency)
        settings = self._client._settings

        async def one(video_id: str) -> Video:
            flow = wait_flow(settings, video_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress)
            video: Video = await self._client._run(flow, semaphore)
            return video

        tasks = [asyncio.ensure_future(one(video_id)) for video_id in ids]
        try:
            if not return_exceptions:
                return list(await asyncio.gather(*tasks))
            results: list[Video | TokenOpsError] = []
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, BaseException) and not isinstance(outcome, TokenOpsError):
                    raise outcome
                results.append(outcome)
            return results
        finally:
            for task in tasks:
                task.cancel()
