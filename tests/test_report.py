"""Reports people can act on: evidence in the markdown, every new finding in the terminal, curls that replay as
printed, the same JSON from the same server, and an embedded run that says how to recreate its mock."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.mock.process import free_port
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.findings import Ledger
from contract_tests.suite.records import Sent
from contract_tests.suite.report import terminal_lines, to_json
from contract_tests.suite.report.junit import junit
from contract_tests.suite.report.markdown import markdown
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import decide
from tests.conformance_fakes import LABEL, PASSING, REALITY_AND_RIGGED, SERVER_ERRORS, run_cli
from tests.conftest import ROOT, SERVER_KEY

STATE_DEPENDENT = 409  # "not ready yet": the answer depends on the job's state at the time
GENERATED_ID = re.compile(r"\bvideo_\d{11}\b")  # the mock's ids for jobs created through the API


def _synthetic(count: int, message: str) -> dict[str, Any]:
    ledger = Ledger(KnownDeviations(None), "sk-report")
    for index in range(count):
        ledger.add(
            check="response_schema_conformance",
            failure_type="JsonSchemaError",
            title=f"Finding number {index}",
            message=message,
            key=f"k{index}",
            operation=LABEL,
            phase="fuzzing",
            sent=None,
            received=None,
            evidence={"field": f"data[{index}].size", "value": "1792x1024"},
        )
    result = RunResult(target="t", base_url="http://t", started_at=0.0, operations=[LABEL], findings=ledger.findings)
    return to_json(result, decide(result), {})


def test_the_terminal_lists_every_new_finding_or_says_how_many_more() -> None:
    long_message = "size " + "x" * 200 + " end-of-message"
    lines = "\n".join(terminal_lines(_synthetic(30, long_message), {"markdown": "reports/conformance.md"}))
    assert lines.startswith("FAIL: t (http://t)")
    assert len(re.findall(r"NEW Server nonconformance: Finding number \d+", lines)) == 25
    assert "… and 5 more new finding(s): see reports/conformance.md" in lines
    assert "end-of-message" in lines  # messages are not cut
    assert "field data[3].size = '1792x1024'" in lines
    few = "\n".join(terminal_lines(_synthetic(3, "short"), {}))
    assert len(re.findall(r"NEW Server nonconformance", few)) == 3
    assert "more new finding" not in few


def test_the_markdown_lists_every_finding_with_its_evidence() -> None:
    report = _synthetic(40, "bad size")
    text = markdown(report)
    for index in range(40):
        assert f"Finding number {index}\n" in text
        assert f"field data[{index}].size = '1792x1024'" in text


@pytest.mark.integration
def test_the_markdown_names_the_field_of_a_real_deviation(conformance_runs: Any) -> None:
    code, report, reports = conformance_runs(*REALITY_AND_RIGGED)
    assert code == 1
    text = (reports / "conformance.md").read_text(encoding="utf-8")
    assert "field size = '1792x1024' (rule: \"1792x1024\" is not one of" in text
    assert "field status = 'queued'" in text
    for finding in report["findings"]:
        assert finding["title"] in text
    server_error_run = conformance_runs(*SERVER_ERRORS)[1]
    server_errors = [f for f in server_error_run["findings"] if f["check"] == "not_a_server_error"]
    assert server_errors
    for server_error in server_errors:
        # never an empty message: schemathesis' own where it wrote one (a malformed multipart probe on a grown
        # spec), else the suite's "<status>: <body>"
        message = server_error["message"]
        assert message.startswith("503: {") or "returned 503" in message
        assert "Upstream error 503" in message or not message.startswith("503")


def test_a_multipart_request_is_recorded_the_same_way_every_time() -> None:
    import requests  # noqa: PLC0415 - what schemathesis sends with

    def prepared() -> Any:
        files = {"input_reference": ("cat.png", b"\x89PNG\r\n")}
        return requests.Request("POST", "http://t/v1/videos", files=files, data={"prompt": "a cat"}).prepare()

    first, second = prepared(), prepared()
    assert first.body != second.body  # requests draws a random boundary for each
    recorded = Sent.of(first)
    assert recorded == Sent.of(second)
    boundary = dict(recorded.headers)["Content-Type"].split("boundary=", 1)[1]
    assert recorded.body is not None
    assert recorded.body.startswith(f"--{boundary}\r\n".encode())
    original = dict(first.headers)["Content-Type"].split("boundary=", 1)[1].encode()
    assert recorded.body == first.body.replace(original, boundary.encode())  # the same request, renamed


def _status_of(curl: str, env: dict[str, str]) -> int:
    output = subprocess.run(
        ["bash", "-c", f'{curl} -o /dev/null -w "%{{http_code}}"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return int(output.strip()[-3:])


def _replayable(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings whose curl replays as printed: all but a 409 about a job's state (e.g. the content of a video the
    run created, unfinished then; the lifecycle test has moved the mock's clock on since) and a request whose
    binary body the curl does not show (a multipart upload)."""
    with_curl = [f for f in findings if f["request"].get("curl")]
    assert {f["status_code"] for f in with_curl} >= {401, 404}
    return [
        f
        for f in with_curl
        if f["status_code"] != STATE_DEPENDENT and not f["request"]["curl"].endswith("binary body (not shown)")
    ]


