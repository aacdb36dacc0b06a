"""Targets (``contract_tests.suite.targets``): our mock, the control API's errors, served apps, stopping."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from contract_tests.mock import MockClock, create_app
from contract_tests.suite import targets
from contract_tests.suite.targets import EMBEDDED_START, Target, TargetError, operation_base, remote, serve_app
from tests.rawserver import Behaviour, raw_server, reset_before_headers


def _answer(status: str, body: bytes, content_type: str = "application/json") -> Behaviour:
    def behaviour(conn: socket.socket) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        head += "Connection: close\r\n\r\n"
        conn.sendall(head.encode() + body)

    return behaviour


@pytest.mark.parametrize(
    ("status", "body"),
    [("200 OK", b"<html>the clock page</html>"), ("200 OK", b'["now"]'), ("404 Not Found", b"{}")],
    ids=["not-json", "not-an-object", "not-200"],
)
def test_a_server_is_our_mock_only_when_its_clock_answers_as_the_mock_does(status: str, body: bytes) -> None:
    with raw_server(_answer(status, body)) as base:
        target = remote(base + "/")
    assert (target.name, target.base_url, target.control) == (f"server at {base}", base, False)
    assert target.public_base_url == base
    assert target.embedded is False


def test_the_mock_is_recognised_by_its_clock() -> None:
    with raw_server(_answer("200 OK", b'{"now": 1.0, "manual": true}')) as base:
        target = remote(base)
    assert (target.name, target.control) == (f"tokenops mock at {base}", True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:port/", "is not a valid URL: Invalid port"),
        ("mailto:someone@example.com", "must be an http:// or https:// URL"),
        ("http://", "must be an http:// or https:// URL"),
    ],
)
def test_unusable_target_urls_are_target_errors(url: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        remote(url)


def test_control_calls_on_a_server_without_control_are_refused_before_sending() -> None:
    target = Target(name="server at http://127.0.0.1:9", base_url="http://127.0.0.1:9", control=False)
    with pytest.raises(TargetError, match=r"^server at http://127.0.0.1:9 has no mock control API$"):
        target.create_jobs([{"id": "video_x"}])
    assert target.created_jobs == []


def test_control_api_errors_are_target_errors_with_the_path() -> None:
    with raw_server(_answer("400 Bad Request", b'{"error": "no"}')) as base:
        target = Target(name="mock", base_url=base, control=True)
        with pytest.raises(TargetError, match=r'^mock control API clock/advance refused: 400 \{"error": "no"\}$'):
            target.advance(5)
        target.close()
    with raw_server(reset_before_headers) as base:
        target = Target(name="mock", base_url=base, control=True)
        with pytest.raises(TargetError, match=r"^mock control API jobs: (RemoteProtocolError|ReadError): "):
            target.create_jobs([{"id": "video_x"}])
        target.close()
    assert target.created_jobs == []


def test_a_control_answer_without_a_body_is_none() -> None:
    with raw_server(_answer("204 No Content", b"")) as base:
        target = Target(name="mock", base_url=base, control=True)
        assert target.control_request("DELETE", "jobs/video_x") is None
        target.close()


# uvicorn ends its thread with SystemExit when it cannot load the app: that is the point here.
@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_app_that_cannot_start_is_a_target_error() -> None:
    with pytest.raises(TargetError, match=r"^broken: the server did not start$"):
        serve_app("not an ASGI app", name="broken", control=False)


@pytest.mark.integration  # real servers, joined at exit
def test_servers_closed_without_waiting_are_joined_at_exit() -> None:
    app = create_app(api_keys=["sk-t"], clock=MockClock(start=EMBEDDED_START), log_requests=False)
    target = serve_app(app)  # control=None: asks the app
    assert target.control is True
    assert target.embedded is True
    thread = target._thread
    assert thread is not None
    target.close(wait=False)
    targets._join_stopping()
    assert not thread.is_alive()


def test_ctrl_c_while_joining_at_exit_is_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    # The run has ended and reported; a Ctrl-C during the join must not print an atexit traceback.
    class Stuck(threading.Thread):
        def join(self, timeout: float | None = None) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(targets, "_STOPPING", {Stuck()})
    try:
        targets._join_stopping()
    except KeyboardInterrupt:  # pytest would stop the whole session: say what failed instead
        pytest.fail("Ctrl-C while joining at exit escaped _join_stopping (an atexit traceback for the user)")


BASES = [
    "http://h",
    "http://h/",
    "http://h/v1",
    "http://h/v1/",
    "http://h/api",
    "http://h/api/v1",
    "https://gateway.example/tokenops/v1",
]


@pytest.mark.parametrize("base", BASES)
def test_one_base_url_rule_for_the_suite_the_client_and_join_url(base: str) -> None:
    """The suite's requests, the client's and tokenops.spec.join_url name the same URL for every base URL a user
    would give (with or without the /v1 the spec's paths start with)."""
    from tests.fakes import Script, ok, video  # noqa: PLC0415
    from tokenops import TokenOps  # noqa: PLC0415
    from tokenops.spec import PathTemplate, join_url  # noqa: PLC0415

    template = PathTemplate.compile("/v1/videos/{video_id}")
    path = template.expand({"video_id": "video_1"})
    rule = join_url(base, template, path)
    assert operation_base(base, template) + path == rule  # the suite: schemathesis and its own requests
    script = Script(ok(video("completed")))
    with TokenOps(
        api_key="sk-rule", base_url=base, http_client=httpx.Client(transport=httpx.MockTransport(script))
    ) as c:
        c.videos.retrieve("video_1")
    assert str(script.requests[0].url) == rule  # the client (and the CLI, which calls it)


def test_operation_base_keeps_a_path_the_template_does_not_start_with() -> None:
    from tokenops.spec import PathTemplate  # noqa: PLC0415

    assert operation_base("http://h/api", PathTemplate.compile("/v1/videos")) == "http://h/api"
    assert operation_base("http://h/v1/videos", PathTemplate.compile("/v1/videos")) == "http://h"
    assert operation_base("http://h/v1", PathTemplate.compile("/v1beta/models/{m}")) == "http://h/v1"
