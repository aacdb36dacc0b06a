"""Requests the suite makes itself, where the data is: id sweeps, wrong-method, auth and path-edge probes.

- **Sweep**: every known id of each path parameter is requested once through every safe operation it
  addresses, so each given id is requested and, when it exists, its body checked.
- **Wrong method**: every method a path does not declare (GET, POST, PUT, PATCH, DELETE) is sent to an id
  that exists; a 2xx means the server answers it like a declared one.
- **Auth**: every operation that needs credentials is asked without one, with a wrong one, and with the right one
  in a place its security schemes do not name (a bearer token for a query key ...), on an id that exists; it
  must refuse each.
- **Path edges**: ``..``, ``/``, ``%2F``, empty, very long and non-ASCII values (built on an existing id) for
  every safe operation: refused with an API error, or answered for exactly that id; never a 5xx or a hang.

Every probe's answer is judged: path-edge and auth probes by every check a fuzzed response gets (a ``..`` that
reaches another route and answers ``200`` with another schema is a schema finding, named after the probe), wrong
methods as schemathesis judges its own undeclared-method cases. Probes never lack an id: they use one the run knows
(a disposable one for ``DELETE``: the suite's own fixtures on our mock, ``--disposable-id``), else the spec's example,
else an id nothing has (a refusal is the expected answer either way). Writes follow the run's write policy
(:mod:`contract_tests.suite.writes`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from contract_tests.suite.categories import is_openai_error_body
from contract_tests.suite.checks import ContractFailure
from contract_tests.suite.direct import RESPONSE_CHECKS, Direct, Extra
from contract_tests.suite.records import Received
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts, is_json_media_type
from contract_tests.suite.steering import ABSENT_ID, IdPools
from tokenops.spec import Placement

__all__ = ["PROBE_METHODS", "WRONG_KEY", "ProbeViolation", "edge_values", "run_probes", "sweep"]

PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRONG_KEY = "sk-tokenops-conformance-wrong-key"
LONG_ID_LENGTH = 3000


class ProbeViolation(ContractFailure):
    code: ClassVar[str] = "TK904"
    kind_title: ClassVar[str] = "The server mishandles a probe"


def edge_values(existing: str) -> list[tuple[str, str, str]]:
    """(name, raw path segment, the value a server decodes) for each path edge case around ``existing``."""
    quoted = urllib.parse.quote(existing, safe="")
    non_ascii = f"{existing}-视频-é"
    return [
        ("dot-dot", "%2E%2E", ".."),
        ("slash", "%2F", "/"),
        ("encoded-slash", f"{quoted}%2F", f"{existing}/"),
        ("trailing-slash", f"{quoted}/", f"{existing}/"),
        ("empty", "", ""),
        ("very-long", quoted + "a" * LONG_ID_LENGTH, existing + "a" * LONG_ID_LENGTH),
        ("non-ascii", urllib.parse.quote(non_ascii, safe=""), non_ascii),
    ]


def _refusal_expected(label: str, what: str, key: str) -> Callable[[Received], ProbeViolation | None]:
    """A probe that must be refused: a 2xx fails; a non-API refusal fails (it becomes a root-cause finding)."""

    def expect(received: Received) -> ProbeViolation | None:
        if 200 <= received.status < 300:  # noqa: PLR2004
            return ProbeViolation(
                operation=label,
                title=f"Server accepts {what}",
                message=f"{what}: answered {received.status} instead of refusing",
                key=key,
                evidence={"status": received.status},
            )
        if received.status >= 400 and received.content.strip() and not is_openai_error_body(received.content):  # noqa: PLR2004
            media = received.header("content-type") or ""
            if not is_json_media_type(media.split(";", 1)[0].strip()):
                return ProbeViolation(
                    operation=label,
                    title="Refusal is not an API error response",
                    message=f"{what}: {received.status} {media or 'without a content type'}",
                    key=f"refusal-format:{key}",
                    evidence={"status": received.status, "content_type": media},
                )
        return None

    return expect


def _same_or_refused(facts: OperationFacts, name: str, asked: str) -> Callable[[Received], ProbeViolation | None]:
    """A path-edge probe: refused with an API error, or answered for exactly the id asked."""
    refused = _refusal_expected(facts.label, f"the path edge case {name!r}", f"edge:{name}")

    def expect(received: Received) -> ProbeViolation | None:
        if not 200 <= received.status < 300:  # noqa: PLR2004
            failure = refused(received)
            return failure if failure is not None and failure.key.startswith("refusal-format") else None
        import json  # noqa: PLC0415

        try:
            body: Any = json.loads(received.content)
        except ValueError:
            return None
        got = body.get("id") if isinstance(body, dict) else None
        if facts.addressed_by and isinstance(got, str) and got not in (asked, asked.rstrip("/")):
            return ProbeViolation(
                operation=facts.label,
                title="Path edge case answered for a different id",
                message=f"edge case {name!r}: asked for {asked[:80]!r}, got id={got!r}",
                key=f"edge-id:{name}",
                evidence={"asked": asked[:200], "got": got},
            )
        return None

    return expect


def _known_ids(names: tuple[str, ...], pools: IdPools, *, destructive: bool) -> dict[str, str] | None:
    """A known id for each path parameter in ``names`` (disposable ones for a DELETE); None if one is missing."""
    values: dict[str, str] = {}
    for name in names:
        value = pools.first(name, destructive=destructive)
        if value is None:
            return None
        values[name] = value
    return values


def _existing(facts: OperationFacts, pools: IdPools) -> dict[str, str] | None:
    return _known_ids(facts.path_params, pools, destructive=facts.destructive)


def _documented_value(facts: OperationFacts, name: str) -> str | None:
    """The spec's own value for a path parameter (``example``, ``examples``, ``default``, ``const``, ``enum``)."""
    if facts.model is None:
        return None
    for parameter in facts.model.params("path"):
        if parameter.name != name:
            continue
        schema = parameter.schema
        for value in (
            schema.get("example"),
            *(schema.get("examples") or ()),
            schema.get("default"),
            schema.get("const"),
        ):
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and isinstance(enum[0], str | int):
            return str(enum[0])
    return None


