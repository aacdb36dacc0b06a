"""The ``tokenops`` command line: ``tokenops videos get ID`` and ``tokenops videos wait ID``.

Exit codes: 0 completed/ok, 1 failed job or API error, 2 usage/config error, 3 wait timeout, 130 interrupted.
The key comes from ``TOKENOPS_API_KEY`` only (never from argv, where ``ps`` would show it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn, TextIO

import httpx

from tokenops._client import TokenOps
from tokenops._clock import Clock, SystemClock
from tokenops._errors import ConfigurationError, TokenOpsError, VideoGenerationFailed, WaitTimeout
from tokenops._logging import enable
from tokenops._models import Video
from tokenops._progress import display_for
from tokenops._version import __version__
from tokenops.redaction import redact

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common() -> _Parser:
    # Accepted before or after the subcommand: SUPPRESS keeps a later parser from resetting an earlier value.
    common = _Parser(add_help=False)
    common.add_argument(
        "--base-url", default=argparse.SUPPRESS, help="API base URL (default: $TOKENOPS_BASE_URL or the spec's)"
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="log every request to stderr; tracebacks"
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="tokenops", description="TokenOps AI video API client (key from $TOKENOPS_API_KEY).", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"tokenops {__version__}")
    resources = parser.add_subparsers(dest="resource", required=True, parser_class=_Parser)
    videos = resources.add_parser("videos", help="video-generation jobs", parents=[common])
    actions = videos.add_subparsers(dest="action", required=True, parser_class=_Parser)
    get = actions.add_parser("get", help="show a job's current state", parents=[common])
    get.add_argument("video_id")
    get.add_argument("--json", action="store_true", help="print the job as JSON")
    wait = actions.add_parser("wait", help="wait for a job to finish, showing progress", parents=[common])
    wait.add_argument("video_id")
    wait.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up (default 600)")
    wait.add_argument("--json", action="store_true", help="print the final job as JSON (also when it fails)")
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


def _print_video(video: Video | None, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(json.dumps(None if video is None else video.to_dict(), ensure_ascii=False, indent=2), file=out)
    elif video is not None:
        print(_summary(video), file=out)
    out.flush()


def _wait(client: TokenOps, args: argparse.Namespace, err: TextIO, clock: Clock) -> Video:
    display = display_for(args.video_id, err, clock)
    try:
        return client.videos.wait(
            args.video_id, timeout=args.timeout, on_progress=display.progress, on_retry=display.retry
        )
    finally:
        display.close()


def main(argv: list[str] | None = None, *, http_client: httpx.Client | None = None, clock: Clock | None = None) -> int:
    """Run the CLI; returns the exit code. ``http_client`` and ``clock`` are the test seams."""
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    debug = getattr(args, "debug", False)
    if debug:
        enable("DEBUG")
    clock = clock or SystemClock()
    try:
        with TokenOps(base_url=getattr(args, "base_url", None), http_client=http_client, clock=clock) as client:
            if args.action == "get":
                _print_video(client.videos.retrieve(args.video_id), args.json, out)
            else:
                _print_video(_wait(client, args, err, clock), args.json, out)
    except KeyboardInterrupt:
        print("tokenops: interrupted", file=err)
        return EXIT_INTERRUPTED
    except VideoGenerationFailed as exc:
        if args.json:
            _print_video(exc.video, True, out)
        return _fail(err, exc, debug)
    except WaitTimeout as exc:
        if args.json:
            _print_video(exc.last_video, True, out)
        return _fail(err, exc, debug)
    except (ConfigurationError, ValueError, TokenOpsError) as exc:
        return _fail(err, exc, debug)
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
    """Console-script entry point: ``| head -1`` ends quietly (no BrokenPipe traceback)."""
    try:
        try:
            code: Any = main()
        except SystemExit as exc:  # --help, --version and usage errors print, then exit
            code = exc.code
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away. Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FAILED
    sys.exit(code)
