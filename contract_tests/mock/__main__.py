"""``python -m contract_tests.mock`` (``tokenops-mock``): serve the mock with uvicorn.

Usage: ``python -m contract_tests.mock [--host 127.0.0.1] [--port 4010] [--api-key KEY]... [--seed FILE]
[--quiet] [--fault SPEC]... [--fault-seed N] [--max-jobs N] [--spec FILE] [--stream-events N]
[--stream-interval-ms MS] [--cassette FILE]``.

The key it accepts: ``--api-key`` (repeatable), else ``$TOKENOPS_MOCK_API_KEY``, else ``sk-mock-local``; never the
client's ``$TOKENOPS_API_KEY`` (when that is set to something else, the start-up line says it is not used). The
start-up line names the address it listens on (the real port for ``--port 0``) and the key it accepts.

Exit codes: 0 after a normal shutdown (Ctrl-C); 1 when the server fails after it started; 2 for bad arguments, an
unreadable or invalid seed file, fault rule or spec, or an address it cannot listen on (the port in use): one line
on stderr saying which and what to do. A cassette that is corrupt, from another spec or holds a secret is refused
the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract_tests.cassette import CassetteError
from contract_tests.mock._app import DEFAULT_API_KEY, KEY_VARIABLE, create_app
from contract_tests.mock._faults import FaultRule, FaultSpecError, parse_fault_spec
from contract_tests.mock._jobs import DEFAULT_MAX_JOBS, WELL_KNOWN_IDS, JobSpecError, job_from_spec
from contract_tests.mock._stream import DEFAULT_EVENTS
from tokenops.spec import SpecError


def load_seed(path: Path) -> list[dict[str, Any]]:
    """Jobs from a JSON or YAML file: a list of jobs, or ``{"jobs": [...]}``. Validated here.

    Raises:
        JobSpecError: unreadable file, bad syntax, or an invalid job.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JobSpecError(f"cannot read seed file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml  # noqa: PLC0415 - only for YAML seeds

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError
        raise JobSpecError(f"seed file {path} is not valid: {exc}") from None
    except Exception as exc:  # yaml.YAMLError is not a ValueError
        raise JobSpecError(f"seed file {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    jobs = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(jobs, list):
        raise JobSpecError(f'seed file {path} must hold a list of jobs or {{"jobs": [...]}}')
    for index, spec in enumerate(jobs):
        try:
            job_from_spec(spec, 0.0)
        except JobSpecError as exc:
            raise JobSpecError(f"seed file {path}, job {index}: {exc}") from None
    return jobs


class _DroppedOnPurpose(logging.Filter):
    """Keeps uvicorn from printing a traceback each time a ``drop`` or ``stall`` fault cuts a connection on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, ConnectionResetError) and "mock fault" in str(error))


DEFAULT_KEEP_ALIVE = 75.0
USAGE_EXIT = 2
CLIENT_KEY_VARIABLE = "TOKENOPS_API_KEY"


class ListenError(Exception):
    """The address cannot be listened on (in use, not local, not allowed); the message is one line."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port), bound here so a busy port is one clear line.

    Raises:
        ListenError: the port is in use, or the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} on {host} is already in use (another mock?): stop it, or pick a free port with "
                "--port N (0 picks one)"
            ) from None
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _serve(app: object, *, sockets: list[socket.socket], **options: Any) -> bool:
    """Run uvicorn on the already-bound ``sockets`` until it is stopped; False when it failed to start."""
    import uvicorn  # noqa: PLC0415 - not needed in-process

    server = uvicorn.Server(uvicorn.Config(app, **options))  # type: ignore[arg-type]
    # uvicorn shuts down on Ctrl-C, then raises it again: a normal stop, as uvicorn.run treats it.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    return bool(server.started)


def _keys_said(given: list[str] | None) -> str:
    """Which key the mock accepts, for the start-up line (a key the user chose is named by where it came from)."""
    if given:
        return f"the one{'s' if len(set(given)) > 1 else ''} given with --api-key"
    if os.environ.get(KEY_VARIABLE):
        return f"the one in ${KEY_VARIABLE}"
    return DEFAULT_API_KEY


def _unused_client_key(keys: frozenset[str]) -> str:
    """A note when the client's key variable is set to a key the mock does not accept (it is not the mock's)."""
    client_key = os.environ.get(CLIENT_KEY_VARIABLE)
    if not client_key or client_key in keys:
        return ""
    return (
        f"  (${CLIENT_KEY_VARIABLE} is set but not used by the mock: use the key above, or start the mock with "
        f"--api-key / ${KEY_VARIABLE})"
    )


