"""Every use of schemathesis' non-public parts, in this one module: none of them has a public equivalent in 4.32.

``schemathesis==4.32.5`` is pinned in ``pyproject.toml``. ``tests/test_schemathesis_private.py`` checks each item
below against the installed schemathesis and fails, naming this module, on any other version: re-check each item,
then move the pin. The rest of the suite uses schemathesis' public API only: ``schemathesis.openapi``, ``Config``,
``check`` and ``hook``, ``Case`` and ``Response``, ``schemathesis.checks``, ``schemathesis.errors`` and
``schemathesis.baseline``.

1. **The failure base class** (``schemathesis.core.failures.Failure``; 4.32 exports only ``FailureGroup``, from
   ``schemathesis.errors``). A custom check may raise a plain ``AssertionError`` instead, but schemathesis then
   identifies the failure by the file and line that raised it: a baseline entry would stop matching on every edit
   of ``checks.py``, and two different violations of one check would count as one. The suite's failures carry a
   stable key of their own; :class:`KeyedFailure` hands it to schemathesis through ``_unique_key``, the property
   schemathesis' deduplication and ``schemathesis.baseline.failure_identity`` read.
2. **The engine** (``schemathesis.engine``: ``from_schema(schema).execute()`` and its ``events``): the event stream
   the ``schemathesis`` CLI consumes, the one way to run every phase from Python and see each scenario as it ends.
3. **A finished scenario's recorder** (``ScenarioFinished.recorder``: ``cases``, ``interactions``, ``checks``):
   which request got which response, and each check's outcome on it. Public hooks see the responses
   (``after_call``) but not the outcomes: ``after_validate`` fires for ``Case.validate_response`` only, never in the
   engine. :func:`scenario_exchanges` and :func:`unanswered_requests` turn the recorder into plain records.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from typing import Any

import attrs
import schemathesis
from schemathesis.baseline import failure_identity
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema, recorder

__all__ = [
    "PINNED",
    "EngineEvent",
    "Failure",
    "FatalError",
    "Interrupted",
    "KeyedFailure",
    "NonFatalError",
    "PhaseFinished",
    "PhaseStarted",
    "RecordedCheck",
    "RecordedExchange",
    "ScenarioFinished",
    "changes_since_pin",
    "execute",
    "scenario_exchanges",
    "unanswered_requests",
]

PINNED = "4.32.5"  # the schemathesis version every item of this module was checked against

EngineEvent = events.EngineEvent
PhaseStarted = events.PhaseStarted
PhaseFinished = events.PhaseFinished
ScenarioFinished = events.ScenarioFinished
NonFatalError = events.NonFatalError
FatalError = events.FatalError
Interrupted = events.Interrupted


class KeyedFailure(Failure):
    """A failure whose identity within its check is ``key`` (field and kind of problem, never volatile values)."""

    def __init__(self, *, operation: str | None, title: str, message: str, key: str) -> None:
        super().__init__(operation=operation, title=title, message=message)
        self.key = key

    @property
    def _unique_key(self) -> str:
        return self.key


def execute(schema: Any) -> Iterator[events.EngineEvent]:
    """Run every configured phase of schemathesis on ``schema``: its engine's event stream."""
    yield from from_schema(schema).execute()


@attrs.frozen
class RecordedCheck:
    """One check's outcome on one response: ``status`` is schemathesis' word (success, failure, error, skip)."""

    name: str
    status: str
    failure: Failure | None


@attrs.frozen
class RecordedExchange:
    """One request of a scenario that got a response: the ``schemathesis.Case``, the recorded request (``method``,
    ``uri``, ``headers``, ``body``), the ``schemathesis.Response`` and the checks run on it, in order."""

    case: Any
    request: Any
    response: Any
    checks: list[RecordedCheck]


def scenario_exchanges(event: events.ScenarioFinished) -> list[RecordedExchange]:
    """The answered requests of a finished scenario that checks ran on, in the order schemathesis recorded them."""
    recorder = event.recorder
    exchanges = []
    for case_id, nodes in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        node = recorder.cases.get(case_id)
        if interaction is None or interaction.response is None or node is None:
            continue
        checks = [
            RecordedCheck(
                str(n.name),
                str(getattr(n.status, "value", n.status)),
                n.failure_info.failure if n.failure_info is not None else None,
            )
            for n in nodes
        ]
        exchanges.append(RecordedExchange(node.value, interaction.request, interaction.response, checks))
    return exchanges


def unanswered_requests(event: events.ScenarioFinished) -> list[tuple[Any, Any]]:
    """``(case, recorded request)`` for each request of a finished scenario that got no response."""
    recorder = event.recorder
    found = []
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if interaction.response is None and node is not None:
            found.append((node.value, interaction.request))
    return found


# What this module reads of the recorder's classes (dataclass fields or slots), by class.
_RECORDER_FIELDS = {
    recorder.ScenarioRecorder: ("cases", "checks", "interactions"),
    recorder.CaseNode: ("value",),
    recorder.CheckNode: ("name", "status", "failure_info"),
    recorder.CheckFailureInfo: ("failure",),
    recorder.Interaction: ("request", "response"),
    events.ScenarioFinished: ("recorder", "phase"),
}


def _fields(cls: type) -> set[str]:
    names = {field.name for field in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    return names | set(inspect.get_annotations(cls))


def changes_since_pin() -> list[str]:
    """What no longer holds of this module's assumptions on the installed schemathesis (empty: every one holds)."""
    found = []
    if schemathesis.__version__ != PINNED:
        found.append(f"schemathesis {schemathesis.__version__} is installed, this module was checked against {PINNED}")
    if not isinstance(inspect.getattr_static(Failure, "_unique_key", None), property):
        found.append("Failure._unique_key is no longer a property: KeyedFailure cannot give a failure its identity")
    probe = KeyedFailure(operation="GET /probe", title="probe", message="", key="the-key")
    if failure_identity(probe, "a_check") != ("GET /probe", "a_check", "KeyedFailure", "the-key"):
        found.append("schemathesis.baseline.failure_identity no longer reads a failure's _unique_key")
    if probe == KeyedFailure(operation="GET /probe", title="probe", message="", key="another-key"):
        found.append("schemathesis no longer tells failures apart by _unique_key (two keys, one failure)")
    for cls, names in _RECORDER_FIELDS.items():
        missing = sorted(set(names) - _fields(cls))
        if missing:
            found.append(f"{cls.__module__}.{cls.__qualname__} has no {', '.join(missing)} any more")
    return found
