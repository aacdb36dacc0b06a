"""What a run counts is what happened: the check matrix against an independent count of the server's answers,
every given id requested and checked, uniform steering, and findings that name the right cause."""

from __future__ import annotations

import collections
import json
import types
from typing import Any

import httpx
import pytest

from contract_tests.mock import MockClock, create_app
from contract_tests.suite.checks import NOT_APPLICABLE, Reply, progress_in_range, response_id_matches_request
from contract_tests.suite.report import to_json
from contract_tests.suite.runner import RunOptions, RunResult, _Engine, run
from contract_tests.suite.spec_facts import load_facts
from contract_tests.suite.steering import ABSENT_ID, KEEP_GENERATED_EVERY, IdPools, Steering
from contract_tests.suite.targets import EMBEDDED_START, remote, serve_app
from contract_tests.suite.verdict import decide
from contract_tests.suite.writes import WritePolicy
from tests.conformance_fakes import FOCUS_OPERATIONS, LABEL, PROJECT_BASELINE, STATUS_PATH, Breaker, Recorder, matrix_of
from tests.conftest import ROOT, SERVER_KEY

KEY = "sk-evidence"
FACTS = load_facts(ROOT / "openapi.yaml")


def _reply(body: Any, status: int = 200, video_id: str = "video_1") -> Reply:
    facts = FACTS.operation(LABEL)
    assert facts is not None
    return Reply(facts, FACTS, "GET", {"video_id": video_id}, status, "application/json", json.dumps(body).encode())


def test_progress_zero_as_a_float_is_in_range() -> None:
    # JSON Schema counts 0.0 as an integer; so does the check (the mock and real servers send it).
    assert progress_in_range(_reply({"id": "video_1", "status": "in_progress", "progress": 0.0})) is None
    with pytest.raises(AssertionError, match="progress is 101"):
        progress_in_range(_reply({"id": "video_1", "status": "in_progress", "progress": 101}))


def test_the_suite_checks_say_when_they_do_not_apply() -> None:
    # True is what schemathesis counts as "skipped"; None as "passed".
    assert response_id_matches_request(_reply({"error": {"message": "x"}}, status=404)) is NOT_APPLICABLE
    assert progress_in_range(_reply({"id": "video_1"})) is NOT_APPLICABLE
    assert response_id_matches_request(_reply({"id": "video_1"})) is None
    with pytest.raises(AssertionError) as raised:
        response_id_matches_request(_reply({"id": "video_2"}))
    assert raised.value.evidence == {"field": "id", "asked": "video_1", "got": "video_2"}  # type: ignore[attr-defined]


@pytest.mark.integration
def test_matrix_counts_equal_an_independent_count_of_the_answers() -> None:
    recorder = Recorder(create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), log_requests=False))
    target = serve_app(recorder, control=True)
    try:
        result = run(RunOptions(target=target, api_key=KEY, max_examples=5, operations=FOCUS_OPERATIONS))
    finally:
        target.close()
    matrix = matrix_of(to_json(result, decide(result), {}))
    video_bodies = [
        json.loads(body)
        for method, path, status, kind, body, _headers in recorder.responses
        if method == "GET" and STATUS_PATH.match(path) and status == 200 and kind == "application/json"
    ]
    assert video_bodies
    # Every 2xx JSON body of the operation went through the id and client checks, and nothing else did.
    for check in ("response_id_matches_request", "client_strict_parse", "client_tolerant_parse"):
        assert matrix[check]["held"] + matrix[check]["failed"] == len(video_bodies), check
    in_a_state_with_rules = [body for body in video_bodies if body.get("status") in ("completed", "failed")]
    assert matrix["status_implies_fields"]["held"] == len(in_a_state_with_rules)
    answered = result.evidence.operation(LABEL).responses_checked
    for check, row in matrix.items():
        if not check.startswith("lifecycle_"):
            assert row["held"] + row["failed"] + row["not_applicable"] + row["errored"] == answered, check
    assert matrix["client_strict_parse"]["not_applicable"] == answered - len(video_bodies)


@pytest.mark.integration
@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_every_given_id_is_requested_and_checked(server: str, count: int) -> None:
    ids = [f"video_given_{index}" for index in range(count)]
    # Finished videos (created an hour ago), as ids given for a live server usually are: every operation applies.
    jobs = [{"id": video_id, "created_at": 3600} for video_id in ids]
    created = httpx.post(f"{server}/_mock/jobs", json=jobs, timeout=5)
    assert created.status_code == 201
    target = remote(server)
    try:
        result = run(
            RunOptions(
                target=target, api_key=SERVER_KEY, ids={"video_id": ids}, max_examples=10, operations=FOCUS_OPERATIONS
            )
        )
    finally:
        target.close()
    evidence = {e.value: e for e in result.evidence.ids.values() if e.given}
    assert sorted(evidence) == ids
    for video_id in ids:
        assert evidence[video_id].requests >= 2, video_id  # steered fuzzing plus the sweep
        assert evidence[video_id].checked_bodies >= 1, video_id
    assert decide(result).verdict.value == "pass"


