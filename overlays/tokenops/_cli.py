"""The ``tokenops`` command line: ``tokenops videos get ID`` and ``tokenops videos wait ID``.

Exit codes: 0 completed/ok, 1 failed job or API error, 2 usage/config error, 3 wait timeout, 130 interrupted.
The key comes from ``TOKENOPS_API_KEY`` only (never from argv, where ``ps`` would show it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn, TextIO

import httpx

from tokenops._client import TokenOps
from tokenops._errors import ConfigurationError, TokenOpsError, VideoGenerationFailed, WaitTimeout
from tokenops._models import Video
from tokenops.redaction import redact

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tokenops", description="TokenOps AI video API client (key from $TOKENOPS_API_KEY).")
    parser.add_argument("--base-url", help="API base URL (default: $TOKENOPS_BASE_URL or the spec's server)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and request logs")
    resources = parser.add_subparsers(dest="resource", required=True, parser_class=_Parser)
    videos = resources.add_parser("videos", help="video-generation jobs")
    actions = videos.add_subparsers(dest="action", required=True, parser_class=_Parser)
    get = actions.add_parser("get", help="show a job's current state")
    get.add_argument("video_id")
    get.add_argument("--json", action="store_true", help="print the job as JSON")
    wait = actions.add_parser("wait", help="wait for a job to finish, showing progress")
    wait.add_argument("video_id")
    wait.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up (default 600)")
    wait.add_argument("--json", action="store_true", help="print the final job as JSON")
    return parser


def _summary(video: Video) -> str:
    parts = [str(video.id), video.status_text]
    if isinstance(video.progress, int):
        parts.append(f"{video.progress}%")
    for label, value in (("model", video.model), ("size", video.size), ("seconds", video.seconds)):
        if value:
            parts.append(f"{label}={value}")
    for label, when in (("created", video.created_at_datetime), ("completed", video.completed_at_datetime)):
        if when is not None:
            parts.append(f"{label}={when.isoformat().replace('+00:00', 'Z')}")
    if video.error_message or video.error_code:
        parts.append(f"error={video.error_code or ''}: {video.error_message or ''}")
    return "  ".join(parts)


def _print_video(video: Video, as_json: bool, out: TextIO) -> None:
    print(json.dumps(video.to_dict(), ensure_ascii=False, indent=2) if as_json else _summary(video), file=out)


def _wait(client: TokenOps, args: argparse.Namespace, out: TextIO, err: TextIO) -> Video:
    try:
        import rich  # noqa: F401, PLC0415 - the progress bar comes with the `cli` extra
    except ImportError:
        rich_available = False
    else:
        rich_available = True
    if not err.isatty() or not rich_available:

        def plain(video: Video) -> None:
            progress = f" {video.progress}%" if isinstance(video.progress, int) else ""
            print(f"{video.id} {video.status_text}{progress}", file=err, flush=True)

        return client.videos.wait(args.video_id, timeout=args.timeout, on_progress=plain)
    from rich.console import Console  # noqa: PLC0415 - only on a terminal
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=err), transient=False) as bar:
        task = bar.add_task(f"{args.video_id} pending", total=100)

        def update(video: Video) -> None:
            completed = video.progress if isinstance(video.progress, int) else None
            bar.update(task, description=f"{args.video_id} {video.status_text}", completed=completed)

        return client.videos.wait(args.video_id, timeout=args.timeout, on_progress=update)


def main(argv: list[str] | None = None, *, http_client: httpx.Client | None = None) -> int:
    """Run the CLI; returns the exit code. ``http_client`` is the test seam."""
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.debug:
        import logging  # noqa: PLC0415

        from tokenops._logging import setup_from_env  # noqa: PLC0415

        logging.getLogger("tokenops").setLevel(logging.DEBUG)
        setup_from_env()
    try:
        with TokenOps(base_url=args.base_url, http_client=http_client) as client:
            if args.action == "get":
                _print_video(client.videos.retrieve(args.video_id), args.json, out)
            else:
                _print_video(_wait(client, args, out, err), args.json, out)
    except KeyboardInterrupt:
        print("tokenops: interrupted", file=err)
        return EXIT_INTERRUPTED
    except (ConfigurationError, ValueError, WaitTimeout, VideoGenerationFailed, TokenOpsError) as exc:
        return _fail(err, exc, args.debug)
    return EXIT_OK


def _fail(err: TextIO, exc: Exception, debug: bool) -> int:
    """Print one clear line (plus the traceback with --debug) and return the exit code for ``exc``."""
    if isinstance(exc, ConfigurationError | ValueError):
        code, message = EXIT_USAGE, str(exc)
    elif isinstance(exc, WaitTimeout):
        code, message = EXIT_TIMEOUT, str(exc)
    elif isinstance(exc, VideoGenerationFailed):
        code, message = EXIT_FAILED, str(exc)
    else:
        code, message = EXIT_FAILED, f"{type(exc).__name__}: {exc}"
    if debug:
        import traceback  # noqa: PLC0415

        print(redact("".join(traceback.format_exception(exc))), file=err)
    print(f"tokenops: error: {redact(message)}", file=err)
    return code


def run() -> Any:
    """Console-script entry point."""
    sys.exit(main())