def _usable_ids(facts: OperationFacts, pools: IdPools, *, destructive: bool) -> dict[str, str]:
    """An id for every path parameter that the run may use in a request expected to be refused: a known id (a
    disposable one for a DELETE), else the spec's example value (not for a DELETE), else :data:`ABSENT_ID` (an id
    nothing has: the answer must be a refusal either way, a 404 as good as the 401 or 405 the probe asks for)."""
    values: dict[str, str] = {}
    for name in facts.path_params:
        value = pools.first(name, destructive=destructive) or (None if destructive else _documented_value(facts, name))
        values[name] = value or ABSENT_ID
    return values


def sweep(direct: Direct, spec: SpecFacts, pools: IdPools, readable: dict[str, list[str]]) -> None:
    """Request every id in ``readable`` once through each safe operation with that path parameter."""
    for facts in spec.operations.values():
        if not facts.safe or not facts.path_params:
            continue
        base = _existing(facts, pools) or {}
        for name in facts.path_params:
            for value in readable.get(name, []):
                direct.send(facts, phase="sweep", path_params={**base, name: value})


def _wrong_methods(spec: SpecFacts) -> Iterator[tuple[OperationFacts, str]]:
    by_path: dict[str, list[OperationFacts]] = {}
    for facts in spec.operations.values():
        by_path.setdefault(facts.path, []).append(facts)
    # What a path declares is read from the whole spec: the run may test a few of its operations (``--operation``).
    declared_at: dict[str, set[str]] = {}
    for operation in spec.model.operations:
        declared_at.setdefault(operation.path, set()).add(operation.method)
    for path, declared in by_path.items():
        anchor = declared[0]
        if not anchor.path_params:
            continue
        methods = declared_at.get(path, set()) | {facts.method for facts in declared}
        for method in PROBE_METHODS:
            if method not in methods:
                yield anchor, method


