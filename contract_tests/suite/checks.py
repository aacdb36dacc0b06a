"""The suite's own checks, registered with schemathesis (``@schemathesis.check``); each decides from the spec
where it applies.

Semantic checks (the answer makes sense for the request):

- ``response_id_matches_request``: for any operation whose last path segment is a parameter and whose 2xx
  schema has an ``id`` property, the body's ``id`` is the requested one.
- ``progress_in_range``, ``status_implies_fields``, ``timestamps_ordered``: wherever a lifecycle resource (a
  schema with a ``status`` enum, rules in :mod:`contract_tests.suite.resources`) appears in a 2xx JSON body.

Client-reality checks (our ``tokenops`` client reads what the server sends): ``client_tolerant_parse`` and
``client_strict_parse`` parse each 2xx JSON body with the generated response type of that operation and
status (``tokenops.operations.find(...)``, ``tokenops.parse_model``).

Schemathesis records a check that returns ``True`` as *skipped* and one that returns ``None`` as *passed*;
these checks return :data:`NOT_APPLICABLE` (``True``) when they do not apply and ``None`` when they ran and
held, so the suite's evidence matrix counts what really ran. A failure is a :class:`ContractFailure` with a
stable ``key`` (field and kind of problem, never volatile values; schemathesis identifies the failure by it, see
:mod:`contract_tests.suite._schemathesis_private`) and an ``evidence`` mapping (field path, value, asked vs got)
for the reports.

``schemathesis run`` with the repo's ``schemathesis.toml`` loads this module (``hooks``), so plain schemathesis
runs these checks too.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Final

import attrs
import schemathesis

from contract_tests.suite._schemathesis_private import KeyedFailure
from contract_tests.suite.resources import Lifecycle, rules_for
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts, facts_for, is_json_media_type
from tokenops import ResponseValidationError, operations, parse_model

__all__ = [
    "CLIENT_CHECKS",
    "NOT_APPLICABLE",
    "REGISTERED",
    "SEMANTIC_CHECKS",
    "SUITE_CHECKS",
    "ClientIncompatibility",
    "ContractFailure",
    "Reply",
    "SemanticViolation",
    "reply_from",
]

NOT_APPLICABLE: Final = True


class ContractFailure(KeyedFailure):
    """A failure of one of our checks. ``key`` is its stable identity within the check."""

    code: ClassVar[str] = "TK900"
    kind_title: ClassVar[str] = "Contract check failed"

    def __init__(
        self, *, operation: str | None, title: str, message: str, key: str, evidence: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(operation=operation, title=title, message=message, key=key)
        self.evidence = dict(evidence or {})


class SemanticViolation(ContractFailure):
    code: ClassVar[str] = "TK901"
    kind_title: ClassVar[str] = "Response does not make sense for the request"


class ClientIncompatibility(ContractFailure):
    code: ClassVar[str] = "TK902"
    kind_title: ClassVar[str] = "Our client cannot read the response"


_NO_JSON: Final = object()


@attrs.frozen
class Reply:
    """One response with what the checks need: the operation's facts, what was asked, what came back."""

    facts: OperationFacts
    spec: SpecFacts
    method: str
    path_params: Mapping[str, Any]
    status: int
    media_type: str | None
    content: bytes

    @property
    def ordinary(self) -> bool:
        """Sent with the operation's own method (not a wrong-method probe)."""
        return self.method.upper() == self.facts.method

    @functools.cached_property
    def body(self) -> Any:
        """The decoded JSON of an ordinary 2xx JSON response, else the ``_NO_JSON`` marker."""
        if not (self.ordinary and 200 <= self.status < 300 and is_json_media_type(self.media_type)):  # noqa: PLR2004
            return _NO_JSON
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):
            return _NO_JSON


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None and hasattr(headers, "get"):
        value = headers.get(name.title())
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def reply_from(case: Any, response: Any) -> Reply | None:
    """A :class:`Reply` for a schemathesis case and response; None when the spec has no such operation."""
    if case is None or case.operation is None:
        return None
    spec = facts_for(case.operation.schema.raw_schema)
    facts = spec.operation(str(case.operation.label))
    if facts is None:
        return None
    return Reply(
        facts=facts,
        spec=spec,
        method=str(case.method or facts.method),
        path_params=dict(case.path_parameters or {}),
        status=int(response.status_code),
        media_type=_header(response.headers, "content-type"),
        content=response.content or b"",
    )


