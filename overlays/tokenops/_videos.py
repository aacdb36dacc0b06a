"""``client.videos`` / ``aclient.videos``: retrieve a job, wait for one, wait for many, list them.

The resource layer: it names its operation (``getVideoStatus``) and adds ergonomics. A method validates its
arguments and builds its request once (``_request.prepare``), then hands it to the client's requester, the one
request path; a wait polls that same request through ``_flows.wait_flow``, reading the job through
:class:`VideoJob`.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, overload

import attrs
import httpx

from tokenops import operations
from tokenops._config import NO_OPTIONS, CallOptions, Settings, call_options
from tokenops._errors import (
    ConfigurationError,
    InvalidArgumentError,
    ResponseValidationError,
    TokenOpsError,
    TokenOpsWarning,
    VideoGenerationFailed,
    WaitTimeout,
)
from tokenops._flows import Action, Failure, Received, RetryCallback, Send, validate_wait_args, wait_flow
from tokenops._models import Video, VideoStatus, drop_response
from tokenops._pagination import AsyncPage, AsyncPaginator, Page, Walk, as_declared, pagination_for
from tokenops._request import (
    AsyncRequester,
    Requester,
    async_to_raw_response_wrapper,
    call_flow,
    prepare,
    to_raw_response_wrapper,
)
from tokenops._scheduler import FlowScheduler
from tokenops_client.api.default import get_video_status

__all__ = ["AsyncVideos", "AsyncVideosWithRawResponse", "VideoJob", "Videos", "VideosWithRawResponse"]

DEFAULT_WAIT_TIMEOUT = 600.0
DEFAULT_CONCURRENCY = 100
HARD_STOP_GRACE = 0.5  # seconds past wait_many's timeout after which unfinished waits are cut short
# Imported by name (not looked up by a string) so that the drift tools flag a renamed operation here.
RETRIEVE = get_video_status.ENDPOINT
LIST = "listVideos"  # looked up when called: a client generated from a spec without it has no list
ProgressCallback = Callable[[Video], object]


class VideoJob:
    """A video being waited for, as :func:`tokenops._flows.wait_flow` reads it (a ``Job[Video]``).

    Every poll re-sends the one request built (and validated) for the wait, with the wait's deadline.
    """

    def __init__(self, settings: Settings, send: Send, video_id: str) -> None:
        self.name = video_id
        self._settings = settings
        self._send = send
        self._warned = False

    def poll(self, deadline: float) -> Generator[Action, Any, tuple[Video, httpx.Response]]:
        """GET the job once; warns (strict: raises) once if the server answers for another id."""
        send = self._send
        if send.deadline != deadline:  # a wait has one deadline: the request is made for it once, not per poll
            send = self._send = attrs.evolve(send, deadline=deadline)
        video, info = yield from call_flow(self._settings, RETRIEVE, send, Video)
        if not self._warned and isinstance(video.id, str) and video.id != self.name:
            message = f"asked for video {self.name!r} but the response is for {video.id!r}"
            if self._settings.strict:
                raise ResponseValidationError(message, field="id", value=video.id, response=info.http_response)
            warnings.warn(message, TokenOpsWarning, stacklevel=2)
            self._warned = True
        return video, info.http_response

    def state(self, video: Video) -> object:
        return video.status_text, video.progress

    def finished(self, video: Video) -> bool:
        if video.status is VideoStatus.FAILED:
            raise VideoGenerationFailed(video)
        return video.status is VideoStatus.COMPLETED

    def release(self, video: Video) -> None:
        drop_response(video)

    def timed_out(self, last: Video | None, timeout: float, error: TokenOpsError | None) -> WaitTimeout:
        return WaitTimeout(self.name, timeout, last, error)


def _job(settings: Settings, video_id: str, options: CallOptions) -> VideoJob:
    # Polling through transient errors is the wait's retry: each poll is one attempt unless max_retries says.
    options = attrs.evolve(options, max_retries=0 if options.max_retries is None else options.max_retries)
    return VideoJob(settings, prepare(settings, RETRIEVE, {"video_id": video_id}, options), video_id)


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
    """Validates everything now (not when the flow starts), then the flow of one wait."""
    validate_wait_args(timeout, poll_interval)
    job = _job(settings, video_id, options)
    return wait_flow(
        settings, job, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress, on_retry=on_retry
    )


def _list_walk(
    settings: Settings, given: Mapping[str, Any], options: CallOptions, timeout: float | httpx.Timeout | None
) -> Walk:
    """The walk of ``listVideos`` with the keywords given (None: not sent).

    Raises:
        ConfigurationError: the client was generated from a spec without ``listVideos`` as a list operation.
        InvalidArgumentError: an invalid value (nothing is sent).
    """
    try:
        endpoint = operations.find(LIST)
    except KeyError:
        endpoint = None
    pagination = pagination_for(endpoint) if endpoint is not None else None
    if endpoint is None or pagination is None:
        raise ConfigurationError(
            f"this client's spec has no {LIST} list operation (GET /v1/videos): sync the vendor's page into "
            "openapi.yaml and regenerate (python scripts/spec_sync.py ...; python scripts/regenerate.py)"
        )
    arguments = {}
    for name, value in given.items():
        if value is not None:
            if name not in endpoint.query_parameters:
                raise InvalidArgumentError(f"{LIST} in this client's spec takes no {name!r}")
            arguments[endpoint.query_parameters[name]] = value
    return Walk(settings, endpoint, as_declared(endpoint, arguments), options, pagination, timeout=timeout)


class Videos:
    """``client.videos``: the video-generation jobs."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def with_raw_response(self) -> VideosWithRawResponse:
        """``retrieve`` returning a :class:`RawResponse` (status, headers, request id, elapsed, ``parse()``)."""
        return VideosWithRawResponse(Videos(self._requester.raw))

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
        options = call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query
        )
        send = prepare(self._requester.settings, RETRIEVE, {"video_id": video_id}, options)
        return self._requester.call(RETRIEVE, send, Video)

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
        options = call_options(max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query)
        flow = _wait_flow(
            self._requester.settings,
            video_id,
            options,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
        )
        video: Video = self._requester.run(flow)
        return video

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> Page[Video]:
        """List the jobs (operation ``listVideos``): the first page; iterate it for every job of every page.

        Args:
            after: start after this job id (a cursor from an earlier page).
            limit: jobs per page (the spec's default otherwise).
            order: ``"desc"`` (newest first) or ``"asc"``.
            timeout: seconds for the whole walk (no page is requested past it; each request gets the time left),
                or an :class:`httpx.Timeout` per request.
            max_retries / extra_headers / extra_query: as for :meth:`retrieve`, for every page.

        Returns:
            A :class:`Page` of :class:`Video`: ``for video in page`` walks every page; ``page.items``,
            ``page.has_next_page()``, ``page.next_page()``, ``page.iter_pages()``.

        Raises:
            ConfigurationError: the client's spec has no ``listVideos``.
            InvalidArgumentError: an invalid value or option (nothing is sent).
            PaginationError: the server would lead the walk in circles (raised while iterating).
            APIError: see the error tree.
        """
        options = call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query
        )
        walk = _list_walk(self._requester.settings, {"after": after, "limit": limit, "order": order}, options, timeout)
        return Page.first(self._requester, walk)


