"""Mock throughput and latency: ``GET /v1/videos/{id}`` under a fixed local load, our mock vs Prism 5.

Both servers run on 127.0.0.1 on the same spec and get the same load (16 connections, 2 s warm-up not
counted, then a fixed duration) from the same generator: wrk (Debian's package) when installed, else
contract_tests/mock/_loadgen.py.
Prism 5 (``@stoplight/prism-cli``) is installed with npm into a temp dir when npm is available. Nothing is
installed on the machine: a missing wrk or npm is reported with the command that installs it.

``--spec FILE`` (repeatable) also loads our mock started on that spec, on the same path; ``--extra-ops N``
on the vendored spec plus N operations only the schema-driven fallback answers. The hot path must not slow
down when the spec grows.

Usage: ``python benchmarks/bench_mock.py [--duration S] [--connections N] [--no-prism] [--spec FILE]...
[--extra-ops N]``.
Goal: our requests/s >= 10x Prism's, with p99 no worse.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from contract_tests.mock import create_app
from contract_tests.mock._loadgen import run_load
from contract_tests.mock.process import free_port, mock_process

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench-mock"
PATH = "/v1/videos/video_in_progress_demo"
GOAL = 10.0
OURS = "tokenops mock (uvicorn)"
PRISM = "prism 5 mock"
INSTALL_WRK = "wrk not found: install it for the reference figures with `apt-get install -y wrk` (Debian)"
INSTALL_NPM = "npm not found: install it to compare with Prism 5, e.g. `apt-get install -y npm` (Debian)"


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=2)
            return
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} not ready after {timeout}s")


@contextlib.contextmanager
def serve(command: list[str], port: int, cwd: Path) -> Iterator[str]:
    """Run a third-party server (Prism) on 127.0.0.1:port until the block ends; always stopped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENOPS_API_KEY": KEY}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + PATH, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_wrk(base: str, duration: float, connections: int) -> dict[str, float]:
    threads = min(2, connections)
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{int(duration)}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {KEY}",
            base + PATH,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    )

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", result.stdout, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"cannot read {label} from wrk output:\n{result.stdout}")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    socket_errors = re.search(r"Socket errors: (.*)", result.stdout)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": float(errors.group(1)) if errors else 0.0 + (1.0 if socket_errors else 0.0),
    }


WARM_UP = 2.0  # seconds of the same load before measuring, not counted (Node's JIT and ours alike)


def load(base: str, duration: float, connections: int) -> dict[str, float]:
    """Figures for ``duration`` seconds of load on ``base`` after :data:`WARM_UP` seconds of it."""
    if shutil.which("wrk"):
        run_wrk(base, WARM_UP, connections)
        return run_wrk(base, duration, connections)
    run_load(
        base, [PATH], total=int(3000 * WARM_UP), connections=connections, headers={"Authorization": f"Bearer {KEY}"}
    )
    # Without wrk: the project's bounded generator, sized to run for about `duration` seconds.
    result = run_load(
        base, [PATH], total=int(3000 * duration), connections=connections, headers={"Authorization": f"Bearer {KEY}"}
    )
    quantiles = statistics.quantiles(result.latencies, n=100)
    errors = result.transport_errors + sum(n for status, n in result.statuses.items() if status != 200)  # noqa: PLR2004
    return {"rps": result.rps, "p50_ms": quantiles[49] * 1e3, "p99_ms": quantiles[98] * 1e3, "errors": float(errors)}


def prism_command(workdir: Path, port: int) -> list[str] | None:
    """Install Prism 5 into ``workdir`` with npm; None when npm is unavailable or the install fails."""
    npm = shutil.which("npm")
    if npm is None:
        print(INSTALL_NPM)
        return None
    installed = subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(workdir), "@stoplight/prism-cli@5"],
        capture_output=True,
        check=False,
        timeout=600,
    )
    binary = workdir / "node_modules" / ".bin" / "prism"
    if installed.returncode != 0 or not binary.exists():
        return None
    return [str(binary), "mock", str(ROOT / "openapi.yaml"), "--host", "127.0.0.1", "--port", str(port)]


