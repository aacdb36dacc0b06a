"""The import-linter contract in pyproject.toml really rejects each forbidden direction."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("tokenops_client", "tokenops", "contract_tests", "scripts")


# The suite's own modules (everything in contract_tests/ but the mock, the drift tools and private helpers).
SUITE_MODULES = tuple(
    sorted(
        [path.stem for path in (ROOT / "contract_tests").glob("*.py") if not path.stem.startswith(("_", "test_"))]
        + ["report"]
    )
)


def _contract_config(kind: str) -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    lines = ["[tool.importlinter]", f"root_packages = {json.dumps(config['root_packages'])}"]
    for contract in config["contracts"]:
        if (contract["type"] == "layers") != (kind == "layers"):
            continue
        lines.append("[[tool.importlinter.contracts]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in contract.items())
    return "\n".join(lines) + "\n"


def _lint(
    tmp_path: Path, importer: str | None, imported: str | None, kind: str = "layers"
) -> subprocess.CompletedProcess[str]:
    modules = [*PACKAGES, *(f"contract_tests.{name}" for name in (*SUITE_MODULES, "mock", "drift"))]
    for module in modules:
        (tmp_path / module.replace(".", "/")).mkdir(parents=True, exist_ok=True)
        body = f"import {imported}\n" if module == importer else ""
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


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("tokenops_client", "tokenops"),
        ("tokenops_client", "contract_tests"),
        ("tokenops", "contract_tests"),
        ("tokenops", "scripts"),
        ("contract_tests", "scripts"),
    ],
)
def test_contract_rejects_imports_against_the_flow(tmp_path: Path, importer: str, imported: str) -> None:
    result = _lint(tmp_path, importer, imported)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer} -> {imported}" in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [(None, None), ("tokenops", "tokenops_client"), ("scripts", "contract_tests"), ("scripts", "tokenops")],
)
def test_contract_allows_imports_along_the_flow(tmp_path: Path, importer: str | None, imported: str | None) -> None:
    result = _lint(tmp_path, importer, imported)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("contract_tests.mock", "contract_tests.runner"),
        ("contract_tests.mock", "contract_tests.report"),
        ("contract_tests.mock", "contract_tests.drift"),
        ("contract_tests.drift", "contract_tests.mock"),
        ("contract_tests.drift", "contract_tests.cli"),
    ],
)
def test_mock_and_drift_stand_alone_inside_the_suite(tmp_path: Path, importer: str, imported: str) -> None:
    result = _lint(tmp_path, importer, imported, kind="suite")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer} -> {imported}" in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [(None, None), ("contract_tests.runner", "contract_tests.mock"), ("contract_tests.cli", "contract_tests.report")],
)
def test_the_suite_may_use_the_mock_and_the_reports(tmp_path: Path, importer: str | None, imported: str | None) -> None:
    result = _lint(tmp_path, importer, imported, kind="suite")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_forbids_every_suite_module_to_the_mock_and_the_drift_tools() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    forbidden = next(c for c in config["contracts"] if c["type"] == "forbidden")
    assert forbidden["source_modules"] == ["contract_tests.mock", "contract_tests.drift"]
    assert sorted(forbidden["forbidden_modules"]) == [f"contract_tests.{name}" for name in SUITE_MODULES]
