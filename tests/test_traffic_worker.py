"""The proxy's checker process (``contract_tests/suite/traffic/worker.py``): exchanges cross into it, are checked
and reported when it stops; past its memory budget they are forwarded unchecked and counted, never queued."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from contract_tests.suite.traffic.session import SessionConfig
from contract_tests.suite.traffic.worker import CheckerError, CheckerProcess
from tests.conftest import ROOT
from tests.test_traffic_checker import get

pytestmark = pytest.mark.e2e  # a spawned process: seconds, not milliseconds


def _config(tmp_path: Path, **changes: object) -> SessionConfig:
    fields: dict[str, object] = {
        "spec": ROOT / "openapi.yaml",
        "upstream": "http://u",
        "mode": "proxy",
        "report_dir": tmp_path / "reports",
        "baseline": None,
        "quiet": True,
    }
    return SessionConfig(**{**fields, **changes})  # type: ignore[arg-type]


def test_exchanges_past_the_budget_are_counted_not_queued(tmp_path: Path) -> None:
    exchange = get()
    checker = CheckerProcess(_config(tmp_path), budget=3 * len(pickle.dumps(exchange)))
    checker.start()
    for _ in range(40):  # far faster than the checker takes them: most find the budget full
        checker(exchange)
    skipped = checker.skipped
    assert checker.stop() == 0  # every exchange it checked conforms: pass
    traffic = json.loads((tmp_path / "reports" / "conformance.json").read_text(encoding="utf-8"))["traffic"]
    assert skipped > 0
    assert traffic["exchanges"] == 40
    assert traffic["checked"] == 40 - skipped
    assert traffic["not_checked"] == {
        "the checker was behind (its memory budget was full): forwarded, not checked": skipped
    }


def test_a_checker_that_cannot_start_says_why(tmp_path: Path) -> None:
    (tmp_path / "baseline.json").write_text("not json", encoding="utf-8")
    checker = CheckerProcess(_config(tmp_path, baseline=tmp_path / "baseline.json"))
    with pytest.raises(CheckerError, match=r"BaselineError: .*baseline\.json"):
        checker.start()
