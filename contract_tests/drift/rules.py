"""The classified OpenAPI diff: every change kind has a stable rule id and a severity for *this client's users*.

Severities: ``breaking`` (code using the client breaks, or requests start failing), ``warning`` (things keep
working but behaviour or expectations shift: review), ``info`` (additions and documentation).
``$ref``s are resolved before comparing, so moving a schema is not reported as removed + added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

__all__ = ["RULES", "SEVERITIES", "Change", "diff_documents", "resolve_refs"]

SEVERITIES = ("info", "warning", "breaking")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# rule id -> (severity, what it means for users of the generated client)
RULES: dict[str, tuple[str, str]] = {
    "openapi-version-changed": ("warning", "the document's OpenAPI version changed; generation may differ"),
    "info-version-changed": ("info", "the API's declared version changed"),
    "server-url-changed": ("warning", "the first server URL (the client's default base URL) changed"),
    "server-added": ("info", "a server was added"),
    "server-removed": ("warning", "a server was removed"),
    "security-changed": ("breaking", "the authentication an operation requires changed"),
    "security-scheme-changed": ("breaking", "a security scheme's type, scheme or location changed"),
    "security-scheme-removed": ("breaking", "a security scheme was removed"),
    "security-scheme-added": ("info", "a security scheme was added"),
    "operation-removed": ("breaking", "an operation (and its generated function) disappeared"),
    "operation-added": ("info", "a new operation (and generated function) appeared"),
    "operation-id-changed": ("breaking", "operationId changed: the generated module/function is renamed"),
    "operation-deprecated": ("warning", "an operation was marked deprecated"),
    "operation-doc-changed": ("info", "an operation's summary or description changed"),
    "request-parameter-added-required": ("breaking", "a new required parameter: existing calls lack it"),
    "request-parameter-added-optional": ("info", "a new optional parameter"),
    "request-parameter-removed": ("breaking", "a parameter was removed: the generated signature changes"),
    "request-parameter-became-required": ("breaking", "an optional parameter became required"),
    "request-parameter-became-optional": ("info", "a required parameter became optional"),
    "request-parameter-type-changed": ("breaking", "a parameter's type changed"),
    "request-parameter-enum-value-removed": ("breaking", "a value callers may send is no longer allowed"),
    "request-parameter-enum-value-added": ("info", "a parameter accepts a new value"),
    "request-parameter-range-narrowed": ("breaking", "a parameter's allowed range or length shrank"),
    "request-parameter-pattern-changed": ("warning", "a parameter's pattern changed"),
    "request-body-added-required": ("breaking", "the operation now requires a request body"),
    "request-body-added-optional": ("info", "the operation accepts an optional request body"),
    "request-body-removed": ("warning", "the operation no longer takes a request body"),
    "response-status-removed": ("breaking", "a documented response status was removed"),
    "response-status-added": ("info", "a response status is now documented (perhaps closing a spec gap)"),
    "response-media-type-removed": ("breaking", "a response media type was removed"),
    "response-media-type-added": ("info", "a response media type was added"),
    "response-property-removed": ("breaking", "a response property (a model attribute) was removed"),
    "response-property-added": ("info", "a response property (a new model attribute) was added"),
    "response-property-type-changed": ("breaking", "a response property's type changed"),
    "response-property-format-changed": ("warning", "a response property's format changed"),
    "response-property-became-optional": ("warning", "a response property may now be absent"),
    "response-property-became-required": ("info", "a response property is now always present"),
    "response-property-nullable-added": ("warning", "a response property may now be null"),
    "response-property-nullable-removed": ("info", "a response property is no longer nullable"),
    "response-enum-value-added": ("warning", "servers may send a new enum value (strict clients reject it)"),
    "response-enum-value-removed": ("info", "an enum value will no longer be sent"),
    "response-enum-constraint-removed": ("warning", "a response property lost its enum: any value may come"),
    "response-property-range-widened": ("warning", "a response property's range or length grew"),
    "response-property-range-narrowed": ("info", "a response property's range or length shrank"),
    "response-property-pattern-changed": ("warning", "a response property's pattern changed"),
    "response-header-added": ("info", "a response header is now documented"),
    "response-header-removed": ("warning", "a documented response header was removed"),
}


@attrs.frozen(order=True)
class Change:
    location: str
    rule: str
    message: str

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "/" + "/".join(_escape(str(token)) for token in tokens)


def _lookup(root: Any, ref: str) -> Any:
    node = root
    for raw in ref.removeprefix("#/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[token] if isinstance(node, dict) else node[int(token)]
    return node


def resolve_refs(node: Any, root: Any | None = None, seen: frozenset[str] = frozenset()) -> Any:
    """A copy of ``node`` with every local ``$ref`` inlined (siblings of ``$ref`` kept; cycles left as refs)."""
    root = node if root is None else root
    if isinstance(node, list):
        return [resolve_refs(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        try:
            target = resolve_refs(_lookup(root, ref), root, seen | {ref})
        except (KeyError, IndexError, ValueError):
            target = {"$ref": ref}
        siblings = {key: resolve_refs(value, root, seen) for key, value in node.items() if key != "$ref"}
        return {**target, **siblings} if isinstance(target, dict) else target
    return {key: resolve_refs(value, root, seen) for key, value in node.items()}


def _types(schema: dict[str, Any]) -> tuple[frozenset[str], bool]:
    """(non-null types, nullable) under both 3.0 (``nullable``) and 3.1 (``type: [.., "null"]``) spellings."""
    raw = schema.get("type")
    types = set(raw) if isinstance(raw, list) else ({raw} if isinstance(raw, str) else set())
    nullable = "null" in types or schema.get("nullable") is True
    return frozenset(types - {"null"}), nullable


def _ranges(old: dict[str, Any], new: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(keyword, 'widened'|'narrowed') for each changed bound."""
    lower, upper = (
        ("minimum", "exclusiveMinimum", "minLength", "minItems"),
        ("maximum", "exclusiveMaximum", "maxLength", "maxItems"),
    )
    for keyword in (*lower, *upper):
        a, b = old.get(keyword), new.get(keyword)
        if a == b or isinstance(a, bool) or isinstance(b, bool):
            continue
        if a is None:
            yield keyword, "narrowed"
        elif b is None:
            yield keyword, "widened"
        elif isinstance(a, int | float) and isinstance(b, int | float):
            grew = b < a if keyword in lower else b > a
            yield keyword, "widened" if grew else "narrowed"


