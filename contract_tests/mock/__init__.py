"""A stateful mock of the TokenOps video service, with fault injection.

In-process: ``create_app()`` is an ASGI app (use it with ``httpx.ASGITransport`` or schemathesis).
As a server: ``python -m contract_tests.mock [--host 127.0.0.1] [--port 4010] [--api-key KEY] [--seed FILE] [--quiet]``.
"""

from contract_tests.mock._app import DEFAULT_API_KEY, MockState, api_error, create_app
from contract_tests.mock._clock import MockClock
from contract_tests.mock._faults import (
    FaultKind,
    FaultRule,
    FaultSpecError,
    parse_fault_spec,
    reality,
    rule_from_mapping,
)
from contract_tests.mock._jobs import DEFAULT_MAX_JOBS, WELL_KNOWN_IDS, Job, JobSpecError, JobStore, job_from_spec

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MAX_JOBS",
    "WELL_KNOWN_IDS",
    "FaultKind",
    "FaultRule",
    "FaultSpecError",
    "Job",
    "JobSpecError",
    "JobStore",
    "MockClock",
    "MockState",
    "api_error",
    "create_app",
    "job_from_spec",
    "parse_fault_spec",
    "reality",
    "rule_from_mapping",
]
