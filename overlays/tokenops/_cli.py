"""The ``tokenops`` command line: ``tokenops videos get ID`` and ``tokenops videos wait ID``.

Exit codes: 0 completed/ok (also when the reader of the output went away: ``| head -1``), 1 failed job, API error or
an unreachable server, 2 usage/config error, 3 wait timeout, 130 interrupted. The key comes from
``TOKENOPS_API_KEY`` only (never from argv, where ``ps`` would show it). Error messages name the command line's
options and environment variables.

The base URL (``--base-url``, else ``TOKENOPS_BASE_URL``, else the spec's server) follows the one rule of
:func:`tokenops.spec.join_url` (the conformance suite's too): its path is kept, and the operation's path is appended
without repeating what the base already ends with, so ``https://host`` and ``https://host/v1`` call the same URL.

Connect budget: each connection attempt gets :data:`CONNECT_TIMEOUT` seconds, and a server that was never reached is
given :data:`CONNECT_ATTEMPTS` attempts in all (``get``: the client's own retries; ``wait``: its first polls), with the
client's backoff between them (about 1.5 s): a refused port or a name that does not resolve ends in about 2 s, a
server that never accepts the connection in about 10 s, with exit 1 and ``unreachable: URL``. Once the server has
answered, ``wait`` polls through transient failures (a dropped connection included) until ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from typing import Any, NoReturn, TextIO

import httpx

from tokenops._client import TokenOps
from tokenops._clock import Clock, SystemClock
from tokenops._config import base_url_problem, shown_url
from tokenops._errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    TokenOpsError,
    VideoGenerationFailed,
    WaitTimeout,
)
from tokenops._logging import enable
from tokenops._models import Video
from tokenops._progress import display_for
from tokenops._version import __version__
from tokenops.operations import all_endpoints
from tokenops.redaction import redact
from tokenops.spec import PathTemplate, join_url

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
CONNECT_TIMEOUT = 3.0  # seconds per connection attempt (see the module docstring)
CONNECT_ATTEMPTS = 3  # failed connection attempts before a server never reached is called unreachable
REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=CONNECT_TIMEOUT)
KEY_VARIABLE, BASE_URL_VARIABLE = "TOKENOPS_API_KEY", "TOKENOPS_BASE_URL"
_VISIBLE = re.compile(r"[\x21-\x7e]+")


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
    wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds before giving up (default 600)")
    wait.add_argument("--json", action="store_true", help="print the final job as JSON (also when it fails)")
    return parser


def _seconds(text: str) -> float:
    """A positive number of seconds (argparse type: its error names the option)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


class _UsageError(Exception):
    """A bad option or environment variable, named as the user set it."""


def _api_key() -> None:
    """Check ``TOKENOPS_API_KEY`` before the client does: its messages name Python arguments.

    Raises:
        _UsageError: unset, empty or not a header-safe key.
    """
    key = os.environ.get(KEY_VARIABLE)
    if key is None or not key.strip():
        raise _UsageError(f"no API key: set {KEY_VARIABLE} (the CLI never takes the key as an argument)")
    if not _VISIBLE.fullmatch(key):
        raise _UsageError(f"{KEY_VARIABLE} contains whitespace or non-ASCII characters: check how it was copied")


def _base_url(given: str | None) -> str | None:
    """The base URL the client gets: ``--base-url``, else ``TOKENOPS_BASE_URL`` (else None: the spec's server), reduced
    by :func:`tokenops.spec.join_url` to the base the operations' paths are appended to, so the URL it calls is the
    rule's (when the operations do not share one, the URL as given).

    Raises:
        _UsageError: not an absolute http(s) URL, or with a password, query or fragment.
    """
    where = "--base-url" if given is not None else BASE_URL_VARIABLE
    url = given if given is not None else os.environ.get(BASE_URL_VARIABLE) or None
    if url is None:
        return None
    problem = base_url_problem(url)
    if problem is not None:
        kind, words = problem
        hint = f"; the key goes in {KEY_VARIABLE}" if kind == "userinfo" else ""
        raise _UsageError(f"{where} {shown_url(url)!r} {words}{hint}")
    # The base each operation's path is appended to under the rule; the CLI's operations all share one.
    reduced = set()
    for endpoint in all_endpoints().values():
        template = PathTemplate.compile(endpoint.path)
        full = join_url(url, template, template.text)
        reduced.add(full[: len(full) - len(template.text)])
    return reduced.pop() if len(reduced) == 1 else url


def _unreachable(exc: TokenOpsError) -> str | None:
    """``unreachable: URL (reason)`` when ``exc`` says no connection could be made, else None."""
    if not isinstance(exc, APIConnectionError):
        return None
    text = str(exc)
    if isinstance(exc, APITimeoutError) and "ConnectTimeout" not in text:
        return None  # connected, then no answer in time: not unreachable
    request = getattr(exc, "request", None)
    url = str(request.url) if request is not None else ""
    reason = "no connection within the connect budget" if isinstance(exc, APITimeoutError) else text.split(": ", 1)[0]
    return f"unreachable: {url} ({reason.removeprefix('Connection error (').removesuffix(')')})"


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
    answered, unreachable = False, 0

    def progress(video: Video) -> None:
        nonlocal answered
        answered = True
        display.progress(video)

    def retry(error: TokenOpsError, delay: float) -> None:
        nonlocal unreachable
        unreachable += not answered and _unreachable(error) is not None
        if unreachable >= CONNECT_ATTEMPTS:
            raise error  # never reached: polling on would only wait out --timeout
        display.retry(error, delay)

    try:
        return client.videos.wait(args.video_id, timeout=args.timeout, on_progress=progress, on_retry=retry)
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
        _api_key()
        base_url = _base_url(getattr(args, "base_url", None))
        if not args.video_id.strip():
            raise _UsageError("VIDEO_ID must be a non-empty string")
        with TokenOps(base_url=base_url, http_client=http_client, clock=clock, timeout=REQUEST_TIMEOUT) as client:
            if args.action == "get":
                _print_video(client.videos.retrieve(args.video_id), args.json, out)
            else:
                _print_video(_wait(client, args, err, clock), args.json, out)
    except _UsageError as exc:
        print(f"tokenops: error: {redact(str(exc))}", file=err)
        return EXIT_USAGE
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
    elif isinstance(exc, TokenOpsError) and (unreachable := _unreachable(exc)) is not None:
        code, message = EXIT_FAILED, unreachable
    else:
        code, message = EXIT_FAILED, f"{type(exc).__name__}: {exc}"
    if debug:
        import traceback  # noqa: PLC0415

        print(redact("".join(traceback.format_exception(exc))), file=err)
    print(f"tokenops: error: {redact(message)}", file=err)
    return code


def run() -> Any:
    """Console-script entry point: a reader that went away (``| head -1``) ends it quietly with exit 0: what it
    wanted, it read."""
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
        code = EXIT_OK
    sys.exit(code)
