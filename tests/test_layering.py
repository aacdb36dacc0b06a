"""tests/layering_contracts.py (``make layering``'s proof that each import-linter contract can fail) reads
lint-imports' report right: a forbidden import passes only when its own section names it."""

from __future__ import annotations

from pathlib import Path

from tests import layering_contracts as contracts

# lint-imports 2.16's report for a tree where tokenops imports contract_tests (and nothing else is wrong).
ONE_VIOLATION = """\
Contracts: 0 kept, 1 broken.

tokenops is not allowed to import contract_tests:

- tokenops -> contract_tests (l.1)


contract_tests.suite is not allowed to import contract_tests.mock:

- contract_tests.toolchain -> contract_tests.mock (l.1)
"""


def test_a_forbidden_import_counts_only_in_its_own_section() -> None:
    assert contracts.direct_violations(ONE_VIOLATION) == {("tokenops", "contract_tests")}


def test_a_forbidden_import_the_report_does_not_name_is_a_problem() -> None:
    found = contracts.problems("layers-rejected", 1, ONE_VIOLATION)
    assert "layers-rejected: tokenops_client -> tokenops was not reported" in found
    assert not any("tokenops -> contract_tests" in problem for problem in found)
    assert len(found) == len(contracts.LAYERS_REJECTED) - 1


def test_a_contract_that_passes_forbidden_imports_is_a_problem() -> None:
    assert contracts.problems("suite-rejected", 0, "Contracts: 1 kept, 0 broken.")[0].startswith(
        "suite-rejected: lint-imports exited 0 (expected 1)"
    )


def test_a_contract_that_breaks_on_permitted_imports_is_a_problem() -> None:
    assert contracts.problems("layers-allowed", 0, "Contracts: 1 kept, 0 broken.") == []
    assert contracts.problems("layers-allowed", 1, ONE_VIOLATION)[0].startswith("layers-allowed: lint-imports exited 1")


def test_each_tree_gets_the_contracts_of_its_kind_and_its_imports(tmp_path: Path) -> None:
    contracts.write_tree(tmp_path, [("tokenops", "contract_tests")], "suite")
    assert (tmp_path / "tokenops" / "__init__.py").read_text(encoding="utf-8") == "import contract_tests\n"
    assert (tmp_path / "scripts" / "__init__.py").read_text(encoding="utf-8") == ""
    config = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert config.count("[[tool.importlinter.contracts]]") >= 1
    assert 'containers = ["contract_tests"]' in config
    assert "One-way layering" not in config
