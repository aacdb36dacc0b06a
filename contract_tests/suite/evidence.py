"""Evidence accounting: what a run really checked, per operation, per check and per id.

A verdict needs evidence (:mod:`contract_tests.suite.verdict`): how many 2xx bodies of each operation were
schema-checked with no finding at all (a body with a known deviation is counted apart and never counts as
evidence), how requests carrying the run's key were answered (all 401: the key is wrong), and for each id the
suite steered requests to, how often it was requested and how many of its bodies were checked.

Per check, every answered request is exactly one of: *held* (the check ran and passed), *failed*, *not
applicable* (schemathesis records nothing for a check that returns ``True``) or *errored* (the check crashed).
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Iterable, Mapping

import attrs

__all__ = ["ACROSS_RESPONSES", "CheckCount", "Evidence", "IdEvidence", "OperationEvidence", "Outcome", "status_class"]

NO_RESPONSE = "no response"
ACROSS_RESPONSES = ("lifecycle_", "pagination_")  # checks judged over several responses, counted per judgement


class Outcome(enum.StrEnum):
    HELD = "held"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    ERRORED = "errored"


def status_class(status: int | None) -> str:
    """``"2xx"`` ... ``"5xx"``, or ``"no response"``."""
    return NO_RESPONSE if status is None else f"{status // 100}xx"


@attrs.define
class CheckCount:
    held: int = 0
    failed: int = 0
    not_applicable: int = 0
    errored: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    @property
    def total(self) -> int:
        return self.held + self.failed + self.not_applicable + self.errored


@attrs.define
class OperationEvidence:
    operation: str
    requests: int = 0  # requests sent with the operation's own method (answered or not)
    statuses: collections.Counter[str] = attrs.field(factory=collections.Counter)
    checked_bodies: int = 0  # 2xx bodies that every check passed (schema-checked)
    known_only_bodies: int = 0  # 2xx bodies with known deviations only: reported, never evidence
    responses_checked: int = 0  # answered requests whose response went through checks (any method)
    authenticated: int = 0  # answered requests that carried the run's key
    auth_refused: int = 0  # ... answered 401/403
    not_found: int = 0  # ... answered 404
    error_answers: int = 0  # answered requests whose answer was a 5xx or not an API response at all (a page)
    checks: dict[str, CheckCount] = attrs.field(factory=dict)


@attrs.define
class IdEvidence:
    parameter: str
    value: str
    given: bool  # named by the user (--video-id / --path-id), not created by the suite
    requests: int = 0
    checked_bodies: int = 0
    statuses: collections.Counter[str] = attrs.field(factory=collections.Counter)


Identity = tuple[str, str, str, str]  # a finding's (operation, check, failure class, signature)


@attrs.define
class Evidence:
    operations: dict[str, OperationEvidence] = attrs.field(factory=dict)
    ids: dict[tuple[str, str], IdEvidence] = attrs.field(factory=dict)
    # Each 2xx body that held the body check but produced findings: (operation, the findings' identities). Whether
    # it counts as *known only* depends on the baseline; :meth:`recount_known_only` recounts it for another one.
    deviating_bodies: list[tuple[str, tuple[Identity, ...]]] = attrs.field(factory=list)

    def recount_known_only(self, known: set[Identity]) -> None:
        """Recount each operation's ``known_only_bodies`` with ``known`` as the findings a baseline covers."""
        for evidence in self.operations.values():
            evidence.known_only_bodies = 0
        for label, identities in self.deviating_bodies:
            self.operation(label).known_only_bodies += all(identity in known for identity in identities)

    def operation(self, label: str) -> OperationEvidence:
        """The evidence of ``label`` (created empty on first use)."""
        return self.operations.setdefault(label, OperationEvidence(label))

    def finalize(self, always: Iterable[str]) -> None:
        """Fill each check's *not applicable* count: responses checked minus held, failed and errored.

        ``always`` are checks listed for every operation even when they never applied. Checks judged across
        responses (``lifecycle_*``, ``pagination_*``) have no per-response count; theirs stays 0.
        """
        for evidence in self.operations.values():
            for name in always:
                evidence.checks.setdefault(name, CheckCount())
            for name, count in evidence.checks.items():
                if not name.startswith(ACROSS_RESPONSES):
                    count.not_applicable = max(
                        0, evidence.responses_checked - count.held - count.failed - count.errored
                    )

    def track_ids(self, parameter: str, values: Iterable[str], *, given: bool) -> None:
        """Follow ``values`` of path parameter ``parameter`` (given by the user, or created by the suite)."""
        for value in values:
            current = self.ids.get((parameter, value))
            if current is None or (given and not current.given):
                self.ids[(parameter, value)] = IdEvidence(parameter, value, given)

    def record(
        self,
        label: str,
        *,
        ordinary: bool,
        status: int | None,
        with_key: bool,
        outcomes: Mapping[str, Outcome],
        checked: bool,
        known_only: bool,
        path_params: Mapping[str, object],
        error_answer: bool = False,
    ) -> None:
        """Account one exchange of operation ``label``.

        Args:
            label: the operation.
            ordinary: sent with the operation's own method (wrong-method probes are not).
            status: the response status, None when no response came.
            with_key: the request carried the run's key.
            outcomes: each check's outcome on this response.
            checked: a 2xx body that the schema check and every other check passed.
            known_only: a 2xx body whose only failures are known deviations.
            path_params: the path parameters sent.
            error_answer: the answer was a 5xx or not an API response at all.
        """
        evidence = self.operation(label)
        for name, outcome in outcomes.items():
            if outcome is not Outcome.NOT_APPLICABLE:  # computed by finalize(): checked responses minus the rest
                evidence.checks.setdefault(name, CheckCount()).add(outcome)
        evidence.responses_checked += bool(outcomes)
        if not ordinary:
            return
        evidence.requests += 1
        evidence.statuses[status_class(status)] += 1
        evidence.checked_bodies += checked
        evidence.known_only_bodies += known_only
        evidence.error_answers += error_answer
        if with_key and status is not None:
            evidence.authenticated += 1
            evidence.auth_refused += status in (401, 403)
            evidence.not_found += status == 404  # noqa: PLR2004
        for parameter, value in path_params.items():
            tracked = self.ids.get((parameter, str(value)))
            if tracked is not None:
                tracked.requests += 1
                tracked.checked_bodies += checked
                tracked.statuses[status_class(status)] += 1