def spec_with_extra_operations(count: int, dest: Path) -> Path:
    """The vendored spec plus ``count`` fallback-only operations (GET and POST on ``/v1/things{i}/{thing_id}``)."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    thing = {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}}
    for i in range(count):
        param = {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}
        answer = {"200": {"description": "ok", "content": {"application/json": {"schema": thing}}}}
        body = {"required": True, "content": {"application/json": {"schema": thing}}}
        document["paths"][f"/v1/things{i}/{{thing_id}}"] = {
            "parameters": [param],
            "get": {"operationId": f"getThing{i}", "responses": answer, "security": [{"OpenAIAuth": []}]},
            "post": {"operationId": f"setThing{i}", "requestBody": body, "responses": answer},
        }
    dest.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


def app_cost_us(spec: Path | None, requests: int = 20_000, rounds: int = 5) -> float:
    """CPU microseconds the app itself spends per hot-path request, in-process (ASGI, no sockets); best round."""
    app = create_app(api_keys=[KEY], log_requests=False, spec=spec)
    scope = {
        "type": "http",
        "method": "GET",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {KEY}".encode())],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    async def run() -> float:
        started = time.process_time()
        for _ in range(requests):
            await app(scope, receive, send)
        return (time.process_time() - started) / requests * 1e6

    return min(asyncio.run(run()) for _ in range(rounds))


def measure(
    duration: float = 10.0, connections: int = 16, prism: bool = True, specs: Mapping[str, Path] | None = None
) -> dict[str, dict[str, float]]:
    """Load our mock (on the vendored spec, then on each of ``specs``: label -> path) and Prism 5 when npm allows.

    Returns:
        Figures per server: rps, p50_ms, p99_ms, errors.
    """
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mock-") as tmp:
        for label, spec in [("", None), *(specs or {}).items()]:
            args = ["--quiet", "--api-key", KEY, *(["--spec", str(spec)] if spec else [])]
            with mock_process(args, log=Path(tmp) / "mock.log") as mock:
                results[f"{OURS}, {label}" if label else OURS] = load(mock.base_url, duration, connections)
    if prism:
        with tempfile.TemporaryDirectory(prefix="prism-") as tmp:
            prism_port = free_port()
            command = prism_command(Path(tmp), prism_port)
            if command is None:
                print("prism: unavailable; comparison skipped")
            else:
                with serve(command, prism_port, Path(tmp)) as base:
                    results[PRISM] = load(base, duration, connections)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per server (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-prism", action="store_true", help="skip the Prism comparison")
    parser.add_argument("--spec", type=Path, action="append", default=[], help="also load our mock on this spec")
    parser.add_argument("--extra-ops", type=int, default=0, metavar="N", help="also: the spec + N fallback operations")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print(INSTALL_WRK + "; using the Python load generator meanwhile")
    generator = "wrk" if shutil.which("wrk") else "python asyncio generator"
    with tempfile.TemporaryDirectory(prefix="spec-") as tmp:
        specs = {str(path): path for path in args.spec}
        if args.extra_ops:
            extra = spec_with_extra_operations(args.extra_ops, Path(tmp) / "openapi.yaml")
            specs[f"vendored + {args.extra_ops} fallback ops"] = extra
        results = measure(args.duration, args.connections, prism=not args.no_prism, specs=specs)
        costs = {"vendored spec": app_cost_us(None)} | {label: app_cost_us(path) for label, path in specs.items()}
    print(f"load: {generator}, {args.connections} connections, {args.duration:g} s per server, GET {PATH}")
    width = max(26, *(len(name) for name in results))
    print(f"{'server':{width}} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:{width}} {r['rps']:10.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7.0f}")
    print(
        "app CPU per hot-path request, in-process (best of 5 x 20,000): "
        + ", ".join(f"{name} {cost:.1f} us" for name, cost in costs.items())
    )
    if PRISM in results:
        ours_r, prism_r = results[OURS], results[PRISM]
        ratio = ours_r["rps"] / prism_r["rps"]
        verdict = "met" if ratio >= GOAL and ours_r["p99_ms"] <= prism_r["p99_ms"] else "MISSED"
        print(
            f"ours/prism throughput {ratio:.2f}x, p99 {ours_r['p99_ms']:.2f} vs {prism_r['p99_ms']:.2f} ms: "
            f"goal >= {GOAL:g}x with p99 no worse: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