def _compare_response_schema(old: Any, new: Any, where: str, out: list[Change]) -> None:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    (old_types, old_null), (new_types, new_null) = _types(old), _types(new)
    if old_types and new_types and old_types != new_types:
        out.append(Change(where, "response-property-type-changed", f"type {sorted(old_types)} -> {sorted(new_types)}"))
    if old_null != new_null:
        rule = "response-property-nullable-added" if new_null else "response-property-nullable-removed"
        out.append(Change(where, rule, "now nullable" if new_null else "no longer nullable"))
    if old.get("format") != new.get("format"):
        out.append(
            Change(where, "response-property-format-changed", f"format {old.get('format')!r} -> {new.get('format')!r}")
        )
    if old.get("pattern") != new.get("pattern"):
        out.append(
            Change(
                where, "response-property-pattern-changed", f"pattern {old.get('pattern')!r} -> {new.get('pattern')!r}"
            )
        )
    if "enum" in old and "enum" not in new:
        out.append(Change(where, "response-enum-constraint-removed", f"enum {old['enum']} removed"))
    elif "enum" in old and "enum" in new:
        for value in [v for v in new["enum"] if v not in old["enum"]]:
            out.append(Change(where, "response-enum-value-added", f"new value {value!r}"))
        for value in [v for v in old["enum"] if v not in new["enum"]]:
            out.append(Change(where, "response-enum-value-removed", f"value {value!r} removed"))
    for keyword, direction in _ranges(old, new):
        out.append(
            Change(
                where, f"response-property-range-{direction}", f"{keyword} {old.get(keyword)!r} -> {new.get(keyword)!r}"
            )
        )
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    old_req, new_req = set(old.get("required") or []), set(new.get("required") or [])
    for name in sorted(old_props.keys() - new_props.keys()):
        out.append(Change(f"{where}/properties/{_escape(name)}", "response-property-removed", f"property {name!r}"))
    for name in sorted(new_props.keys() - old_props.keys()):
        out.append(Change(f"{where}/properties/{_escape(name)}", "response-property-added", f"property {name!r}"))
    for name in sorted(old_props.keys() & new_props.keys()):
        at = f"{where}/properties/{_escape(name)}"
        if name in old_req and name not in new_req:
            out.append(Change(at, "response-property-became-optional", f"{name!r} no longer required"))
        if name in new_req and name not in old_req:
            out.append(Change(at, "response-property-became-required", f"{name!r} now required"))
        _compare_response_schema(old_props[name], new_props[name], at, out)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        _compare_response_schema(old["items"], new["items"], f"{where}/items", out)