CheckBody = Callable[[Reply], bool | None]


def _registered(function: CheckBody) -> Callable[[Any, Any, Any], bool | None]:
    """Adapt a check on a :class:`Reply` to schemathesis' ``(ctx, response, case)`` and register it."""

    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        reply = reply_from(case, response)
        return NOT_APPLICABLE if reply is None else function(reply)

    check.__name__ = function.__name__
    check.__doc__ = function.__doc__
    registered: Callable[[Any, Any, Any], bool | None] = schemathesis.check(check)
    return registered


def _semantic(reply: Reply, title: str, message: str, key: str, **evidence: Any) -> SemanticViolation:
    return SemanticViolation(operation=reply.facts.label, title=title, message=message, key=key, evidence=evidence)


def response_id_matches_request(reply: Reply) -> bool | None:
    """The body's ``id`` is the id the path asked for (operations addressed by a path parameter)."""
    name = reply.facts.addressed_by
    body = reply.body
    if name is None or not reply.facts.id_property or not isinstance(body, dict) or "id" not in body:
        return NOT_APPLICABLE
    asked = reply.path_params.get(name)
    if asked is None:
        return NOT_APPLICABLE
    # A value schemathesis took from an example may be recorded percent-encoded (as sent); the server decodes it.
    if body["id"] not in (str(asked), urllib.parse.unquote(str(asked))):
        raise _semantic(
            reply,
            "Response id differs from the requested id",
            f"asked for {name}={str(asked)!r}, got id={body['id']!r}",
            "id",
            field="id",
            asked=str(asked),
            got=body["id"],
        )
    return None


def _resources(reply: Reply) -> Iterator[tuple[str, dict[str, Any], Lifecycle, Mapping[str, Any]]]:
    """(JSON path, object, its lifecycle rules, its schema's properties) for each lifecycle resource in the body."""
    body = reply.body
    if body is _NO_JSON:
        return
    for site in reply.facts.resource_sites:
        rules = rules_for(reply.spec.lifecycle_schemas.get(site.schema_name, ()))
        if rules is None:
            continue
        schema = reply.spec.resolve({"$ref": f"#/components/schemas/{site.schema_name}"})
        properties = schema.get("properties") or {} if isinstance(schema, dict) else {}
        for path, obj in site.locate(body):
            yield path, obj, rules, properties


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _where(path: str, field: str) -> str:
    return field if path == "(body)" else f"{path}.{field}"


def progress_in_range(reply: Reply) -> bool | None:
    """A lifecycle resource's progress lies within its schema's ``minimum``..``maximum``."""
    ran = False
    for path, obj, rules, properties in _resources(reply):
        value = obj.get(rules.progress) if rules.progress else None
        if rules.progress is None or not _is_number(value):
            continue  # absent or not a number: the schema check's business
        ran = True
        bounds = reply.spec.resolve(properties.get(rules.progress)) or {}
        low, high = bounds.get("minimum", -math.inf), bounds.get("maximum", math.inf)
        if not low <= value <= high:
            raise _semantic(
                reply,
                f"{rules.progress.capitalize()} outside {low:g}-{high:g}",
                f"{_where(path, rules.progress)} is {value!r}",
                f"{rules.progress}-range",
                field=_where(path, rules.progress),
                value=value,
            )
    return None if ran else NOT_APPLICABLE


