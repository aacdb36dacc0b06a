"""Wall time of the project's own commands: ``make conformance`` (embedded mock), ``regenerate --check``, and the
three test tiers (issue 19's goals on the 2-core machine: ``make test-fast`` <= 5 s, ``make test`` <= 45 s,
``make test-release`` none), each with the number of tests it ran.

Each command runs ``--runs`` times in fresh processes (the test tiers ``--tier-runs`` times, 3 by default); the
table shows median and max, and a goal is met when the median is within it. The runs are warm: the venv exists,
bytecode, mypy's cache and pytest's cache (generator outputs) are kept from earlier runs, as in a developer's loop.
Usage: ``python benchmarks/bench_commands.py [--runs N] [--tier-runs N] [--no-release]``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
_PASSED = re.compile(r"(\d+) passed")


@attrs.frozen
class Timing:
    """What one command took over its runs: median and max wall seconds, its goal, the tests it ran, and the median
    CPU seconds (user + system of the command and every process it waited for: comparable under load, wall is not)."""

    median: float
    worst: float
    goal: float | None
    tests: int | None = None
    cpu: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.median <= self.goal


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int | None, float]:
    """Wall seconds of one run, the number of tests pytest says passed (None: no pytest summary), CPU seconds.

    The command must succeed: a run that fails is not a timing.
    """
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {(done.stdout + done.stderr).strip()[-800:]}")
    passed = _PASSED.findall(done.stdout)
    return elapsed, int(passed[-1]) if passed else None, _children_cpu() - cpu


def commands(
    reports: str, runs: int, tier_runs: int, *, suite: bool = True, release: bool = True
) -> dict[str, tuple[list[str], float | None, int]]:
    """{name: (command, goal in s or None, runs)}; a command with 0 runs is left out."""
    listed: dict[str, tuple[list[str], float | None, int]] = {
        "make conformance (embedded mock)": (
            ["make", "-s", "conformance", f"ARGS=--quiet --report-dir {reports}"],
            15.0,
            runs,
        ),
        "regenerate.py --check": ([sys.executable, "scripts/regenerate.py", "--check"], 3.0, runs),
        "make test-fast": (["make", "-s", "test-fast"], 5.0, tier_runs),
        "make test": (["make", "-s", "test"], 45.0, tier_runs if suite else 0),
        "make test-release": (["make", "-s", "test-release"], None, tier_runs if release else 0),
    }
    return {name: spec for name, spec in listed.items() if spec[2] > 0}


def measure(runs: int = 5, tier_runs: int = 3, *, suite: bool = True, release: bool = True) -> dict[str, Timing]:
    """{command: its timing}; the test tiers run ``tier_runs`` times each (0: left out; ``suite`` and ``release``
    False leave ``make test`` and ``make test-release`` out)."""
    # PYTHONDONTWRITEBYTECODE would make every run recompile; the Makefile unexports it, the scripts need it off too.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    out = {}
    with tempfile.TemporaryDirectory() as reports:
        for name, (command, goal, count) in commands(reports, runs, tier_runs, suite=suite, release=release).items():
            results = [timed(command, env) for _ in range(count)]
            times = [seconds for seconds, _, _ in results]
            cpu = statistics.median(used for _, _, used in results)
            out[name] = Timing(statistics.median(times), max(times), goal, results[-1][1], cpu)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tier-runs", type=int, default=3, help="runs of each test tier (0: leave them out)")
    parser.add_argument("--no-release", action="store_true", help="leave make test-release out")
    args = parser.parse_args(argv)
    print(f"{'command':34} {'tests':>6} {'median s':>9} {'max s':>7} {'CPU s':>7} {'goal s':>7}  verdict")
    for name, timing in measure(args.runs, args.tier_runs, release=not args.no_release).items():
        goal = "-" if timing.goal is None else f"{timing.goal:.1f}"
        verdict = "-" if timing.met is None else "met" if timing.met else "MISSED"
        tests = "" if timing.tests is None else str(timing.tests)
        cpu = "" if timing.cpu is None else f"{timing.cpu:.1f}"
        print(f"{name:34} {tests:>6} {timing.median:9.2f} {timing.worst:7.2f} {cpu:>7} {goal:>7}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
