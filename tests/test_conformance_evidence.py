"""What a run counts is what happened: the check matrix against an independent count of the server's answers,
every given id requested and checked, uniform steering, and findings that name the right cause."""

from __future__ import annotations

import collections
import json
from typing import Any

import httpx
import pytest

from contract_tests.checks import NOT_APPLICABLE, Reply, progress_in_range, response_id_matches_request
from contract_tests.mock import MockClock, create_app
from contract_tests.report import to_json
from contract_tests.runner import RunOptions, run
from contract_tests.spec_facts import load_facts
from contract_tests.steering import ABSENT_ID, KEEP_GENERATED_EVERY, IdPools, Steering
from contract_tests.targets import EMBEDDED_START, remote, serve_app
from contract_tests.verdict import decide
from tests.conformance_fakes import Breaker, Recorder
from tests.conftest import ROOT, SERVER_KEY

KEY = "sk-evidence"
FACTS = load_facts(ROOT / "openapi.yaml")
LABEL = "GET /v1/videos/{video_id}"


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


@pytest.mark.e2e
def test_matrix_counts_equal_an_independent_count_of_the_answers() -> None:
    recorder = Recorder(create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), log_requests=False))
    target = serve_app(recorder, control=True)
    try:
        result = run(RunOptions(target=target, api_key=KEY, max_examples=10))
    finally:
        target.close()
    matrix = {row["check"]: row for row in to_json(result, decide(result), {})["matrix"]}
    video_bodies = [
        json.loads(body)
        for method, path, status, kind, body, _headers in recorder.responses
        if method == "GET" and path.startswith("/v1/videos/") and status == 200 and kind == "application/json"
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


@pytest.mark.e2e
@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_every_given_id_is_requested_and_checked(server: str, count: int) -> None:
    ids = [f"video_given_{index}" for index in range(count)]
    created = httpx.post(f"{server}/_mock/jobs", json=[{"id": video_id} for video_id in ids], timeout=5)
    assert created.status_code == 201
    target = remote(server)
    result = run(RunOptions(target=target, api_key=SERVER_KEY, ids={"video_id": ids}, max_examples=10))
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


def test_a_delete_never_names_a_known_id() -> None:
    class Case:
        class operation:
            label = LABEL

        method = "DELETE"
        meta = None

        def __init__(self, video_id: str) -> None:
            self.path_parameters = {"video_id": video_id}

    readable = IdPools(readable={"video_id": ["video_real"]})
    assert Steering(FACTS, readable).steer(Case("video_real")).path_parameters == {"video_id": ABSENT_ID}
    assert Steering(FACTS, readable).steer(Case("random")).path_parameters == {"video_id": "random"}
    readable.add("video_id", ["video_spare"], disposable=True)
    assert Steering(FACTS, readable).steer(Case("video_real")).path_parameters == {"video_id": "video_spare"}


@pytest.mark.e2e
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
        result = run(RunOptions(target=target, api_key=KEY, max_examples=10))
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
    from contract_tests.baseline import KnownDeviations  # noqa: PLC0415
    from contract_tests.findings import Ledger  # noqa: PLC0415

    ledger = Ledger(
        KnownDeviations(None), KEY, base_url="http://127.0.0.1:53124", public_base_url="http://127.0.0.1:4010"
    )
    error = TimeoutError("HTTPConnectionPool(host='127.0.0.1', port=53124): Read timed out.")
    finding = ledger.add_transport_error(error, label=LABEL, phase="fuzzing", sent=None)
    assert "port=4010" in finding.message
    assert "53124" not in finding.message
