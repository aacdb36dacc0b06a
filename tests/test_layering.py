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


# lint-imports 2.16's report for the cycles tree, trimmed to one contract's sections.
CYCLES_REPORT = """\
No cycles are allowed in tokenops.
------------------------------------

- ._client -> ._videos (l.1)
- ._videos -> ._client (l.2)

No cycles are allowed in contract_tests.suite.
-----------------------------------------------

- .runner -> .cli (l.1)
"""


def test_a_cycle_is_proven_only_by_its_own_siblings() -> None:
    assert contracts.cycle_edges(CYCLES_REPORT, "tokenops") == {("_client", "_videos"), ("_videos", "_client")}
    assert contracts.cycle_edges(CYCLES_REPORT, "contract_tests.mock") is None
    found = contracts.problems("cycles-rejected", 1, CYCLES_REPORT)
    assert found == [
        "cycles-rejected: the cycle contract_tests.mock.app <-> contract_tests.mock.state was not reported as such"
    ]
    wrong = CYCLES_REPORT.replace("- .runner -> .cli", "- .report -> .cli")
    assert (
        "contract_tests.suite.runner <-> contract_tests.suite.cli" in contracts.problems("cycles-rejected", 1, wrong)[0]
    )


def test_the_back_edge_of_a_cycle_hides_behind_type_checking(tmp_path: Path) -> None:
    contracts.write_tree(tmp_path, contracts.GROUPS["cycles-rejected"][0], "cycles")
    assert (tmp_path / "tokenops/_client/__init__.py").read_text(encoding="utf-8") == "import tokenops._videos\n"
    assert "if TYPE_CHECKING:\n    import tokenops._client" in (tmp_path / "tokenops/_videos/__init__.py").read_text(
        encoding="utf-8"
    )
    config = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    assert 'type = "acyclic_siblings"' in config
    assert 'type = "layers"' not in config
