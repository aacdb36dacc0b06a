"""Wall time of the project's own commands: ``make conformance`` (embedded mock), ``regenerate --check``, and
the test loops ``make test-fast`` and ``make test`` (issue 14's goals: 5 s and 30 s on the 2-core machine).

Each command runs ``--runs`` times in fresh processes (``make test``: ``--suite-runs`` times, 1 by default: it takes
over a minute); the table shows median and max against the goals. The runs are warm: the venv exists, bytecode
and pytest's cache (generator outputs) are kept from earlier runs, as in a developer's loop.
Usage: ``python benchmarks/bench_commands.py [--runs N] [--suite-runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one run; the command must succeed (a conformance run that does not pass is not a timing)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - started


def commands(reports: str, runs: int, suite_runs: int) -> dict[str, tuple[list[str], float, int]]:
    """{name: (command, goal in s, runs)}; a command with 0 runs is left out."""
    listed = {
        "make conformance (embedded mock)": (
            ["make", "-s", "conformance", f"ARGS=--quiet --report-dir {reports}"],
            15.0,
            runs,
        ),
        "regenerate.py --check": ([sys.executable, "scripts/regenerate.py", "--check"], 3.0, runs),
        "make test-fast": (["make", "-s", "test-fast"], 5.0, runs),
        "make test": (["make", "-s", "test"], 30.0, suite_runs),
    }
    return {name: spec for name, spec in listed.items() if spec[2] > 0}


def measure(runs: int = 5, suite_runs: int = 1) -> dict[str, tuple[float, float, float]]:
    """{command: (median s, max s, goal s)}."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = {}
    with tempfile.TemporaryDirectory() as reports:
        for name, (command, goal, count) in commands(reports, runs, suite_runs).items():
            times = [timed(command, env) for _ in range(count)]
            out[name] = (statistics.median(times), max(times), goal)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--suite-runs", type=int, default=1, help="runs of make test (0: leave it out)")
    args = parser.parse_args(argv)
    print(f"{'command':34} {'median s':>9} {'max s':>7} {'goal s':>7}  verdict")
    for name, (median, worst, goal) in measure(args.runs, args.suite_runs).items():
        print(f"{name:34} {median:9.2f} {worst:7.2f} {goal:7.1f}  {'met' if worst <= goal else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
