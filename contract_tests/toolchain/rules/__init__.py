"""The classified OpenAPI diff: every change kind has a stable rule id and a severity for *this client's users*.

Modules: :mod:`.catalog` (every rule, its severity and reason), :mod:`.document` (whole documents and
operations matching), :mod:`.operation` (parameters, bodies, responses, callbacks), :mod:`.schema` (schemas,
judged by who sends the value, unions by what they admit), :mod:`.shapes` (one reading of the many spellings
of a schema), :mod:`.renames` (component schemas renamed) and :mod:`.where` (a change's location in API terms).
Each change is reported once, where it is made (a component, or the operation for an inline schema), with the
operations it reaches.
"""

from __future__ import annotations

from contract_tests.toolchain.rules.catalog import RULES, SEVERITIES
from contract_tests.toolchain.rules.document import diff_documents
from contract_tests.toolchain.rules.model import Change
from contract_tests.toolchain.rules.where import describe

__all__ = ["RULES", "SEVERITIES", "Change", "describe", "diff_documents"]
