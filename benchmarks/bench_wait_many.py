"""``AsyncTokenOps.videos.wait_many`` over 10,000 jobs at concurrency 200 against the mock over real TCP.

The mock runs as its own process (``contract_tests.mock.process.mock_process``); a counting TCP proxy (its own
process too, ``tests/rawserver.py``) sits in front of it and counts the connections the client opens. Jobs take
real time (pending 0-3 s, running 5-25 s; 0.2 % never finish, so the call must end at its deadline). Reported,
against the goals of issue 23:

- client CPU per poll <= 400 us (this process's CPU time over the requests the mock counted);
- a finished job noticed <= 0.25 s after it finished at the median, <= 1 s at p95 (the mock schedules each job's
  end; the client notices it when a poll sees it);
- requests <= 1.05x the ideal: the polls of an oracle that polls at the start and then sleeps exactly each
  ``openai-poll-after-ms`` hint until the job is terminal or the deadline passes (fewer is only good when the
  lateness stays small: a client that cannot keep up polls less and notices late);
- connections opened <= 1.2x the concurrency (no churn: every connection kept alive and reused);
- peak RSS of the client process <= 150 MB;
- the call returns within its timeout + 1 s, with results in input order.

``--transport aiohttp`` passes ``http_client=tokenops.DefaultAioHttpClient(max_connections=concurrency)`` (the
``tokenops[aiohttp]`` extra); ``httpx`` (the default) uses the pool the client builds.

Usage: ``python benchmarks/bench_wait_many.py [--jobs N] [--concurrency C] [--timeout S] [--transport T] [--json]``.
Run it in a process of its own (``run_all.py`` does): the peak RSS is the process's lifetime peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.mock import job_from_spec
from contract_tests.mock.process import mock_process
from tokenops import AsyncTokenOps, DefaultAioHttpClient, Video, VideoGenerationFailed, WaitTimeout

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench-wait-many"
NEVER_EVERY = 500  # one job in this many never finishes: the call must end at its deadline
GOAL_CONNECTIONS, GOAL_RATIO, GOAL_RSS_MB, GOAL_OVERRUN_S = 1.2, 1.05, 150, 1.0
GOAL_CPU_PER_POLL_US, GOAL_LAG_MEDIAN_S, GOAL_LAG_P95_S = 400.0, 0.25, 1.0
TRANSPORTS = ("httpx", "aiohttp", "plain-aiohttp")  # the last: the reference poller, not tokenops


class ProxyProcess:
    """A counting TCP proxy running as its own process (``python -m tests.rawserver``): its URL, then its count."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.connections = -1  # known once the proxy has stopped