def _compare_parameter(old: dict[str, Any], new: dict[str, Any], where: str, out: list[Change]) -> None:
    if not old.get("required") and new.get("required"):
        out.append(Change(where, "request-parameter-became-required", "now required"))
    if old.get("required") and not new.get("required"):
        out.append(Change(where, "request-parameter-became-optional", "now optional"))
    a, b = old.get("schema") or {}, new.get("schema") or {}
    if _types(a)[0] and _types(b)[0] and _types(a)[0] != _types(b)[0]:
        out.append(
            Change(where, "request-parameter-type-changed", f"type {sorted(_types(a)[0])} -> {sorted(_types(b)[0])}")
        )
    if "enum" in b:
        for value in [v for v in (a.get("enum") or []) if v not in b["enum"]]:
            out.append(Change(where, "request-parameter-enum-value-removed", f"value {value!r} no longer allowed"))
        if "enum" in a:
            for value in [v for v in b["enum"] if v not in a["enum"]]:
                out.append(Change(where, "request-parameter-enum-value-added", f"new value {value!r}"))
    if any(direction == "narrowed" for _, direction in _ranges(a, b)):
        out.append(Change(where, "request-parameter-range-narrowed", "allowed range or length shrank"))
    if a.get("pattern") != b.get("pattern"):
        out.append(
            Change(where, "request-parameter-pattern-changed", f"pattern {a.get('pattern')!r} -> {b.get('pattern')!r}")
        )


