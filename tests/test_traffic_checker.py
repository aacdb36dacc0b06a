"""The traffic checker (``contract_tests/suite/traffic/checker.py``): each exchange through the suite's checks into
the suite's ledger, in the right category, with lifecycle rules across responses, bounded memory and no secret in
anything it returns or reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from jsonschema import Draft202012Validator

from contract_tests.cassette import PLACEHOLDER, Exchange
from contract_tests.mock import reality
from contract_tests.suite.categories import Category
from contract_tests.suite.findings import transport_kind
from contract_tests.suite.report import SCHEMA_PATH, to_json
from contract_tests.suite.traffic import checker as checker_module
from contract_tests.suite.traffic.checker import TrafficChecker, failure_for
from contract_tests.suite.traffic.session import NOTHING_CHECKED, decide_traffic
from contract_tests.suite.verdict import Verdict
from tests.conftest import ROOT

pytestmark = pytest.mark.integration  # a checker over the spec per test: too slow for the unit tier

KEY = "sk-traffic-test-key-0000000000"
LABEL = "GET /v1/videos/{video_id}"
T0 = 1_741_570_283


def video(video_id: str = "video_1", **fields: Any) -> dict[str, Any]:
    body = {
        "id": video_id,
        "object": "video",
        "created_at": T0,
        "model": "sora-2",
        "status": "in_progress",
        "progress": 40,
        "seconds": "8",
        "size": "720x1280",
    }
    return {**body, **fields}


def get(
    video_id: str = "video_1", *, body: Any = None, status: int | None = 200, at: float = 0.0, **fields: Any
) -> Exchange:
    content = json.dumps(video(video_id) if body is None else body).encode()
    base: dict[str, Any] = {
        "method": "GET",
        "target": f"/v1/videos/{video_id}",
        "request_headers": (("authorization", f"Bearer {KEY}"), ("accept", "application/json")),
        "status": status,
        "response_headers": (("content-type", "application/json"), ("content-length", str(len(content)))),
        "response_body": content,
        "started_at": T0 + at,
    }
    return Exchange(**{**base, **fields})


@pytest.fixture
def checker() -> TrafficChecker:
    return TrafficChecker(ROOT / "openapi.yaml", upstream="https://api.example.com", baseline=None)


def found(checker: TrafficChecker) -> set[tuple[str, str]]:
    return {(f.category.value, f.check) for f in checker.ledger.findings}


@pytest.mark.committed_spec
def test_a_conforming_exchange_is_checked_evidence_and_no_finding(checker: TrafficChecker) -> None:
    checker.check(get())
    assert checker.ledger.findings == []
    evidence = checker.ledger.evidence.operation(LABEL)
    assert (evidence.requests, evidence.checked_bodies, evidence.authenticated) == (1, 1, 1)
    result = checker.result()
    assert decide_traffic(result).verdict is Verdict.PASS
    assert result.traffic is not None
    assert (result.traffic["checked"], result.traffic["not_seen"]) == (1, [])


def test_what_real_servers_send_is_a_server_nonconformance_and_a_client_incompatibility(
    checker: TrafficChecker,
) -> None:
    checker.check(get(body=reality(video(status="pending"))))
    assert {
        ("server_nonconformance", "response_schema_conformance"),
        ("client_incompatibility", "client_strict_parse"),
    } <= found(checker)
    assert decide_traffic(checker.result()).verdict is Verdict.FAIL


def test_a_request_without_credentials_is_a_client_nonconformance(checker: TrafficChecker) -> None:
    checker.check(get(request_headers=(), status=401, body={"error": {"message": "Missing API key", "type": "x"}}))
    assert ("client_nonconformance", "request_conformance") in found(checker)
    finding = next(f for f in checker.ledger.findings if f.check == "request_conformance")
    assert finding.key == "credentials:missing"
    assert ("spec_gap", "status_code_conformance") in found(checker)  # the 401 itself: undocumented, well formed


@pytest.mark.committed_spec
def test_unknown_operations_are_the_clients_fault_unless_the_server_answers_them(checker: TrafficChecker) -> None:
    checker.check(get(target="/v1/models", status=404, body={"error": {"message": "Unknown path"}}))
    checker.check(get(target="/v1/models/gpt-4o", body={"id": "gpt-4o"}))
    categories = {(f.category, f.operation) for f in checker.ledger.findings}
    assert categories == {
        (Category.CLIENT_NONCONFORMANCE, "GET /v1/models"),
        (Category.SPEC_GAP, "GET /v1/models/gpt-4o"),
    }
    assert checker.result().traffic["unknown_operation_requests"] == 2  # type: ignore[index]


def test_unknown_paths_fold_into_a_bounded_set_of_shapes(
    checker: TrafficChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checker_module, "MAX_UNKNOWN_SHAPES", 3)
    for n in range(50):
        checker.check(get(target=f"/v1/files/file_{n:05d}", status=404, body={}))  # one shape: ids folded
        checker.check(get(target=f"/v1/route{n}", status=404, body={}))  # fifty shapes: capped
    operations = {f.operation for f in checker.ledger.findings}
    assert "GET /v1/files/{…}" in operations
    assert len(operations) == 4
    assert "GET (other paths)" in operations


def test_a_server_error_is_a_server_nonconformance(checker: TrafficChecker) -> None:
    checker.check(get(status=503, body={"error": {"message": "overloaded", "type": "server_error"}}))
    assert ("server_nonconformance", "not_a_server_error") in found(checker)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("ConnectionRefused", "[Errno 111] Connection refused"),
        ("ConnectionFailed", "[Errno -2] Name or service not known"),
        ("ConnectionDropped", "peer closed connection without sending complete message body"),
        ("Timeout", "timed out"),
        ("UndecodableBody", "Content-Encoding gzip does not match the body"),
    ],
)
def test_each_transport_failure_is_the_finding_of_its_kind(kind: str, message: str) -> None:
    assert transport_kind(failure_for(kind, message))[0] == kind
    checker = TrafficChecker(ROOT / "openapi.yaml", upstream="http://u")
    checker.check(get(status=None, response_headers=(), response_body=b"", error=kind, error_message=message))
    (finding,) = checker.ledger.findings
    assert (finding.check, finding.failure_type, finding.category) == (
        "transport_error",
        kind,
        Category.SERVER_NONCONFORMANCE,
    )


def test_a_body_that_lies_about_its_encoding_is_a_transport_finding(checker: TrafficChecker) -> None:
    exchange = get()
    liar = attrs.evolve(exchange, response_headers=(*exchange.response_headers, ("content-encoding", "gzip")))
    recorded = checker.check(liar)
    (finding,) = checker.ledger.findings
    assert finding.failure_type == "UndecodableBody"
    assert recorded.response_header("content-encoding") == "gzip"  # kept as received: a replay finds the same


def test_a_body_bigger_than_the_limit_is_counted_not_checked(checker: TrafficChecker) -> None:
    checker.check(get(body=reality(video()), response_complete=False))
    assert checker.ledger.findings == []
    result = checker.result()
    assert result.traffic["checked"] == 0  # type: ignore[index]
    assert any("response body bigger than --max-body" in note for note in result.notes)
    assert decide_traffic(result).reasons == (NOTHING_CHECKED,)
    assert decide_traffic(result).verdict is Verdict.INCONCLUSIVE


def test_progress_going_backwards_across_responses_is_a_lifecycle_violation(checker: TrafficChecker) -> None:
    checker.check(get(body=video(progress=60), at=1))
    checker.check(get(body=video(progress=30), at=2))
    assert found(checker) == {("lifecycle_violation", "lifecycle_progress_monotonic")}
    assert checker.result().traffic["lifecycle_transitions"] == 1  # type: ignore[index]


def test_responses_that_end_out_of_order_are_compared_in_the_order_the_server_answered(
    checker: TrafficChecker,
) -> None:
    checker.check(get(body=video(progress=60), at=2))
    checker.check(get(body=video(progress=30), at=1))  # answered first, handed over second
    checker.check(get(body=video(progress=80), at=3))
    assert checker.ledger.findings == []


def test_a_resource_that_vanishes_without_a_delete_is_a_lifecycle_violation(checker: TrafficChecker) -> None:
    checker.check(get("video_gone", at=1))
    checker.check(get("video_gone", status=404, body={"error": {"message": "No video"}}, at=2))
    assert ("lifecycle_violation", "lifecycle_resource_kept") in found(checker)


def test_the_followed_resources_are_bounded() -> None:
    checker = TrafficChecker(ROOT / "openapi.yaml", upstream="http://u", max_resources=10)
    for n in range(100):
        checker.check(get(f"video_{n:03d}", body=video(f"video_{n:03d}"), at=n))
    assert len(checker.lifecycle.last) == 10
    assert checker.ledger.findings == []


def test_no_secret_reaches_the_recording_or_the_report(checker: TrafficChecker) -> None:
    echoed = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}}
    recorded = checker.check(get(status=401, body=echoed))
    checker.check(get(body=reality(video()), target="/v1/videos/video_1?api_key=" + KEY))
    report = json.dumps(to_json(checker.result(), decide_traffic(checker.result()), {}))
    assert KEY not in repr(recorded)
    assert KEY not in report
    assert dict(recorded.request_headers)["authorization"] == f"Bearer {PLACEHOLDER}"
    assert '"curl -sS -i -X \\"GET\\" \\"https://api.example.com/v1/videos/video_1' in report


@pytest.mark.committed_spec
def test_the_report_of_traffic_follows_the_report_schema_and_lists_what_was_not_seen(tmp_path: Path) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    spec["paths"]["/v1/videos"] = {"get": {"operationId": "listVideos", "responses": {"200": {"description": "ok"}}}}
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    checker = TrafficChecker(path, upstream="http://u")
    checker.check(get())
    result = checker.result(skipped=3, cassette={"path": "c.yaml", "recorded": 1, "dropped": 0})
    report = to_json(result, decide_traffic(result), {"tokenops": "test"})
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(report)
    assert report["traffic"]["not_seen"] == ["GET /v1/videos"]
    assert report["traffic"]["exchanges"] == 4
    assert report["verdict"]["verdict"] == "pass"  # an operation with no traffic is listed, never a failure
    assert any(note.startswith("not seen (no traffic, not judged): GET /v1/videos") for note in report["notes"])


def test_a_short_credential_is_redacted_in_its_place_but_not_scrubbed_from_every_text(
    checker: TrafficChecker,
) -> None:
    recorded = checker.check(get(request_headers=(("authorization", "Bearer abc"),), body=video(model="abc-model")))
    assert dict(recorded.request_headers)["authorization"] == f"Bearer {PLACEHOLDER}"
    assert b'"model": "abc-model"' in recorded.response_body
