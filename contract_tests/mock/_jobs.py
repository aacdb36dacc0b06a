"""Video-generation jobs with a lifecycle, and a bounded store for them.

A job is ``pending`` for ``pending_seconds``, then ``in_progress`` for ``running_seconds`` with progress
rising linearly from 0 to 99, then ``completed`` (progress 100, ``completed_at``, ``expires_at``) or
``failed`` (``error``; progress frozen where it stopped). Its state is a pure function of the clock.
"""

from __future__ import annotations

import collections
import itertools
import math
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

__all__ = [
    "DEFAULT_MAX_JOBS",
    "WELL_KNOWN_IDS",
    "Job",
    "JobSlot",
    "JobSpecError",
    "JobStore",
    "job_from_spec",
]

DEFAULT_MAX_JOBS = 10_000
EXPIRES_AFTER = 24 * 3600
MIN_POLL_HINT, MAX_POLL_HINT = 0.2, 5.0  # seconds: bounds of openai-poll-after-ms
MAX_ID_LENGTH = 256
OUTCOMES = ("completed", "failed")
DEFAULT_ERROR = {"code": "generation_failed", "message": "The video could not be generated.", "type": "server_error"}
_counter = itertools.count(1)


class JobSpecError(ValueError):
    """A job description (control API, seed file) is invalid; the message says which field and why."""


@attrs.frozen
class Job:
    """One video job: an immutable description; its state at any time is computed from the clock."""

    id: str
    created_at: float
    model: str = "sora-2"
    size: str = "720x1280"
    seconds: str = "8"
    pending_seconds: float = 2.0
    running_seconds: float = 10.0
    outcome: str = "completed"
    error: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_ERROR))
    remixed_from_video_id: str | None = None
    # Deliberate misbehaviour, for proving that the contract suite's lifecycle check can fail.
    misbehave: str | None = None
    pinned: bool = False

    def phase(self, now: float) -> tuple[str, int]:
        """(status, progress) at time ``now``."""
        elapsed = max(0.0, now - self.created_at)
        if elapsed < self.pending_seconds:
            return "pending", 0
        if elapsed < self.pending_seconds + self.running_seconds:
            fraction = (elapsed - self.pending_seconds) / self.running_seconds
            progress = min(99, math.floor(100 * fraction))
            if self.misbehave == "progress-backwards":
                progress = max(0, 90 - progress)
            return "in_progress", progress
        if self.outcome == "completed":
            return "completed", 100
        # Failure strikes at the end of the run: progress stays where it got to, never drops.
        return "failed", 99 if self.running_seconds else 0

    def poll_after_ms(self, now: float) -> int | None:
        """The poll hint for a job that is not finished: time to its next state change, 0.2 s to 5 s."""
        elapsed = now - self.created_at
        if elapsed < self.pending_seconds:
            remaining = self.pending_seconds - elapsed
        elif elapsed < self.pending_seconds + self.running_seconds:
            remaining = self.pending_seconds + self.running_seconds - elapsed
        else:
            return None
        return int(min(max(remaining, MIN_POLL_HINT), MAX_POLL_HINT) * 1000)

    def state(self, now: float) -> dict[str, Any]:
        """The job as ``GET /v1/videos/{id}`` returns it at time ``now`` (valid against the spec)."""
        status, progress = self.phase(now)
        body: dict[str, Any] = {
            "id": self.id,
            "object": "video",
            "created_at": int(self.created_at),
            "model": self.model,
            "seconds": self.seconds,
            "size": self.size,
            "status": status,
            "progress": progress,
        }
        if self.remixed_from_video_id is not None:
            body["remixed_from_video_id"] = self.remixed_from_video_id
        finished_at = int(self.created_at + self.pending_seconds + self.running_seconds)
        if status == "completed":
            body.update(completed_at=finished_at, expires_at=finished_at + EXPIRES_AFTER)
        elif status == "failed":
            body.update(completed_at=finished_at, error=dict(self.error))
        return body

    def expired(self, now: float) -> bool:
        finished_at = self.created_at + self.pending_seconds + self.running_seconds
        return not self.pinned and now > finished_at + EXPIRES_AFTER


