"""The lifecycle invariants (contract_tests/suite/lifecycle.py) on hand-made response sequences."""

from __future__ import annotations

import collections
import json
from typing import Any

from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.direct import Exchange
from contract_tests.suite.findings import Ledger
from contract_tests.suite.lifecycle import Unfinished, check_sequence, run_lifecycle
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.resources import Lifecycle, rules_for
from contract_tests.suite.spec_facts import facts_for, load_facts
from tests.conftest import ROOT


def body(status: str, progress: int, **extra: Any) -> dict[str, Any]:
    return {"id": "v", "status": status, "progress": progress, "created_at": 100, **extra}


DONE = {"completed_at": 200, "expires_at": 300}


def _violations(bodies: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(check, violation.key, index) for check, violation, index in check_sequence(bodies)[1]]


def test_a_healthy_job_passes_every_check() -> None:
    bodies = [
        body("queued", 0),
        body("in_progress", 10),
        body("in_progress", 55),
        body("completed", 100, **DONE),
        body("completed", 100, **DONE),
    ]
    passed, found = check_sequence(bodies)
    assert found == []
    assert passed["lifecycle_progress_monotonic"] == 4
    assert passed["lifecycle_terminal_stable"] == 1


def test_progress_going_backwards() -> None:
    assert _violations([body("in_progress", 50), body("in_progress", 40)]) == [
        ("lifecycle_progress_monotonic", "progress-decreased", 1)
    ]


def test_status_moving_backwards_and_between_terminals() -> None:
    assert ("lifecycle_status_order", "status-backwards", 1) in _violations(
        [body("in_progress", 5), body("pending", 5)]
    )
    found = _violations([body("failed", 99, error={"code": "x"}), body("completed", 100, **DONE)])
    assert ("lifecycle_status_order", "status-backwards", 1) in found
    assert ("lifecycle_terminal_stable", "terminal-changed", 1) in found


def test_terminal_state_must_be_stable() -> None:
    found = _violations([body("completed", 100, **DONE), body("completed", 100, completed_at=200, expires_at=999)])
    assert ("lifecycle_terminal_stable", "terminal-changed", 1) in found
    assert ("lifecycle_timestamps_fixed", "timestamp-changed", 1) in found


def test_timestamps_must_not_change_once_set() -> None:
    found = _violations([body("in_progress", 5), body("in_progress", 6, created_at=101)])
    assert found == [("lifecycle_timestamps_fixed", "timestamp-changed", 1)]


def test_the_rules_come_from_the_table_entry() -> None:
    upload = Lifecycle(
        name="upload", ranks={"uploading": 0, "processing": 1, "ready": 2}, terminal=frozenset({"ready"})
    )
    found = check_sequence([{"status": "processing"}, {"status": "uploading"}], upload)[1]
    assert [(check, violation.key) for check, violation, _ in found] == [("lifecycle_status_order", "status-backwards")]
    assert rules_for(("pending", "in_progress", "completed", "failed")) is not None
    assert rules_for(("draft", "published")) is None  # no entry shares a state: no lifecycle rules guessed


# --- run_lifecycle with a scripted server (a stand-in for Direct) --------------------------------------------

LABEL = "GET /v1/videos/{video_id}"
NOT_FOUND = {"error": {"message": "gone", "type": "invalid_request_error", "code": "not_found"}}


class _Target:
    control = False

    def advance(self, seconds: float) -> None:  # pragma: no cover - a live target has no mock clock
        raise AssertionError("a live target's clock cannot be advanced")


class _Clock:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class ScriptedDirect:
    """Answers each poll with the next (status, body) of ``script`` (the last one repeats)."""

    def __init__(self, script: list[tuple[int, dict[str, Any]]]) -> None:

        self.script, self.polls = script, 0
        self.target, self.clock = _Target(), _Clock()
        self.ledger = Ledger(KnownDeviations(None), "sk-lifecycle")

    def send(self, facts: Any, *, phase: str, path_params: dict[str, str]) -> Any:

        status, answer = self.script[min(self.polls, len(self.script) - 1)]
        self.polls += 1
        sent = Sent("GET", f"http://t/v1/videos/{path_params['video_id']}")
        received = Received(status, (("content-type", "application/json"),), json.dumps(answer).encode())
        return Exchange(sent, received, [], answer if 200 <= status < 300 else None)


