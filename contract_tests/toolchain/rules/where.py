"""A change's RFC 6901 pointer said in API terms: ``GET /v1/videos/{video_id}, 200 response`` or ``Video.progress``."""

from __future__ import annotations

from typing import Any

from contract_tests.toolchain.rules.model import HTTP_METHODS, IN_PLACE_SUBSCHEMAS, unescape

__all__ = ["describe"]

_SCHEMA_STEPS = {"items": "[]", "additionalProperties": "{*}"}
_SUBSCHEMAS = frozenset(IN_PLACE_SUBSCHEMAS)
_VARIANTS = frozenset({"oneOf", "anyOf"})
_INDEXED = frozenset({"prefixItems", "patternProperties", "dependentSchemas"})
_COMPONENTS = {
    "parameters": "parameter",
    "requestBodies": "request body",
    "responses": "response",
    "headers": "header",
    "callbacks": "callback",
    "pathItems": "path item",
}


def _schema_path(steps: list[str]) -> str:
    """``properties/a/items/properties/b`` -> ``a[].b``; allOf parts are the schema itself, a last union step
    (the position of a variant) says nothing a message does not."""
    name = ""
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
        elif step == "allOf" and nxt is not None:
            index += 2
        elif step in _VARIANTS and nxt is not None:
            if index + 2 < len(steps):
                name += f"<{step}[{nxt}]>"
            index += 2
        elif step in _INDEXED and nxt is not None:
            name += f"<{step}[{nxt}]>"
            index += 2
        elif step in _SUBSCHEMAS:
            name += f"<{step}>"
            index += 1
        else:
            index += 1  # discriminator, a keyword: the message says it
    return name


def _node(document: Any, steps: list[str]) -> Any:
    node = document
    for step in steps:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _parameter(document: Any, steps: list[str]) -> str:
    found = _node(document, steps)
    if isinstance(found, dict) and isinstance(found.get("name"), str):
        return f"{found.get('in', '')} parameter `{found['name']}`".strip()
    return f"parameter {steps[-1]}"


def _operation_part(steps: list[str], prefix: list[str], document: Any) -> list[str]:
    """The parts after ``paths/{path}/{method}`` (``prefix``: the steps up to there)."""
    parts: list[str] = []
    index = 0
    while index < len(steps):
        step = steps[index]
        if step == "parameters" and index + 1 < len(steps):
            parts.append(_parameter(document, [*prefix, *steps[: index + 2]]))
            index += 2
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
            if steps[index + 1] != "application/json" or index + 2 == len(steps):
                parts.append(steps[index + 1])
            index += 2
        elif step == "callbacks" and index + 3 < len(steps) and steps[index + 3] in HTTP_METHODS:
            parts.append(f"callback `{steps[index + 1]}` {steps[index + 3].upper()} {steps[index + 2]}")
            index += 4
        elif step == "schema":
            schema = _schema_path(steps[index + 1 :])
            if schema:
                parts.append(f"property `{schema}`" if schema[0] not in "[{<" else f"`{schema}`")
            break
        else:
            index += 1  # a keyword (operationId, security, ...): the message says it
    return parts


def describe(location: str, document: Any = None) -> str:  # noqa: PLR0911 - one return per part of a document
    """``location`` (an RFC 6901 pointer) in API terms; ``document`` (the one it resolves in) names parameters.

    Other text (a dotted import-surface name) is returned unchanged.
    """
    if not location.startswith("/"):
        return location
    steps = [unescape(step) for step in location[1:].split("/")]
    head = steps[0]
    if head in ("paths", "webhooks") and steps[1:]:
        method = steps[2] if steps[2:] and steps[2] in HTTP_METHODS else None
        subject = f"{method.upper()} {steps[1]}" if method else f"path {steps[1]}"
        if head == "webhooks":
            subject = f"webhook `{steps[1]}`" + (f" {method.upper()}" if method else "")
        cut = 3 if method else 2
        return ", ".join([subject, *_operation_part(steps[cut:], steps[:cut], document)])
    if head == "components" and len(steps) >= 3:  # noqa: PLR2004 - components/<section>/<name>
        section, name, rest = steps[1], steps[2], steps[3:]
        if section == "schemas":
            inner = _schema_path(rest)
            return f"`{name}{'.' + inner if inner and not inner.startswith(('[', '{', '<')) else inner}`"
        if section == "securitySchemes":
            return f"security scheme `{name}`"
        if section == "parameters":
            return ", ".join(
                [f"{_parameter(document, steps[:3])} (`{name}`)", *_operation_part(rest, steps[:3], document)]
            )
        label = _COMPONENTS.get(section, section)
        return ", ".join([f"{label} `{name}`", *_operation_part(rest, steps[:3], document)])
    return {"openapi": "OpenAPI version", "info": "info.version", "servers": "servers"}.get(head, location)