def _number(spec: Mapping[str, Any], name: str, default: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise JobSpecError(f"'{name}' must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _text(spec: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = spec.get(name, default)
    if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH):
        raise JobSpecError(f"'{name}' must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return value


_FIELDS = {
    "id",
    "model",
    "size",
    "seconds",
    "pending_seconds",
    "running_seconds",
    "outcome",
    "error",
    "remixed_from_video_id",
    "created_at",
    "misbehave",
}


def job_from_spec(spec: Any, now: float) -> Job:
    """Validate a job description (control API body or seed file entry) and build the job.

    Raises:
        JobSpecError: not an object, an unknown field, or a field of the wrong type.
    """
    if not isinstance(spec, Mapping):
        raise JobSpecError("a job must be a JSON object")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise JobSpecError(f"unknown job field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(_FIELDS))})")
    outcome = spec.get("outcome", "completed")
    if outcome not in OUTCOMES:
        raise JobSpecError(f"'outcome' must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    error = spec.get("error", DEFAULT_ERROR)
    if not isinstance(error, Mapping) or not all(isinstance(v, str) for v in error.values()):
        raise JobSpecError("'error' must be an object of strings (code, message, type)")
    misbehave = spec.get("misbehave")
    if misbehave not in (None, "progress-backwards"):
        raise JobSpecError(f"'misbehave' must be 'progress-backwards' or absent, not {misbehave!r}")
    return Job(
        id=_text(spec, "id", None) or f"video_{next(_counter):06d}{int(now) % 100000:05d}",
        created_at=now - _number(spec, "created_at", 0.0) if "created_at" in spec else now,
        model=_text(spec, "model", "sora-2") or "sora-2",
        size=_text(spec, "size", "720x1280") or "720x1280",
        seconds=_text(spec, "seconds", "8") or "8",
        pending_seconds=_number(spec, "pending_seconds", 2.0),
        running_seconds=_number(spec, "running_seconds", 10.0),
        outcome=outcome,
        error={**DEFAULT_ERROR, **error},
        remixed_from_video_id=_text(spec, "remixed_from_video_id", None),
        misbehave=misbehave,
    )


_YEAR = 365 * 24 * 3600
# Preloaded so `curl` works at once; documented in the README. created_at is "seconds ago".
WELL_KNOWN: tuple[dict[str, Any], ...] = (
    {"id": "video_completed_demo", "created_at": 3600, "pending_seconds": 5, "running_seconds": 60},
    {
        "id": "video_failed_demo",
        "created_at": 3600,
        "pending_seconds": 5,
        "running_seconds": 30,
        "outcome": "failed",
        "error": {
            "code": "moderation_blocked",
            "message": "The prompt was blocked by moderation.",
            "type": "invalid_request",
        },
    },
    # Still running for about a year, currently near 42%.
    {
        "id": "video_in_progress_demo",
        "created_at": 0.42 * 31_536_000,
        "pending_seconds": 0,
        "running_seconds": 31_536_000,
    },
    {"id": "video_pending_demo", "created_at": 0, "pending_seconds": _YEAR, "running_seconds": 60},
)
WELL_KNOWN_IDS = tuple(spec["id"] for spec in WELL_KNOWN)


@attrs.define
class JobSlot:
    """A stored job plus the last body rendered for it (a mutable cache the store owns and bounds).

    A job's body changes only when its status or progress does, so polling re-sends ``body`` while
    ``body_key`` (the job's phase) is unchanged. The slot goes when its job is evicted, deleted or expired.
    """

    job: Job
    seq: int = 0  # order of storing: ties in created_at are listed in the order the jobs were created
    body_key: Any = None
    body: bytes = b""


class JobStore:
    """Jobs by id, at most ``max_jobs`` (least recently used evicted first; expired ones go first).

    Expired jobs (a day after they finished) read as gone. Well-known jobs are pinned: never evicted nor
    expired, restored by :meth:`reset`. Each job costs well under 1 KiB, so the default cap bounds the store
    to a few MiB however many jobs are created.
    """

    def __init__(self, max_jobs: int = DEFAULT_MAX_JOBS) -> None:
        if max_jobs < 1:
            raise ValueError("max_jobs must be >= 1")
        self.max_jobs = max_jobs
        self._slots: collections.OrderedDict[str, JobSlot] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._slots)

    def __iter__(self) -> Iterator[Job]:
        return iter([slot.job for slot in list(self._slots.values())])

    def slot(self, job_id: str, now: float) -> JobSlot | None:
        """The job's slot, marked as recently used; None if unknown or expired (an expired job is dropped)."""
        with self._lock:
            slot = self._slots.get(job_id)
            if slot is None:
                return None
            if slot.job.expired(now):
                del self._slots[job_id]
                self.evicted += 1
                return None
            self._slots.move_to_end(job_id)
            return slot

    def get(self, job_id: str, now: float) -> Job | None:
        """The job, marked as recently used; None if unknown or expired (an expired job is dropped here)."""
        slot = self.slot(job_id, now)
        return None if slot is None else slot.job

    def live(self, now: float) -> list[Job]:
        """Every job that has not expired, oldest first (by ``created_at``, then creation); recency unchanged."""
        with self._lock:
            slots = [slot for slot in self._slots.values() if not slot.job.expired(now)]
        return [slot.job for slot in sorted(slots, key=lambda slot: (slot.job.created_at, slot.seq))]

    def put(self, job: Job) -> None:
        """Store ``job`` (replacing one with its id), evicting the least recently used beyond the cap."""
        with self._lock:
            self._slots[job.id] = JobSlot(job, next(self._seq))
            self._slots.move_to_end(job.id)
            while len(self._slots) > self.max_jobs:
                # Least recently used first; pinned jobs are skipped (there are only a handful).
                victim = next((job_id for job_id, old in self._slots.items() if not old.job.pinned), None)
                if victim is None:
                    break
                del self._slots[victim]
                self.evicted += 1

    def delete(self, job_id: str) -> bool:
        """Forget a job; False when there was none."""
        with self._lock:
            return self._slots.pop(job_id, None) is not None

    def reset(self, now: float, seeds: list[Job] | None = None) -> None:
        """Forget every job; load the well-known ones (pinned) and ``seeds``."""
        with self._lock:
            self._slots.clear()
        for spec in WELL_KNOWN:
            self.put(attrs.evolve(job_from_spec(spec, now), pinned=True))
        for job in seeds or []:
            self.put(job)
