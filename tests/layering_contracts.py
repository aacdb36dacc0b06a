"""``make layering``'s second half: each import-linter contract in pyproject.toml really rejects the imports it
forbids and allows the ones the architecture needs (a contract that cannot fail proves nothing).

``lint-imports`` runs on small trees of empty packages, one tree per group (every forbidden or every permitted import
of a contract at once): a forbidden import must get its own "X is not allowed to import Y" section naming the direct
import (another case's violation cannot stand in for it); a permitted group must pass as a whole, so each of its
imports does alone. The four runs go in parallel.

Usage: ``python -m tests.layering_contracts``. Exit 0 when every contract holds its line, 1 with each case that did not.
To cover a new contract, add its forbidden and permitted imports to :data:`GROUPS`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tokenops_client", "tokenops", "contract_tests", "scripts")
# The modules of the synthetic tree: enough of each product of contract_tests to import from and into.
PRODUCT_MODULES = (
    "contract_tests.suite",
    "contract_tests.suite.runner",
    "contract_tests.suite.cli",
    "contract_tests.suite.report",
    "contract_tests.mock",
    "contract_tests.mock.app",
    "contract_tests.mock.state",
    "contract_tests.toolchain",
    "tokenops._client",
    "tokenops._videos",
)
LAYERS_REJECTED = [
    ("tokenops_client", "tokenops"),
    ("tokenops_client", "contract_tests"),
    ("tokenops", "contract_tests"),
    ("tokenops", "scripts"),
    ("contract_tests", "scripts"),
]
LAYERS_ALLOWED = [("tokenops", "tokenops_client"), ("scripts", "contract_tests"), ("scripts", "tokenops")]
SUITE_REJECTED = [
    ("contract_tests.mock", "contract_tests.suite.runner"),
    ("contract_tests.mock", "contract_tests.suite.report"),
    ("contract_tests.mock", "contract_tests.toolchain"),
    ("contract_tests.toolchain", "contract_tests.mock"),
    ("contract_tests.toolchain", "contract_tests.suite.cli"),
]
SUITE_ALLOWED = [
    ("contract_tests.suite.runner", "contract_tests.mock"),
    ("contract_tests.suite.cli", "contract_tests.suite.report"),
]
# Each a cycle between siblings (parent, first, second); the back edge goes behind `if TYPE_CHECKING:` (grimp counts
# those imports too, so a cycle hidden from the interpreter is still one).
CYCLES_REJECTED = [
    ("tokenops", "_client", "_videos"),
    ("contract_tests.suite", "runner", "cli"),
    ("contract_tests.mock", "app", "state"),
]
CYCLES_ALLOWED = [(f"{parent}.{a}", f"{parent}.{b}") for parent, a, b in CYCLES_REJECTED]
BACK_EDGES = frozenset((f"{parent}.{b}", f"{parent}.{a}") for parent, a, b in CYCLES_REJECTED)
# group: (imports, which contracts: "layers" = the top-level layers, "suite" = the contracts with containers,
# "cycles" = the acyclic_siblings contract; rejected?)
GROUPS: dict[str, tuple[list[tuple[str, str]], str, bool]] = {
    "layers-rejected": (LAYERS_REJECTED, "layers", True),
    "layers-allowed": (LAYERS_ALLOWED, "layers", False),
    "suite-rejected": (SUITE_REJECTED, "suite", True),
    "suite-allowed": (SUITE_ALLOWED, "suite", False),
    "cycles-rejected": ([*CYCLES_ALLOWED, *sorted(BACK_EDGES)], "cycles", True),
    "cycles-allowed": (CYCLES_ALLOWED, "cycles", False),
}
_HEADING = re.compile(r"^(\S+) is not allowed to import (\S+):$")


def contract_config(kind: str, pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The ``[tool.importlinter]`` section of ``pyproject`` with only the contracts of ``kind``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]
    lines = ["[tool.importlinter]", f"root_packages = {json.dumps(config['root_packages'])}"]
    for contract in config["contracts"]:
        if kind == "cycles":
            if contract["type"] != "acyclic_siblings":
                continue
        elif contract["type"] != "layers" or ("containers" in contract) != (kind == "suite"):
            continue
        lines.append("[[tool.importlinter.contracts]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in contract.items())
    return "\n".join(lines) + "\n"


def write_tree(directory: Path, imports: list[tuple[str, str]], kind: str) -> None:
    """Empty packages where each importer imports what ``imports`` says, and the contracts of ``kind``."""
    for module in [*PACKAGES, *PRODUCT_MODULES]:
        package = directory / module.replace(".", "/")
        package.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import {imported}\n"
            if (importer, imported) in BACK_EDGES
            else f"import {imported}\n"
            for importer, imported in imports
            if importer == module
        )
        (package / "__init__.py").write_text(body, encoding="utf-8")
    (directory / "pyproject.toml").write_text(contract_config(kind), encoding="utf-8")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def direct_violations(output: str) -> set[tuple[str, str]]:
    """``(importer, imported)`` for each direct import listed under an "X is not allowed to import Y" heading."""
    found, section = set(), None
    for line in output.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = (heading[1], heading[2])
        elif section and (chain := re.fullmatch(r"-\s+(\S+) -> (\S+) \(l\.\d+\)", line)):
            # A layers contract names the layer in the heading (contract_tests.suite) and the module in the chain.
            importer, imported = chain[1], chain[2]
            if _within(importer, section[0]) and _within(imported, section[1]):
                found.add((importer, imported))
    return found


def cycle_edges(output: str, parent: str) -> set[tuple[str, str]] | None:
    """The sibling imports lint-imports lists under "No cycles are allowed in ``parent``." (None: no such section)."""
    section = output.split(f"No cycles are allowed in {parent}.", 1)
    if len(section) != 2:
        return None
    body = section[1].split("No cycles are allowed in", 1)[0]
    return set(re.findall(r"^- \.(\S+) -> \.(\S+) \(", body, re.MULTILINE))


def problems(group: str, returncode: int, output: str) -> list[str]:
    """What is wrong with one group's lint-imports result (empty: the contracts held their line)."""
    imports, _, rejected = GROUPS[group]
    if not rejected:
        if returncode != 0 or "0 broken" not in output:
            return [f"{group}: lint-imports exited {returncode} on permitted imports {imports}:\n{output}"]
        return []
    if returncode != 1:
        return [f"{group}: lint-imports exited {returncode} (expected 1) on forbidden imports:\n{output}"]
    if group == "cycles-rejected":
        found = []
        for parent, first, second in CYCLES_REJECTED:
            edges = cycle_edges(output, parent)
            if not edges or not edges <= {(first, second), (second, first)}:
                found.append(f"{group}: the cycle {parent}.{first} <-> {parent}.{second} was not reported as such")
        return found
    violations = direct_violations(output)
    return [
        f"{group}: {importer} -> {imported} was not reported"
        for importer, imported in imports
        if (importer, imported) not in violations
    ]


def main(argv: list[str] | None = None) -> int:
    del argv
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        print("layering contracts: lint-imports is not installed next to this Python; run: make .venv", file=sys.stderr)
        return 2
    found: list[str] = []
    with tempfile.TemporaryDirectory(prefix="layering-") as scratch:
        running = {}
        for group, (imports, kind, _) in GROUPS.items():
            write_tree(Path(scratch) / group, imports, kind)
            running[group] = subprocess.Popen(
                [lint_imports, "--no-cache", "--config", "pyproject.toml"],
                cwd=Path(scratch) / group,
                env={"PYTHONPATH": str(Path(scratch) / group), "PATH": "/usr/bin:/bin"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        for group, process in running.items():
            output, _ = process.communicate(timeout=120)
            found += problems(group, process.returncode, output)
    for problem in found:
        print(problem)
    cases = sum(len(imports) for imports, _, _ in GROUPS.values())
    if found:
        print(f"layering contracts: {len(found)} of {cases} cases failed; fix [tool.importlinter] in pyproject.toml")
        return 1
    print(f"layering contracts: each contract rejects what it forbids and allows what is permitted ({cases} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
