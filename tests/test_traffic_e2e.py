"""Issue 24, end to end: our mock as the upstream with one deliberately broken mode, the conformance proxy in front
of it (its own process, as people run it), real clients (the ``tokenops`` client and the openai SDK) sending
traffic through it. The reports name the expected findings in the right categories, the cassette replays to the
same findings, and the mock serves the recorded answers back."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.mock.process import mock_process
from contract_tests.suite import cli
from contract_tests.suite.traffic import process as traffic_process
from tokenops import TokenOps, TokenOpsError

pytestmark = [
    # Release tier: three processes (two mocks and the proxy with its checker), as people run them. make test proves
    # each piece in-process: tests/test_traffic_{proxy,checker,commands,faults}.py, tests/test_cassette.py and
    # tests/test_mock_cassette.py (judged, recorded, replayed, served back).
    pytest.mark.release,
    # The openai SDK says so on every videos call; the calls are what this test is about.
    pytest.mark.filterwarnings("ignore:The Sora API is scheduled:DeprecationWarning"),
]

KEY = "sk-e2e-proxy-key-0123456789abcdef"
BROKEN = "video_completed_demo"  # the mock answers it as real servers do: what the spec does not allow
RIGGED = "video_rigged_proxy"  # a job whose progress goes backwards


@contextlib.contextmanager
def proxy_process(upstream: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    args = ["--report-dir", str(tmp_path / "live"), "--record", str(tmp_path / "traffic.yaml")]
    args += ["--report-every", "0.5", "--stop-after", "240"]  # bounded in time, whatever happens to the test
    log = tmp_path / "proxy.log"
    with traffic_process.proxy_process(upstream, args, log=log, ready_path="/v1/ready-probe") as running:
        yield running


def _report(directory: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((directory / "conformance.json").read_text(encoding="utf-8"))
    return report


def _identities(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    return {(f["category"], f["check"], f["operation"], f["signature"]) for f in report["findings"]}


def _reported_while_running(path: Path, *, exchanges: int) -> bool:
    """The reports are rewritten while traffic flows (every 0.5 s here): wait for one that has seen it all."""
    for _ in range(600):
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8"))["traffic"]["exchanges"] >= exchanges:
                return True
        time.sleep(0.05)
    return False


def _traffic(base: str, mock: str) -> None:
    """What an application does all day: the tokenops client and the openai SDK, through the proxy."""
    import openai  # noqa: PLC0415 - half a second of imports, for this release-tier test only

    with TokenOps(api_key=KEY, base_url=base) as client:
        assert client.videos.retrieve("video_in_progress_demo").status == "in_progress"
        with contextlib.suppress(TokenOpsError):
            client.videos.retrieve(BROKEN)  # tolerant parsing may cope; the strict model does not
    sdk = openai.OpenAI(api_key=KEY, base_url=f"{base}/v1", max_retries=0)
    assert sdk.videos.retrieve("video_pending_demo").id == "video_pending_demo"
    with pytest.raises(openai.NotFoundError):
        sdk.models.list()  # an operation the spec does not have: the application's mistake
    httpx.post(
        f"{mock}/_mock/jobs",
        json={"id": RIGGED, "pending_seconds": 0, "running_seconds": 40, "misbehave": "progress-backwards"},
    ).raise_for_status()
    for _ in range(4):
        sdk.videos.retrieve(RIGGED)
        httpx.post(f"{mock}/_mock/clock/advance", json={"seconds": 5}).raise_for_status()
    assert httpx.get(f"{base}/v1/videos/video_in_progress_demo").status_code == 401  # no key: the client's fault


@pytest.mark.committed_spec
def test_real_traffic_through_the_proxy_is_judged_recorded_replayed_and_served_back(tmp_path: Path) -> None:
    broken = f"reality,video_id={BROKEN}"
    with (
        mock_process(["--quiet", "--api-key", KEY, "--fault", broken], log=tmp_path / "mock.log") as mock,
        proxy_process(mock.base_url, tmp_path) as (base, process),
    ):
        _traffic(base, mock.base_url)
        assert _reported_while_running(tmp_path / "live" / "conformance.json", exchanges=10)
        process.send_signal(signal.SIGTERM)  # as a staging deploy stops it: the final reports are written
        assert process.wait(120) == 1, (tmp_path / "proxy.log").read_text()
    live = _report(tmp_path / "live")
    found = {(f["category"], f["check"]) for f in live["findings"] if f["status"] == "new"}
    assert {
        ("server_nonconformance", "response_schema_conformance"),  # the broken answers
        ("client_incompatibility", "client_strict_parse"),  # our strict model cannot read them
        ("lifecycle_violation", "lifecycle_progress_monotonic"),  # the rigged job, across responses
        ("client_nonconformance", "request_operation_known"),  # GET /v1/models
        ("client_nonconformance", "request_conformance"),  # the request without a key
    } <= found
    assert live["traffic"]["checked"] >= 7
    assert live["verdict"]["verdict"] == "fail"
    cassette = tmp_path / "traffic.yaml"
    for artefact in (cassette, *(tmp_path / "live").iterdir(), tmp_path / "proxy.log"):
        assert KEY not in artefact.read_text(encoding="utf-8", errors="replace"), artefact

    assert cli.main(["replay", str(cassette), "--report-dir", str(tmp_path / "replay"), "--quiet"]) == 1
    assert _identities(_report(tmp_path / "replay")) == _identities(live)

    with mock_process(["--quiet", "--cassette", str(cassette)], log=tmp_path / "served.log") as served:
        recorded = httpx.get(f"{served.base_url}/v1/videos/{BROKEN}", headers={"Authorization": "Bearer any"})
        assert recorded.headers["x-mock-source"] == "cassette"
        assert recorded.json()["size"] == "1792x1024"  # the broken answer, as recorded (no fault is set here)
        fresh = httpx.get(f"{served.base_url}/v1/videos/video_failed_demo", headers={"Authorization": "Bearer any"})
        assert "x-mock-source" not in fresh.headers  # not recorded: the schema-driven mock answers
        assert fresh.status_code in (200, 401)
