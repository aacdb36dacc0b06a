"""Bad input, end to end over TCP (issue 24): an upstream that resets, stalls, lies about gzip or is not there at
all. The client sees what the upstream did (or a clean 502), the checker records a transport finding of the right
kind, and the proxy keeps serving the next request."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.mock import MockClock, create_app
from contract_tests.suite.targets import Target, serve_app
from contract_tests.suite.traffic.checker import TrafficChecker
from contract_tests.suite.traffic.proxy import ProxyApp
from tests.conftest import ROOT

pytestmark = pytest.mark.integration  # an upstream over real TCP that resets and stalls in real time

KEY = "sk-traffic-faults-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
VIDEO = "/v1/videos/video_in_progress_demo"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Target]:
    app = create_app(api_keys=[KEY], clock=MockClock(start=1_741_570_283.0), log_requests=False)
    target = serve_app(app, name="mock", control=True, max_seconds=120)
    yield target
    target.close()


def _proxy(upstream: str, checker: TrafficChecker, *, timeout: float = 5.0) -> Target:
    app = ProxyApp(upstream, checker.check, timeout=timeout)
    return serve_app(app, name="proxy", control=False, max_seconds=120, lifespan="on")


def _kinds(checker: TrafficChecker) -> set[str]:
    return {finding.failure_type for finding in checker.ledger.findings if finding.check == "transport_error"}


@pytest.mark.parametrize(
    ("fault", "client_error", "kind"),
    [
        ("drop", httpx.RemoteProtocolError, "ConnectionDropped"),
        ("stall,stall_ms=5000", httpx.RemoteProtocolError, "Timeout"),
        ("gzip_lie", httpx.DecodingError, "UndecodableBody"),
    ],
)
def test_an_upstream_fault_reaches_the_client_as_it_happened_and_the_report_as_a_finding(
    upstream: Target, fault: str, client_error: type[Exception], kind: str
) -> None:
    checker = TrafficChecker(ROOT / "openapi.yaml", upstream=upstream.base_url)
    proxy = _proxy(upstream.base_url, checker, timeout=0.5)
    try:
        with httpx.Client(base_url=proxy.base_url, timeout=10) as client:
            with pytest.raises(client_error):
                client.get(VIDEO, headers={**AUTH, "X-Mock-Fault": fault})
            after = client.get(VIDEO, headers=AUTH)  # the proxy keeps serving
    finally:
        proxy.close()
    assert after.status_code == 200
    assert _kinds(checker) == {kind}
    assert checker.stats.checked == 1  # the good exchange; the faulty one is a finding, not a checked body


def test_an_upstream_that_is_not_there_gets_the_client_a_502_and_the_report_a_finding() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    checker = TrafficChecker(ROOT / "openapi.yaml", upstream=closed)
    proxy = _proxy(closed, checker)
    try:
        response = httpx.get(proxy.base_url + VIDEO, headers=AUTH, timeout=10)
    finally:
        proxy.close()
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"
    assert _kinds(checker) == {"ConnectionRefused"}
