"""Lifecycle test: follow jobs to a terminal state and check how they move across responses.

Against our mock the suite creates its own jobs and advances the mock's clock; against any other server
it polls the ids it was given (``--video-id``) with a deadline. Across each job's responses:
progress never decreases, status never moves backwards, terminal states are stable, and timestamps
do not change once set.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from contract_tests.checks import ContractFailure
from contract_tests.targets import Target

__all__ = ["LIFECYCLE_CHECKS", "LifecycleObservation", "LifecycleViolation", "check_sequence", "run_lifecycle"]

OPERATION = "GET /v1/videos/{video_id}"
_RANK = {"pending": 0, "queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
_TERMINAL = ("completed", "failed")
_STABLE_FIELDS = ("status", "progress", "completed_at", "expires_at", "error")
_TIMESTAMPS = ("created_at", "completed_at", "expires_at")
LIFECYCLE_CHECKS = (
    "lifecycle_progress_monotonic",
    "lifecycle_status_order",
    "lifecycle_terminal_stable",
    "lifecycle_timestamps_fixed",
)


class LifecycleViolation(ContractFailure):
    code = "TK903"
    kind_title = "Job lifecycle violated"


@attrs.frozen
class LifecycleObservation:
    """One response seen while following a job."""

    video_id: str
    body: dict[str, Any]
    request: httpx.Request
    response: httpx.Response


@attrs.define
class LifecycleResult:
    observations: list[LifecycleObservation] = attrs.field(factory=list)
    # (check, violation, the observation that showed it)
    violations: list[tuple[str, LifecycleViolation, LifecycleObservation]] = attrs.field(factory=list)
    passed: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(LIFECYCLE_CHECKS, 0))
    unfinished: list[str] = attrs.field(factory=list)


def _violation(check: str, title: str, message: str, key: str) -> LifecycleViolation:
    return LifecycleViolation(operation=OPERATION, title=title, message=message, key=key)


def check_sequence(bodies: list[dict[str, Any]]) -> tuple[dict[str, int], list[tuple[str, LifecycleViolation, int]]]:
    """Check one job's successive bodies. Returns (passes per check, [(check, violation, index of body)])."""
    passed = dict.fromkeys(LIFECYCLE_CHECKS, 0)
    found: list[tuple[str, LifecycleViolation, int]] = []

    def verdict(check: str, ok: bool, index: int, *, title: str, message: str, key: str) -> None:
        if ok:
            passed[check] += 1
        else:
            found.append((check, _violation(check, title, message, key), index))

    for index in range(1, len(bodies)):
        before, after = bodies[index - 1], bodies[index]
        p0, p1 = before.get("progress"), after.get("progress")
        if isinstance(p0, int) and isinstance(p1, int):
            verdict(
                "lifecycle_progress_monotonic",
                p1 >= p0,
                index,
                title="Progress went backwards",
                message=f"progress {p0} then {p1}",
                key="progress-decreased",
            )
        s0, s1 = before.get("status"), after.get("status")
        if s0 in _RANK and s1 in _RANK:
            ok = _RANK[s1] >= _RANK[s0] and not (s0 in _TERMINAL and s1 != s0)
            verdict(
                "lifecycle_status_order",
                ok,
                index,
                title="Status moved backwards",
                message=f"status {s0!r} then {s1!r}",
                key="status-backwards",
            )
        if s0 in _TERMINAL:
            changed = [name for name in _STABLE_FIELDS if before.get(name) != after.get(name)]
            verdict(
                "lifecycle_terminal_stable",
                not changed,
                index,
                title="Terminal state changed",
                message=f"after {s0!r}: {', '.join(changed)} changed",
                key="terminal-changed",
            )
        moved = [n for n in _TIMESTAMPS if before.get(n) is not None and after.get(n) != before.get(n)]
        verdict(
            "lifecycle_timestamps_fixed",
            not moved,
            index,
            title="Timestamp changed once set",
            message=f"{', '.join(moved)} changed",
            key="timestamp-changed",
        )
    return passed, found


def _observe(target: Target, video_id: str, api_key: str) -> LifecycleObservation | None:
    response = target.get_video(video_id, api_key)
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if response.status_code != 200 or not isinstance(body, dict):  # noqa: PLR2004
        return None
    return LifecycleObservation(video_id, body, response.request, response)


def _follow(
    target: Target, ids: list[str], api_key: str, *, step: float, max_steps: int, extra_polls: int
) -> dict[str, list[LifecycleObservation]]:
    seen: dict[str, list[LifecycleObservation]] = {video_id: [] for video_id in ids}
    after_terminal = dict.fromkeys(ids, 0)
    for _ in range(max_steps):
        for video_id in ids:
            if after_terminal[video_id] > extra_polls:
                continue
            observation = _observe(target, video_id, api_key)
            if observation is None:
                continue
            seen[video_id].append(observation)
            if observation.body.get("status") in _TERMINAL:
                after_terminal[video_id] += 1
        if all(count > extra_polls for count in after_terminal.values()):
            break
        target.sleep_or_advance(step)
    return seen


def run_lifecycle(
    target: Target,
    api_key: str,
    video_ids: list[str],
    *,
    poll_interval: float = 2.0,
    deadline: float = 120.0,
    misbehave: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> LifecycleResult:
    """Follow jobs to a terminal state; against our mock, create them first (``misbehave`` rigs one)."""
    if target.control:
        run = uuid.uuid4().hex[:8]
        jobs = [
            {"id": f"video_lifecycle_{run}_ok", "pending_seconds": 3, "running_seconds": 20},
            {"id": f"video_lifecycle_{run}_failed", "pending_seconds": 2, "running_seconds": 8, "outcome": "failed"},
            {"id": f"video_lifecycle_{run}_quick", "pending_seconds": 0, "running_seconds": 5},
        ]
        if misbehave:
            jobs.append(
                {
                    "id": f"video_lifecycle_{run}_rigged",
                    "pending_seconds": 0,
                    "running_seconds": 30,
                    "misbehave": "progress-backwards",
                }
            )
        target.create_jobs(jobs)
        ids, step, max_steps = [str(job["id"]) for job in jobs], 1.0, 80
    else:
        ids, step = list(video_ids), poll_interval
        max_steps = max(1, int(deadline / poll_interval))
    if on_progress is not None:
        on_progress(f"lifecycle: following {len(ids)} job(s)")
    result = LifecycleResult()
    started = time.monotonic()
    for video_id, observations in _follow(target, ids, api_key, step=step, max_steps=max_steps, extra_polls=2).items():
        result.observations.extend(observations)
        if not observations or observations[-1].body.get("status") not in _TERMINAL:
            result.unfinished.append(video_id)
        passed, found = check_sequence([o.body for o in observations])
        for check, count in passed.items():
            result.passed[check] += count
        result.violations.extend((check, violation, observations[index]) for check, violation, index in found)
    if on_progress is not None:
        on_progress(f"lifecycle: done in {time.monotonic() - started:.1f}s, {len(result.violations)} violation(s)")
    return result
