"""The one spec model: an OpenAPI 3.x document read once into operations, parameters, security and media types.

:class:`Spec` is what the client, the mock, the suite and the spec toolchain know about an API. It follows local
``$ref`` (``#/...``), keeps the document's order, and records every construct it does not support (with its
JSON pointer) in :attr:`Spec.warnings` instead of failing, so a page with a callback or an OAuth2 scheme is taken
in and the rest of it works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from tokenops.spec._document import SpecError, escape_token, pointer_get
from tokenops.spec._pagination import Pagination, infer_pagination
from tokenops.spec._paths import PathTemplate

__all__ = [
    "HTTP_METHODS",
    "NO_DEFAULT",
    "MediaType",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "SecurityRequirement",
    "SecurityScheme",
    "Spec",
    "SpecWarning",
    "is_event_stream",
    "is_json",
    "typed_text",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()  # a parameter without a schema default
_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
# Schema keywords that never make a string value invalid: a parameter with only these accepts any string.
_ANNOTATIONS = frozenset({"type", "description", "example", "examples", "title", "default", "deprecated", "format"})
_MAX_REF_HOPS = 64
# Media types the layers know how to read and write; others are taken in with a warning.
_KNOWN_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data", "application/octet-stream")


def media_essence(media_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (media_type or "").split(";", 1)[0].strip().lower()


def is_json(media_type: str | None) -> bool:
    """``application/json`` and ``application/*+json``."""
    return _JSON.match(media_essence(media_type)) is not None


def is_event_stream(media_type: str | None) -> bool:
    """``text/event-stream`` (server-sent events)."""
    return media_essence(media_type) == "text/event-stream"


def _known_media(media_type: str) -> bool:
    essence = media_essence(media_type)
    return (
        is_json(essence)
        or is_event_stream(essence)
        or essence.startswith(("text/", "image/", "audio/", "video/"))
        or essence in _KNOWN_MEDIA
        or essence in ("*/*", "application/*")
    )


@attrs.frozen
class SpecWarning:
    """A construct the model takes in without supporting it: what, where (a JSON pointer), and its effect."""

    construct: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.construct} at #{self.pointer}: {self.message}"


@attrs.frozen
class SecurityScheme:
    """One entry of ``components.securitySchemes``.

    Attributes:
        name: its key in ``securitySchemes``.
        type: ``http``, ``apiKey``, ``oauth2``, ``openIdConnect`` or ``mutualTLS``.
        scheme: for ``http``, the lower-cased scheme (``bearer``, ``basic``).
        location: for ``apiKey``: ``header``, ``query`` or ``cookie``.
        parameter: for ``apiKey``: the header, query parameter or cookie name.
    """

    name: str
    type: str
    scheme: str | None = None
    location: str | None = None
    parameter: str | None = None

    @property
    def supported(self) -> bool:
        """http bearer and basic, and apiKey in a header, the query or a cookie: credentials the layers send."""
        if self.type == "http":
            return self.scheme in ("bearer", "basic")
        return self.type == "apiKey" and self.location in ("header", "query", "cookie") and bool(self.parameter)

    def describe(self) -> str:
        """``bearer token``, ``basic auth``, ``API key in query parameter 'key'``, ..."""
        if self.type == "http":
            return {"bearer": "bearer token", "basic": "HTTP basic auth"}.get(self.scheme or "", f"http {self.scheme}")
        if self.type == "apiKey":
            where = {"query": "query parameter", "header": "header", "cookie": "cookie"}.get(self.location or "", "?")
            return f"API key in {where} {self.parameter!r}"
        return self.type


@attrs.frozen
class SecurityRequirement:
    """What an operation accepts: any one of ``alternatives``, each a set of schemes needed together.

    ``()`` (no requirement) and an empty alternative (``- {}`` in the spec) both mean anonymous calls are
    accepted.
    """

    alternatives: tuple[tuple[str, ...], ...]

    @property
    def required(self) -> bool:
        """A credential is needed: there are alternatives and none of them is empty."""
        return bool(self.alternatives) and all(self.alternatives)

    @property
    def schemes(self) -> tuple[str, ...]:
        """Every scheme named, in order of first appearance."""
        return tuple(dict.fromkeys(name for alternative in self.alternatives for name in alternative))


def typed_text(schema: Mapping[str, Any], value: str, *, any_case: bool = False) -> Any:
    """A text value from the wire (a query or header parameter, a form field) as the type its resolved ``schema``
    asks for: ``integer``, ``number``, ``boolean`` (``true``/``false``; any letter case with ``any_case``).
    Unchanged when it is none of them or does not parse: the schema's validation then says what is wrong."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    try:
        if "integer" in kinds:
            return int(value)
        if "number" in kinds:
            return float(value)
    except ValueError:
        return value
    word = value.lower() if any_case else value
    if "boolean" in kinds and word in ("true", "false"):
        return word == "true"
    return value


@attrs.frozen
class Parameter:
    """A path, query, header or cookie parameter (``schema`` resolved; ``pointer`` is where it sits)."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    pointer: str
    style: str
    explode: bool
    default: Any = NO_DEFAULT
    deprecated: bool = False
    examples: tuple[Any, ...] = ()  # the parameter's own ``example`` / ``examples[*].value``

    @property
    def trivial(self) -> bool:
        """A plain string parameter: every value is valid."""
        return self.schema.get("type", "string") == "string" and set(self.schema) <= _ANNOTATIONS


@attrs.frozen
class MediaType:
    """One media type of a request body or response, with its schema (resolved) and where it sits."""

    media_type: str
    schema: Mapping[str, Any] | None
    pointer: str | None  # of the schema, after following $ref; None without a schema
    # text/event-stream: the schema of the JSON in one event's ``data`` (``contentSchema`` of the event schema's
    # ``data``, or ``x-event-schema``: see Spec._event_data_schema).
    item_schema: Mapping[str, Any] | None = None
    item_pointer: str | None = None
    examples: tuple[Any, ...] = ()  # the media type's own ``example`` / ``examples[*].value``, in order

    @property
    def json(self) -> bool:
        return is_json(self.media_type)

    @property
    def event_stream(self) -> bool:
        return is_event_stream(self.media_type)


@attrs.frozen
class RequestBody:
    """A request body: its media types in spec order."""

    required: bool
    contents: tuple[MediaType, ...]

    def content(self, media_type: str) -> MediaType | None:
        """The entry for ``media_type`` (parameters ignored), else None."""
        essence = media_essence(media_type)
        return next((entry for entry in self.contents if media_essence(entry.media_type) == essence), None)


@attrs.frozen
class Response:
    """A documented response: ``status`` as written (``200``, ``2XX``, ``default``), its media types and headers."""

    status: str
    low: int
    high: int
    description: str
    contents: tuple[MediaType, ...]
    headers: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)

    def matches(self, status: int) -> bool:
        return self.low <= status <= self.high

    @property
    def success(self) -> bool:
        return self.low >= 200 and self.high < 300  # noqa: PLR2004

    def content(self, media_type: str | None = None) -> MediaType | None:
        """The entry for ``media_type``; without one, the JSON entry, else the first; None without a body."""
        if not self.contents:
            return None
        if media_type is None:
            return next((entry for entry in self.contents if entry.json), self.contents[0])
        essence = media_essence(media_type)
        return next((entry for entry in self.contents if media_essence(entry.media_type) == essence), None)


def _status_range(status: str) -> tuple[int, int] | None:
    text = status.upper()
    if text == "DEFAULT":
        return 100, 599
    if len(text) == 3 and text[0] in "12345":  # noqa: PLR2004 - a status is three characters
        if text[1:] == "XX":
            low = int(text[0]) * 100
            return low, low + 99
        if text.isdigit():
            return int(text), int(text)
    return None


@attrs.frozen
class Operation:
    """One operation: everything every layer needs to call, serve, check and diff it."""

    method: str
    path: str
    template: PathTemplate
    operation_id: str | None
    pointer: str
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    security: SecurityRequirement
    summary: str = ""
    deprecated: bool = False
    extensions: Mapping[str, Any] = attrs.field(factory=dict)
    # A list operation: how it pages (cursor, token, or one whole page), from the spec (tokenops.spec._pagination).
    pagination: Pagination | None = None

    @property
    def key(self) -> str:
        """``METHOD /path/{template}``."""
        return f"{self.method} {self.path}"

    @property
    def name(self) -> str:
        """The operationId, else :attr:`key`."""
        return self.operation_id or self.key

    @property
    def requires_auth(self) -> bool:
        return self.security.required

    @property
    def safe(self) -> bool:
        """GET, HEAD, OPTIONS: requests that change nothing on the server."""
        return self.method in ("GET", "HEAD", "OPTIONS")

    def params(self, location: str) -> tuple[Parameter, ...]:
        """The parameters found in ``location`` (path, query, header, cookie)."""
        return tuple(p for p in self.parameters if p.location == location)

    @property
    def bodies(self) -> tuple[MediaType, ...]:
        """The request body's media types (empty without a body)."""
        return self.request_body.contents if self.request_body is not None else ()

    @property
    def body_required(self) -> bool:
        return self.request_body is not None and self.request_body.required

    def response_for(self, status: int) -> Response | None:
        """The documented response for ``status``: an exact code, else a range (``2XX``), else ``default``."""
        exact = next((r for r in self.responses if r.low == r.high == status), None)
        if exact is not None:
            return exact
        ranged = next((r for r in self.responses if r.matches(status) and r.status.upper() != "DEFAULT"), None)
        return ranged or next((r for r in self.responses if r.status.upper() == "DEFAULT"), None)

    @property
    def success(self) -> Response | None:
        """The lowest documented 2xx response (``2XX`` counts as 200), else ``default``, else None."""
        found = sorted((r for r in self.responses if r.success), key=lambda r: r.low)
        if found:
            return found[0]
        return next((r for r in self.responses if r.status.upper() == "DEFAULT"), None)

    @property
    def streams_events(self) -> bool:
        """A 2xx response is ``text/event-stream``."""
        return any(r.success and any(c.event_stream for c in r.contents) for r in self.responses)


class Spec:
    """A parsed OpenAPI 3.x document as one model (see the module docstring).

    Args:
        document: the parsed document (:func:`tokenops.spec.parse_text`).
        source: what messages call it.

    Raises:
        SpecError: no ``paths`` mapping, or a ``$ref`` that cannot be followed where the model needs it.
    """

    def __init__(self, document: Mapping[str, Any], source: str = "<spec>") -> None:
        if not isinstance(document, Mapping) or not isinstance(document.get("paths", {}), Mapping):
            raise SpecError(f"{source} is not an OpenAPI document (no 'paths' mapping)")
        self.document = document
        self.source = source
        self._warnings: list[SpecWarning] = []
        self.security_schemes: dict[str, SecurityScheme] = self._schemes()
        self._built: tuple[Operation, ...] | None = None  # the operations are read on first use (a client needs
        self._by_key: dict[str, Operation] = {}  # the schemes at construction; a 3 MB spec's operations take 0.1 s)
        self._by_id: dict[str, Operation] = {}

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation, in the document's order."""
        if self._built is None:
            built = tuple(self._operations())
            self._by_key = {operation.key: operation for operation in built}
            self._by_id = {op.operation_id: op for op in built if op.operation_id is not None}
            self._webhooks_and_callbacks()
            self._built = built
        return self._built

    @property
    def warnings(self) -> tuple[SpecWarning, ...]:
        """What the model takes in without supporting it (every operation read)."""
        self.operations  # noqa: B018 - reading them records their warnings
        return tuple(self._warnings)

    def __repr__(self) -> str:
        return f"Spec({self.source!r}, {len(self.operations)} operations)"

    # -- lookups -------------------------------------------------------------------------------------------------

    def operation(self, key: str) -> Operation:
        """The operation for an operationId or ``"METHOD /path/{template}"``.

        Raises:
            KeyError: no such operation.
        """
        self.operations  # noqa: B018 - the lookup tables are built with them
        found = self._by_id.get(key) or self._by_key.get(key)
        if found is None:
            method, _, path = key.partition(" ")
            found = self._by_key.get(f"{method.upper()} {path}")
        if found is None:
            raise KeyError(f"no operation {key!r} in {self.source}")
        return found

    def find(self, method: str, path: str) -> Operation | None:
        """The operation declared as ``method`` on template ``path``, else None."""
        self.operations  # noqa: B018 - the lookup tables are built with them
        return self._by_key.get(f"{method.upper()} {path}")

    @property
    def servers(self) -> tuple[str, ...]:
        """The server URLs, variables replaced by their defaults."""
        found = []
        for server in self.document.get("servers") or ():
            if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
                continue
            url: str = server["url"]
            for name, variable in (server.get("variables") or {}).items():
                if isinstance(variable, Mapping) and "default" in variable:
                    url = url.replace("{" + str(name) + "}", str(variable["default"]))
            found.append(url)
        return tuple(found)

    def at(self, pointer: str) -> Any:
        """The node at a JSON pointer.

        Raises:
            SpecError: nothing there.
        """
        try:
            return pointer_get(self.document, pointer)
        except KeyError:
            raise SpecError(f"{self.source}: no node at #{pointer}") from None

    def resolve(self, node: Any, pointer: str = "") -> tuple[Any, str]:
        """Follow local ``$ref`` (``#/...``) until a node without one: (that node, its JSON pointer).

        Raises:
            SpecError: a reference that is not local, leads nowhere, or loops.
        """
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if not ref.startswith("#") or ref in seen or len(seen) > _MAX_REF_HOPS:
                kind = "a reference cycle" if ref in seen else "a reference outside this document"
                raise SpecError(f"{self.source}: cannot follow $ref {ref!r} at #{pointer} ({kind})")
            seen.add(ref)
            pointer = ref[1:]
            node = self.at(pointer)
        return node, pointer

    def schema_name(self, schema: Any) -> str | None:
        """``X`` for a ``$ref`` to ``#/components/schemas/X``, else None."""
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            ref: str = schema["$ref"]
            if ref.startswith("#/components/schemas/"):
                return ref.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        return None

    @property
    def component_schemas(self) -> Mapping[str, Any]:
        """``components.schemas`` (empty when absent)."""
        components = self.document.get("components")
        schemas = components.get("schemas") if isinstance(components, Mapping) else None
        return schemas if isinstance(schemas, Mapping) else {}

    # -- building ------------------------------------------------------------------------------------------------

    def _warn(self, construct: str, pointer: str, message: str) -> None:
        self._warnings.append(SpecWarning(construct, pointer, message))

    def _resolved(self, node: Any, pointer: str, what: str) -> tuple[Any, str] | None:
        """:meth:`resolve`, with an unresolvable reference recorded as a warning (None) instead of raised."""
        try:
            return self.resolve(node, pointer)
        except SpecError as exc:
            self._warn(f"unresolvable $ref in {what}", pointer, str(exc).split(": ", 1)[-1])
            return None

    def _schemes(self) -> dict[str, SecurityScheme]:
        components = self.document.get("components")
        raw = components.get("securitySchemes") if isinstance(components, Mapping) else None
        schemes: dict[str, SecurityScheme] = {}
        for name, entry in (raw or {}).items():
            where = f"/components/securitySchemes/{escape_token(str(name))}"
            found = self._resolved(entry, where, "a security scheme")
            if found is None or not isinstance(found[0], Mapping):
                continue
            data = found[0]
            scheme = SecurityScheme(
                name=str(name),
                type=str(data.get("type", "")),
                scheme=str(data["scheme"]).lower() if data.get("type") == "http" and "scheme" in data else None,
                location=str(data["in"]) if data.get("type") == "apiKey" and "in" in data else None,
                parameter=str(data["name"]) if data.get("type") == "apiKey" and "name" in data else None,
            )
            if not scheme.supported:
                self._warn(
                    f"security scheme {name!r} ({scheme.describe()})",
                    where,
                    "not supported: operations that need it are callable with explicit headers (extra_headers=)",
                )
            schemes[str(name)] = scheme
        return schemes

    def _security(self, raw: Any, pointer: str) -> SecurityRequirement:
        if not isinstance(raw, list):
            return SecurityRequirement(())
        alternatives = []
        for index, entry in enumerate(raw):
            names = tuple(str(name) for name in entry) if isinstance(entry, Mapping) else ()
            for name in names:
                if name not in self.security_schemes:
                    self._warn(f"security requirement {name!r}", f"{pointer}/{index}", "names no declared scheme")
            alternatives.append(names)
        return SecurityRequirement(tuple(alternatives))

    def _operations(self) -> Iterator[Operation]:
        global_security = self.document.get("security")
        for template, raw_item in (self.document.get("paths") or {}).items():
            item_pointer = f"/paths/{escape_token(str(template))}"
            found = self._resolved(raw_item, item_pointer, "a path item")
            if found is None:
                continue
            item, item_pointer = found
            if not isinstance(item, Mapping):
                self._warn("path item", item_pointer, "is not a mapping: skipped")
                continue
            compiled = PathTemplate.compile(str(template))
            shared = self._parameters(item.get("parameters"), f"{item_pointer}/parameters")
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                pointer = f"{item_pointer}/{method}"
                own = self._parameters(op.get("parameters"), f"{pointer}/parameters")
                merged = {(p.name, p.location): p for p in (*shared, *own)}
                for name in compiled.parameters:
                    if (name, "path") not in merged:
                        merged[(name, "path")] = Parameter(name, "path", True, {"type": "string"}, "", "simple", False)
                if "callbacks" in op:
                    self._warn("callbacks", f"{pointer}/callbacks", "not supported: ignored")
                operation = Operation(
                    method=method.upper(),
                    path=str(template),
                    template=compiled,
                    operation_id=str(op["operationId"]) if "operationId" in op else None,
                    pointer=pointer,
                    parameters=tuple(merged.values()),
                    request_body=self._request_body(op.get("requestBody"), f"{pointer}/requestBody"),
                    responses=self._responses(op.get("responses"), f"{pointer}/responses"),
                    security=self._security(op.get("security", global_security), f"{pointer}/security"),
                    summary=str(op.get("summary") or ""),
                    deprecated=op.get("deprecated") is True,
                    extensions={str(k): v for k, v in op.items() if str(k).startswith("x-")},
                )
                yield attrs.evolve(operation, pagination=self._pagination(operation))

    def _pagination(self, operation: Operation) -> Pagination | None:
        success = operation.success
        content = success.content() if success is not None and success.success else None
        response = None
        if content is not None and content.json and content.schema is not None and content.pointer is not None:
            response = (content.schema, content.pointer)
        return infer_pagination(
            method=operation.method,
            query={parameter.name: parameter.schema for parameter in operation.params("query")},
            response=response,
            extension=operation.extensions.get("x-pagination"),
            pointer=operation.pointer,
            resolve=lambda node, where: self._resolved(node, where, "a schema"),
            warn=self._warn,
        )

    def _parameters(self, raw: Any, pointer: str) -> list[Parameter]:
        found = []
        for index, entry in enumerate(raw or ()):
            resolved = self._resolved(entry, f"{pointer}/{index}", "a parameter")
            if resolved is None or not isinstance(resolved[0], Mapping) or "name" not in resolved[0]:
                continue
            param, where = resolved
            location = str(param.get("in", "query"))
            schema: Any = param.get("schema")
            schema_pointer = f"{where}/schema"
            if schema is None and isinstance(param.get("content"), Mapping) and param["content"]:
                media, content = next(iter(param["content"].items()))
                schema = content.get("schema") if isinstance(content, Mapping) else None
                schema_pointer = f"{where}/content/{escape_token(str(media))}/schema"
            resolved_schema = self._resolved(schema if schema is not None else {}, schema_pointer, "a parameter")
            schema, schema_pointer = resolved_schema or ({}, schema_pointer)
            if not isinstance(schema, Mapping):  # a boolean schema (3.1): anything goes
                schema = {}
            style = str(param.get("style") or ("form" if location in ("query", "cookie") else "simple"))
            found.append(
                Parameter(
                    name=str(param["name"]),
                    location=location,
                    required=bool(param.get("required", location == "path")),
                    schema=schema,
                    pointer=schema_pointer,
                    style=style,
                    explode=bool(param.get("explode", style == "form")),
                    default=schema.get("default", NO_DEFAULT),
                    deprecated=param.get("deprecated") is True,
                    examples=self._examples(param, where),
                )
            )
        return found

    def _examples(self, entry: Mapping[str, Any], pointer: str) -> tuple[Any, ...]:
        found = [entry["example"]] if "example" in entry else []
        named = entry.get("examples")
        if isinstance(named, Mapping):
            for example in named.values():
                resolved = self._resolved(example, pointer, "an example")
                if resolved is not None and isinstance(resolved[0], Mapping) and "value" in resolved[0]:
                    found.append(resolved[0]["value"])
        return tuple(found)

    def _contents(self, raw: Any, pointer: str) -> tuple[MediaType, ...]:
        contents = []
        for media, declared in (raw or {}).items() if isinstance(raw, Mapping) else ():
            where = f"{pointer}/{escape_token(str(media))}"
            entry = declared if isinstance(declared, Mapping) else {}
            if not _known_media(str(media)):
                self._warn(f"media type {media!r}", where, "no parser: bodies are passed as bytes, not checked")
            schema = schema_pointer = None
            if "schema" in entry:
                found = self._resolved(entry["schema"], f"{where}/schema", "a schema")
                if found is not None:
                    schema, schema_pointer = found
            item = item_pointer = None
            if is_event_stream(str(media)):
                item, item_pointer = self._event_data_schema(entry, where)
            examples = self._examples(entry, where)
            contents.append(
                MediaType(
                    media_type=str(media),
                    schema=schema if isinstance(schema, Mapping) else None,
                    pointer=schema_pointer if isinstance(schema, Mapping) else None,
                    item_schema=item if isinstance(item, Mapping) else None,
                    item_pointer=item_pointer if isinstance(item, Mapping) else None,
                    examples=examples,
                )
            )
        return tuple(contents)

    def _event_data_schema(self, entry: Mapping[str, Any], where: str) -> tuple[Any, str | None]:
        """The schema of the JSON in each event's ``data``, as OpenAPI 3.2 describes event streams: ``itemSchema``
        (or, before 3.2, ``schema``) is one event (``data``, ``event``, ``id``, ``retry``), and ``data`` names its
        content with ``contentMediaType`` and ``contentSchema`` (in one branch of an ``anyOf``/``oneOf`` when the
        stream also sends a sentinel such as ``[DONE]``). ``x-event-schema`` names the data's schema directly."""
        if "x-event-schema" in entry:
            found = self._resolved(entry["x-event-schema"], f"{where}/x-event-schema", "an event schema")
            return found if found is not None else (None, None)
        key = "itemSchema" if "itemSchema" in entry else "schema"
        event = self._resolved(entry.get(key), f"{where}/{key}", "an event schema") if key in entry else None
        if event is None or not isinstance(event[0], Mapping):
            return None, None
        properties = event[0].get("properties")
        if not isinstance(properties, Mapping) or "data" not in properties:
            return None, None
        data = self._resolved(properties["data"], f"{event[1]}/properties/data", "an event schema")
        candidates = [data] if data is not None else []
        while candidates:
            node, pointer = candidates.pop(0)
            if not isinstance(node, Mapping):
                continue
            if "contentSchema" in node:
                found = self._resolved(node["contentSchema"], f"{pointer}/contentSchema", "an event schema")
                return found if found is not None else (None, None)
            for union in ("anyOf", "oneOf"):
                for index, branch in enumerate(node.get(union) or ()):
                    resolved = self._resolved(branch, f"{pointer}/{union}/{index}", "an event schema")
                    if resolved is not None:
                        candidates.append(resolved)
        return None, None

    def _request_body(self, raw: Any, pointer: str) -> RequestBody | None:
        if raw is None:
            return None
        found = self._resolved(raw, pointer, "a request body")
        if found is None or not isinstance(found[0], Mapping):
            return None
        body, where = found
        return RequestBody(body.get("required") is True, self._contents(body.get("content"), f"{where}/content"))

    def _responses(self, raw: Any, pointer: str) -> tuple[Response, ...]:
        responses = []
        for status, entry in (raw or {}).items() if isinstance(raw, Mapping) else ():
            where = f"{pointer}/{escape_token(str(status))}"
            span = _status_range(str(status))
            if span is None:
                if not str(status).startswith("x-"):
                    self._warn(f"response status {status!r}", where, "not a status code, range or 'default': ignored")
                continue
            found = self._resolved(entry, where, "a response")
            if found is None or not isinstance(found[0], Mapping):
                continue
            response, response_pointer = found
            headers = {}
            for name, header in (response.get("headers") or {}).items():
                resolved = self._resolved(header, f"{response_pointer}/headers/{escape_token(str(name))}", "a header")
                if resolved is not None and isinstance(resolved[0], Mapping):
                    headers[str(name).lower()] = resolved[0]
            responses.append(
                Response(
                    status=str(status),
                    low=span[0],
                    high=span[1],
                    description=str(response.get("description") or ""),
                    contents=self._contents(response.get("content"), f"{response_pointer}/content"),
                    headers=headers,
                )
            )
        return tuple(responses)

    def _webhooks_and_callbacks(self) -> None:
        if self.document.get("webhooks"):
            self._warn("webhooks", "/webhooks", "not supported: ignored (they are calls from the server to you)")
