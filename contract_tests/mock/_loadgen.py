"""A bounded HTTP/1.1 load generator for the mock: keep-alive connections on 127.0.0.1, fixed request count.

Used by the load test (``tests/test_mock_load.py``) and ``benchmarks/bench_mock.py`` when wrk is absent.
Refuses any host but loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Callable, Sequence

import attrs

__all__ = ["LoadResult", "run_load"]

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


@attrs.define
class LoadResult:
    requests: int = 0
    transport_errors: int = 0
    statuses: dict[int, int] = attrs.field(factory=dict)
    latencies: list[float] = attrs.field(factory=list)
    elapsed: float = 0.0
    invalid_bodies: list[bytes] = attrs.field(factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


async def _worker(
    host: str, port: int, requests: list[bytes], result: LoadResult, check: Callable[[bytes], bool] | None
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = _LENGTH.search(head)
                body = await reader.readexactly(int(length.group(1)) if length else 0)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                result.transport_errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            status = int(head[9:12])
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            if status == 200 and check is not None and not check(body):  # noqa: PLR2004
                result.invalid_bodies.append(body[:300])
    finally:
        writer.close()


def run_load(
    base_url: str,
    paths: Sequence[str],
    *,
    total: int,
    connections: int = 16,
    headers: dict[str, str] | None = None,
    check: Callable[[bytes], bool] | None = None,
) -> LoadResult:
    """Send ``total`` GETs, cycling through ``paths``, over ``connections`` keep-alive connections."""
    host_port = base_url.removeprefix("http://").rstrip("/")
    host, _, port = host_port.partition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"load is only ever sent to loopback, not {host}")
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    raw = [f"GET {path} HTTP/1.1\r\nHost: {host_port}\r\n{extra}\r\n".encode() for path in paths]
    plan: list[list[bytes]] = [[] for _ in range(connections)]
    for index in range(total):
        plan[index % connections].append(raw[index % len(raw)])
    result = LoadResult()

    async def go() -> None:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(host, int(port), requests, result, check) for requests in plan if requests))
        result.elapsed = time.perf_counter() - started

    asyncio.run(go())
    return result
