"""Time, injectable: the client never calls ``time.sleep`` directly, so tests and simulations never wait."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """What the client needs of time. Pass your own to ``TokenOps(clock=...)`` to simulate or test."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (deadlines are measured with it)."""
        ...

    def time(self) -> float:
        """Wall-clock seconds since the epoch (to read HTTP-date ``Retry-After`` values)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds``."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
