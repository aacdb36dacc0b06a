"""Lifecycle test: follow resources to a terminal state and check how they move across responses.

Which resources: every schema with a ``status`` enum (rules in :mod:`contract_tests.suite.resources`), read
through the safe operation that returns it by id. Against our mock the suite creates the table's jobs and
advances the mock's clock; against any other server it polls the ids it was given, with a deadline (an
injectable clock, so tests never sleep). Every poll goes through :class:`~contract_tests.suite.direct.Direct`:
bodies are schema-checked and run through every check; a failed poll (no response, 5xx, a resource that
vanished) is a finding, never silence. Across each resource's bodies: progress never decreases, status never
moves backwards, terminal states are stable, timestamps do not change once set.

Evidence: the test proves something when at least one followed resource reached a terminal state; resources still
running at the deadline are listed with their last state and how long they were followed (by the run's clock: the
mock's, or the waits between polls of a live server), and only when *none* finished is the run inconclusive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import attrs

from contract_tests.suite.checks import ContractFailure
from contract_tests.suite.direct import Direct, Exchange
from contract_tests.suite.evidence import CheckCount
from contract_tests.suite.resources import VIDEO_JOB, Lifecycle, rules_for
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts

__all__ = [
    "LIFECYCLE_CHECKS",
    "LifecycleResult",
    "LifecycleViolation",
    "Unfinished",
    "check_sequence",
    "run_lifecycle",
]

LIFECYCLE_CHECKS = (
    "lifecycle_progress_monotonic",
    "lifecycle_status_order",
    "lifecycle_terminal_stable",
    "lifecycle_timestamps_fixed",
    "lifecycle_resource_kept",
)
EXTRA_POLLS_AFTER_TERMINAL = 2
POLLS_BEFORE_GIVING_UP = 3  # a resource that never answered 2xx in this many polls is reported as not found
# Our mock: its clock moves in steps of the live default poll interval (the longest job is seen 10+ times running).
MOCK_STEP_SECONDS = 2.0
MOCK_MAX_STEPS = 40


class LifecycleViolation(ContractFailure):
    code: ClassVar[str] = "TK903"
    kind_title: ClassVar[str] = "Lifecycle violated"


@attrs.frozen
class Unfinished:
    """A resource still not in a terminal state when the test stopped following it."""

    id: str
    last_status: str | None
    last_progress: float | None
    followed_seconds: float

    def describe(self) -> str:
        """``video_x (in_progress, 40 %, followed 120 s)``."""
        progress = f", {self.last_progress:g} %" if self.last_progress is not None else ""
        return f"{self.id} ({self.last_status or 'no status'}{progress}, followed {self.followed_seconds:g} s)"


@attrs.define
class LifecycleResult:
    followed: list[str] = attrs.field(factory=list)
    finished: list[str] = attrs.field(factory=list)  # reached a terminal state (or vanished: also an end)
    unfinished: list[Unfinished] = attrs.field(factory=list)
    never_found: list[str] = attrs.field(factory=list)
    polls: int = 0
    deadline: float = 0.0
    notes: list[str] = attrs.field(factory=list)

    @property
    def proves_nothing(self) -> bool:
        """Resources were followed, some never finished, and none reached a terminal state."""
        return bool(self.unfinished) and not self.finished


@attrs.define
class _Verdicts:
    label: str
    passed: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(LIFECYCLE_CHECKS, 0))
    found: list[tuple[str, LifecycleViolation, int]] = attrs.field(factory=list)

    def judge(self, check: str, ok: bool, *, at: int, title: str, message: str, key: str, **evidence: Any) -> None:
        if ok:
            self.passed[check] += 1
        else:
            violation = LifecycleViolation(
                operation=self.label, title=title, message=message, key=key, evidence=evidence
            )
            self.found.append((check, violation, at))


def check_sequence(
    bodies: list[dict[str, Any]], rules: Lifecycle = VIDEO_JOB, *, label: str = ""
) -> tuple[dict[str, int], list[tuple[str, LifecycleViolation, int]]]:
    """Check one resource's successive bodies. Returns (passes per check, [(check, violation, index of body)])."""
    verdicts = _Verdicts(label)
    judge = verdicts.judge
    progress = rules.progress
    for index in range(1, len(bodies)):
        before, after = bodies[index - 1], bodies[index]
        p0, p1 = (before.get(progress), after.get(progress)) if progress else (None, None)
        if progress and isinstance(p0, int | float) and isinstance(p1, int | float):
            title = f"{progress.capitalize()} went backwards"
            message = f"{progress} {p0} then {p1}"
            judge(
                "lifecycle_progress_monotonic",
                p1 >= p0,
                at=index,
                title=title,
                message=message,
                key=f"{progress}-decreased",
                field=progress,
                value=p1,
                before=p0,
            )
        s0, s1 = before.get("status"), after.get("status")
        r0, r1 = rules.rank(s0), rules.rank(s1)
        if r0 is not None and r1 is not None:
            ok = r1 >= r0 and not (s0 in rules.terminal and s1 != s0)
            judge(
                "lifecycle_status_order",
                ok,
                at=index,
                title="Status moved backwards",
                message=f"status {s0!r} then {s1!r}",
                key="status-backwards",
                field="status",
                value=s1,
                before=s0,
            )
        if s0 in rules.terminal:
            changed = [name for name in rules.stable_when_terminal if before.get(name) != after.get(name)]
            judge(
                "lifecycle_terminal_stable",
                not changed,
                at=index,
                title="Terminal state changed",
                message=f"after {s0!r}: {', '.join(changed)} changed",
                key="terminal-changed",
                field=", ".join(changed),
            )
        moved = [n for n in rules.timestamps if before.get(n) is not None and after.get(n) != before.get(n)]
        judge(
            "lifecycle_timestamps_fixed",
            not moved,
            at=index,
            title="Timestamp changed once set",
            message=f"{', '.join(moved)} changed",
            key="timestamp-changed",
            field=", ".join(moved),
        )
    return verdicts.passed, verdicts.found


