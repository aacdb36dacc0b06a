"""What a schema admits, read the same way on both sides: flattened allOf, null variants, types, bounds.

Real specs spell one shape several ways (3.0 ``nullable`` vs 3.1 ``type: [x, "null"]``, ``$ref`` + ``nullable``
rewritten as ``allOf: [$ref]``, ``anyOf: [X, {type: null}]``); :func:`effective` reduces them to one form so
a rewrite is not reported as a change.
"""

from __future__ import annotations

from typing import Any

import attrs

from contract_tests.toolchain.rules.model import deref, escape, follow

__all__ = [
    "ANNOTATIONS",
    "COUNT_BOUNDS",
    "NUMERIC_BOUNDS",
    "Effective",
    "effective",
    "format_relation",
    "generated_type",
    "is_annotation_only",
    "is_null",
    "numeric_bound",
    "resolve",
    "type_relation",
    "types_of",
]

ANNOTATIONS = frozenset(
    {"title", "description", "deprecated", "readOnly", "writeOnly", "example", "examples", "default", "$comment"}
)
SCALARS = frozenset({"string", "integer", "number", "boolean"})
NUMERIC_BOUNDS = (("minimum", "exclusiveMinimum", True), ("maximum", "exclusiveMaximum", False))
COUNT_BOUNDS = (
    ("minLength", True),
    ("maxLength", False),
    ("minItems", True),
    ("maxItems", False),
    ("minProperties", True),
    ("maxProperties", False),
    ("minContains", True),
    ("maxContains", False),
)
# (narrower, wider) formats: data valid for the first is valid for the second.
_WIDER_FORMAT = {("int32", "int64"), ("float", "double"), ("int32", "double"), ("int64", "double")}
_MAX_DEPTH = 16


def is_annotation_only(schema: Any) -> bool:
    """True for a subschema that constrains nothing (title, description, examples, extensions)."""
    return isinstance(schema, dict) and all(key in ANNOTATIONS or key.startswith("x-") for key in schema)


