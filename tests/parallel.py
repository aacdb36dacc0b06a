"""``make test-fast``: one plain pytest process per core, each on a share of the test files, balanced by what each
file took the last time these tests ran (pytest's cache, written by ``tests/conftest.py``).

For the unit tier this costs ~1 s of CPU less than ``pytest -n 2`` (10 % of it): xdist adds a controller that
receives every test's report, and each worker imports and collects every module (docs/performance.md).
Failures are shown as pytest shows them; with ``-x`` the first failure stops the other processes too.

Usage: ``python -m tests.parallel [-n N] PYTEST_ARGS...`` (test paths are chosen here: the test files under
``testpaths``). Exit code: the worst of the processes' (pytest's own codes; "no tests collected" in one share is 0).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = ("tests/**/test_*.py", "contract_tests/**/test_*.py")  # pytest's testpaths and file pattern
NO_TESTS_COLLECTED = 5
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)")


def seconds_key(markexpr: str) -> str:
    """The pytest cache key under which the seconds each test file took are kept, per ``-m`` expression."""
    return "tiers/seconds-by-file/" + (re.sub(r"\W+", "_", markexpr).strip("_") or "all")


def stored_seconds(markexpr: str, cache_dir: Path = ROOT / ".pytest_cache") -> dict[str, float]:
    """What each test file took last time with this ``-m`` expression (empty when it never ran)."""
    path = cache_dir / "v" / seconds_key(markexpr)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(name): float(seconds) for name, seconds in data.items()} if isinstance(data, dict) else {}


def shares(files: list[str], seconds: dict[str, float], count: int) -> list[list[str]]:
    """``files`` in ``count`` shares of about equal time, longest first into the lightest share (a file never
    measured weighs as much as the median of those that were)."""
    known = sorted(seconds[name] for name in files if name in seconds)
    default = known[len(known) // 2] if known else 1.0
    weight = {name: seconds.get(name, default) for name in files}
    buckets: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(max(1, count))]
    for name in sorted(files, key=lambda name: (-weight[name], name)):
        total, members = min(buckets, key=lambda bucket: bucket[0])
        buckets.remove((total, members))
        buckets.append((total + weight[name], [*members, name]))
    return [sorted(members) for _, members in buckets if members]


def _markexpr(pytest_args: list[str]) -> str:
    for index, arg in enumerate(pytest_args):
        if arg == "-m" and index + 1 < len(pytest_args):
            return pytest_args[index + 1]
        if arg.startswith("-m") and len(arg) > 2:
            return arg[2:]
    return ""


def _totals(outputs: list[str]) -> str:
    counts: dict[str, int] = {}
    for output in outputs:
        lines = [line for line in output.splitlines() if line.strip()]
        for number, said in _SUMMARY.findall(lines[-1] if lines else ""):
            word = "errors" if said.startswith("error") else said
            counts[word] = counts.get(word, 0) + int(number)
    return ", ".join(f"{number} {word}" for word, number in counts.items()) or "no tests ran"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.parallel", description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    options, pytest_args = parser.parse_known_args(argv)
    files = sorted({path.relative_to(ROOT).as_posix() for pattern in TEST_FILES for path in ROOT.glob(pattern)})
    groups = shares(files, stored_seconds(_markexpr(pytest_args)), options.n)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tests-parallel-") as scratch:
        logs = [Path(scratch) / f"share-{index}.log" for index in range(len(groups))]
        running = []
        for group, log in zip(groups, logs, strict=True):
            with log.open("wb") as sink:
                command = [sys.executable, "-m", "pytest", "-p", "no:xdist", *pytest_args, *group]
                running.append(subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT))
        codes: list[int | None] = [None] * len(running)
        stopped: set[int] = set()  # stopped by us after another share failed under -x
        while any(code is None for code in codes):
            codes = [process.poll() if code is None else code for process, code in zip(running, codes, strict=True)]
            if "-x" in pytest_args and any(code not in (None, 0, NO_TESTS_COLLECTED) for code in codes):
                for index, process in enumerate(running):
                    if codes[index] is None:
                        process.terminate()
                        codes[index] = process.wait()
                        stopped.add(index)
            time.sleep(0.02)
        outputs = [log.read_text(encoding="utf-8", errors="replace") for log in logs]
    worst = 0
    for index, (output, code) in enumerate(zip(outputs, codes, strict=True)):
        if code in (0, NO_TESTS_COLLECTED) or index in stopped:
            continue
        print(output.rstrip())
        worst = max(worst, code or 1)
    elapsed = time.perf_counter() - started
    print(f"{_totals(outputs)} in {elapsed:.2f}s ({len(groups)} processes)")
    return worst


if __name__ == "__main__":
    sys.exit(main())
