"""Component schemas renamed between two documents: the generated model class is renamed, an import break.

A schema that disappears under one name while a schema of the same structure (annotations aside, references to
other renamed schemas followed) appears under another is a rename; so is one whose property names and types
mostly agree (at least :data:`SIMILARITY` of the union of its properties, at least two of them).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SIMILARITY", "renamed_schemas"]

SIMILARITY = 0.8
_IGNORED = frozenset({"title", "description", "example", "examples", "externalDocs", "$comment", "deprecated"})
_PREFIX = "#/components/schemas/"


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


def _structure(node: Any, names: dict[str, str]) -> Any:
    """``node`` without annotations, with references to renamed schemas written under their old names."""
    if isinstance(node, list):
        return [_structure(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _IGNORED or str(key).startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_PREFIX):
            name = value[len(_PREFIX) :]
            out[key] = _PREFIX + names.get(name, name)
        else:
            out[key] = _structure(value, names)
    return out


def _fingerprint(schema: Any, names: dict[str, str]) -> str:
    return json.dumps(_structure(schema, names), sort_keys=True, default=str)


def _properties(schema: Any) -> dict[str, str]:
    """``{property: its type or $ref}`` of an object schema."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {
        str(name): json.dumps(
            [value.get("type"), value.get("$ref", "").rsplit("/", 1)[-1]] if isinstance(value, dict) else value,
            default=str,
        )
        for name, value in properties.items()
    }


def _similarity(a: dict[str, str], b: dict[str, str]) -> float:
    keys = a.keys() | b.keys()
    if len(keys) < 2:  # noqa: PLR2004 - one property says nothing about identity
        return 0.0
    return sum(1 for key in keys if a.get(key) == b.get(key)) / len(keys)


def renamed_schemas(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(old name, new name)]`` for each component schema renamed from ``old`` to ``new``, sorted."""
    old_schemas, new_schemas = _schemas(old), _schemas(new)
    gone = sorted(str(name) for name in old_schemas.keys() - new_schemas.keys())
    came = sorted(str(name) for name in new_schemas.keys() - old_schemas.keys())
    if not gone or not came:
        return []
    found: dict[str, str] = {}  # new name -> old name
    for _ in range(3):  # a rename can reveal another (a schema that refers to a renamed one)
        by_print: dict[str, list[str]] = {}
        for name in gone:
            if name not in found.values():
                by_print.setdefault(_fingerprint(old_schemas[name], {}), []).append(name)
        grew = False
        for name in came:
            if name in found:
                continue
            key = _fingerprint(new_schemas[name], found)
            matches = by_print.get(key, [])
            if len(matches) == 1:
                found[name] = matches[0]
                del by_print[key]
                grew = True
        if not grew:
            break
    left_old = [name for name in gone if name not in found.values()]
    left_new = [name for name in came if name not in found]
    shapes_old = {name: _properties(old_schemas[name]) for name in left_old}
    for name in left_new:
        shape = _properties(new_schemas[name])
        scored = sorted(
            ((_similarity(shapes_old[candidate], shape), candidate) for candidate in left_old), key=lambda s: -s[0]
        )
        if scored and scored[0][0] >= SIMILARITY and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            found[name] = scored[0][1]
            left_old.remove(scored[0][1])
            del shapes_old[scored[0][1]]
    return sorted((old_name, new_name) for new_name, old_name in found.items())