def is_null(schema: Any) -> bool:
    """True for a schema that admits only null."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return kind in ("null", ["null"]) or schema.get("enum") == [None] or ("const" in schema and schema["const"] is None)


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    return first + [item for item in second if item not in first]


def _merge(parts: list[Effective]) -> tuple[dict[str, Any], dict[str, str]]:
    """allOf semantics for the keywords the diff reads: properties and required unite, the first of the rest wins.

    Returns the merged schema and, for each property, the pointer of the part that defines it last.
    """
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for part in parts:
        for key, value in part.schema.items():
            if key == "properties" and isinstance(value, dict):
                properties = dict(merged.get("properties") or {})
                for name, schema in value.items():
                    properties[name] = {"allOf": [properties[name], schema]} if name in properties else schema
                    origins[name] = part.property_at(name)
                merged["properties"] = properties
            elif key == "required" and isinstance(value, list):
                merged["required"] = _union(list(merged.get("required") or []), value)
            elif key == "nullable":
                merged["nullable"] = bool(merged.get("nullable", True)) and value is True
            elif key not in merged and key != "allOf":
                merged[key] = value
    return merged, origins


@attrs.frozen
class Effective:
    """A schema as the diff reads it (see :func:`resolve`), where it is, and where each of its properties is."""

    schema: dict[str, Any]
    ref: str | None
    at: str
    origins: dict[str, str] = attrs.field(factory=dict)

    def property_at(self, name: str) -> str:
        """The pointer of property ``name`` (in the allOf part that defines it)."""
        return self.origins.get(name) or f"{self.at}/properties/{escape(name)}"


def resolve(node: Any, root: Any, at: str = "", depth: int = 0) -> Effective:
    """``node`` (found at pointer ``at``) dereferenced, allOf flattened (the list kept under ``allOf`` for
    structure), null variants of oneOf/anyOf folded into ``nullable``, boolean schemas as dicts."""
    _, ref = deref(node, root)
    target, at = follow(node, at, root)
    if isinstance(target, dict) and "$ref" in target and len(target) > 1:
        target, _ = deref(target, root)  # siblings of a $ref win over its target; located at the referring node
    if target is True or target is None:
        return Effective({}, ref, at)
    if target is False:
        return Effective({"not": {}}, ref, at)
    if not isinstance(target, dict):
        return Effective({}, ref, at)
    schema = target
    origins: dict[str, str] = {}
    parts = schema.get("allOf")
    if isinstance(parts, list) and parts and depth < _MAX_DEPTH:
        flat = [resolve(part, root, f"{at}/allOf/{index}", depth + 1) for index, part in enumerate(parts)]
        own = {key: value for key, value in schema.items() if key != "allOf"}
        schema, origins = _merge([*flat, Effective(own, None, at)])
        if own.get("nullable") is True:
            schema["nullable"] = True
        schema["allOf"] = parts
    for keyword in ("anyOf", "oneOf"):
        variants = schema.get(keyword)
        if not isinstance(variants, list) or not any(is_null(deref(v, root)[0]) for v in variants):
            continue
        rest = [(index, v) for index, v in enumerate(variants) if not is_null(deref(v, root)[0])]
        own = {key: value for key, value in schema.items() if key != keyword}
        if len(rest) == 1 and depth < _MAX_DEPTH:
            inner = resolve(rest[0][1], root, f"{at}/{keyword}/{rest[0][0]}", depth + 1)
            schema = {**inner.schema, **own, "nullable": True}
            at, origins = inner.at, inner.origins  # the one variant is where its content is
        else:
            # the null variants stay in the list: their positions are pointers
            schema = {**own, keyword: variants, "nullable": True}
    return Effective(schema, ref, at, origins)


def effective(node: Any, root: Any, depth: int = 0) -> tuple[dict[str, Any], str | None]:
    """``(schema, ref)`` of :func:`resolve`."""
    found = resolve(node, root, "", depth)
    return found.schema, found.ref


def types_of(schema: dict[str, Any]) -> tuple[frozenset[str], bool]:
    """(non-null types, nullable) under both 3.0 (``nullable``) and 3.1 (``type: [.., "null"]``) spellings."""
    raw = schema.get("type")
    kinds = set(raw) if isinstance(raw, list) else ({raw} if isinstance(raw, str) else set())
    nullable = "null" in kinds or schema.get("nullable") is True
    return frozenset(str(kind) for kind in kinds - {"null"}), nullable


def _covers(wide: frozenset[str], narrow: frozenset[str], *, textual: bool) -> bool:
    return all(
        kind in wide or (kind == "integer" and "number" in wide) or (textual and kind in SCALARS and "string" in wide)
        for kind in narrow
    )


def type_relation(old: frozenset[str], new: frozenset[str], *, textual: bool) -> str:
    """``same``, ``widened``, ``narrowed`` or ``changed``. ``textual``: parameters, where every scalar is text."""
    if not old or not new or old == new:
        return "same"
    if _covers(new, old, textual=textual):
        return "widened"
    if _covers(old, new, textual=textual):
        return "narrowed"
    return "changed"


# String formats the generator turns into another Python type than `str` (openapi-python-client).
_GENERATED_TYPES = {"date-time": "datetime", "date": "date", "uuid": "UUID", "binary": "File"}


def generated_type(types: frozenset[str], fmt: Any) -> str:
    """The Python type a generated client uses for a string of format ``fmt`` (``str`` unless the format maps)."""
    return _GENERATED_TYPES.get(fmt, "str") if types == {"string"} and isinstance(fmt, str) else "str"


def format_relation(old: Any, new: Any) -> str:
    """``same``, ``widened`` (dropped, or int32 -> int64), ``narrowed`` or ``changed``."""
    if old == new:
        return "same"
    if new is None or (old, new) in _WIDER_FORMAT:
        return "widened"
    if old is None or (new, old) in _WIDER_FORMAT:
        return "narrowed"
    return "changed"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numeric_bound(schema: dict[str, Any], inclusive: str, exclusive: str, lower: bool) -> tuple[float, bool] | None:
    """The effective bound ``(value, exclusive?)`` from 3.0 (boolean ``exclusive*``) or 3.1 (numeric) spellings."""
    candidates: list[tuple[float, bool]] = []
    if _number(schema.get(inclusive)):
        candidates.append((schema[inclusive], schema.get(exclusive) is True))
    if _number(schema.get(exclusive)):
        candidates.append((schema[exclusive], True))
    if not candidates:
        return None
    if lower:
        return max(candidates)
    return min(candidates, key=lambda bound: (bound[0], not bound[1]))
