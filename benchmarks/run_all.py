"""``make bench``: every benchmark in one run, one table of figures and ratios against their goals.

Usage: ``python benchmarks/run_all.py [--quick]`` (``--quick``: shorter loads, fewer rounds; for a smoke test).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_client, bench_commands, bench_mock, bench_spec_diff, bench_wait_many


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, bool]] = []

    client = bench_client.run(calls=500 if args.quick else 2000, rounds=3 if args.quick else 9)
    raw = client["raw httpx + json.loads"]
    overlay, generated = client["TokenOps.videos.retrieve"] / raw, client["generated get_video_status.sync"] / raw
    rows.append(
        (
            "client: TokenOps.retrieve / raw httpx+json",
            f"{overlay:.2f}x ({client['TokenOps.videos.retrieve']:.0f} us)",
            "<= 1.10x",
            overlay <= bench_client.GOAL,
        )
    )
    injected = client["TokenOps, injected httpx.Client"] / raw
    rows.append(("client: same, on an injected httpx.Client", f"{injected:.2f}x", "-", True))
    rows.append(("client: generated sync / raw httpx+json", f"{generated:.2f}x", "-", True))

    mock = bench_mock.measure(duration=3 if args.quick else 10)
    ours = mock[bench_mock.OURS]
    if bench_mock.PRISM in mock:
        prism = mock[bench_mock.PRISM]
        ratio = ours["rps"] / prism["rps"]
        rows.append(
            (
                "mock: req/s vs Prism 5",
                f"{ours['rps']:.0f} vs {prism['rps']:.0f} = {ratio:.1f}x",
                f">= {bench_mock.GOAL:g}x",
                ratio >= bench_mock.GOAL,
            )
        )
        rows.append(
            (
                "mock: p99 vs Prism 5",
                f"{ours['p99_ms']:.2f} vs {prism['p99_ms']:.2f} ms",
                "no worse",
                ours["p99_ms"] <= prism["p99_ms"],
            )
        )
    else:
        rows.append(("mock: req/s (Prism unavailable)", f"{ours['rps']:.0f}", f">= {bench_mock.GOAL:g}x Prism", False))

    for name, (median, worst, goal) in bench_commands.measure(runs=2 if args.quick else 5).items():
        rows.append((f"wall: {name}", f"{median:.2f} s (max {worst:.2f})", f"<= {goal:g} s", worst <= goal))

    waits = bench_wait_many.measure(jobs=200 if args.quick else 1000)
    rows.append(
        (
            f"wait_many {waits['jobs']:.0f} jobs: requests / ideal",
            f"{waits['requests']:.0f} / {waits['ideal']:.0f} = {waits['ratio']:.3f}x",
            "<= 1.1x",
            waits["ratio"] <= bench_wait_many.GOAL_RATIO,
        )
    )
    rows.append(
        (
            "wait_many: peak RSS (client + mock)",
            f"{waits['peak_rss_mb']:.0f} MB",
            "<= 150 MB",
            waits["peak_rss_mb"] <= bench_wait_many.GOAL_RSS_MB,
        )
    )
    rows.append(
        (
            "wait_many: connection pools / input order",
            f"{waits['pools']:.0f} / {bool(waits['ordered'])}",
            "1 / True",
            waits["pools"] == 1 and bool(waits["ordered"]),
        )
    )

    diff = bench_spec_diff.measure(runs=2 if args.quick else 5)
    rows.append(
        (
            f"spec_diff --no-surface, 2 x {diff['sizes_mb'][0]:.1f} MB",
            f"{diff['median']:.2f} s (max {diff['max']:.2f})",
            f"<= {bench_spec_diff.GOAL_SECONDS:g} s",
            diff["median"] <= bench_spec_diff.GOAL_SECONDS,
        )
    )

    print(f"machine: {os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}")
    width = max(len(row[0]) for row in rows)
    print(f"{'measurement':{width}}  {'figure':34} {'goal':12} verdict")
    for name, shown, target, met in rows:
        print(f"{name:{width}}  {shown:34} {target:12} {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
