"""``AsyncTokenOps.videos.wait_many`` over 1,000 jobs of varied durations against the mock, on a scaled clock.

The mock (in-process, ASGI) and the client share one virtual clock (discrete-event: time jumps to the next
wake-up when every task waits), so two minutes of job time pass in seconds, exactly. Reported:

- total requests vs the ideal: the polls a client needs if it follows the server's ``openai-poll-after-ms``
  hints exactly (simulated per job from its durations); goal <= 1.1x;
- peak RSS of the process (client + mock together); goal <= 150 MB;
- that every job came back in input order on one connection pool.

Usage: ``python benchmarks/bench_wait_many.py [--jobs N] [--concurrency C]``.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.mock import MockClock, create_app, job_from_spec
from tokenops import AsyncTokenOps, Video, VideoGenerationFailed

KEY = "sk-bench-wait-many"
GOAL_RATIO, GOAL_RSS_MB = 1.1, 150
START = 1_741_570_283.0


class VirtualClock(MockClock):
    """Discrete-event time shared by the mock (``now``) and the client (``monotonic``/``asleep``).

    Time jumps to the next wake-up whenever every task is waiting on it, so 1,000 jobs over two simulated
    minutes run in real seconds, deterministically, with no real sleeping and no scheduling lag.
    """

    def __init__(self) -> None:
        super().__init__(start=START)
        self.elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return START + self.elapsed

    def monotonic(self) -> float:
        return self.elapsed

    def time(self) -> float:
        return self.now()

    def sleep(self, seconds: float) -> None:
        raise RuntimeError("the benchmark drives only async code")

    async def asleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.elapsed + seconds, next(self._order), future))
        await future

    async def drive(self, work: asyncio.Task[object]) -> None:
        """Advance time whenever nothing else can run, until ``work`` is done."""
        loop = asyncio.get_running_loop()
        while not work.done():
            await asyncio.sleep(0)
            if loop._ready or not self._sleepers:  # type: ignore[attr-defined]  # something can still run now
                continue
            wake, _, future = heapq.heappop(self._sleepers)
            self.elapsed = max(self.elapsed, wake)
            future.set_result(None)
            while self._sleepers and self._sleepers[0][0] <= self.elapsed:
                heapq.heappop(self._sleepers)[2].set_result(None)


def ideal_polls(spec: dict[str, Any], created: float) -> int:
    """Polls of an oracle that starts at creation and sleeps exactly each hint until the job is terminal."""
    job = job_from_spec(spec, created)
    now, polls = created, 0
    while True:
        polls += 1
        hint = job.poll_after_ms(now)
        if hint is None:
            return polls
        now += hint / 1000


def measure(jobs: int = 1000, concurrency: int = 100) -> dict[str, float]:
    """Run the benchmark; returns its figures."""
    args = argparse.Namespace(jobs=jobs, concurrency=concurrency)
    rng = random.Random(1)
    clock = VirtualClock()
    app = create_app(api_keys=[KEY], clock=clock, log_requests=False, max_jobs=args.jobs + 100)
    state = app.state
    specs: list[dict[str, Any]] = [
        {
            "id": f"video_bench_{i:04d}",
            "pending_seconds": rng.uniform(0, 10),
            "running_seconds": rng.uniform(10, 120),
            "outcome": "failed" if i % 10 == 0 else "completed",
        }
        for i in range(args.jobs)
    ]
    created = clock.now()
    for spec in specs:
        state.store.put(job_from_spec(spec, created))
    ideal = sum(ideal_polls(spec, created) for spec in specs)
    connections: set[int] = set()

    async def run() -> list[Video | Exception]:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport)
        async with AsyncTokenOps(api_key=KEY, base_url="http://mock", http_client=http, clock=clock) as client:
            connections.add(id(client._http))
            work = asyncio.ensure_future(
                client.videos.wait_many([str(s["id"]) for s in specs], timeout=3600, concurrency=args.concurrency)
            )
            await clock.drive(work)
            results = work.result()
        await http.aclose()
        return list(results)

    started = time.perf_counter()
    results = asyncio.run(run())
    elapsed = time.perf_counter() - started
    actual = state.stats["api_total"]
    ordered = all(
        getattr(r, "id", getattr(getattr(r, "video", None), "id", None)) == s["id"]
        for r, s in zip(results, specs, strict=True)
    )
    completed = sum(isinstance(r, Video) for r in results)
    failed = sum(isinstance(r, VideoGenerationFailed) for r in results)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "jobs": jobs,
        "concurrency": concurrency,
        "simulated_s": clock.elapsed,
        "real_s": elapsed,
        "completed": completed,
        "failed": failed,
        "ordered": float(ordered),
        "pools": len(connections),
        "requests": actual,
        "ideal": ideal,
        "ratio": actual / ideal,
        "peak_rss_mb": peak_mb,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    r = measure(args.jobs, args.concurrency)
    print(
        f"wait_many: {args.jobs} jobs, concurrency {args.concurrency}, virtual clock: "
        f"{r['simulated_s']:.0f} s simulated in {r['real_s']:.1f} s real"
    )
    print(
        f"  results: {r['completed']} completed, {r['failed']} failed, in input order: {bool(r['ordered'])}, "
        f"pools: {r['pools']}"
    )
    print(
        f"  requests: {r['requests']} vs ideal {r['ideal']} = {r['ratio']:.3f}x (goal <= 1.1x): "
        f"{'met' if r['ratio'] <= GOAL_RATIO else 'MISSED'}"
    )
    verdict = "met" if r["peak_rss_mb"] <= GOAL_RSS_MB else "MISSED"
    print(f"  peak RSS: {r['peak_rss_mb']:.0f} MB (goal <= {GOAL_RSS_MB} MB): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