@pytest.mark.parametrize("count", range(1, 9))
def test_steering_is_uniform_over_the_given_ids(count: int) -> None:
    ids = [f"video_{index}" for index in range(count)]
    steering = Steering(FACTS, IdPools(readable={"video_id": ids}))
    seen = collections.Counter(steering.choose(LABEL, "video_id") for _ in range(count * 40 * KEEP_GENERATED_EVERY))
    kept = seen.pop(None)
    assert kept == count * 40  # one case in four keeps its generated value
    assert set(seen) == set(ids)
    assert max(seen.values()) - min(seen.values()) <= 1


class Case:
    """The parts of a schemathesis case the suite reads (a DELETE unless told)."""

    meta = None

    def __init__(self, video_id: str, label: str = LABEL, method: str = "DELETE") -> None:
        self.path_parameters = {"video_id": video_id}
        self.operation = types.SimpleNamespace(label=label)
        self.method = method


def test_steering_passes_over_ids_an_operation_refused() -> None:
    ids = ["video_done", "video_pending", "video_gone"]
    steering = Steering(FACTS, IdPools(readable={"video_id": ids}))
    content = "GET /v1/videos/{video_id}/content"

    def steered(label: str) -> set[str | None]:
        return {steering.choose(label, "video_id") for _ in range(4 * KEEP_GENERATED_EVERY)} - {None}

    for video_id, status in (("video_done", 200), ("video_pending", 409), ("video_gone", 404), ("video_done", 500)):
        steering.observe(Case(video_id, content), status)
    assert steered(content) == {"video_done"}
    assert steered(LABEL) == set(ids)  # what one operation refused says nothing about another
    steering.observe(Case("video_done", content), 410)
    assert steered(content) == set(ids)  # every id refused: the whole pool again, round-robin


def test_a_delete_never_names_a_known_id() -> None:
    readable = IdPools(readable={"video_id": ["video_real"]})
    assert Steering(FACTS, readable).steer(Case("video_real")).path_parameters == {"video_id": ABSENT_ID}
    assert Steering(FACTS, readable).steer(Case("random")).path_parameters == {"video_id": "random"}
    readable.add("video_id", ["video_spare"], disposable=True)
    assert Steering(FACTS, readable).steer(Case("video_real")).path_parameters == {"video_id": "video_spare"}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("how", "when"),
    [
        ("html-401", lambda scope, n: not any(name == b"authorization" for name, _ in scope["headers"])),
        ("text-401", lambda scope, n: not any(name == b"authorization" for name, _ in scope["headers"])),
        ("html-404", lambda scope, n: scope["path"].endswith("video_123456789")),
    ],
    ids=["html-401", "text-401", "html-404"],
)
def test_a_proxy_page_instead_of_an_api_error_is_a_new_server_nonconformance(how: str, when: Any) -> None:
    app = create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), log_requests=False)
    target = serve_app(Breaker(app, how, when), control=True)
    try:
        result = run(
            RunOptions(
                target=target, api_key=KEY, max_examples=5, baseline=PROJECT_BASELINE, operations=FOCUS_OPERATIONS
            )
        )
    finally:
        target.close()
    report = to_json(result, decide(result), {})
    status = how.rsplit("-", 1)[1]
    fresh = [f for f in report["findings"] if f["status"] != "known"]
    assert [(f["category"], f["check"]) for f in fresh] == [("server_nonconformance", "not_an_api_response")]
    assert fresh[0]["signature"].startswith(status)
    assert report["verdict"]["verdict"] == "fail"
    # The page is one finding, however many checks failed on it (schema, status, auth...).
    assert len(fresh[0]["evidence"]["checks_failed"]) >= 1


def test_reports_name_the_public_address_of_the_embedded_mock() -> None:
    from contract_tests.suite.baseline import KnownDeviations  # noqa: PLC0415
    from contract_tests.suite.findings import Ledger  # noqa: PLC0415

    ledger = Ledger(
        KnownDeviations(None), KEY, base_url="http://127.0.0.1:53124", public_base_url="http://127.0.0.1:4010"
    )
    error = TimeoutError("HTTPConnectionPool(host='127.0.0.1', port=53124): Read timed out.")
    finding = ledger.add_transport_error(error, label=LABEL, phase="fuzzing", sent=None)
    assert "port=4010" in finding.message
    assert "53124" not in finding.message


