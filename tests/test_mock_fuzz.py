"""The mock under fuzzing: schemathesis negative mode plus raw garbage over TCP -> never a 5xx, never a crash."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis

from contract_tests.mock import MockApp, create_app
from contract_tests.suite import _schemathesis_private as engine
from tests.conftest import ROOT
from tests.conftest import SERVER_KEY as KEY


def _fuzz(
    spec: Path, mode: str, checks: list[str], examples: int, operation_id: str | None = None
) -> tuple[list[str], int, list[Any], MockApp]:
    """Run schemathesis against the mock in-process (one operation, or all); (failed checks, cases, errors, app)."""
    app = create_app(api_keys=["sk-fuzz"], log_requests=False, spec=spec)
    config = schemathesis.Config.from_dict(
        {
            "seed": 7,
            "headers": {"Authorization": "Bearer sk-fuzz"},
            "generation": {"mode": mode, "max-examples": examples, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
            "continue-on-failure": True,
            # Sequences of calls (create -> get -> delete) matter for valid requests; invalid ones stop at a 4xx.
            "phases": {"stateful": {"enabled": mode == "positive"}},
        }
    )
    loaded = schemathesis.openapi.from_path(str(spec), config=config)
    schema = loaded if operation_id is None else loaded.include(operation_id=operation_id)
    schema.app = app
    failures: list[str] = []
    cases = 0
    errors: list[Any] = []
    for event in engine.execute(schema):
        if isinstance(event, engine.ScenarioFinished):
            for exchange in engine.scenario_exchanges(event):
                cases += 1
                failures += [f"{check.name}: {check.failure}" for check in exchange.checks if check.status == "failure"]
        elif isinstance(event, engine.NonFatalError | engine.FatalError):
            errors.append(event)
    return failures, cases, errors, app


@pytest.mark.integration
def test_schemathesis_negative_mode_finds_no_server_error() -> None:
    # getVideoStatus on the vendored spec, however many operations it has grown (the grown test fuzzes them all).
    spec = ROOT / "openapi.yaml"
    failures, cases, errors, app = _fuzz(spec, "negative", ["not_a_server_error"], 150, "getVideoStatus")
    assert errors == []
    assert failures == []
    assert cases >= 5  # a string path parameter has few invalid forms; all were tried
    assert app.state.stats["api_total"] >= 5


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["negative", "positive"])
def test_grown_spec_fuzzing_finds_no_server_error_and_no_invalid_body(grown_spec: Path, mode: str) -> None:
    checks = ["not_a_server_error", "response_schema_conformance", "content_type_conformance"]
    # The coverage phase tries every operation's boundary and invalid values systematically; a few random
    # examples per operation on top (negative generation costs ~30 ms an example).
    failures, cases, errors, app = _fuzz(grown_spec, mode, checks, 3 if mode == "negative" else 5)
    assert errors == []
    assert failures == []
    assert cases >= 40  # 6 operations: their coverage cases plus the generated examples, minus duplicates
    assert set(app.state.operations) == {
        "getVideoStatus",
        "createVideo",
        "remixVideo",
        "listVideos",
        "deleteVideo",
        "downloadVideoContent",
    }
    if mode == "positive":
        assert app.state.stats["api_200"] >= 20  # bodies were checked, not only errors


GARBAGE = [
    b"GET /v1/videos/%zz%%%41 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/videos/%00%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/videos/" + b"a" * 6000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"../" * 200 + b"etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"BREW /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DELETE /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 70_000 + b"\r\n\r\n",
    b"GET /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
    b"GET /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\nX-Mock-Fault: \x00\x01\r\n\r\n",
    b"POST /_mock/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{{{{{",
    b"POST /_mock/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{}",
    b"POST /_mock/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]",
    b"GET /v1/videos/ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the plain port
    b"GET / HTTP/9.9\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /v1/videos/video_completed_demo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


def _status(base: str, payload: bytes) -> int | None:
    host, port = base.removeprefix("http://").split(":")
    # Every payload that gets an answer gets it within milliseconds; one that cannot (blank lines only: the
    # server waits for a request line) must not cost the suite seconds.
    with socket.create_connection((host, int(port)), timeout=0.5) as conn:
        conn.sendall(payload)
        try:
            reply = conn.recv(64)
        except (ConnectionResetError, TimeoutError):
            return None
    return int(reply[9:12]) if reply.startswith(b"HTTP/1.1 ") else None


@pytest.mark.integration
@pytest.mark.parametrize("payload", GARBAGE, ids=[f"garbage-{i}" for i in range(len(GARBAGE))])
def test_raw_garbage_never_gets_a_5xx(server: str, mock_control: httpx.Client, payload: bytes) -> None:
    status = _status(server, payload)
    assert status is None or status < 500, status
    healthy = mock_control.get("/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}"})
    assert healthy.status_code == 200
