"""Safe by default against live targets (contract_tests/suite/writes.py): against anything but the embedded mock, no
request that changes something or costs money is sent without --include-writes; --max-writes caps them; operations
left out are listed as not tested in every report and do not make the run inconclusive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.mock import MockClock, create_app
from contract_tests.suite.runner import NOT_SELECTED
from contract_tests.suite.spec_facts import facts_for
from contract_tests.suite.targets import EMBEDDED_START, Target, serve_app
from contract_tests.suite.writes import PolicyError, WritePolicy, is_billed
from tests.conformance_fakes import PROJECT_BASELINE, Recorder, run_cli

pytestmark = pytest.mark.integration  # whole conformance runs against servers over TCP, the installed script

KEY = "sk-writes"
SAFE = {"GET", "HEAD", "OPTIONS"}
WRITES = {"POST /v1/videos", "DELETE /v1/videos/{video_id}", "POST /v1/videos/{video_id}/remix"}


def _document(billed: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/things": {
                "get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}},
                "post": {"operationId": "makeThing", "responses": {"200": {"description": "ok"}}},
            }
        },
    }
    if billed is not None:
        spec["paths"]["/v1/things"]["get"][billed] = True
    return spec


@pytest.mark.parametrize("extension", ["x-billed", "x-tokenops-billed"])
def test_a_get_marked_billed_in_the_spec_is_a_write(extension: str) -> None:
    facts = facts_for(_document(extension))
    listing = facts.operations["GET /v1/things"]
    assert is_billed(facts, listing)
    policy = WritePolicy(allowed=False)
    policy.learn(facts)
    assert policy.writes(listing)
    assert not policy.operation_may_write(listing)
    assert not is_billed(facts_for(_document()), facts_for(_document()).operations["GET /v1/things"])


def test_the_policy_counts_and_caps_writes() -> None:
    facts = facts_for(_document())
    policy = WritePolicy(allowed=True, max_writes=2, billed=frozenset({"listThings"}))
    policy.learn(facts)
    listing, making = facts.operations["GET /v1/things"], facts.operations["POST /v1/things"]
    assert policy.writes(listing)  # billed on the command line, by operationId
    assert [policy.take(making.label) for _ in range(3)] == [True, True, False]
    assert policy.take(None) is False  # an undeclared method over the cap: not sent, not held against an operation
    assert (policy.sent, dict(policy.refused)) == (2, {"POST /v1/things": 1})
    closed = WritePolicy(allowed=False)
    closed.learn(facts)
    assert not closed.writes(listing)
    assert closed.writes(making)
    assert closed.writes(listing, "DELETE")
    assert closed.take(making.label) is False


def test_billed_names_an_operation_of_the_spec() -> None:
    with pytest.raises(PolicyError, match=r"^--billed 'makeThings' is no operation of the spec \(operations: "):
        WritePolicy(billed=frozenset({"makeThings"})).learn(facts_for(_document()))


@pytest.fixture
def live_mock(grown_spec: Path) -> Iterator[tuple[str, Recorder]]:
    """Our mock serving the grown spec, as a server the suite did not start (a live target), recording requests."""
    app = create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), spec=grown_spec, log_requests=False)
    recorder = Recorder(app)
    target: Target = serve_app(recorder, control=True)
    try:
        yield target.base_url, recorder
    finally:
        target.close()


def _api_methods(recorder: Recorder) -> list[tuple[str, str]]:
    return [(method, path) for method, path, *_ in recorder.responses if not path.startswith("/_mock")]


def test_a_live_target_gets_no_write_and_the_writes_are_listed_as_not_tested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_spec: Path, live_mock: tuple[str, Recorder]
) -> None:
    url, recorder = live_mock
    args = ("--target", url, "--spec", str(grown_spec), "--baseline", str(PROJECT_BASELINE), "--min-checked", "1")
    code, report = run_cli(tmp_path, *args, key=KEY, monkeypatch=monkeypatch, examples="1", focus=False)
    sent = _api_methods(recorder)
    assert sent
    assert {method for method, _ in sent} <= SAFE
    assert {item["operation"] for item in report["not_tested"]} == WRITES
    assert {item["reason"] for item in report["not_tested"]} == {"writes not allowed (--include-writes sends them)"}
    assert (code, report["verdict"]["verdict"], report["verdict"]["reasons"]) == (0, "pass", [])
    assert report["writes"] == {"allowed": False, "max_writes": None, "sent": 0, "cut_short": []}
    reports = tmp_path / "reports"
    markdown = (reports / "conformance.md").read_text(encoding="utf-8")
    page = (reports / "conformance.html").read_text(encoding="utf-8").replace("<wbr>", "")
    skipped = [case for case in ET.parse(reports / "junit.xml").getroot() if case.get("name") == "not tested"]
    for label in WRITES:
        assert f"| `{label}` | not tested: writes not allowed" in markdown
        assert f"<code>{label}</code></td><td colspan='4'>not tested: writes not allowed" in page
    assert {case.get("classname") for case in skipped} == WRITES


def test_include_writes_sends_them_and_max_writes_caps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_spec: Path, live_mock: tuple[str, Recorder]
) -> None:
    url, recorder = live_mock
    args = ("--target", url, "--spec", str(grown_spec), "--baseline", str(PROJECT_BASELINE), "--min-checked", "1")
    code, report = run_cli(
        tmp_path,
        *args,
        "--include-writes",
        "--max-writes",
        "4",
        key=KEY,
        monkeypatch=monkeypatch,
        examples="1",
        focus=False,
    )
    writes = [(method, path) for method, path in _api_methods(recorder) if method not in SAFE]
    assert 1 <= len(writes) <= 4, writes
    assert report["writes"]["sent"] == len(writes)
    assert report["writes"]["max_writes"] == 4
    assert report["aborted"] == []  # a write held back is not an engine error
    assert report["errors"] == []
    assert code in (0, 3), report["verdict"]


def test_the_embedded_mock_is_tested_fully(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_spec: Path) -> None:
    args = ("--spec", str(grown_spec), "--baseline", str(PROJECT_BASELINE), "--min-checked", "1")
    # Which operations get requests is the subject, not how many cases each gets: one example a phase.
    _code, report = run_cli(tmp_path, *args, monkeypatch=monkeypatch, examples="1", focus=False)
    assert report["not_tested"] == []
    assert report["writes"]["allowed"] is True
    tested = {op["operation"] for op in report["operations"] if op["requests"]}
    assert tested >= WRITES


# The installed script as a process (release tier; its in-process twin is
# test_a_live_target_gets_no_write_and_the_writes_are_listed_as_not_tested).
@pytest.mark.release
def test_the_installed_script_sends_no_write_to_a_live_target(
    tmp_path: Path, grown_spec: Path, live_mock: tuple[str, Recorder]
) -> None:
    url, recorder = live_mock
    script = Path(sys.executable).with_name("tokenops-conformance")
    env = {**os.environ, "TOKENOPS_API_KEY": KEY}
    env.pop("TOKENOPS_VIDEO_IDS", None)
    command = [str(script), "--target", url, "--spec", str(grown_spec), "--max-examples", "3", "--min-checked", "1"]
    done = subprocess.run(
        [*command, "--quiet", "--report-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 3), done.stdout[-3000:] + done.stderr[-2000:]
    assert {method for method, _ in _api_methods(recorder)} <= SAFE
    assert "  POST /v1/videos: not tested: writes not allowed (--include-writes sends them)" in done.stdout
    report = json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))
    assert {item["operation"] for item in report["not_tested"]} == WRITES


def test_a_spec_with_a_billed_get_keeps_it_from_a_live_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_spec: Path, live_mock: tuple[str, Recorder]
) -> None:
    url, recorder = live_mock
    document = yaml.safe_load(grown_spec.read_text(encoding="utf-8"))
    document["paths"]["/v1/videos"]["get"]["x-billed"] = True
    billed = tmp_path / "billed.yaml"
    billed.write_text(yaml.safe_dump(document), encoding="utf-8")
    args = ("--target", url, "--spec", str(billed), "--baseline", str(PROJECT_BASELINE), "--min-checked", "1")
    _code, report = run_cli(tmp_path, *args, key=KEY, monkeypatch=monkeypatch, examples="1", focus=False)
    assert "GET /v1/videos" in {item["operation"] for item in report["not_tested"]}
    assert ("GET", "/v1/videos") not in _api_methods(recorder)


def test_operation_selects_what_is_tested_and_lists_the_rest_as_not_selected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown_spec: Path, live_mock: tuple[str, Recorder]
) -> None:
    url, recorder = live_mock
    args = ("--target", url, "--spec", str(grown_spec), "--baseline", str(PROJECT_BASELINE), "--min-checked", "1")
    selected = ("--operation", "getVideoStatus", "--include-writes")
    code, report = run_cli(tmp_path, *args, *selected, key=KEY, monkeypatch=monkeypatch, examples="1", focus=False)
    assert (code, report["verdict"]["verdict"]) == (0, "pass"), report["verdict"]
    sent = set(_api_methods(recorder))
    assert ("GET", "/v1/videos/video_conformance_completed") in sent
    other_operations = {
        (method, path)
        for method, path in sent
        if method == "DELETE" or path == "/v1/videos" or path.endswith(("/content", "/remix"))
    }
    assert not other_operations  # (the path-edge probes of GET /v1/videos/{video_id} send /v1/videos/ and the like)
    others = {op["operation"] for op in report["operations"]} - {"GET /v1/videos/{video_id}"}
    assert len(others) == 5
    assert {item["operation"]: item["reason"] for item in report["not_tested"]} == dict.fromkeys(others, NOT_SELECTED)


@pytest.mark.parametrize("name", ["getVideoStatuz", "GET /v1/videos/{id}"])
def test_an_operation_the_spec_does_not_have_is_a_setup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, report = run_cli(tmp_path, "--operation", name, monkeypatch=monkeypatch, focus=False)
    assert (code, report) == (2, {})
    err = capsys.readouterr().err
    assert err.startswith(f"conformance: error: {name!r} is no operation of the spec (operations: ")
    assert "getVideoStatus" in err
    assert len(err.strip().splitlines()) == 1
