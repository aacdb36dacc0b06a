"""The mock's HTTP surface: auth, 404/405, limits, the control API and its errors, seed files."""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests._paths import spec_path
from contract_tests.mock import DEFAULT_API_KEY, JobSpecError, create_app
from contract_tests.mock.__main__ import _DroppedOnPurpose, load_seed, main, run
from tests.mock_helpers import KEY, MockHarness, spec_methods

# The video route's methods come from the spec in front of the test (a grown spec documents DELETE there too).
VIDEO_METHODS = spec_methods(spec_path(), "/v1/videos/{video_id}")
VIDEO_ALLOW = ", ".join(sorted(VIDEO_METHODS | ({"HEAD"} if "GET" in VIDEO_METHODS else set())))


def _error(response_json: dict[str, object]) -> dict[str, object]:
    error = response_json["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "code"}
    return error


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": f"Basic {KEY}"}, "invalid_api_key"),
        ({"Authorization": "Bearer"}, "invalid_api_key"),
        ({"Authorization": "Bearer "}, "invalid_api_key"),
        ({"Authorization": "Bearer sk-wrong"}, "invalid_api_key"),
    ],
    ids=["missing", "not-bearer", "bearer-without-key", "bearer-blank", "wrong-key"],
)
def test_auth_failures_are_401_in_openai_format(mock: MockHarness, headers: dict[str, str], code: str) -> None:
    response = mock.get("/v1/videos/video_completed_demo", headers=headers)
    assert response.status_code == 401
    assert _error(response.json())["code"] == code
    assert "sk-wrong" not in response.text


