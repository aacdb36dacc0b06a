"""Wall time of the project's own commands: ``make conformance`` (embedded mock) and ``regenerate --check``.

Each command runs ``--runs`` times in fresh processes; the table shows median and max against the goals.
Usage: ``python benchmarks/bench_commands.py [--runs N]``.
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
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as reports:
        commands = {
            "make conformance (embedded mock)": (
                ["make", "-s", "conformance", f"ARGS=--quiet --report-dir {reports}"],
                15.0,
            ),
            "regenerate.py --check": ([sys.executable, "scripts/regenerate.py", "--check"], 3.0),
        }
        print(f"{'command':34} {'median s':>9} {'max s':>7} {'goal s':>7}  verdict")
        for name, (command, goal) in commands.items():
            times = [timed(command, env) for _ in range(args.runs)]
            verdict = "met" if max(times) <= goal else "MISSED"
            print(f"{name:34} {statistics.median(times):9.2f} {max(times):7.2f} {goal:7.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
