"""The verdict (``contract_tests.suite.verdict.decide``) on hand-made evidence: each reason the evidence falls short,
worded so the user knows what to do."""

from __future__ import annotations

import collections
from typing import Any

import pytest

from contract_tests.suite.categories import Category
from contract_tests.suite.evidence import IdEvidence, OperationEvidence
from contract_tests.suite.findings import Finding
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


# --- each reason worded exactly, at its thresholds (what make mutation checks the verdict by) ------------------

DELETE = "DELETE /v1/things/{thing_id}"


def _answered(label: str, **counts: Any) -> OperationEvidence:
    """Evidence of ``label`` with these status-class counts (``ok=``, ``client=``, ``server=``) and fields."""
    statuses = collections.Counter(
        {
            kind: counts.pop(name)
            for name, kind in (("ok", "2xx"), ("client", "4xx"), ("server", "5xx"))
            if name in counts
        }
    )
    return OperationEvidence(label, requests=sum(statuses.values()), statuses=statuses, **counts)


def _finding(category: Category, *, known: bool = False) -> Finding:
    return Finding(
        check="status_code_conformance",
        category=category,
        failure_type="UndefinedStatusCode",
        title="t",
        message="m",
        key="500",
        operation=GET,
        phase="fuzzing",
        status_code=500,
        request={},
        response=None,
        known=known,
    )


def test_fail_on_takes_names_with_dashes_or_underscores_in_the_order_given() -> None:
    assert parse_fail_on("spec-gap, server_nonconformance") == (Category.SPEC_GAP, Category.SERVER_NONCONFORMANCE)
    assert parse_fail_on("lifecycle_violation") == (Category.LIFECYCLE_VIOLATION,)


def test_an_unknown_category_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown category ") as raised:
        parse_fail_on("spec_gap,bogus,nope")
    assert str(raised.value) == (
        "unknown category bogus, nope; known: all, server_nonconformance, spec_gap, client_incompatibility,"
        " lifecycle_violation, client_nonconformance"
    )


def test_every_operation_refusing_the_key_is_one_reason() -> None:
    refused = [_answered(label, client=4, authenticated=4, auth_refused=3) for label in (LIST, GET)]
    assert decide(_result(*refused)).reasons == ("every authenticated request got 401: is TOKENOPS_API_KEY right?",)


def test_half_of_the_requests_refused_is_not_refusing_the_key() -> None:
    half = _answered(GET, client=4, authenticated=4, auth_refused=2)
    assert decide(_result(half)).reasons == (
        f"no 2xx body checked for {GET} (4 4xx): give ids that exist, or see the findings",
    )


def test_an_operation_that_answers_2xx_does_not_refuse_the_key() -> None:
    some = _answered(GET, ok=2, client=5, authenticated=7, auth_refused=5, checked_bodies=2)
    assert decide(_result(some)).reasons == (
        f"only 2 2xx bodies checked for {GET} (need 5): raise --max-examples, give more ids, or lower --min-checked",
    )


def test_each_operation_short_of_evidence_is_named_after_those_with_enough() -> None:
    short = _answered(LIST, ok=1, checked_bodies=1)
    decision = decide(_result(_checked(GET), short, _checked("GET /v1/other")))
    assert decision.reasons == (
        f"only 1 2xx body checked for {LIST} (need 5): raise --max-examples, give more ids, or lower --min-checked",
    )
    assert (decision.verdict, decision.min_checked) == (Verdict.INCONCLUSIVE, 5)
    assert decide(_result(short), min_checked=1).reasons == ()
    assert decide(_result(short), min_checked=1).min_checked == 1


@pytest.mark.parametrize(
    ("label", "where"),
    [
        (GET, "every id returned 404; check the ids and"),
        (LIST, "every request returned 404; check"),
    ],
)
def test_an_operation_answering_mostly_404_says_where_to_look(label: str, where: str) -> None:
    lost = _answered(label, client=5, authenticated=5, not_found=3)
    fine = _checked("GET /v1/other")
    assert decide(_result(fine, lost)).reasons == (
        f"no 2xx body for {label}: {where} that --target is the API's base URL",
    )


