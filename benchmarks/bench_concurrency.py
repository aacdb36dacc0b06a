"""Workload A: client CPU per request for ``GET /v1/videos/{id}`` at concurrency 200, tokenops and its peers.

20,000 retrieves over ~1,000 existing ids, fanned out with ``asyncio.gather`` under a semaphore of 200 on one event
loop (the default asyncio loop), against the mock running as its own process on 127.0.0.1; the figure is this
process's CPU time (``time.process_time``) per request, the median of the rounds. Each candidate keeps one client
for all its rounds (warmed up first: connections open); rounds are interleaved so drift hits every candidate alike.
Connections are counted in a separate round through a counting TCP proxy (its own process: ``tests/rawserver.py``),
so the proxy's cost never reaches the CPU figures.

Peers measured in the same run: raw aiohttp (``ClientSession``, limit 200), httpx + the ``httpx-aiohttp`` transport,
bare ``httpx.AsyncClient`` (limits 200), and the openai SDK's ``videos.retrieve``, default and with
``DefaultAioHttpClient``. A candidate whose package is missing is skipped with a note (``pip install -e '.[dev]'``).

Goals (issue 23): ``AsyncTokenOps.videos.retrieve`` with the high-concurrency transport (``tokenops[aiohttp]``)
<= 300 us of client CPU per request and <= 0.5x the openai SDK with ``DefaultAioHttpClient``; <= 200 connections.

Usage: ``python benchmarks/bench_concurrency.py [--requests N] [--rounds R] [--only NAME ...] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_wait_many import counting_proxy
from contract_tests.mock.process import mock_process
from tokenops import AsyncTokenOps, DefaultAioHttpClient

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench-concurrency"
IDS = [f"video_a_{i:04d}" for i in range(1000)]
CONCURRENCY = 200
GOAL_CPU_US, GOAL_VS_OPENAI_AIOHTTP, GOAL_CONNECTIONS = 300.0, 0.5, 200

AIOHTTP = "aiohttp ClientSession (limit 200)"
HTTPX_AIOHTTP = "httpx + httpx-aiohttp transport"
HTTPX = "httpx.AsyncClient (limits 200)"
OPENAI = "openai SDK, default"
OPENAI_AIOHTTP = "openai SDK + DefaultAioHttpClient"
TOKENOPS = "AsyncTokenOps.videos.retrieve, default"
TOKENOPS_AIOHTTP = "AsyncTokenOps + DefaultAioHttpClient"

Call = Callable[[str], Awaitable[object]]
Candidate = Callable[[str], AbstractAsyncContextManager[Call]]


@asynccontextmanager
async def _aiohttp(base_url: str) -> Any:
    import aiohttp  # noqa: PLC0415 - optional peer

    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession(base_url, headers=headers, connector=aiohttp.TCPConnector(limit=200)) as s:

        async def call(video_id: str) -> object:
            async with s.get(f"/v1/videos/{video_id}") as response:
                response.raise_for_status()
                return await response.json()

        yield call


@asynccontextmanager
async def _httpx(base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    headers = {"Authorization": f"Bearer {KEY}"}
    timeout = httpx.Timeout(60.0)  # as tokenops' and openai's: a loaded machine must not fail the peer
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, transport=transport, timeout=timeout
    ) as client:

        async def call(video_id: str) -> object:
            response = await client.get(f"/v1/videos/{video_id}")
            response.raise_for_status()
            return response.json()

        yield call


@asynccontextmanager
async def _httpx_aiohttp(base_url: str) -> Any:
    from httpx_aiohttp import AiohttpTransport  # noqa: PLC0415 - optional peer

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with _httpx(base_url, AiohttpTransport(limits=limits)) as call:
        yield call


@asynccontextmanager
async def _openai(base_url: str, aiohttp: bool = False) -> Any:
    import openai  # noqa: PLC0415 - the `dev` extra

    warnings.filterwarnings("ignore", "The Sora API", DeprecationWarning)  # its retrieve warns on every call
    http_client = openai.DefaultAioHttpClient() if aiohttp else None
    async with openai.AsyncOpenAI(api_key=KEY, base_url=f"{base_url}/v1", http_client=http_client) as sdk:

        async def call(video_id: str) -> object:
            return await sdk.videos.retrieve(video_id)

        yield call


@asynccontextmanager
async def _tokenops(base_url: str, aiohttp: bool = False) -> Any:
    http_client = DefaultAioHttpClient(max_connections=CONCURRENCY) if aiohttp else None
    async with AsyncTokenOps(api_key=KEY, base_url=base_url, http_client=http_client) as client:

        async def call(video_id: str) -> object:
            return await client.videos.retrieve(video_id)

        yield call
    if http_client is not None:
        await http_client.aclose()


CANDIDATES: dict[str, Candidate] = {
    AIOHTTP: _aiohttp,
    HTTPX_AIOHTTP: _httpx_aiohttp,
    HTTPX: _httpx,
    OPENAI: _openai,
    OPENAI_AIOHTTP: lambda base_url: _openai(base_url, aiohttp=True),
    TOKENOPS: _tokenops,
    TOKENOPS_AIOHTTP: lambda base_url: _tokenops(base_url, aiohttp=True),
}


async def fan_out(call: Call, requests: int, concurrency: int = CONCURRENCY) -> None:
    """``requests`` calls over the ids, at most ``concurrency`` at once (gather + a semaphore, as users write it)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await call(IDS[index % len(IDS)])

    await asyncio.gather(*(one(index) for index in range(requests)))


