"""The test tiers (tests/conftest.py): a unit test that starts a process fails and says which marker it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import parallel
from tests.conftest import INTEGRATION, RELEASE, UnitGuard, is_unit


class _Item:
    """What the guard reads of a pytest item: its id and its markers."""

    def __init__(self, *markers: str) -> None:
        self.nodeid = "tests/test_x.py::test_y"
        self._markers = set(markers)

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self._markers else None


def test_a_test_without_a_tier_marker_is_a_unit_test() -> None:
    assert is_unit(_Item())  # type: ignore[arg-type]
    assert not is_unit(_Item(INTEGRATION))  # type: ignore[arg-type]
    assert not is_unit(_Item(RELEASE))  # type: ignore[arg-type]


def test_a_unit_test_that_starts_a_process_fails_and_names_the_marker() -> None:
    guard = UnitGuard()

    def a_unit_test() -> None:
        with guard.watch(_Item()):  # type: ignore[arg-type]
            guard.audit("subprocess.Popen", ("git", ["git", "status"], None, None))
            guard.audit("open", ("file.txt", "r", 0))  # anything else is fine

    with pytest.raises(pytest.fail.Exception) as failed:
        a_unit_test()
    message = str(failed.value)
    assert "tests/test_x.py::test_y is a unit test" in message
    assert "but it started a process (subprocess.Popen: ['git', 'status']). Unit tests" in message
    assert "@pytest.mark.integration" in message
    assert guard.seen == ["started a process (subprocess.Popen: ['git', 'status'])"]


@pytest.mark.integration  # it forks a child (whose exec then fails)
def test_a_real_process_is_seen_through_the_audit_hook() -> None:
    guard = UnitGuard()
    sys.addaudithook(guard.audit)
    guard.watching = True
    try:
        with pytest.raises(FileNotFoundError):
            subprocess.run(["/nonexistent/tokenops-no-such-tool"], check=False)  # audited before the exec fails
    finally:
        guard.watching = False
    assert guard.seen == ["started a process (subprocess.Popen: ['/nonexistent/tokenops-no-such-tool'])"]


def test_integration_and_release_tests_are_not_watched() -> None:
    guard = UnitGuard()
    for marker in (INTEGRATION, RELEASE):
        with guard.watch(_Item(marker)):  # type: ignore[arg-type]
            guard.audit("subprocess.Popen", ("make", ["make"], None, None))
    assert guard.seen == []


def test_the_shares_of_make_test_fast_take_about_equal_time() -> None:
    seconds = {"a.py": 4.0, "b.py": 3.0, "c.py": 2.0, "d.py": 1.0, "e.py": 2.0}
    groups = parallel.shares([*seconds, "new.py"], seconds, 2)
    assert sorted(sum(seconds.get(name, 2.0) for name in group) for group in groups) == [7.0, 7.0]
    assert sorted(name for group in groups for name in group) == sorted([*seconds, "new.py"])  # each file once
    assert parallel.shares(["a.py"], {}, 4) == [["a.py"]]  # no empty share


def test_the_times_are_kept_per_marker_expression(tmp_path: Path) -> None:
    key = parallel.seconds_key("not integration and not release")
    assert key == "tiers/seconds-by-file/not_integration_and_not_release"
    (tmp_path / "v" / key).parent.mkdir(parents=True)
    (tmp_path / "v" / key).write_text('{"tests/test_a.py": 1.5}', encoding="utf-8")
    assert parallel.stored_seconds("not integration and not release", tmp_path) == {"tests/test_a.py": 1.5}
    assert parallel.stored_seconds("release", tmp_path) == {}


def test_the_summary_adds_up_the_shares() -> None:
    outputs = ["..\n3 passed, 2 deselected in 1.0s\n", "F\n1 failed, 4 passed, 1 error in 2.0s\n", "no tests ran\n"]
    assert parallel._totals(outputs) == "7 passed, 2 deselected, 1 failed, 1 errors"