def test_half_of_the_requests_404_is_not_mostly_404() -> None:
    half = _answered(GET, client=4, authenticated=4, not_found=2)
    fine = _checked("GET /v1/other")
    assert decide(_result(fine, half)).reasons == (
        f"no 2xx body checked for {GET} (4 4xx): give ids that exist, or see the findings",
    )


def test_a_2xx_is_never_mostly_404() -> None:
    some = _answered(GET, ok=1, client=5, authenticated=6, not_found=5)
    assert decide(_result(some)).reasons == (
        f"no 2xx body checked for {GET} (1 2xx, 5 4xx): give ids that exist, or see the findings",
    )


def test_a_delete_without_checked_bodies_asks_for_disposable_ids() -> None:
    gone = _answered(DELETE, client=2, server=1)
    assert decide(_result(gone)).reasons == (
        f"no 2xx body checked for {DELETE} (2 4xx, 1 5xx): pass ids it may delete with --disposable-id, or see"
        " the findings",
    )


def test_an_operation_that_got_no_answer_says_so() -> None:
    assert decide(_result(OperationEvidence(GET))).reasons == (
        f"no 2xx body checked for {GET} (no responses): give ids that exist, or see the findings",
    )


def test_some_checked_bodies_with_known_deviations_are_too_few_not_unknown() -> None:
    mixed = _answered(GET, ok=4, checked_bodies=2, known_only_bodies=2)
    assert decide(_result(mixed)).reasons == (
        f"only 2 2xx bodies checked for {GET} (need 5): raise --max-examples, give more ids, or lower --min-checked",
    )


def test_a_given_id_that_never_got_a_checked_body_is_named_with_its_answers() -> None:
    result = _result(_checked(GET))
    result.evidence.ids = {
        ("thing_id", "made"): IdEvidence("thing_id", "made", given=False, requests=3),  # the suite's own first
        ("video_id", "v1"): IdEvidence(
            "video_id", "v1", given=True, requests=3, statuses=collections.Counter({"5xx": 1, "4xx": 2})
        ),
        ("thing_id", "t1"): IdEvidence("thing_id", "t1", given=True, requests=2, checked_bodies=1),
    }
    assert decide(result).reasons == (
        "--video-id v1: no 2xx body checked in 3 request(s) (2 4xx, 1 5xx); check the id",
    )


def test_a_run_that_stopped_early_says_where() -> None:
    result = _result(_checked(GET))
    result.aborted = [
        "fuzzing: GET /v1/things stopped early: ValueError",
        "fuzzing: GET /v1/things stopped early: ValueError",
    ]
    assert decide(result).reasons == ("fuzzing: GET /v1/things stopped early: ValueError: see the errors and findings",)


def test_a_new_finding_in_a_failing_category_fails_the_run_and_counts() -> None:
    result = _result(_checked(GET))
    result.findings = [
        _finding(Category.SERVER_NONCONFORMANCE),
        _finding(Category.SERVER_NONCONFORMANCE),
        _finding(Category.SPEC_GAP),  # not failing by default
        _finding(Category.SERVER_NONCONFORMANCE, known=True),  # in the baseline
    ]
    decision = decide(result)
    assert (decision.verdict, decision.failing, decision.exit_code, decision.reasons) == (Verdict.FAIL, 2, 1, ())
    assert decision.fail_on == (
        Category.SERVER_NONCONFORMANCE,
        Category.LIFECYCLE_VIOLATION,
        Category.CLIENT_INCOMPATIBILITY,
    )
    spec_gaps = decide(result, fail_on=[Category.SPEC_GAP])
    assert (spec_gaps.verdict, spec_gaps.failing, spec_gaps.fail_on) == (Verdict.FAIL, 1, (Category.SPEC_GAP,))


def test_a_run_that_never_reached_the_api_judges_no_finding() -> None:
    lost = [_answered(label, client=4, authenticated=4, not_found=4) for label in (GET, LIST)]
    result = _result(*lost)
    result.findings = [_finding(Category.SERVER_NONCONFORMANCE)]
    decision = decide(result)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.failing == 1
    assert (
        decision.reasons[0] == "every operation answered only 404: the API is not at --target, so no finding is judged"
    )
    assert len(decision.reasons) == 3  # and one line per operation


# --- a server that answers nothing usable: errors_everywhere and its reason, at their thresholds ------------------