@pytest.mark.integration
def test_each_printed_curl_replays_the_reported_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"format_version": 1, "entries": []}', encoding="utf-8")
    args = ("--target", server, "--baseline", str(empty))
    code, report = run_cli(tmp_path, *args, key=SERVER_KEY, monkeypatch=monkeypatch, examples=PASSING)
    assert code == 0
    findings = _replayable(report["findings"])
    env = {**os.environ, "TOKENOPS_API_KEY": SERVER_KEY}
    for finding in findings:
        curl = finding["request"]["curl"]
        assert "'" not in curl  # double quotes only: the key variable expands
        assert _status_of(curl, env) == finding["status_code"], curl


@pytest.mark.integration
def test_the_printed_mock_command_serves_every_id_of_the_run(
    conformance_runs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay command's arguments, given to the mock's ``main()`` in this process, serve every job the run used
    (the command itself, in a shell: the release tier's test_an_embedded_run_prints_the_command_that_recreates_its_ids).
    """
    from contract_tests.mock.__main__ import main as mock_main  # noqa: PLC0415
    from contract_tests.suite.targets import serve_app  # noqa: PLC0415

    code, report, reports = conformance_runs(examples=PASSING)
    assert code == 0
    _export, start = report["replay"]
    monkeypatch.setenv("TOKENOPS_API_KEY", "sk-canary-conformance-51c0ffee")
    words = [os.path.expandvars(word) for word in shlex.split(start.removesuffix(" &"))]  # as the shell expands them
    assert words[:3] == ["python", "-m", "contract_tests.mock"]
    served: list[Any] = []

    def serve(app: Any, **_options: Any) -> bool:
        served.append(app)
        return True

    assert mock_main([*words[3:], "--port", "0", "--quiet"], serve=serve) == 0
    seed = json.loads((reports / "mock-seed.json").read_text(encoding="utf-8"))
    assert seed
    target = serve_app(served[0], control=True)
    try:
        auth = {"Authorization": "Bearer sk-canary-conformance-51c0ffee"}
        with httpx.Client(base_url=target.base_url, headers=auth, timeout=5) as client:
            assert [client.get(f"/v1/videos/{job['id']}").status_code for job in seed] == [200] * len(seed)
            assert client.get("/v1/videos/video_not_in_the_seed").status_code == 404
    finally:
        target.close()


# Release tier: the printed command itself, in a shell (a mock process), and the findings' curls against it.
@pytest.mark.release
def test_an_embedded_run_prints_the_command_that_recreates_its_ids(conformance_runs: Any) -> None:
    code, report, reports = conformance_runs(examples=PASSING)
    assert code == 0
    export, start = report["replay"]
    assert export == 'export TOKENOPS_API_KEY="${TOKENOPS_API_KEY:-sk-mock-local}"'
    port = free_port()
    command = start.removesuffix(" &").replace("--port 4010", f"--port {port}")
    env = {
        **os.environ,
        "TOKENOPS_API_KEY": "sk-canary-conformance-51c0ffee",
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # `python` = this venv's
    }
    process = subprocess.Popen(["bash", "-c", f"exec {command} --quiet"], env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(300):
                try:
                    client.get("/_mock/clock", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.03)
            seed = json.loads((reports / "mock-seed.json").read_text(encoding="utf-8"))
            assert str(reports / "mock-seed.json") in start
            auth = {"Authorization": f"Bearer {env['TOKENOPS_API_KEY']}"}
            for job in seed:
                assert client.get(f"/v1/videos/{job['id']}", headers=auth).status_code == 200, job["id"]
        for finding in _replayable(report["findings"]):
            curl = finding["request"]["curl"].replace("127.0.0.1:4010", f"127.0.0.1:{port}")
            assert _status_of(curl, env) == finding["status_code"], curl
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert shlex.split(start)[:3] == ["python", "-m", "contract_tests.mock"]


@pytest.mark.integration
def test_two_runs_of_the_same_server_give_the_same_json(
    conformance_runs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first, shared_reports = conformance_runs(*REALITY_AND_RIGGED)  # the shared run, and one more like it
    again = run_cli(tmp_path, *REALITY_AND_RIGGED, monkeypatch=monkeypatch)[1]
    # The report directory is the one thing that differs: the replay command names the seed file in it.
    again["replay"] = [line.replace(str(tmp_path / "reports"), str(shared_reports)) for line in again["replay"]]
    documents = []
    for report in (first, again):
        assert report["verdict"]["verdict"] == "fail"
        for volatile in ("started_at", "duration_seconds"):
            report.pop(volatile)
        assert report["target"]["replay_base_url"] == "http://127.0.0.1:4010"  # what the curls name: the same
        assert report["target"].pop("base_url").startswith("http://127.0.0.1:")  # the free port it ran on
        documents.append(_generated_ids_in_order(json.dumps(report, sort_keys=True)))
    assert documents[0] == documents[1]


def _generated_ids_in_order(text: str) -> str:
    """Ids the mock gave jobs created through the API, renamed by first appearance: its id counter is per process
    (contract_tests/mock/_jobs.py), so a second embedded mock in one process numbers on from the first."""
    seen: dict[str, str] = {}
    return GENERATED_ID.sub(lambda found: seen.setdefault(found.group(0), f"video_generated_{len(seen)}"), text)


def test_junit_marks_an_interrupted_run_as_an_error_with_its_reasons() -> None:
    result = RunResult(target="t", base_url="http://t", started_at=0.0, operations=[LABEL], interrupted=True)
    suite = ET.fromstring(junit(to_json(result, decide(result), {})))
    assert (suite.get("errors"), suite.get("failures")) == ("1", "0")
    [verdict] = [case for case in suite.iter("testcase") if case.get("name") == "verdict [interrupted]"]
    error = verdict.find("error")
    assert error is not None
    assert (error.get("message"), error.get("type")) == ("the run was interrupted", "interrupted")
    assert error.text == "the run was interrupted before it had the evidence to conclude: run it again to the end"


def test_headlines_count_the_probes_the_checks_saw() -> None:
    from contract_tests.suite.report.document import requests_text  # noqa: PLC0415

    def report(requests: int, *checked: int) -> dict[str, Any]:
        return {"summary": {"responses": requests}, "operations": [{"responses_checked": n} for n in checked]}

    assert requests_text(report(106, 100, 6)) == "106 requests"
    # wrong-method probes are checked responses but not requests of the operation: say both, so the check
    # matrix (held + failed + n/a per check) adds up to a number the headline shows
    assert requests_text(report(106, 110, 7)) == "106 requests, 117 responses checked (probes included)"
