"""The spec toolchain: vendor pages → ``openapi.yaml`` → ``generated/``, and what a spec change means for users.

Modules: :mod:`~contract_tests.toolchain.spec` (load and validate documents),
:mod:`~contract_tests.toolchain.sync` (pages → spec), :mod:`~contract_tests.toolchain.load` (tolerant loading for
the diff), :mod:`~contract_tests.toolchain.generate` (spec → generated client), :mod:`~contract_tests.toolchain.lock`
(``spec.lock.json``), :mod:`~contract_tests.toolchain.rules` (the classified diff),
:mod:`~contract_tests.toolchain.surface` (the generated import surface) and :mod:`~contract_tests.toolchain.diff`
(both diffs, rendered). The command lines are ``scripts/spec_sync.py``, ``scripts/regenerate.py``,
``scripts/spec_diff.py`` and ``scripts/drift.py``.
"""