def status_implies_fields(reply: Reply) -> bool | None:
    """Each state's required fields are set (``completed`` has ``completed_at`` and full progress, ...)."""
    ran = False
    for path, obj, rules, properties in _resources(reply):
        state = obj.get("status")
        if not isinstance(state, str) or (state not in rules.requires and state not in rules.values):
            continue
        ran = True
        for field in rules.requires.get(state, ()):
            if obj.get(field) is None:
                raise _semantic(
                    reply,
                    f"{state.capitalize()} {rules.name} without {field}",
                    f"{_where(path, 'status')} is {state!r} but {_where(path, field)} is {obj.get(field)!r}",
                    f"{state}:{field}",
                    field=_where(path, field),
                    value=obj.get(field),
                )
        for field, expected in rules.values.get(state, {}).items():
            want = (reply.spec.resolve(properties.get(field)) or {}).get("maximum") if expected == "max" else expected
            if want is not None and obj.get(field) != want:
                raise _semantic(
                    reply,
                    f"{state.capitalize()} {rules.name} with {field} {obj.get(field)!r}",
                    f"{_where(path, 'status')} is {state!r} but {_where(path, field)} is {obj.get(field)!r}"
                    f" (expected {want!r})",
                    f"{state}:{field}={want}",
                    field=_where(path, field),
                    value=obj.get(field),
                )
    return None if ran else NOT_APPLICABLE


def timestamps_ordered(reply: Reply) -> bool | None:
    """A lifecycle resource's timestamps are in order (``created_at <= completed_at <= expires_at``)."""
    ran = False
    for path, obj, rules, _properties in _resources(reply):
        present = [(name, obj[name]) for name in rules.timestamps if _is_number(obj.get(name))]
        if len(present) < 2:  # noqa: PLR2004
            continue
        ran = True
        for (earlier, a), (later, b) in itertools.pairwise(present):
            if a > b:
                raise _semantic(
                    reply,
                    "Timestamps out of order",
                    f"{_where(path, earlier)}={a} > {_where(path, later)}={b}",
                    f"{earlier}>{later}",
                    field=_where(path, later),
                    value=b,
                )
    return None if ran else NOT_APPLICABLE


@functools.lru_cache(maxsize=256)
def _response_type(label: str, status: int) -> Any:
    """The generated type the client parses this operation's ``status`` body into; None when it has none."""
    try:
        endpoint = operations.find(label)
    except KeyError:
        return None
    spec = endpoint.response_for(status)
    if spec is None or spec.source != "json" or not isinstance(spec.type, type) or not hasattr(spec.type, "from_dict"):
        return None
    return spec.type


def _client_parse(reply: Reply, *, strict: bool) -> bool | None:
    body = reply.body
    target = _response_type(reply.facts.label, reply.status) if body is not _NO_JSON else None
    if target is None:
        return NOT_APPLICABLE
    try:
        parse_model(target, body, strict=strict)
    except ResponseValidationError as exc:
        mode = "strict" if strict else "tolerant"
        why = str(exc).split(" (got ", 1)[0]
        raise ClientIncompatibility(
            operation=reply.facts.label,
            title="The generated model rejects what the server sends"
            if strict
            else "Tolerant client rejects the response",
            message=f"{exc} [tokenops.parse_model({target.__name__}, strict={strict}) raises ResponseValidationError]",
            key=f"{mode}:{exc.field}:{why.removeprefix(f'field {exc.field!r} ')[:60]}"
            if strict
            else f"{mode}:{why[:60]}",
            evidence={"field": exc.field or "(body)", "value": exc.value, "model": target.__name__},
        ) from None
    return None


def client_tolerant_parse(reply: Reply) -> bool | None:
    """Our client in its default (tolerant) mode reads the 2xx JSON body without raising."""
    return _client_parse(reply, strict=False)


def client_strict_parse(reply: Reply) -> bool | None:
    """Our client in strict mode (the generated model exactly as specified) accepts the 2xx JSON body."""
    return _client_parse(reply, strict=True)


# The same functions, adapted to schemathesis and registered (by name) for every run that imports this module.
REGISTERED: dict[str, Callable[[Any, Any, Any], bool | None]] = {
    function.__name__: _registered(function)
    for function in (
        response_id_matches_request,
        progress_in_range,
        status_implies_fields,
        timestamps_ordered,
        client_tolerant_parse,
        client_strict_parse,
    )
}
SEMANTIC_CHECKS = ("response_id_matches_request", "progress_in_range", "status_implies_fields", "timestamps_ordered")
CLIENT_CHECKS = ("client_tolerant_parse", "client_strict_parse")
SUITE_CHECKS = SEMANTIC_CHECKS + CLIENT_CHECKS