def test_several_keys_can_be_accepted() -> None:
    harness = MockHarness(api_keys=["sk-one", "sk-two"])
    try:
        for key in ("sk-one", "sk-two"):
            response = harness.get("/v1/videos/video_completed_demo", headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 200
    finally:
        harness.close()


def test_default_key_comes_from_the_mocks_own_variable_never_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-a-users-real-key")
    monkeypatch.setenv("TOKENOPS_MOCK_API_KEY", "sk-from-env")
    assert create_app(log_requests=False).state.api_keys == {"sk-from-env"}
    monkeypatch.delenv("TOKENOPS_MOCK_API_KEY")
    assert create_app(log_requests=False).state.api_keys == {DEFAULT_API_KEY}


def test_unknown_id_is_404_in_the_same_format(mock: MockHarness) -> None:
    response = mock.video("video_does_not_exist")
    assert response.status_code == 404
    assert _error(response.json())["code"] == "video_not_found"


@pytest.mark.parametrize("path", ["/v1/videos/a%2Fb", "/v1/videos/..%2Fx", "/v1/videos/%2E%2E"])
def test_encoded_ids_stay_on_the_video_route(mock: MockHarness, path: str) -> None:
    response = mock.get(path, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 404
    assert _error(response.json())["code"] == "video_not_found"


@pytest.mark.parametrize("method", [m for m in ("POST", "PUT", "PATCH", "DELETE") if m not in VIDEO_METHODS])
def test_wrong_method_is_405_with_allow(mock: MockHarness, method: str) -> None:
    response = mock.request(method, "/v1/videos/video_completed_demo")
    assert response.status_code == 405
    assert response.headers["allow"] == VIDEO_ALLOW
    assert _error(response.json())["code"] == "method_not_allowed"


def test_unknown_paths_are_404_json(mock: MockHarness) -> None:
    response = mock.get("/v2/anything")
    assert response.status_code == 404
    assert _error(response.json())["code"] == "not_found"


def test_absurd_requests_get_4xx_not_a_crash(mock: MockHarness) -> None:
    assert mock.get("/v1/videos/" + "a" * 5000).status_code == 414
    assert mock.video("video_completed_demo", headers={"X-Huge": "x" * 20_000}).status_code == 431
    assert mock.post("/_mock/jobs", content=b"{" + b" " * 300_000 + b"}").status_code == 413
    assert mock.video("video_completed_demo").status_code == 200  # still serving


def test_control_api_creates_lists_and_deletes_jobs(mock: MockHarness) -> None:
    created = mock.post("/_mock/jobs", json=[{"id": "video_x"}, {"id": "video_y", "outcome": "failed"}])
    assert created.status_code == 201
    assert [job["id"] for job in created.json()] == ["video_x", "video_y"]
    listed = {job["id"] for job in mock.get("/_mock/jobs").json()["jobs"]}
    assert {"video_x", "video_y", "video_completed_demo"} <= listed
    assert mock.get("/_mock/jobs/video_x").json()["status"] == "pending"
    assert mock.request("DELETE", "/_mock/jobs/video_x").status_code == 204
    assert mock.request("DELETE", "/_mock/jobs/video_x").status_code == 404
    generated = mock.create()
    assert generated["id"].startswith("video_")


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/_mock/jobs", b"{not json", "not valid JSON"),
        ("/_mock/jobs", b'{"outcome": "exploded"}', "'outcome' must be one of completed, failed"),
        ("/_mock/jobs", b'{"pending_seconds": -1}', "'pending_seconds' must be a number of seconds >= 0"),
        ("/_mock/jobs", b'{"colour": "red"}', "unknown job field(s): colour"),
        ("/_mock/jobs", b'"just a string"', "a job must be a JSON object"),
        ("/_mock/faults", b'{"kind": "meteor"}', "unknown fault kind 'meteor'; known kinds: latency"),
        ("/_mock/faults", b'{"kind": "server_error", "status": 418}', "'status' must be one of 500, 502, 503"),
        ("/_mock/faults", b'{"kind": "reality", "probability": 2}', "'probability' must be >= 0 and <= 1"),
        ("/_mock/faults", b'{"kind": "reality", "every": 0}', "'every' must be a whole number >= 1"),
        ("/_mock/clock/advance", b'{"seconds": "soon"}', 'body must be {"seconds"'),
        ("/_mock/clock/advance", b'{"seconds": -5}', "seconds must be a number >= 0"),
    ],
)
def test_control_api_rejects_bad_input_with_400_and_a_message(
    mock: MockHarness, path: str, body: bytes, message: str
) -> None:
    response = mock.post(path, content=body)
    assert response.status_code == 400
    assert message in str(_error(response.json())["message"])
    assert mock.video("video_completed_demo").status_code == 200


def test_reset_restores_the_initial_state(mock: MockHarness) -> None:
    mock.create(id="video_temp")
    mock.post("/_mock/faults", json={"kind": "server_error"})
    mock.advance(100)
    assert mock.post("/_mock/reset").status_code == 200
    assert mock.video("video_temp").status_code == 404
    assert mock.video("video_completed_demo").status_code == 200
    assert mock.get("/_mock/clock").json()["now"] == mock.clock.now()
    assert mock.get("/_mock/faults").json() == {"faults": []}


def test_stats_count_requests_by_route_and_status(mock: MockHarness) -> None:
    mock.video("video_completed_demo")
    mock.video("nope")
    stats = mock.get("/_mock/stats").json()
    assert stats["requests"]["api_total"] == 2
    assert stats["requests"]["api_200"] == 1
    assert stats["requests"]["api_404"] == 1


def test_request_log_is_one_line_per_request_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    harness = MockHarness(log_requests=True)
    caplog.set_level("INFO", logger="contract_tests.mock")
    try:
        harness.video("video_completed_demo")
        harness.video("missing")
    finally:
        harness.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "contract_tests.mock"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /v1/videos/video_completed_demo 200 ")
    assert all(KEY not in line for line in lines)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_seed_files_preload_jobs(tmp_path: Path, suffix: str) -> None:
    jobs = [{"id": "video_seeded", "pending_seconds": 0, "running_seconds": 0}, {"id": "video_seeded_2"}]
    path = tmp_path / f"seed{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"jobs": jobs}), encoding="utf-8")
    else:
        path.write_text("- id: video_seeded\n  pending_seconds: 0\n  running_seconds: 0\n- id: video_seeded_2\n")
    harness = MockHarness(seeds=load_seed(path))
    try:
        assert harness.video("video_seeded").json()["status"] == "completed"
        assert harness.video("video_seeded_2").json()["status"] == "pending"
        harness.post("/_mock/reset")
        assert harness.video("video_seeded").status_code == 200  # seeds survive a reset
    finally:
        harness.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid"),
        ('{"jobs": {"id": "x"}}', "must hold a list of jobs"),
        ('[{"id": "x", "outcome": "boom"}]', "job 0: 'outcome' must be one of"),
    ],
)
def test_bad_seed_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(content, encoding="utf-8")
    assert main(["--seed", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(JobSpecError):
        load_seed(path)


def test_missing_seed_file_and_bad_fault_flag_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", str(tmp_path / "absent.json")]) == 2
    assert "cannot read seed file" in capsys.readouterr().err
    assert main(["--fault", "meteor"]) == 2
    assert "unknown fault kind 'meteor'" in capsys.readouterr().err


def test_bad_yaml_seed_and_bad_max_jobs_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "seed.yml"
    path.write_text("- id: [unclosed\n", encoding="utf-8")
    assert main(["--seed", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mock: error: seed file {path} is not valid YAML: ")
    assert len(err.strip().splitlines()) == 1
    assert main(["--max-jobs", "0"]) == 2
    assert capsys.readouterr().err == "mock: error: --max-jobs must be >= 1\n"


class _Served:
    """Stands in for ``uvicorn.run``: records what the mock would serve, and how."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, app: Any, *, sockets: list[socket.socket], **options: Any) -> bool:
        self.calls.append((app, options))
        self.addresses = [sock.getsockname()[:2] for sock in sockets]
        return True


@pytest.fixture
def served() -> Iterator[_Served]:
    recorder = _Served()
    uvicorn_error = logging.getLogger("uvicorn.error")
    root = logging.getLogger()
    filters, handlers, level = list(uvicorn_error.filters), list(root.handlers), root.level
    yield recorder
    uvicorn_error.filters[:] = filters
    root.handlers[:] = handlers
    root.setLevel(level)


def test_main_serves_the_app_with_the_options_given(
    served: _Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"id": "video_seeded"}]), encoding="utf-8")
    argv = ["--quiet", "--port", "0", "--seed", str(seed), "--fault", "server_error,every=2", "--keep-alive", "9"]
    assert main(argv, serve=served) == 0
    [(app, options)] = served.calls
    [(host, port)] = served.addresses  # the socket it was given already listens: on a free port, for --port 0
    assert (host, port) == ("127.0.0.1", options["port"])
    assert port > 0
    assert options == {
        "host": "127.0.0.1",
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 2,
        "timeout_keep_alive": 9.0,
        "proxy_headers": False,
        "server_header": False,
    }
    banner = capsys.readouterr().err
    assert banner.startswith(f"TokenOps mock on http://127.0.0.1:{port}  key: sk-mock-local  well-known ids: video_")
    assert f"({len(app.spec.operations)} operations from {app.spec.source}," in banner
    assert "1 seeded jobs, 1 fault rules)" in banner
    assert any(type(f).__name__ == "_DroppedOnPurpose" for f in logging.getLogger("uvicorn.error").filters)


def test_main_logs_requests_at_info_unless_quiet(served: _Served) -> None:
    assert main(["--host", "127.0.0.2", "--api-key", KEY, "--port", "0"], serve=served) == 0
    [(_, options)] = served.calls
    assert (options["host"], options["log_level"], options["timeout_keep_alive"]) == ("127.0.0.2", "info", 75.0)


def test_run_is_the_console_script_and_exits_with_mains_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["tokenops-mock", "--port", "not-a-port"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: tokenops-mock ")
    assert "argument --port: invalid int value: 'not-a-port'" in err
    monkeypatch.setattr(sys, "argv", ["tokenops-mock", "--max-jobs", "0"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2


def _record(error: BaseException | None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", None, exc_info)


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        (ConnectionResetError("mock fault: drop"), False),
        (ConnectionResetError("Connection reset by peer"), True),
        (RuntimeError("mock fault: drop"), True),
        (None, True),
    ],
    ids=["fault-drop", "real-reset", "other-error", "no-exception"],
)
def test_only_the_mocks_own_dropped_connections_are_silenced(error: BaseException | None, kept: bool) -> None:
    assert _DroppedOnPurpose().filter(_record(error)) is kept


def test_control_api_unknown_paths_and_methods_answer_in_openai_format(mock: MockHarness) -> None:
    missing = mock.get("/_mock/nothing-here")
    assert missing.status_code == 404
    assert _error(missing.json()) == {
        "message": "Unknown path '/_mock/nothing-here'.",
        "type": "invalid_request_error",
        "code": "not_found",
    }
    wrong = mock.get("/_mock/reset")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert _error(wrong.json())["code"] == "method_not_allowed"


def test_an_empty_control_body_means_an_empty_object(mock: MockHarness) -> None:
    created = mock.post("/_mock/jobs", content=b"")
    assert created.status_code == 201
    job = created.json()
    assert job["status"] == "pending"
    assert mock.get(f"/_mock/jobs/{job['id']}").json()["id"] == job["id"]
    advance = mock.post("/_mock/clock/advance", content=b"")
    assert advance.status_code == 400
    assert _error(advance.json())["message"] == 'body must be {"seconds": <number >= 0>}'


def test_main_names_what_the_spec_has_that_the_mock_does_not_serve(
    served: _Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    document = {
        "openapi": "3.1.0",
        "paths": {"/ok": {"get": {"responses": {"200": {"description": "ok"}}}}, "/gone": {"$ref": "#/missing"}},
        "components": {"securitySchemes": {"Login": {"type": "oauth2", "flows": {}}}},
    }
    spec.write_text(json.dumps(document), encoding="utf-8")
    assert main(["--quiet", "--spec", str(spec)], serve=served) == 0
    err = capsys.readouterr().err
    assert "mock: warning: unresolvable $ref in a path item at #/paths/~1gone" in err
    assert "mock: warning: security scheme 'Login' (oauth2) at #/components/securitySchemes/Login" in err
    assert "(1 operations from " in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stream-events", "0"], "--stream-events must be a whole number in [1, 100000]"),
        (["--stream-interval-ms", "-1"], "--stream-interval-ms must be a number of milliseconds in [0, 60000]"),
    ],
)
def test_bad_stream_flags_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == f"mock: error: {message}\n"


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        ([], {}, "key: sk-mock-local  well-known"),
        ([], {"TOKENOPS_MOCK_API_KEY": "sk-team"}, "key: the one in $TOKENOPS_MOCK_API_KEY  well-known"),
        (["--api-key", "a", "--api-key", "b"], {}, "key: the ones given with --api-key  well-known"),
        (
            [],
            {"TOKENOPS_API_KEY": "sk-real-key"},
            "key: sk-mock-local  ($TOKENOPS_API_KEY is set but not used by the mock: use the key above, or start the "
            "mock with --api-key / $TOKENOPS_MOCK_API_KEY)  well-known",
        ),
        ([], {"TOKENOPS_API_KEY": DEFAULT_API_KEY}, "key: sk-mock-local  well-known"),  # the same key: nothing to say
    ],
)
def test_the_start_up_line_says_which_key_the_mock_accepts(
    served: _Served,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    said: str,
) -> None:
    for name in ("TOKENOPS_API_KEY", "TOKENOPS_MOCK_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--quiet", "--port", "0", *argv], serve=served) == 0
    line = capsys.readouterr().err
    assert said in line
    assert "sk-real-key" not in line
    assert "sk-team" not in line


def test_a_busy_port_is_one_line_and_exit_2(served: _Served, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["--quiet", "--port", str(port)], serve=served) == 2
    assert served.calls == []
    assert capsys.readouterr().err == (
        f"mock: error: port {port} on 127.0.0.1 is already in use (another mock?): stop it, or pick a free port "
        "with --port N (0 picks one)\n"
    )
    assert main(["--quiet", "--host", "192.0.2.1", "--port", "0"], serve=served) == 2  # not an address of this host
    assert capsys.readouterr().err.startswith("mock: error: cannot listen on 192.0.2.1:0: ")


def test_a_server_that_failed_to_start_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    def fails(app: Any, *, sockets: list[socket.socket], **options: Any) -> bool:
        return False

    assert main(["--quiet", "--port", "0"], serve=fails) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mock: error: the server stopped before it served (see uvicorn's message above)"
    )
