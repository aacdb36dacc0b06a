"""The conformance command line: test every operation of the spec against a server and write the reports.

``python scripts/conformance.py`` and the ``tokenops-conformance`` console script (through
:mod:`contract_tests._commands`, which checks the ``contract`` extra first) both run :func:`main`.

Usage::

    python scripts/conformance.py [--target URL] [--video-id ID]... [--path-id NAME=ID]... [--disposable-id ID]...
        [--fail-on CATEGORIES] [--min-checked N] [--report-dir DIR] [--baseline FILE] [--update-baseline]
        [--accept-server-errors]
        [--max-examples N] [--request-timeout S] [--lifecycle-timeout S] [--poll-interval S] [--spec FILE] [--quiet]
        [--operation OPERATION]... [--mock-fault SPEC]... [--mock-rig-lifecycle]

Default target: our mock, started by the suite on 127.0.0.1, tested fully. Against ``--target`` only requests that
change nothing are sent (GET, HEAD, OPTIONS, to operations not marked billed) unless ``--include-writes`` is given;
``--max-writes N`` caps the writes; operations left out are listed as not tested, as are the operations
``--operation`` (an operationId or ``'METHOD /path'``, repeatable) does not name. The key comes from
``TOKENOPS_API_KEY`` (the embedded mock accepts whatever key is set, and a local default when none is). Ids that exist
on a live target come from ``--video-id`` / ``--path-id`` or ``TOKENOPS_VIDEO_IDS`` (comma-separated). Reports:
conformance.json, conformance.md, conformance.html, junit.xml in ``--report-dir`` (default ``reports/``).
Known deviations: ``--baseline FILE`` (default ``conformance-baseline.json`` in the current directory); a failing
run prints the command that accepts its findings into it (the same run with ``--update-baseline``).

Exit codes: 0 pass, 1 fail (a new finding in a --fail-on category), 3 inconclusive (not enough evidence to
pass; the reasons say what to do), 130 interrupted, 2 usage or setup error (one line, no traceback).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import attrs

from contract_tests.mock import DEFAULT_API_KEY, FaultSpecError
from contract_tests.suite.accepting import ACCEPT_ANYWAY, Acceptance, accept, accept_command, acceptable, update_lines
from contract_tests.suite.baseline import DEFAULT_BASELINE, BaselineError
from contract_tests.suite.categories import Category
from contract_tests.suite.report import terminal_lines, to_json, tool_versions, write_all
from contract_tests.suite.runner import RunOptions, RunResult, run
from contract_tests.suite.spec_facts import UnknownOperationError
from contract_tests.suite.targets import Target, TargetError, embedded, remote
from contract_tests.suite.verdict import DEFAULT_FAIL_ON, DEFAULT_MIN_CHECKED, Decision, decide, parse_fail_on
from contract_tests.suite.writes import PolicyError, WritePolicy
from tokenops.redaction import redact, register_secret

__all__ = ["CONSOLE_SCRIPT", "main"]

_KEY_RE = re.compile(r"[\x21-\x7e]{1,512}")
USAGE_EXIT = 2
CONSOLE_SCRIPT = "tokenops-conformance"
INTERRUPTED_EXIT = 130
TRAFFIC_COMMANDS = ("proxy", "replay")  # as the first word: subcommands (the options-only form stays as it was)


class UsageError(Exception):
    pass


_TOOLS = ("schemathesis", "openapi-python-client", "tokenops")


def _api_key(target_given: bool) -> str:
    key = os.environ.get("TOKENOPS_API_KEY")
    if not key:
        if target_given:
            raise UsageError("set TOKENOPS_API_KEY to the key for --target")
        return DEFAULT_API_KEY
    if not _KEY_RE.fullmatch(key):
        raise UsageError("TOKENOPS_API_KEY has a bad format (whitespace, non-ASCII or over 512 characters)")
    return key


def _printer(quiet: bool) -> Callable[[str], None]:
    if quiet:
        return lambda _message: None
    return lambda message: print(f"· {message}", flush=True)


def _ids(pairs: list[str], plain: list[str], flag: str) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for value in plain:
        ids.setdefault("video_id", []).append(value)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"{flag} takes NAME=ID (a path parameter and an id), not {pair!r}")
        ids.setdefault(name, []).append(value)
    return ids


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").split("\n", 1)[0])
    add = parser.add_argument
    add("--target", help="base URL of the server under test, without /v1 (default: our mock, started here)")
    add("--video-id", action="append", default=[], dest="video_ids", help="an id that exists (repeat)")
    add("--path-id", action="append", default=[], metavar="NAME=ID", help="an id for any path parameter (repeat)")
    add("--disposable-id", action="append", default=[], metavar="[NAME=]ID", help="an id the suite may DELETE (repeat)")
    add("--fail-on", default=",".join(c.value for c in DEFAULT_FAIL_ON), help="categories that fail the run (or 'all')")
    add("--min-checked", type=int, default=DEFAULT_MIN_CHECKED, help="2xx bodies each operation needs checked to pass")
    add("--report-dir", type=Path, default=Path("reports"), help="where to write the reports")
    add(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help=f"known deviations, schemathesis' baseline format (default: {DEFAULT_BASELINE} in the current directory)",
    )
    add("--update-baseline", action="store_true", help="accept this run's findings into --baseline, then judge again")
    add(
        ACCEPT_ANYWAY,
        action="store_true",
        help="with --update-baseline: accept transport failures and an errors-everywhere server's answers too",
    )
    add("--max-examples", type=int, help="override schemathesis max-examples per phase")
    add("--request-timeout", type=float, help="seconds to wait for each response (default 10)")
    add("--lifecycle-timeout", type=float, default=120.0, help="live lifecycle deadline (s)")
    add("--poll-interval", type=float, default=2.0, help="live lifecycle: seconds between polls of one id")
    add("--spec", type=Path, help="test another OpenAPI file (default: the repo's openapi.yaml)")
    add(
        "--include-writes",
        action="store_true",
        help="--target only: also send writes (not GET/HEAD/OPTIONS, or billed); the embedded mock always gets them",
    )
    add("--max-writes", type=int, metavar="N", help="send at most N writes (requests that change or cost something)")
    add(
        "--billed",
        action="append",
        default=[],
        metavar="OPERATION",
        help="treat this operation (operationId or 'METHOD /path') as billed: a write (repeat)",
    )
    add(
        "--operation",
        action="append",
        default=[],
        dest="operations",
        metavar="OPERATION",
        help="test only this operation (operationId or 'METHOD /path'; repeat); the others are listed as not tested",
    )
    add("--quiet", action="store_true", help="no progress, only the final summary")
    add("--mock-fault", action="append", default=[], metavar="SPEC", help="embedded mock only: a fault rule (repeat)")
    add("--mock-rig-lifecycle", action="store_true", help="embedded mock only: a job whose progress goes backwards")
    return parser


def _validate(args: argparse.Namespace) -> list[Category]:
    if args.max_examples is not None and args.max_examples < 1:
        raise UsageError("--max-examples must be >= 1")
    if args.min_checked < 0:
        raise UsageError("--min-checked must be >= 0")
    if args.poll_interval <= 0 or args.lifecycle_timeout <= 0:
        raise UsageError("--poll-interval and --lifecycle-timeout must be > 0")
    if args.request_timeout is not None and args.request_timeout <= 0:
        raise UsageError("--request-timeout must be > 0")
    if args.max_writes is not None and args.max_writes < 0:
        raise UsageError("--max-writes must be >= 0")
    if args.include_writes and not args.target:
        raise UsageError("--include-writes applies to --target: the embedded mock always gets every write")
    if args.baseline.is_dir():
        raise UsageError(f"baseline {args.baseline} is a directory: --baseline takes a file")
    if not args.update_baseline and not args.baseline.exists() and args.baseline != DEFAULT_BASELINE:
        raise UsageError(f"baseline {args.baseline} does not exist (create it with --update-baseline)")
    if args.accept_server_errors and not args.update_baseline:
        raise UsageError(f"{ACCEPT_ANYWAY} goes with --update-baseline")
    if args.target and (args.mock_fault or args.mock_rig_lifecycle):
        raise UsageError("--mock-fault and --mock-rig-lifecycle apply to the embedded mock, not --target")
    if args.spec is not None and not args.spec.is_file():
        raise UsageError(f"--spec {args.spec} is not a file")
    try:
        return list(parse_fail_on(args.fail_on))
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None


def _options(args: argparse.Namespace, target: Target, api_key: str, notify: Callable[[str], None]) -> RunOptions:
    env_ids = [value for value in os.environ.get("TOKENOPS_VIDEO_IDS", "").split(",") if value.strip()]
    ids = _ids(args.path_id, [*args.video_ids, *env_ids], "--path-id")
    disposable = _ids(
        [value for value in args.disposable_id if "=" in value],
        [value for value in args.disposable_id if "=" not in value],
        "--disposable-id",
    )
    options = RunOptions(
        target=target,
        api_key=api_key,
        ids=ids,
        disposable=disposable,
        baseline=args.baseline if args.baseline.exists() else None,
        max_examples=args.max_examples,
        request_timeout=args.request_timeout,
        lifecycle_deadline=args.lifecycle_timeout,
        poll_interval=args.poll_interval,
        misbehave=args.mock_rig_lifecycle,
        on_progress=notify,
        writes=WritePolicy(
            allowed=target.embedded or args.include_writes, max_writes=args.max_writes, billed=frozenset(args.billed)
        ),
        operations=tuple(args.operations),
    )
    if args.spec is not None:
        options.spec = args.spec
    return options


@attrs.frozen
class _Invocation:
    """How the command was called: what a printed command starts with, and its arguments."""

    program: str
    argv: tuple[str, ...]


def _program(prog: str) -> str:
    """The shell words that start this command again (the console script by name when it is on PATH)."""
    called = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path(prog)
    if prog == CONSOLE_SCRIPT:
        found = shutil.which(CONSOLE_SCRIPT)
        same = found is not None and Path(found).resolve() == called.resolve()
        return CONSOLE_SCRIPT if same or not called.exists() else shlex.quote(_shown(called))
    if called.name == "conformance.py":
        return f"{shlex.quote(_shown(Path(sys.executable)))} {shlex.quote(_shown(called))}"
    return CONSOLE_SCRIPT


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when it is inside it, else absolute (symlinks kept: a venv's
    ``python`` is a link to the interpreter, and only the link has the venv's packages)."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _finish(args: argparse.Namespace, result: RunResult, fail_on: list[Category], invocation: _Invocation) -> int:
    acceptance: Acceptance | None = None
    if args.update_baseline and result.interrupted:
        print(f"baseline {args.baseline}: not updated: the run was interrupted before it saw everything")
    elif args.update_baseline:
        acceptance = accept(result, args.baseline, server_errors=args.accept_server_errors)
    decision = decide(result, fail_on=fail_on, min_checked=args.min_checked)
    tools = tool_versions(_TOOLS)
    paths = write_all(result, decision, args.report_dir, tools)
    if acceptance is not None:
        print("\n".join(update_lines(acceptance)))
    print("\n".join(terminal_lines(to_json(result, decision, tools, report_dir=str(args.report_dir)), paths)))
    print(_last_line(decision, result, args, invocation))
    return decision.exit_code


def _last_line(decision: Decision, result: RunResult, args: argparse.Namespace, invocation: _Invocation) -> str:
    if decision.verdict.value == "fail":
        head = f"{decision.failing} new finding(s) in failing categories."
        _, refused = acceptable(result)
        refused_failing = [f for f in refused if not f.known and f.category in decision.fail_on]
        if len(refused_failing) == decision.failing:
            flag = f"--update-baseline {ACCEPT_ANYWAY}"
            return (
                f"{head} The server did not answer usably (transport failures, or errors to every request): fix it "
                f"or the --target URL; these are not offered for acceptance ({flag} accepts them anyway)"
            )
        if args.update_baseline:
            return f"{head} They were not accepted (see 'not accepted' above): fix the server"
        command = accept_command(invocation.program, invocation.argv, os.environ)
        return f"{head} Fix the server, or accept them: {command} (then review and commit {args.baseline})"
    if decision.verdict.value == "inconclusive":
        return "inconclusive: not enough evidence to pass; act on the 'why' lines above and run again"
    if decision.verdict.value == "interrupted":
        return "interrupted: the reports cover what ran; run again to conclude"
    return _pass_line(result)


def _pass_line(result: RunResult) -> str:
    if result.not_tested:  # --operation, or writes not allowed: the pass is about the operations that ran
        left_out = f"{len(result.not_tested)} of {len(result.operations)} not tested: see above why"
        return f"pass: every tested operation conforms, with the evidence above ({left_out})"
    return "pass: every operation conforms, with the evidence above"


def _interruptible() -> None:
    """Ctrl-C means "stop and write the reports", even when the parent started us with SIGINT ignored (a
    background job of a non-interactive shell, some CI runners)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: list[str] | None = None, *, prog: str = "conformance") -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Args:
        argv: the arguments (default ``sys.argv[1:]``); ``proxy ...`` and ``replay ...`` as the first words run the
            conformance of real traffic (``contract_tests/suite/traffic/``).
        prog: the program name usage messages show; ``tokenops-conformance`` for the console script.

    Returns:
        0 pass, 1 fail, 2 usage or setup error, 3 inconclusive, 130 interrupted.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in TRAFFIC_COMMANDS:  # conformance from real traffic: contract_tests/suite/traffic/
        from contract_tests.suite.traffic.commands import main as traffic  # noqa: PLC0415 - only for these commands

        return traffic(arguments, prog=prog)
    args = _parser(prog).parse_args(arguments)
    _interruptible()
    notify = _printer(args.quiet)
    target: Target | None = None
    try:
        fail_on = _validate(args)
        api_key = _api_key(args.target is not None)
        secret = register_secret(api_key)
        target = remote(args.target) if args.target else embedded(api_key, faults=args.mock_fault)
        result = run(_options(args, target, api_key, notify))
        code = _finish(args, result, fail_on, _Invocation(_program(prog), tuple(arguments)))
        del secret
        return code
    except (UsageError, TargetError, FaultSpecError, BaselineError, PolicyError, UnknownOperationError) as exc:
        print(redact(f"conformance: error: {exc}"), file=sys.stderr)
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("conformance: interrupted before the run started", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as exc:  # schemathesis config/spec errors and the like: one line, never a traceback
        print(redact(f"conformance: error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"), file=sys.stderr)
        return USAGE_EXIT
    finally:
        if target is not None:
            target.close(wait=False)  # the reports are written: the server stops in the background