class VideosWithRawResponse:
    """``client.videos.with_raw_response``: each method returns a :class:`RawResponse` (``.parse()`` is its result)."""

    def __init__(self, videos: Videos) -> None:
        self.retrieve = to_raw_response_wrapper(videos.retrieve)


class AsyncVideos:
    """``aclient.videos``: the video-generation jobs, async."""

    def __init__(self, requester: AsyncRequester) -> None:
        self._requester = requester

    @cached_property
    def with_raw_response(self) -> AsyncVideosWithRawResponse:
        """``retrieve`` returning a :class:`RawResponse`."""
        return AsyncVideosWithRawResponse(AsyncVideos(self._requester.raw))

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
        options = call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query
        )
        send = prepare(self._requester.settings, RETRIEVE, {"video_id": video_id}, options)
        return await self._requester.call(RETRIEVE, send, Video)

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
        options = call_options(max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query)
        flow = _wait_flow(
            self._requester.settings,
            video_id,
            options,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            on_retry=on_retry,
        )
        video: Video = await self._requester.run(flow)
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

        Each job is polled as :meth:`wait` polls it (the server's hint, else ``poll_interval``, else backoff;
        transient errors polled through), by a scheduler: ``concurrency`` workers, one per connection, take the
        job whose next poll is due soonest; a job between polls costs no task. They share one deadline,
        ``timeout`` seconds from the call: a poll that waited for a worker is sent only if time is left, with the
        time left as its timeout, and the call returns by then even if the server stops answering. When
        ``concurrency`` exceeds the client's own pool (``max_connections``), a pool of that size is opened for
        this call and closed after it, even when the call is cancelled (an ``http_client`` you passed in is used
        as it is: size its limits yourself). For thousands of jobs, see the waiting guide (transport, concurrency).

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
        settings = self._requester.settings
        jobs = [_job(settings, video_id, NO_OPTIONS) for video_id in ids]
        validate_wait_args(timeout, poll_interval)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidArgumentError(f"concurrency must be an integer >= 1, not {concurrency!r}")
        last_seen: dict[int, Video] = {}

        def progress(index: int) -> ProgressCallback:
            def seen(video: Video) -> None:
                last_seen[index] = video
                if on_progress is not None:
                    on_progress(video)

            return seen

        flows = [
            wait_flow(settings, job, timeout=timeout, poll_interval=poll_interval, on_progress=progress(index))
            for index, job in enumerate(jobs)
        ]
        async with self._requester.pool(min(concurrency, max(len(flows), 1))) as http:

            def send(action: Send) -> Awaitable[Received | Failure]:
                return self._requester.send(action, http)

            scheduler = FlowScheduler(settings.clock, send, flows, concurrency)
            await scheduler.run(timeout + HARD_STOP_GRACE, stop_on_error=not return_exceptions)
        if not return_exceptions and scheduler.first_error is not None:
            raise scheduler.first_error
        results: list[Video | TokenOpsError] = []
        for index, video_id in enumerate(ids):
            outcome = scheduler.outcomes[index]
            if not scheduler.ended[index]:
                outcome = WaitTimeout(video_id, timeout, last_seen.get(index))
                if not return_exceptions:
                    raise outcome
            results.append(outcome)
        return results

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
    ) -> AsyncPaginator[Video]:
        """Async :meth:`Videos.list`: ``async for video in aclient.videos.list()``, or ``await`` it for the first
        :class:`AsyncPage`. The arguments are checked at once; the first request is made when it is used."""
        options = call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers, extra_query=extra_query
        )
        walk = _list_walk(self._requester.settings, {"after": after, "limit": limit, "order": order}, options, timeout)
        requester = self._requester

        async def first() -> AsyncPage[Video]:
            return await AsyncPage.first(requester, walk)

        return AsyncPaginator(first)


class AsyncVideosWithRawResponse:
    """``aclient.videos.with_raw_response``."""

    def __init__(self, videos: AsyncVideos) -> None:
        self.retrieve = async_to_raw_response_wrapper(videos.retrieve)
