"""Reading one API request against its operation: parameters and body, coerced and validated by the spec.

A request that breaks the spec gets a 400 in the OpenAI error format naming the field (``param``); a body
in a media type the operation does not take gets a 415. What passes becomes a :class:`Call` for a handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from contract_tests.mock._responses import Reply, api_error
from contract_tests.mock._schemas import Schemas, describe_error
from tokenops.spec import NO_DEFAULT, MediaType, Operation, Parameter, is_json, media_essence, typed_text

__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "Call", "Handler", "UploadedFile", "read_body", "read_call"]

MAX_BODY_BYTES = 256 * 1024  # JSON and other bodies
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # multipart/form-data (a reference image)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@attrs.frozen
class UploadedFile:
    """A file part of a multipart request (its bytes are not kept)."""

    filename: str
    content_type: str
    size: int


class Call:
    """A request that passed the spec's checks, as a handler sees it."""

    __slots__ = ("body", "fault", "files", "operation", "path", "query")

    def __init__(
        self,
        operation: Operation,
        path: dict[str, str],
        query: dict[str, Any] | None = None,
        body: Any = None,
        files: dict[str, UploadedFile] | None = None,
    ) -> None:
        self.operation = operation
        self.path = path  # path parameters, decoded
        self.query: dict[str, Any] = {} if query is None else query  # checked, with the spec's defaults
        self.body = body  # parsed JSON, form fields (files as their names), raw bytes, or None
        self.files: dict[str, UploadedFile] = {} if files is None else files
        self.fault: str | None = None  # a fault rule's kind a handler applies itself (the page faults of lists)


Handler = Callable[[Call], Reply]  # answers one checked request


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was read."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body.

    Raises:
        BodyTooLarge: more than ``limit`` bytes.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _coerce(schemas: Schemas, schema: Mapping[str, Any], value: str) -> Any:
    """A text value (query, header, form field) as the type its schema asks for; unchanged when it is not one (the
    mock reads ``True``/``FALSE`` as booleans too: lenient in what it accepts)."""
    resolved, _ = schemas.spec.resolve(schema, "")
    return typed_text(resolved if isinstance(resolved, Mapping) else {}, value, any_case=True)


def _param_value(schemas: Schemas, param: Parameter, values: list[str]) -> Any:
    resolved, _ = schemas.spec.resolve(param.schema, "")
    if isinstance(resolved, Mapping) and resolved.get("type") == "array":
        items = [part for value in values for part in value.split(",")]
        return [_coerce(schemas, resolved.get("items", {}), item) for item in items]
    return _coerce(schemas, param.schema, values[-1])


def _check_params(
    schemas: Schemas, params: tuple[Parameter, ...], given: Mapping[str, list[str]]
) -> dict[str, Any] | Reply:
    found: dict[str, Any] = {}
    for param in params:
        values = given.get(param.name)
        if not values:
            if param.required:
                return api_error(
                    400, f"Missing required parameter: '{param.name}'.", "missing_required_parameter", param=param.name
                )
            if param.default is not NO_DEFAULT:
                found[param.name] = param.default
            continue
        value = values[-1] if param.trivial else _param_value(schemas, param, values)
        if not param.trivial and (error := schemas.first_error(param.pointer, value)) is not None:
            message = f"Invalid value for '{param.name}': {error.message[:300]}"
            return api_error(400, message, "invalid_value", param=param.name)
        found[param.name] = value
    return found


def _body_spec(operation: Operation, media: str) -> MediaType | None:
    """The body the request's media type selects: exact, else JSON and forms stand in for each other."""
    for body in operation.bodies:
        if media_essence(body.media_type) == media:
            return body
    if is_json(media) or media in FORM_TYPES:
        return next(
            (b for b in operation.bodies if is_json(b.media_type) or media_essence(b.media_type) in FORM_TYPES), None
        )
    return None


async def _form(
    scope: Scope, raw: bytes, schemas: Schemas, spec: MediaType
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Form fields coerced to their schema types, and the file parts (described by name, type and size)."""

    async def replay() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    request = Request(scope, replay)
    properties: Mapping[str, Any] = {}
    if spec.schema is not None:
        properties = schemas.spec.resolve(spec.schema, "")[0].get("properties") or {}
    fields: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    try:
        for name in form:
            values = []
            for value in form.getlist(name):
                if isinstance(value, UploadFile):
                    size = len(await value.read())
                    filename = value.filename or name
                    files[name] = UploadedFile(filename, value.content_type or "application/octet-stream", size)
                    values.append(filename)
                else:
                    values.append(_coerce(schemas, properties.get(name, {}), value))
            prop = schemas.spec.resolve(properties.get(name, {}), "")[0]
            is_array = isinstance(prop, Mapping) and prop.get("type") == "array"
            fields[name] = values if is_array or len(values) > 1 else values[0]
    finally:
        await form.close()
    return fields, files


async def _read_request_body(  # noqa: PLR0911 - one return per outcome
    scope: Scope, raw: bytes, operation: Operation, schemas: Schemas
) -> tuple[Any, dict[str, UploadedFile]] | Reply:
    if not raw:
        if operation.body_required:
            return api_error(400, "A request body is required.", "missing_required_parameter", param="body")
        return None, {}
    content_type = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"content-type"), "")
    media = content_type.split(";", 1)[0].strip().lower()
    spec = _body_spec(operation, media)
    if spec is None:
        accepted = ", ".join(body.media_type for body in operation.bodies)
        return api_error(
            415, f"Unsupported Content-Type {media or '(none)'!r}; expected {accepted}.", "unsupported_media_type"
        )
    files: dict[str, UploadedFile] = {}
    if is_json(media):
        try:
            body: Any = json.loads(raw)
        except ValueError:
            return api_error(400, "We could not parse the JSON body of your request.", "invalid_json", param="body")
    elif media in FORM_TYPES:
        try:
            body, files = await _form(scope, raw, schemas, spec)
        except MultiPartException as exc:
            return api_error(400, f"Invalid form body: {exc.message}", "invalid_form", param="body")
    else:
        return raw, {}
    if spec.pointer is not None and (error := schemas.first_error(spec.pointer, body)) is not None:
        field, message = describe_error(error)
        code = "missing_required_parameter" if error.validator == "required" else "invalid_value"
        return api_error(400, message, code, param=field or "body")
    return body, files


async def read_call(
    scope: Scope, raw_body: bytes, operation: Operation, path: dict[str, str], schemas: Schemas
) -> Call | Reply:
    """Check one request against ``operation``: path, query and header parameters, then the body.

    Args:
        scope: the ASGI scope.
        raw_body: the request body, already read.
        operation: the routed operation.
        path: the path parameters (decoded).
        schemas: the spec's examples and validators.

    Returns:
        The :class:`Call`, or the 400/415 reply that says what is wrong.
    """
    call = Call(operation, path)
    checked = _check_params(schemas, operation.params("path"), {k: [v] for k, v in path.items()})
    if isinstance(checked, Reply):
        return checked
    if operation.params("query"):
        given = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        query = _check_params(schemas, operation.params("query"), given)
        if isinstance(query, Reply):
            return query
        call.query = query
    if operation.params("header"):
        headers: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        lowered = tuple(attrs.evolve(p, name=p.name.lower()) for p in operation.params("header"))
        if isinstance(checked_headers := _check_params(schemas, lowered, headers), Reply):
            return checked_headers
    if operation.bodies:
        read = await _read_request_body(scope, raw_body, operation, schemas)
        if isinstance(read, Reply):
            return read
        call.body, call.files = read
    return call
