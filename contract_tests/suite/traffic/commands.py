"""``tokenops-conformance proxy`` and ``tokenops-conformance replay``: conformance from real traffic.

Usage::

    tokenops-conformance proxy --upstream URL [--listen 127.0.0.1:8080] [--spec FILE] [--report-dir DIR]
        [--report-every S] [--baseline FILE] [--fail-on CATEGORIES] [--record PATH] [--record-max-exchanges N]
        [--record-max-mb N] [--max-body BYTES] [--upstream-timeout S] [--checker-memory-mb N] [--stop-after S]
        [--quiet]
    tokenops-conformance replay CASSETTE [--spec FILE] [--report-dir DIR] [--baseline FILE] [--fail-on CATEGORIES]
        [--any-spec-version] [--quiet]

``proxy`` forwards every exchange to ``--upstream`` unchanged and checks a copy afterwards
(:mod:`contract_tests.suite.traffic.proxy`, :mod:`contract_tests.suite.traffic.worker`); the reports are rewritten
every ``--report-every`` seconds and when it stops (Ctrl-C, SIGTERM, or ``--stop-after``). ``replay`` checks a
recorded cassette again, offline, against the current spec.

Exit codes: 0 pass, 1 fail (a new finding in a ``--fail-on`` category), 3 inconclusive (no exchange checked),
2 usage or setup error (one line, no traceback).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from contract_tests._paths import spec_path
from contract_tests.cassette import CassetteError, load_cassette, spec_identity
from contract_tests.suite.baseline import DEFAULT_BASELINE, BaselineError
from contract_tests.suite.traffic.proxy import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, ProxyApp, UpstreamCut
from contract_tests.suite.traffic.session import DEFAULT_TRAFFIC_FAIL_ON, Session, SessionConfig
from contract_tests.suite.traffic.worker import CheckerError, CheckerProcess
from contract_tests.suite.verdict import parse_fail_on
from tokenops.redaction import redact
from tokenops.spec import Spec, SpecError, credential_variable, load

__all__ = ["COMMANDS", "main"]

COMMANDS = ("proxy", "replay")
USAGE_EXIT = 2
DEFAULT_LISTEN = "127.0.0.1:8080"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class UsageError(Exception):
    pass


def _common(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--spec", type=Path, help="the OpenAPI file to check against (default: the repo's openapi.yaml)")
    add("--report-dir", type=Path, default=Path("reports"), help="where to write the reports (default reports/)")
    add(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help=f"known deviations (the suite's baseline; default ./{DEFAULT_BASELINE})",
    )
    add(
        "--fail-on",
        default=",".join(c.value for c in DEFAULT_TRAFFIC_FAIL_ON),
        help="categories that fail the verdict (or 'all')",
    )
    add("--quiet", action="store_true", help="no summary of the findings, only the verdict line")


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Conformance from real traffic.")
    commands = parser.add_subparsers(dest="command", required=True)
    proxy = commands.add_parser("proxy", help="forward traffic to --upstream and check every exchange")
    add = proxy.add_argument
    add("--upstream", required=True, help="base URL to forward to (https://api.example.com)")
    add("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=f"where to listen (default {DEFAULT_LISTEN})")
    add("--report-every", type=float, default=10.0, metavar="S", help="rewrite the reports this often (default 10)")
    add("--record", type=Path, metavar="PATH", help="write the exchanges (redacted) to this cassette")
    add("--record-max-exchanges", type=int, default=10_000, metavar="N", help="most exchanges recorded (10000)")
    add("--record-max-mb", type=float, default=50.0, metavar="N", help="largest cassette in MB (default 50)")
    add("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES", help="bytes of a body kept for checking")
    add("--upstream-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S", help="seconds per upstream step (60)")
    add("--checker-memory-mb", type=float, default=16.0, metavar="N", help="most MB of exchanges awaiting checks")
    add("--stop-after", type=float, metavar="S", help="stop by itself after S seconds (and write the reports)")
    _common(proxy)
    replay = commands.add_parser("replay", help="check a recorded cassette again, offline, against the spec")
    replay.add_argument("cassette", type=Path, help="the cassette (tokenops-conformance proxy --record)")
    replay.add_argument(
        "--any-spec-version", action="store_true", help="accept a cassette recorded against another spec version"
    )
    _common(replay)
    return parser


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
        ipaddress.ip_address(host.strip("[]") or "x")
    except ValueError:
        raise UsageError(f"--listen takes HOST:PORT with an IP address (127.0.0.1:8080), not {text!r}") from None
    if not 0 <= number <= 65535:  # noqa: PLR2004 - the port range
        raise UsageError(f"--listen port {number} is not in 0..65535")
    return host.strip("[]"), number


def _upstream(text: str) -> str:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UsageError(f"--upstream {text!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"--upstream {text!r} must be an http:// or https:// URL")
    if url.userinfo or url.query:
        raise UsageError("--upstream takes no credentials and no query string: the application sends its own")
    return text.rstrip("/")


def _spec(args: argparse.Namespace) -> Path:
    path: Path = args.spec if args.spec is not None else spec_path()
    if not path.is_file():
        raise UsageError(f"--spec {path} is not a file")
    return path


def _config(args: argparse.Namespace, upstream: str) -> SessionConfig:
    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
    if args.baseline != DEFAULT_BASELINE and not args.baseline.exists():
        raise UsageError(f"baseline file {args.baseline} does not exist")
    options: dict[str, Any] = {}
    if args.command == "proxy":
        if args.report_every <= 0 or args.max_body < 0 or args.upstream_timeout <= 0:
            raise UsageError("--report-every and --upstream-timeout must be > 0, --max-body >= 0")
        if args.record_max_exchanges < 1 or args.record_max_mb <= 0 or args.checker_memory_mb <= 0:
            raise UsageError("--record-max-exchanges, --record-max-mb and --checker-memory-mb must be > 0")
        options = {
            "record": args.record,
            "record_max_exchanges": args.record_max_exchanges,
            "record_max_bytes": int(args.record_max_mb * 1024 * 1024),
            "report_every": args.report_every,
        }
    return SessionConfig(
        spec=_spec(args),
        upstream=upstream,
        mode=args.command,
        report_dir=args.report_dir,
        baseline=args.baseline if args.baseline.exists() else None,
        fail_on=tuple(fail_on),
        quiet=args.quiet,
        **options,
    )


def _known_secrets(spec: Spec) -> list[str]:
    """Credentials this process has: a cassette that holds one was not redacted."""
    names = ["TOKENOPS_API_KEY", *(credential_variable(name) for name in spec.security_schemes)]
    return [value for name in names if (value := os.environ.get(name))]


def replay(args: argparse.Namespace) -> int:
    """``replay CASSETTE``: check the cassette's exchanges again, offline.

    Raises:
        UsageError, CassetteError, BaselineError, SpecError: the one-line reasons :func:`main` prints.
    """
    path = _spec(args)
    model = load(path)
    cassette = load_cassette(
        args.cassette, model, secrets=_known_secrets(model), any_spec_version=args.any_spec_version
    )
    session = Session(_config(args, cassette.upstream or "http://upstream.invalid"))
    if cassette.spec.get("sha256") != spec_identity(model)["sha256"]:
        session.checker.notes.append(
            f"recorded against another revision of the spec (sha256 {cassette.spec.get('sha256', '?')[:12]}): "
            "the findings are today's spec's"
        )
    for exchange in cassette.exchanges:
        session.add(exchange)
    return session.finish()


class _CutOnPurpose(logging.Filter):
    """Keeps uvicorn from printing a traceback each time the proxy cuts a client's connection because the upstream
    failed mid-response (the exchange is a finding; the traceback says nothing more)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], UpstreamCut))


