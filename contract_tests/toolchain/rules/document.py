"""Compare two whole documents: version, servers, security, operations (renamed path parameters
normalised) and webhooks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contract_tests.toolchain.rules.catalog import RULES, SITES, schema_rule
from contract_tests.toolchain.rules.model import HTTP_METHODS, Change, pointer
from contract_tests.toolchain.rules.operation import OperationDiff, Reach, Where, is_deprecated_and_sunset
from contract_tests.toolchain.rules.renames import renamed_schemas
from contract_tests.toolchain.rules.schema import NodeKey, SchemaDiff

__all__ = ["diff_documents"]

_SCHEME_KEYS = ("type", "scheme", "in", "name", "openIdConnectUrl")

Operations = dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _operations(document: dict[str, Any], section: str = "paths") -> Operations:
    """``{(normalised path, method): (path, operation, path item)}``; ``/a/{id}`` and ``/a/{name}`` are one path."""
    items = _dict(document.get(section))
    shapes: dict[str, list[str]] = {}
    for path in items:
        shapes.setdefault(re.sub(r"\{[^}/]*\}", "{}", str(path)), []).append(str(path))
    found: Operations = {}
    for path, item in items.items():
        if not isinstance(item, dict):
            continue
        shape = re.sub(r"\{[^}/]*\}", "{}", str(path))
        key = shape if len(shapes[shape]) == 1 else str(path)  # two templates of one shape: keep them apart
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                found[(key, method)] = (str(path), item[method], item)
    return found


def _requirements(operation: dict[str, Any], document: dict[str, Any]) -> frozenset[frozenset[tuple[str, str]]]:
    raw = operation.get("security", document.get("security"))
    alternatives = set()
    for requirement in raw if isinstance(raw, list) else []:
        if isinstance(requirement, dict):
            alternatives.add(
                frozenset((str(name), str(scope)) for name, scopes in requirement.items() for scope in (scopes or [""]))
            )
    return frozenset(alternatives)


def _open(requirements: frozenset[frozenset[tuple[str, str]]]) -> bool:
    return not requirements or frozenset() in requirements


def _show_security(requirements: frozenset[frozenset[tuple[str, str]]]) -> str:
    if _open(requirements):
        return "none"
    parts = []
    for alternative in sorted(requirements, key=sorted):
        names = sorted({name for name, _ in alternative})
        parts.append(" + ".join(f"{n}[{','.join(sorted(s for m, s in alternative if m == n and s))}]" for n in names))
    return " or ".join(parts)


def _top_level(old: dict[str, Any], new: dict[str, Any], out: list[Change]) -> None:
    if old.get("openapi") != new.get("openapi"):
        message = f"OpenAPI {old.get('openapi')} → {new.get('openapi')}"
        out.append(Change("/openapi", "openapi-version-changed", message))
    old_version, new_version = _dict(old.get("info")).get("version"), _dict(new.get("info")).get("version")
    if old_version != new_version:
        out.append(Change("/info/version", "info-version-changed", f"API version {old_version} → {new_version}"))
    old_urls = [s.get("url") for s in old.get("servers") or [] if isinstance(s, dict)]
    new_urls = [s.get("url") for s in new.get("servers") or [] if isinstance(s, dict)]
    if old_urls[:1] != new_urls[:1] and old_urls and new_urls:
        out.append(Change("/servers/0/url", "server-url-changed", f"server {old_urls[0]} → {new_urls[0]}"))
    for url in [u for u in new_urls if u not in old_urls and u != new_urls[0]]:
        out.append(Change(f"/servers/{new_urls.index(url)}", "server-added", f"server {url} added"))
    for url in [u for u in old_urls if u not in new_urls and (not new_urls or u != old_urls[0])]:
        out.append(Change(f"/servers/{old_urls.index(url)}", "server-removed", f"server {url} removed", "old"))
    old_schemes = _dict(_dict(old.get("components")).get("securitySchemes"))
    new_schemes = _dict(_dict(new.get("components")).get("securitySchemes"))
    for name in sorted(old_schemes.keys() - new_schemes.keys()):
        at = pointer("components", "securitySchemes", name)
        out.append(Change(at, "security-scheme-removed", f"security scheme `{name}` removed", "old"))
    for name in sorted(new_schemes.keys() - old_schemes.keys()):
        at = pointer("components", "securitySchemes", name)
        out.append(Change(at, "security-scheme-added", f"security scheme `{name}` added"))
    for name in sorted(old_schemes.keys() & new_schemes.keys()):
        a, b = _dict(old_schemes[name]), _dict(new_schemes[name])
        changed = [k for k in _SCHEME_KEYS if str(a.get(k, "")).lower() != str(b.get(k, "")).lower()]
        if changed:
            detail = f"security scheme `{name}`: " + ", ".join(f"{k} {a.get(k)!r} → {b.get(k)!r}" for k in changed)
            out.append(Change(pointer("components", "securitySchemes", name), "security-scheme-changed", detail))


def _removed_operation(path: str, method: str, operation: dict[str, Any], where: str, today: dt.date) -> Change:
    sunset = is_deprecated_and_sunset(operation, today)
    label = f"{method.upper()} {path}"
    if sunset is None:
        rule, message = "operation-removed", f"{label} removed"
    elif sunset:
        rule, message = "operation-removed-after-deprecation", f"deprecated {label} removed"
    else:
        rule, message = (
            "operation-removed-before-sunset",
            f"{label} removed before its x-sunset {operation.get('x-sunset')}",
        )
    return Change(where, rule, message, "old", operations=(label,), sites=(label,))


def _schema_changes(operations: OperationDiff) -> list[Change]:
    """One change per schema fact, with every operation and site that reaches it."""
    reached: dict[tuple[str, str, str, str], tuple[set[str], set[str]]] = {}
    for reach in operations.reaches:
        for fact in operations.schemas.reached(reach.node):
            key = (fact.pointer, schema_rule(reach.kind, fact.fact), fact.message, fact.side)
            found = reached.setdefault(key, (set(), set()))
            found[0].add(reach.operation)
            found[1].add(reach.site)
    return [
        Change(location, rule, message, side, operations=tuple(sorted(ops)), sites=tuple(sorted(sites)))
        for (location, rule, message, side), (ops, sites) in reached.items()
    ]


def diff_documents(old: dict[str, Any], new: dict[str, Any], *, today: dt.date | None = None) -> list[Change]:
    """Every classified change from ``old`` to ``new``, each once, where it is made (sorted by location, then rule).

    Args:
        old: the baseline OpenAPI document (3.0 or 3.1, as loaded).
        new: the candidate document.
        today: the date x-sunset dates are judged against (default: today).

    Returns:
        The changes; each has a rule id (:data:`~contract_tests.toolchain.rules.RULES`), an RFC 6901 location in
        the new document (the old one for removals) and the operations it reaches.
    """
    today = today or dt.datetime.now(tz=dt.UTC).date()
    out: list[Change] = []
    _top_level(old, new, out)
    renames = renamed_schemas(old, new)
    prefix = "#/components/schemas/"
    schemas = SchemaDiff(old, new, {prefix + a: prefix + b for a, b in renames})
    operations = OperationDiff(schemas, today)
    old_ops, new_ops = _operations(old), _operations(new)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        path, operation, _ = old_ops[key]
        out.append(_removed_operation(path, key[1], operation, pointer("paths", path, key[1]), today))
    for key in sorted(new_ops.keys() - old_ops.keys()):
        path = new_ops[key][0]
        label = f"{key[1].upper()} {path}"
        at = pointer("paths", path, key[1])
        out.append(Change(at, "operation-added", f"{label} added", operations=(label,), sites=(label,)))
    for key in sorted(old_ops.keys() & new_ops.keys()):
        (old_path, a, a_item), (new_path, b, b_item) = old_ops[key], new_ops[key]
        where = Where(
            pointer("paths", old_path, key[1]), pointer("paths", new_path, key[1]), f"{key[1].upper()} {new_path}"
        )
        a_sec, b_sec = _requirements(a, old), _requirements(b, new)
        if a_sec != b_sec:
            rule = "security-added" if _open(a_sec) else "security-removed" if _open(b_sec) else "security-changed"
            message = f"security {_show_security(a_sec)} → {_show_security(b_sec)}"
            out.append(Change(where.new, rule, message, operations=(where.label,), sites=(where.label,)))
        out.extend(operations.compare(a, b, items=(a_item, b_item), paths=(old_path, new_path), where=where))
    old_hooks, new_hooks = _operations(old, "webhooks"), _operations(new, "webhooks")
    for key in sorted(old_hooks.keys() - new_hooks.keys()):
        name = old_hooks[key][0]
        label = f"webhook {name} {key[1].upper()}"
        at = pointer("webhooks", name, key[1])
        out.append(
            Change(at, "webhook-removed", f"webhook `{name}` removed", "old", operations=(label,), sites=(label,))
        )
    for key in sorted(new_hooks.keys() - old_hooks.keys()):
        name = new_hooks[key][0]
        label = f"webhook {name} {key[1].upper()}"
        at = pointer("webhooks", name, key[1])
        out.append(Change(at, "webhook-added", f"webhook `{name}` added", operations=(label,), sites=(label,)))
    for key in sorted(old_hooks.keys() & new_hooks.keys()):
        (name, a, a_item), (_, b, b_item) = old_hooks[key], new_hooks[key]
        at = pointer("webhooks", name, key[1])
        where = Where(at, at, f"webhook {name} {key[1].upper()}")
        out.extend(operations.compare(a, b, items=(a_item, b_item), paths=(name, name), where=where, flipped=True))
    out.extend(_schema_changes(operations))
    users = _users(operations, {(prefix + a, prefix + b) for a, b in renames})
    for old_name, new_name in renames:
        message = f"model `{old_name}` renamed to `{new_name}` (the generated class is renamed)"
        ops, sites = users.get((prefix + old_name, prefix + new_name), (set(), set()))
        at = pointer("components", "schemas", new_name)
        out.append(Change(at, "schema-renamed", message, operations=tuple(sorted(ops)), sites=tuple(sorted(sites))))
    return _one_per_change(out)


def _users(operations: OperationDiff, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """The operations and sites whose schemas reach each ``(old $ref, new $ref)`` pair, through any number of refs."""
    if not pairs:
        return {}
    parents: dict[NodeKey, set[NodeKey]] = {}
    for key, node in operations.schemas.nodes.items():
        for child, _ in node.children:
            parents.setdefault(child, set()).add(key)
    direct: dict[NodeKey, list[Reach]] = {}
    for reach in operations.reaches:
        for child, _ in reach.node.children:
            direct.setdefault(child, []).append(reach)
    found: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for start in [key for key in operations.schemas.nodes if key[:2] in pairs]:
        ops, sites = found.setdefault(start[:2], (set(), set()))
        seen, stack = {start}, [start]
        while stack:
            key = stack.pop()
            for reach in direct.get(key, ()):
                ops.add(reach.operation)
                sites.add(reach.site)
            for parent in parents.get(key, ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return found


def _one_per_change(found: list[Change]) -> list[Change]:
    """One change per place and fact: a component parameter added to three operations is one change reaching three;
    a fact of one severity at several sites (a component property removed from what is sent and received) is one
    change, with the other sites' rules in ``also`` (the text line shows them: ``[request-body-... +response-body]``).
    Sorted by location, then rule."""
    merged: dict[tuple[str, str, str, str], tuple[set[str], set[str]]] = {}
    for change in found:
        ops, sites = merged.setdefault((change.location, change.rule, change.message, change.document), (set(), set()))
        ops.update(change.operations)
        sites.update(change.sites)
    by_fact: dict[tuple[str, str, str, str, str], list[str]] = {}
    for location, rule, message, document in merged:
        site = next((site for site in SITES if rule.startswith(site + "-")), None)
        fact = rule[len(site) + 1 :] if site is not None else rule
        by_fact.setdefault((location, fact, message, document, RULES[rule][0]), []).append(rule)
    out = []
    for (location, _, message, document, _), rules in by_fact.items():
        rules.sort()
        ops = set().union(*(merged[(location, rule, message, document)][0] for rule in rules))
        sites = set().union(*(merged[(location, rule, message, document)][1] for rule in rules))
        out.append(
            Change(location, rules[0], message, document, tuple(sorted(ops)), tuple(sorted(sites)), tuple(rules[1:]))
        )
    return sorted(out)