def test_every_operation_answering_only_404_is_inconclusive_whatever_the_findings() -> None:
    """A --target with a /v1 suffix: a 404 where a 401 or 405 was due is no verdict on the API."""
    from contract_tests.suite.baseline import KnownDeviations  # noqa: PLC0415
    from contract_tests.suite.findings import Ledger  # noqa: PLC0415

    labels = [LABEL, "POST /v1/videos"]
    ledger = Ledger(KnownDeviations(None), KEY)
    ledger.add(
        check="missing_required_header",
        failure_type="MissingHeaderNotRejected",
        title="Missing header not rejected",
        message="Got 404 when missing required 'Authorization' header, expected 401",
        key="Authorization",
        operation="POST /v1/videos",
        phase="coverage",
        sent=None,
        received=None,
    )
    result = RunResult(target="t", base_url="http://t/v1", started_at=0.0, operations=labels, findings=ledger.findings)
    for label in labels:
        evidence = result.evidence.operation(label)
        evidence.authenticated = evidence.not_found = 3
        evidence.statuses["4xx"] = 3
    decision = decide(result)
    assert (decision.verdict.value, decision.failing) == ("inconclusive", 1)
    assert "every operation answered only 404: the API is not at --target, so no finding is judged" in decision.reasons
    result.evidence.operation(LABEL).statuses["2xx"] = 1  # one operation reached: the findings count
    assert decide(result).verdict.value == "fail"


def test_a_check_that_fails_because_an_earlier_step_got_a_page_is_part_of_the_page() -> None:
    from contract_tests.suite.baseline import KnownDeviations  # noqa: PLC0415
    from contract_tests.suite.checks import ContractFailure  # noqa: PLC0415
    from contract_tests.suite.evidence import Outcome  # noqa: PLC0415
    from contract_tests.suite.findings import CheckResult, Ledger  # noqa: PLC0415

    class Response:
        def __init__(self, status: int, kind: str, content: bytes) -> None:
            self.status_code, self.headers, self.content = status, {"Content-Type": kind}, content

    class Interaction:
        def __init__(self, response: Response) -> None:
            self.response = response

    page = Interaction(Response(200, "text/html", b"<html><title>Maintenance</title></html>"))
    answer = Interaction(Response(200, "application/json", json.dumps({"id": "video_1"}).encode()))
    failure = ContractFailure(operation=LABEL, title="Use after free", message="still there", key="uaf")
    result = RunResult(target="t", base_url="http://t", started_at=0.0)
    engine = _Engine(FACTS, Ledger(KnownDeviations(None), KEY), result, lambda _message: None)
    before = [CheckResult("use_after_free", Outcome.FAILED, failure)]  # judged before the page: stays
    deleted = [CheckResult("content_type_conformance", Outcome.FAILED, failure)]
    after = [CheckResult("use_after_free", Outcome.FAILED, failure), CheckResult("not_a_server_error", Outcome.HELD)]
    engine._blame_the_page([(Case("v"), answer, before), (Case("v"), page, deleted), (Case("v"), answer, after)])
    assert [r.check for r in before] == ["use_after_free"]
    assert [r.check for r in deleted] == ["content_type_conformance", "use_after_free"]
    assert [(r.check, r.outcome, r.failure) for r in after] == [
        ("use_after_free", Outcome.NOT_APPLICABLE, None),
        ("not_a_server_error", Outcome.HELD, None),
    ]


class _DotDotReachesTheListing:
    """A server whose router normalises ``/v1/videos/%2E%2E`` to ``/v1`` and answers it with an index object."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("raw_path", b"").endswith(b"/%2E%2E"):
            body = json.dumps({"object": "list", "data": [], "has_more": False}).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@pytest.mark.e2e
def test_a_probe_answered_with_another_routes_body_is_a_schema_finding_named_after_the_probe() -> None:
    app = create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), log_requests=False)
    recorder = Recorder(_DotDotReachesTheListing(app))
    target = serve_app(recorder, control=True)  # a live target (not the embedded mock): writes need --include-writes
    try:
        result = run(
            RunOptions(
                target=target,
                api_key=KEY,
                max_examples=5,
                baseline=PROJECT_BASELINE,
                writes=WritePolicy(allowed=True),
                operations=FOCUS_OPERATIONS,
            )
        )
    finally:
        target.close()
    report = to_json(result, decide(result), {})
    schema = [f for f in report["findings"] if f["check"] == "response_schema_conformance" and f["phase"] == "probes"]
    assert schema, [f["title"] for f in report["findings"]]
    assert all(f["title"].endswith("(probe: path edge 'dot-dot')") for f in schema), [f["title"] for f in schema]
    assert {(f["category"], f["status"]) for f in schema} == {("server_nonconformance", "new")}
    assert report["verdict"]["verdict"] == "fail"
    # The wrong-method DELETE probe goes to an id the run may use (one the mock created for it); no DELETE, the
    # probe's or schemathesis' own undeclared-method cases, names an id the run reads.
    deleted = {path.rsplit("/", 1)[1] for method, path, *_ in recorder.responses if method == "DELETE"}
    if "DELETE /v1/videos/{video_id}" not in result.operations:  # (a grown spec declares DELETE there: no probe)
        assert "video_conformance_disposable_01" in deleted
    readable = {job["id"] for job in result.created_jobs if "disposable" not in job["id"]}
    assert readable
    assert not deleted & readable, deleted
