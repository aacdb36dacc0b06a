"""Steering: point generated requests at ids that exist, so 2xx bodies get checked, for any path parameter.

A schemathesis ``map_case`` hook replaces the value of each path parameter that has a pool of known ids
(``--video-id``/``--path-id``, or the fixtures the suite created on our mock) in three of every four positive
cases of an operation, round-robin over the pool: every id gets the same share, in a fixed order (the same
run steers the same way). The fourth case keeps its generated value, so unknown ids are still exercised. An id
an operation refused (404, 409, 410: unknown there, gone, or in the wrong state, like the content of an
unfinished video) is passed over for that operation while another id of the pool is left (an ``after_call``
hook, in the thread that sends the requests: the same run still steers the same way).
Negative cases, wrong-method cases and stateful steps (their ids come from links: a resource just created)
are left alone. A ``DELETE`` (any operation, any mode or phase, schemathesis' own wrong-method cases
included) never names a known readable id: such a value becomes a disposable id (ids the suite may destroy:
its own fixtures on our mock, ``--disposable-id``) or, without one, :data:`ABSENT_ID`. Positive cases of a
``DELETE`` operation are steered round-robin to disposable ids, like reads are to readable ones.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from contract_tests.suite.spec_facts import SpecFacts

__all__ = ["ABSENT_ID", "KEEP_GENERATED_EVERY", "IdPools", "Steering"]

KEEP_GENERATED_EVERY = 4
# Answers that say "this id cannot be used with this operation" (unknown here, gone, or in the wrong state).
REFUSED = frozenset({404, 409, 410})
ABSENT_ID = "tokenops-conformance-absent-id"


@attrs.define
class IdPools:
    """Known ids per path parameter: ``readable`` for every operation, ``disposable`` for destructive ones."""

    readable: dict[str, list[str]] = attrs.field(factory=dict)
    disposable: dict[str, list[str]] = attrs.field(factory=dict)

    def add(self, parameter: str, values: Sequence[str], *, disposable: bool = False) -> None:
        pool = (self.disposable if disposable else self.readable).setdefault(parameter, [])
        pool.extend(value for value in values if value not in pool)

    def for_operation(self, parameter: str, *, destructive: bool) -> list[str]:
        return (self.disposable if destructive else self.readable).get(parameter, [])

    def first(self, parameter: str, *, destructive: bool = False) -> str | None:
        pool = self.for_operation(parameter, destructive=destructive)
        return pool[0] if pool else None


@attrs.define
class Steering:
    """The round-robin state; :meth:`install` registers it on a schemathesis schema."""

    facts: SpecFacts
    pools: IdPools
    # (operation, parameter) -> how many positive cases were seen / how many were steered.
    _seen: collections.Counter[tuple[str, str]] = attrs.field(factory=collections.Counter)
    _steered: collections.Counter[tuple[str, str]] = attrs.field(factory=collections.Counter)
    # (operation, parameter) -> known ids that answered that operation "no such resource here" (REFUSED).
    _refused: dict[tuple[str, str], set[str]] = attrs.field(factory=dict)

    def choose(self, label: str, parameter: str, *, destructive: bool = False) -> str | None:
        """The id for the next positive case of ``label`` (None: keep the generated value)."""
        key = (label, parameter)
        pool = self.pools.for_operation(parameter, destructive=destructive)
        refused = self._refused.get(key, set())
        pool = [value for value in pool if value not in refused] or pool
        if not pool:
            return None
        self._seen[key] += 1
        if self._seen[key] % KEEP_GENERATED_EVERY == 0:
            return None
        value = pool[self._steered[key] % len(pool)]
        self._steered[key] += 1
        return value

    def _protect(self, label: str, values: Mapping[str, Any], *, steer: bool) -> dict[str, Any]:
        """Path values for a DELETE: never a readable id; round-robin disposable ids when ``steer``."""
        protected: dict[str, Any] = {}
        for name, value in values.items():
            readable = str(value) in self.pools.readable.get(name, [])
            chosen = self.choose(label, name, destructive=True) if steer or readable else None
            protected[name] = chosen if chosen is not None else (ABSENT_ID if readable else value)
        return protected

    def steer(self, case: Any) -> Any:
        """Rewrite ``case``'s path parameters (see the module docstring for the rules)."""
        label = str(case.operation.label)
        facts = self.facts.operation(label)
        if facts is None or not case.path_parameters:
            return case
        meta = getattr(case, "meta", None)
        mode = getattr(getattr(meta, "generation", None), "mode", None)
        positive = mode is None or str(getattr(mode, "value", mode)) == "positive"
        phase = str(getattr(getattr(getattr(meta, "phase", None), "name", None), "value", ""))
        own_method = str(case.method).upper() == facts.method
        # Stateful steps take their ids from links (a resource just created): only protect known ids.
        generated = phase != "stateful"
        if str(case.method).upper() == "DELETE":
            steer = generated and positive and own_method
            case.path_parameters = self._protect(f"DELETE {facts.path}", case.path_parameters, steer=steer)
            return case
        if not (generated and positive and own_method):
            return case
        chosen: Mapping[str, str | None] = {name: self.choose(label, name) for name in case.path_parameters}
        if any(value is not None for value in chosen.values()):
            case.path_parameters = {
                name: chosen[name] if chosen.get(name) is not None else value
                for name, value in case.path_parameters.items()
            }
        return case

    def observe(self, case: Any, status: int) -> None:
        """Learn from an answer: a known id refused by an operation (:data:`REFUSED`) is not steered there again
        while another id of its pool is left."""
        if status not in REFUSED or not case.path_parameters:
            return
        label = str(case.operation.label)
        for name, value in case.path_parameters.items():
            if str(value) in self.pools.readable.get(name, []) + self.pools.disposable.get(name, []):
                self._refused.setdefault((label, name), set()).add(str(value))

    def install(self, schema: Any) -> None:
        """Register the ``map_case`` and ``after_call`` hooks on ``schema``."""

        def map_case(context: Any, case: Any) -> Any:
            return self.steer(case)

        def after_call(context: Any, case: Any, response: Any) -> None:
            self.observe(case, int(response.status_code))

        schema.hook(map_case)
        schema.hook(after_call)