@contextmanager
def counting_proxy(target: str) -> Iterator[ProxyProcess]:
    """Start the counting proxy in front of ``target``; on exit stop it and read how many connections it saw."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.rawserver", target],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdin is None or process.stdout is None:
        raise RuntimeError("the proxy process has no pipes")
    proxy = ProxyProcess(process.stdout.readline().strip())
    try:
        yield proxy
    finally:
        process.stdin.close()
        proxy.connections = int(process.stdout.readline().strip() or -1)
        process.wait(timeout=30)


def ideal_polls(spec: dict[str, Any], timeout: float) -> int:
    """Polls of an oracle that starts with the job and sleeps exactly each hint, until terminal or the deadline."""
    job = job_from_spec(spec, 0.0)
    now, polls = 0.0, 0
    while now < timeout:
        polls += 1
        hint = job.poll_after_ms(now)
        if hint is None:
            break
        now += hint / 1000
    return polls


def _specs(jobs: int) -> list[dict[str, Any]]:
    rng = random.Random(1)
    return [
        {
            "id": f"video_wm_{i:05d}",
            "pending_seconds": rng.uniform(0, 3),
            "running_seconds": 1e6 if i % NEVER_EVERY == NEVER_EVERY - 1 else rng.uniform(5, 25),
            "outcome": "failed" if i % 10 == 0 else "completed",
        }
        for i in range(jobs)
    ]


def measure(
    jobs: int = 10_000, concurrency: int = 200, timeout: float = 40.0, transport: str = "httpx"
) -> dict[str, Any]:
    """Run the benchmark once; returns its figures."""
    specs = _specs(jobs)
    ideal = sum(ideal_polls(spec, timeout) for spec in specs)
    with tempfile.TemporaryDirectory() as tmp:
        args = ["--api-key", KEY, "--quiet", "--max-jobs", str(jobs + 1000)]
        with mock_process(args, log=Path(tmp) / "mock.log") as mock, counting_proxy(mock.base_url) as proxy:
            base_url = proxy.base_url
            finishes: dict[str, float] = {}  # id -> when the job finishes (perf_counter), as the mock schedules it
            for start in range(0, jobs, 1000):  # the jobs start now: the client starts polling at once
                created = time.perf_counter()
                httpx.post(
                    f"{mock.base_url}/_mock/jobs", json=specs[start : start + 1000], timeout=30
                ).raise_for_status()
                for spec in specs[start : start + 1000]:
                    finishes[spec["id"]] = created + spec["pending_seconds"] + spec["running_seconds"]
            noticed: dict[str, float] = {}
            began, cpu = time.perf_counter(), time.process_time()
            results = asyncio.run(
                _wait(base_url, [s["id"] for s in specs], concurrency, timeout, noticed, transport=transport)
            )
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            stats = httpx.get(f"{mock.base_url}/_mock/stats", timeout=10).json()["requests"]
    connections = proxy.connections
    ordered = all(r is None or _id(r) == s["id"] for r, s in zip(results, specs, strict=True))
    outcomes = [_outcome(r) for r in results]
    lags = sorted(max(0.0, noticed[i] - finishes[i]) for i in noticed)
    requests = int(stats.get("api_total", 0))
    return {
        "jobs": jobs,
        "concurrency": concurrency,
        "timeout": timeout,
        "transport": transport,
        "cpu_per_poll_us": cpu / max(requests, 1) * 1e6,
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "completed": outcomes.count("completed"),
        "failed": outcomes.count("failed"),
        "timed_out": outcomes.count("timed out"),
        "ordered": float(ordered),
        "connections": connections,
        "requests": requests,
        "ideal": ideal,
        "ratio": requests / ideal,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lag_median_s": lags[len(lags) // 2] if lags else float("nan"),
        "lag_p95_s": lags[int(len(lags) * 0.95)] if lags else float("nan"),
    }


async def _plain_poller(
    base_url: str, ids: list[str], concurrency: int, timeout: float, noticed: dict[str, float]
) -> list[Any]:
    """The reference: plain aiohttp, a task per job, a semaphore of ``concurrency``, sleeping each hint."""
    import aiohttp  # noqa: PLC0415 - the `aiohttp` extra

    deadline = time.perf_counter() + timeout
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {KEY}"}
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=60)
    async with aiohttp.ClientSession(base_url, headers=headers, connector=connector) as session:

        async def one(video_id: str) -> Any:
            while True:
                async with gate, session.get(f"/v1/videos/{video_id}") as response:
                    body = await response.json()
                    hint = response.headers.get("openai-poll-after-ms")
                if body["status"] in ("completed", "failed"):
                    noticed.setdefault(video_id, time.perf_counter())
                    return body
                pause = float(hint) / 1000 if hint else 1.0
                if time.perf_counter() + pause >= deadline:
                    return None
                await asyncio.sleep(pause)

        return list(await asyncio.gather(*(one(video_id) for video_id in ids)))


async def _wait(
    base_url: str, ids: list[str], concurrency: int, timeout: float, noticed: dict[str, float], *, transport: str
) -> list[Any]:
    if transport == "plain-aiohttp":
        return await _plain_poller(base_url, ids, concurrency, timeout, noticed)

    def progress(video: Video) -> None:
        if video.status_text in ("completed", "failed") and isinstance(video.id, str):
            noticed.setdefault(video.id, time.perf_counter())

    http_client = DefaultAioHttpClient(max_connections=concurrency) if transport == "aiohttp" else None
    try:
        async with AsyncTokenOps(api_key=KEY, base_url=base_url, http_client=http_client) as client:
            waits = client.videos.wait_many(ids, timeout=timeout, concurrency=concurrency, on_progress=progress)
            return list(await waits)
    finally:
        if http_client is not None:
            await http_client.aclose()


def _outcome(result: Any) -> str:
    if isinstance(result, Video) or (isinstance(result, dict) and result["status"] == "completed"):
        return "completed"
    if isinstance(result, VideoGenerationFailed | dict):
        return "failed"
    return "timed out" if result is None or isinstance(result, WaitTimeout) else "error"


def _id(result: Any) -> Any:
    if isinstance(result, dict):
        return result["id"]
    if isinstance(result, Video):
        return result.id
    if isinstance(result, VideoGenerationFailed):
        return result.video.id
    return getattr(result, "video_id", None)


def report(r: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(measurement, figure, goal, met) rows, for this script and benchmarks/run_all.py (met None: no goal)."""
    limit = GOAL_CONNECTIONS * r["concurrency"]
    name = f"wait_many {r['jobs']:.0f} jobs @ {r['concurrency']:.0f} ({r['transport']})"
    if r["transport"] == "plain-aiohttp":  # the reference poller: figures, no goals (they are tokenops')
        name = f"reference: plain aiohttp poller, {r['jobs']:.0f} jobs @ {r['concurrency']:.0f}"
        figures = (
            f"{r['cpu_per_poll_us']:.0f} us/poll, noticed after {r['lag_median_s']:.2f} / {r['lag_p95_s']:.2f} s, "
            f"{r['ratio']:.3f}x ideal"
        )
        return [(name, figures, "-", None)]
    return [
        (
            f"{name}: outcomes at the deadline",
            f"{r['completed']:.0f} completed, {r['failed']:.0f} failed, {r['timed_out']:.0f} timed out",
            "-",
            None,
        ),
        (
            f"{name}: client CPU per poll",
            f"{r['cpu_per_poll_us']:.0f} us",
            f"<= {GOAL_CPU_PER_POLL_US:.0f} us",
            r["cpu_per_poll_us"] <= GOAL_CPU_PER_POLL_US,
        ),
        (
            f"{name}: finished job noticed after (median)",
            f"{r['lag_median_s']:.2f} s",
            f"<= {GOAL_LAG_MEDIAN_S} s",
            r["lag_median_s"] <= GOAL_LAG_MEDIAN_S,
        ),
        (
            f"{name}: finished job noticed after (p95)",
            f"{r['lag_p95_s']:.2f} s",
            f"<= {GOAL_LAG_P95_S:g} s",
            r["lag_p95_s"] <= GOAL_LAG_P95_S,
        ),
        (
            f"{name}: requests / ideal",
            f"{r['requests']:.0f} / {r['ideal']:.0f} = {r['ratio']:.3f}x",
            f"<= {GOAL_RATIO}x",
            r["ratio"] <= GOAL_RATIO,
        ),
        (f"{name}: connections", f"{r['connections']:.0f}", f"<= {limit:.0f}", 0 < r["connections"] <= limit),
        (
            f"{name}: peak RSS (client)",
            f"{r['peak_rss_mb']:.0f} MB",
            f"<= {GOAL_RSS_MB} MB",
            r["peak_rss_mb"] <= GOAL_RSS_MB,
        ),
        (
            f"{name}: returned after / timeout",
            f"{r['elapsed_s']:.1f} s / {r['timeout']:.0f} s (CPU {r['cpu_s']:.1f} s)",
            f"<= +{GOAL_OVERRUN_S:g} s",
            r["elapsed_s"] <= r["timeout"] + GOAL_OVERRUN_S,
        ),
        (f"{name}: results in input order", str(bool(r["ordered"])), "True", bool(r["ordered"])),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=40.0)
    parser.add_argument("--transport", choices=TRANSPORTS, default="httpx")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object (run_all.py)")
    args = parser.parse_args(argv)
    r = measure(args.jobs, args.concurrency, args.timeout, args.transport)
    if args.json:
        print(json.dumps(r))
        return 0
    print(
        f"wait_many over TCP: {r['completed']:.0f} completed, {r['failed']:.0f} failed, "
        f"{r['timed_out']:.0f} timed out (never-finishing jobs)"
    )
    for name, figure, goal, met in report(r):
        print(f"  {name:62} {figure:34} {goal:10} {'-' if met is None else 'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
