"""Compare two versions of one operation: lifecycle, parameters, request body, responses, callbacks.

Webhook and callback operations are compared *flipped*: the client receives their request and sends their
response, so their bodies are judged with the response-body and request-body rules respectively.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from contract_tests.toolchain.rules.model import HTTP_METHODS, Change, deref, escape
from contract_tests.toolchain.rules.schema import SchemaDiff

__all__ = ["OperationDiff", "is_deprecated_and_sunset", "parse_sunset", "path_parameter_names"]

_STABILITY = {"draft": 0, "alpha": 1, "beta": 2, "stable": 3}
_TEMPLATE = re.compile(r"\{([^}/]*)\}")


def path_parameter_names(path: str) -> list[str]:
    """``["project", "id"]`` for ``/projects/{project}/items/{id}``."""
    return _TEMPLATE.findall(path)


def parse_sunset(value: Any) -> dt.date | None:
    """An ``x-sunset`` value (date, datetime, ``YYYY-MM-DD`` or RFC 3339 text) as a date; None when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def is_deprecated_and_sunset(operation: dict[str, Any], today: dt.date) -> bool | None:
    """None: not deprecated; True: deprecated and its sunset passed (or it has none); False: sunset ahead."""
    if operation.get("deprecated") is not True:
        return None
    sunset = parse_sunset(operation.get("x-sunset"))
    return sunset is None or sunset <= today


def _media_base(media: str) -> str:
    return media.split(";", 1)[0].strip().lower()


def _covers(wide: str, narrow: str) -> bool:
    """``application/json`` covers ``application/problem+json``; ``application/*`` covers both."""
    w_type, _, w_sub = wide.partition("/")
    n_type, _, n_sub = narrow.partition("/")
    if w_type not in ("*", n_type):
        return False
    return w_sub in ("*", n_sub) or (w_sub in ("json", "xml") and n_sub.endswith("+" + w_sub))


def _content_schema(holder: dict[str, Any]) -> Any:
    """A parameter's or header's schema, from ``schema`` or its one ``content`` entry."""
    if "schema" in holder:
        return holder["schema"]
    content = holder.get("content")
    if isinstance(content, dict) and content:
        first = next(iter(content.values()))
        return first.get("schema") if isinstance(first, dict) else None
    return None


def _serialization(parameter: dict[str, Any]) -> tuple[Any, ...]:
    location = parameter.get("in")
    content = parameter.get("content")
    if isinstance(content, dict) and content:
        return ("content", tuple(sorted(_media_base(str(media)) for media in content)))
    style = parameter.get("style") or ("form" if location in ("query", "cookie") else "simple")
    explode = parameter.get("explode", style == "form")
    return (style, bool(explode), bool(parameter.get("allowReserved", False)))


