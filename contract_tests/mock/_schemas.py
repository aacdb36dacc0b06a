"""The spec's schemas at work: example values built from them, and validators (JSON Schema 2020-12).

An example prefers what the spec says (``const``, ``example``, ``examples``, ``default``, the first
``enum`` value), then builds a value from the type and its constraints (formats, bounds, lengths, item
counts). Validators resolve the spec's local ``$ref`` through a registry holding the whole document.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tokenops.spec import Spec

__all__ = ["Schemas", "describe_error"]

_URN = "urn:tokenops-mock:spec"
MAX_DEPTH = 4  # below this, only required properties are filled in (recursive schemas end)
GIVE_UP_DEPTH = 32  # a schema that requires itself forever (or allOf itself) gets null here instead of recursing
FORMAT_EXAMPLES = {
    "date-time": "2025-03-10T01:31:23Z",
    "date": "2025-03-10",
    "time": "01:31:23Z",
    "duration": "PT8S",
    "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "/example",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "bW9jaw==",
    "binary": "mock",
    "password": "mock-password",
}


def _first_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else "null"
    if kind is not None:
        return str(kind)
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return None


def _number(schema: Mapping[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
    high = schema.get("maximum")
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
    value: float = low if low is not None else (min(0, high) if high is not None else 0)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
    return math.ceil(value) if integer else value


def _string(schema: Mapping[str, Any]) -> str:
    fmt = str(schema.get("format", ""))
    value = FORMAT_EXAMPLES.get(fmt, "mock")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not re.search(pattern, value):
        value = _literal_of(pattern) or value
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        value += "x" * (low - len(value))
    if isinstance(high, int) and len(value) > high:
        value = value[:high]
    return value


def _literal_of(pattern: str) -> str | None:
    """A string for simple anchored patterns made of literal text (``^video_[a-z]+$`` is not: None)."""
    body = pattern.removeprefix("^").removesuffix("$")
    return body if re.fullmatch(r"[\w\- .:]*", body) else None


class Schemas:
    """Examples and validators for one spec's schemas."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        resource: Resource[Any] = Resource.from_contents(dict(spec.document), default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_URN, resource)

    @functools.cache  # noqa: B019 - one Schemas per app, kept for the app's life
    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at ``pointer`` in the spec (built once)."""
        ref = f"{_URN}#{quote(pointer, safe='/~')}"
        return Draft202012Validator(
            {"$ref": ref}, registry=self._registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    def first_error(self, pointer: str, instance: Any) -> ValidationError | None:
        """The most relevant way ``instance`` breaks the schema at ``pointer``, or None when it conforms."""
        error: ValidationError | None = best_match(self.validator(pointer).iter_errors(instance))
        return error

    def example(self, schema: Any, *, use_examples: bool = True, depth: int = 0) -> Any:  # noqa: PLR0911, PLR0912 - one per kind
        """A value valid against ``schema`` (when the spec's own examples are valid).

        Args:
            schema: a schema from the spec (``$ref`` is followed).
            use_examples: take the spec's ``example``/``examples``/``default`` values (else build from types).
            depth: nesting depth; past :data:`MAX_DEPTH` only required properties are built.

        Returns:
            A JSON-compatible value.
        """
        if depth > GIVE_UP_DEPTH:
            return None
        schema, _ = self.spec.resolve(schema, "")
        if not isinstance(schema, Mapping):
            return "mock" if schema is not False else None
        if "const" in schema:
            return schema["const"]
        if use_examples:
            if "example" in schema:
                return schema["example"]
            if isinstance(schema.get("examples"), list) and schema["examples"]:
                return schema["examples"][0]
            if "default" in schema:
                return schema["default"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return next((value for value in schema["enum"] if value is not None), schema["enum"][0])
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, use_examples=use_examples, depth=depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            own = {k: v for k, v in schema.items() if k != "allOf"}
            if own.get("properties"):
                merged.update(self.example(own, use_examples=use_examples, depth=depth + 1))
            return merged
        for combinator in ("oneOf", "anyOf"):
            options = schema.get(combinator)
            if isinstance(options, list) and options:
                resolved = [self.spec.resolve(option, "")[0] for option in options]
                chosen = next((o for o in resolved if isinstance(o, Mapping) and o.get("type") != "null"), options[0])
                return self.example(chosen, use_examples=use_examples, depth=depth + 1)
        kind = _first_type(schema)
        if kind == "object":
            return self._object(schema, use_examples, depth)
        if kind == "array":
            if schema.get("maxItems") == 0:
                return []
            item = self.example(schema.get("items", {}), use_examples=use_examples, depth=depth + 1)
            return [item] * max(1, int(schema.get("minItems", 1)))
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return _string(schema)

    def _object(self, schema: Mapping[str, Any], use_examples: bool, depth: int) -> dict[str, Any]:
        required = set(schema.get("required", []))
        properties: Mapping[str, Any] = schema.get("properties") or {}
        body = {
            name: self.example(sub, use_examples=use_examples, depth=depth + 1)
            for name, sub in properties.items()
            if depth < MAX_DEPTH or name in required
        }
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, Mapping) and depth < MAX_DEPTH:
            body["key"] = self.example(extra, use_examples=use_examples, depth=depth + 1)
        for name in required - set(body):  # required but not described: any value
            body[name] = "mock"
        return body

    def valid_example(self, schema: Any, pointer: str | None) -> Any:
        """:meth:`example`, falling back to one built from types alone when the spec's examples do not validate."""
        value = self.example(schema)
        if pointer is None or self.first_error(pointer, value) is None:
            return value
        return self.example(schema, use_examples=False)


def describe_error(error: ValidationError) -> tuple[str, str]:
    """(the field it is about, dotted; a one-line message) for a body validation error, as an API error says it."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        wanted: Any = error.validator_value
        missing = next((name for name in wanted if name not in error.instance), "")
        field = ".".join([*path, str(missing)]) if missing else ".".join(path)
        return field, f"Missing required parameter: '{field}'."
    field = ".".join(path)
    where = f"'{field}'" if field else "the request body"
    return field, f"Invalid value for {where}: {error.message[:300]}"
