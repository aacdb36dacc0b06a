"""Classify every change between two OpenAPI documents for users of this client.

Usage::

    python scripts/spec_diff.py OLD NEW [--format text|markdown|json|junit|github]
                                        [--fail-on breaking|warning|info] [--no-surface] [--strict] [--list-rules]

Each change has a stable rule id (``contract_tests/toolchain/rules/``), a severity, a JSON location and that location
in API terms. Documents that YAML or JSON can load are diffed even when they are not valid OpenAPI; what was
tolerated is printed as notes (``--strict`` refuses them instead, exit 2). Unless
``--no-surface``, NEW is also regenerated into a temporary directory and the public import surface of
``tokenops_client`` is compared with the committed ``generated/`` (plus every name the ``tokenops``
overlay imports from it): what ``from tokenops_client... import ...`` or attribute access would break.

Exit codes: 1 a change at or above ``--fail-on`` (default breaking), 0 none, 2 unreadable/invalid input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/spec_diff.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain.diff import FORMATS, compare, fails, render
from contract_tests.toolchain.rules import RULES, SEVERITIES
from contract_tests.toolchain.surface import SURFACE_RULES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec_diff", description=__doc__.split("\n", 1)[0])
    parser.add_argument("old", type=Path, nargs="?")
    parser.add_argument("new", type=Path, nargs="?")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--fail-on", choices=SEVERITIES, default="breaking")
    parser.add_argument("--no-surface", action="store_true", help="skip the generated import-surface diff")
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
    if args.old is None or args.new is None:
        parser.print_usage(sys.stderr)
        print("spec_diff: error: OLD and NEW are required", file=sys.stderr)
        return 2
    try:
        report = compare(args.old, args.new, surface=not args.no_surface, strict=args.strict)
    except Exception as exc:
        print(f"spec_diff: error: {' '.join(str(exc).split())[:400]}", file=sys.stderr)
        return 2
    print(render(report, args.format, args.fail_on, str(args.new)))
    return 1 if fails(report, args.fail_on) else 0


if __name__ == "__main__":
    sys.exit(main())