@attrs.define
class _Subject:
    facts: OperationFacts
    parameter: str
    value: str
    rules: Lifecycle
    exchanges: list[Exchange] = attrs.field(factory=list)
    bodies: list[dict[str, Any]] = attrs.field(factory=list)
    after_terminal: int = 0
    vanished: bool = False
    first_poll_at: float | None = None  # the run's waiting clock at the first and the latest poll
    last_poll_at: float = 0.0

    @property
    def done(self) -> bool:
        if not self.bodies and len(self.exchanges) >= POLLS_BEFORE_GIVING_UP:
            return True
        return self.vanished or self.after_terminal > EXTRA_POLLS_AFTER_TERMINAL


def _subjects(
    direct: Direct, spec: SpecFacts, given: dict[str, list[str]], misbehave: bool, result: LifecycleResult
) -> list[_Subject]:
    subjects: list[_Subject] = []
    for schema_name, states in sorted(spec.lifecycle_schemas.items()):
        rules = rules_for(states)
        facts = spec.polling_operation(schema_name)
        if rules is None or facts is None or facts.addressed_by is None:
            result.notes.append(
                f"lifecycle: {schema_name} has a status enum but no rules or no operation reads it by id"
            )
            continue
        parameter = facts.addressed_by
        if direct.target.control:
            jobs = [*rules.mock_jobs, *([rules.mock_rigged_job] if misbehave and rules.mock_rigged_job else [])]
            specs = [
                {
                    "id": f"{rules.mock_id_prefix}lifecycle_{job['suffix']}",
                    **{k: v for k, v in job.items() if k != "suffix"},
                }
                for job in jobs
            ]
            direct.target.create_jobs(specs)
            values = [str(job["id"]) for job in specs]
        else:
            values = list(given.get(parameter, []))
        subjects += [_Subject(facts, parameter, value, rules) for value in values]
    return subjects


