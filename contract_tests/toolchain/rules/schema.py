"""Compare two schemas at one *site* (request body, parameter, response body, response header).

The comparison yields *facts* (``type-widened``, ``property-removed``, ...); the site turns a fact into a
rule id and a severity (:mod:`~contract_tests.toolchain.rules.catalog`). Results are memoised per pair of
``$ref`` targets, so a component used by 300 operations is compared once, and ``$ref`` cycles stop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from contract_tests.toolchain.rules.catalog import SENDING_SITES, schema_rule
from contract_tests.toolchain.rules.model import IN_PLACE_SUBSCHEMAS, Change, deref, escape
from contract_tests.toolchain.rules.shapes import (
    ANNOTATIONS,
    COUNT_BOUNDS,
    NUMERIC_BOUNDS,
    effective,
    format_relation,
    is_annotation_only,
    numeric_bound,
    type_relation,
    types_of,
)

__all__ = ["SchemaDiff"]

Fact = tuple[str, str, str]  # (pointer relative to the schema, fact, message)
_MISSING = object()
_ANY_PATTERN = frozenset({"", ".*", "^.*$", "^.*", ".*$", "(.*)", "^(.*)$", "[\\s\\S]*", "^[\\s\\S]*$"})
_MAX_DEPTH = 64


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kinds(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


def _values(schema: dict[str, Any], keyword: str) -> list[Any] | None:
    raw = schema.get(keyword)
    return [value for value in raw if value is not None] if isinstance(raw, list) else None


class SchemaDiff:
    """Schema comparison between two documents (their roots resolve ``$ref``s), memoised across calls."""

    def __init__(self, old_root: Any, new_root: Any) -> None:
        self.old_root, self.new_root = old_root, new_root
        self._memo: dict[tuple[str, str, str, bool], list[Fact]] = {}
        self._active: set[tuple[str, str, str, bool]] = set()

    def changes(self, old: Any, new: Any, site: str, location: str, *, xml: bool = False) -> list[Change]:
        """Every change from ``old`` to ``new`` (raw schema nodes) at ``site``, located under ``location``."""
        return [
            Change(location + rel, schema_rule(site, fact), message)
            for rel, fact, message in self.facts(old, new, site, xml)
        ]

    def facts(self, old: Any, new: Any, site: str, xml: bool = False, depth: int = 0) -> list[Fact]:
        """The facts from ``old`` to ``new``, with pointers relative to the schema."""
        if depth > _MAX_DEPTH:
            return []
        old_ref = old.get("$ref") if isinstance(old, dict) and len(old) == 1 else None
        new_ref = new.get("$ref") if isinstance(new, dict) and len(new) == 1 else None
        if not (isinstance(old_ref, str) and isinstance(new_ref, str)):
            return self._compare(old, new, site, xml, depth)
        key = (old_ref, new_ref, site, xml)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return []  # a cycle: the outer comparison covers it
        self._active.add(key)
        try:
            found = self._compare(old, new, site, xml, depth)
        finally:
            self._active.discard(key)
        self._memo[key] = found
        return found

    def _compare(self, old_raw: Any, new_raw: Any, site: str, xml: bool, depth: int) -> list[Fact]:
        old, _ = effective(old_raw, self.old_root)
        new, _ = effective(new_raw, self.new_root)
        out: list[Fact] = []

        def recurse(a: Any, b: Any, rel: str) -> None:
            out.extend((rel + sub, fact, message) for sub, fact, message in self.facts(a, b, site, xml, depth + 1))

        sends = site in SENDING_SITES
        if self._variants(old, new, out, recurse):
            return out
        self._types(old, new, site, xml, out)
        self._enums(old, new, sends, out)
        self._bounds(old, new, out)
        self._objects(old, new, sends, out, recurse)
        self._arrays(old, new, out, recurse)
        self._all_of(old, new, out)
        self._constraints(old, new, out, recurse)
        return out

    # -- types, values, bounds ------------------------------------------------------------------------------

    def _types(self, old: dict[str, Any], new: dict[str, Any], site: str, xml: bool, out: list[Fact]) -> None:
        (old_types, old_null), (new_types, new_null) = types_of(old), types_of(new)
        textual = site in ("request-parameter", "response-header")
        relation = type_relation(old_types, new_types, textual=textual)
        if xml and old_types | new_types <= {"string", "object"}:
            relation = "same"  # XML text and elements carry the same value
        if (
            textual
            and relation == "changed"
            and new_types == {"array"}
            and old_types <= {"string", "integer", "number", "boolean"}
        ):
            items, _ = effective(new.get("items"), self.new_root)
            plain = types_of(items)[0] <= {"string"} and not set(items) - ANNOTATIONS - {"type"}
            relation = "widened" if plain else "changed"  # `?p=1` still parses as a one-item list of strings
        if relation != "same":
            out.append(("", f"type-{relation}", f"type {_kinds(old_types)} → {_kinds(new_types)}"))
        elif not (old_types ^ new_types):
            a, b = old.get("format"), new.get("format")
            formats = format_relation(a, b)
            if formats != "same":
                out.append(("", f"type-{formats}", f"format {_show(a)} → {_show(b)}"))
        if old_null != new_null:
            out.append(
                (
                    "",
                    "nullable-added" if new_null else "nullable-removed",
                    "now nullable" if new_null else "no longer nullable",
                )
            )

    def _enums(self, old: dict[str, Any], new: dict[str, Any], sends: bool, out: list[Fact]) -> None:
        a, b = _values(old, "enum"), _values(new, "enum")
        if a is not None and b is not None:
            out.extend(("", "enum-value-added", f"enum value {_show(v)} added") for v in b if v not in a)
            out.extend(("", "enum-value-removed", f"enum value {_show(v)} removed") for v in a if v not in b)
        elif a is None and b is not None and "const" not in old:
            out.append(("", "enum-added", f"now one of {_show(b)}"))
        elif a is not None and b is None and "const" not in new:
            out.append(("", "enum-removed", f"no longer limited to {_show(a)}"))
        extensible_old, extensible_new = _values(old, "x-extensible-enum"), _values(new, "x-extensible-enum")
        if sends and extensible_old and extensible_new is not None:
            out.extend(
                ("", "enum-value-removed", f"x-extensible-enum value {_show(v)} removed")
                for v in extensible_old
                if v not in extensible_new
            )
        if "const" in old and "const" in new and old["const"] != new["const"]:
            out.append(("", "const-changed", f"const {_show(old['const'])} → {_show(new['const'])}"))
        elif "const" in new and "const" not in old:
            out.append(("", "const-added", f"now always {_show(new['const'])}"))
        elif "const" in old and "const" not in new:
            out.append(("", "const-removed", f"no longer always {_show(old['const'])}"))
        if old.get("default", _MISSING) != new.get("default", _MISSING):
            out.append(("", "default-changed", f"default {_show(old.get('default'))} → {_show(new.get('default'))}"))
        if new.get("deprecated") is True and old.get("deprecated") is not True:
            out.append(("", "deprecated", "marked deprecated"))
        a_pattern, b_pattern = old.get("pattern"), new.get("pattern")
        a_any, b_any = a_pattern is None or a_pattern in _ANY_PATTERN, b_pattern is None or b_pattern in _ANY_PATTERN
        if a_pattern != b_pattern and not (a_any and b_any):
            if a_any:
                out.append(("", "pattern-added", f"must match {_show(b_pattern)}"))
            elif b_any:
                out.append(("", "pattern-removed", f"pattern {_show(a_pattern)} dropped"))
            else:
                out.append(("", "pattern-changed", f"pattern {_show(a_pattern)} → {_show(b_pattern)}"))

    def _bounds(self, old: dict[str, Any], new: dict[str, Any], out: list[Fact]) -> None:
        for inclusive, exclusive, lower in NUMERIC_BOUNDS:
            a, b = numeric_bound(old, inclusive, exclusive, lower), numeric_bound(new, inclusive, exclusive, lower)
            if a == b:
                continue
            name = exclusive if (b or a or (0, False))[1] else inclusive
            shown = f"{name} {a[0] if a else None} → {b[0] if b else None}"
            if a is None:
                out.append(("", "range-added", shown))
            elif b is None:
                out.append(("", "range-widened", shown))
            else:
                tighter = (b > a) if lower else (b[0] < a[0] or (b[0] == a[0] and b[1]))
                out.append(("", "range-narrowed" if tighter else "range-widened", shown))
        for keyword, lower in COUNT_BOUNDS:
            a_count, b_count = old.get(keyword), new.get(keyword)
            if a_count == b_count or isinstance(a_count, bool) or isinstance(b_count, bool):
                continue
            shown = f"{keyword} {a_count} → {b_count}"
            if a_count is None:
                out.append(("", "range-added", shown))
            elif b_count is None:
                out.append(("", "range-widened", shown))
            elif isinstance(a_count, int | float) and isinstance(b_count, int | float):
                tighter = b_count > a_count if lower else b_count < a_count
                out.append(("", "range-narrowed" if tighter else "range-widened", shown))

    # -- objects and arrays ---------------------------------------------------------------------------------

    def _hidden(self, raw: Any, root: Any, sends: bool) -> bool:
        """readOnly properties are never sent, writeOnly ones never received."""
        target, _ = effective(raw, root)
        return target.get("readOnly" if sends else "writeOnly") is True

    def _objects(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        sends: bool,
        out: list[Fact],
        recurse: Callable[[Any, Any, str], None],
    ) -> None:
        a_props: dict[str, Any] = old["properties"] if isinstance(old.get("properties"), dict) else {}
        b_props: dict[str, Any] = new["properties"] if isinstance(new.get("properties"), dict) else {}
        a_req = (
            {name for name in old.get("required") or [] if isinstance(name, str)}
            if isinstance(old.get("required"), list)
            else set()
        )
        b_req = (
            {name for name in new.get("required") or [] if isinstance(name, str)}
            if isinstance(new.get("required"), list)
            else set()
        )
        for name, a_prop in a_props.items():
            if name not in b_props and not self._hidden(a_prop, self.old_root, sends):
                fact = "property-removed" if name in a_req else "property-removed-optional"
                out.append((f"/properties/{escape(name)}", fact, f"property `{name}` removed"))
        for name, b_prop in b_props.items():
            if name not in a_props and not self._hidden(b_prop, self.new_root, sends):
                fact = "property-added-required" if name in b_req else "property-added-optional"
                out.append(
                    (
                        f"/properties/{escape(name)}",
                        fact,
                        f"{'required' if name in b_req else 'optional'} property `{name}` added",
                    )
                )
        for name, b_prop in b_props.items():
            if name not in a_props:
                continue
            rel = f"/properties/{escape(name)}"
            if not self._hidden(b_prop, self.new_root, sends):
                if name in b_req and name not in a_req:
                    out.append((rel, "property-became-required", f"`{name}` is now required"))
                elif name in a_req and name not in b_req:
                    out.append((rel, "property-became-optional", f"`{name}` is no longer required"))
            recurse(a_props[name], b_prop, rel)
        a_extra, b_extra = old.get("additionalProperties"), new.get("additionalProperties")
        openness = {"open": 2, "schema": 1, "closed": 0}
        a_kind, b_kind = _openness(a_extra), _openness(b_extra)
        if a_kind != b_kind:
            fact = (
                "additional-properties-narrowed"
                if openness[b_kind] < openness[a_kind]
                else "additional-properties-widened"
            )
            out.append(("/additionalProperties", fact, f"additionalProperties {a_kind} → {b_kind}"))
        elif a_kind == "schema":
            recurse(a_extra, b_extra, "/additionalProperties")

    def _arrays(
        self, old: dict[str, Any], new: dict[str, Any], out: list[Fact], recurse: Callable[[Any, Any, str], None]
    ) -> None:
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            recurse(old["items"], new["items"], "/items")
        a_tuple, b_tuple = old.get("prefixItems"), new.get("prefixItems")
        if isinstance(a_tuple, list) and isinstance(b_tuple, list):
            for index in range(min(len(a_tuple), len(b_tuple))):
                recurse(a_tuple[index], b_tuple[index], f"/prefixItems/{index}")
        a_len, b_len = (
            len(a_tuple) if isinstance(a_tuple, list) else 0,
            len(b_tuple) if isinstance(b_tuple, list) else 0,
        )
        if b_len > a_len:
            out.append(("/prefixItems", "prefix-items-added", f"prefixItems {a_len} → {b_len} positions"))
        elif b_len < a_len:
            out.append(("/prefixItems", "prefix-items-removed", f"prefixItems {a_len} → {b_len} positions"))

    # -- composition ----------------------------------------------------------------------------------------

    def _key(self, raw: Any, root: Any) -> str | None:
        target, ref = deref(raw, root)
        if ref:
            return "ref:" + ref.rsplit("/", 1)[-1]
        title = target.get("title") if isinstance(target, dict) else None
        return f"title:{title}" if isinstance(title, str) else None

    def _shape(self, raw: Any, root: Any) -> str:
        target, _ = effective(raw, root)
        return json.dumps(
            [sorted(types_of(target)[0]), sorted(target.get("properties") or {}), target.get("enum")], default=str
        )

    def match(self, old: list[Any], new: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Pair the variants of two oneOf/anyOf/allOf lists: by ref name or title, then by shape, then in order."""
        pairs: list[tuple[int, int]] = []
        a_left, b_left = list(range(len(old))), list(range(len(new)))
        a_keys = [self._key(v, self.old_root) for v in old]
        b_keys = [self._key(v, self.new_root) for v in new]
        for i in list(a_left):
            j = next((j for j in b_left if a_keys[i] is not None and b_keys[j] == a_keys[i]), None)
            if j is not None:
                pairs.append((i, j))
                a_left.remove(i)
                b_left.remove(j)
        for i in list(a_left):
            shape = self._shape(old[i], self.old_root)
            j = next((j for j in b_left if self._shape(new[j], self.new_root) == shape), None)
            if j is not None:
                pairs.append((i, j))
                a_left.remove(i)
                b_left.remove(j)
        unnamed_a = [i for i in a_left if a_keys[i] is None]
        unnamed_b = [j for j in b_left if b_keys[j] is None]
        for i, j in zip(unnamed_a, unnamed_b, strict=False):
            pairs.append((i, j))
            a_left.remove(i)
            b_left.remove(j)
        return sorted(pairs), a_left, b_left

    def _variants(
        self, old: dict[str, Any], new: dict[str, Any], out: list[Fact], recurse: Callable[[Any, Any, str], None]
    ) -> bool:
        """oneOf/anyOf; True when the schema became (or stopped being) a union, which says it all."""
        a_kw = next((kw for kw in ("oneOf", "anyOf") if isinstance(old.get(kw), list)), None)
        b_kw = next((kw for kw in ("oneOf", "anyOf") if isinstance(new.get(kw), list)), None)
        if a_kw is None and b_kw is not None and (old.get("type") or old.get("properties")):
            out.append(("", "wrapped-in-variants", f"became a {b_kw} of {len(new[b_kw])} variants"))
            return True
        if a_kw is not None and b_kw is None and (new.get("type") or new.get("properties")):
            out.append(("", "variant-removed", f"no longer a {a_kw}: {len(old[a_kw])} variants became one schema"))
            return True
        if a_kw is None or b_kw is None:
            self._discriminator(old, new, out)
            return False
        pairs, removed, added = self.match(old[a_kw], new[b_kw])
        for i in removed:
            out.append(
                (
                    f"/{a_kw}/{i}",
                    "variant-removed",
                    f"{a_kw} variant {self._label(old[a_kw][i], self.old_root, i)} removed",
                )
            )
        for j in added:
            out.append(
                (f"/{b_kw}/{j}", "variant-added", f"{b_kw} variant {self._label(new[b_kw][j], self.new_root, j)} added")
            )
        for i, j in pairs:
            recurse(old[a_kw][i], new[b_kw][j], f"/{b_kw}/{j}")
        self._discriminator(old, new, out)
        return False

    def _label(self, raw: Any, root: Any, index: int) -> str:
        key = self._key(raw, root)
        return f"`{key.split(':', 1)[1]}`" if key else f"#{index}"

    def _discriminator(self, old: dict[str, Any], new: dict[str, Any], out: list[Fact]) -> None:
        a, b = old.get("discriminator"), new.get("discriminator")
        if a == b:
            return
        if not isinstance(a, dict) or not isinstance(b, dict):
            out.append(
                (
                    "/discriminator",
                    "discriminator-changed",
                    "discriminator added" if a is None else "discriminator removed",
                )
            )
            return
        if a.get("propertyName") != b.get("propertyName"):
            out.append(
                (
                    "/discriminator",
                    "discriminator-changed",
                    f"propertyName {_show(a.get('propertyName'))} → {_show(b.get('propertyName'))}",
                )
            )
        if (a.get("mapping") or {}) != (b.get("mapping") or {}):
            out.append(("/discriminator/mapping", "discriminator-changed", "mapping changed"))

    def _all_of(self, old: dict[str, Any], new: dict[str, Any], out: list[Fact]) -> None:
        """allOf content is compared flattened; here only subschemas added to or removed from an allOf list."""
        a, b = old.get("allOf"), new.get("allOf")
        if not isinstance(a, list) or not isinstance(b, list):
            return
        _, removed, added = self.match(a, b)
        for i in removed:
            if not is_annotation_only(deref(a[i], self.old_root)[0]):
                out.append(
                    (f"/allOf/{i}", "all-of-removed", f"allOf subschema {self._label(a[i], self.old_root, i)} removed")
                )
        for j in added:
            if not is_annotation_only(deref(b[j], self.new_root)[0]):
                out.append(
                    (f"/allOf/{j}", "all-of-added", f"allOf subschema {self._label(b[j], self.new_root, j)} added")
                )

    # -- JSON Schema 2020-12 constraints ----------------------------------------------------------------------

    def _constraints(
        self, old: dict[str, Any], new: dict[str, Any], out: list[Fact], recurse: Callable[[Any, Any, str], None]
    ) -> None:
        for keyword in IN_PLACE_SUBSCHEMAS:
            a, b = old.get(keyword, _MISSING), new.get(keyword, _MISSING)
            if a is _MISSING and b is _MISSING:
                continue
            if a is _MISSING:
                out.append((f"/{keyword}", "constraint-added", f"{keyword} added"))
            elif b is _MISSING:
                out.append((f"/{keyword}", "constraint-removed", f"{keyword} removed"))
            elif isinstance(a, dict) and isinstance(b, dict):
                recurse(a, b, f"/{keyword}")
            elif a != b:
                fact = (
                    "constraint-added" if b is False else "constraint-removed" if a is False else "constraint-changed"
                )
                out.append((f"/{keyword}", fact, f"{keyword} {_show(a)} → {_show(b)}"))
        for keyword in ("patternProperties", "dependentSchemas", "dependentRequired"):
            a_map, b_map = old.get(keyword), new.get(keyword)
            a_map, b_map = a_map if isinstance(a_map, dict) else {}, b_map if isinstance(b_map, dict) else {}
            for key in b_map.keys() - a_map.keys():
                out.append((f"/{keyword}/{escape(key)}", "constraint-added", f"{keyword} {_show(key)} added"))
            for key in a_map.keys() - b_map.keys():
                out.append((f"/{keyword}/{escape(key)}", "constraint-removed", f"{keyword} {_show(key)} removed"))
            for key in sorted(a_map.keys() & b_map.keys()):
                rel = f"/{keyword}/{escape(key)}"
                if keyword != "dependentRequired":
                    recurse(a_map[key], b_map[key], rel)
                elif a_map[key] != b_map[key]:
                    a_set, b_set = set(map(str, a_map[key] or [])), set(map(str, b_map[key] or []))
                    fact = (
                        "constraint-added"
                        if b_set > a_set
                        else "constraint-removed"
                        if b_set < a_set
                        else "constraint-changed"
                    )
                    out.append((rel, fact, f"{keyword} {_show(key)}: {_show(a_map[key])} → {_show(b_map[key])}"))
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            fact = "constraint-added" if new.get("uniqueItems") else "constraint-removed"
            out.append(
                ("/uniqueItems", fact, f"uniqueItems {bool(old.get('uniqueItems'))} → {bool(new.get('uniqueItems'))}")
            )
        out.extend(_multiple_of(old.get("multipleOf"), new.get("multipleOf")))
        for keyword in ("contentMediaType", "contentEncoding"):
            if old.get(keyword) != new.get(keyword):
                out.append(
                    (
                        f"/{keyword}",
                        "constraint-changed",
                        f"{keyword} {_show(old.get(keyword))} → {_show(new.get(keyword))}",
                    )
                )


def _openness(value: Any) -> str:
    if value is None or value is True or value == {}:
        return "open"
    return "closed" if value is False else "schema"


def _multiple_of(a: Any, b: Any) -> Iterator[Fact]:
    if a == b or isinstance(a, bool) or isinstance(b, bool):
        return
    shown = f"multipleOf {_show(a)} → {_show(b)}"
    if a is None:
        yield ("/multipleOf", "constraint-added", shown)
    elif b is None:
        yield ("/multipleOf", "constraint-removed", shown)
    elif isinstance(a, int | float) and isinstance(b, int | float) and 0 < a < math.inf and 0 < b < math.inf:
        # As decimals, the way the spec writes them: 0.3 % 0.1 is not 0 in binary floating point.
        step_a, step_b = Fraction(str(a)), Fraction(str(b))
        if step_a % step_b == 0:
            yield ("/multipleOf", "constraint-removed", shown)  # every multiple of a is a multiple of b
        elif step_b % step_a == 0:
            yield ("/multipleOf", "constraint-added", shown)
        else:
            yield ("/multipleOf", "constraint-changed", shown)
    else:
        yield ("/multipleOf", "constraint-changed", shown)  # not a valid step (0, negative, text): no direction