def _parameters(operation: dict[str, Any], path_item: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    merged = {(p.get("in", ""), p.get("name", "")): p for p in path_item.get("parameters") or [] if isinstance(p, dict)}
    merged.update(
        {(p.get("in", ""), p.get("name", "")): p for p in operation.get("parameters") or [] if isinstance(p, dict)}
    )
    return merged


def _compare_responses(old: dict[str, Any], new: dict[str, Any], where: str, out: list[Change]) -> None:
    for status in sorted(old.keys() - new.keys(), key=str):
        out.append(Change(f"{where}/{status}", "response-status-removed", f"status {status}"))
    for status in sorted(new.keys() - old.keys(), key=str):
        out.append(Change(f"{where}/{status}", "response-status-added", f"status {status}"))
    for status in sorted(old.keys() & new.keys(), key=str):
        a, b = old[status] or {}, new[status] or {}
        at = f"{where}/{_escape(str(status))}"
        for name in sorted((a.get("headers") or {}).keys() - (b.get("headers") or {}).keys()):
            out.append(Change(f"{at}/headers/{_escape(name)}", "response-header-removed", f"header {name!r}"))
        for name in sorted((b.get("headers") or {}).keys() - (a.get("headers") or {}).keys()):
            out.append(Change(f"{at}/headers/{_escape(name)}", "response-header-added", f"header {name!r}"))
        old_media, new_media = a.get("content") or {}, b.get("content") or {}
        for media in sorted(old_media.keys() - new_media.keys()):
            out.append(Change(f"{at}/content/{_escape(media)}", "response-media-type-removed", media))
        for media in sorted(new_media.keys() - old_media.keys()):
            out.append(Change(f"{at}/content/{_escape(media)}", "response-media-type-added", media))
        for media in sorted(old_media.keys() & new_media.keys()):
            _compare_response_schema(
                (old_media[media] or {}).get("schema"),
                (new_media[media] or {}).get("schema"),
                f"{at}/content/{_escape(media)}/schema",
                out,
            )


def _compare_operation(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    old_item: dict[str, Any],
    new_item: dict[str, Any],
    where: str,
    out: list[Change],
) -> None:
    if old.get("operationId") != new.get("operationId"):
        out.append(
            Change(
                f"{where}/operationId",
                "operation-id-changed",
                f"{old.get('operationId')!r} -> {new.get('operationId')!r}",
            )
        )
    if new.get("deprecated") and not old.get("deprecated"):
        out.append(Change(f"{where}/deprecated", "operation-deprecated", "marked deprecated"))
    for field in ("summary", "description"):
        if old.get(field) != new.get(field):
            out.append(Change(f"{where}/{field}", "operation-doc-changed", f"{field} changed"))
    old_params, new_params = _parameters(old, old_item), _parameters(new, new_item)
    for key in sorted(old_params.keys() - new_params.keys()):
        out.append(Change(f"{where}/parameters/{_escape(key[1])}", "request-parameter-removed", f"{key[0]} {key[1]!r}"))
    for key in sorted(new_params.keys() - old_params.keys()):
        rule = (
            "request-parameter-added-required"
            if new_params[key].get("required")
            else "request-parameter-added-optional"
        )
        out.append(Change(f"{where}/parameters/{_escape(key[1])}", rule, f"{key[0]} {key[1]!r}"))
    for key in sorted(old_params.keys() & new_params.keys()):
        _compare_parameter(old_params[key], new_params[key], f"{where}/parameters/{_escape(key[1])}", out)
    old_body, new_body = old.get("requestBody"), new.get("requestBody")
    if old_body is None and new_body is not None:
        rule = "request-body-added-required" if new_body.get("required") else "request-body-added-optional"
        out.append(Change(f"{where}/requestBody", rule, "request body added"))
    elif old_body is not None and new_body is None:
        out.append(Change(f"{where}/requestBody", "request-body-removed", "request body removed"))
    _compare_responses(old.get("responses") or {}, new.get("responses") or {}, f"{where}/responses", out)


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                found[(path, method)] = (item[method], item)
    return found


def _effective_security(operation: dict[str, Any], document: dict[str, Any]) -> Any:
    return operation.get("security", document.get("security"))


def diff_documents(old_raw: dict[str, Any], new_raw: dict[str, Any]) -> list[Change]:
    """Every classified change from ``old_raw`` to ``new_raw`` (sorted by location, then rule)."""
    old, new = resolve_refs(old_raw), resolve_refs(new_raw)
    out: list[Change] = []
    if old.get("openapi") != new.get("openapi"):
        out.append(Change("/openapi", "openapi-version-changed", f"{old.get('openapi')} -> {new.get('openapi')}"))
    if (old.get("info") or {}).get("version") != (new.get("info") or {}).get("version"):
        out.append(
            Change(
                "/info/version",
                "info-version-changed",
                f"{(old.get('info') or {}).get('version')} -> {(new.get('info') or {}).get('version')}",
            )
        )
    old_urls = [s.get("url") for s in old.get("servers") or [] if isinstance(s, dict)]
    new_urls = [s.get("url") for s in new.get("servers") or [] if isinstance(s, dict)]
    if old_urls[:1] != new_urls[:1] and old_urls and new_urls:
        out.append(Change("/servers/0/url", "server-url-changed", f"{old_urls[0]} -> {new_urls[0]}"))
    for url in [u for u in new_urls if u not in old_urls and u != new_urls[0]]:
        out.append(Change("/servers", "server-added", str(url)))
    for url in [u for u in old_urls if u not in new_urls and (not new_urls or u != old_urls[0])]:
        out.append(Change("/servers", "server-removed", str(url)))
    old_schemes = (old.get("components") or {}).get("securitySchemes") or {}
    new_schemes = (new.get("components") or {}).get("securitySchemes") or {}
    for name in sorted(old_schemes.keys() - new_schemes.keys()):
        out.append(Change(_pointer("components", "securitySchemes", name), "security-scheme-removed", name))
    for name in sorted(new_schemes.keys() - old_schemes.keys()):
        out.append(Change(_pointer("components", "securitySchemes", name), "security-scheme-added", name))
    for name in sorted(old_schemes.keys() & new_schemes.keys()):
        keys = ("type", "scheme", "in", "name", "bearerFormat")
        if any(old_schemes[name].get(k) != new_schemes[name].get(k) for k in keys):
            out.append(Change(_pointer("components", "securitySchemes", name), "security-scheme-changed", name))
    old_ops, new_ops = _operations(old), _operations(new)
    for path, method in sorted(old_ops.keys() - new_ops.keys()):
        out.append(Change(_pointer("paths", path, method), "operation-removed", f"{method.upper()} {path}"))
    for path, method in sorted(new_ops.keys() - old_ops.keys()):
        out.append(Change(_pointer("paths", path, method), "operation-added", f"{method.upper()} {path}"))
    for path, method in sorted(old_ops.keys() & new_ops.keys()):
        (a, a_item), (b, b_item) = old_ops[(path, method)], new_ops[(path, method)]
        where = _pointer("paths", path, method)
        if _effective_security(a, old) != _effective_security(b, new):
            out.append(
                Change(
                    f"{where}/security",
                    "security-changed",
                    f"{_effective_security(a, old)} -> {_effective_security(b, new)}",
                )
            )
        _compare_operation(a, b, old_item=a_item, new_item=b_item, where=where, out=out)
    return sorted(set(out))
