"""Run the contract suite against a server and write conformance reports (see ``contract_tests.suite.cli``).

Usage: ``python scripts/conformance.py --help``. The same command is installed as ``tokenops-conformance``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/conformance.py`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.suite.cli import main

if __name__ == "__main__":
    sys.exit(main())
