"""What a call does, without doing any I/O: the sync and async clients share these generators.

A flow yields :class:`Send` (a request to make) and :class:`Sleep` (a pause) actions. The driver answers
a ``Send`` with the :class:`httpx.Response` (body already read) or a :class:`Failure`, and a ``Sleep``
with ``None``. The flow's return value is the call's result; its exceptions are the call's errors.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import random
from collections.abc import Callable, Generator
from typing import Any

import attrs
import httpx

from tokenops._clock import Clock
from tokenops._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseValidationError,
    TokenOpsError,
    VideoGenerationFailed,
    WaitTimeout,
    status_error_class,
)
from tokenops._logging import logger
from tokenops._models import Video, VideoStatus, parse_video
from tokenops._retry import is_retryable_status, poll_hint, retry_delay
from tokenops.redaction import Secret, redact, redact_json
from tokenops_client.api.default import get_video_status

__all__ = ["Failure", "Send", "Settings", "Sleep", "retrieve_flow", "video_path", "wait_flow"]

DEFAULT_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 10.0
POLL_BACKOFF = 1.5
MIN_POLL_INTERVAL = 0.1  # floor for server hints: a hint of 0 must not become a busy loop
FINAL_POLL_MARGIN = 0.5  # when the next poll would land past the deadline, poll once this long before it


@attrs.frozen
class Send:
    url: str
    headers: dict[str, str]
    timeout: httpx.Timeout


@attrs.frozen
class Sleep:
    seconds: float


@attrs.frozen
class Failure:
    """The driver's answer when no usable response arrived."""

    error: Exception
    request: httpx.Request | None


Action = Send | Sleep
Flow = Generator[Action, Any, Any]
ProgressCallback = Callable[[Video], object]


