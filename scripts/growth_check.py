"""Proof of growth: new vendor pages are absorbed with no hand-written file changed.

Usage::

    python scripts/growth_check.py [--pages DIR]... [--quick] [--max-examples N] [--keep DIR]

In a temporary copy of this checkout: copy the pages of each DIR (default ``tests/fixtures/upstream/videos-api`` and
``tests/fixtures/upstream/catalog``) into ``upstream/``, ``spec_sync`` them with the tracked page, ``regenerate``;
then check that only tool-written files changed (``openapi.yaml``, ``spec.lock.json``, ``generated/``,
``CHANGELOG.md``, the version file), and that lint, types, layering and ``make test``'s test tiers (unit,
integration) pass there, that a conformance run against the embedded mock covers every operation with no failing
finding, and that every operation is callable through the client's low-level path against the mock over TCP.
``--quick`` skips lint, types and the test suite (the pytest test does that).
``--max-examples N`` makes the conformance run small (N schemathesis examples per phase, and one checked 2xx body
per operation is enough evidence): the proof that every operation is covered, not the suite's depth.

Exit codes: 0 every step passed, 1 a step failed (named, with its output), 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The vendor's video pages and its wider catalog (OpenAI-compatible and Gemini-native: streaming, API keys in the
# query or a header, multipart uploads, documented 4xx, token pagination).
DEFAULT_PAGES = (
    ROOT / "tests" / "fixtures" / "upstream" / "videos-api",
    ROOT / "tests" / "fixtures" / "upstream" / "catalog",
)
BIN = Path(sys.executable).parent
# Files the tools write when a page is taken; any other change means a hand-written file had to change.
TOOL_WRITTEN = ("openapi.yaml", "spec.lock.json", "CHANGELOG.md", "overlays/tokenops/_version.py")
TOOL_WRITTEN_DIRS = ("generated/", "upstream/")
# What .gitignore lists: tool caches and outputs (make mutation's .mutation/ alone is 13 MB of copies).
_SKIP_PARTS = {
    ".git",
    ".venv",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".import_linter_cache",
    ".schemathesis",
    ".mutation",
    "site",
}
_SKIP_TOP = {"reports", "build", "dist"}
_FENCE = re.compile(r"^````yaml", re.MULTILINE)  # the vendor's fence, at the start of a line


def _skipped_top(name: str) -> bool:
    """A top-level entry that is no part of the checkout (``.coverage`` and pytest-cov's ``.coverage.*`` too)."""
    return name in _SKIP_TOP or name.startswith(".coverage")


class StepFailed(Exception):
    """A step of the check failed; the message has its output."""


def checkout_files(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file of the checkout at ``root`` (caches, venvs and reports left out).

    Args:
        root: the checkout (or a copy of it).

    Returns:
        A snapshot to compare with :func:`hand_written_changes`.
    """
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if _SKIP_PARTS.intersection(rel.parts) or _skipped_top(rel.parts[0]) or not path.is_file():
            continue
        if path.suffix == ".pyc" or rel.parts[0].endswith(".egg-info"):
            continue
        found[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def copy_checkout(dest: Path) -> None:
    """Copy this checkout to ``dest`` (a new folder), leaving out git, venvs, caches, reports and builds."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == ROOT
        return {n for n in names if n in _SKIP_PARTS or (top and _skipped_top(n)) or n.endswith(".egg-info")}

    shutil.copytree(ROOT, dest, ignore=ignore)


def share_venv(copy: Path) -> None:
    """Give the copy a ``.venv`` that is this interpreter's venv, so commands printed as ``.venv/bin/...`` or
    ``make ...`` (the README's runnable blocks) run there without a second install.

    Every entry of the venv is symlinked except the Makefile's install stamps, which are the copy's own files,
    newer than its ``pyproject.toml``: ``make`` in the copy never reinstalls into this venv (the copy's packages
    come first on ``PYTHONPATH``, see :func:`_env`). Nothing happens outside a venv.
    """
    venv = Path(sys.prefix)
    if sys.prefix == sys.base_prefix or not (venv / "pyvenv.cfg").is_file():
        return
    target = copy / ".venv"
    target.mkdir()
    for entry in venv.iterdir():
        if not entry.name.startswith(".installed"):
            (target / entry.name).symlink_to(entry)
    for stamp in (".installed", ".installed-dev"):
        if (venv / stamp).exists():
            (target / stamp).touch()


def _env(copy: Path) -> dict[str, str]:
    paths = [str(copy), str(copy / "generated"), str(copy / "overlays")]
    env = {key: value for key, value in os.environ.items() if key not in ("TOKENOPS_API_KEY", "TOKENOPS_BASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def _run(copy: Path, command: list[str], timeout: float = 1800) -> str:
    result = subprocess.run(
        command, cwd=copy, env=_env(copy), capture_output=True, text=True, check=False, timeout=timeout
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise StepFailed(f"`{' '.join(command)}` exited {result.returncode}:\n{tail}")
    return output


def vendor_pages(folders: Sequence[Path]) -> list[Path]:
    """The vendor pages in ``folders``: ``*.md`` files that embed an OpenAPI document (a README does not)."""
    found = [page for folder in folders for page in sorted(folder.glob("*.md"))]
    return [page for page in found if _FENCE.search(page.read_text(encoding="utf-8"))]


def take_pages(copy: Path, pages: Sequence[Path]) -> list[str]:
    """Copy the pages into ``upstream/``, sync them with the tracked ones and regenerate; return the page names."""
    found = vendor_pages(pages)
    if not found:
        raise StepFailed(f"no vendor pages (*.md with a ````yaml block) in {', '.join(map(str, pages))}")
    names = sorted(page.name for page in found)
    if len(set(names)) != len(names):
        raise StepFailed(
            "two pages have the same file name: " + ", ".join(sorted({n for n in names if names.count(n) > 1}))
        )
    for page in found:
        shutil.copyfile(page, copy / "upstream" / page.name)
    tracked = sorted(p.relative_to(copy).as_posix() for p in (copy / "upstream").glob("*.md"))
    _run(copy, [sys.executable, "scripts/spec_sync.py", *tracked])
    _run(copy, [sys.executable, "scripts/regenerate.py"])
    return names


def hand_written_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files that changed, appeared or disappeared other than the tool-written ones.

    Args:
        before: :func:`checkout_files` of the copy before the pages were taken.
        after: :func:`checkout_files` of the copy after.

    Returns:
        The relative paths, sorted; empty when only the tools wrote.
    """
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    return sorted(n for n in changed if n not in TOOL_WRITTEN and not n.startswith(TOOL_WRITTEN_DIRS))


def _step(name: str, action: Callable[[], str | None], results: list[tuple[str, bool, float, str]]) -> bool:
    started = time.monotonic()
    try:
        detail = action() or ""
        ok = True
    except StepFailed as exc:
        detail, ok = str(exc), False
    results.append((name, ok, time.monotonic() - started, detail))
    mark = "ok  " if ok else "FAIL"
    print(f"  {mark} {name} ({time.monotonic() - started:.1f} s){': ' + detail if detail and ok else ''}", flush=True)
    if not ok:
        print("\n".join(f"       {line}" for line in detail.splitlines()), flush=True)
    return ok


def run(pages: Sequence[Path], *, quick: bool, keep: Path | None, max_examples: int | None = None) -> int:
    """Build the copy, take the pages and run every step; print one line per step.

    Args:
        pages: folders of the new vendor pages (``*.md`` with a ````yaml block).
        quick: skip lint, types and the test suite.
        keep: build the copy here and keep it (replaced if it exists); default a temporary folder.
        max_examples: a small conformance run (see the module docstring); default the suite's own settings.

    Returns:
        The exit code: 0 every step passed, 1 a step failed.
    """
    with tempfile.TemporaryDirectory(prefix="tokenops-growth-") as tmp:
        copy = keep if keep is not None else Path(tmp) / "repo"
        if keep is not None and keep.exists():
            shutil.rmtree(keep)
        copy_checkout(copy)
        before = checkout_files(copy)
        results: list[tuple[str, bool, float, str]] = []
        print(f"growth check in {copy} with the pages of {', '.join(map(str, pages))}:", flush=True)
        if not _step("spec_sync + regenerate", lambda: ", ".join(take_pages(copy, pages)), results):
            return 1
        share_venv(copy)  # after the version bump in pyproject.toml: the stamps must be newer

        def unchanged() -> str:
            problems = hand_written_changes(before, checkout_files(copy))
            if problems:
                raise StepFailed("hand-written files had to change: " + ", ".join(problems))
            return "only openapi.yaml, spec.lock.json, generated/, CHANGELOG.md and the version changed"

        steps: list[tuple[str, Callable[[], str | None]]] = [("no hand-written file changed", unchanged)]
        if not quick:
            steps += [
                ("ruff check", lambda: _run(copy, [str(BIN / "ruff"), "check", "."]) and None),
                ("ruff format --check", lambda: _run(copy, [str(BIN / "ruff"), "format", "--check", "."]) and None),
                ("mypy --strict", lambda: _run(copy, [sys.executable, "-m", "mypy"]).splitlines()[-1]),
                ("import layering", lambda: _run(copy, [str(BIN / "lint-imports"), "--no-cache"]).splitlines()[-1]),
                ("drift", lambda: _run(copy, [sys.executable, "scripts/drift.py"]).splitlines()[-1]),
                (
                    "tests",
                    lambda: _run(
                        copy,  # make test's tiers (unit + integration), less the tests of the committed spec
                        [*PYTEST, "-m", "not release and not committed_spec"],
                    ).splitlines()[-1],
                ),
            ]
        steps += [
            ("conformance: every operation, no failing finding", lambda: _conformance(copy, max_examples)),
            (
                "every operation through the client over TCP",
                lambda: _run(copy, [sys.executable, "-m", "tests.growth_calls"]).splitlines()[-1],
            ),
        ]
        for name, action in steps:
            _step(name, action, results)
        failed = [name for name, ok, _, _ in results if not ok]
        print(f"growth check: {len(results) - len(failed)} of {len(results)} steps passed")
        if failed:
            print(f"failed: {', '.join(failed)}. Rerun with --keep DIR to inspect the copy.")
            return 1
        return 0


PYTEST = [sys.executable, "-m", "pytest", "-q", "-x", "-n", "auto"]  # pytest's cache shares generator outputs


def _conformance(copy: Path, max_examples: int | None) -> str:
    import json  # noqa: PLC0415

    reports = copy / "reports"
    small = [] if max_examples is None else ["--max-examples", str(max_examples), "--min-checked", "1"]
    _run(copy, [sys.executable, "scripts/conformance.py", "--quiet", "--report-dir", str(reports), *small])
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    operations = sorted({row["operation"] for row in report["matrix"]})
    return f"{len(operations)} operations: {', '.join(operations)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="growth_check", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--pages",
        type=Path,
        action="append",
        help="a folder of new vendor pages (*.md); repeat for several (default: the video pages and the catalog)",
    )
    parser.add_argument("--quick", action="store_true", help="skip lint, types and the test suite")
    parser.add_argument("--keep", type=Path, help="build the copy in DIR and keep it (replaced if it exists)")
    parser.add_argument(
        "--max-examples", type=int, metavar="N", help="small conformance run: N examples a phase, 1 body an operation"
    )
    args = parser.parse_args(argv)
    if args.max_examples is not None and args.max_examples < 1:
        parser.error("--max-examples must be >= 1")
    folders = list(args.pages or DEFAULT_PAGES)
    for folder in folders:
        if not folder.is_dir():
            print(f"growth_check: error: {folder} is not a folder of pages", file=sys.stderr)
            return 2
    keep = args.keep.resolve() if args.keep else None
    return run([folder.resolve() for folder in folders], quick=args.quick, keep=keep, max_examples=args.max_examples)


if __name__ == "__main__":
    sys.exit(main())