NO_ANSWER = "no response"  # contract_tests.suite.evidence.NO_RESPONSE


def _failing(label: str, *, requests: int, errors: int = 0, unanswered: int = 0) -> OperationEvidence:
    statuses = collections.Counter({"5xx": errors, NO_ANSWER: unanswered, "4xx": requests - errors - unanswered})
    return OperationEvidence(label, requests=requests, statuses=+statuses, error_answers=errors)


ERRORS_TAIL = (
    ": a 5xx or a page that is not an API response; fix the server, or check that --target is the API and not a "
    "proxy's error page"
)


@pytest.mark.parametrize(
    ("errors", "unanswered", "everywhere"),
    [
        (7, 0, True),  # 7 of 12 errors: more than half
        (6, 0, False),  # exactly half: not "everywhere"
        (4, 3, True),  # errors and unanswered requests count together: 7 of 12
        (3, 3, False),  # 6 of 12
        (0, 7, True),  # unanswered alone
    ],
)
def test_errors_everywhere_means_more_than_half_of_each_operations_requests(
    errors: int, unanswered: int, everywhere: bool
) -> None:
    from contract_tests.suite.verdict import errors_everywhere  # noqa: PLC0415

    result = _result(_failing(GET, requests=12, errors=errors, unanswered=unanswered))
    assert errors_everywhere(result) is everywhere
    reasons = decide(result).reasons
    assert any(reason.startswith(("the server answers errors", "the server did not answer")) for reason in reasons) is (
        everywhere
    )


def test_an_operation_with_a_checked_body_is_not_errors_everywhere() -> None:
    from contract_tests.suite.verdict import errors_everywhere  # noqa: PLC0415

    failing = _failing(GET, requests=12, errors=12)
    assert errors_everywhere(_result(failing))
    assert not errors_everywhere(_result(failing, _checked(LIST, bodies=1)))


@pytest.mark.parametrize(
    ("errors", "unanswered", "reason"),
    [
        (
            0,
            12,
            "the server did not answer 12 of 12 requests (see the transport findings): is it up, and is --target "
            "its address?",
        ),
        (
            5,
            7,
            "the server did not answer 7 of 12 requests (see the transport findings): is it up, and is --target "
            "its address?",
        ),
        (6, 6, "the server answers errors to every request" + ERRORS_TAIL),  # half unanswered: errors, all of them
        (10, 0, "the server answers errors to nearly every request (10 of 12)" + ERRORS_TAIL),
        (9, 2, "the server answers errors to nearly every request (9 of 12)" + ERRORS_TAIL),
    ],
)
def test_the_errors_reason_says_unanswered_when_most_requests_got_nothing_and_counts_the_rest(
    errors: int, unanswered: int, reason: str
) -> None:
    assert decide(_result(_failing(GET, requests=12, errors=errors, unanswered=unanswered))).reasons == (reason,)


def test_the_errors_reason_counts_every_operation() -> None:
    result = _result(_failing(GET, requests=4, unanswered=4), _failing(LIST, requests=8, errors=8))
    assert decide(result).reasons == ("the server answers errors to every request" + ERRORS_TAIL,)  # 4 of 12: no
    result = _result(_failing(GET, requests=8, unanswered=8), _failing(LIST, requests=4, errors=4))
    assert decide(result).reasons[0].startswith("the server did not answer 8 of 12 requests ")


def test_a_run_whose_every_operation_is_a_write_not_allowed_says_how_to_test_them() -> None:
    result = _result(_answered(GET))
    result.not_tested = {GET: "writes not allowed (--include-writes sends them)"}
    assert decide(result).reasons == (
        "no operation was tested: every one sends writes, and writes are not allowed against --target; "
        "pass --include-writes (with --max-writes N) to test them",
    )


def test_one_unfinished_lifecycle_job_is_asked_for_by_its_id() -> None:
    result = _result(_checked(GET))
    result.lifecycle = LifecycleResult(followed=["v1"], unfinished=[Unfinished("v1", "queued", None, 3)], deadline=3)
    assert decide(result).reasons == (
        "lifecycle: no followed resource reached a terminal state within 3 s (v1 (queued, followed 3 s)): raise "
        "--lifecycle-timeout or pass the id of a job close to done",
    )