def run_probes(direct: Direct, spec: SpecFacts, pools: IdPools) -> list[str]:
    """Send the wrong-method, auth and path-edge probes; returns notes on probes that had to be skipped."""
    notes = list(_wrong_method_probes(direct, spec, pools))
    _auth_probes(direct, spec, pools)
    return notes + list(_edge_probes(direct, spec, pools))


def _wrong_method_probes(direct: Direct, spec: SpecFacts, pools: IdPools) -> Iterator[str]:
    """Every method a path does not declare, on ids the run may use; checked as schemathesis checks its own
    undeclared-method cases (no server error), plus: refused, with an API error."""
    policy = direct.writes
    for anchor, method in _wrong_methods(spec):
        if policy is not None and not policy.allowed and policy.writes(anchor, method):
            yield f"wrong-method probe {method} {anchor.path} skipped: writes not allowed"
            continue
        what = f"{method} on {anchor.path}, a method the spec does not declare there"
        extra: Extra = ("undeclared_method_refused", _refusal_expected(anchor.label, what, f"method:{method}"))
        direct.send(
            anchor,
            phase="probes",
            method=method,
            path_params=_usable_ids(anchor, pools, destructive=method == "DELETE"),
            body={} if method in ("POST", "PUT", "PATCH") else None,
            checks=["not_a_server_error"],
            extras=[extra],
            probe=f"wrong method {method}",
        )


def _auth_probes(direct: Direct, spec: SpecFacts, pools: IdPools) -> None:
    """Each operation that needs credentials, without them, with wrong ones and with the right ones misplaced."""
    policy = direct.writes
    for facts in spec.operations.values():
        if not facts.requires_auth or (policy is not None and not policy.operation_may_write(facts)):
            continue  # an operation the run does not test at all is listed as such
        known = _usable_ids(facts, pools, destructive=facts.destructive)
        misplaced = direct.credentials.wrong_place(facts.model) if direct.credentials and facts.model else None
        probes: list[tuple[Placement, str, str]] = [
            (Placement(), "a request without a key", "no-key"),
            (direct.auth(facts, WRONG_KEY), "a wrong key", "wrong-key"),
        ]
        if misplaced is not None:
            where = ", ".join([*misplaced.headers, *(f"query {name}" for name in misplaced.query)])
            probes.append((misplaced, f"the right key in the wrong place ({where})", "wrong-place"))
        for credentials, what, key in probes:
            direct.send(
                facts,
                phase="probes",
                path_params=known,
                credentials=credentials,
                checks=RESPONSE_CHECKS,
                extras=[("auth_enforced", _refusal_expected(facts.label, what, f"auth:{key}"))],
                probe=f"auth {key}",
            )


def _edge_probes(direct: Direct, spec: SpecFacts, pools: IdPools) -> Iterator[str]:
    """Path edge cases around a known id for each safe operation, checked like every response (a ``..`` that reaches
    another route and answers 200 with another schema is a schema finding, named after the probe)."""
    for facts in spec.operations.values():
        if not facts.safe or not facts.path_params:
            continue
        existing = _existing(facts, pools)
        if existing is None:
            yield f"path-edge probes for {facts.label} skipped: no known id"
            continue
        name = facts.addressed_by or facts.path_params[-1]
        for edge, raw, decoded in edge_values(existing[name]):
            direct.send(
                facts,
                phase="probes",
                path_params={**existing, name: decoded},
                raw_path_params={name: raw},
                extras=[("path_edge_handled", _same_or_refused(facts, edge, decoded))],
                probe=f"path edge {edge!r}",
            )
