"""Each fault rule of the mock: kinds, matching, every-Nth / count / probability, the one-request header."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from contract_tests.mock import FaultKind, FaultSpecError, parse_fault_spec
from tests.mock_helpers import MockHarness
from tests.spec_schema import spec_errors

ID = "video_completed_demo"


def _add(mock: MockHarness, **rule: object) -> None:
    assert mock.post("/_mock/faults", json=rule).status_code == 201


def test_rate_limit_sends_429_with_retry_after(mock: MockHarness) -> None:
    _add(mock, kind="rate_limit", retry_after=7, count=1)
    first, second = mock.video(ID), mock.video(ID)
    assert first.status_code == 429
    assert first.headers["retry-after"] == "7"
    assert first.json()["error"]["code"] == "rate_limit_exceeded"
    assert second.status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_bursts_of_a_given_length(mock: MockHarness, status: int) -> None:
    _add(mock, kind="server_error", status=status, count=3)
    codes = [mock.video(ID).status_code for _ in range(5)]
    assert codes == [status, status, status, 200, 200]


def test_faults_happen_before_auth_like_a_gateway(mock: MockHarness) -> None:
    _add(mock, kind="server_error", count=1)
    assert mock.get(f"/v1/videos/{ID}").status_code == 503


def test_malformed_json_is_a_200_with_truncated_json(mock: MockHarness) -> None:
    _add(mock, kind="malformed_json")
    response = mock.video(ID)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_html_200_and_wrong_content_type(mock: MockHarness) -> None:
    html = mock.video(ID, headers={"X-Mock-Fault": "html_200"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>")
    plain = mock.video(ID, headers={"X-Mock-Fault": "wrong_content_type"})
    assert plain.headers["content-type"].startswith("text/plain")
    assert spec_errors(plain.json()) == []


def test_reality_mode_sends_what_the_spec_forbids(mock: MockHarness) -> None:
    mock.create(id="video_new", pending_seconds=100)
    body = mock.video("video_new", headers={"X-Mock-Fault": "reality"}).json()
    assert body["status"] == "queued"
    assert body["size"] == "1792x1024"
    assert body["completed_at"] is None
    assert body["error"] is None
    assert body["quality"] == "standard"
    errors = " | ".join(spec_errors(body))
    for fragment in ("status: 'queued' is not one of", "size: '1792x1024' is not one of", "error: None is not"):
        assert fragment in errors


def test_drop_cuts_the_body_mid_response(mock: MockHarness) -> None:
    with pytest.raises(ConnectionResetError):
        mock.video(ID, headers={"X-Mock-Fault": "drop"})
    assert mock.video(ID).status_code == 200


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_latency_is_added_and_the_answer_is_normal(mock: MockHarness) -> None:
    _add(mock, kind="latency", latency_ms=30)
    started = time.perf_counter()
    response = mock.video(ID)
    assert time.perf_counter() - started >= 0.03
    assert response.status_code == 200


def test_every_nth_and_id_and_path_matching(mock: MockHarness) -> None:
    _add(mock, kind="server_error", every=3, video_id=ID)
    codes = [mock.video(ID).status_code for _ in range(6)]
    assert codes == [200, 200, 503, 200, 200, 503]
    assert mock.video("video_failed_demo").status_code == 200  # other ids untouched
    mock.request("DELETE", "/_mock/faults")
    _add(mock, kind="rate_limit", path="/v1/videos/video_f*")
    assert mock.video("video_failed_demo").status_code == 429
    assert mock.video(ID).status_code == 200


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_probability_is_deterministic_for_a_seed() -> None:
    def codes() -> list[int]:
        harness = MockHarness(faults=[parse_fault_spec("server_error,probability=0.3")], fault_seed=42)
        try:
            return [harness.video(ID).status_code for _ in range(100)]
        finally:
            harness.close()

    first = codes()
    assert first == codes()
    assert 15 <= first.count(503) <= 45


def test_header_applies_to_one_request_only(mock: MockHarness) -> None:
    assert mock.video(ID, headers={"X-Mock-Fault": "server_error,status=502"}).status_code == 502
    assert mock.video(ID).status_code == 200
    bad = mock.video(ID, headers={"X-Mock-Fault": "meteor"})
    assert bad.status_code == 400
    assert "unknown fault kind" in bad.json()["error"]["message"]


def test_control_api_faults_never_touch_the_control_api(mock: MockHarness) -> None:
    _add(mock, kind="server_error")
    assert mock.get("/_mock/faults").status_code == 200
    assert mock.get("/_mock/faults").json()["faults"][0]["kind"] == "server_error"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rate_limit,retry_after=2,every=4", {"kind": FaultKind.RATE_LIMIT, "retry_after": 2.0, "every": 4}),
        ("server_error, status=502, count=3", {"kind": FaultKind.SERVER_ERROR, "status": 502, "count": 3}),
        ("latency,latency_ms=150", {"kind": FaultKind.LATENCY, "latency_ms": 150.0}),
    ],
)
def test_fault_spec_strings(spec: str, expected: dict[str, object]) -> None:
    rule = parse_fault_spec(spec)
    for name, value in expected.items():
        assert getattr(rule, name) == value


@pytest.mark.parametrize(
    ("spec", "message"),
    [("", "empty fault spec"), ("reality,count", "expected key=value"), ("reality,colour=red", "unknown fault field")],
)
def test_bad_fault_spec_strings(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_fault_spec(spec)


def test_client_reads_the_mock_through_every_tolerated_fault(mock: MockHarness) -> None:
    from tests.mock_helpers import KEY  # noqa: PLC0415
    from tokenops import AsyncTokenOps, ResponseValidationError, VideoStatus  # noqa: PLC0415

    mock.create(id="video_r", pending_seconds=100)

    async def read(fault: str, strict: bool = False) -> object:
        client = AsyncTokenOps(
            api_key=KEY,
            base_url="http://mock.test",
            strict=strict,
            max_retries=0,
            http_client=httpx.AsyncClient(transport=mock.transport, headers={"X-Mock-Fault": fault}),
        )
        try:
            return await client.videos.retrieve("video_r")
        except Exception as exc:
            return exc

    tolerant = mock.run(read("reality"))
    assert getattr(tolerant, "status", None) is VideoStatus.QUEUED
    assert isinstance(mock.run(read("reality", strict=True)), ResponseValidationError)
    assert isinstance(mock.run(read("malformed_json")), ResponseValidationError)
    assert isinstance(mock.run(read("html_200")), ResponseValidationError)
    from tokenops import APIConnectionError  # noqa: PLC0415

    assert isinstance(mock.run(read("drop")), APIConnectionError)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_gzip_lie_and_stall_on_todays_operation(mock: MockHarness) -> None:
    _add(mock, kind="gzip_lie", count=1)
    with pytest.raises(httpx.DecodingError):
        mock.video(ID)
    _add(mock, kind="stall", stall_ms=20, count=1)
    started = time.perf_counter()
    with pytest.raises(ConnectionResetError, match="stalled"):
        mock.video(ID)
    assert time.perf_counter() - started >= 0.02
    assert mock.video(ID).status_code == 200
    assert mock.get("/_mock/stats").json()["requests"]["api_599"] == 1  # the cut connection is counted


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "stall", "stall_ms": 600_001}, "'stall_ms' must be >= 0 and <= 600000"),
        ({"kind": "stall", "stall_ms": "soon"}, "'stall_ms' must be a number"),
    ],
)
def test_stalls_are_bounded(mock: MockHarness, rule: dict[str, object], message: str) -> None:
    response = mock.post("/_mock/faults", json=rule)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_every_fault_kind_is_known() -> None:
    assert {kind.value for kind in FaultKind} == {
        "latency",
        "rate_limit",
        "server_error",
        "drop",
        "malformed_json",
        "html_200",
        "wrong_content_type",
        "reality",
        "gzip_lie",
        "stall",
        "page_repeat",
        "page_lose",
        "page_loop",
    }
