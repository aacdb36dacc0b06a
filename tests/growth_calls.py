"""Every operation of the generated client, called through the overlay's low-level path against the mock over TCP.

``python -m tests.growth_calls`` (``scripts/growth_check.py`` runs it in a copy of the repository that took new
vendor pages). Nothing here names an operation: everything comes from the spec model (:mod:`tokenops.spec`).

- **Values** valid for each operation: path parameters of a stateful resource of the mock get a fresh completed
  job; any other value comes from the spec's examples (media-type examples first), defaults, ``const``, enums,
  then types; ``oneOf``/``anyOf`` take their first variant, with the discriminator's value set to match it.
  Enum parameters are passed as the generated enum the function declares.
- **Streaming**: an operation that documents ``text/event-stream`` is also called with ``stream=True`` (or
  streams by itself) and every event is read and parsed.
- **Lists**: a list operation (the spec model's ``Operation.pagination``) is called with a small page size and
  returns its first page; every page is walked and every item parsed.
- **Every auth scheme**: an operation whose security has several alternatives is called once per alternative,
  with a client holding only that alternative's credentials (so each place a key can go is used).
- **Documented errors**: a documented 400 is provoked with an empty request body; a documented 401 with a wrong
  key; each must raise the documented error class with the server's message.
- **Redaction**: every log record of ``tokenops``, ``httpx`` and ``httpcore`` (at DEBUG), every error message and
  every error's request is checked for the credentials: none may appear.

Exit 0 when every call succeeded, else 1.
"""

from __future__ import annotations

import copy
import enum
import logging
import sys
import tempfile
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from contract_tests._paths import spec_path
from contract_tests.mock.process import mock_process
from tokenops import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Download,
    Page,
    Stream,
    TokenOps,
    TokenOpsError,
    operations,
    spec,
)
from tokenops_client.types import Endpoint

KEY = "sk-growth-calls-7f3e"
WRONG = "sk-growth-calls-wrong-0000"
_STATUS_ERRORS: dict[int, type[APIStatusError]] = {400: BadRequestError, 401: AuthenticationError}
LIST_PAGE_SIZE = 4  # a list operation is called with this page size: its walk takes several pages


class _Values:
    """Values from schemas: examples, defaults, const, enums, then types; unions by their first variant."""

    def __init__(self, model: spec.Spec) -> None:
        self.model = model

    def resolve(self, node: Any) -> Any:
        try:
            return self.model.resolve(node)[0]
        except spec.SpecError:
            return {}

    def of(self, schema: Any, depth: int = 0) -> Any:  # noqa: PLR0911, PLR0912 - one answer per JSON type
        schema = self.resolve(schema)
        if not isinstance(schema, Mapping):
            return None
        for key in ("const", "example", "default"):
            if key in schema:
                return copy.deepcopy(schema[key])
        if schema.get("examples"):
            return copy.deepcopy(schema["examples"][0])
        if schema.get("enum"):
            return schema["enum"][0]
        for union in ("oneOf", "anyOf"):
            if schema.get(union):
                return self._variant(schema, union, depth)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.of(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        kind = schema.get("type")
        kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
        if kind == "string":
            return b"growth check file" if schema.get("format") == "binary" else "growth check"
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return float(schema.get("minimum", 1))
        if kind == "boolean":
            return False
        if kind == "array":
            return [self.of(schema.get("items", {}), depth + 1)] if depth < 6 else []
        required = set(schema.get("required", []))
        properties = schema.get("properties", {})
        return {name: self.of(prop, depth + 1) for name, prop in properties.items() if name in required}

    def _variant(self, schema: Mapping[str, Any], union: str, depth: int) -> Any:
        first = schema[union][0]
        value = self.of(first, depth + 1)
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, Mapping) and isinstance(value, dict):
            name = discriminator.get("propertyName")
            mapping = discriminator.get("mapping") or {}
            ref = first.get("$ref") if isinstance(first, Mapping) else None
            tag = next((key for key, target in mapping.items() if target == ref), None)
            if name and tag is not None:
                value[name] = tag
        return value


