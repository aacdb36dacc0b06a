"""The lifecycle invariants (contract_tests/lifecycle.py) on hand-made response sequences."""

from __future__ import annotations

from typing import Any

from contract_tests.lifecycle import check_sequence


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
    from contract_tests.resources import Lifecycle, rules_for  # noqa: PLC0415

    upload = Lifecycle(
        name="upload", ranks={"uploading": 0, "processing": 1, "ready": 2}, terminal=frozenset({"ready"})
    )
    found = check_sequence([{"status": "processing"}, {"status": "uploading"}], upload)[1]
    assert [(check, violation.key) for check, violation, _ in found] == [("lifecycle_status_order", "status-backwards")]
    assert rules_for(("pending", "in_progress", "completed", "failed")) is not None
    assert rules_for(("draft", "published")) is None  # no entry shares a state: no lifecycle rules guessed
