"""Run ``python -m contract_tests.mock`` as a separate process on a free 127.0.0.1 port, for tests and tools."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx

from contract_tests._paths import REPO_ROOT

__all__ = ["MockProcess", "free_port", "local_process", "mock_process"]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@attrs.frozen
class MockProcess:
    base_url: str
    pid: int
    log: Path


@contextmanager
def local_process(
    command: Sequence[str],
    *,
    name: str,
    log: Path,
    env: Mapping[str, str],
    base_url: str,
    ready_path: str,
    ready_headers: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` (a server of this repository, importable from the checkout: ``PYTHONPATH`` gets the repo root
    first) with ``env`` and its output in ``log``; wait until ``base_url + ready_path`` gets any HTTP answer; on exit,
    SIGTERM, then a kill after ``stop_timeout`` seconds.

    Raises:
        RuntimeError: it exited or did not answer within ``ready_timeout`` (``the NAME did not start: `` and its log's
            tail).
    """
    environment = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))}
    with log.open("wb") as sink:
        process = subprocess.Popen(list(command), env=environment, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + ready_timeout
        # One client for every probe (a new one loads the CA bundle each time), probing every 20 ms.
        with httpx.Client(base_url=base_url, timeout=2) as probe:
            while True:
                try:
                    probe.get(ready_path, headers=dict(ready_headers or {}))
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                        raise RuntimeError(f"the {name} did not start: {tail}") from None
                    time.sleep(0.02)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover - only a server that ignores SIGTERM gets here
                process.kill()
                process.wait(timeout=10)


@contextmanager
def mock_process(
    args: Sequence[str] = (), *, log: Path, env: dict[str, str] | None = None, ready_timeout: float = 30.0
) -> Iterator[MockProcess]:
    """Start the mock with ``args`` (``--port`` is chosen here), wait until it answers, stop it on exit.

    Raises:
        RuntimeError: it exited or did not answer within ``ready_timeout`` (the message has its log's tail).
    """
    port = free_port()
    command = [sys.executable, "-m", "contract_tests.mock", "--host", "127.0.0.1", "--port", str(port), *args]
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, **(env or {})}
    with local_process(
        command,
        name="mock",
        log=log,
        env=environment,
        base_url=base,
        ready_path="/_mock/clock",
        ready_timeout=ready_timeout,
    ) as process:
        yield MockProcess(base, process.pid, log)
