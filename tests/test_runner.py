"""The run's plumbing (``contract_tests.suite.runner``) without a run: fixtures, curl notes, the engine's event and
error accounting, Ctrl-C. Full runs are in tests/test_conformance*.py."""

from __future__ import annotations

import signal
import threading
import types
from typing import Any

import httpx
import pytest
import requests

from contract_tests.suite import _schemathesis_private as events
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.evidence import Outcome
from contract_tests.suite.findings import Ledger
from contract_tests.suite.records import Sent
from contract_tests.suite.runner import (
    DISPOSABLE_FIXTURES,
    PhaseOutcome,
    RunOptions,
    RunResult,
    _Engine,
    _fixtures,
    _outcome,
    _sigint_watch,
    _stages,
    sent_from_curl_note,
)
from contract_tests.suite.spec_facts import facts_for, load_facts
from contract_tests.suite.steering import IdPools
from tests.conformance_fakes import LABEL, status_resource_spec
from tests.conftest import ROOT
from tokenops.redaction import register_secret

KEY = "sk-runner-unit"
FACTS = load_facts(ROOT / "openapi.yaml")


class FakeTarget:
    """The parts of a Target ``_fixtures`` uses: records the jobs it is asked to create."""

    def __init__(self, *, control: bool = True, fail_with: BaseException | None = None) -> None:
        self.control = control
        self.created: list[list[dict[str, Any]]] = []
        self.fail_with = fail_with

    def create_jobs(self, jobs: list[dict[str, Any]]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.created.append(jobs)


def _options(target: FakeTarget, **options: Any) -> RunOptions:
    return RunOptions(target=target, api_key=KEY, **options)  # type: ignore[arg-type]  # a fake target


def _engine() -> tuple[_Engine, RunResult, list[str]]:
    result = RunResult(target="t", base_url="http://t", started_at=0.0)
    notes: list[str] = []
    return _Engine(FACTS, Ledger(KnownDeviations(None), KEY), result, notes.append), result, notes


def _with_note(error: Exception, *notes: str) -> Exception:
    for note in notes:
        error.add_note(note)
    return error


# --- fixtures -------------------------------------------------------------------------------------------------


def test_fixtures_create_jobs_in_every_state_and_disposable_ones_on_the_mock() -> None:
    target, pools, facts = FakeTarget(), IdPools(), FACTS
    ledger = Ledger(KnownDeviations(None), KEY)
    options = _options(target, ids={"video_id": ["video_given"]}, disposable={"video_id": ["video_mine"]})
    _fixtures(options, facts, pools, ledger.evidence)
    disposable, states = target.created
    assert [job["id"] for job in disposable] == [
        f"video_conformance_disposable_{n:02d}" for n in range(1, DISPOSABLE_FIXTURES + 1)
    ]
    assert all(job["outcome"] != "failed" for job in disposable if "outcome" in job)
    assert [job["id"] for job in states] == [
        "video_conformance_completed",
        "video_conformance_failed",
        "video_conformance_running",
        "video_conformance_pending",
    ]
    assert pools.readable["video_id"] == ["video_given", *(job["id"] for job in states)]
    assert pools.disposable["video_id"] == ["video_mine", *(job["id"] for job in disposable)]
    tracked = {value: evidence.given for (_, value), evidence in ledger.evidence.ids.items()}
    assert tracked == {"video_given": True, **{job["id"]: False for job in states}}


def test_fixtures_on_a_server_without_control_only_use_the_given_ids() -> None:
    target, pools = FakeTarget(control=False), IdPools()
    _fixtures(
        _options(target, ids={"video_id": ["video_given"]}), FACTS, pools, Ledger(KnownDeviations(None), KEY).evidence
    )
    assert target.created == []
    assert pools.readable == {"video_id": ["video_given"]}
    assert pools.disposable == {}


@pytest.mark.parametrize(
    "document",
    [
        status_resource_spec("/t/{t_id}", "T", ["open", "shut"]),  # a status enum without lifecycle rules
        status_resource_spec("/videos", "V", ["queued", "completed"]),  # known states, nothing read by id
    ],
    ids=["unknown-states", "no-polling-operation"],
)
def test_fixtures_skip_lifecycles_they_cannot_create_or_read(document: dict[str, Any]) -> None:
    target = FakeTarget()
    _fixtures(_options(target), facts_for(document), IdPools(), Ledger(KnownDeviations(None), KEY).evidence)
    assert target.created == []


# --- curl notes -----------------------------------------------------------------------------------------------


def test_the_request_comes_back_from_schemathesis_curl_note() -> None:
    error = _with_note(
        requests.ConnectionError("reset"),
        "unrelated note",
        "Reproduce with: \n\n    curl -X POST -H 'Authorization: Bearer [Filtered]' -H 'Content-Type: application/json'"
        " -d '{\"a\": 1}' http://127.0.0.1:4010/v1/videos --insecure\n",
    )
    assert sent_from_curl_note(error) == Sent(
        "POST",
        "http://127.0.0.1:4010/v1/videos",
        (("Authorization", "Bearer [Filtered]"), ("Content-Type", "application/json")),
        b'{"a": 1}',
    )


@pytest.mark.parametrize(
    "notes",
    [(), ("no command here",), ("curl -X GET 'http://unterminated",), ("curl -X DELETE -H 'A: b'",)],
    ids=["no-notes", "no-curl", "bad-quoting", "no-url"],
)
def test_no_usable_curl_note_means_no_request(notes: tuple[str, ...]) -> None:
    assert sent_from_curl_note(_with_note(OSError("x"), *notes)) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (types.SimpleNamespace(value="success"), Outcome.HELD),
        ("failure", Outcome.FAILED),
        ("error", Outcome.ERRORED),
        ("skip", Outcome.NOT_APPLICABLE),
    ],
)
def test_schemathesis_statuses_map_to_outcomes(status: Any, outcome: Outcome) -> None:
    assert _outcome(status) is outcome


