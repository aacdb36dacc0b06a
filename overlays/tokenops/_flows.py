"""What a call does, without doing any I/O: the sync and async clients share these generators.

A flow yields :class:`Send` (a request to make) and :class:`Sleep` (a pause) actions. The driver answers
a ``Send`` with a :class:`Received` (body read, or open when streamed) or a :class:`Failure`, and a ``Sleep``
with ``None``. The flow's return value is the call's result; its exceptions are the call's errors.

Two flows: :func:`request_flow` (one operation, retried where that is safe) and :func:`wait_flow` (poll a
job until it is terminal or the deadline passes).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Generator, Mapping
from typing import Any

import attrs
import httpx

from tokenops._config import Settings
from tokenops._errors import (
    APIConnectionError,
    APIStatusError,
    InvalidArgumentError,
    ResponseValidationError,
    TokenOpsError,
    VideoGenerationFailed,
    WaitTimeout,
)
from tokenops._logging import logger
from tokenops._models import Video, VideoStatus
from tokenops._response import connection_error, forget, status_error
from tokenops._retry import backoff_delay, is_retryable_status, poll_hint, retry_delay, server_delay

__all__ = [
    "Failure",
    "Received",
    "Send",
    "Sleep",
    "TokenOpsWarning",
    "request_flow",
    "validate_wait_args",
    "wait_flow",
]

DEFAULT_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 10.0
POLL_BACKOFF = 1.5
MIN_POLL_INTERVAL = 0.1  # floor for server hints: a tiny hint must not become a busy loop
FINAL_POLL_MARGIN = 0.5  # when the next poll would land past the deadline, poll once this long before it
# Errors raised before any byte reached the server: retrying them is safe even for a POST without a key.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TokenOpsWarning(UserWarning):
    """Something the tolerant client accepted but you should know about (strict mode raises instead)."""


@attrs.frozen
class Send:
    """One HTTP request to make. ``deadline`` (monotonic seconds) caps its timeout when the driver sends it."""

    method: str
    url: str
    headers: Mapping[str, str]
    timeout: httpx.Timeout
    params: Mapping[str, Any] | None = None
    body: Mapping[str, Any] = attrs.field(factory=dict)  # json= / data= / files= / content= for httpx
    deadline: float | None = None
    stream: bool = False  # hand a 2xx response back unread (downloads)
    idempotent: bool = True

    def timeout_at(self, now: float) -> httpx.Timeout | None:
        """The timeout for a request sent at ``now``: the time left before the deadline, None if none is left."""
        if self.deadline is None:
            return self.timeout
        remaining = self.deadline - now
        if remaining <= 0:
            return None
        timeout = self.timeout
        return httpx.Timeout(
            connect=_cap(timeout.connect, remaining),
            read=_cap(timeout.read, remaining),
            write=_cap(timeout.write, remaining),
            pool=_cap(timeout.pool, remaining),
        )


def _cap(value: float | None, remaining: float) -> float:
    return remaining if value is None else min(value, remaining)


@attrs.frozen
class Sleep:
    seconds: float


@attrs.frozen
class Received:
    """A response: body read (``response.content``), or still open when the request asked to stream a 2xx."""

    response: httpx.Response
    elapsed: float  # seconds from sending to the end of the body (headers, when streamed)


@attrs.frozen
class Failure:
    """The driver's answer when no usable response arrived."""

    error: Exception
    request: httpx.Request | None


Action = Send | Sleep
Flow = Generator[Action, Any, Any]
ProgressCallback = Callable[[Video], object]
RetryCallback = Callable[[TokenOpsError, float], object]


def request_flow(settings: Settings, send: Send, max_retries: int | None = None) -> Generator[Action, Any, Received]:
    """Send once, then retry what is safe to retry; never sleeps past ``send.deadline``.

    Safe: connection errors and timeouts, 408/409/429/5xx (``x-should-retry`` wins), for idempotent
    requests; for the others only errors raised before the request reached the server.
    """
    retries_allowed = settings.max_retries if max_retries is None else max_retries
    retries = 0
    while True:
        reply = yield send
        if logger.isEnabledFor(logging.DEBUG):
            outcome = type(reply.error).__name__ if isinstance(reply, Failure) else reply.response.status_code
            logger.debug("%s %s -> %s (attempt %d)", send.method, send.url, outcome, retries + 1)
        headers: httpx.Headers | None = None
        if isinstance(reply, Failure):
            error = connection_error(reply, send.method, send.url)
            retryable = isinstance(error, APIConnectionError) and (
                send.idempotent or isinstance(reply.error, _NOT_SENT)
            )
        else:
            status = reply.response.status_code
            if 200 <= status < 300:  # noqa: PLR2004
                received: Received = reply
                return received
            error = status_error(reply.response)
            headers = reply.response.headers
            retryable = send.idempotent and is_retryable_status(status, headers)
        if not retryable or retries >= retries_allowed:
            raise error
        delay = retry_delay(retries, headers, settings.clock.time(), settings.rng)
        if delay is None or (send.deadline is not None and settings.clock.monotonic() + delay >= send.deadline):
            raise error
        logger.info(
            "Retrying %s %s in %.2f s (%s, retry %d of %d)",
            send.method,
            send.url,
            delay,
            error,
            retries + 1,
            retries_allowed,
        )
        yield Sleep(delay)
        retries += 1


