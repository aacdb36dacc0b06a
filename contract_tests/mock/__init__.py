"""A stateful mock of the TokenOps video service, driven by the OpenAPI spec, with fault injection.

In-process: ``create_app()`` returns a :class:`MockApp`, an ASGI app (use it with ``httpx.ASGITransport``
or schemathesis); ``app.state`` is its clock, jobs, faults and counters.
As a server: ``python -m contract_tests.mock [--host 127.0.0.1] [--port 4010] [--api-key KEY]... [--seed FILE]
[--quiet] [--fault SPEC]... [--fault-seed N] [--max-jobs N] [--spec FILE]`` (or ``tokenops-mock``).
"""

try:  # the `mock` extra: without it, say which extra (``python -m contract_tests.mock`` and ``import`` alike)
    import starlette  # noqa: F401
except ModuleNotFoundError as exc:
    raise ModuleNotFoundError(
        f"contract_tests.mock needs the mock extra: pip install 'tokenops[mock]' (missing: {exc.name})", name=exc.name
    ) from None

from contract_tests.mock._app import DEFAULT_API_KEY, KEY_VARIABLE, MockApp, create_app
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
from contract_tests.mock._responses import api_error
from contract_tests.mock._spec import load_spec
from contract_tests.mock._state import MockState
from tokenops.spec import Spec, SpecError

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MAX_JOBS",
    "KEY_VARIABLE",
    "WELL_KNOWN_IDS",
    "FaultKind",
    "FaultRule",
    "FaultSpecError",
    "Job",
    "JobSpecError",
    "JobStore",
    "MockApp",
    "MockClock",
    "MockState",
    "Spec",
    "SpecError",
    "api_error",
    "create_app",
    "job_from_spec",
    "load_spec",
    "parse_fault_spec",
    "reality",
    "rule_from_mapping",
]
