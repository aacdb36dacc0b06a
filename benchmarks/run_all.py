"""``make bench``: every benchmark in one run, one table of figures and ratios against their goals.

Usage: ``python benchmarks/run_all.py [--quick] [--markdown]`` (``--quick``: shorter loads, fewer rounds; for a
smoke test. ``--markdown``: the table as Markdown, as pasted into the README and docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import (
    bench_client,
    bench_commands,
    bench_concurrency,
    bench_mock,
    bench_pagination,
    bench_proxy,
    bench_spec_diff,
    bench_streaming,
    bench_wait_many,
)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _streaming_rows(streaming: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """The mock's events per CPU-second and the client's CPU per event against httpx-sse."""
    rows: list[tuple[str, str, str, bool]] = []
    events = streaming["mock_events_per_cpu_second"]
    rows.append(
        (
            "mock: server-sent events per CPU-second",
            f"{events:.0f}",
            f">= {bench_streaming.GOAL_MOCK_EVENTS:.0f}",
            events >= bench_streaming.GOAL_MOCK_EVENTS,
        )
    )
    per_event = streaming["per_event_us"]
    rows.append(
        (
            "client CPU/event: Stream / httpx-sse + json.loads",
            f"{streaming['ratio']:.2f}x ({per_event[bench_streaming.OURS]:.1f} us)",
            f"<= {bench_streaming.GOAL_CLIENT}x",
            streaming["ratio"] <= bench_streaming.GOAL_CLIENT,
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, bool | None]] = []

    client = bench_client.measure(calls=300 if args.quick else 2000, rounds=3 if args.quick else 9)
    raw = client[bench_client.RAW]
    overlay = client[bench_client.OVERLAY] / raw
    rows.append(
        (
            "client CPU/call over TCP: retrieve / raw httpx",
            f"{overlay:.2f}x ({client[bench_client.OVERLAY]:.0f} us)",
            f"<= {bench_client.GOAL_RAW:.2f}x",
            overlay <= bench_client.GOAL_RAW,
        )
    )
    if bench_client.OPENAI in client:
        versus = client[bench_client.OVERLAY] / client[bench_client.OPENAI]
        rows.append(
            (
                "client CPU/call over TCP: retrieve / openai SDK",
                f"{versus:.2f}x",
                f"<= {bench_client.GOAL_OPENAI:.2f}x",
                versus <= bench_client.GOAL_OPENAI,
            )
        )

    # Workload A: 200 in flight, the peers in the same run (the openai SDK and httpx-aiohttp from the `dev` extra).
    concurrent = bench_concurrency.measure(requests=4000 if args.quick else 20_000, rounds=1 if args.quick else 3)
    rows.extend(bench_concurrency.report(concurrent))

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

    proxy = bench_proxy.measure(
        seconds=3 if args.quick else 10,
        rounds=1 if args.quick else 3,
        throughput_seconds=3 if args.quick else 10,
        memory_requests=20_000 if args.quick else 100_000,
    )
    rows.extend(bench_proxy.report(proxy))

    streaming = bench_streaming.measure(
        events=500 if args.quick else 2000, streams=5 if args.quick else 20, rounds=2 if args.quick else 5
    )
    rows.extend(_streaming_rows(streaming))

    listing = bench_pagination.measure(items=2000 if args.quick else 10_000, rounds=2 if args.quick else 5)
    rows.extend(bench_pagination.report(listing))

    # The test tiers: median of 3 runs each; --quick times make test-fast twice and leaves the others out.
    timings = bench_commands.measure(
        runs=2 if args.quick else 5, tier_runs=2 if args.quick else 3, suite=not args.quick, release=not args.quick
    )
    for name, timing in timings.items():
        tests = "" if timing.tests is None else f", {timing.tests} tests, CPU {timing.cpu:.1f} s"
        goal = "-" if timing.goal is None else f"<= {timing.goal:g} s"
        rows.append((f"wall: {name}", f"{timing.median:.2f} s (max {timing.worst:.2f}{tests})", goal, timing.met))

    # Each in its own process: the peak RSS it reports is the process's, and this one has loaded the openai SDK and
    # the rest. tokenops on aiohttp (the goals), on its default pool, and the plain aiohttp poller: what this
    # machine allows in the same run.
    size = ["--jobs", "1000", "--timeout", "20"] if args.quick else ["--jobs", "10000", "--timeout", "40"]
    script = Path(__file__).with_name("bench_wait_many.py")
    for transport in bench_wait_many.TRANSPORTS[::-1] if not args.quick else ("aiohttp",):
        command = [sys.executable, str(script), *size, "--transport", transport, "--json"]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        waits = json.loads(out.stdout.strip().splitlines()[-1])
        rows.extend(bench_wait_many.report(waits))

    diff = bench_spec_diff.measure(runs=2 if args.quick else 5)
    rows.append(
        (
            f"spec_diff --no-surface, 2 x {diff['sizes_mb'][0]:.1f} MB",
            f"{diff['median']:.2f} s (max {diff['max']:.2f})",
            f"<= {bench_spec_diff.GOAL_SECONDS:g} s",
            diff["median"] <= bench_spec_diff.GOAL_SECONDS,
        )
    )

    machine = f"{os.cpu_count()} cores, {_cpu()}, Python {platform.python_version()}"
    if args.markdown:
        print(f"Machine: {machine}.\n\n| measurement | figure | goal | verdict |\n| --- | --- | --- | --- |")
        for name, shown, target, met in rows:
            print(f"| {name} | {shown} | {target} | {'-' if met is None else 'met' if met else '**missed**'} |")
        return 0
    print(f"machine: {machine}")
    width = max(len(row[0]) for row in rows)
    print(f"{'measurement':{width}}  {'figure':34} {'goal':12} verdict")
    for name, shown, target, met in rows:
        print(f"{name:{width}}  {shown:34} {target:12} {'-' if met is None else 'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
