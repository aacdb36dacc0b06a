"""The verdict (``contract_tests.suite.verdict.decide``) on hand-made evidence: each reason the evidence falls short,
worded so the user knows what to do."""

from __future__ import annotations

import collections

import pytest

from contract_tests.suite.categories import Category
from contract_tests.suite.evidence import IdEvidence, OperationEvidence
from contract_tests.suite.lifecycle import LifecycleResult, Unfinished
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import Verdict, decide, parse_fail_on

GET = "GET /v1/things/{thing_id}"
LIST = "GET /v1/things"


def _result(*operations: OperationEvidence) -> RunResult:
    result = RunResult(target="t", base_url="http://t", started_at=0.0, operations=[e.operation for e in operations])
    result.evidence.operations = {e.operation: e for e in operations}
    return result


def _checked(label: str, bodies: int = 5) -> OperationEvidence:
    return OperationEvidence(
        label, requests=bodies, statuses=collections.Counter({"2xx": bodies}), checked_bodies=bodies
    )


def test_enough_checked_bodies_everywhere_is_a_pass() -> None:
    decision = decide(_result(_checked(GET), _checked(LIST)))
    assert (decision.verdict, decision.reasons, decision.exit_code) == (Verdict.PASS, (), 0)


def test_all_means_every_category() -> None:
    assert parse_fail_on(" all ") == tuple(Category)
    with pytest.raises(ValueError, match=r"unknown category \(none\); known: all, "):
        parse_fail_on(" , ")


def test_one_operation_refusing_the_key_is_named() -> None:
    refused = OperationEvidence(
        GET, requests=6, statuses=collections.Counter({"4xx": 6}), authenticated=6, auth_refused=5
    )
    decision = decide(_result(refused, _checked(LIST)))
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        f"every authenticated request to {GET} got 401/403: is TOKENOPS_API_KEY allowed to use it?",
    )


def test_known_deviations_are_not_evidence() -> None:
    known = OperationEvidence(GET, requests=5, statuses=collections.Counter({"2xx": 5}), known_only_bodies=5)
    decision = decide(_result(known, _checked(LIST)))
    assert decision.reasons == (
        f"no 2xx body for {GET} without a known deviation (5 had one): "
        "known deviations are not evidence; fix them or test another server",
    )


def test_given_ids_never_requested_are_named() -> None:
    result = _result(_checked(GET))
    result.evidence.ids = {
        ("thing_id", "t1"): IdEvidence("thing_id", "t1", given=True),
        ("video_id", "v1"): IdEvidence("video_id", "v1", given=True),
        ("thing_id", "made"): IdEvidence("thing_id", "made", given=False),  # the suite's own: never a reason
    }
    assert decide(result).reasons == (
        "--path-id thing_id=t1 was never requested: no operation the run reached takes it",
        "--video-id v1 was never requested: no operation the run reached takes it",
    )


def test_a_spec_without_operations_is_inconclusive() -> None:
    decision = decide(_result())
    assert (decision.verdict, decision.reasons) == (Verdict.INCONCLUSIVE, ("the spec has no operation to test",))


def test_lifecycle_jobs_none_of_which_finished_are_inconclusive_and_listed() -> None:
    result = _result(_checked(GET))
    running = [Unfinished("v1", "in_progress", 40, 2.5), Unfinished("v2", "queued", None, 2.5)]
    result.lifecycle = LifecycleResult(followed=["v1", "v2"], unfinished=running, deadline=2.5)
    assert decide(result).reasons == (
        "lifecycle: no followed resource reached a terminal state within 2.5 s (v1 (in_progress, 40 %, followed "
        "2.5 s), v2 (queued, followed 2.5 s)): raise --lifecycle-timeout or pass the ids of a job close to done",
    )


def test_one_finished_lifecycle_job_is_evidence_enough() -> None:
    result = _result(_checked(GET))
    running = [Unfinished("v1", "in_progress", 40, 120)]
    result.lifecycle = LifecycleResult(followed=["v1", "v2"], finished=["v2"], unfinished=running, deadline=120)
    decision = decide(result)
    assert (decision.verdict, decision.reasons) == (Verdict.PASS, ())


def test_an_interrupted_run_is_interrupted_whatever_it_found() -> None:
    result = _result(_checked(GET, bodies=1))
    result.interrupted = True
    decision = decide(result)
    assert (decision.verdict, decision.exit_code) == (Verdict.INTERRUPTED, 130)
    # Not "raise --max-examples": what the run lacks, it lacks because it stopped.
    assert decision.reasons == (
        "the run was interrupted before it had the evidence to conclude: run it again to the end",
    )


def test_an_operation_that_takes_no_input_needs_one_checked_body() -> None:
    result = _result(_checked(GET), _checked(LIST, bodies=1))
    assert decide(result).verdict is Verdict.INCONCLUSIVE  # LIST has a query: five different requests are possible
    result.fixed_requests = [LIST]  # no parameter, no body: every request is the same one
    assert decide(result).verdict is Verdict.PASS
    result.evidence.operations[LIST] = _checked(LIST, bodies=0)
    assert decide(result).verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize("kind", ["5xx", "pages"])
def test_a_server_answering_errors_to_everything_gets_advice_about_the_server_not_the_ids(kind: str) -> None:
    statuses = collections.Counter({"5xx": 12} if kind == "5xx" else {"2xx": 12})
    broken = OperationEvidence(GET, requests=12, statuses=statuses, authenticated=12, error_answers=12)
    decision = decide(
        _result(broken, OperationEvidence(LIST, requests=3, statuses=collections.Counter({"5xx": 3}), error_answers=3))
    )
    assert decision.reasons == (
        "the server answers errors to every request: a 5xx or a page that is not an API response; fix the server, "
        "or check that --target is the API and not a proxy's error page",
    )
