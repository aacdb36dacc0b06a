"""Compare two versions of one operation: lifecycle, parameters, request body, responses, callbacks.

Webhook and callback operations are compared *flipped*: the client receives their request and sends their
response, so their bodies are judged with the response-body and request-body rules respectively.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs

from contract_tests.toolchain.rules.model import HTTP_METHODS, Change, deref, escape, follow
from contract_tests.toolchain.rules.schema import Node, SchemaDiff

__all__ = ["OperationDiff", "Reach", "Where", "is_deprecated_and_sunset", "parse_sunset", "path_parameter_names"]

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


@attrs.frozen
class Where:
    """One operation on both sides: its pointers in the old and the new document, and its name (``GET /v1/x``)."""

    old: str
    new: str
    label: str

    def at(self, old: str, new: str) -> Where:
        """The same operation, further in."""
        return Where(old, new, self.label)


@attrs.frozen
class Reach:
    """An operation's site (``GET /v1/x, 200 response``) and the schema node compared there."""

    operation: str
    site: str
    kind: str
    node: Node


class OperationDiff:
    """Operation-level comparison; schema comparison goes through the shared :class:`SchemaDiff`.

    Operation-level changes are returned; the schema comparisons are kept in :attr:`reaches`, for the document
    diff to say which operations each schema change reaches.
    """

    def __init__(self, schemas: SchemaDiff, today: dt.date) -> None:
        self.schemas, self.today = schemas, today
        self.old_root, self.new_root = schemas.old_root, schemas.new_root
        self.reaches: list[Reach] = []

    def _change(self, where: Where, location: str, rule: str, message: str, *, removed: bool = False) -> Change:
        return Change(
            location, rule, message, "old" if removed else "new", operations=(where.label,), sites=(where.label,)
        )

    def _schemas(self, old: Any, new: Any, site: str, where: Where, label: str, *, xml: bool = False) -> None:
        node = self.schemas.compare(old, new, site, where.old, where.new, xml=xml)
        if node.facts or node.children:
            self.reaches.append(Reach(where.label, f"{where.label}, {label}" if label else where.label, site, node))

    def compare(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        *,
        items: tuple[dict[str, Any], dict[str, Any]],
        paths: tuple[str, str],
        where: Where,
        flipped: bool = False,
    ) -> list[Change]:
        """Every change between two versions of one operation found at ``where``."""
        out: list[Change] = []
        if not flipped:
            self._lifecycle(old, new, where, out)
            self._parameters(old, new=new, items=items, paths=paths, where=where, out=out)
        self._request_body(old, new, where, flipped, out)
        self._responses(old, new, where, flipped, out)
        self._callbacks(old, new, where, out)
        return out

    def _lifecycle(self, old: dict[str, Any], new: dict[str, Any], where: Where, out: list[Change]) -> None:
        at = where.new
        if old.get("operationId") != new.get("operationId"):
            message = f"operationId {old.get('operationId')!r} → {new.get('operationId')!r}"
            out.append(self._change(where, f"{at}/operationId", "operation-id-changed", message))
        a_dep, b_dep = old.get("deprecated") is True, new.get("deprecated") is True
        sunset_a, sunset_b = parse_sunset(old.get("x-sunset")), parse_sunset(new.get("x-sunset"))
        if b_dep and not a_dep:
            note = f" (x-sunset {sunset_b.isoformat()})" if sunset_b else " (no x-sunset date)"
            out.append(self._change(where, f"{at}/deprecated", "operation-deprecated", "marked deprecated" + note))
        elif a_dep and not b_dep:
            out.append(self._change(where, at, "operation-reactivated", "no longer deprecated"))
        elif a_dep and b_dep and sunset_a and (sunset_b is None or sunset_b < sunset_a):
            shown = sunset_b.isoformat() if sunset_b else "removed"
            message = f"x-sunset {sunset_a.isoformat()} → {shown}"
            out.append(self._change(where, at, "operation-sunset-brought-forward", message))
        a_level, b_level = old.get("x-stability-level"), new.get("x-stability-level")
        if a_level in _STABILITY and b_level in _STABILITY and _STABILITY[b_level] < _STABILITY[a_level]:
            message = f"x-stability-level {a_level} → {b_level}"
            out.append(self._change(where, f"{at}/x-stability-level", "operation-stability-decreased", message))
        for field in ("summary", "description"):
            if old.get(field) != new.get(field):
                out.append(self._change(where, at, "operation-doc-changed", f"{field} changed"))

    def _parameter_map(
        self, operation: dict[str, Any], item: dict[str, Any], path: str, root: Any, at: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        """``{(in, name or path position): (parameter, its pointer)}``; ``at`` is the operation's pointer."""
        names = path_parameter_names(path)
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        in_path = 0
        item_at = at.rsplit("/", 1)[0]
        listed = [(raw, f"{item_at}/parameters/{i}") for i, raw in enumerate(item.get("parameters") or [])]
        listed += [(raw, f"{at}/parameters/{i}") for i, raw in enumerate(operation.get("parameters") or [])]
        for raw, raw_at in listed:
            parameter, parameter_at = follow(raw, raw_at, root)
            if isinstance(parameter, dict) and "$ref" in parameter:
                parameter, _ = deref(parameter, root)
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
            found[key] = (parameter, parameter_at)
        return found

    def _parameters(
        self,
        old: dict[str, Any],
        *,
        new: dict[str, Any],
        items: tuple[dict[str, Any], dict[str, Any]],
        paths: tuple[str, str],
        where: Where,
        out: list[Change],
    ) -> None:
        a_map = self._parameter_map(old, items[0], paths[0], self.old_root, where.old)
        b_map = self._parameter_map(new, items[1], paths[1], self.new_root, where.new)
        for key in sorted(a_map.keys() - b_map.keys()):
            a, a_at = a_map[key]
            rule = (
                "request-parameter-removed-after-deprecation"
                if a.get("deprecated") is True
                else "request-parameter-removed"
            )
            message = f"{key[0]} parameter `{a['name']}` removed"
            out.append(self._change(where, a_at, rule, message, removed=True))
        for key in sorted(b_map):
            b, at = b_map[key]
            required = b.get("required") is True or key[0] == "path"
            if key not in a_map:
                rule = "request-parameter-added-required" if required else "request-parameter-added-optional"
                kind = "required" if required else "optional"
                out.append(self._change(where, at, rule, f"{kind} {key[0]} parameter `{b['name']}` added"))
                continue
            a, a_at = a_map[key]
            if a["name"] != b["name"]:
                message = f"path parameter `{a['name']}` → `{b['name']}`"
                out.append(self._change(where, at, "request-path-parameter-renamed", message))
            was_required = a.get("required") is True or key[0] == "path"
            if required and not was_required:
                out.append(
                    self._change(where, at, "request-parameter-became-required", f"`{b['name']}` is now required")
                )
            elif was_required and not required:
                message = f"`{b['name']}` is no longer required"
                out.append(self._change(where, at, "request-parameter-became-optional", message))
            if b.get("deprecated") is True and a.get("deprecated") is not True:
                out.append(self._change(where, at, "request-parameter-deprecated", f"`{b['name']}` marked deprecated"))
            if _serialization(a) != _serialization(b):
                message = f"`{b['name']}` serialization {_serialization(a)} → {_serialization(b)}"
                out.append(self._change(where, at, "request-parameter-serialization-changed", message))
            self._schemas(
                _content_schema(a),
                _content_schema(b),
                "request-parameter",
                where.at(_schema_at(a, a_at), _schema_at(b, at)),
                f"{key[0]} parameter `{b['name']}`",
            )

    def _request_body(
        self, old: dict[str, Any], new: dict[str, Any], where: Where, flipped: bool, out: list[Change]
    ) -> None:
        a, a_at = follow(old.get("requestBody"), f"{where.old}/requestBody", self.old_root)
        b, b_at = follow(new.get("requestBody"), f"{where.new}/requestBody", self.new_root)
        a = a if isinstance(a, dict) else None
        b = b if isinstance(b, dict) else None
        if not flipped:
            if a is None and b is not None:
                rule = "request-body-added-required" if b.get("required") is True else "request-body-added-optional"
                out.append(self._change(where, b_at, rule, "request body added"))
            elif a is not None and b is None:
                rule = "request-body-removed" if a.get("required") is True else "request-body-removed-optional"
                out.append(self._change(where, a_at, rule, "request body removed", removed=True))
            elif a is not None and b is not None and bool(a.get("required")) != bool(b.get("required")):
                rule = "request-body-became-required" if b.get("required") is True else "request-body-became-optional"
                out.append(
                    self._change(
                        where,
                        b_at,
                        rule,
                        "request body now required" if b.get("required") else "request body now optional",
                    )
                )
        if a is not None and b is not None:
            site, side = ("response-body", "response") if flipped else ("request-body", "request")
            self._content(
                a.get("content"),
                b.get("content"),
                where=where.at(f"{a_at}/content", f"{b_at}/content"),
                site=site,
                side=side,
                label="request body",
                out=out,
            )

    def _content(
        self, a_raw: Any, b_raw: Any, *, where: Where, site: str, side: str, label: str, out: list[Change]
    ) -> None:
        a_content = a_raw if isinstance(a_raw, dict) else {}
        b_content = b_raw if isinstance(b_raw, dict) else {}
        a_map = {_media_base(str(media)): str(media) for media in a_content}
        b_map = {_media_base(str(media)): str(media) for media in b_content}
        pairs = [(a_map[base], b_map[base]) for base in sorted(a_map) if base in b_map]
        removed = [a_map[base] for base in sorted(a_map) if base not in b_map]
        added = [b_map[base] for base in sorted(b_map) if base not in a_map]
        for old_media in list(removed):
            for new_media in added:
                a_base, b_base = _media_base(old_media), _media_base(new_media)
                if _covers(b_base, a_base) or _covers(a_base, b_base):
                    how = "generalized" if _covers(b_base, a_base) else "specialized"
                    rule = f"{side}-media-type-{how}"
                    message = f"{old_media} → {new_media}"
                    out.append(self._change(where, f"{where.new}/{escape(new_media)}", rule, message))
                    pairs.append((old_media, new_media))
                    removed.remove(old_media)
                    added.remove(new_media)
                    break
        for media in removed:
            at = f"{where.old}/{escape(media)}"
            out.append(self._change(where, at, f"{side}-media-type-removed", f"{media} removed", removed=True))
        for media in added:
            out.append(
                self._change(where, f"{where.new}/{escape(media)}", f"{side}-media-type-added", f"{media} added")
            )
        for old_media, new_media in pairs:
            if old_media != new_media and _media_base(old_media) == _media_base(new_media):
                message = f"{old_media} → {new_media}"
                out.append(
                    self._change(where, f"{where.new}/{escape(new_media)}", "media-type-parameters-changed", message)
                )
            a_media, b_media = a_content.get(old_media), b_content.get(new_media)
            if isinstance(a_media, dict) and isinstance(b_media, dict):
                xml = "xml" in _media_base(new_media)
                schema_where = where.at(
                    f"{where.old}/{escape(old_media)}/schema", f"{where.new}/{escape(new_media)}/schema"
                )
                self._schemas(a_media.get("schema"), b_media.get("schema"), site, schema_where, label, xml=xml)

    def _responses(
        self, old: dict[str, Any], new: dict[str, Any], where: Where, flipped: bool, out: list[Change]
    ) -> None:
        a_raw, b_raw = old.get("responses"), new.get("responses")
        a_map = {str(s).upper(): (v, str(s)) for s, v in (a_raw.items() if isinstance(a_raw, dict) else [])}
        b_map = {str(s).upper(): (v, str(s)) for s, v in (b_raw.items() if isinstance(b_raw, dict) else [])}
        if not flipped:
            for status in sorted(a_map.keys() - b_map.keys()):
                rule = "response-status-removed" if status.startswith("2") else "response-non-success-status-removed"
                at = f"{where.old}/responses/{escape(a_map[status][1])}"
                out.append(self._change(where, at, rule, f"status {status} removed", removed=True))
            for status in sorted(b_map.keys() - a_map.keys()):
                at = f"{where.new}/responses/{escape(b_map[status][1])}"
                out.append(self._change(where, at, "response-status-added", f"status {status} added"))
        site, side = ("request-body", "request") if flipped else ("response-body", "response")
        for status in sorted(a_map.keys() & b_map.keys()):
            a, a_at = follow(a_map[status][0], f"{where.old}/responses/{escape(a_map[status][1])}", self.old_root)
            b, b_at = follow(b_map[status][0], f"{where.new}/responses/{escape(b_map[status][1])}", self.new_root)
            if not isinstance(a, dict) or not isinstance(b, dict):
                continue
            label = "callback response" if flipped else f"{status} response"
            if not flipped:
                self._headers(
                    a.get("headers"), b.get("headers"), where.at(f"{a_at}/headers", f"{b_at}/headers"), status, out
                )
            self._content(
                a.get("content"),
                b.get("content"),
                where=where.at(f"{a_at}/content", f"{b_at}/content"),
                site=site,
                side=side,
                label=label,
                out=out,
            )

    def _headers(self, a_raw: Any, b_raw: Any, where: Where, status: str, out: list[Change]) -> None:
        def headers(raw: Any, root: Any, at: str) -> dict[str, tuple[str, dict[str, Any], str]]:
            found = {}
            for name, value in raw.items() if isinstance(raw, dict) else []:
                header, header_at = follow(value, f"{at}/{escape(str(name))}", root)
                if isinstance(header, dict) and str(name).lower() != "content-type":
                    found[str(name).lower()] = (str(name), header, header_at)
            return found

        a_map, b_map = headers(a_raw, self.old_root, where.old), headers(b_raw, self.new_root, where.new)
        for key in sorted(a_map.keys() - b_map.keys()):
            name, header, at = a_map[key]
            rule = "response-header-required-removed" if header.get("required") is True else "response-header-removed"
            out.append(self._change(where, at, rule, f"{status} response header `{name}` removed", removed=True))
        for key in sorted(b_map):
            name, header, at = b_map[key]
            if key not in a_map:
                out.append(self._change(where, at, "response-header-added", f"{status} response header `{name}` added"))
                continue
            old_header, old_at = a_map[key][1], a_map[key][2]
            if old_header.get("required") is True and header.get("required") is not True:
                out.append(self._change(where, at, "response-header-became-optional", f"header `{name}` may be absent"))
            elif header.get("required") is True and old_header.get("required") is not True:
                out.append(
                    self._change(where, at, "response-header-became-required", f"header `{name}` always present")
                )
            self._schemas(
                _content_schema(old_header),
                _content_schema(header),
                "response-header",
                where.at(_schema_at(old_header, old_at), _schema_at(header, at)),
                f"{status} response header `{name}`",
            )

    def _callbacks(self, old: dict[str, Any], new: dict[str, Any], where: Where, out: list[Change]) -> None:
        a_raw, b_raw = old.get("callbacks"), new.get("callbacks")
        a_map = a_raw if isinstance(a_raw, dict) else {}
        b_map = b_raw if isinstance(b_raw, dict) else {}
        for name in sorted(b_map.keys() - a_map.keys()):
            out.append(
                self._change(
                    where, f"{where.new}/callbacks/{escape(name)}", "callback-added", f"callback `{name}` added"
                )
            )
        for name in sorted(a_map.keys()):
            if name not in b_map:
                at = f"{where.old}/callbacks/{escape(name)}"
                out.append(self._change(where, at, "callback-removed", f"callback `{name}` removed", removed=True))
                continue
            a_cb, a_at = follow(a_map[name], f"{where.old}/callbacks/{escape(name)}", self.old_root)
            b_cb, b_at = follow(b_map[name], f"{where.new}/callbacks/{escape(name)}", self.new_root)
            a_cb, b_cb = a_cb if isinstance(a_cb, dict) else {}, b_cb if isinstance(b_cb, dict) else {}
            for expression in sorted(a_cb.keys() | b_cb.keys()):
                a_item, a_item_at = follow(a_cb.get(expression), f"{a_at}/{escape(expression)}", self.old_root)
                b_item, b_item_at = follow(b_cb.get(expression), f"{b_at}/{escape(expression)}", self.new_root)
                a_item, b_item = a_item if isinstance(a_item, dict) else {}, b_item if isinstance(b_item, dict) else {}
                for method in HTTP_METHODS:
                    a_op, b_op = a_item.get(method), b_item.get(method)
                    op_where = where.at(f"{a_item_at}/{method}", f"{b_item_at}/{method}")
                    if isinstance(a_op, dict) and not isinstance(b_op, dict):
                        message = f"callback `{name}` {method.upper()} removed"
                        out.append(self._change(where, op_where.old, "callback-removed", message, removed=True))
                    elif isinstance(b_op, dict) and not isinstance(a_op, dict):
                        message = f"callback `{name}` {method.upper()} added"
                        out.append(self._change(where, op_where.new, "callback-added", message))
                    elif isinstance(a_op, dict) and isinstance(b_op, dict):
                        out.extend(
                            self.compare(
                                a_op,
                                b_op,
                                items=(a_item, b_item),
                                paths=(expression, expression),
                                where=op_where,
                                flipped=True,
                            )
                        )


def _schema_at(holder: dict[str, Any], at: str) -> str:
    """The pointer of a parameter's or header's schema (see :func:`_content_schema`)."""
    if "schema" in holder:
        return f"{at}/schema"
    content = holder.get("content")
    if isinstance(content, dict) and content:
        return f"{at}/content/{escape(str(next(iter(content))))}/schema"
    return f"{at}/schema"
