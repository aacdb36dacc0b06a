"""Drift detection: vendor pages → ``openapi.yaml`` → ``generated/``, and what a spec change means for users.

Modules: :mod:`~contract_tests.drift.spec` (load and validate documents), :mod:`~contract_tests.drift.sync`
(pages → spec), :mod:`~contract_tests.drift.load` (tolerant loading for the diff),
:mod:`~contract_tests.drift.generate` (spec → generated client), :mod:`~contract_tests.drift.lock`
(``spec.lock.json``), :mod:`~contract_tests.drift.rules` (the classified diff), :mod:`~contract_tests.drift.surface`
(the generated import surface) and :mod:`~contract_tests.drift.diff` (both diffs, rendered). The command lines
are ``scripts/spec_sync.py``, ``scripts/regenerate.py``, ``scripts/spec_diff.py`` and ``scripts/drift.py``.
"""
