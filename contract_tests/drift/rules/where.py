"""A change's JSON pointer said in API terms: ``GET /v1/videos/{video_id}, 200 response, property `progress```."""

from __future__ import annotations

from contract_tests.drift.rules.model import HTTP_METHODS, unescape

__all__ = ["describe"]

_SCHEMA_STEPS = {"items": "[]", "additionalProperties": "{*}"}
_SUBSCHEMAS = frozenset(
    {"if", "then", "else", "not", "contains", "propertyNames", "contentSchema", "unevaluatedItems", "unevaluatedProperties"}
)
_INDEXED = frozenset({"oneOf", "anyOf", "allOf", "prefixItems", "patternProperties", "dependentSchemas"})


def _schema_path(tokens: list[str]) -> str:
    """``properties/a/items/properties/b`` -> ``property `a[].b```."""
    name, rest = "", []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        if token == "properties" and nxt is not None:
            name += f".{nxt}" if name else nxt
            index += 2
        elif token in _SCHEMA_STEPS:
            name += _SCHEMA_STEPS[token]
            index += 1
        elif token in _INDEXED and nxt is not None:
            name += f"<{token}[{nxt}]>"
            index += 2
        elif token in _SUBSCHEMAS:
            name += f"<{token}>"
            index += 1
        else:
            rest.append(token)
            index += 1
    parts = [f"property `{name}`"] if name else []
    if rest:
        parts.append("/".join(rest))
    return ", ".join(parts)


def _operation_part(tokens: list[str]) -> list[str]:
    """The parts after ``paths/{path}/{method}``."""
    parts: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "parameters" and index + 2 < len(tokens):
            parts.append(f"{tokens[index + 1]} parameter `{tokens[index + 2]}`")
            index += 3
        elif token == "requestBody":
            parts.append("request body")
            index += 1
        elif token == "responses" and index + 1 < len(tokens):
            parts.append(f"{tokens[index + 1]} response")
            index += 2
        elif token == "headers" and index + 1 < len(tokens):
            parts.append(f"header `{tokens[index + 1]}`")
            index += 2
        elif token == "content" and index + 1 < len(tokens):
            parts.append(tokens[index + 1])
            index += 2
        elif token == "callbacks" and index + 3 < len(tokens) and tokens[index + 3] in HTTP_METHODS:
            parts.append(f"callback `{tokens[index + 1]}` {tokens[index + 3].upper()} {tokens[index + 2]}")
            index += 4
        elif token == "schema":
            schema = _schema_path(tokens[index + 1 :])
            if schema:
                parts.append(schema)
            break
        else:
            parts.append(token)
            index += 1
    return parts


def describe(location: str) -> str:
    """``location`` (a JSON pointer as produced by the diff) in API terms; other text is returned unchanged."""
    if not location.startswith("/"):
        return location
    tokens = [unescape(token) for token in location[1:].split("/")]
    head = tokens[0]
    if head in ("paths", "webhooks") and len(tokens) >= 2:
        method = tokens[2] if len(tokens) > 2 and tokens[2] in HTTP_METHODS else None
        subject = f"{method.upper()} {tokens[1]}" if method else f"path {tokens[1]}"
        if head == "webhooks":
            subject = f"webhook `{tokens[1]}`" + (f" {method.upper()}" if method else "")
        return ", ".join([subject, *_operation_part(tokens[3:] if method else tokens[2:])])
    if head == "components" and len(tokens) >= 3 and tokens[1] == "securitySchemes":
        return f"security scheme `{tokens[2]}`"
    return {"openapi": "OpenAPI version", "info": "info.version", "servers": "servers"}.get(head, location)