def _follow(script: list[tuple[int, dict[str, Any]]], **options: Any) -> tuple[Any, ScriptedDirect]:

    direct = ScriptedDirect(script)
    spec = load_facts(ROOT / "openapi.yaml")
    result = run_lifecycle(direct, spec, given={"video_id": ["video_live"]}, **options)  # type: ignore[arg-type]
    return result, direct


def test_a_resource_that_vanishes_while_followed_is_a_finding() -> None:
    result, direct = _follow([(200, body("in_progress", 10)), (404, NOT_FOUND)], deadline=10, poll_interval=2)
    assert (result.followed, result.unfinished, result.never_found, result.polls) == (["video_live"], [], [], 2)
    assert result.finished == ["video_live"]  # vanishing ends the following too (and is a finding)
    [finding] = direct.ledger.findings
    assert (finding.check, finding.title, finding.key) == (
        "lifecycle_resource_kept",
        "Resource vanished while being followed",
        "vanished",
    )
    assert finding.message == "video_id='video_live' answered 2xx, then 404"
    assert direct.ledger.evidence.operation(LABEL).checks["lifecycle_resource_kept"].failed == 1
    assert direct.clock.slept == [2]


def test_a_live_job_still_running_at_the_deadline_is_unfinished_with_its_last_state() -> None:
    notes: list[str] = []
    result, direct = _follow([(200, body("in_progress", 10))], deadline=3, poll_interval=1, on_progress=notes.append)
    assert (result.unfinished, result.polls, result.deadline) == (
        [Unfinished("video_live", "in_progress", 10, 3)],
        3,
        3,
    )
    assert result.proves_nothing
    assert direct.clock.slept == [1, 1, 1]
    assert direct.ledger.findings == []
    assert notes[0] == "lifecycle: following 1 resource(s)"


class PerIdDirect(ScriptedDirect):
    """Answers each id from its own script (the last answer repeats)."""

    def __init__(self, scripts: dict[str, list[tuple[int, dict[str, Any]]]]) -> None:
        super().__init__([])
        self.scripts, self.seen = scripts, collections.Counter[str]()

    def send(self, facts: Any, *, phase: str, path_params: dict[str, str]) -> Any:
        video_id = path_params["video_id"]
        script = self.scripts[video_id]
        status, answer = script[min(self.seen[video_id], len(script) - 1)]
        self.seen[video_id] += 1
        sent = Sent("GET", f"http://t/v1/videos/{video_id}")
        received = Received(status, (("content-type", "application/json"),), json.dumps(answer).encode())
        return Exchange(sent, received, [], answer if 200 <= status < 300 else None)


def test_one_job_finishing_is_the_evidence_and_the_long_one_is_listed() -> None:
    direct = PerIdDirect(
        {
            "video_quick": [(200, body("in_progress", 50)), (200, {**body("completed", 100), **DONE})],
            "video_long": [(200, body("queued", 0)), (200, body("in_progress", 7))],
        }
    )
    spec = load_facts(ROOT / "openapi.yaml")
    given = {"video_id": ["video_quick", "video_long"]}
    result = run_lifecycle(direct, spec, given=given, deadline=10, poll_interval=2)  # type: ignore[arg-type]
    assert result.finished == ["video_quick"]
    assert result.unfinished == [Unfinished("video_long", "in_progress", 7, 10)]
    assert not result.proves_nothing
    assert result.notes == [
        "lifecycle: 1 resource still running at the deadline (video_long (in_progress, 7 %, followed 10 s)); "
        "1 reached a terminal state, which is the evidence"
    ]


def test_a_status_enum_nothing_reads_by_id_is_noted() -> None:

    document = {
        "paths": {},
        "components": {"schemas": {"Job": {"properties": {"status": {"enum": ["queued", "completed"]}}}}},
    }
    result = run_lifecycle(ScriptedDirect([]), facts_for(document), given={})  # type: ignore[arg-type]
    assert result.notes == ["lifecycle: Job has a status enum but no rules or no operation reads it by id"]
    assert result.followed == []
