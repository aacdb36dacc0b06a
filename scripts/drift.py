"""One drift check for CI: upstream pages → openapi.yaml → generated/ (+ spec.lock.json) → version and
CHANGELOG.md, one summary.

Usage: ``python scripts/drift.py``. Exit 0 no drift, 1 drift, 2 setup error; the last line says what to run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/drift.py`: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain import generate
from scripts import regenerate, spec_sync


def _changelog_check(args: list[str]) -> int:
    root = Path(args[args.index("--root") + 1]) if "--root" in args else ROOT
    problems = generate.check_changelog(root)
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


ROOT = Path(__file__).resolve().parents[1]
LAYERS: tuple[tuple[str, Callable[[list[str]], int], list[str], str], ...] = (
    ("upstream pages -> openapi.yaml", spec_sync.main, ["--check"], "python scripts/spec_sync.py"),
    ("openapi.yaml -> generated/ + spec.lock.json", regenerate.main, ["--check"], "make regenerate"),
    (
        "spec + generated/ -> version + CHANGELOG.md",
        _changelog_check,
        [],
        "make regenerate (writes the missing entry), or restore overlays/tokenops/_version.py",
    ),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drift", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, help="repository root (default: this checkout)")
    options = parser.parse_args(argv)
    root_args = ["--root", str(options.root)] if options.root else []
    worst, fixes, summary = 0, [], []
    for name, check, args, fix in LAYERS:
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = check([*args, *root_args])
        verdict = {0: "in sync", 1: "DRIFT", 2: "ERROR"}[code]
        summary.append(f"  {name:46} {verdict}")
        if code:
            print(output.getvalue().rstrip())
            fixes.append(fix)
        worst = max(worst, code)
    print("drift:")
    print("\n".join(summary))
    if fixes:
        print(f"To fix, run: {' && '.join(fixes)}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
