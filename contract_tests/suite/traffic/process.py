"""Run ``tokenops-conformance proxy`` as a separate process on a free 127.0.0.1 port, for tests and benchmarks
(as :mod:`contract_tests.mock.process` runs the mock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from contract_tests._paths import REPO_ROOT
from contract_tests.mock.process import free_port

__all__ = ["proxy_process"]


@contextmanager
def proxy_process(
    upstream: str,
    args: Sequence[str] = (),
    *,
    log: Path,
    ready_path: str,
    ready_headers: Mapping[str, str] | None = None,
    ready_timeout: float = 60.0,
    stop_timeout: float = 30.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start the proxy in front of ``upstream`` with ``args`` (``--listen`` is chosen here), wait until a request to
    ``ready_path`` (forwarded upstream like any other) gets any HTTP answer, yield its base URL and process; on exit,
    SIGTERM (it writes its final reports), then a kill after ``stop_timeout`` seconds. The client's
    ``$TOKENOPS_API_KEY`` is not passed on: the proxy forwards the application's own credentials.

    Raises:
        RuntimeError: it exited or did not answer within ``ready_timeout`` (the message has its log's tail).
    """
    port = free_port()
    command = [
        sys.executable,
        str(REPO_ROOT / "scripts" / "conformance.py"),
        "proxy",
        "--upstream",
        upstream,
        "--listen",
        f"127.0.0.1:{port}",
        *args,
    ]
    environment = {key: value for key, value in os.environ.items() if key != "TOKENOPS_API_KEY"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        with httpx.Client(base_url=base, timeout=2) as probe:
            while True:
                try:
                    probe.get(ready_path, headers=dict(ready_headers or {}))
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                        raise RuntimeError(f"the proxy did not start (exit {process.poll()}):\n{tail}") from None
                    time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
