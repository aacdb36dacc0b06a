"""The verdict of a run: exactly one of pass (0), fail (1), inconclusive (3), interrupted (130).

- **interrupted**: the run was stopped (Ctrl-C); what was seen is reported, nothing is concluded.
- **fail**: a new finding (not in the baseline, or an expired entry) in a ``--fail-on`` category.
- **inconclusive**: nothing failed, but the evidence is not enough to say the server conforms. Each reason
  is one line saying why and what to do. Also when every operation answered only 404: the run never reached
  the API (``--target`` with a ``/v1`` suffix), so its findings about those 404s are reported but not judged.
- **pass**: none of the above. For every operation tested, at least ``min_checked`` 2xx bodies (one for an
  operation that takes no input: every request to it is the same) were schema-checked with no finding at all
  (a body with a known deviation never counts); every given id was requested and one of its bodies checked; the
  run's key was not refused everywhere; no phase stopped early; at least one followed lifecycle resource reached a
  terminal state (the others, still running at the deadline, are listed with their last state).

Operations the run did not test (writes not allowed against a live target, or none left under ``--max-writes``) are
listed in every report and need no evidence; an operation ``--max-writes`` cut short needs one checked body.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import attrs

from contract_tests.suite.categories import Category
from contract_tests.suite.evidence import NO_RESPONSE, OperationEvidence
from contract_tests.suite.runner import RunResult

__all__ = [
    "DEFAULT_FAIL_ON",
    "DEFAULT_MIN_CHECKED",
    "EXIT_CODES",
    "Decision",
    "Verdict",
    "decide",
    "errors_everywhere",
    "parse_fail_on",
]

DEFAULT_MIN_CHECKED = 5
DEFAULT_FAIL_ON = (Category.SERVER_NONCONFORMANCE, Category.LIFECYCLE_VIOLATION, Category.CLIENT_INCOMPATIBILITY)


class Verdict(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    INTERRUPTED = "interrupted"


EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCONCLUSIVE: 3, Verdict.INTERRUPTED: 130}


@attrs.frozen
class Decision:
    verdict: Verdict
    # Why the evidence is not enough (one line each: the cause, then what to do). Also listed for fail runs, as
    # context; an interrupted run has one: it was interrupted (what it lacks, it lacks for that reason).
    reasons: tuple[str, ...]
    failing: int  # new findings in a failing category
    fail_on: tuple[Category, ...]
    min_checked: int

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def parse_fail_on(text: str) -> tuple[Category, ...]:
    """``server_nonconformance,spec_gap`` (or ``all``) -> categories.

    Raises:
        ValueError: an unknown category; the message lists the known ones.
    """
    names = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    if names == ["all"]:
        return tuple(Category)
    known = {category.value: category for category in Category}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(f"unknown category {', '.join(unknown) or '(none)'}; known: all, {', '.join(known)}")
    return tuple(known[name] for name in names)


def _statuses(evidence: OperationEvidence) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(evidence.statuses.items())) or "no responses"


def _not_found_only(evidence: OperationEvidence) -> bool:
    """No 2xx at all and most authenticated requests answered 404."""
    return not evidence.statuses.get("2xx") and evidence.not_found > evidence.authenticated / 2


def _api_not_reached(result: RunResult) -> bool:
    """Every operation answered 404 and nothing else: the API is not where --target points."""
    return bool(result.tested) and all(_not_found_only(result.evidence.operation(label)) for label in result.tested)


def errors_everywhere(result: RunResult) -> bool:
    """No usable answer anywhere: no operation got a checked 2xx body, and most requests to each got a 5xx, a page
    that is not an API response, or no response at all (a server that is down, misrouted or behind a broken proxy;
    the odd 4xx a server sends before routing, for a huge path or header, does not change that)."""
    tried = [e for label in result.operations if (e := result.evidence.operation(label)).requests]
    return bool(tried) and all(
        e.checked_bodies == 0 and (e.error_answers + e.statuses.get(NO_RESPONSE, 0)) * 2 > e.requests for e in tried
    )


def _errors_reason(result: RunResult) -> str:
    evidence = [result.evidence.operation(label) for label in result.operations]
    unanswered = sum(e.statuses.get(NO_RESPONSE, 0) for e in evidence)
    errors = sum(e.error_answers for e in evidence)
    requests = sum(e.requests for e in evidence)
    if unanswered * 2 > requests:
        return (
            f"the server did not answer {unanswered} of {requests} requests (see the transport findings): "
            "is it up, and is --target its address?"
        )
    every = "every request" if errors + unanswered == requests else f"nearly every request ({errors} of {requests})"
    return (
        f"the server answers errors to {every}: a 5xx or a page that is not an API response; fix the server, or "
        "check that --target is the API and not a proxy's error page"
    )


def _operation_reasons(result: RunResult, min_checked: int) -> Iterable[str]:
    # "Every" allows for the odd request a server refuses before looking at the key (a 414 for a huge path).
    all_refused = [
        evidence
        for evidence in result.evidence.operations.values()
        if not evidence.statuses.get("2xx") and evidence.auth_refused > evidence.authenticated / 2
    ]
    if all_refused and len(all_refused) == len(result.tested):
        yield "every authenticated request got 401: is TOKENOPS_API_KEY right?"
        return
    if errors_everywhere(result):
        yield _errors_reason(result)
        return
    fixed = set(result.fixed_requests) | set(result.write_capped)
    for label in result.tested:
        evidence = result.evidence.operation(label)
        checked = evidence.checked_bodies
        if checked >= (min(min_checked, 1) if label in fixed else min_checked):
            continue
        if evidence in all_refused:
            yield f"every authenticated request to {label} got 401/403: is TOKENOPS_API_KEY allowed to use it?"
        elif _not_found_only(evidence):
            where = "every id returned 404; check the ids and" if "{" in label else "every request returned 404; check"
            yield f"no 2xx body for {label}: {where} that --target is the API's base URL"
        elif checked == 0 and evidence.known_only_bodies:
            yield (
                f"no 2xx body for {label} without a known deviation ({evidence.known_only_bodies} had one): "
                "known deviations are not evidence; fix them or test another server"
            )
        elif checked == 0:
            hint = (
                "pass ids it may delete with --disposable-id" if label.startswith("DELETE ") else "give ids that exist"
            )
            yield f"no 2xx body checked for {label} ({_statuses(evidence)}): {hint}, or see the findings"
        else:
            yield (
                f"only {checked} 2xx bod{'y' if checked == 1 else 'ies'} checked for {label} (need {min_checked}): "
                "raise --max-examples, give more ids, or lower --min-checked"
            )


def _id_reasons(result: RunResult) -> Iterable[str]:
    for evidence in result.evidence.ids.values():
        if not evidence.given:
            continue
        name = (
            f"--video-id {evidence.value}"
            if evidence.parameter == "video_id"
            else f"--path-id {evidence.parameter}={evidence.value}"
        )
        if evidence.requests == 0:
            yield f"{name} was never requested: no operation the run reached takes it"
        elif evidence.checked_bodies == 0:
            statuses = ", ".join(f"{n} {kind}" for kind, n in sorted(evidence.statuses.items()))
            yield f"{name}: no 2xx body checked in {evidence.requests} request(s) ({statuses}); check the id"


def _run_reasons(result: RunResult) -> Iterable[str]:
    if not result.operations:
        yield "the spec has no operation to test"
    elif not result.tested:
        yield (
            "no operation was tested: every one sends writes, and writes are not allowed against --target; "
            "pass --include-writes (with --max-writes N) to test them"
        )
    yield from (f"{line}: see the errors and findings" for line in result.aborted)
    lifecycle = result.lifecycle
    if _api_not_reached(result):
        yield "every operation answered only 404: the API is not at --target, so no finding is judged"
    if lifecycle.proves_nothing:
        count = len(lifecycle.unfinished)
        yield (
            f"lifecycle: no followed resource reached a terminal state within {lifecycle.deadline:g} s "
            f"({', '.join(item.describe() for item in lifecycle.unfinished)}): raise --lifecycle-timeout or pass "
            f"the id{'s' if count != 1 else ''} of a job close to done"
        )


def decide(
    result: RunResult, *, fail_on: Sequence[Category] = DEFAULT_FAIL_ON, min_checked: int = DEFAULT_MIN_CHECKED
) -> Decision:
    """The run's verdict and the reasons the evidence falls short (if it does)."""
    failing = sum(1 for finding in result.new_findings if finding.category in fail_on)
    if result.interrupted:  # what is missing is missing because the run stopped: that is the one thing to say
        found = ["the run was interrupted before it had the evidence to conclude: run it again to the end"]
    else:
        found = [*_run_reasons(result), *_operation_reasons(result, min_checked), *_id_reasons(result)]
    reasons = tuple(dict.fromkeys(found))
    if result.interrupted:
        verdict = Verdict.INTERRUPTED
    elif failing and not _api_not_reached(result):
        verdict = Verdict.FAIL
    elif reasons:
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = Verdict.PASS
    return Decision(verdict, reasons, failing, tuple(fail_on), min_checked)
