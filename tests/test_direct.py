"""How long the suite's own requests (``contract_tests.suite.direct``) wait out a 429: ``Retry-After`` read as
delay-seconds or an HTTP-date against the run's clock, clamped to a minute."""

from __future__ import annotations

import pytest

from contract_tests.suite.direct import MAX_RATE_LIMIT_PAUSE, retry_after

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0.25", 0.25),
        ("-5", 0.0),
        ("86400", MAX_RATE_LIMIT_PAUSE),
        ("inf", MAX_RATE_LIMIT_PAUSE),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # already past
        ("Tue, 14 Nov 2023 23:13:20 GMT", MAX_RATE_LIMIT_PAUSE),
    ],
)
def test_a_retry_after_is_seconds_or_a_date_clamped_to_a_minute(value: str, seconds: float) -> None:
    assert retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", ["", "soon", "nan", "Tue, 14 Nov 2023 22:13:30", "Tue, 99 Zzz 2023 99:99:99 GMT"])
def test_anything_else_is_no_pause(value: str) -> None:
    assert retry_after(value, NOW) is None
