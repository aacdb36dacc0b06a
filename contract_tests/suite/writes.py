"""Writes: requests that change something on the server or cost money, and whether a run may send them.

A request is a *write* when its method is not GET, HEAD or OPTIONS, or when its operation is marked as billed: in
the spec with ``x-billed: true`` or ``x-tokenops-billed: true`` on the operation (a GET that generates something
and is charged per call), or on the command line with ``--billed OPERATION`` (an operationId or ``"METHOD
/path"``). Against the embedded mock every write is sent; against any other target none is, unless
``--include-writes`` is given, and ``--max-writes N`` caps how many are sent (after the cap, the rest are not).

Nothing a run sends escapes the policy: schemathesis' requests pass a (global, run-aware) ``before_call`` hook that
stops a write over the limit before it is sent (:class:`WriteRefused`, which the runner counts, never reports as an
error); the suite's own requests ask :meth:`WritePolicy.take` first; operations that may not write at all are left
out of schemathesis' schema, and its coverage phase only tries undeclared methods that are not writes.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from typing import Any

import attrs
import schemathesis

from contract_tests.suite.spec_facts import OperationFacts, SpecFacts

__all__ = [
    "BILLED_EXTENSIONS",
    "NOT_ALLOWED",
    "SAFE_METHODS",
    "PolicyError",
    "WritePolicy",
    "WriteRefused",
    "is_billed",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BILLED_EXTENSIONS = ("x-billed", "x-tokenops-billed")
NOT_ALLOWED = "writes not allowed (--include-writes sends them)"  # why an operation is not tested


class PolicyError(ValueError):
    """The policy names an operation the spec does not have (``--billed``)."""


class WriteRefused(Exception):
    """A write the policy did not let through (raised before anything is sent)."""


def is_billed(spec: SpecFacts, facts: OperationFacts) -> bool:
    """True when the spec marks the operation as billed (``x-billed: true`` or ``x-tokenops-billed: true``)."""
    if facts.model is None:
        return False
    raw = spec.model.at(facts.model.pointer)
    return isinstance(raw, dict) and any(raw.get(name) is True for name in BILLED_EXTENSIONS)


@attrs.define
class WritePolicy:
    """Whether writes may be sent, how many, and what was held back.

    Args:
        allowed: writes may be sent at all (the embedded mock, or ``--include-writes``).
        max_writes: at most this many (None: no cap).
        billed: operations marked billed on the command line, by operationId or ``"METHOD /path"``.
    """

    allowed: bool = True
    max_writes: int | None = None
    billed: frozenset[str] = frozenset()
    sent: int = 0
    refused: collections.Counter[str] = attrs.field(factory=collections.Counter)  # per operation label
    _marked: set[str] = attrs.field(factory=set)  # labels of the spec's billed operations

    def learn(self, spec: SpecFacts) -> None:
        """Read which operations of ``spec`` are billed (its extensions, and ``billed`` by id or label).

        Raises:
            PolicyError: a name in ``billed`` is no operation of ``spec`` (a typo would protect nothing).
        """
        names = set(spec.operations) | {f.operation_id for f in spec.operations.values()}
        unknown = sorted(name for name in self.billed if name not in names)
        if unknown:
            known = ", ".join(sorted(f.operation_id or label for label, f in spec.operations.items()))
            raise PolicyError(f"--billed {unknown[0]!r} is no operation of the spec (operations: {known})")
        for label, facts in spec.operations.items():
            if is_billed(spec, facts) or label in self.billed or (facts.operation_id or "") in self.billed:
                self._marked.add(label)

    def marked(self, label: str) -> bool:
        """True when the operation is billed (spec or command line)."""
        return label in self._marked

    def writes(self, facts: OperationFacts, method: str | None = None) -> bool:
        """True when sending ``method`` (default: the operation's) to ``facts`` is a write."""
        return (method or facts.method).upper() not in SAFE_METHODS or self.marked(facts.label)

    def operation_may_write(self, facts: OperationFacts) -> bool:
        """False for an operation whose every request is a write while writes are not allowed at all."""
        return self.allowed or not self.writes(facts)

    def take(self, label: str | None) -> bool:
        """Count one write if the policy lets it through; False otherwise (counted as refused for operation
        ``label``; None for a method the operation does not declare)."""
        if not self.allowed or (self.max_writes is not None and self.sent >= self.max_writes):
            if label is not None:
                self.refused[label] += 1
            return False
        self.sent += 1
        return True

    @contextlib.contextmanager
    def active(self, schema: Any, spec: SpecFacts) -> Iterator[None]:
        """Hold back schemathesis' writes to ``schema`` over the policy while the block runs."""
        _ACTIVE[id(schema)] = (self, spec)
        try:
            yield
        finally:
            _ACTIVE.pop(id(schema), None)

    def check_case(self, case: Any, spec: SpecFacts) -> None:
        """Raise :class:`WriteRefused` for a case of schemathesis' that the policy holds back.

        Raises:
            WriteRefused: the case is a write and the policy does not let it through.
        """
        label = str(case.operation.label)
        facts = spec.operation(label)
        if facts is None or not self.writes(facts, str(case.method)):
            return
        own = str(case.method).upper() == facts.method
        if not self.take(label if own else None):
            raise WriteRefused(f"{case.method} {label}: held back by the write policy")


# The policies of the runs in progress, by the schema they run (schemathesis' before_call hook is global only).
_ACTIVE: dict[int, tuple[WritePolicy, SpecFacts]] = {}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every request schemathesis sends passes here: the write policy of the run that sends it decides."""
    found = _ACTIVE.get(id(case.operation.schema))
    if found is not None:
        policy, spec = found
        policy.check_case(case, spec)
