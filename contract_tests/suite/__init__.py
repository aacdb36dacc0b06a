"""The conformance suite (``tokenops-conformance``): tests a server against the spec and writes reports.

Entry points: :mod:`contract_tests.suite.cli` (the command line) and :mod:`contract_tests.suite.runner` (one
run: schemathesis phases, probes, the lifecycle test, the verdict). Checks live in
:mod:`contract_tests.suite.checks`; where each applies is read from the spec (:mod:`contract_tests.suite.spec_facts`).
"""
