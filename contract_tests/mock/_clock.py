"""Time for the mock: jobs move through their lifecycle by this clock, never by sleeping."""

from __future__ import annotations

import threading
import time

__all__ = ["MockClock"]


class MockClock:
    """Wall-clock seconds plus an offset that the control API can advance.

    ``MockClock()`` follows real time (the server); ``MockClock(start=...)`` is frozen at ``start`` and
    moves only when advanced (tests): deterministic, and nothing ever sleeps.
    """

    def __init__(self, start: float | None = None) -> None:
        self._frozen = start
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def manual(self) -> bool:
        return self._frozen is not None

    def now(self) -> float:
        base = self._frozen if self._frozen is not None else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (never backward); returns the new now."""
        if not seconds >= 0:
            raise ValueError("seconds must be a number >= 0")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