def _poll(direct: Direct, subject: _Subject, result: LifecycleResult, waited: float) -> None:
    if subject.first_poll_at is None:
        subject.first_poll_at = waited
    subject.last_poll_at = waited
    exchange = direct.send(subject.facts, phase="lifecycle", path_params={subject.parameter: subject.value})
    result.polls += 1
    subject.exchanges.append(exchange)
    if isinstance(exchange.body, dict):
        subject.bodies.append(exchange.body)
        if exchange.body.get("status") in subject.rules.terminal:
            subject.after_terminal += 1
    elif subject.bodies and exchange.received is not None and exchange.received.status == 404:  # noqa: PLR2004
        subject.vanished = True
        received = exchange.received
        violation = LifecycleViolation(
            operation=subject.facts.label,
            title="Resource vanished while being followed",
            message=f"{subject.parameter}={subject.value!r} answered 2xx, then {received.status}",
            key="vanished",
            evidence={"field": subject.parameter, "value": subject.value},
        )
        direct.ledger.evidence.operation(subject.facts.label).checks.setdefault(
            "lifecycle_resource_kept", CheckCount()
        ).failed += 1
        direct.ledger.add_failure(
            violation,
            "lifecycle_resource_kept",
            facts=subject.facts,
            label=subject.facts.label,
            phase="lifecycle",
            sent=exchange.sent,
            received=received,
        )


def run_lifecycle(
    direct: Direct,
    spec: SpecFacts,
    *,
    given: dict[str, list[str]],
    deadline: float = 120.0,
    poll_interval: float = 2.0,
    misbehave: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> LifecycleResult:
    """Follow every lifecycle resource to a terminal state and account what was seen in ``direct.ledger``."""
    result = LifecycleResult(deadline=deadline)
    subjects = _subjects(direct, spec, given, misbehave, result)
    notify = on_progress or (lambda _message: None)
    notify(f"lifecycle: following {len(subjects)} resource(s)")
    started = time.monotonic()
    control = direct.target.control
    step = MOCK_STEP_SECONDS if control else poll_interval
    steps = MOCK_MAX_STEPS if control else max(1, int(deadline / poll_interval))
    waited = 0.0  # seconds of the run's clock (the mock's, or the waits between polls of a live server)
    for _ in range(steps):
        pending = [subject for subject in subjects if not subject.done]
        if not pending:
            break
        for subject in pending:
            _poll(direct, subject, result, waited)
        if all(subject.done for subject in subjects):
            break
        if control:
            direct.target.advance(step)
        else:
            direct.clock.sleep(step)
        waited += step
    for subject in subjects:
        result.followed.append(subject.value)
        _conclude(subject, result, waited)
        _account(direct, subject)
    if result.unfinished and result.finished:
        count = len(result.unfinished)
        result.notes.append(
            f"lifecycle: {count} resource{'s' if count != 1 else ''} still running at the deadline "
            f"({', '.join(item.describe() for item in result.unfinished)}); {len(result.finished)} reached a "
            "terminal state, which is the evidence"
        )
    notify(f"lifecycle: done in {time.monotonic() - started:.1f}s, {result.polls} polls")
    return result


def _conclude(subject: _Subject, result: LifecycleResult, waited: float) -> None:
    """File ``subject`` as never found, finished or still running (with its last state and time followed)."""
    if not subject.bodies:
        result.never_found.append(subject.value)
    elif subject.vanished or subject.bodies[-1].get("status") in subject.rules.terminal:
        result.finished.append(subject.value)
    else:
        last = subject.bodies[-1]
        progress = last.get(subject.rules.progress) if subject.rules.progress else None
        result.unfinished.append(
            Unfinished(
                subject.value,
                str(last["status"]) if last.get("status") is not None else None,
                float(progress) if isinstance(progress, int | float) and not isinstance(progress, bool) else None,
                round(waited - (subject.first_poll_at or 0.0), 3),
            )
        )


def _account(direct: Direct, subject: _Subject) -> None:
    passed, found = check_sequence(subject.bodies, subject.rules, label=subject.facts.label)
    checks = direct.ledger.evidence.operation(subject.facts.label).checks
    for check, count in passed.items():
        checks.setdefault(check, CheckCount()).held += count
    if subject.bodies and not subject.vanished:
        checks.setdefault("lifecycle_resource_kept", CheckCount()).held += 1
    with_body = [exchange for exchange in subject.exchanges if isinstance(exchange.body, dict)]
    for check, violation, index in found:
        checks.setdefault(check, CheckCount()).failed += 1
        exchange = with_body[index]
        direct.ledger.add_failure(
            violation,
            check,
            facts=subject.facts,
            label=subject.facts.label,
            phase="lifecycle",
            sent=exchange.sent,
            received=exchange.received,
        )
