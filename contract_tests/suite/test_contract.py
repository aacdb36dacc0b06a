"""The contract suite as a pytest test: the embedded mock conforms, with evidence (only baseline-known spec gaps)."""

from __future__ import annotations

import pytest

from contract_tests._paths import REPO_ROOT
from contract_tests.suite.categories import Category
from contract_tests.suite.runner import RunOptions, run
from contract_tests.suite.targets import embedded
from contract_tests.suite.verdict import Verdict, decide


@pytest.mark.integration
def test_embedded_mock_conforms_to_the_spec() -> None:
    target = embedded("sk-contract-suite")
    try:
        baseline = REPO_ROOT / "conformance-baseline.json"  # the project's known spec gaps
        result = run(RunOptions(target=target, api_key="sk-contract-suite", baseline=baseline))
    finally:
        target.close()
    decision = decide(result)
    assert result.errors == []
    assert [f"{f.category}: {f.title} ({f.message})" for f in result.new_findings] == []
    assert decision.verdict is Verdict.PASS, decision.reasons
    assert {f.category for f in result.findings} == {Category.SPEC_GAP}
    assert all(result.evidence.operation(label).checked_bodies >= 5 for label in result.operations)
    assert result.lifecycle.unfinished == []
