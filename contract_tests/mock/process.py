"""Run ``python -m contract_tests.mock`` as a separate process on a free 127.0.0.1 port, for tests and tools."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx

from contract_tests._paths import REPO_ROOT

__all__ = ["MockProcess", "free_port", "mock_process"]


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
def mock_process(
    args: Sequence[str] = (), *, log: Path, env: dict[str, str] | None = None, ready_timeout: float = 30.0
) -> Iterator[MockProcess]:
    """Start the mock with ``args`` (``--port`` is chosen here), wait until it answers, stop it on exit.

    Raises:
        RuntimeError: it exited or did not answer within ``ready_timeout`` (the message has its log's tail).
    """
    port = free_port()
    command = [sys.executable, "-m", "contract_tests.mock", "--host", "127.0.0.1", "--port", str(port), *args]
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    environment = {**os.environ, **(env or {}), "PYTHONPATH": pythonpath}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=environment, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        # One client for every probe (a new one loads the CA bundle each time), probing every 20 ms.
        with httpx.Client(base_url=base, timeout=1) as probe:
            while True:
                try:
                    probe.get("/_mock/clock")
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                        raise RuntimeError(f"the mock did not start: {tail}") from None
                    time.sleep(0.02)
        yield MockProcess(base, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only a mock that ignores SIGTERM for 10 s gets here
            process.kill()
            process.wait(timeout=10)