# --- the engine -----------------------------------------------------------------------------------------------


def test_a_transport_error_waits_for_its_request_then_is_flushed_with_the_curl_note() -> None:
    engine, result, _ = _engine()
    error = _with_note(requests.ConnectionError("Connection refused"), "curl -X GET http://t/v1/videos/video_1")
    engine.error(events.NonFatalError(error=error, phase=None, label=LABEL, related_to_operation=True))
    assert result.aborted == ["engine: " + LABEL + " stopped early after a transport failure (connection refused)"]
    assert result.errors == []
    engine.flush()
    [finding] = engine.ledger.findings
    assert (finding.operation, finding.failure_type, finding.phase) == (LABEL, "ConnectionRefused", "engine")
    assert (finding.request["method"], finding.request["url"]) == ("GET", "http://t/v1/videos/video_1")
    assert engine.pending == {}


def test_other_errors_are_run_errors_with_the_key_redacted() -> None:
    engine, result, _ = _engine()
    secret = register_secret(KEY)  # the run registers the key for as long as it lasts
    engine.error(events.FatalError(exception=ValueError(f"bad   config\n for {KEY}")))
    del secret
    assert result.errors == ["engine: ValueError: bad config for <redacted>"]
    assert result.aborted == ["engine stopped early: ValueError"]
    assert engine.ledger.findings == []


def test_a_transport_error_on_an_unknown_operation_is_a_run_error() -> None:
    engine, result, _ = _engine()
    engine.error(
        events.NonFatalError(error=OSError("boom"), phase=None, label="GET /elsewhere", related_to_operation=True)
    )
    assert engine.pending == {}
    assert result.errors == ["engine: GET /elsewhere: OSError: boom"]


class _Recorder:
    def __init__(self, *, response: Any, with_case: bool = True) -> None:
        request = httpx.Request("GET", "http://t/v1/videos/video_7")
        case = types.SimpleNamespace(
            operation=types.SimpleNamespace(label=LABEL), path_parameters={"video_id": "video_7"}
        )
        self.interactions = {"c1": types.SimpleNamespace(request=request, response=response)}
        self.cases = {"c1": types.SimpleNamespace(value=case)} if with_case else {}
        self.checks: dict[str, list[Any]] = {"c1": [], "c2": []}  # c2: checks without an interaction


def _scenario(recorder: _Recorder) -> Any:
    return types.SimpleNamespace(recorder=recorder, phase=types.SimpleNamespace(value="stateful"))


