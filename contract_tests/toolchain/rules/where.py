"""A change's JSON pointer said in API terms: ``GET /v1/videos/{video_id}, 200 response, property `progress```."""

from __future__ import annotations

from contract_tests.toolchain.rules.model import HTTP_METHODS, IN_PLACE_SUBSCHEMAS, unescape

__all__ = ["describe"]

_SCHEMA_STEPS = {"items": "[]", "additionalProperties": "{*}"}
_SUBSCHEMAS = frozenset(IN_PLACE_SUBSCHEMAS)
_INDEXED = frozenset({"oneOf", "anyOf", "allOf", "prefixItems", "patternProperties", "dependentSchemas"})


def _schema_path(steps: list[str]) -> str:
    """``properties/a/items/properties/b`` -> ``property `a[].b```."""
    name, rest = "", []
    index = 0
    while index < len(steps):
        step = steps[index]
        nxt = steps[index + 1] if index + 1 < len(steps) else None
        if step == "properties" and nxt is not None:
            name += f".{nxt}" if name else nxt
            index += 2
        elif step in _SCHEMA_STEPS:
            name += _SCHEMA_STEPS[step]
            index += 1
        elif step in _INDEXED and nxt is not None:
            name += f"<{step}[{nxt}]>"
            index += 2
        elif step in _SUBSCHEMAS:
            name += f"<{step}>"
            index += 1
        else:
            rest.append(step)
            index += 1
    parts = [f"property `{name}`"] if name else []
    if rest:
        parts.append("/".join(rest))
    return ", ".join(parts)


def _operation_part(steps: list[str]) -> list[str]:
    """The parts after ``paths/{path}/{method}``."""
    parts: list[str] = []
    index = 0
    while index < len(steps):
        step = steps[index]
        if step == "parameters" and index + 2 < len(steps):
            parts.append(f"{steps[index + 1]} parameter `{steps[index + 2]}`")
            index += 3
        elif step == "requestBody":
            parts.append("request body")
            index += 1
        elif step == "responses" and index + 1 < len(steps):
            parts.append(f"{steps[index + 1]} response")
            index += 2
        elif step == "headers" and index + 1 < len(steps):
            parts.append(f"header `{steps[index + 1]}`")
            index += 2
        elif step == "content" and index + 1 < len(steps):
            parts.append(steps[index + 1])
            index += 2
        elif step == "callbacks" and index + 3 < len(steps) and steps[index + 3] in HTTP_METHODS:
            parts.append(f"callback `{steps[index + 1]}` {steps[index + 3].upper()} {steps[index + 2]}")
            index += 4
        elif step == "schema":
            schema = _schema_path(steps[index + 1 :])
            if schema:
                parts.append(schema)
            break
        else:
            parts.append(step)
            index += 1
    return parts


def describe(location: str) -> str:
    """``location`` (a JSON pointer as produced by the diff) in API terms; other text is returned unchanged."""
    if not location.startswith("/"):
        return location
    steps = [unescape(step) for step in location[1:].split("/")]
    head = steps[0]
    if head in ("paths", "webhooks") and steps[1:]:
        method = steps[2] if steps[2:] and steps[2] in HTTP_METHODS else None
        subject = f"{method.upper()} {steps[1]}" if method else f"path {steps[1]}"
        if head == "webhooks":
            subject = f"webhook `{steps[1]}`" + (f" {method.upper()}" if method else "")
        return ", ".join([subject, *_operation_part(steps[3:] if method else steps[2:])])
    if head == "components" and steps[2:] and steps[1] == "securitySchemes":
        return f"security scheme `{steps[2]}`"
    return {"openapi": "OpenAPI version", "info": "info.version", "servers": "servers"}.get(head, location)
