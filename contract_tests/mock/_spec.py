"""The OpenAPI document the mock serves, read once at start-up: its operations, parameters, bodies, responses.

Everything the mock knows about the API comes from here (default: the vendored ``openapi.yaml``), so a
vendor page synced into the spec is served the day it lands, with no mock code change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

__all__ = [
    "NO_DEFAULT",
    "ApiSpec",
    "BodySpec",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "SpecError",
    "is_json",
    "load_spec",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
NO_DEFAULT: Any = object()  # a parameter without a schema default
# Schema keywords that never make a string value invalid: such a parameter needs no validation (the hot path).
_ANNOTATIONS = {"type", "description", "example", "examples", "title", "default", "deprecated", "format"}


class SpecError(ValueError):
    """The spec cannot be served: unreadable, not OpenAPI, or a reference that leads nowhere."""


def is_json(content_type: str | None) -> bool:
    """True for ``application/json`` and ``application/*+json`` media types."""
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


@attrs.frozen
class Parameter:
    """One path, query, header or cookie parameter, with its schema and where that schema sits in the spec."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    pointer: str
    default: Any = NO_DEFAULT

    @property
    def trivial(self) -> bool:
        """A plain string parameter: every value is valid, so it is never validated."""
        return self.schema.get("type", "string") == "string" and set(self.schema) <= _ANNOTATIONS


@attrs.frozen
class BodySpec:
    """One request body media type with its schema (``None`` when the spec gives none)."""

    content_type: str
    schema: Mapping[str, Any] | None
    pointer: str | None


@attrs.frozen
class ResponseSpec:
    """The response a successful call gets: status, and media type + schema when it has a body."""

    status: int
    content_type: str | None
    schema: Mapping[str, Any] | None
    pointer: str | None


@attrs.frozen
class Operation:
    """One operation of the spec, everything the mock needs to route, check and answer it."""

    method: str
    template: str
    operation_id: str | None
    parameters: tuple[Parameter, ...]
    bodies: tuple[BodySpec, ...]
    body_required: bool
    success: ResponseSpec
    requires_auth: bool

    @property
    def key(self) -> str:
        """``METHOD /path/{template}``."""
        return f"{self.method} {self.template}"

    @property
    def name(self) -> str:
        """The operationId, else :attr:`key`: what logs and stats call it."""
        return self.operation_id or self.key

    def params(self, location: str) -> tuple[Parameter, ...]:
        """The parameters found in ``location`` (path, query, header, cookie)."""
        return tuple(p for p in self.parameters if p.location == location)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class ApiSpec:
    """A parsed OpenAPI 3.x document: its operations in spec order and a resolver for local ``$ref``."""

    def __init__(self, document: Mapping[str, Any], source: str = "<spec>") -> None:
        if not isinstance(document, Mapping) or not isinstance(document.get("paths"), Mapping):
            raise SpecError(f"{source} is not an OpenAPI document (no 'paths' mapping)")
        self.document = document
        self.source = source
        self.operations = tuple(self._operations())

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow ``$ref`` (local ones, ``#/...``) until a node without one; (node, its JSON pointer).

        Raises:
            SpecError: a reference that is not local or leads nowhere, or a reference cycle.
        """
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                raise SpecError(f"{self.source}: cannot follow $ref {ref!r} at {pointer or '/'}")
            seen.add(ref)
            pointer = ref[1:]
            node = self.at(pointer)
        return node, pointer

    def at(self, pointer: str) -> Any:
        """The node at a JSON pointer (``/components/schemas/Video``).

        Raises:
            SpecError: nothing there.
        """
        node: Any = self.document
        for raw in pointer.split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"{self.source}: no node at #{pointer}") from None
        return node

    def _operations(self) -> Iterator[Operation]:
        global_security = self.document.get("security", [])
        for template, raw_item in self.document["paths"].items():
            item_pointer = f"/paths/{_escape(str(template))}"
            item, item_pointer = self.resolve(raw_item, item_pointer)
            if not isinstance(item, Mapping):
                raise SpecError(f"{self.source}: path item {template!r} is not a mapping")
            shared = self._parameters(item.get("parameters", []), f"{item_pointer}/parameters")
            for method in HTTP_METHODS:
                if not isinstance(item.get(method), Mapping):
                    continue
                op = item[method]
                pointer = f"{item_pointer}/{method}"
                own = self._parameters(op.get("parameters", []), f"{pointer}/parameters")
                merged = {(p.name, p.location): p for p in (*shared, *own)}
                bodies, body_required = self._bodies(op.get("requestBody"), f"{pointer}/requestBody")
                security = op.get("security", global_security) or []
                yield Operation(
                    method=method.upper(),
                    template=str(template),
                    operation_id=op.get("operationId"),
                    parameters=tuple(merged.values()),
                    bodies=bodies,
                    body_required=body_required,
                    success=self._success(op.get("responses", {}), f"{pointer}/responses"),
                    requires_auth=bool(security) and all(requirement for requirement in security),
                )

    def _parameters(self, raw: Any, pointer: str) -> list[Parameter]:
        found = []
        for index, entry in enumerate(raw or []):
            param, where = self.resolve(entry, f"{pointer}/{index}")
            schema, schema_pointer = self.resolve(param.get("schema", {}), f"{where}/schema")
            found.append(
                Parameter(
                    name=str(param["name"]),
                    location=str(param.get("in", "query")),
                    required=bool(param.get("required", param.get("in") == "path")),
                    schema=schema,
                    pointer=schema_pointer,
                    default=schema.get("default", NO_DEFAULT) if isinstance(schema, Mapping) else NO_DEFAULT,
                )
            )
        return found

    def _bodies(self, raw: Any, pointer: str) -> tuple[tuple[BodySpec, ...], bool]:
        if raw is None:
            return (), False
        body, where = self.resolve(raw, pointer)
        bodies = []
        for media, content in (body.get("content") or {}).items():
            content_pointer = f"{where}/content/{_escape(str(media))}"
            if isinstance(content, Mapping) and "schema" in content:
                schema, schema_pointer = self.resolve(content["schema"], f"{content_pointer}/schema")
                bodies.append(BodySpec(str(media).lower(), schema, schema_pointer))
            else:
                bodies.append(BodySpec(str(media).lower(), None, None))
        return tuple(bodies), bool(body.get("required", False))

    def _success(self, responses: Mapping[str, Any], pointer: str) -> ResponseSpec:
        """The lowest documented 2xx (``2XX`` counts as 200), else ``default``, else an empty 200."""
        candidates: list[tuple[int, str]] = []
        for code in responses:
            text = str(code).upper()
            if text.startswith("2") and len(text) == 3:  # noqa: PLR2004 - a status code is three characters
                candidates.append((200 if text == "2XX" else int(text), str(code)))
        if candidates:
            status, code = min(candidates)
        elif "default" in responses:
            status, code = 200, "default"
        else:
            return ResponseSpec(200, None, None, None)
        response, where = self.resolve(responses[code], f"{pointer}/{_escape(code)}")
        content = response.get("content") or {}
        if not content:
            return ResponseSpec(status, None, None, None)
        media = next((m for m in content if is_json(str(m))), next(iter(content)))
        content_pointer = f"{where}/content/{_escape(str(media))}"
        raw_schema = (content[media] or {}).get("schema")
        if raw_schema is None:
            return ResponseSpec(status, str(media), None, None)
        schema, schema_pointer = self.resolve(raw_schema, f"{content_pointer}/schema")
        return ResponseSpec(status, str(media), schema, schema_pointer)


def load_spec(source: Path | str | Mapping[str, Any] | None = None) -> ApiSpec:
    """Read an OpenAPI document (YAML or JSON file, or an already parsed mapping).

    Args:
        source: a path, or a parsed document; ``None`` for the vendored ``openapi.yaml``.

    Returns:
        The parsed spec.

    Raises:
        SpecError: unreadable file, bad syntax, or not an OpenAPI document.
    """
    if isinstance(source, Mapping):
        return ApiSpec(source)
    if source is None:
        from contract_tests._paths import spec_path  # noqa: PLC0415 - only when no spec is given

        source = spec_path()
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"spec {path} is not valid YAML/JSON: {' '.join(str(exc).split())[:300]}") from None
    return ApiSpec(document, str(path))
