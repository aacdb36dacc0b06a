"""tokenops.SystemClock: the real clock behind the Clock protocol (tests inject a fake one everywhere else)."""

from __future__ import annotations

import asyncio
import time

from tokenops._clock import Clock, SystemClock


def test_the_system_clock_reads_the_wall_and_monotonic_clocks() -> None:
    clock: Clock = SystemClock()
    assert abs(clock.time() - time.time()) < 60  # epoch seconds, not the monotonic origin
    before = time.monotonic()
    assert before <= clock.monotonic() <= time.monotonic()


def test_the_system_clock_sleeps_and_awaits_for_zero_seconds() -> None:
    clock = SystemClock()
    clock.sleep(0)
    asyncio.run(clock.asleep(0))
    assert clock.monotonic() >= 0
