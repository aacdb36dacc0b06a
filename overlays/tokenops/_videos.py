"""``client.videos`` / ``aclient.videos``: retrieve a job, wait for one, wait for many."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, overload

import httpx

from tokenops._errors import TokenOpsError
from tokenops._flows import ProgressCallback, retrieve_flow, validate_wait_args, video_path, wait_flow
from tokenops._models import Video

if TYPE_CHECKING:
    from tokenops._client import AsyncTokenOps, TokenOps

__all__ = ["AsyncVideos", "Videos"]


def _per_call_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


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
