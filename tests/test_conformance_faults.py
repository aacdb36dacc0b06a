"""Nothing a server sends crashes the run: a dropped connection, a stalled response or a body that lies about its
``Content-Encoding`` becomes a finding (with its evidence), whether it happens while schemathesis fuzzes or while
the lifecycle test polls, and every other finding is kept."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock import MockClock, create_app
from contract_tests.suite.report import to_json
from contract_tests.suite.runner import RunOptions, run
from contract_tests.suite.targets import EMBEDDED_START, serve_app
from contract_tests.suite.verdict import decide
from tests.conformance_fakes import (
    FOCUS_OPERATIONS,
    LABEL,
    PROJECT_BASELINE,
    STATUS_PATH,
    Breaker,
    findings_of,
    matrix_of,
    run_cli,
)

pytestmark = pytest.mark.integration
LIFECYCLE = "/v1/videos/video_conformance_lifecycle_*"
KEY = "sk-faults"


def _transport(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == "transport_error"]


def _one_per_operation(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The finding of the pinned operation; every operation the failure reached has exactly one."""
    assert len({f["operation"] for f in found}) == len(found), [f["operation"] for f in found]
    (mine,) = [f for f in found if f["operation"] == LABEL]
    return mine


def _others_kept(report: dict[str, Any]) -> None:
    assert {("spec_gap", "401", "known"), ("spec_gap", "404", "known")} <= {
        (f["category"], f["signature"], f["status"]) for f in findings_of(report)
    }
    checks = matrix_of(report)
    assert checks["lifecycle_status_order"]["held"] > 0  # the lifecycle test still ran
    assert checks["response_schema_conformance"]["held"] > 0


@pytest.mark.parametrize(
    ("faults", "kind", "phase"),
    [
        (["drop,every=9", "reality,every=5"], "ConnectionDropped", None),
        ([f"drop,path={LIFECYCLE},count=1"], "ConnectionDropped", "lifecycle"),
        (["latency,latency_ms=1000,every=30"], "Timeout", None),
        ([f"latency,path={LIFECYCLE},latency_ms=1000,count=1"], "Timeout", "lifecycle"),
    ],
    ids=["drop-fuzzing", "drop-lifecycle", "stall-fuzzing", "stall-lifecycle"],
)
def test_transport_failures_are_findings_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: list[str], kind: str, phase: str | None
) -> None:
    args = [arg for fault in faults for arg in ("--mock-fault", fault)]
    code, report = run_cli(tmp_path, *args, "--request-timeout", "0.3", monkeypatch=monkeypatch)
    assert code == 1
    found = _transport(report)
    for other in found:
        assert (other["failure"], other["category"], other["status"]) == (kind, "server_nonconformance", "new")
    finding = _one_per_operation(found)
    assert finding["request"]["curl"].startswith('curl -sS -i -X "GET"')
    if phase is not None:
        assert finding["phase"] == phase
        assert "lifecycle_" in finding["request"]["url"]
    _others_kept(report)
    if "reality,every=5" in faults:
        assert ("client_incompatibility", "client_strict_parse") in {
            (f["category"], f["check"]) for f in report["findings"]
        }


def _gzip_run(when: Callable[[Any, int], bool]) -> dict[str, Any]:
    app = create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), log_requests=False)
    target = serve_app(Breaker(app, "gzip-lie", when), control=True)
    try:
        result = run(
            RunOptions(
                target=target, api_key=KEY, max_examples=5, baseline=PROJECT_BASELINE, operations=FOCUS_OPERATIONS
            )
        )
    finally:
        target.close()
    return to_json(result, decide(result), {})


def test_a_gzip_lie_while_fuzzing_is_a_finding() -> None:
    report = _gzip_run(
        lambda scope, n: n % 11 == 0 and scope["method"] == "GET" and bool(STATUS_PATH.match(scope["path"]))
    )
    (finding,) = _transport(report)
    assert finding["operation"] == LABEL
    assert finding["failure"] == "UndecodableBody"
    assert report["verdict"]["verdict"] == "fail"
    _others_kept(report)


def test_a_gzip_lie_while_polling_a_lifecycle_job_is_a_finding() -> None:
    polls = itertools.count()
    report = _gzip_run(lambda scope, n: scope["path"].endswith("lifecycle_ok") and next(polls) == 2)
    (finding,) = _transport(report)
    assert (finding["failure"], finding["phase"]) == ("UndecodableBody", "lifecycle")
    assert report["verdict"]["verdict"] == "fail"
    _others_kept(report)


@pytest.mark.parametrize(
    ("fault", "check"),
    [("server_error", "not_a_server_error"), ("reality", "response_schema_conformance")],
    ids=["5xx-poll", "off-schema-poll"],
)
def test_lifecycle_polls_are_checked_like_every_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, check: str
) -> None:
    code, report = run_cli(tmp_path, "--mock-fault", f"{fault},path={LIFECYCLE},count=2", monkeypatch=monkeypatch)
    assert code == 1
    found = [f for f in report["findings"] if f["check"] == check]
    assert found
    assert {f["phase"] for f in found} == {"lifecycle"}
    _others_kept(report)
