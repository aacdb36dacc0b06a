"""The proxy's checker process (``contract_tests/suite/traffic/worker.py``): exchanges cross into it, are checked
and reported when it stops; past its memory budget they are forwarded unchecked and counted, never queued."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
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
    checker = CheckerProcess(_config(tmp_path), budget=3 * len(pickle.dumps([exchange])))
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


ORPHAN = """
import os, sys
from pathlib import Path
from contract_tests.suite.traffic.session import SessionConfig
from contract_tests.suite.traffic.worker import CheckerProcess
root, reports = Path(sys.argv[1]), Path(sys.argv[2])
config = SessionConfig(spec=root / "openapi.yaml", upstream="http://u", mode="proxy", report_dir=reports,
                       baseline=None, quiet=True)
checker = CheckerProcess(config)
checker.start()
print(checker.process.pid, flush=True)
os._exit(0)  # the proxy dies without telling its checker
"""


# Release tier: a proxy process that dies and a checker process that must follow it (~1.5 s of waiting on processes).
@pytest.mark.release
def test_the_checker_never_outlives_the_proxy(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(ROOT), str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    pid = int(done.stdout.split()[0])
    for _ in range(600):
        if not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower():
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the checker outlived the proxy")
    assert (tmp_path / "reports" / "conformance.json").exists()  # it wrote its reports on the way out