class OperationDiff:
    """Operation-level comparison; schema comparison goes through the shared :class:`SchemaDiff`."""

    def __init__(self, schemas: SchemaDiff, today: dt.date) -> None:
        self.schemas, self.today = schemas, today
        self.old_root, self.new_root = schemas.old_root, schemas.new_root

    def compare(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        *,
        items: tuple[dict[str, Any], dict[str, Any]],
        paths: tuple[str, str],
        where: str,
        flipped: bool = False,
    ) -> list[Change]:
        """Every change between two versions of one operation located at ``where``."""
        out: list[Change] = []
        if not flipped:
            self._lifecycle(old, new, where, out)
            self._parameters(old, new=new, items=items, paths=paths, where=where, out=out)
        self._request_body(old, new, where, flipped, out)
        self._responses(old, new, where, flipped, out)
        self._callbacks(old, new, where, out)
        return out

    def _lifecycle(self, old: dict[str, Any], new: dict[str, Any], where: str, out: list[Change]) -> None:
        if old.get("operationId") != new.get("operationId"):
            message = f"{old.get('operationId')!r} → {new.get('operationId')!r}"
            out.append(Change(f"{where}/operationId", "operation-id-changed", message))
        a_dep, b_dep = old.get("deprecated") is True, new.get("deprecated") is True
        sunset_a, sunset_b = parse_sunset(old.get("x-sunset")), parse_sunset(new.get("x-sunset"))
        if b_dep and not a_dep:
            note = f" (x-sunset {sunset_b.isoformat()})" if sunset_b else " (no x-sunset date)"
            out.append(Change(f"{where}/deprecated", "operation-deprecated", "marked deprecated" + note))
        elif a_dep and not b_dep:
            out.append(Change(f"{where}/deprecated", "operation-reactivated", "no longer deprecated"))
        elif a_dep and b_dep and sunset_a and (sunset_b is None or sunset_b < sunset_a):
            shown = sunset_b.isoformat() if sunset_b else "removed"
            out.append(
                Change(
                    f"{where}/x-sunset",
                    "operation-sunset-brought-forward",
                    f"x-sunset {sunset_a.isoformat()} → {shown}",
                )
            )
        a_level, b_level = old.get("x-stability-level"), new.get("x-stability-level")
        if a_level in _STABILITY and b_level in _STABILITY and _STABILITY[b_level] < _STABILITY[a_level]:
            out.append(Change(f"{where}/x-stability-level", "operation-stability-decreased", f"{a_level} → {b_level}"))
        for field in ("summary", "description"):
            if old.get(field) != new.get(field):
                out.append(Change(f"{where}/{field}", "operation-doc-changed", f"{field} changed"))

    def _parameter_map(
        self, operation: dict[str, Any], item: dict[str, Any], path: str, root: Any
    ) -> dict[tuple[str, str], dict[str, Any]]:
        names = path_parameter_names(path)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        in_path = 0
        for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
            parameter, _ = deref(raw, root)
            if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
                continue
            name, location = parameter["name"], str(parameter.get("in", ""))
            if location == "path":
                # By position in the template (a renamed path parameter is the same argument); one the template
                # does not name (an invalid spec) by its order among the path parameters.
                key = ("path", f"{{{names.index(name) if name in names else in_path}}}")
                in_path += 1
            else:
                key = (location, name.lower() if location == "header" else name)
            found[key] = parameter
        return found

    def _parameters(
        self,
        old: dict[str, Any],
        *,
        new: dict[str, Any],
        items: tuple[dict[str, Any], dict[str, Any]],
        paths: tuple[str, str],
        where: str,
        out: list[Change],
    ) -> None:
        a_map = self._parameter_map(old, items[0], paths[0], self.old_root)
        b_map = self._parameter_map(new, items[1], paths[1], self.new_root)
        for key, a in a_map.items():
            if key not in b_map:
                at = f"{where}/parameters/{escape(key[0])}/{escape(a['name'])}"
                rule = (
                    "request-parameter-removed-after-deprecation"
                    if a.get("deprecated") is True
                    else "request-parameter-removed"
                )
                out.append(Change(at, rule, f"{key[0]} parameter `{a['name']}` removed"))
        for key, b in b_map.items():
            at = f"{where}/parameters/{escape(key[0])}/{escape(b['name'])}"
            required = b.get("required") is True or key[0] == "path"
            if key not in a_map:
                rule = "request-parameter-added-required" if required else "request-parameter-added-optional"
                out.append(
                    Change(at, rule, f"{'required' if required else 'optional'} {key[0]} parameter `{b['name']}` added")
                )
                continue
            a = a_map[key]
            if a["name"] != b["name"]:
                out.append(Change(at, "request-path-parameter-renamed", f"`{a['name']}` → `{b['name']}`"))
            was_required = a.get("required") is True or key[0] == "path"
            if required and not was_required:
                out.append(Change(at, "request-parameter-became-required", f"`{b['name']}` is now required"))
            elif was_required and not required:
                out.append(Change(at, "request-parameter-became-optional", f"`{b['name']}` is no longer required"))
            if b.get("deprecated") is True and a.get("deprecated") is not True:
                out.append(Change(at, "request-parameter-deprecated", f"`{b['name']}` marked deprecated"))
            if _serialization(a) != _serialization(b):
                message = f"serialization {_serialization(a)} → {_serialization(b)}"
                out.append(Change(at, "request-parameter-serialization-changed", message))
            out.extend(
                self.schemas.changes(_content_schema(a), _content_schema(b), "request-parameter", f"{at}/schema")
            )

    def _request_body(
        self, old: dict[str, Any], new: dict[str, Any], where: str, flipped: bool, out: list[Change]
    ) -> None:
        a, _ = deref(old.get("requestBody"), self.old_root)
        b, _ = deref(new.get("requestBody"), self.new_root)
        a = a if isinstance(a, dict) else None
        b = b if isinstance(b, dict) else None
        at = f"{where}/requestBody"
        if not flipped:
            if a is None and b is not None:
                rule = "request-body-added-required" if b.get("required") is True else "request-body-added-optional"
                out.append(Change(at, rule, "request body added"))
            elif a is not None and b is None:
                out.append(Change(at, "request-body-removed", "request body removed"))
            elif a is not None and b is not None and bool(a.get("required")) != bool(b.get("required")):
                rule = "request-body-became-required" if b.get("required") is True else "request-body-became-optional"
                out.append(Change(f"{at}/required", rule, "now required" if b.get("required") else "now optional"))
        if a is not None and b is not None:
            site, side = ("response-body", "response") if flipped else ("request-body", "request")
            self._content(a.get("content"), b.get("content"), at=f"{at}/content", site=site, side=side, out=out)

    def _content(self, a_raw: Any, b_raw: Any, *, at: str, site: str, side: str, out: list[Change]) -> None:
        a_content = a_raw if isinstance(a_raw, dict) else {}
        b_content = b_raw if isinstance(b_raw, dict) else {}
        a_map = {_media_base(str(media)): str(media) for media in a_content}
        b_map = {_media_base(str(media)): str(media) for media in b_content}
        pairs = [(a_map[base], b_map[base]) for base in a_map if base in b_map]
        removed = [a_map[base] for base in a_map if base not in b_map]
        added = [b_map[base] for base in b_map if base not in a_map]
        for old_media in list(removed):
            for new_media in added:
                a_base, b_base = _media_base(old_media), _media_base(new_media)
                if _covers(b_base, a_base) or _covers(a_base, b_base):
                    how = "generalized" if _covers(b_base, a_base) else "specialized"
                    rule = f"{side}-media-type-{how}"
                    out.append(Change(f"{at}/{escape(new_media)}", rule, f"{old_media} → {new_media}"))
                    pairs.append((old_media, new_media))
                    removed.remove(old_media)
                    added.remove(new_media)
                    break
        for media in removed:
            out.append(Change(f"{at}/{escape(media)}", f"{side}-media-type-removed", f"{media} removed"))
        for media in added:
            out.append(Change(f"{at}/{escape(media)}", f"{side}-media-type-added", f"{media} added"))
        for old_media, new_media in pairs:
            if old_media != new_media and _media_base(old_media) == _media_base(new_media):
                out.append(
                    Change(f"{at}/{escape(new_media)}", "media-type-parameters-changed", f"{old_media} → {new_media}")
                )
            a_media, b_media = a_content.get(old_media), b_content.get(new_media)
            if isinstance(a_media, dict) and isinstance(b_media, dict):
                xml = "xml" in _media_base(new_media)
                location = f"{at}/{escape(new_media)}/schema"
                out.extend(self.schemas.changes(a_media.get("schema"), b_media.get("schema"), site, location, xml=xml))

    def _responses(
        self, old: dict[str, Any], new: dict[str, Any], where: str, flipped: bool, out: list[Change]
    ) -> None:
        a_raw, b_raw = old.get("responses"), new.get("responses")
        a_map = {str(status).upper(): value for status, value in (a_raw.items() if isinstance(a_raw, dict) else [])}
        b_map = {str(status).upper(): value for status, value in (b_raw.items() if isinstance(b_raw, dict) else [])}
        if not flipped:
            for status in a_map.keys() - b_map.keys():
                rule = "response-status-removed" if status.startswith("2") else "response-non-success-status-removed"
                out.append(Change(f"{where}/responses/{escape(status)}", rule, f"status {status} removed"))
            for status in b_map.keys() - a_map.keys():
                out.append(
                    Change(f"{where}/responses/{escape(status)}", "response-status-added", f"status {status} added")
                )
        site, side = ("request-body", "request") if flipped else ("response-body", "response")
        for status in sorted(a_map.keys() & b_map.keys()):
            a, _ = deref(a_map[status], self.old_root)
            b, _ = deref(b_map[status], self.new_root)
            if not isinstance(a, dict) or not isinstance(b, dict):
                continue
            at = f"{where}/responses/{escape(status)}"
            if not flipped:
                self._headers(a.get("headers"), b.get("headers"), f"{at}/headers", out)
            self._content(a.get("content"), b.get("content"), at=f"{at}/content", site=site, side=side, out=out)

    def _headers(self, a_raw: Any, b_raw: Any, at: str, out: list[Change]) -> None:
        def headers(raw: Any, root: Any) -> dict[str, tuple[str, dict[str, Any]]]:
            found = {}
            for name, value in raw.items() if isinstance(raw, dict) else []:
                header, _ = deref(value, root)
                if isinstance(header, dict) and str(name).lower() != "content-type":
                    found[str(name).lower()] = (str(name), header)
            return found

        a_map, b_map = headers(a_raw, self.old_root), headers(b_raw, self.new_root)
        for key, (name, header) in a_map.items():
            if key not in b_map:
                rule = (
                    "response-header-required-removed" if header.get("required") is True else "response-header-removed"
                )
                out.append(Change(f"{at}/{escape(name)}", rule, f"header `{name}` removed"))
        for key, (name, header) in b_map.items():
            if key not in a_map:
                out.append(Change(f"{at}/{escape(name)}", "response-header-added", f"header `{name}` added"))
                continue
            old_header = a_map[key][1]
            if old_header.get("required") is True and header.get("required") is not True:
                out.append(Change(f"{at}/{escape(name)}", "response-header-became-optional", f"`{name}` may be absent"))
            elif header.get("required") is True and old_header.get("required") is not True:
                out.append(
                    Change(f"{at}/{escape(name)}", "response-header-became-required", f"`{name}` always present")
                )
            location = f"{at}/{escape(name)}/schema"
            out.extend(
                self.schemas.changes(_content_schema(old_header), _content_schema(header), "response-header", location)
            )

    def _callbacks(self, old: dict[str, Any], new: dict[str, Any], where: str, out: list[Change]) -> None:
        a_raw, b_raw = old.get("callbacks"), new.get("callbacks")
        a_map = a_raw if isinstance(a_raw, dict) else {}
        b_map = b_raw if isinstance(b_raw, dict) else {}
        for name in b_map.keys() - a_map.keys():
            out.append(Change(f"{where}/callbacks/{escape(name)}", "callback-added", f"callback `{name}` added"))
        for name in sorted(a_map.keys()):
            at = f"{where}/callbacks/{escape(name)}"
            if name not in b_map:
                out.append(Change(at, "callback-removed", f"callback `{name}` removed"))
                continue
            a_cb, _ = deref(a_map[name], self.old_root)
            b_cb, _ = deref(b_map[name], self.new_root)
            a_cb, b_cb = a_cb if isinstance(a_cb, dict) else {}, b_cb if isinstance(b_cb, dict) else {}
            for expression in sorted(a_cb.keys() | b_cb.keys()):
                a_item, _ = deref(a_cb.get(expression), self.old_root)
                b_item, _ = deref(b_cb.get(expression), self.new_root)
                a_item, b_item = a_item if isinstance(a_item, dict) else {}, b_item if isinstance(b_item, dict) else {}
                for method in HTTP_METHODS:
                    a_op, b_op = a_item.get(method), b_item.get(method)
                    op_at = f"{at}/{escape(expression)}/{method}"
                    if isinstance(a_op, dict) and not isinstance(b_op, dict):
                        out.append(Change(op_at, "callback-removed", f"callback `{name}` {method.upper()} removed"))
                    elif isinstance(b_op, dict) and not isinstance(a_op, dict):
                        out.append(Change(op_at, "callback-added", f"callback `{name}` {method.upper()} added"))
                    elif isinstance(a_op, dict) and isinstance(b_op, dict):
                        out.extend(
                            self.compare(
                                a_op,
                                b_op,
                                items=(a_item, b_item),
                                paths=(expression, expression),
                                where=op_at,
                                flipped=True,
                            )
                        )