def _as_declared(function: Any, name: str, value: Any) -> Any:
    """``value`` as the type the generated function declares for ``name`` (an enum member for an enum)."""
    hint = typing.get_type_hints(function).get(name)
    for member in typing.get_args(hint) or (hint,):
        if isinstance(member, type) and issubclass(member, enum.Enum):
            return member(value)
    return value


class _Raw:
    """A request body as the generated builder reads it (``to_dict()``), with any content: an invalid one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


class Caller:
    """Builds the arguments of each operation and calls it; counts failures."""

    def __init__(self, model: spec.Spec, control: httpx.Client, stateful: set[str]) -> None:
        self.model = model
        self.values = _Values(model)
        self.control = control
        self.stateful = stateful
        self.failures = 0
        self.calls = 0

    def new_job(self) -> str:
        job = self.control.post("/_mock/jobs", json={"pending_seconds": 0, "running_seconds": 0}).json()
        return str(job["id"])

    def arguments(self, endpoint: Endpoint, operation: spec.Operation, *, valid_body: bool = True) -> dict[str, Any]:
        names = {**endpoint.path_parameters, **endpoint.query_parameters, **endpoint.header_parameters}
        arguments: dict[str, Any] = {}
        for parameter in operation.parameters:
            python_name = names.get(parameter.name)
            if python_name is None:
                continue
            documented = copy.deepcopy(parameter.examples[0]) if parameter.examples else None
            if parameter.location == "path" and operation.name in self.stateful:
                value = self.new_job()
            elif parameter.location == "path" or parameter.required:
                value = documented if documented is not None else self.values.of(parameter.schema)
            else:
                continue
            arguments[python_name] = _as_declared(endpoint.build_request, python_name, value)
        limit = operation.pagination.limit_parameter if operation.pagination is not None else None
        if limit is not None and limit in endpoint.query_parameters:  # several pages to walk
            arguments[endpoint.query_parameters[limit]] = LIST_PAGE_SIZE
        if endpoint.bodies:
            content_type, _, body_type = endpoint.bodies[0]
            content = operation.request_body.content(content_type) if operation.request_body else None
            if not valid_body:  # the generated builder calls to_dict(): an empty object the server must refuse
                arguments["body"] = _Raw({})
                return arguments
            body: Any = {}
            if content is not None:
                body = copy.deepcopy(content.examples[0]) if content.examples else self.values.of(content.schema or {})
            arguments["body"] = body_type.from_dict(body) if hasattr(body_type, "from_dict") else body
        return arguments

    def check(self, label: str, action: Any) -> None:
        self.calls += 1
        try:
            detail = action()
        except Exception as exc:  # every failure is reported, then the next call runs
            self.failures += 1
            print(f"FAIL {label}: {type(exc).__name__}: {exc}")
        else:
            print(f"ok   {label}: {detail}")


def _describe(endpoint: Endpoint, result: Any) -> str:
    documented = endpoint.response_for(200)
    if isinstance(result, Download):
        with result:
            return f"{len(result.read())} bytes downloaded"
    if isinstance(result, Stream):
        with result:
            items = list(result)
        if not items:
            raise AssertionError("the stream ended without an event")
        return f"{len(items)} events ({type(items[0]).__name__})"
    if isinstance(result, Page):  # a list operation: every item of every page
        pages = list(result.iter_pages())
        listed = [item for page in pages for item in page.items]
        kinds = ", ".join(sorted({type(item).__name__ for item in listed})) or "no items"
        if (
            documented is not None
            and isinstance(documented.type, type)
            and not isinstance(result.body, documented.type)
        ):
            raise AssertionError(f"page body is {type(result.body).__name__}, expected {documented.type.__name__}")
        return f"{len(listed)} items over {len(pages)} page(s) ({kinds})"
    if documented is not None and isinstance(documented.type, type) and not isinstance(result, documented.type):
        raise AssertionError(f"got {type(result).__name__}, expected {documented.type.__name__}")
    return type(result).__name__


def _clients(base_url: str, operation: spec.Operation, model: spec.Spec) -> Iterator[tuple[str, TokenOps]]:
    """One client for the key everywhere; with several alternatives, one holding only each alternative's."""
    yield "", TokenOps(api_key=KEY, base_url=base_url)
    if len(operation.security.alternatives) > 1:
        for alternative in operation.security.alternatives:
            if alternative and all(model.security_schemes.get(name, None) for name in alternative):
                credentials = dict.fromkeys(alternative, KEY)
                yield f" [{' + '.join(alternative)}]", TokenOps(credentials=credentials, base_url=base_url)


