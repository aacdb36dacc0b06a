"""Compare two whole documents: version, servers, security, operations (renamed path parameters
normalised) and webhooks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contract_tests.toolchain.rules.model import HTTP_METHODS, Change, pointer
from contract_tests.toolchain.rules.operation import OperationDiff, is_deprecated_and_sunset
from contract_tests.toolchain.rules.schema import SchemaDiff

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
        out.append(Change("/openapi", "openapi-version-changed", f"{old.get('openapi')} → {new.get('openapi')}"))
    old_version, new_version = _dict(old.get("info")).get("version"), _dict(new.get("info")).get("version")
    if old_version != new_version:
        out.append(Change("/info/version", "info-version-changed", f"{old_version} → {new_version}"))
    old_urls = [s.get("url") for s in old.get("servers") or [] if isinstance(s, dict)]
    new_urls = [s.get("url") for s in new.get("servers") or [] if isinstance(s, dict)]
    if old_urls[:1] != new_urls[:1] and old_urls and new_urls:
        out.append(Change("/servers/0/url", "server-url-changed", f"{old_urls[0]} → {new_urls[0]}"))
    for url in [u for u in new_urls if u not in old_urls and u != new_urls[0]]:
        out.append(Change("/servers", "server-added", str(url)))
    for url in [u for u in old_urls if u not in new_urls and (not new_urls or u != old_urls[0])]:
        out.append(Change("/servers", "server-removed", str(url)))
    old_schemes = _dict(_dict(old.get("components")).get("securitySchemes"))
    new_schemes = _dict(_dict(new.get("components")).get("securitySchemes"))
    for name in old_schemes.keys() - new_schemes.keys():
        out.append(
            Change(pointer("components", "securitySchemes", name), "security-scheme-removed", f"`{name}` removed")
        )
    for name in new_schemes.keys() - old_schemes.keys():
        out.append(Change(pointer("components", "securitySchemes", name), "security-scheme-added", f"`{name}` added"))
    for name in old_schemes.keys() & new_schemes.keys():
        a, b = _dict(old_schemes[name]), _dict(new_schemes[name])
        changed = [k for k in _SCHEME_KEYS if str(a.get(k, "")).lower() != str(b.get(k, "")).lower()]
        if changed:
            detail = ", ".join(f"{k} {a.get(k)!r} → {b.get(k)!r}" for k in changed)
            out.append(Change(pointer("components", "securitySchemes", name), "security-scheme-changed", detail))


def _removed_operation(path: str, method: str, operation: dict[str, Any], where: str, today: dt.date) -> Change:
    sunset = is_deprecated_and_sunset(operation, today)
    label = f"{method.upper()} {path}"
    if sunset is None:
        return Change(where, "operation-removed", f"{label} removed")
    if sunset:
        return Change(where, "operation-removed-after-deprecation", f"deprecated {label} removed")
    return Change(
        where, "operation-removed-before-sunset", f"{label} removed before its x-sunset {operation.get('x-sunset')}"
    )


def diff_documents(old: dict[str, Any], new: dict[str, Any], *, today: dt.date | None = None) -> list[Change]:
    """Every classified change from ``old`` to ``new`` (sorted by location, then rule).

    Args:
        old: the baseline OpenAPI document (3.0 or 3.1, as loaded).
        new: the candidate document.
        today: the date x-sunset dates are judged against (default: today).

    Returns:
        The changes; each has a rule id (:data:`~contract_tests.toolchain.rules.RULES`) and a JSON location.
    """
    today = today or dt.datetime.now(tz=dt.UTC).date()
    out: list[Change] = []
    _top_level(old, new, out)
    operations = OperationDiff(SchemaDiff(old, new), today)
    old_ops, new_ops = _operations(old), _operations(new)
    for key in old_ops.keys() - new_ops.keys():
        path, operation, _ = old_ops[key]
        out.append(_removed_operation(path, key[1], operation, pointer("paths", path, key[1]), today))
    for key in new_ops.keys() - old_ops.keys():
        path = new_ops[key][0]
        out.append(Change(pointer("paths", path, key[1]), "operation-added", f"{key[1].upper()} {path} added"))
    for key in old_ops.keys() & new_ops.keys():
        (old_path, a, a_item), (new_path, b, b_item) = old_ops[key], new_ops[key]
        where = pointer("paths", new_path, key[1])
        a_sec, b_sec = _requirements(a, old), _requirements(b, new)
        if a_sec != b_sec:
            rule = "security-added" if _open(a_sec) else "security-removed" if _open(b_sec) else "security-changed"
            out.append(Change(f"{where}/security", rule, f"{_show_security(a_sec)} → {_show_security(b_sec)}"))
        out.extend(operations.compare(a, b, items=(a_item, b_item), paths=(old_path, new_path), where=where))
    old_hooks, new_hooks = _operations(old, "webhooks"), _operations(new, "webhooks")
    for key in old_hooks.keys() - new_hooks.keys():
        out.append(
            Change(
                pointer("webhooks", old_hooks[key][0], key[1]),
                "webhook-removed",
                f"webhook `{old_hooks[key][0]}` removed",
            )
        )
    for key in new_hooks.keys() - old_hooks.keys():
        out.append(
            Change(
                pointer("webhooks", new_hooks[key][0], key[1]), "webhook-added", f"webhook `{new_hooks[key][0]}` added"
            )
        )
    for key in old_hooks.keys() & new_hooks.keys():
        (name, a, a_item), (_, b, b_item) = old_hooks[key], new_hooks[key]
        where = pointer("webhooks", name, key[1])
        out.extend(operations.compare(a, b, items=(a_item, b_item), paths=(name, name), where=where, flipped=True))
    return sorted(set(out))
