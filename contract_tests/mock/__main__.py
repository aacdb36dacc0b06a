"""``python -m contract_tests.mock``: serve the mock with uvicorn.

Usage: ``python -m contract_tests.mock [--host 127.0.0.1] [--port 4010] [--api-key KEY]... [--seed FILE]
[--quiet] [--fault SPEC]... [--fault-seed N] [--max-jobs N] [--spec FILE] [--stream-events N]
[--stream-interval-ms MS] [--cassette FILE]``.
Exit 2 on bad arguments, seed file, spec or cassette.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract_tests.cassette import CassetteError
from contract_tests.mock._app import DEFAULT_API_KEY, create_app
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
        serve: runs the ASGI app with uvicorn's keyword options (default ``uvicorn.run``; tests pass a recorder).

    Returns:
        0 after a clean shutdown, 2 for a bad seed file, fault rule, option or spec (one line on stderr).

    Raises:
        SystemExit: argparse's own exit (code 2) for malformed arguments, 0 for ``--help``.
    """
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4010, help="port (default 4010; 0 picks a free one)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted key (repeatable; default $TOKENOPS_API_KEY, else {DEFAULT_API_KEY})",
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
    except (JobSpecError, FaultSpecError, SpecError, CassetteError) as exc:
        print(f"mock: error: {exc}", file=sys.stderr)
        return 2
    if serve is None:
        import uvicorn  # noqa: PLC0415 - not needed in-process

        serve = uvicorn.run
    logging.getLogger("uvicorn.error").addFilter(_DroppedOnPurpose())

    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stateful = len(app.stateful_operations())
    for warning in app.spec.warnings:  # taken in, not served as the spec says: say so before the first request
        print(f"mock: warning: {warning}", file=sys.stderr)
    print(
        f"TokenOps mock on http://{args.host}:{args.port}  well-known ids: {', '.join(WELL_KNOWN_IDS)}"
        f"  control API: /_mock/  ({len(app.spec.operations)} operations from {app.spec.source}, {stateful} stateful;"
        f" {len(seeds)} seeded jobs, {len(faults)} fault rules"
        + (f", {len(app.recorded)} recorded answers from {args.cassette}" if app.recorded is not None else "")
        + ")",
        file=sys.stderr,
        flush=True,
    )
    serve(
        app,
        host=args.host,
        port=args.port,
        log_level="warning" if args.quiet else "info",
        access_log=False,
        timeout_graceful_shutdown=2,
        # uvicorn's default (5 s) is shorter than the mock's own poll hints (up to 5 s): a polling client would
        # reconnect after every pause. Real API gateways keep idle connections for about a minute.
        timeout_keep_alive=args.keep_alive,
        proxy_headers=False,  # a local mock: no proxy in front whose headers to trust (and one layer less per request)
        server_header=False,
    )
    return 0


def run() -> None:
    """Console-script entry point (``tokenops-mock``)."""
    sys.exit(main(prog="tokenops-mock"))


if __name__ == "__main__":  # pragma: no cover - only as `python -m contract_tests.mock`, a subprocess
    run()
