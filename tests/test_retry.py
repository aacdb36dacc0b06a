"""Retry and polling policy (tokenops/_retry.py): pure functions, so every rule is checked exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from tokenops._retry import (
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    backoff_delay,
    is_idempotent,
    is_retryable_status,
    poll_hint,
    retry_after,
    retry_delay,
    server_delay,
)

NOW = 1_741_570_283.0


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 520, 599])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 422, 301])
def test_non_retryable_statuses(status: int) -> None:
    assert not is_retryable_status(status, {})


def test_x_should_retry_overrides_both_ways() -> None:
    assert is_retryable_status(400, {"x-should-retry": "true"})
    assert not is_retryable_status(503, {"x-should-retry": "false"})
    assert is_retryable_status(503, {"x-should-retry": "maybe"})


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}, NOW) == 1.5


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "garbage"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after-ms": "oops", "retry-after": "2"}, 2.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 -0000"}, None),  # an HTTP-date with no known zone: ignored
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers, NOW) == expected


def test_retry_after_http_date_is_relative_to_now() -> None:
    when = format_datetime(datetime.fromtimestamp(NOW + 7, tz=UTC), usegmt=True)
    assert retry_after({"retry-after": when}, NOW) == pytest.approx(7.0)
    past = format_datetime(datetime.fromtimestamp(NOW - 100, tz=UTC), usegmt=True)
    assert retry_after({"retry-after": past}, NOW) == 0.0


def test_backoff_grows_exponentially_with_bounded_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for retries_done, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0), (100, 8.0)]:
        for _ in range(50):
            delay = backoff_delay(retries_done, rng)
            assert 0.75 * base <= delay <= base
            assert delay <= MAX_RETRY_DELAY


def test_retry_delay_honours_the_server_up_to_the_cap() -> None:
    assert retry_delay(0, {"retry-after": "12"}, NOW) == 12.0
    assert retry_delay(0, {"retry-after": str(MAX_RETRY_AFTER)}, NOW) == MAX_RETRY_AFTER
    assert retry_delay(0, {"retry-after": "3600"}, NOW) is None
    assert 0.375 <= (retry_delay(0, {"retry-after": "nonsense"}, NOW) or 0) <= 0.5
    assert 0.375 <= (retry_delay(0, None, NOW) or 0) <= 0.5


def test_poll_hint_prefers_openai_poll_after_ms() -> None:
    assert poll_hint({"openai-poll-after-ms": "2500", "retry-after": "9"}) == 2.5
    assert poll_hint({"retry-after": "4"}) == 4.0
    assert poll_hint({"retry-after": "soon"}) is None
    assert poll_hint({}) is None


def test_zero_is_a_value_not_an_absence() -> None:
    assert retry_after({"retry-after": "0"}, NOW) == 0.0
    assert retry_after({"retry-after-ms": "0", "retry-after": "9"}, NOW) == 0.0
    assert server_delay({"retry-after": "0"}, NOW) is None  # ... but it is not a pause worth taking
    assert server_delay({"retry-after": "2"}, NOW) == 2.0
    assert server_delay(None, NOW) is None


def test_retry_delay_reads_http_dates_against_now_and_backs_off_for_zero_or_the_past() -> None:
    when = format_datetime(datetime.fromtimestamp(NOW + 30, tz=UTC), usegmt=True)
    assert retry_delay(0, {"retry-after": when}, NOW) == pytest.approx(30.0)
    past = format_datetime(datetime.fromtimestamp(NOW - 30, tz=UTC), usegmt=True)
    for headers in ({"retry-after": past}, {"retry-after": "0"}, {"retry-after-ms": "0"}):
        assert 0.75 <= (retry_delay(1, headers, NOW) or 0) <= 1.0  # backoff_delay(1), not "at once"


def test_retry_delay_draws_its_jitter_from_the_given_rng() -> None:
    expected = backoff_delay(2, random.Random(3))
    assert retry_delay(2, None, NOW, random.Random(3)) == expected
    assert retry_delay(2, {"retry-after": "soon"}, NOW, random.Random(3)) == expected


def test_poll_hint_of_zero_reads_as_absent() -> None:
    assert poll_hint({"openai-poll-after-ms": "0"}) is None
    assert poll_hint({"openai-poll-after-ms": "0", "retry-after": "3"}) == 3.0
    assert poll_hint({"retry-after": "0"}) is None


@pytest.mark.parametrize(
    ("method", "idempotent"), [("GET", True), ("delete", True), ("PUT", True), ("POST", False), ("PATCH", False)]
)
def test_only_idempotent_methods_retry_without_a_key(method: str, idempotent: bool) -> None:
    assert is_idempotent(method) is idempotent
