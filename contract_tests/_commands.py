"""The console scripts of the tools (``tokenops-mock``, ``tokenops-conformance``): each checks its extra first.

Every console script is installed with the package, whatever extras were chosen; without its extra, importing the
tool would end in ``ModuleNotFoundError: No module named 'schemathesis'`` (even for ``--help``). So each entry point
here imports nothing of its tool until the extra is known to be installed: from the package's metadata (every
distribution the extra requires, its nested extras included), else, when the package is not installed (run from a
checkout), from the import itself. Without it: one line, ``tokenops-conformance needs the contract extra: pip install
'tokenops[contract]' (missing: schemathesis)``, and exit 2.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from importlib import metadata

__all__ = ["EXTRA_MISSING_EXIT", "conformance", "missing", "mock"]

DISTRIBUTION = "tokenops"
EXTRA_MISSING_EXIT = 2
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
# Top-level modules of this distribution: a missing one is a broken install, not a missing extra.
_OURS = frozenset({"tokenops", "tokenops_client", "contract_tests"})


def _requirements(extra: str, requires: list[str], seen: set[str]) -> list[str]:
    """Distribution names ``extra`` needs (through ``tokenops[other]`` too); markers other than the extra are
    ignored (none is used)."""
    names: list[str] = []
    seen.add(extra)
    for line in requires:
        requirement, _, marker = line.partition(";")
        wanted = _EXTRA.search(marker)
        if wanted is None or wanted.group(1) != extra or (found := _NAME.match(requirement)) is None:
            continue
        name, nested = found.group(1), found.group(2)
        if name.lower() == DISTRIBUTION:
            for other in (part.strip() for part in (nested or "").split(",")):
                if other and other not in seen:
                    names += _requirements(other, requires, seen)
        else:
            names.append(name)
    return names


def missing(extra: str) -> list[str] | None:
    """The distributions ``extra`` needs that are not installed; None when the package is not installed (there is no
    metadata to read: a checkout on ``PYTHONPATH``)."""
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return None
    absent: list[str] = []
    for name in dict.fromkeys(_requirements(extra, requires, set())):
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return absent


def _refuse(command: str, extra: str, absent: list[str]) -> int:
    sys.stderr.write(
        f"{command} needs the {extra} extra: pip install '{DISTRIBUTION}[{extra}]' (missing: {', '.join(absent)})\n"
    )
    return EXTRA_MISSING_EXIT


def _run(command: str, extra: str, load: Callable[[], Callable[[], int]]) -> int:
    """Check ``extra``, then load the tool's ``main`` and run it; the exit code."""
    absent = missing(extra)
    if absent:
        return _refuse(command, extra, absent)
    try:
        main = load()
    except ModuleNotFoundError as exc:  # no metadata to check (a checkout), or an install that lost a module
        top = (exc.name or "").split(".")[0]
        if not top or top in _OURS:
            raise
        return _refuse(command, extra, [top])
    return main()


def _mock() -> Callable[[], int]:
    from contract_tests.mock.__main__ import main  # noqa: PLC0415 - only once the extra is known to be there

    return lambda: main(prog="tokenops-mock")


def _conformance() -> Callable[[], int]:
    from contract_tests.suite.cli import main  # noqa: PLC0415 - only once the extra is known to be there

    return lambda: main(prog="tokenops-conformance")


def mock() -> None:
    """Console-script entry point: ``tokenops-mock`` (the ``mock`` extra)."""
    sys.exit(_run("tokenops-mock", "mock", _mock))


def conformance() -> None:
    """Console-script entry point: ``tokenops-conformance`` (the ``contract`` extra)."""
    sys.exit(_run("tokenops-conformance", "contract", _conformance))
