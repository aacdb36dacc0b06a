"""Regenerate ``generated/tokenops_client`` from ``openapi.yaml``: the only writer of ``generated/``.

Usage::

    python scripts/regenerate.py            # wipe generated/, regenerate, rewrite spec.lock.json
    python scripts/regenerate.py --check    # regenerate into a temp dir and compare byte-for-byte

The work is done by :mod:`contract_tests.toolchain.generate`. Exit codes: 0 up to date / written, 1 drift
found by ``--check``, 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/regenerate.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain import lock
from contract_tests.toolchain.generate import ROOT, SetupError, run
from contract_tests.toolchain.spec import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="regenerate", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh generation with the committed tree")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        return run(args.root.resolve(), check=args.check)
    except (SpecError, SetupError, lock.LockError) as exc:
        print(f"regenerate: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
