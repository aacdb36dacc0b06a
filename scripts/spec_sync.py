"""Build ``openapi.yaml`` from the vendor's docs pages (one ````yaml METHOD PATH block per page).

Usage::

    python scripts/spec_sync.py [SOURCE ...] [--check] [--root DIR]

A SOURCE is a docs page (``.md``), a plain OpenAPI file (``.yaml``/``.yml``/``.json``) or an http(s) URL of
either. Without SOURCEs, the pages recorded in ``spec.lock.json`` (``upstream/``) are used. One source is
copied byte-for-byte; several are merged (:mod:`contract_tests.toolchain.sync`). ``openapi.yaml`` and the
``sources``/``spec`` sections of ``spec.lock.json`` are written; ``--check`` compares instead and prints
the classified diff.

Exit codes: 0 in sync / written, 1 drift (``--check``), 2 bad input (one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/spec_sync.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain import lock
from contract_tests.toolchain.sync import ROOT, SyncError, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec_sync", description=__doc__.split("\n", 1)[0])
    parser.add_argument("sources", nargs="*", help="docs pages, OpenAPI files or URLs (default: from spec.lock.json)")
    parser.add_argument("--check", action="store_true", help="compare without writing; exit 1 on drift")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        return run(args.root.resolve(), args.sources, check=args.check)
    except (SyncError, lock.LockError) as exc:
        print(f"spec_sync: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
