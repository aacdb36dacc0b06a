"""The load generator the mock's load tests use: counts, transport errors, invalid bodies, loopback only."""

from __future__ import annotations

import socket

import pytest

from contract_tests.mock._loadgen import LoadResult, run_load
from tests.rawserver import raw_server


def _answer_once_then_close(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nbad")


def test_a_closed_connection_is_a_transport_error_and_bad_bodies_are_kept() -> None:
    # The server answers one request per connection: on one keep-alive connection, every second request fails,
    # the generator reconnects and goes on.
    with raw_server(_answer_once_then_close) as base:
        result = run_load(base, ["/a", "/b"], total=3, connections=1, check=lambda body: body == b"good")
    assert (result.requests, result.transport_errors) == (2, 1)
    assert result.statuses == {200: 2}
    assert result.invalid_bodies == [b"bad", b"bad"]
    assert len(result.latencies) == 2
    assert result.rps > 0


def test_no_elapsed_time_means_no_rate() -> None:
    assert LoadResult(requests=5).rps == 0.0


@pytest.mark.parametrize("base", ["http://192.0.2.1:80", "http://10.0.0.1:4010"])
def test_load_is_only_ever_sent_to_loopback(base: str) -> None:
    with pytest.raises(ValueError, match=r"load is only ever sent to loopback, not "):
        run_load(base, ["/"], total=1)
