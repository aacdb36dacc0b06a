"""The import-linter contracts in pyproject.toml really reject each forbidden direction, and every import cycle."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("tokenops_client", "tokenops", "contract_tests", "scripts")
Linter = Callable[[str], "subprocess.CompletedProcess[str]"]


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


def _contract_config(kind: str) -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
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
# Each a cycle between siblings, one import of it behind `if TYPE_CHECKING:` (grimp counts those too).
CYCLES_REJECTED = [
    ("tokenops", "_client", "_videos"),
    ("contract_tests.suite", "runner", "cli"),
    ("contract_tests.mock", "app", "state"),
]
CYCLES_ALLOWED = [(f"{parent}.{a}", f"{parent}.{b}") for parent, a, b in CYCLES_REJECTED]
_HEADING = re.compile(r"^(\S+) is not allowed to import (\S+):$")


def _lint(
    tmp_path: Path, imports: list[tuple[str, str]], kind: str, type_checking: frozenset[tuple[str, str]] = frozenset()
) -> subprocess.CompletedProcess[str]:
    """lint-imports on a tree of empty packages where each importer imports what ``imports`` says (those in
    ``type_checking`` behind ``if TYPE_CHECKING:``)."""
    modules = [*PACKAGES, *PRODUCT_MODULES]
    for module in modules:
        (tmp_path / module.replace(".", "/")).mkdir(parents=True, exist_ok=True)
        body = "from typing import TYPE_CHECKING\n" + "".join(
            f"if TYPE_CHECKING:\n    import {imported}\n"
            if (importer, imported) in type_checking
            else f"import {imported}\n"
            for importer, imported in imports
            if importer == module
        )
        (tmp_path / module.replace(".", "/") / "__init__.py").write_text(body, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(_contract_config(kind), encoding="utf-8")
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None
    return subprocess.run(
        [lint_imports, "--no-cache", "--config", "pyproject.toml"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _direct_violations(output: str) -> set[tuple[str, str]]:
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


@pytest.fixture(scope="module")
def lint(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], subprocess.CompletedProcess[str]]:
    """One lint-imports run per group (every rejected or every allowed import of a contract at once), not per case.

    Each case still checks its own import: a rejected one must get its own "X is not allowed to import Y" section
    with the direct import in it (another case's violation cannot stand in for it); an allowed group passes as a
    whole, so each of its imports does alone.
    """
    back_edges = [(f"{parent}.{b}", f"{parent}.{a}") for parent, a, b in CYCLES_REJECTED]
    groups = {
        "layers-rejected": (LAYERS_REJECTED, "layers"),
        "layers-allowed": (LAYERS_ALLOWED, "layers"),
        "suite-rejected": (SUITE_REJECTED, "suite"),
        "suite-allowed": (SUITE_ALLOWED, "suite"),
        "cycles-rejected": ([*CYCLES_ALLOWED, *back_edges], "cycles"),
        "cycles-allowed": (CYCLES_ALLOWED, "cycles"),
    }
    runs: dict[str, subprocess.CompletedProcess[str]] = {}

    def run(group: str) -> subprocess.CompletedProcess[str]:
        if group not in runs:
            imports, kind = groups[group]
            runs[group] = _lint(tmp_path_factory.mktemp(group), imports, kind, frozenset(back_edges))
        return runs[group]

    return run


@pytest.mark.e2e
@pytest.mark.parametrize(("importer", "imported"), LAYERS_REJECTED)
def test_contract_rejects_imports_against_the_flow(lint: Linter, importer: str, imported: str) -> None:
    result = lint("layers-rejected")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (importer, imported) in _direct_violations(result.stdout), result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("importer", "imported"), [(None, None), *LAYERS_ALLOWED])
def test_contract_allows_imports_along_the_flow(lint: Linter, importer: str | None, imported: str | None) -> None:
    result = lint("layers-allowed")  # the group passes as a whole, so each import (and none) does alone
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("importer", "imported"), SUITE_REJECTED)
def test_the_mock_and_the_toolchain_stand_alone(lint: Linter, importer: str, imported: str) -> None:
    result = lint("suite-rejected")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (importer, imported) in _direct_violations(result.stdout), result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("importer", "imported"), [(None, None), *SUITE_ALLOWED])
def test_the_suite_may_use_the_mock_and_the_reports(lint: Linter, importer: str | None, imported: str | None) -> None:
    result = lint("suite-allowed")  # the group passes as a whole, so each import (and none) does alone
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("parent", "first", "second"), CYCLES_REJECTED)
def test_an_import_cycle_between_siblings_breaks_the_contract(
    lint: Linter, parent: str, first: str, second: str
) -> None:
    result = lint("cycles-rejected")
    assert result.returncode == 1, result.stdout + result.stderr
    section = result.stdout.split(f"No cycles are allowed in {parent}.", 1)
    assert len(section) == 2, result.stdout
    edges = re.findall(r"^- \.(\S+) -> \.(\S+) \(", section[1].split("No cycles are allowed in", 1)[0], re.MULTILINE)
    assert edges, result.stdout
    assert set(edges) <= {(first, second), (second, first)}, result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(("importer", "imported"), [(None, None), *CYCLES_ALLOWED])
def test_one_way_imports_between_siblings_keep_the_contract(
    lint: Linter, importer: str | None, imported: str | None
) -> None:
    result = lint("cycles-allowed")  # the group passes as a whole, so each import (and none) does alone
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
