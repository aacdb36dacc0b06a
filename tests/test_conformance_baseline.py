"""Known deviations (contract_tests/suite/baseline.py): identity includes the category, '*' covers every operation,
expired entries are reported as expired, errors name the file."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import attrs
import pytest

from contract_tests.suite.baseline import BaselineError, KnownDeviations, Match
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


# --- matching and updating, entry by entry (what make mutation checks the baseline by) ---------------------------


@attrs.define
class _Seen:
    """What the baseline reads of a finding (:class:`contract_tests.suite.baseline.Identified`)."""

    operation: str = LABEL
    check: str = "status_code_conformance"
    failure_type: str = "UndefinedStatusCode"
    key: str = "401"
    title: str = "Undocumented status code"
    category_value: str = "spec_gap"


def _entry(**fields: str) -> dict[str, str]:
    return {
        "operation": LABEL,
        "check": "status_code_conformance",
        "failure": "UndefinedStatusCode",
        "signature": "401",
        **fields,
    }


def _known(tmp_path: Path, *entries: dict[str, str]) -> KnownDeviations:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"format_version": 1, "entries": list(entries)}), encoding="utf-8")
    return KnownDeviations.load(path)


def _ids(known: KnownDeviations) -> list[str]:
    return [entry.id for entry in known.entries]


def test_a_loaded_or_missing_file_is_where_updates_go(tmp_path: Path) -> None:
    assert KnownDeviations.load(tmp_path / "none.json").path == tmp_path / "none.json"
    assert _known(tmp_path, _entry()).path == tmp_path / "baseline.json"
    assert KnownDeviations.load(None).entries == []


@pytest.mark.parametrize(
    "other",
    [
        _entry(operation="POST /v1/videos"),
        _entry(check="not_a_server_error"),
        _entry(failure="ServerError"),
        _entry(signature="404"),
        _entry(category="server_nonconformance"),
    ],
    ids=["operation", "check", "failure", "signature", "category"],
)
def test_an_entry_that_differs_in_one_part_does_not_match_and_the_next_is_tried(
    tmp_path: Path, other: dict[str, str]
) -> None:
    known = _known(tmp_path, other, _entry(category="spec_gap"))
    assert known.match(_Seen()) == Match(_ids(known)[1])
    assert known.used == {_ids(known)[1]}
    assert known.match(_Seen(), today=datetime.date(2000, 1, 1)) == Match(_ids(known)[1])


def test_an_entry_without_a_category_matches_every_category(tmp_path: Path) -> None:
    known = _known(tmp_path, _entry())
    assert known.match(_Seen(category_value="server_nonconformance")) == Match(_ids(known)[0])
    assert known.unused() == []


def test_an_expired_entry_matches_with_its_expiry_and_counts_as_used(tmp_path: Path) -> None:
    known = _known(tmp_path, _entry(expires="2024-01-31"))
    assert known.match(_Seen(), today=datetime.date(2024, 2, 1)) == Match(_ids(known)[0], expired="2024-01-31")
    assert known.match(_Seen(), today=datetime.date(2024, 1, 31)) == Match(_ids(known)[0])  # the last valid day
    assert known.used == {_ids(known)[0]}


def test_update_adds_each_new_finding_with_todays_date_and_its_title(tmp_path: Path) -> None:
    known = KnownDeviations.load(tmp_path / "new.json")
    change = known.update([_Seen(), _Seen(key="404", title="Not found", category_value="server_nonconformance")])
    assert (len(change.added), change.updated, change.renewed) == (2, [], [])
    today = datetime.date.today().isoformat()
    entries = json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))["entries"]
    assert [(e["signature"], e["category"], e["title"], e["first_seen"], e["last_seen"]) for e in entries] == [
        ("401", "spec_gap", "Undocumented status code", today, today),
        ("404", "server_nonconformance", "Not found", today, today),
    ]


def test_update_refreshes_a_covered_entry_and_renews_an_expired_one(tmp_path: Path) -> None:
    covered = _entry(category="spec_gap", first_seen="2020-01-01", last_seen="2020-01-02", note="mine")
    expired = _entry(signature="404", category="spec_gap", first_seen="2020-01-01", expires="2020-06-01")
    other = _entry(signature="429", category="spec_gap", first_seen="2020-01-01")
    known = _known(tmp_path, covered, expired, other)
    change = known.update([_Seen(), _Seen(key="404")])
    assert ([entry.signature for entry in change.updated], change.added) == (["401"], [])
    assert [renewed.expired for renewed in change.renewed] == ["2020-06-01"]
    today = datetime.date.today().isoformat()
    entries = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["entries"]
    by_signature = {e["signature"]: e for e in entries}
    assert sorted(e["signature"] for e in entries) == ["401", "404", "429"]  # the expired entry renewed, once
    assert (by_signature["401"]["first_seen"], by_signature["401"]["last_seen"], by_signature["401"]["note"]) == (
        "2020-01-01",
        today,
        "mine",
    )
    assert (by_signature["404"]["first_seen"], by_signature["404"].get("expires")) == ("2020-01-01", None)
    assert by_signature["429"]["first_seen"] == "2020-01-01"


def test_update_keeps_an_entry_that_has_not_expired_yet_with_its_date(tmp_path: Path) -> None:
    later = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    known = _known(tmp_path, _entry(category="spec_gap", first_seen="2020-01-01", expires=later))
    change = known.update([_Seen()])
    assert ([entry.signature for entry in change.updated], change.renewed, change.added) == (["401"], [], [])
    (entry,) = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["entries"]
    assert entry["expires"] == later  # accepted again before its date: the date still stands


def test_the_same_finding_twice_in_one_update_is_added_once_and_not_also_updated(tmp_path: Path) -> None:
    known = KnownDeviations.load(tmp_path / "new.json")
    change = known.update([_Seen(), _Seen()])
    assert ([entry.signature for entry in change.added], change.updated, change.renewed) == (["401"], [], [])
    assert len(json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))["entries"]) == 1
