"""Everything a running mock knows: clock, jobs, faults, accepted keys, request counters."""

from __future__ import annotations

import collections
from typing import Any

import attrs

from contract_tests.mock._clock import MockClock
from contract_tests.mock._faults import Faults
from contract_tests.mock._jobs import JobStore, job_from_spec

__all__ = ["MockState"]


@attrs.define
class MockState:
    """The mock's state (``MockApp.state``): the control API reads and changes it; ``reset`` restores it."""

    clock: MockClock
    store: JobStore
    faults: Faults
    api_keys: frozenset[str]
    seeds: list[dict[str, Any]] = attrs.field(factory=list)
    stats: collections.Counter[str] = attrs.field(factory=collections.Counter)
    operations: collections.Counter[str] = attrs.field(factory=collections.Counter)
    stream_events: int = 5  # events per server-sent event stream (before the terminator)
    stream_interval: float = 0.0  # seconds between events (0: the whole stream in one write)

    def reset(self) -> None:
        """Back to the start-up state: clock, well-known and seeded jobs, start-up fault rules, no counts."""
        self.clock.reset()
        now = self.clock.now()
        self.store.reset(now, [job_from_spec(spec, now) for spec in self.seeds])
        self.faults.reset()
        self.stats.clear()
        self.operations.clear()
