"""The one table of lifecycles: how a resource with a ``status`` enum may move, and what each state implies.

Any component schema whose ``status`` property is an enum is a lifecycle resource
(:attr:`contract_tests.suite.spec_facts.SpecFacts.lifecycle_schemas`). Its rules are the entry of
:data:`LIFECYCLES` that shares the most states with that enum; the semantic checks
(:mod:`contract_tests.suite.checks`) apply them wherever the resource appears in a 2xx body, and the lifecycle
test (:mod:`contract_tests.suite.lifecycle`) follows resources through the operation that reads one by id.
A new resource with a status enum needs one entry here, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["LIFECYCLES", "Lifecycle", "rules_for"]


@attrs.frozen
class Lifecycle:
    """How one kind of resource moves through its states."""

    name: str
    # State -> rank: a resource never moves to a lower rank. States of the top rank are terminal.
    ranks: Mapping[str, int]
    terminal: frozenset[str]
    # State -> fields that must be set (not null/absent) in it.
    requires: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    # State -> field -> the value it must have ("max" = the schema's maximum for that field).
    values: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    progress: str | None = None  # a number that never decreases
    timestamps: tuple[str, ...] = ()  # in the order they must be (each <= the next when present)
    # Fields that never change once a terminal state is reached.
    stable_when_terminal: tuple[str, ...] = ()
    # Ids of the jobs the suite creates on our mock start with this.
    mock_id_prefix: str = "conformance_"
    # Jobs the suite creates on our mock to follow (control API format): a healthy one, a failing one, a quick one.
    mock_jobs: tuple[Mapping[str, Any], ...] = ()
    # One job whose progress goes backwards (``--mock-rig-lifecycle``): proves the check can fail.
    mock_rigged_job: Mapping[str, Any] | None = None
    # Jobs in each state the suite creates on our mock for its requests (id suffix -> job spec).
    mock_fixtures: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)

    def rank(self, state: Any) -> int | None:
        return self.ranks.get(state) if isinstance(state, str) else None


VIDEO_JOB = Lifecycle(
    name="video generation job",
    ranks={"queued": 0, "pending": 0, "in_progress": 1, "completed": 2, "failed": 2},
    terminal=frozenset({"completed", "failed"}),
    requires={"completed": ("completed_at",), "failed": ("error",)},
    values={"completed": {"progress": "max"}},
    progress="progress",
    timestamps=("created_at", "completed_at", "expires_at"),
    stable_when_terminal=("status", "progress", "completed_at", "expires_at", "error"),
    mock_id_prefix="video_conformance_",
    mock_jobs=(
        {"suffix": "ok", "pending_seconds": 3, "running_seconds": 20},
        {"suffix": "failed", "pending_seconds": 2, "running_seconds": 8, "outcome": "failed"},
        {"suffix": "quick", "pending_seconds": 0, "running_seconds": 5},
    ),
    mock_rigged_job={
        "suffix": "rigged",
        "pending_seconds": 0,
        "running_seconds": 30,
        "misbehave": "progress-backwards",
    },
    mock_fixtures={
        "completed": {"created_at": 3600, "pending_seconds": 5, "running_seconds": 60},
        "failed": {"created_at": 3600, "pending_seconds": 5, "running_seconds": 30, "outcome": "failed"},
        "running": {"pending_seconds": 0, "running_seconds": 3600},
        "pending": {"pending_seconds": 3600},
    },
)

LIFECYCLES: tuple[Lifecycle, ...] = (VIDEO_JOB,)


def rules_for(states: tuple[str, ...]) -> Lifecycle | None:
    """The entry of :data:`LIFECYCLES` sharing the most states with a schema's status enum (None: no overlap)."""
    best = max(LIFECYCLES, key=lambda rules: len(set(rules.ranks) & set(states)), default=None)
    if best is None or not set(best.ranks) & set(states):
        return None
    return best
