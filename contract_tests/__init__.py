"""The tools around the generated client, as three products in one package (``tokenops[contract]``).

- :mod:`contract_tests.suite`: the conformance suite (``tokenops-conformance``): schemathesis with the suite's
  checks, probes and lifecycle test, its verdict and its reports.
- :mod:`contract_tests.mock`: the stateful mock (``tokenops-mock``) that serves every operation of a spec; the
  suite's default target.
- :mod:`contract_tests.toolchain`: the spec toolchain: vendor pages → ``openapi.yaml`` → ``generated/``, the
  lock, the classified spec diff and the changelog (``scripts/spec_sync.py``, ``regenerate.py``, ``spec_diff.py``).

The suite may start the mock; the mock and the toolchain use neither each other nor the suite (import contracts
in ``pyproject.toml``).
"""
