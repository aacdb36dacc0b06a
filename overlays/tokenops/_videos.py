"""``client.videos`` / ``aclient.videos``: retrieve a job, wait for one, wait for many.

The resource layer: it names its operations (by operationId) and adds ergonomics; every request goes
through the one request path (``_request.operation_flow``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import attrs
import httpx

from tokenops._config import NO_OPTIONS, CallOptions, Settings, call_options
from tokenops._errors import InvalidArgumentError, ResponseValidationError, TokenOpsError, WaitTimeout
from tokenops._flows import Action, ProgressCallback, RetryCallback, validate_wait_args, wait_flow
from tokenops._models import Video
from tokenops._request import operation_flow, prepare
from tokenops._response import RawResponse, ResponseInfo
from tokenops_client.api.default import get_video_status
from tokenops_client.types import Endpoint

if TYPE_CHECKING:
    from tokenops._client import AsyncTokenOps, TokenOps

__all__ = ["AsyncVideos", "Videos"]

DEFAULT_WAIT_TIMEOUT = 600.0
DEFAULT_CONCURRENCY = 100
HARD_STOP_GRACE = 0.5  # seconds past wait_many's timeout after which unfinished waits are cut short


def _retrieve_endpoint() -> Endpoint:
    # Imported by name (not looked up by a string) so that the drift tools flag a renamed operation here.
    return get_video_status.ENDPOINT


def _check_id(settings: Settings, video_id: Any) -> None:
    if not isinstance(video_id, str):
        raise InvalidArgumentError(f"video_id must be a string, not {type(video_id).__name__}")
    prepare(settings, _retrieve_endpoint(), {"video_id": video_id}, NO_OPTIONS)


def retrieve_flow(
    settings: Settings, video_id: str, options: CallOptions, deadline: float | None = None
) -> Generator[Action, Any, tuple[Video, ResponseInfo]]:
    """GET one video through the request path; the result is always a :class:`Video`."""
    if not isinstance(video_id, str):
        raise InvalidArgumentError(f"video_id must be a string, not {type(video_id).__name__}")
    video, info = yield from operation_flow(
        settings, _retrieve_endpoint(), {"video_id": video_id}, options, deadline=deadline
    )
    if not isinstance(video, Video):  # the spec documents a JSON object; parse_model gives a Video for it
        raise ResponseValidationError("the response is not a video", value=video, response=info.http_response)
    return video, info


def _wait_flow(
    settings: Settings,
    video_id: str,
    options: CallOptions,
    *,
    timeout: float,
    poll_interval: float | None,
    on_progress: ProgressCallback | None,
    on_retry: RetryCallback | None,
) -> Generator[Action, Any, Video]:
    validate_wait_args(timeout, poll_interval)
    _check_id(settings, video_id)
    # Polling through transient errors is the wait's retry: each poll is one attempt unless max_retries says.
    poll_options = attrs.evolve(options, max_retries=0 if options.max_retries is None else options.max_retries)

    def poll(deadline: float) -> Generator[Action, Any, tuple[Video, httpx.Response]]:
        video, info = yield from retrieve_flow(settings, video_id, poll_options, deadline)
        return video, info.http_response

    return (
        yield from wait_flow(
            settings,
            poll,
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
        )
    )


def _collect(
    ids: list[str],
    tasks: Sequence[asyncio.Future[Video]],
    last_seen: dict[int, Video],
    timeout: float,
    return_exceptions: bool,
) -> list[Video | TokenOpsError]:
    """wait_many's results in input order; a wait still running is a WaitTimeout with the last state seen.

    Raises:
        TokenOpsError: with ``return_exceptions=False``, the first error (one that happened before a timeout).
    """
    failed = next((task for task in tasks if task.done() and task.exception() is not None), None)
    if failed is not None and not return_exceptions:
        raise failed.exception()  # type: ignore[misc]  # checked just above: not None
    results: list[Video | TokenOpsError] = []
    for index, (video_id, task) in enumerate(zip(ids, tasks, strict=True)):
        outcome: Video | BaseException
        if not task.done():
            outcome = WaitTimeout(video_id, timeout, last_seen.get(index))
        else:
            outcome = task.exception() or task.result()
        if isinstance(outcome, BaseException) and not isinstance(outcome, TokenOpsError):
            raise outcome
        if isinstance(outcome, TokenOpsError) and not return_exceptions:
            raise outcome
        results.append(outcome)
    return results


class _VideosBase:
    def __init__(self, client: Any, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def _retrieve(
        self,
        video_id: str,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
    ) -> Generator[Action, Any, tuple[Video, ResponseInfo]]:
        options = call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query
        )
        return retrieve_flow(self._client._settings, video_id, options)

    def _wait(
        self,
        video_id: str,
        *,
        timeout: float,
        poll_interval: float | None,
        on_progress: ProgressCallback | None,
        on_retry: RetryCallback | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, str] | None,
    ) -> Generator[Action, Any, Video]:
        options = call_options(max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query)
        settings = self._client._settings
        return _wait_flow(
            settings,
            video_id,
            options,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
        )


class Videos(_VideosBase):
    """``client.videos``: the video-generation jobs."""

    def __init__(self, client: TokenOps, *, raw: bool = False) -> None:
        super().__init__(client, raw=raw)

    @property
    def with_raw_response(self) -> VideosWithRawResponse:
        """``retrieve`` returning a :class:`RawResponse` (status, headers, request id, elapsed, ``parse()``)."""
        return VideosWithRawResponse(self._client)

    def retrieve(
        self,
        video_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> Video:
        """Fetch a job's current state (operation ``getVideoStatus``).

        Args:
            video_id: the job id; any characters are safely percent-encoded.
            timeout: per-call override of the client's timeout.
            max_retries: per-call override of the client's retry budget.
            extra_headers / extra_query: sent with this call only (over the client's defaults).

        Returns:
            The job as a :class:`Video`; ``tokenops.response_info(video)`` has its status, headers, request id.

        Raises:
            InvalidArgumentError: ``video_id`` or an option is invalid (no request is made).
            APIStatusError: a non-2xx answer (subclass by status code), after retries where they apply.
            APIConnectionError: no answer, after retries.
            ResponseValidationError: the body is not a JSON object (or, strict, violates the spec).
        """
        video: Video = self._client._run(self._retrieve(video_id, timeout, max_retries, extra_headers, extra_query))[0]
        return video

    def wait(
        self,
        video_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> Video:
        """Poll until the job completes.

        The interval is the server's hint (``openai-poll-after-ms`` or ``Retry-After`` on a 200), re-read on
        every response; else ``poll_interval``; else 1 s growing by 1.5x to 10 s, with jitter. Transient
        errors (no response, 408/409/429/5xx) are polled through after the server's ``Retry-After`` (when
        positive) or a backoff. No request and no sleep extends past the deadline; each request's timeout is
        the time left.

        Args:
            video_id: the job id.
            timeout: seconds until :class:`WaitTimeout`.
            poll_interval: fixed interval when the server gives no hint.
            on_progress: called with the video whenever its status or progress changes.
            on_retry: called with the error and the pause before the next poll when a poll fails transiently.
            max_retries: retries inside each poll (default 0: the next poll is the retry).
            extra_headers / extra_query: sent with every poll.

        Returns:
            The completed :class:`Video`.

        Raises:
            VideoGenerationFailed: the job ended in ``failed``.
            WaitTimeout: the deadline passed first (carries the last video seen and the last error).
            RateLimitError: the server asked (``Retry-After``) for a pause that ends past the deadline.
            InvalidArgumentError: invalid ``video_id``, ``timeout``, ``poll_interval`` or option.
            APIStatusError: a non-transient error such as 401 or 404.
            ResponseValidationError: strict, and the server answered for another id.
        """
        flow = self._wait(
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )
        video: Video = self._client._run(flow)
        return video


class VideosWithRawResponse(_VideosBase):
    """``client.videos.with_raw_response``."""

    def retrieve(
        self,
        video_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> RawResponse[Video]:
        """:meth:`Videos.retrieve`, returning the :class:`RawResponse` (``.parse()`` is the video)."""
        video, info = self._client._run(self._retrieve(video_id, timeout, max_retries, extra_headers, extra_query))
        return RawResponse(info.http_response, info.elapsed, video)


class AsyncVideos(_VideosBase):
    """``aclient.videos``: the video-generation jobs, async."""

    def __init__(self, client: AsyncTokenOps, *, raw: bool = False) -> None:
        super().__init__(client, raw=raw)

    @property
    def with_raw_response(self) -> AsyncVideosWithRawResponse:
        """``retrieve`` returning a :class:`RawResponse`."""
        return AsyncVideosWithRawResponse(self._client)

    async def retrieve(
        self,
        video_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> Video:
        """Async :meth:`Videos.retrieve`."""
        flow = self._retrieve(video_id, timeout, max_retries, extra_headers, extra_query)
        video: Video = (await self._client._run(flow))[0]
        return video

    async def wait(
        self,
        video_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        on_retry: RetryCallback | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> Video:
        """Async :meth:`Videos.wait`; cancelling the task stops it cleanly."""
        flow = self._wait(
            video_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
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
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_interval: float | None = None,
        on_progress: ProgressCallback | None = None,
        return_exceptions: bool = True,
    ) -> Sequence[Video | TokenOpsError]:
        """Wait for many jobs with at most ``concurrency`` requests in flight, all kept on open connections.

        They share one deadline, ``timeout`` seconds from the call: a poll queued for a free slot is sent
        only if time is left, with the time left as its timeout. When ``concurrency`` exceeds the client's
        own pool (``max_connections``), pools of that total size are opened for this call and closed after it (an
        ``http_client`` you passed in is used as it is: size its limits yourself). Above 8 in flight the
        slots are split over pools of 2 connections (httpcore's bookkeeping grows with the square of a
        pool's connections); the slot released last is reused first, so warm connections carry a light load.

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
            InvalidArgumentError: an invalid id, ``timeout``, ``poll_interval`` or ``concurrency``.
            TokenOpsError: with ``return_exceptions=False``, the first job error.
        """
        ids = list(video_ids)
        settings = self._client._settings
        for video_id in ids:
            _check_id(settings, video_id)
        validate_wait_args(timeout, poll_interval)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidArgumentError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        shares = self._client._pools_for(concurrency)
        slots: asyncio.LifoQueue[httpx.AsyncClient | None] = asyncio.LifoQueue()
        for pool, size in shares:
            for _ in range(size):
                slots.put_nowait(pool)

        last_seen: dict[int, Video] = {}

        async def one(index: int, video_id: str) -> Video:
            def progress(video: Video) -> None:
                last_seen[index] = video
                if on_progress is not None:
                    on_progress(video)

            flow = _wait_flow(
                settings,
                video_id,
                NO_OPTIONS,
                timeout=timeout,
                poll_interval=poll_interval,
                on_progress=progress,
                on_retry=None,
            )
            video: Video = await self._client._run(flow, slots)
            return video

        tasks = [asyncio.ensure_future(one(index, video_id)) for index, video_id in enumerate(ids)]
        try:
            # Each wait ends at its deadline by itself; this is the net for a loop too busy to run them on time.
            first = asyncio.ALL_COMPLETED if return_exceptions else asyncio.FIRST_EXCEPTION
            await asyncio.wait(tasks, timeout=timeout + HARD_STOP_GRACE, return_when=first) if tasks else None
            return _collect(ids, tasks, last_seen, timeout, return_exceptions)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # let cancelled requests give their slots back
            for pool, _ in shares:
                if pool is not None:
                    await pool.aclose()


class AsyncVideosWithRawResponse(_VideosBase):
    """``aclient.videos.with_raw_response``."""

    async def retrieve(
        self,
        video_id: str,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> RawResponse[Video]:
        """Async :meth:`VideosWithRawResponse.retrieve`."""
        flow = self._retrieve(video_id, timeout, max_retries, extra_headers, extra_query)
        video, info = await self._client._run(flow)
        return RawResponse(info.http_response, info.elapsed, video)