def main(
    argv: list[str] | None = None,
    *,
    prog: str = "python -m contract_tests.mock",
    serve: Callable[..., object] | None = None,
) -> int:
    """Parse the arguments, build the app and serve it until interrupted.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        prog: the program name usage messages show.
        serve: runs the ASGI app on ``sockets`` (already listening) with uvicorn's keyword options (default: uvicorn;
            tests pass a recorder); returns False when the server did not start.

    Returns:
        0 after a clean shutdown, 1 when the server failed after it started, 2 for a bad seed file, fault rule,
        option or spec, or an address it cannot listen on (one line on stderr).

    Raises:
        SystemExit: argparse's own exit (code 2) for malformed arguments, 0 for ``--help``.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=__doc__.split("\n", 1)[0],
        epilog="Exit codes: 0 stopped (Ctrl-C); 1 the server failed after it started; 2 bad arguments, seed file, "
        "fault rule or spec, or an address it cannot listen on (the port in use).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4010, help="port (default 4010; 0 picks a free one)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted key (repeatable; default ${KEY_VARIABLE}, else {DEFAULT_API_KEY}; never $TOKENOPS_API_KEY)",
    )
    parser.add_argument("--seed", type=Path, metavar="FILE", help="JSON/YAML file of jobs to preload")
    parser.add_argument("--quiet", action="store_true", help="no request log")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="fault rule kind[,key=value]... (repeatable), e.g. server_error,status=503,count=3",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed for probabilistic faults (default 0)")
    parser.add_argument("--max-jobs", type=int, default=DEFAULT_MAX_JOBS, help="job store cap (LRU eviction)")
    parser.add_argument(
        "--keep-alive",
        type=float,
        default=DEFAULT_KEEP_ALIVE,
        metavar="SECONDS",
        help=f"close idle connections after this long (default {DEFAULT_KEEP_ALIVE:g}, as API gateways do)",
    )
    parser.add_argument(
        "--spec", type=Path, metavar="FILE", help="OpenAPI file to serve (default: the vendored openapi.yaml)"
    )
    parser.add_argument(
        "--stream-events",
        type=int,
        default=DEFAULT_EVENTS,
        metavar="N",
        help=f"events per server-sent event stream (default {DEFAULT_EVENTS})",
    )
    parser.add_argument(
        "--stream-interval-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="pause between streamed events (default 0: the whole stream at once)",
    )
    parser.add_argument(
        "--cassette",
        type=Path,
        metavar="FILE",
        help="serve the answers recorded in this cassette (tokenops-conformance proxy --record) first",
    )
    args = parser.parse_args(argv)
    try:
        seeds = load_seed(args.seed) if args.seed else []
        faults: list[FaultRule] = [parse_fault_spec(spec) for spec in args.fault]
        if args.max_jobs < 1:
            raise JobSpecError("--max-jobs must be >= 1")
        if not 1 <= args.stream_events <= 100_000:  # noqa: PLR2004 - a stream, not a memory test
            raise JobSpecError("--stream-events must be a whole number in [1, 100000]")
        if not 0 <= args.stream_interval_ms <= 60_000:  # noqa: PLR2004 - a minute between events is a stall
            raise JobSpecError("--stream-interval-ms must be a number of milliseconds in [0, 60000]")
        if not 0 < args.keep_alive <= 3600:  # noqa: PLR2004 - an hour: beyond that a stuck client holds a slot forever
            raise JobSpecError("--keep-alive must be a number of seconds in (0, 3600]")
        app = create_app(
            api_keys=args.api_keys,
            seeds=seeds,
            faults=faults,
            fault_seed=args.fault_seed,
            max_jobs=args.max_jobs,
            log_requests=not args.quiet,
            spec=args.spec,
            stream_events=args.stream_events,
            stream_interval=args.stream_interval_ms / 1000,
            cassette=args.cassette,
        )
        if not app.spec.operations:
            raise SpecError(f"{app.spec.source} has no operations to serve")
        sock = listen(args.host, args.port)
    except (JobSpecError, FaultSpecError, SpecError, ListenError, CassetteError) as exc:
        print(f"mock: error: {exc}", file=sys.stderr)
        return USAGE_EXIT
    logging.getLogger("uvicorn.error").addFilter(_DroppedOnPurpose())

    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stateful = len(app.stateful_operations())
    for warning in app.spec.warnings:  # taken in, not served as the spec says: say so before the first request
        print(f"mock: warning: {warning}", file=sys.stderr)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else str(host)
    print(
        f"TokenOps mock on http://{shown}:{port}  key: {_keys_said(args.api_keys)}"
        f"{_unused_client_key(app.state.api_keys)}  well-known ids: {', '.join(WELL_KNOWN_IDS)}"
        f"  control API: /_mock/  ({len(app.spec.operations)} operations from {app.spec.source}, {stateful} stateful;"
        f" {len(seeds)} seeded jobs, {len(faults)} fault rules"
        + (f", {len(app.recorded)} recorded answers from {args.cassette}" if app.recorded is not None else "")
        + ")",
        file=sys.stderr,
        flush=True,
    )
    started = (serve or _serve)(
        app,
        sockets=[sock],
        host=args.host,
        port=port,
        log_level="warning" if args.quiet else "info",
        access_log=False,
        timeout_graceful_shutdown=2,
        # uvicorn's default (5 s) is shorter than the mock's own poll hints (up to 5 s): a polling client would
        # reconnect after every pause. Real API gateways keep idle connections for about a minute.
        timeout_keep_alive=args.keep_alive,
        proxy_headers=False,  # a local mock: no proxy in front whose headers to trust (and one layer less per request)
        server_header=False,
    )
    sock.close()
    if started is False:
        print("mock: error: the server stopped before it served (see uvicorn's message above)", file=sys.stderr)
        return 1
    return 0


def run() -> None:
    """``python -m contract_tests.mock`` (the console script, ``tokenops-mock``, checks the extra first:
    :mod:`contract_tests._commands`)."""
    sys.exit(main(prog="tokenops-mock"))


if __name__ == "__main__":  # pragma: no cover - only as `python -m contract_tests.mock`, a subprocess
    run()
