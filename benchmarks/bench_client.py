"""Client overhead: raw httpx + json.loads vs the generated ``sync`` vs ``TokenOps.videos.retrieve``.

All three use the same ``httpx.MockTransport`` returning the same canned response, in one process and one
run, so the ratios compare like with like. Usage: ``python benchmarks/bench_client.py [--calls N] [--rounds R]``.
Goal: overlay <= 1.10x raw httpx.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable

import httpx

from tokenops import TokenOps
from tokenops_client import AuthenticatedClient
from tokenops_client.api.default import get_video_status

BODY = json.dumps(
    {
        "id": "video_123",
        "object": "video",
        "created_at": 1741570283,
        "completed_at": 1741570400,
        "expires_at": 1741656800,
        "model": "sora-2",
        "status": "completed",
        "progress": 100,
        "seconds": "8",
        "size": "720x1280",
    }
).encode()
KEY = "sk-bench"
GOAL = 1.10  # overlay / raw
BASE = "http://bench.local"


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def _transport() -> httpx.MockTransport:
    return httpx.MockTransport(_handler)


def candidates() -> dict[str, Callable[[], object]]:
    raw = httpx.Client(transport=_transport(), base_url=BASE, headers={"Authorization": f"Bearer {KEY}"})
    generated = AuthenticatedClient(base_url=BASE, token=KEY).set_httpx_client(
        httpx.Client(transport=_transport(), base_url=BASE, headers={"Authorization": f"Bearer {KEY}"})
    )
    # The overlay with the pool it builds itself (as users get it), on the same canned transport.
    overlay = TokenOps(api_key=KEY, base_url=BASE)
    overlay._http._transport = _transport()
    # The overlay on a default httpx.Client the user passes in (left untouched: full cookie bookkeeping).
    injected = TokenOps(api_key=KEY, base_url=BASE, http_client=httpx.Client(transport=_transport()))
    return {
        "raw httpx + json.loads": lambda: json.loads(raw.get("/v1/videos/video_123").content),
        "generated get_video_status.sync": lambda: get_video_status.sync("video_123", client=generated),
        "TokenOps.videos.retrieve": lambda: overlay.videos.retrieve("video_123"),
        "TokenOps, injected httpx.Client": lambda: injected.videos.retrieve("video_123"),
    }


def measure(call: Callable[[], object], calls: int) -> float:
    """Microseconds per call for one batch."""
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        gc.enable()


def run(calls: int, rounds: int) -> dict[str, float]:
    """Median µs/call per candidate; rounds are interleaved so drift hits every candidate alike."""
    funcs = candidates()
    for call in funcs.values():  # warm-up
        measure(call, max(calls // 10, 10))
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, call in funcs.items():
            samples[name].append(measure(call, calls))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    medians = run(args.calls, args.rounds)
    raw = medians["raw httpx + json.loads"]
    print(f"{'candidate':34} {'median us/call':>15} {'vs raw':>8}")
    for name, value in medians.items():
        print(f"{name:34} {value:15.1f} {value / raw:7.2f}x")
    overlay_ratio = medians["TokenOps.videos.retrieve"] / raw
    print(f"goal overlay <= 1.10x raw: {'met' if overlay_ratio <= GOAL else 'MISSED'} ({overlay_ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
