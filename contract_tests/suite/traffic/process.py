"""Run ``tokenops-conformance proxy`` as a separate process on a free 127.0.0.1 port, for tests and benchmarks
(as :mod:`contract_tests.mock.process` runs the mock)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from contract_tests._paths import REPO_ROOT
from contract_tests.mock.process import free_port, local_process

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
    base = f"http://127.0.0.1:{port}"
    with local_process(
        command,
        name="proxy",
        log=log,
        env=environment,
        base_url=base,
        ready_path=ready_path,
        ready_headers=ready_headers,
        ready_timeout=ready_timeout,
        stop_timeout=stop_timeout,
    ) as process:
        yield base, process
