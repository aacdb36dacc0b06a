"""The acyclic_siblings contract in pyproject.toml fails on an import cycle inside contract_tests.toolchain."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODULES = (
    "contract_tests",
    "contract_tests.toolchain",
    "contract_tests.toolchain.diff",
    "contract_tests.toolchain.generate",
    "contract_tests.toolchain.rules",
    "contract_tests.toolchain.rules.model",
    "contract_tests.toolchain.rules.where",
)


def _acyclic_config() -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    assert "contract_tests" in contract["ancestors"]  # the toolchain, at any depth below it
    contract = {**contract, "ancestors": ["contract_tests"]}  # the synthetic tree has no tokenops package
    lines = ["[tool.importlinter]", 'root_packages = ["contract_tests"]', "[[tool.importlinter.contracts]]"]
    lines.extend(f"{key} = {json.dumps(value)}" for key, value in contract.items())
    return "\n".join(lines) + "\n"


def _lint(tmp_path: Path, imports: list[tuple[str, str]]) -> subprocess.CompletedProcess[str]:
    """lint-imports with the repository's acyclic contract on a tree of packages importing as ``imports`` says;
    each import sits inside a function, as the toolchain's deferred imports do."""
    for module in MODULES:
        folder = tmp_path / module.replace(".", "/")
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"def use_{index}():\n    import {imported}\n"
            for index, (importer, imported) in enumerate(imports)
            if importer == module
        )
        (folder / "__init__.py").write_text(body, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(_acyclic_config(), encoding="utf-8")
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


@pytest.mark.e2e
@pytest.mark.parametrize(
    "cycle",
    [
        [
            ("contract_tests.toolchain.diff", "contract_tests.toolchain.generate"),
            ("contract_tests.toolchain.generate", "contract_tests.toolchain.diff"),
        ],
        [
            ("contract_tests.toolchain.rules.model", "contract_tests.toolchain.rules.where"),
            ("contract_tests.toolchain.rules.where", "contract_tests.toolchain.rules.model"),
        ],
    ],
    ids=["modules", "nested-package"],
)
def test_a_cycle_in_the_toolchain_breaks_the_contract(tmp_path: Path, cycle: list[tuple[str, str]]) -> None:
    result = _lint(tmp_path, cycle)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert "1 broken" in result.stdout


@pytest.mark.e2e
def test_one_way_imports_in_the_toolchain_keep_the_contract(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        [
            ("contract_tests.toolchain.diff", "contract_tests.toolchain.generate"),
            ("contract_tests.toolchain.rules.where", "contract_tests.toolchain.rules.model"),
        ],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
