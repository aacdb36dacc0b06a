"""The mock under fuzzing: schemathesis negative mode plus raw garbage over TCP -> never a 5xx, never a crash."""

from __future__ import annotations

import socket

import httpx
import pytest
import schemathesis
from schemathesis.engine import events, from_schema

from contract_tests.mock import create_app
from tests.conftest import ROOT
from tests.conftest import SERVER_KEY as KEY


def test_schemathesis_negative_mode_finds_no_server_error() -> None:
    app = create_app(api_keys=["sk-fuzz"], log_requests=False)
    config = schemathesis.Config.from_dict(
        {
            "seed": 7,
            "headers": {"Authorization": "Bearer sk-fuzz"},
            "generation": {"mode": "negative", "max-examples": 150},
            "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
            "continue-on-failure": True,
        }
    )
    schema = schemathesis.openapi.from_path(str(ROOT / "openapi.yaml"), config=config)
    schema.app = app
    failures, cases, errors = [], 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                cases += 1
                failures += [node.name for node in nodes if node.status.value == "failure"]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(event)
    assert errors == []
    assert failures == []
    assert cases >= 5  # a string path parameter has few invalid forms; all were tried
    assert app.state.stats["api_total"] >= 5


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
    with socket.create_connection((host, int(port)), timeout=2) as conn:
        conn.sendall(payload)
        try:
            reply = conn.recv(64)
        except (ConnectionResetError, TimeoutError):
            return None
    return int(reply[9:12]) if reply.startswith(b"HTTP/1.1 ") else None


@pytest.mark.parametrize("payload", GARBAGE, ids=[f"garbage-{i}" for i in range(len(GARBAGE))])
def test_raw_garbage_never_gets_a_5xx(server: str, payload: bytes) -> None:
    status = _status(server, payload)
    assert status is None or status < 500, status
    healthy = httpx.get(f"{server}/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {KEY}"})
    assert healthy.status_code == 200