@attrs.frozen
class Settings:
    """Per-client configuration the flows read."""

    base_url: str
    secret: Secret = attrs.field(repr=False)
    timeout: httpx.Timeout
    max_retries: int
    strict: bool
    clock: Clock
    user_agent: str
    rng: random.Random = attrs.field(factory=random.Random, repr=False, eq=False)
    headers: dict[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        # Built once per client: the same mapping is passed to every request (httpx copies, never mutates it).
        headers = {
            "Authorization": f"Bearer {self.secret.value}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        object.__setattr__(self, "headers", headers)


@functools.lru_cache(maxsize=4096)  # polling asks for the same few ids again and again
def video_path(video_id: str) -> str:
    """The request path for ``video_id``, percent-encoded so it can never reach another route.

    Raises:
        ValueError: ``video_id`` is not a string, or is empty or whitespace.
    """
    if not isinstance(video_id, str):
        raise TypeError(f"video_id must be a string, not {type(video_id).__name__}")
    if not video_id.strip():
        raise ValueError("video_id must be a non-empty string")
    url: str = get_video_status._get_kwargs(video_id)["url"]  # the spec's path template and encoding
    prefix, _, segment = url.rpartition("/")
    if segment in (".", ".."):  # quote() leaves dots alone and URL normalisation would drop the segment
        segment = segment.replace(".", "%2E")
    return f"{prefix}/{segment}"


def _decode_body(response: httpx.Response) -> Any:
    try:
        return redact_json(json.loads(response.content))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None if not response.content else redact(response.text[:1000])
    except RecursionError:
        return redact(response.text[:1000])


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx response, for any status code."""
    body = _decode_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("message") if isinstance(error, dict) else None
    if detail is None:
        detail = error if isinstance(error, str) else (body if isinstance(body, str) else None)
    message = f"Error code: {response.status_code}"
    if detail:
        message += f" - {str(detail)[:300]}"
    if 300 <= response.status_code < 400 and "location" in response.headers:  # noqa: PLR2004
        message += f" (redirect to {response.headers['location']} not followed)"
    return status_error_class(response.status_code)(redact(message), response=response, body=body)


def connection_error(failure: Failure) -> TokenOpsError:
    """Map what the driver caught to the error tree."""
    error, request = failure.error, failure.request or httpx.Request("GET", "http://unknown")
    if isinstance(error, TokenOpsError):
        return error
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(error).__name__}).", request=request)
    if isinstance(error, httpx.DecodingError):
        return ResponseValidationError(f"response body could not be decoded: {redact(str(error))[:200]}")
    return APIConnectionError(f"Connection error ({type(error).__name__}): {redact(str(error))[:200]}", request=request)


def parse_success(response: httpx.Response, strict: bool) -> Video:
    """Parse a 2xx response into a :class:`Video`."""
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting, e.g. [[[[...]]]]
        content_type = response.headers.get("content-type", "")
        snippet = response.content[:120]
        why = "is nested too deeply" if isinstance(exc, RecursionError) else "is not valid JSON"
        raise ResponseValidationError(
            f"response body {why} (content-type {content_type or 'missing'}, first bytes {snippet!r})",
            value=snippet,
            response=response,
        ) from None
    content_type = response.headers.get("content-type", "") if strict else "application/json"
    if "json" not in content_type.split(";", 1)[0].lower():
        raise ResponseValidationError(
            f"content-type is {content_type or 'missing'!r}, the spec says application/json",
            field=None,
            value=content_type,
            response=response,
        )
    try:
        return parse_video(data, strict=strict)
    except ResponseValidationError as exc:
        exc.response = response
        raise


def _capped_timeout(timeout: httpx.Timeout, remaining: float) -> httpx.Timeout:
    def cap(value: float | None) -> float:
        return remaining if value is None else min(value, remaining)

    return httpx.Timeout(
        connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
    )


def retrieve_flow(
    settings: Settings,
    video_id: str,
    *,
    timeout: httpx.Timeout | None = None,
    max_retries: int | None = None,
    deadline: float | None = None,
) -> Generator[Action, Any, tuple[Video, httpx.Response]]:
    """GET one video, retrying what is safe to retry; never sleeps or waits past ``deadline``."""
    url = settings.base_url + video_path(video_id)
    retries_allowed = settings.max_retries if max_retries is None else max_retries
    base_timeout = timeout or settings.timeout
    retries = 0
    while True:
        request_timeout = base_timeout
        if deadline is not None:
            request_timeout = _capped_timeout(base_timeout, max(deadline - settings.clock.monotonic(), 0.001))
        reply = yield Send(url, settings.headers, request_timeout)
        if logger.isEnabledFor(logging.DEBUG):
            outcome = type(reply.error).__name__ if isinstance(reply, Failure) else reply.status_code
            logger.debug("GET %s -> %s (attempt %d)", url, outcome, retries + 1)
        headers: httpx.Headers | None = None
        if isinstance(reply, Failure):
            error = connection_error(reply)
            retryable = isinstance(error, APIConnectionError)
        else:
            if 200 <= reply.status_code < 300:  # noqa: PLR2004
                return parse_success(reply, settings.strict), reply
            error = status_error(reply)
            headers = reply.headers
            retryable = is_retryable_status(reply.status_code, reply.headers)
        if not retryable or retries >= retries_allowed:
            raise error
        delay = retry_delay(retries, headers, settings.clock.time(), settings.rng)
        if delay is None or (deadline is not None and settings.clock.monotonic() + delay >= deadline):
            raise error
        logger.info("Retrying GET %s in %.2f s (%s, retry %d of %d)", url, delay, error, retries + 1, retries_allowed)
        yield Sleep(delay)
        retries += 1


def is_transient(error: TokenOpsError) -> bool:
    """Errors worth polling through during a wait: no response, or a retryable status."""
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and is_retryable_status(error.status_code, error.response.headers)


def validate_wait_args(timeout: float, poll_interval: float | None) -> None:
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if poll_interval is not None and not (math.isfinite(poll_interval) and poll_interval > 0):
        raise ValueError(f"poll_interval must be a positive number of seconds or None, not {poll_interval!r}")


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


def wait_flow(
    settings: Settings,
    video_id: str,
    *,
    timeout: float,
    poll_interval: float | None = None,
    on_progress: ProgressCallback | None = None,
    max_retries: int | None = None,
) -> Generator[Action, Any, Video]:
    """Poll until the job is terminal or the deadline passes (see ``Videos.wait``)."""
    validate_wait_args(timeout, poll_interval)
    video_path(video_id)  # validate before the first request
    clock = settings.clock
    deadline = clock.monotonic() + timeout
    last: Video | None = None
    seen: tuple[str, object] | None = None
    default_interval = DEFAULT_POLL_INTERVAL
    transient_failures = 0
    while True:
        try:
            video, response = yield from retrieve_flow(settings, video_id, max_retries=max_retries, deadline=deadline)
        except TokenOpsError as exc:
            if not is_transient(exc) or clock.monotonic() >= deadline:
                if is_transient(exc):
                    raise WaitTimeout(video_id, timeout, last) from exc
                raise
            headers = exc.response.headers if isinstance(exc, APIStatusError) else None
            delay = retry_delay(transient_failures, headers, clock.time(), settings.rng) or default_interval
            transient_failures += 1
            logger.info("wait(%s): transient error, polling again in %.2f s: %s", video_id, delay, exc)
        else:
            transient_failures = 0
            last = video
            if (video.status_text, video.progress) != seen:
                seen = (video.status_text, video.progress)
                if on_progress is not None:
                    on_progress(video)
            if video.status is VideoStatus.COMPLETED:
                return video
            if video.status is VideoStatus.FAILED:
                raise VideoGenerationFailed(video)
            delay, default_interval = _poll_delay(settings, response, poll_interval, default_interval)
        remaining = deadline - clock.monotonic()
        if delay >= remaining:
            # The next regular poll would be past the deadline: poll once more just before it, then give up.
            margin = min(FINAL_POLL_MARGIN, remaining / 2)
            if remaining <= FINAL_POLL_MARGIN or remaining - margin <= 0:
                raise WaitTimeout(video_id, timeout, last)
            delay = remaining - margin
        yield Sleep(delay)