def test_a_scenario_step_without_a_response_takes_the_pending_transport_error() -> None:
    engine, _, _ = _engine()
    engine.pending[LABEL] = (requests.ReadTimeout("read timed out"), "examples")
    engine.scenario(_scenario(_Recorder(response=None)))
    [finding] = engine.ledger.findings
    assert (finding.failure_type, finding.phase, finding.request["url"]) == (
        "Timeout",
        "stateful",
        "http://t/v1/videos/video_7",
    )
    assert engine.pending == {}
    evidence = engine.ledger.evidence.operations[LABEL]
    assert evidence.requests == 1


def test_a_step_without_a_response_or_a_case_and_no_pending_error_is_not_a_finding() -> None:
    engine, _, _ = _engine()
    engine.scenario(_scenario(_Recorder(response=None)))
    engine.pending[LABEL] = (requests.ReadTimeout("read timed out"), "examples")
    engine.scenario(_scenario(_Recorder(response=None, with_case=False)))
    assert engine.ledger.findings == []
    assert LABEL in engine.pending  # still waiting for its request


def test_consume_counts_phases_and_stops_on_interrupts() -> None:
    engine, result, _ = _engine()
    with pytest.raises(KeyboardInterrupt):
        engine.consume([events.Interrupted(phase=None)])
    engine.sigint.set()
    error = events.NonFatalError(error=ValueError("late"), phase=None, label="", related_to_operation=False)
    with pytest.raises(KeyboardInterrupt):
        engine.consume([error])
    assert result.errors == []  # Ctrl-C came first: the event was not accounted
    engine.pending[LABEL] = (requests.ConnectionError("refused"), "examples")
    with pytest.raises(KeyboardInterrupt):
        engine.consume([])
    assert [f.failure_type for f in engine.ledger.findings] == ["ConnectionRefused"]  # flushed before stopping


def test_finished_phases_are_announced_without_contradicting_the_verdict() -> None:
    from schemathesis.engine import Status  # noqa: PLC0415
    from schemathesis.engine.run import Phase, PhaseName  # noqa: PLC0415

    engine, result, notes = _engine()
    engine.ledger.add(
        check="status_code_conformance",
        failure_type="UndefinedStatusCode",
        title="Undocumented status code",
        message="Received: 401",
        key="401",
        operation=LABEL,
        phase="fuzzing",
        sent=None,
        received=None,
    )
    phases = [Phase(PhaseName.FUZZING), Phase(PhaseName.COVERAGE), Phase(PhaseName.EXAMPLES)]
    statuses = (Status.FAILURE, Status.ERROR, Status.SKIP)
    finished = zip(phases, statuses, strict=True)
    engine.consume([events.PhaseFinished(phase=phase, status=status, payload=None) for phase, status in finished])
    # schemathesis says "failure" for any failed check, known deviations and spec gaps included: a PASS may follow,
    # so a phase says how it ended and what it found, in the suite's own words
    assert notes == [
        "phase fuzzing: completed: 1 new finding, 0 known",
        "phase coverage: stopped early: 0 new findings, 0 known",
        "phase examples: skipped: 0 new findings, 0 known",
    ]
    assert result.phases["fuzzing"] == PhaseOutcome("completed", new=1, known=0)


def test_ctrl_c_during_the_stages_keeps_what_was_seen_and_closes_the_client() -> None:
    engine, result, notes = _engine()
    closed: list[bool] = []
    direct = types.SimpleNamespace(close=lambda: closed.append(True))
    options = _options(FakeTarget(fail_with=KeyboardInterrupt()))
    _stages(options, facts=FACTS, pools=IdPools(), schema=None, engine=engine, direct=direct, result=result)  # type: ignore[arg-type]
    assert result.interrupted is True
    assert notes == ["interrupted: writing what was seen so far"]
    assert closed == [True]


# --- Ctrl-C watch ---------------------------------------------------------------------------------------------


def test_the_sigint_watch_only_installs_a_handler_on_the_main_thread() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[tuple[bool, Any]] = []

    def elsewhere() -> None:
        with _sigint_watch() as event:
            seen.append((event.is_set(), signal.getsignal(signal.SIGINT)))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join(timeout=10)
    assert seen == [(False, before)]


def test_ctrl_c_is_remembered_and_the_handler_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with _sigint_watch() as seen:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        assert handler is not before
        with pytest.raises(KeyboardInterrupt):
            handler(signal.SIGINT, None)
        assert seen.is_set()
    assert signal.getsignal(signal.SIGINT) is before
