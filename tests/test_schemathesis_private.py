"""The suite's only uses of schemathesis' non-public parts (contract_tests/suite/_schemathesis_private.py) still hold
for the installed schemathesis; on an upgrade this fails and says what to re-check."""

from __future__ import annotations

import pytest
from schemathesis.baseline import failure_identity

from contract_tests.suite import _schemathesis_private as private
from contract_tests.suite.checks import SemanticViolation


def test_every_private_use_holds_for_the_installed_schemathesis() -> None:
    changes = private.changes_since_pin()
    assert changes == [], (
        "schemathesis changed under contract_tests/suite/_schemathesis_private.py: "
        + "; ".join(changes)
        + ". Re-check each numbered item of that module's docstring against the new version, then move the pin"
        " (pyproject.toml and PINNED)."
    )


def test_a_change_in_what_the_module_reads_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(private, "PINNED", "0.0.1")
    monkeypatch.setitem(private._RECORDER_FIELDS, private.ScenarioFinished, ("recorder", "timeline"))
    changes = private.changes_since_pin()
    assert changes[0].endswith("is installed, this module was checked against 0.0.1")
    assert changes[1] == "schemathesis.engine.events.ScenarioFinished has no timeline any more"
    assert len(changes) == 2


def test_a_suite_failure_is_identified_by_its_key() -> None:
    first = SemanticViolation(operation="GET /v1/videos/{video_id}", title="t", message="m", key="progress:range")
    other = SemanticViolation(operation="GET /v1/videos/{video_id}", title="t", message="other", key="status:fields")
    same = SemanticViolation(operation="GET /v1/videos/{video_id}", title="t2", message="m2", key="progress:range")
    assert failure_identity(first, "progress_in_range")[3] == "progress:range"
    assert first == same  # schemathesis keeps one of two failures with one key
    assert first != other  # and both of two with different keys
    assert len({first, other, same}) == 2
