"""Checks on real traffic that schemathesis does not make: the request an application sent, and each event of a
server-sent event stream.

- ``request_operation_known``: the method and path are an operation of the spec.
- ``request_conformance``: the request carries the credentials its operation requires, its path, query and header
  parameters and its body are what the spec allows (a required parameter or body present, a documented media
  type, values valid against their schemas). Text values (a query parameter, a header) are read as the type
  their schema asks for (``?n=3`` is the integer 3), as a server reads them.
- ``event_schema_conformance``: each event of a ``text/event-stream`` response whose event schema the spec gives
  as ``x-event-schema`` carries data valid against it; ``[DONE]`` ends a stream. (An event schema in OpenAPI
  3.2's form, ``data`` with ``contentSchema``, schemathesis checks itself, event by event, in
  ``response_schema_conformance``: checking it here too would report one bad event twice.)

A failure is one :class:`~contract_tests.suite.checks.ContractFailure` with a stable key (where and what kind of
problem, never the value), so a million requests with the same mistake are one finding. ``request_*`` failures
are *client nonconformance* (:mod:`contract_tests.suite.categories`): the application is at fault, not the server.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract_tests.cassette import Exchange
from contract_tests.suite.checks import ContractFailure, SemanticViolation
from tokenops.spec import (
    MediaType,
    Operation,
    Parameter,
    SecurityScheme,
    Spec,
    escape_token,
    is_event_stream,
    is_json,
    media_essence,
    typed_text,
)
from tokenops.sse import EventTooLarge, SSEDecoder

__all__ = [
    "EVENT_CHECK",
    "REQUEST_CONFORMANCE",
    "REQUEST_OPERATION",
    "ClientNonconformance",
    "WireChecks",
]

REQUEST_OPERATION: Final = "request_operation_known"
REQUEST_CONFORMANCE: Final = "request_conformance"
EVENT_CHECK: Final = "event_schema_conformance"
_URN = "urn:tokenops-traffic:spec"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_DONE = "[DONE]"


class ClientNonconformance(ContractFailure):
    code: ClassVar[str] = "TK904"
    kind_title: ClassVar[str] = "The client sent what the spec does not allow"


def _field(error: ValidationError) -> str:
    """The JSON path of a validation error, array indices as ``[*]`` (one finding for every index)."""
    path = ""
    for part in error.absolute_path:
        path += "[*]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required" and isinstance(error.instance, Mapping):
        wanted: Any = error.validator_value
        missing = next((str(name) for name in wanted if name not in error.instance), "")
        path = f"{path}.{missing}" if path and missing else missing or path
    return path or "(body)"


class WireChecks:
    """The request and event checks for one spec (validators built once per schema)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        resource: Resource[Any] = Resource.from_contents(dict(spec.document), default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_URN, resource)

    @functools.cache  # noqa: B019 - one WireChecks per checker, kept for its life
    def _validator(self, pointer: str) -> Draft202012Validator:
        ref = f"{_URN}#{urllib.parse.quote(pointer, safe='/~')}"
        return Draft202012Validator({"$ref": ref}, registry=self._registry)

    def _error(self, pointer: str, instance: Any) -> ValidationError | None:
        found: ValidationError | None = best_match(self._validator(pointer).iter_errors(instance))
        return found

    # -- the request ---------------------------------------------------------------------------------------------

    def request(
        self, operation: Operation, exchange: Exchange, path_params: Mapping[str, str]
    ) -> ClientNonconformance | None:
        """The first way the request breaks the spec, or None when it conforms."""
        label = operation.key
        problem = (
            self._credentials(operation, exchange)
            or self._parameters(operation.params("path"), {k: [v] for k, v in path_params.items()}, "path")
            or self._parameters(
                operation.params("query"), urllib.parse.parse_qs(exchange.query, keep_blank_values=True), "query"
            )
            or self._parameters(
                tuple(p for p in operation.params("header")),
                _grouped((name, value) for name, value in exchange.request_headers),
                "header",
            )
            or self._body(operation, exchange)
        )
        if problem is None:
            return None
        key, title, message, evidence = problem
        return ClientNonconformance(operation=label, title=title, message=message, key=key, evidence=evidence)

    def _credentials(self, operation: Operation, exchange: Exchange) -> _Problem | None:
        if not operation.security.required:
            return None
        query = urllib.parse.parse_qs(exchange.query, keep_blank_values=True)
        cookies = exchange.request_header("cookie") or ""
        authorization = (exchange.request_header("authorization") or "").lower()
        for alternative in operation.security.alternatives:
            schemes = [self.spec.security_schemes.get(name) for name in alternative]
            if all(scheme is not None and not scheme.supported for scheme in schemes):
                return None  # a scheme the model cannot place (OAuth2 flows...): nothing to judge
            if all(
                scheme is not None
                and _carries(scheme, exchange, query=query, cookies=cookies, authorization=authorization)
                for scheme in schemes
            ):
                return None
        wanted = " or ".join(
            " + ".join(
                self.spec.security_schemes[name].describe() if name in self.spec.security_schemes else name
                for name in alternative
            )
            for alternative in operation.security.alternatives
        )
        return (
            "credentials:missing",
            "Request without the credentials the operation requires",
            f"{operation.key} requires {wanted}; the request carried none",
            {"field": "credentials", "rule": wanted},
        )

    def _parameters(self, params: Sequence[Parameter], given: Mapping[str, list[str]], where: str) -> _Problem | None:
        for param in params:
            name = param.name.lower() if where == "header" else param.name
            values = given.get(name)
            if not values:
                if param.required:
                    return (
                        f"{where}:{param.name}:missing",
                        f"Required {where} parameter {param.name!r} missing",
                        f"the spec requires the {where} parameter {param.name!r}; the request has none",
                        {"field": f"{where}.{param.name}"},
                    )
                continue
            if param.trivial or not param.pointer:
                continue
            schema = param.schema
            if schema.get("type") == "array":
                items = self.spec.resolve(schema.get("items") or {})[0]
                parts = [part for value in values for part in (value.split(",") if not param.explode else [value])]
                value: Any = [typed_text(items if isinstance(items, Mapping) else {}, part) for part in parts]
            else:
                value = typed_text(schema, values[-1])
            error = self._error(param.pointer, value)
            if error is not None:
                return (
                    f"{where}:{param.name}:{error.validator}",
                    f"Invalid {where} parameter {param.name!r}",
                    f"{param.name}={values[-1][:100]!r}: {error.message[:200]}",
                    {"field": f"{where}.{param.name}", "value": values[-1][:100], "rule": str(error.validator)},
                )
        return None

    def _body(self, operation: Operation, exchange: Exchange) -> _Problem | None:
        raw = exchange.request_body
        if not operation.bodies:
            return None
        if not raw and exchange.request_complete:
            if operation.body_required:
                return ("body:missing", "Required request body missing", "the spec requires a body", {"field": "body"})
            return None
        media = media_essence(exchange.request_header("content-type"))
        spec = next((body for body in operation.bodies if media_essence(body.media_type) == media), None)
        if spec is None:
            accepted = ", ".join(body.media_type for body in operation.bodies)
            return (
                "body:media-type",
                "Request body in a media type the operation does not take",
                f"Content-Type {media or '(none)'!r}; the spec accepts {accepted}",
                {"field": "content-type", "value": media, "rule": accepted},
            )
        if not exchange.request_complete or not is_json(media) or spec.pointer is None:
            return None  # forms and binary bodies: the media type is what the spec says; their fields are not read
        return self._json_body(spec, raw)

    def _json_body(self, spec: MediaType, raw: bytes) -> _Problem | None:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return ("body:not-json", "Request body is not JSON", "the body does not parse as JSON", {"field": "body"})
        assert spec.pointer is not None  # noqa: S101 - checked by the caller
        error = self._error(spec.pointer, body)
        if error is None:
            return None
        field = _field(error)
        return (
            f"body:{field}:{error.validator}",
            f"Invalid request body: {field}",
            f"{field}: {error.message[:200]}",
            {"field": field, "value": error.instance, "rule": str(error.validator)},
        )

    # -- event streams -------------------------------------------------------------------------------------------

    def events(
        self, operation: Operation, status: int, media_type: str | None, body: bytes
    ) -> SemanticViolation | None:
        """The first event of a stream whose data breaks the event schema; None when every event conforms or the
        response is no documented event stream."""
        response = operation.response_for(status)
        content = response.content(media_type) if response is not None and is_event_stream(media_type) else None
        if response is None or content is None or content.item_pointer is None:
            return None
        raw = self.spec.resolve(self.spec.at(f"{operation.pointer}/responses/{escape_token(response.status)}"))[0]
        entry = ((raw.get("content") or {}) if isinstance(raw, Mapping) else {}).get(content.media_type)
        if not isinstance(entry, Mapping) or "x-event-schema" not in entry:
            return None  # OpenAPI 3.2's form: schemathesis checks each event (response_schema_conformance)
        decoder = SSEDecoder()
        try:
            events = [*decoder.feed(body), *decoder.close()]
        except EventTooLarge as exc:
            return _event_failure(operation, "event:too-large", "Event larger than the decoder takes", str(exc), {})
        for index, event in enumerate(events):
            if event.data == _DONE:
                continue
            try:
                data = json.loads(event.data)
            except ValueError:
                return _event_failure(
                    operation,
                    "event:not-json",
                    "Event data is not JSON",
                    f"event {index}: {event.data[:120]!r}",
                    {"field": f"event[{index}].data", "value": event.data[:120]},
                )
            error = self._error(content.item_pointer, data)
            if error is not None:
                field = _field(error)
                return _event_failure(
                    operation,
                    f"event:{field}:{error.validator}",
                    f"Event does not match its schema: {field}",
                    f"event {index}: {field}: {error.message[:200]}",
                    {"field": f"event[{index}].{field}", "value": error.instance, "rule": str(error.validator)},
                )
        return None


_Problem = tuple[str, str, str, dict[str, Any]]


def _event_failure(
    operation: Operation, key: str, title: str, message: str, evidence: Mapping[str, Any]
) -> SemanticViolation:
    return SemanticViolation(operation=operation.key, title=title, message=message, key=key, evidence=evidence)


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _carries(
    scheme: SecurityScheme,
    exchange: Exchange,
    *,
    query: Mapping[str, list[str]],
    cookies: str,
    authorization: str,
) -> bool:
    """The request carries a credential for ``scheme`` (its value is not judged: the server says if it is right)."""
    if scheme.type == "http":
        return authorization.startswith(f"{scheme.scheme} ") if scheme.scheme else bool(authorization)
    if scheme.type != "apiKey" or not scheme.parameter:
        return bool(authorization)  # oauth2 / openIdConnect: a bearer token
    if scheme.location == "header":
        return exchange.request_header(scheme.parameter) is not None
    if scheme.location == "query":
        return bool(query.get(scheme.parameter))
    return f"{scheme.parameter}=" in cookies
