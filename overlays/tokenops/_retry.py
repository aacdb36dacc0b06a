"""Retry and polling policy: pure functions of status, headers and attempt number (no I/O, no sleeping)."""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "backoff_delay",
    "is_idempotent",
    "is_retryable_status",
    "poll_hint",
    "retry_after",
    "retry_delay",
    "server_delay",
]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server asking for a longer pause than this is not retried: the caller gets the error at once.
MAX_RETRY_AFTER = 60.0
_RETRYABLE = frozenset({408, 409, 429})
# RFC 9110 9.2.2: repeating these has the same effect as sending once. POST and PATCH need an idempotency key.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def is_idempotent(method: str) -> bool:
    """True for methods that may be retried without an idempotency key."""
    return method.upper() in _IDEMPOTENT_METHODS


def is_retryable_status(status_code: int, headers: Mapping[str, str]) -> bool:
    """408, 409, 429 and >= 500 are retried, unless ``x-should-retry`` says otherwise (it wins either way)."""
    override = headers.get("x-should-retry", "").strip().lower()
    if override == "true":
        return True
    if override == "false":
        return False
    return status_code in _RETRYABLE or status_code >= 500  # noqa: PLR2004


def _seconds(text: str | None, scale: float = 1.0) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip()) * scale
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The server's requested pause in seconds: ``retry-after-ms``, else ``Retry-After`` (seconds or HTTP-date).

    Garbage, negative and non-finite values read as absent. ``now`` is wall-clock time for HTTP-dates.
    """
    value = _seconds(headers.get("retry-after-ms"), 0.001)
    if value is not None:
        return value
    header = headers.get("retry-after")
    value = _seconds(header)
    if value is not None or header is None:
        return value
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def backoff_delay(retries_done: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with up to 25% jitter: 0.5 s, 1 s, 2 s, ... capped at 8 s."""
    base = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_done, 16), MAX_RETRY_DELAY)
    jitter = (rng or random).random()
    return base * (1.0 - 0.25 * jitter)


def retry_delay(
    retries_done: int, headers: Mapping[str, str] | None, now: float, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before the next attempt, or None when the server asked for more than MAX_RETRY_AFTER.

    A positive ``Retry-After``/``retry-after-ms`` is honoured as given; ``0``, negative, past or unreadable
    values fall back to :func:`backoff_delay` (a server saying "now" must not turn retries into a busy loop).
    """
    requested = server_delay(headers, now)
    if requested is None:
        return backoff_delay(retries_done, rng)
    return requested if requested <= MAX_RETRY_AFTER else None


def server_delay(headers: Mapping[str, str] | None, now: float) -> float | None:
    """The server's positive ``Retry-After``/``retry-after-ms`` in seconds, else None (absent, zero or past)."""
    if headers is None:
        return None
    requested = retry_after(headers, now)
    return requested if requested is not None and requested > 0 else None


def poll_hint(headers: Mapping[str, str]) -> float | None:
    """The server's poll interval on a success response: ``openai-poll-after-ms``, else ``Retry-After``.

    Zero reads as absent: the caller's own interval applies rather than polling in a tight loop.
    """
    value = _seconds(headers.get("openai-poll-after-ms"), 0.001)
    if not value:  # absent or zero
        value = _seconds(headers.get("retry-after"))
    return value if value is not None and value > 0 else None