def is_transient(error: TokenOpsError) -> bool:
    """Errors worth polling through during a wait: no response, or a retryable status."""
    if isinstance(error, APIStatusError):
        return is_retryable_status(error.status_code, error.response.headers)
    return isinstance(error, APIConnectionError)


def validate_wait_args(timeout: Any, poll_interval: Any) -> None:
    """Raises InvalidArgumentError unless ``timeout`` is positive finite and ``poll_interval`` is that or None."""
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise InvalidArgumentError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if poll_interval is not None and (
        isinstance(poll_interval, bool)
        or not (isinstance(poll_interval, int | float) and math.isfinite(poll_interval) and poll_interval > 0)
    ):
        raise InvalidArgumentError(f"poll_interval must be a positive number of seconds or None, not {poll_interval!r}")


def _poll_delay(
    settings: Settings, response: httpx.Response, poll_interval: float | None, default_interval: float
) -> tuple[float, float]:
    """(seconds until the next poll, next default interval): server hint, else fixed, else jittered backoff."""
    hint = poll_hint(response.headers)
    if hint is not None:
        return max(hint, MIN_POLL_INTERVAL), default_interval
    if poll_interval is not None:
        return poll_interval, default_interval
    delay = default_interval * (1.0 - 0.2 * settings.rng.random())
    return delay, min(default_interval * POLL_BACKOFF, MAX_POLL_INTERVAL)


def _transient_delay(settings: Settings, exc: TokenOpsError, failures: int, deadline: float) -> float:
    """The pause before polling again after ``exc``; re-raises ``exc`` when it is not worth polling through.

    The server's positive ``Retry-After`` wins (raised at once when it ends past the deadline: waiting cannot
    help, and the caller should hear "rate limited", not "timeout"); else a backoff by the number of failures.
    """
    if not is_transient(exc):
        raise exc
    headers = exc.response.headers if isinstance(exc, APIStatusError) else None
    requested = server_delay(headers, settings.clock.time())
    if requested is None:
        return backoff_delay(failures, settings.rng)
    if settings.clock.monotonic() + requested >= deadline:
        raise exc
    return requested


def _check_id(settings: Settings, video: Video, video_id: str, response: httpx.Response) -> bool:
    """False (after a warning) or ResponseValidationError (strict) when the server answered for another id."""
    if not isinstance(video.id, str) or video.id == video_id:
        return True
    message = f"asked for video {video_id!r} but the response is for {video.id!r}"
    if settings.strict:
        raise ResponseValidationError(message, field="id", value=video.id, response=response)
    warnings.warn(message, TokenOpsWarning, stacklevel=2)
    return False


def _pause_before(remaining: float, delay: float) -> float | None:
    """The pause before the next poll with ``remaining`` seconds left, or None when it is time to give up.

    When the next regular poll would be past the deadline, poll once more just before it, then give up.
    """
    if delay < remaining:
        return delay
    if remaining <= FINAL_POLL_MARGIN:
        return None
    return remaining - FINAL_POLL_MARGIN


def wait_flow(
    settings: Settings,
    retrieve: Callable[[float], Generator[Action, Any, tuple[Video, httpx.Response]]],
    video_id: str,
    *,
    timeout: float,
    poll_interval: float | None = None,
    on_progress: ProgressCallback | None = None,
    on_retry: RetryCallback | None = None,
) -> Generator[Action, Any, Video]:
    """Poll ``retrieve(deadline)`` until the job is terminal or the deadline passes (see ``Videos.wait``).

    A transient error is polled through after the server's ``Retry-After`` (when positive) or a backoff; when
    the server asks for a pause that ends past the deadline, its error is raised at once.
    """
    clock = settings.clock
    deadline = clock.monotonic() + timeout
    last: Video | None = None
    seen: tuple[str, object] | None = None
    default_interval = DEFAULT_POLL_INTERVAL
    transient_failures = 0
    last_error: TokenOpsError | None = None  # the error of the latest poll, which this pause is a retry after
    id_checked = False
    while True:
        try:
            video, response = yield from retrieve(deadline)
        except TokenOpsError as exc:
            delay = _transient_delay(settings, exc, transient_failures, deadline)
            transient_failures += 1
            last_error = exc  # at or past the deadline, _pause_before below ends the wait
        else:
            transient_failures, last_error = 0, None
            if not id_checked:
                id_checked = not _check_id(settings, video, video_id, response)
            last = video
            if (video.status_text, video.progress) != seen:
                seen = (video.status_text, video.progress)
                if on_progress is not None:
                    on_progress(video)
            if video.status is VideoStatus.COMPLETED:
                return video
            if video.status is VideoStatus.FAILED:
                raise VideoGenerationFailed(video)
            # A running state keeps no response once on_progress has seen it: wait_many over 10,000 jobs would
            # otherwise hold 10,000 responses (25 MB); the final result keeps its own (response_info).
            forget(video)
            delay, default_interval = _poll_delay(settings, response, poll_interval, default_interval)
        pause = _pause_before(deadline - clock.monotonic(), delay)
        if pause is None:
            raise WaitTimeout(video_id, timeout, last, last_error) from last_error
        delay = pause
        if last_error is not None:  # announced once the pause is known: what a progress line shows is what happens
            logger.info("wait(%s): transient error, polling again in %.2f s: %s", video_id, delay, last_error)
            if on_retry is not None:
                on_retry(last_error, delay)
        yield Sleep(delay)
