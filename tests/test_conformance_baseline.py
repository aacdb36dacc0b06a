"""Known deviations (contract_tests/suite/baseline.py): identity includes the category, '*' covers every operation,
expired entries are reported as expired, errors name the file."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from contract_tests.suite.baseline import BaselineError, KnownDeviations
from contract_tests.suite.categories import Category
from contract_tests.suite.findings import Ledger
from contract_tests.suite.records import Received
from contract_tests.suite.report import terminal_lines, to_json
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import decide

LABEL = "GET /v1/videos/{video_id}"
OPENAI_401 = json.dumps({"error": {"message": "Incorrect API key provided.", "type": "x", "code": "y"}}).encode()


def _baseline(tmp_path: Path, **extra: str) -> Path:
    entry = {
        "operation": "*",
        "check": "status_code_conformance",
        "failure": "UndefinedStatusCode",
        "signature": "401",
        "category": "spec_gap",
        **extra,
    }
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"format_version": 1, "entries": [entry]}), encoding="utf-8")
    return path


def _add(ledger: Ledger, body: bytes, *, operation: str = LABEL) -> None:
    received = Received(401, (("content-type", "application/json"),), body)
    ledger.add(
        check="status_code_conformance",
        failure_type="UndefinedStatusCode",
        title="Undocumented status code",
        message="Received: 401",
        key="401",
        operation=operation,
        phase="coverage",
        sent=None,
        received=received,
    )


def test_a_star_entry_covers_every_operation_while_the_category_holds(tmp_path: Path) -> None:
    ledger = Ledger(KnownDeviations.load(_baseline(tmp_path)), "sk-baseline")
    _add(ledger, OPENAI_401)
    _add(ledger, OPENAI_401, operation="DELETE /v1/videos/{video_id}")
    _add(ledger, b"<html>401</html>", operation="POST /v1/videos")  # same status, not the accepted shape
    known = {(f.operation, f.known, f.category) for f in ledger.findings}
    assert known == {
        (LABEL, True, Category.SPEC_GAP),
        ("DELETE /v1/videos/{video_id}", True, Category.SPEC_GAP),
        ("POST /v1/videos", False, Category.SERVER_NONCONFORMANCE),
    }


def test_an_expired_entry_is_reported_as_expired_not_as_anonymous_new(tmp_path: Path) -> None:
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    ledger = Ledger(KnownDeviations.load(_baseline(tmp_path, expires=yesterday)), "sk-baseline")
    _add(ledger, OPENAI_401)
    (finding,) = ledger.findings
    assert (finding.known, finding.baseline_expired) == (False, yesterday)
    result = RunResult(target="t", base_url="http://t", started_at=0.0, operations=[LABEL], findings=ledger.findings)
    decision = decide(result, fail_on=(Category.SPEC_GAP,))
    report = to_json(result, decision, {})
    (entry,) = report["findings"]
    assert (entry["status"], entry["baseline_expires"]) == ("expired", yesterday)
    assert decision.verdict.value == "fail"
    assert any(line.startswith("  EXPIRED Spec gap: Undocumented status code") for line in terminal_lines(report, {}))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "Expecting value"),
        ('{"format_version": 7, "entries": []}', "Unsupported baseline format version 7"),
        ('{"format_version": 1, "entries": [{"operation": "*"}]}', "missing string fields"),
    ],
)
def test_baseline_errors_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "mine.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as raised:
        KnownDeviations.load(path)
    assert str(raised.value).startswith(f"baseline {path}: ")
    assert message in str(raised.value)


def test_update_records_the_category_that_made_it_acceptable(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    known = KnownDeviations.load(None)
    known.path = path
    ledger = Ledger(known, "sk-baseline")
    _add(ledger, OPENAI_401)
    change = known.update(ledger.findings)
    assert ([e.signature for e in change.added], change.updated, change.renewed) == (["401"], [], [])
    (entry,) = json.loads(path.read_text(encoding="utf-8"))["entries"]
    assert (entry["operation"], entry["category"], entry["signature"]) == (LABEL, "spec_gap", "401")
    again = known.update(ledger.findings)  # already covered: last_seen refreshed, nothing added
    assert (again.added, [e.signature for e in again.updated], again.renewed) == ([], ["401"], [])


def test_an_entry_for_another_operation_does_not_cover_a_finding(tmp_path: Path) -> None:
    ledger = Ledger(KnownDeviations.load(_baseline(tmp_path, operation="POST /v1/videos")), "sk-baseline")
    _add(ledger, OPENAI_401)
    [finding] = ledger.findings
    assert (finding.known, finding.baseline_id) == (False, None)
    assert ledger.known.unused() != []


def test_updating_needs_a_writable_file(tmp_path: Path) -> None:
    ledger = Ledger(KnownDeviations(None), "sk-baseline")
    _add(ledger, OPENAI_401)
    with pytest.raises(BaselineError, match=r"^baseline: no file given$"):
        KnownDeviations(None).update(ledger.findings)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    known = KnownDeviations(blocker / "baseline.json")
    with pytest.raises(
        BaselineError, match=r"^baseline .*not-a-directory/baseline\.json: cannot write: (File exists|Not a directory)$"
    ):
        known.update(ledger.findings)


def test_an_expired_entry_is_renewed_in_place_keeping_its_scope_and_reason(tmp_path: Path) -> None:
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    path = _baseline(tmp_path, expires=yesterday, reason="the vendor documents no 401")
    known = KnownDeviations.load(path)
    ledger = Ledger(known, "sk-baseline")
    _add(ledger, OPENAI_401)
    _add(ledger, OPENAI_401, operation="DELETE /v1/videos/{video_id}")
    change = known.update(ledger.findings)
    assert ([r.expired for r in change.renewed], change.added, change.updated) == ([yesterday], [], [])
    (entry,) = json.loads(path.read_text(encoding="utf-8"))["entries"]
    assert (entry["operation"], entry["reason"], "expires" in entry) == ("*", "the vendor documents no 401", False)


def test_nothing_accepted_writes_nothing(tmp_path: Path) -> None:
    known = KnownDeviations(tmp_path / "baseline.json")
    change = known.update([])
    assert (change.added, change.updated, change.renewed) == ([], [], [])
    assert not (tmp_path / "baseline.json").exists()