async def _rounds(base_url: str, names: list[str], requests: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(CPU us per request, requests per second) per candidate and round, candidates interleaved."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    async with contextlib_stack(base_url, names) as calls:
        for call in calls.values():
            await fan_out(call, CONCURRENCY * 2)  # warm-up: every connection open
        for _ in range(rounds):
            for name, call in calls.items():
                gc.collect()
                began, cpu = time.perf_counter(), time.process_time()
                await fan_out(call, requests)
                elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
                samples[name].append((cpu / requests * 1e6, requests / elapsed))
    return samples


@asynccontextmanager
async def contextlib_stack(base_url: str, names: list[str]) -> Any:
    from contextlib import AsyncExitStack  # noqa: PLC0415

    async with AsyncExitStack() as stack:
        calls = {name: await stack.enter_async_context(CANDIDATES[name](base_url)) for name in names}
        yield calls


def _available(names: list[str]) -> list[str]:
    found = []
    for name in names:
        try:
            if "openai" in name:
                import openai  # noqa: PLC0415, F401
            if "aiohttp" in name:
                import aiohttp  # noqa: PLC0415, F401
                import httpx_aiohttp  # noqa: PLC0415, F401
        except ImportError as exc:
            print(f"skipping {name!r}: {exc.name} is not installed (pip install -e '.[dev]')")
            continue
        found.append(name)
    return found


def _connections(mock_url: str, names: list[str], requests: int) -> dict[str, int]:
    """Connections each candidate opens for ``requests`` calls (a fresh client each), through the counting proxy."""
    counts: dict[str, int] = {}
    for name in names:
        with counting_proxy(mock_url) as proxy:

            async def run(base_url: str = proxy.base_url, name: str = name) -> None:
                async with CANDIDATES[name](base_url) as call:
                    await fan_out(call, requests)

            asyncio.run(run())
        counts[name] = proxy.connections
    return counts


def measure(
    requests: int = 20_000, rounds: int = 3, only: list[str] | None = None, connection_requests: int = 4000
) -> dict[str, dict[str, float]]:
    """Per candidate: median CPU us/request, median requests/s, every round's CPU, and connections opened."""
    names = _available(only or list(CANDIDATES))
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process(["--api-key", KEY, "--quiet", "--max-jobs", "5000"], log=Path(tmp) / "mock.log") as mock,
    ):
        jobs = [{"id": video_id, "pending_seconds": 0, "running_seconds": 0} for video_id in IDS]
        httpx.post(f"{mock.base_url}/_mock/jobs", json=jobs, timeout=30).raise_for_status()
        samples = asyncio.run(_rounds(mock.base_url, names, requests, rounds))
        # Connections are the goal of tokenops' candidates; the peers' are not counted (the slow ones would take
        # minutes through the proxy).
        counted = [name for name in names if name in (TOKENOPS, TOKENOPS_AIOHTTP)]
        connections = _connections(mock.base_url, counted, connection_requests) if connection_requests else {}
    return {
        name: {
            "cpu_us": statistics.median(cpu for cpu, _ in values),
            "rps": statistics.median(rps for _, rps in values),
            "cpu_rounds": [cpu for cpu, _ in values],  # type: ignore[dict-item]
            "connections": connections.get(name, -1),
        }
        for name, values in samples.items()
    }


def report(results: dict[str, dict[str, float]]) -> list[tuple[str, str, str, bool | None]]:
    """(measurement, figure, goal, met) rows for run_all.py: every peer, then the goals."""
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, r in results.items():
        spread = "/".join(f"{cpu:.0f}" for cpu in r["cpu_rounds"])  # type: ignore[attr-defined]
        figure = f"{r['cpu_us']:.0f} us ({spread}), {r['rps']:.0f} req/s"
        if r["connections"] >= 0:
            figure += f", {r['connections']:.0f} conn"
        rows.append((f"A @200: {name}", figure, "-", None))
    ours = results.get(TOKENOPS_AIOHTTP)
    if ours is not None:
        rows.append(
            (
                "A @200: tokenops[aiohttp] CPU/request",
                f"{ours['cpu_us']:.0f} us",
                f"<= {GOAL_CPU_US:.0f} us",
                ours["cpu_us"] <= GOAL_CPU_US,
            )
        )
        peer = results.get(OPENAI_AIOHTTP)
        if peer is not None:
            ratio = ours["cpu_us"] / peer["cpu_us"]
            rows.append(
                (
                    "A @200: tokenops[aiohttp] / openai + aiohttp",
                    f"{ratio:.2f}x",
                    f"<= {GOAL_VS_OPENAI_AIOHTTP}x",
                    ratio <= GOAL_VS_OPENAI_AIOHTTP,
                )
            )
        if ours["connections"] >= 0:
            rows.append(
                (
                    "A @200: tokenops[aiohttp] connections",
                    f"{ours['connections']:.0f}",
                    f"<= {GOAL_CONNECTIONS}",
                    0 < ours["connections"] <= GOAL_CONNECTIONS,
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connection-requests", type=int, default=4000, help="0: do not count connections")
    parser.add_argument("--only", action="append", choices=list(CANDIDATES), help="measure only these (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = measure(args.requests, args.rounds, args.only, args.connection_requests)
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"workload A: {args.requests} GET /v1/videos/{{id}} at concurrency {CONCURRENCY}, {args.rounds} rounds")
    for name, figure, goal, met in report(results):
        print(f"  {name:52} {figure:48} {goal:10} {'-' if met is None else 'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
