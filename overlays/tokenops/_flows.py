"""What a call does, without doing any I/O: the sync and async clients share these generators.

A flow yields :class:`Send` (a request to make) and :class:`Sleep` (a pause) actions. The driver answers
a ``Send`` with a :class:`Received` (body read, or open when streamed) or a :class:`Failure`, and a ``Sleep``
with ``None``. The flow's return value is the call's result; its exceptions are the call's errors.

Two flows: :func:`request_flow` (one request, retried where that is safe) and :func:`wait_flow` (poll a
job until it is terminal or the deadline passes). Neither knows a resource: a wait reads the job it polls
through a :class:`Job` that the resource gives it (``client.videos``: ``tokenops._videos.VideoJob``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator, Mapping
from typing import Any, Protocol, TypeVar

import attrs
import httpx

from tokenops._config import Settings
from tokenops._errors import (
    APIConnectionError,
    APIStatusError,
    InvalidArgumentError,
    TokenOpsError,
    connection_error,
    status_error,
)
from tokenops._logging import logger
from tokenops._retry import backoff_delay, is_retryable_status, poll_hint, retry_delay, server_delay

__all__ = [
    "Action",
    "Failure",
    "Flow",
    "Job",
    "Received",
    "RetryCallback",
    "Send",
    "Sleep",
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


@attrs.frozen
class Send:
    """One HTTP request to make, and its retry budget. ``deadline`` (monotonic seconds) caps its timeout when the
    driver sends it. ``headers``, ``timeout`` and ``max_retries`` are ``None`` when the call uses the client's."""

    method: str
    url: str
    headers: Mapping[str, str] | None = None  # the complete headers when the call has its own
    timeout: httpx.Timeout | None = None
    params: Mapping[str, Any] | None = None
    body: Mapping[str, Any] = attrs.field(factory=dict)  # json= / data= / files= / content= for httpx
    deadline: float | None = None
    stream: bool = False  # hand a 2xx response back unread (downloads, event streams)
    events: bool = False  # the open response is a server-sent event stream (tokenops._streaming)
    idempotent: bool = True
    max_retries: int | None = None

    def timeout_at(self, now: float, default: httpx.Timeout) -> httpx.Timeout | None:
        """The timeout for a request sent at ``now`` (``default``: the client's): the time left before the
        deadline, None if none is left."""
        timeout = self.timeout or default
        if self.deadline is None:
            return timeout
        remaining = self.deadline - now
        if remaining <= 0:
            return None
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
RetryCallback = Callable[[TokenOpsError, float], object]
J = TypeVar("J")


def request_flow(settings: Settings, send: Send) -> Generator[Action, Any, Received]:
    """Send once, then retry what is safe to retry (``send.max_retries`` times, else the client's); never sleeps
    past ``send.deadline``.

    Safe: connection errors and timeouts, 408/409/429/5xx (``x-should-retry`` wins), for idempotent
    requests; for the others only errors raised before the request reached the server.
    """
    retries_allowed = settings.max_retries if send.max_retries is None else send.max_retries
    retries = 0
    while True:
        reply = yield send
        if logger.isEnabledFor(logging.DEBUG):
            outcome = type(reply.error).__name__ if isinstance(reply, Failure) else reply.response.status_code
            logger.debug("%s %s -> %s (attempt %d)", send.method, send.url, outcome, retries + 1)
        headers: httpx.Headers | None = None
        if isinstance(reply, Failure):
            error = connection_error(reply.error, reply.request, send.method, send.url)
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


def _pause_before(remaining: float, delay: float) -> float | None:
    """The pause before the next poll with ``remaining`` seconds left, or None when it is time to give up.

    When the next regular poll would be past the deadline, poll once more just before it, then give up.
    """
    if delay < remaining:
        return delay
    if remaining <= FINAL_POLL_MARGIN:
        return None
    return remaining - FINAL_POLL_MARGIN


class Job(Protocol[J]):
    """What :func:`wait_flow` needs of the job it polls; the resource that waits provides it."""

    name: str  # how log lines and errors name the job (its id)

    def poll(self, deadline: float) -> Generator[Action, Any, tuple[J, httpx.Response]]:
        """Fetch the job's state once, sending nothing past ``deadline``."""
        ...

    def state(self, job: J) -> object:
        """What ``on_progress`` reports a change of (status and progress)."""
        ...

    def finished(self, job: J) -> bool:
        """True when the job is done; raises the resource's error when it ended in failure."""
        ...

    def release(self, job: J) -> None:
        """A running state, once reported, lets go of what it need not keep (its response)."""
        ...

    def timed_out(self, last: J | None, timeout: float, error: TokenOpsError | None) -> TokenOpsError:
        """The error for a wait whose deadline passed (``last``: the last state seen; ``error``: the last error)."""
        ...


def wait_flow(
    settings: Settings,
    job: Job[J],
    *,
    timeout: float,
    poll_interval: float | None = None,
    on_progress: Callable[[J], object] | None = None,
    on_retry: RetryCallback | None = None,
) -> Generator[Action, Any, J]:
    """Poll ``job`` until it is finished or the deadline passes (see ``Videos.wait``).

    A transient error is polled through after the server's ``Retry-After`` (when positive) or a backoff; when
    the server asks for a pause that ends past the deadline, its error is raised at once.
    """
    clock = settings.clock
    deadline = clock.monotonic() + timeout
    last: J | None = None
    seen: object = None
    default_interval = DEFAULT_POLL_INTERVAL
    transient_failures = 0
    last_error: TokenOpsError | None = None  # the error of the latest poll, which this pause is a retry after
    while True:
        try:
            state, response = yield from job.poll(deadline)
        except TokenOpsError as exc:
            delay = _transient_delay(settings, exc, transient_failures, deadline)
            transient_failures += 1
            last_error = exc  # at or past the deadline, _pause_before below ends the wait
        else:
            transient_failures, last_error = 0, None
            last = state
            if (current := job.state(state)) != seen:
                seen = current
                if on_progress is not None:
                    on_progress(state)
            if job.finished(state):
                return state
            # A running state keeps no response once on_progress has seen it: wait_many over 10,000 jobs would
            # otherwise hold 10,000 responses (25 MB); the final result keeps its own (response_info).
            job.release(state)
            delay, default_interval = _poll_delay(settings, response, poll_interval, default_interval)
        pause = _pause_before(deadline - clock.monotonic(), delay)
        if pause is None:
            raise job.timed_out(last, timeout, last_error) from last_error
        delay = pause
        if last_error is not None:  # announced once the pause is known: what a progress line shows is what happens
            logger.info("wait(%s): transient error, polling again in %.2f s: %s", job.name, delay, last_error)
            if on_retry is not None:
                on_retry(last_error, delay)
        yield Sleep(delay)