def proxy(args: argparse.Namespace) -> int:
    """``proxy --upstream URL``: forward and check until stopped; returns the verdict's exit code.

    Raises:
        UsageError, CheckerError: the one-line reasons :func:`main` prints.
    """
    import uvicorn  # noqa: PLC0415 - the server stack only for the proxy

    upstream = _upstream(args.upstream)
    host, port = _listen(args.listen)
    config = _config(args, upstream)
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.listen}: {os.strerror(exc.errno) if exc.errno else exc}") from None
    listening = f"http://{f'[{host}]' if ':' in host else host}:{sock.getsockname()[1]}"
    checker = CheckerProcess(config, budget=int(args.checker_memory_mb * 1024 * 1024))
    try:
        checker.start()
    except CheckerError:
        sock.close()
        raise
    app = ProxyApp(upstream, checker, max_body=args.max_body, timeout=args.upstream_timeout)
    logging.getLogger("uvicorn.error").addFilter(_CutOnPurpose())
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,  # the upstream's Server and Date headers pass through unchanged
            date_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=5,
        )
    )
    timer = None
    if args.stop_after is not None:
        timer = threading.Timer(args.stop_after, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    print(
        f"tokenops-conformance proxy: {listening} -> {upstream} (spec {config.spec.name}); reports in "
        f"{config.report_dir}/ every {config.report_every:g} s"
        + (f", recording to {config.record}" if config.record else "")
        + "; Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn stops on SIGINT/SIGTERM and then raises the signal again for the handler it found: ours only notes
    # it, so the checker still writes the final reports and the verdict becomes the exit code.
    stops: list[int] = []
    previous = {sig: signal.signal(sig, lambda number, _frame: stops.append(number)) for sig in STOP_SIGNALS}
    try:
        server.run(sockets=[sock])
    finally:
        if timer is not None:
            timer.cancel()
        code = checker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def main(argv: list[str], *, prog: str = "tokenops-conformance") -> int:
    """Run ``proxy`` or ``replay`` (``argv[0]``); see the module docstring."""
    args = _parser(prog).parse_args(argv)
    try:
        return proxy(args) if args.command == "proxy" else replay(args)
    except (UsageError, CheckerError, CassetteError, BaselineError, SpecError, OSError) as exc:
        print(redact(f"conformance {args.command}: error: {' '.join(str(exc).split())}"), file=sys.stderr)
        return USAGE_EXIT
    except Exception as exc:  # schemathesis' spec errors and the like: one line, never a traceback
        message = " ".join(str(exc).split())[:300]
        print(redact(f"conformance {args.command}: error: {type(exc).__name__}: {message}"), file=sys.stderr)
        return USAGE_EXIT
