"""The conformance command line: run the contract suite and write conformance reports.

``python scripts/conformance.py`` and the ``tokenops-conformance`` console script both run :func:`main`.

Usage::

    python scripts/conformance.py [--target URL] [--video-id ID]... [--report-dir DIR] [--baseline FILE]
                                  [--update-baseline] [--max-examples N] [--lifecycle-timeout S] [--quiet]

Default target: the embedded mock, in-process. The key comes from ``TOKENOPS_API_KEY`` (the embedded mock
accepts whatever key is set, and a local default when none is). Known video ids for a live target come
from ``--video-id`` or ``TOKENOPS_VIDEO_IDS`` (comma-separated). Reports: junit.xml, conformance.json,
conformance.md, conformance.html in ``--report-dir`` (default ``reports/``).

Exit codes: 0 no new findings, 1 new findings, 2 usage or setup error (one line, no traceback).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from importlib import metadata
from pathlib import Path

from contract_tests.categories import Category
from contract_tests.mock import DEFAULT_API_KEY, FaultSpecError, parse_fault_spec
from contract_tests.report import write_all
from contract_tests.runner import RunOptions, RunResult, run
from contract_tests.targets import Target, TargetError, embedded, remote

DEFAULT_BASELINE = Path(__file__).resolve().parent / "baseline.json"
_KEY_RE = re.compile(r"[\x21-\x7e]{1,512}")


class UsageError(Exception):
    pass


def _tools() -> dict[str, str]:
    """Versions for the report; the generator is only present in a development checkout (the `test` extra)."""
    versions = {}
    for name in ("schemathesis", "openapi-python-client", "tokenops"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _api_key(target_given: bool) -> str:
    key = os.environ.get("TOKENOPS_API_KEY")
    if not key:
        if target_given:
            raise UsageError("set TOKENOPS_API_KEY to the key for --target")
        return DEFAULT_API_KEY
    if not _KEY_RE.fullmatch(key):
        raise UsageError("TOKENOPS_API_KEY has a bad format (whitespace, non-ASCII or over 512 characters)")
    return key


def _printer(quiet: bool) -> tuple[Callable[[str], None], object]:
    """(progress callback, console) — rich on a terminal, plain lines otherwise."""
    if quiet:
        return (lambda _message: None), None
    if sys.stdout.isatty():
        from rich.console import Console  # noqa: PLC0415

        console = Console()
        return (lambda message: console.print(f"[dim]·[/dim] {message}")), console
    return (lambda message: print(f"· {message}", flush=True)), None


def _summary(result: RunResult, paths: dict[str, Path]) -> list[str]:
    lines = [f"{result.target}: {result.responses} responses checked in {result.duration:.1f} s"]
    for category in Category:
        new, known = result.count(category, known=False), result.count(category, known=True)
        lines.append(f"  {category.label:24} {new:3} new  {known:3} known")
    for finding in result.new_findings[:10]:
        detail = (finding.message.splitlines() or [""])[0][:90]
        if "/properties/" in finding.key:  # schemathesis' schema path: say which property
            detail += f" (at {finding.key.rsplit('/properties/', 1)[1].rsplit('/', 1)[0]})"
        lines.append(
            f"  NEW {finding.category.label}: {finding.title}: {detail} [{finding.check}] ×{finding.occurrences}"
        )
    if result.unfinished_jobs:
        lines.append(f"  jobs that did not finish within the lifecycle deadline: {', '.join(result.unfinished_jobs)}")
    for error in result.errors:
        lines.append(f"  error: {error}")
    lines.append("reports: " + ", ".join(str(path) for path in paths.values()))
    return lines


def _update_baseline(result: RunResult, path: Path) -> int:
    from schemathesis.baseline import Baseline, BaselineEntry  # noqa: PLC0415

    stamp = date.today().isoformat()
    existing = Baseline.load(path) if path.exists() else Baseline(entries=[])
    by_identity = {entry.identity: entry for entry in existing.entries}
    for finding in result.findings:
        entry = by_identity.get(finding.identity)
        if entry is None:
            operation, check, failure, signature = finding.identity
            entry = BaselineEntry(operation, check, failure, signature, first_seen=stamp)
            by_identity[finding.identity] = entry
        entry.last_seen = stamp
        entry.extra.update(category=finding.category.value, title=finding.title)
    Baseline(entries=list(by_identity.values())).save(path)
    return len(by_identity) - len(existing.entries)


def main(argv: list[str] | None = None, *, prog: str = "conformance") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n", 1)[0])
    parser.add_argument("--target", help="base URL of the server under test (default: the embedded mock)")
    parser.add_argument("--video-id", action="append", default=[], dest="video_ids", help="a known job id (repeat)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), help="where to write the reports")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="accepted deviations (JSON)")
    parser.add_argument("--update-baseline", action="store_true", help="accept every current finding")
    parser.add_argument("--max-examples", type=int, help="override schemathesis max-examples per phase")
    parser.add_argument("--lifecycle-timeout", type=float, default=120.0, help="live lifecycle deadline (s)")
    parser.add_argument("--quiet", action="store_true", help="no progress, only the final summary")
    parser.add_argument(
        "--mock-fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="embedded mock only: a fault rule, e.g. reality or server_error,every=5 (repeat)",
    )
    parser.add_argument(
        "--mock-rig-lifecycle", action="store_true", help="embedded mock only: add a job whose progress goes backwards"
    )
    args = parser.parse_args(argv)
    notify, _console = _printer(args.quiet)
    target: Target | None = None
    try:
        api_key = _api_key(args.target is not None)
        video_ids = [*args.video_ids, *filter(None, os.environ.get("TOKENOPS_VIDEO_IDS", "").split(","))]
        if args.max_examples is not None and args.max_examples < 1:
            raise UsageError("--max-examples must be >= 1")
        if not args.update_baseline and not args.baseline.exists() and args.baseline != DEFAULT_BASELINE:
            raise UsageError(f"baseline file {args.baseline} does not exist (use --update-baseline to create it)")
        if args.target and (args.mock_fault or args.mock_rig_lifecycle):
            raise UsageError("--mock-fault and --mock-rig-lifecycle apply to the embedded mock, not --target")
        faults = [parse_fault_spec(spec) for spec in args.mock_fault]
        target = remote(args.target) if args.target else embedded(api_key, faults=faults)
        if not target.control and not video_ids:
            notify("no --video-id given for a live target: generated ids only, lifecycle test has nothing to follow")
        result = run(
            RunOptions(
                target=target,
                api_key=api_key,
                video_ids=video_ids,
                baseline=args.baseline if args.baseline.exists() else None,
                max_examples=args.max_examples,
                lifecycle_deadline=args.lifecycle_timeout,
                misbehave=args.mock_rig_lifecycle,
                on_progress=notify,
            )
        )
    except (UsageError, TargetError, FaultSpecError) as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # schemathesis config/spec errors and the like: one line, never a traceback
        print(f"conformance: error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 2
    finally:
        if target is not None:
            target.close()
    paths = write_all(result, args.report_dir, _tools())
    if args.update_baseline:
        added = _update_baseline(result, args.baseline)
        print(f"baseline {args.baseline}: {added} entr{'y' if added == 1 else 'ies'} added")
        return 0
    print("\n".join(_summary(result, paths)))
    if result.new_findings:
        print(
            f"{len(result.new_findings)} new finding(s). Fix the server, or accept them: "
            "python scripts/conformance.py --update-baseline (then review and commit the baseline)"
        )
        return 1
    return 0


def run_cli() -> None:
    """Console-script entry point (``tokenops-conformance``)."""
    sys.exit(main(prog="tokenops-conformance"))
