"""Classify every change between two OpenAPI documents for users of this client.

Usage::

    python scripts/spec_diff.py OLD NEW [--format text|markdown|json|junit|github] [--all-sites]
                                        [--fail-on breaking|warning|info] [--no-surface] [--cache-dir DIR]
                                        [--strict] [--list-rules]
    python scripts/spec_diff.py openapi.yaml --page upstream/new-page.md [...]

Each change is reported once, where it is made (a component schema, or the operation for an inline one), with a
stable rule id (``contract_tests/toolchain/rules/``), a severity, an RFC 6901 location (in NEW; in OLD for what was
removed), that location in API terms and the operations it reaches (``--all-sites`` lists every place it shows;
the JSON always does). Output is worst first, totals first, one line per change. ``--page`` diffs OLD against
what ``scripts/spec_sync.py`` would make of the recorded pages plus the given ones (nothing is written): what
taking a new vendor page changes. Documents that YAML or JSON can load are diffed even when they are not valid
OpenAPI; what was tolerated is printed as notes (``--strict`` refuses them instead, exit 2). Unless
``--no-surface``, the clients of OLD and NEW are generated with the pinned openapi-python-client and this repository's
config and templates (kept in a content-addressed cache: ``--cache-dir``, else ``$TOKENOPS_CACHE_DIR``, else
``$XDG_CACHE_HOME/tokenops/clients`` or ``~/.cache/tokenops/clients``) and their public import surfaces compared: what
``from tokenops_client... import ...`` or attribute access would break, for any two specs (what the generator
skips becomes a note). When OLD is this repository's ``openapi.yaml``, every name the ``tokenops`` overlay imports
must survive too.

Exit codes: 1 a change at or above ``--fail-on`` (default breaking), 0 none, 2 unreadable/invalid input.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/spec_diff.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain.diff import FORMATS, compare, fails, render
from contract_tests.toolchain.rules import RULES, SEVERITIES
from contract_tests.toolchain.surface import SURFACE_RULES
from contract_tests.toolchain.sync import candidate_with_pages

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec_diff", description=__doc__.split("\n", 1)[0])
    parser.add_argument("old", type=Path, nargs="?")
    parser.add_argument("new", type=Path, nargs="?")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="PAGE",
        help="diff OLD against the spec spec_sync would build with this page (repeatable) instead of NEW",
    )
    parser.add_argument("--all-sites", action="store_true", help="list every place in the API each change shows")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--fail-on", choices=SEVERITIES, default="breaking")
    parser.add_argument("--no-surface", action="store_true", help="skip the generated import-surface diff")
    parser.add_argument("--cache-dir", type=Path, help="where generated clients are cached (see above)")
    parser.add_argument("--strict", action="store_true", help="refuse documents that are not valid OpenAPI")
    parser.add_argument("--list-rules", action="store_true", help="print every rule id, its severity and why")
    args = parser.parse_args(argv)
    if args.list_rules:
        print(
            "\n".join(
                f"{severity:8} {rule:45} {meaning}" for rule, (severity, meaning) in {**RULES, **SURFACE_RULES}.items()
            )
        )
        return 0
    if args.old is None or (args.new is None) == (not args.page):
        parser.print_usage(sys.stderr)
        print("spec_diff: error: OLD and either NEW or --page are required", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="spec-diff-pages-") as tmp:
            new = args.new
            if args.page:
                new = Path(tmp) / "openapi.yaml"
                new.write_text(candidate_with_pages(ROOT, [str(page) for page in args.page]), encoding="utf-8")
            report = compare(args.old, new, surface=not args.no_surface, strict=args.strict, cache=args.cache_dir)
    except Exception as exc:
        print(f"spec_diff: error: {' '.join(str(exc).split())[:400]}", file=sys.stderr)
        return 2
    shown = render(report, args.format, args.fail_on, str(args.new or args.page[0]), all_sites=args.all_sites)
    try:
        print(shown)
        sys.stdout.flush()
    except BrokenPipeError:  # `spec_diff ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if fails(report, args.fail_on) else 0


if __name__ == "__main__":
    sys.exit(main())
