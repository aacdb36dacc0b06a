"""The contract suite as a pytest test: the embedded mock conforms (only baseline-known spec gaps)."""

from __future__ import annotations

from contract_tests.categories import Category
from contract_tests.runner import RunOptions, run
from contract_tests.targets import embedded


def test_embedded_mock_conforms_to_the_spec() -> None:
    target = embedded("sk-contract-suite")
    try:
        result = run(RunOptions(target=target, api_key="sk-contract-suite"))
    finally:
        target.close()
    assert result.errors == []
    assert [f"{f.category}: {f.title} ({f.message})" for f in result.new_findings] == []
    assert result.count(Category.SPEC_GAP, known=True) == 2
    assert result.responses > 50
    assert result.unfinished_jobs == []