def _errors(caller: Caller, endpoint: Endpoint, operation: spec.Operation, base_url: str, label: str) -> None:
    documented = {
        status for response in operation.responses if response.low == response.high for status in [response.low]
    }
    json_body = bool(endpoint.bodies) and endpoint.bodies[0][1] == "json"
    if 400 in documented and operation.body_required and json_body:

        def bad_request() -> str:
            with TokenOps(api_key=KEY, base_url=base_url, max_retries=0) as client:
                try:
                    client.operations.call(endpoint, **caller.arguments(endpoint, operation, valid_body=False))
                except BadRequestError as exc:
                    return f"documented 400 raised BadRequestError: {exc.error_message}"
            raise AssertionError("an empty body was accepted")

        caller.check(f"{label} (documented 400)", bad_request)
    if 401 in documented and operation.requires_auth:

        def unauthorized() -> str:
            credentials = dict.fromkeys(operation.security.schemes, WRONG)
            with TokenOps(credentials=credentials, base_url=base_url, max_retries=0) as client:
                try:
                    client.operations.call(endpoint, **caller.arguments(endpoint, operation))
                except AuthenticationError as exc:
                    return f"documented 401 raised AuthenticationError: {exc.error_message}"
            raise AssertionError("a wrong key was accepted")

        caller.check(f"{label} (documented 401)", unauthorized)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def main() -> int:
    model = spec.load(spec_path())
    records = _Records()
    for name in ("tokenops", "httpx", "httpcore"):
        logging.getLogger(name).addHandler(records)
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process(["--api-key", KEY, "--quiet"], log=Path(tmp) / "m.log") as mock,
    ):
        control = httpx.Client(base_url=mock.base_url, timeout=10)
        listing = control.get("/_mock/operations").json()["operations"]
        stateful = {row["operation_id"] or f"{row['method']} {row['path']}" for row in listing if row.get("stateful")}
        caller = Caller(model, control, stateful)
        for endpoint in operations.all_endpoints().values():
            operation = model.find(endpoint.method, endpoint.path)
            label = f"{endpoint.method} {endpoint.path}"
            if operation is None:
                caller.check(label, lambda: (_ for _ in ()).throw(AssertionError("not in the spec")))
                continue
            for suffix, client in _clients(mock.base_url, operation, model):
                with client:
                    caller.check(
                        label + suffix,
                        lambda c=client, e=endpoint, o=operation: _describe(
                            e, c.operations.call(e, **caller.arguments(e, o))
                        ),
                    )
                    media = next(
                        (c for r in operation.responses if r.success for c in r.contents if c.event_stream), None
                    )
                    only_streams = (
                        media is not None
                        and operation.streams_events
                        and all(c.event_stream for r in operation.responses if r.success for c in r.contents)
                    )
                    if media is not None and not only_streams and not suffix:
                        caller.check(
                            f"{label} (stream=True)",
                            lambda c=client, e=endpoint, o=operation: _describe(
                                e, c.operations.call(e, stream=True, **caller.arguments(e, o))
                            ),
                        )
            try:
                _errors(caller, endpoint, operation, mock.base_url, label)
            except TokenOpsError as exc:
                texts.append(str(exc))
        control.close()
    leaks = [line for line in [*records.lines, *texts] if KEY in line or WRONG in line]
    caller.calls += 1
    if leaks:
        caller.failures += 1
        print(f"FAIL redaction: a credential appears in {len(leaks)} log line(s), e.g. {leaks[0][:160]!r}")
    else:
        print(f"ok   redaction: no credential in {len(records.lines)} log records of tokenops, httpx and httpcore")
    count = len(operations.all_endpoints())
    print(f"{caller.calls - caller.failures} of {caller.calls} calls passed ({count} operations)")
    return 1 if caller.failures else 0


if __name__ == "__main__":
    sys.exit(main())
