"""Compare two schemas at one *site* (request body, parameter, response body, response header).

The comparison yields *facts* (``type-widened``, ``property-removed``, ...), each located where the change is
made: an RFC 6901 pointer into the new document (the old one for what was removed). The site turns a fact into a
rule id and a severity (:mod:`~contract_tests.toolchain.rules.catalog`).

Two pure ``$ref``s side by side are a *node*, compared once per (old ref, new ref, site): its facts are located
inside the referenced components, whoever reaches them, and it records the nodes it reaches in turn. An operation's
site is an anonymous node; :meth:`SchemaDiff.reached` gives every fact it reaches, so a change of a component used
by 500 operations is one fact reached 500 times. Nodes are compared from a work list, not recursively: the result
does not depend on the order operations are visited in, and ``$ref`` cycles need no special case.

Unions (oneOf/anyOf) are compared by what they admit: nested unions are flattened through ``$ref``s, variants are
paired by ``$ref`` name or title, then by shape, and an unpaired variant counts only when no variant of the other
side admits everything it admits (a string alternative removed is a narrowing; a ``{enum: [""]}`` added next to
the old schema is a widening; a variant added that an old one already covers is nothing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import attrs

from contract_tests.toolchain.rules.catalog import SENDING_SITES
from contract_tests.toolchain.rules.model import IN_PLACE_SUBSCHEMAS, deref, escape, follow, pure_ref
from contract_tests.toolchain.rules.shapes import (
    ANNOTATIONS,
    COUNT_BOUNDS,
    NUMERIC_BOUNDS,
    Effective,
    format_relation,
    generated_type,
    is_annotation_only,
    is_null,
    numeric_bound,
    resolve,
    type_relation,
    types_of,
)
from contract_tests.toolchain.rules.where import describe

__all__ = ["NARROWING_FACTS", "Fact", "Node", "NodeKey", "SchemaDiff"]

_MISSING = object()
_ANY_PATTERN = frozenset({"", ".*", "^.*$", "^.*", ".*$", "(.*)", "^(.*)$", "[\\s\\S]*", "^[\\s\\S]*$"})
_MAX_DEPTH = 64  # inline nesting within one node
_MAX_FLATTEN = 8  # unions nested in unions
_MAX_PROBE_REFS = 24  # $ref hops one subsumption probe follows
_MAX_COVER_PAIRS = 64  # unnamed leftover variants paired by subsumption (old x new), beyond that in order
_MAX_SPLIT = 64  # enum values checked one by one against the other side's alternatives
# Keywords a union may carry and still be a pure wrapper of its variants.
_WRAPPER_KEYS = ANNOTATIONS | {"discriminator", "nullable", "oneOf", "anyOf", "xml", "externalDocs"}
# Facts by which the new schema admits fewer values than the old one (what a sender must not see).
NARROWING_FACTS = frozenset(
    {
        "type-changed",
        "type-narrowed",
        "nullable-removed",
        "enum-value-removed",
        "enum-added",
        "const-added",
        "const-changed",
        "range-narrowed",
        "range-added",
        "pattern-added",
        "pattern-changed",
        "property-added-required",
        "property-became-required",
        "additional-properties-narrowed",
        "additional-properties-closed",
        "variant-removed",
        "all-of-added",
        "constraint-added",
        "constraint-changed",
        "prefix-items-removed",
    }
)


@attrs.frozen(order=True)
class Fact:
    """One fact: where (pointer in the ``side`` document), what, said in a few words."""

    pointer: str
    fact: str
    message: str
    side: str = "new"


NodeKey = tuple[str, str, str, bool]  # old $ref, new $ref, site, xml
# A node reached from another: its key, and where the reference was swapped (None when both sides name the same
# component, or a renamed one): the facts of a swapped pair are differences between two components, reported at the
# place the reference changed.
Edge = tuple[NodeKey, str | None]


@attrs.define
class Node:
    """The facts located in one comparison, and the nodes (``$ref`` pairs) it reaches."""

    facts: set[Fact] = attrs.field(factory=set)
    children: set[Edge] = attrs.field(factory=set)


class _Narrowed(Exception):
    """A probe found a value the wider schema would reject."""


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kinds(types: frozenset[str]) -> str:
    return "|".join(sorted(types))


def _values(schema: dict[str, Any], keyword: str) -> list[Any] | None:
    raw = schema.get(keyword)
    return [value for value in raw if value is not None] if isinstance(raw, list) else None


def _openness(value: Any) -> str:
    if value is None or value is True or value == {}:
        return "open"
    return "closed" if value is False else "schema"


def label(raw: Any, root: Any) -> str:  # noqa: PLR0911 - one return per way of naming
    """A variant's name for people: its ``$ref`` name, title, constant, or type (never only an index)."""
    target, ref = deref(raw, root)
    if ref:
        return f"`{ref.rsplit('/', 1)[-1]}`"
    schema = resolve(raw, root).schema
    if isinstance(schema.get("title"), str):
        return f"`{schema['title']}`"
    if "const" in schema:
        return f"`{_show(schema['const'], 40)}`"
    values = _values(schema, "enum")
    if values is not None:
        return f"`{_show(values[0], 40)}`" if len(values) == 1 else f"enum `{_show(values, 40)}`"
    types = types_of(schema)[0]
    if types == {"object"} and isinstance(schema.get("properties"), dict) and schema["properties"]:
        names = sorted(schema["properties"])
        return f"object `{{{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}}}`"  # noqa: PLR2004
    if types == {"array"}:
        return f"array of {label(schema.get('items'), root)}" if isinstance(schema.get("items"), dict) else "`array`"
    if types:
        shown = _kinds(types)
        return f"`{shown}`" + (f" ({schema['format']})" if isinstance(schema.get("format"), str) else "")
    return f"`{_show(target, 40)}`"


class _Comparison:
    """One comparison direction (old root -> new root) at one site; subclasses decide where facts and refs go."""

    def __init__(self, old_root: Any, new_root: Any, site: str, xml: bool, diff: SchemaDiff) -> None:
        self.old_root, self.new_root, self.site, self.xml, self.diff = old_root, new_root, site, xml, diff
        self.sends = site in SENDING_SITES
        self.textual = site in ("request-parameter", "response-header")

    # -- what subclasses decide ---------------------------------------------------------------------------------

    def emit(self, pointer: str, fact: str, message: str, side: str = "new") -> None:
        raise NotImplementedError

    def reference(self, old_ref: str, new_ref: str, at: str) -> None:
        raise NotImplementedError

    # -- the walk -----------------------------------------------------------------------------------------------

    def schema(self, old_raw: Any, new_raw: Any, old_at: str, new_at: str, depth: int) -> None:
        """Compare two raw schema nodes found at ``old_at`` / ``new_at``."""
        if depth > _MAX_DEPTH:
            return
        old_ref, new_ref = pure_ref(old_raw), pure_ref(new_raw)
        if old_ref is not None and new_ref is not None:
            self.reference(old_ref, new_ref, new_at)
            return
        self.compare(resolve(old_raw, self.old_root, old_at), resolve(new_raw, self.new_root, new_at), depth)

    def compare(self, old: Effective, new: Effective, depth: int) -> None:
        if self._unions(old, new, depth):
            return
        self._types(old, new)
        self._enums(old, new)
        self._bounds(old, new)
        self._objects(old, new, depth)
        self._arrays(old, new, depth)
        self._all_of(old, new)
        self._constraints(old, new, depth)

    # -- types, values, bounds ----------------------------------------------------------------------------------

    def _nullability(self, old: Effective, new: Effective) -> None:
        old_null, new_null = types_of(old.schema)[1], types_of(new.schema)[1]
        if old_null != new_null:
            fact = "nullable-added" if new_null else "nullable-removed"
            self.emit(new.at, fact, "now nullable" if new_null else "no longer nullable")

    def _types(self, old_e: Effective, new_e: Effective) -> None:
        old, new = old_e.schema, new_e.schema
        (old_types, _), (new_types, _) = types_of(old), types_of(new)
        relation = type_relation(old_types, new_types, textual=self.textual)
        if self.xml and old_types | new_types <= {"string", "object"}:
            relation = "same"  # XML text and elements carry the same value
        if (
            self.textual
            and relation == "changed"
            and new_types == {"array"}
            and old_types <= {"string", "integer", "number", "boolean"}
        ):
            items = resolve(new.get("items"), self.new_root).schema
            plain = types_of(items)[0] <= {"string"} and not set(items) - ANNOTATIONS - {"type"}
            relation = "widened" if plain else "changed"  # `?p=1` still parses as a one-item list of strings
        if relation != "same":
            self.emit(new_e.at, f"type-{relation}", f"type {_kinds(old_types)} → {_kinds(new_types)}")
        elif not (old_types ^ new_types):
            a, b = old.get("format"), new.get("format")
            if old_types == {"integer"}:  # a JSON integer is an int64 in practice (and an `int` in Python)
                a, b = a or "int64", b or "int64"
            formats = format_relation(a, b)
            a_type, b_type = generated_type(old_types, a), generated_type(new_types, b)
            if formats != "same" and a_type != b_type:
                shown = f"format {_show(a)} → {_show(b)} (the generated type {a_type} → {b_type})"
                self.emit(new_e.at, "type-changed", shown)
            elif formats != "same":
                self.emit(new_e.at, f"type-{formats}", f"format {_show(a)} → {_show(b)}")
        self._nullability(old_e, new_e)

    def _enums(self, old_e: Effective, new_e: Effective) -> None:
        old, new, at = old_e.schema, new_e.schema, new_e.at
        a, b = _values(old, "enum"), _values(new, "enum")
        if a is not None and b is not None:
            for value in b:
                if value not in a:
                    self.emit(at, "enum-value-added", f"enum value {_show(value)} added")
            for value in a:
                if value not in b:
                    self.emit(at, "enum-value-removed", f"enum value {_show(value)} removed")
        elif a is None and b is not None and "const" not in old:
            self.emit(at, "enum-added", f"now one of {_show(b)}")
        elif a is not None and b is None and "const" not in new:
            self.emit(at, "enum-removed", f"no longer limited to {_show(a)}")
        extensible_old, extensible_new = _values(old, "x-extensible-enum"), _values(new, "x-extensible-enum")
        if self.sends and extensible_old and extensible_new is not None:
            for value in extensible_old:
                if value not in extensible_new:
                    self.emit(at, "enum-value-removed", f"x-extensible-enum value {_show(value)} removed")
        if "const" in old and "const" in new and old["const"] != new["const"]:
            self.emit(at, "const-changed", f"const {_show(old['const'])} → {_show(new['const'])}")
        elif "const" in new and "const" not in old:
            self.emit(at, "const-added", f"now always {_show(new['const'])}")
        elif "const" in old and "const" not in new:
            self.emit(at, "const-removed", f"no longer always {_show(old['const'])}")
        a_default, b_default = old.get("default", _MISSING), new.get("default", _MISSING)
        if a_default is _MISSING and b_default is not _MISSING:
            self.emit(at, "default-added", f"default {_show(b_default)} added")
        elif a_default is not _MISSING and b_default is _MISSING:
            self.emit(old_e.at, "default-removed", f"default {_show(a_default)} removed", "old")
        elif a_default != b_default:
            self.emit(at, "default-changed", f"default {_show(a_default)} → {_show(b_default)}")
        if new.get("deprecated") is True and old.get("deprecated") is not True:
            self.emit(at, "deprecated", "marked deprecated")
        a_pattern, b_pattern = old.get("pattern"), new.get("pattern")
        a_any, b_any = a_pattern is None or a_pattern in _ANY_PATTERN, b_pattern is None or b_pattern in _ANY_PATTERN
        if a_pattern != b_pattern and not (a_any and b_any):
            if a_any:
                self.emit(at, "pattern-added", f"must match {_show(b_pattern)}")
            elif b_any:
                self.emit(at, "pattern-removed", f"pattern {_show(a_pattern)} dropped")
            else:
                self.emit(at, "pattern-changed", f"pattern {_show(a_pattern)} → {_show(b_pattern)}")

    def _bounds(self, old_e: Effective, new_e: Effective) -> None:
        old, new, at = old_e.schema, new_e.schema, new_e.at
        for inclusive, exclusive, lower in NUMERIC_BOUNDS:
            a, b = numeric_bound(old, inclusive, exclusive, lower), numeric_bound(new, inclusive, exclusive, lower)
            if a == b:
                continue
            name = exclusive if (b or a or (0, False))[1] else inclusive
            shown = f"{name} {a[0] if a else None} → {b[0] if b else None}"
            if a is None:
                self.emit(at, "range-added", shown)
            elif b is None:
                self.emit(at, "range-widened", shown)
            else:
                tighter = (b > a) if lower else (b[0] < a[0] or (b[0] == a[0] and b[1]))
                self.emit(at, "range-narrowed" if tighter else "range-widened", shown)
        for keyword, lower in COUNT_BOUNDS:
            a_count, b_count = old.get(keyword), new.get(keyword)
            if a_count == b_count or isinstance(a_count, bool) or isinstance(b_count, bool):
                continue
            shown = f"{keyword} {a_count} → {b_count}"
            if a_count is None:
                self.emit(at, "range-added", shown)
            elif b_count is None:
                self.emit(at, "range-widened", shown)
            elif isinstance(a_count, int | float) and isinstance(b_count, int | float):
                tighter = b_count > a_count if lower else b_count < a_count
                self.emit(at, "range-narrowed" if tighter else "range-widened", shown)

    # -- objects and arrays -------------------------------------------------------------------------------------

    def _hidden(self, raw: Any, root: Any) -> bool:
        """readOnly properties are never sent, writeOnly ones never received."""
        return resolve(raw, root).schema.get("readOnly" if self.sends else "writeOnly") is True

    def _objects(self, old_e: Effective, new_e: Effective, depth: int) -> None:
        old, new = old_e.schema, new_e.schema
        a_props: dict[str, Any] = old["properties"] if isinstance(old.get("properties"), dict) else {}
        b_props: dict[str, Any] = new["properties"] if isinstance(new.get("properties"), dict) else {}
        a_req = (
            {n for n in old.get("required") or [] if isinstance(n, str)}
            if isinstance(old.get("required"), list)
            else set()
        )
        b_req = (
            {n for n in new.get("required") or [] if isinstance(n, str)}
            if isinstance(new.get("required"), list)
            else set()
        )
        for name, a_prop in a_props.items():
            if name not in b_props and not self._hidden(a_prop, self.old_root):
                fact = "property-removed" if name in a_req else "property-removed-optional"
                self.emit(old_e.property_at(name), fact, f"property `{name}` removed", "old")
        for name, b_prop in b_props.items():
            if name not in a_props and not self._hidden(b_prop, self.new_root):
                fact = "property-added-required" if name in b_req else "property-added-optional"
                kind = "required" if name in b_req else "optional"
                self.emit(new_e.property_at(name), fact, f"{kind} property `{name}` added")
        for name, b_prop in b_props.items():
            if name not in a_props:
                continue
            at = new_e.property_at(name)
            if not self._hidden(b_prop, self.new_root):
                if name in b_req and name not in a_req:
                    self.emit(at, "property-became-required", f"`{name}` is now required")
                elif name in a_req and name not in b_req:
                    self.emit(at, "property-became-optional", f"`{name}` is no longer required")
            self.schema(a_props[name], b_prop, old_e.property_at(name), at, depth + 1)
        a_extra, b_extra = old.get("additionalProperties"), new.get("additionalProperties")
        openness = {"open": 2, "schema": 1, "closed": 0}
        a_kind, b_kind = _openness(a_extra), _openness(b_extra)
        if a_kind != b_kind:
            narrowed = openness[b_kind] < openness[a_kind]
            fact = "additional-properties-narrowed" if narrowed else "additional-properties-widened"
            if (a_kind, b_kind) == ("open", "closed"):
                fact = "additional-properties-closed"  # no declared data is refused, unlike a map closed
            self.emit(new_e.at, fact, f"additionalProperties {a_kind} → {b_kind}")
        elif a_kind == "schema":
            at = "/additionalProperties"
            self.schema(a_extra, b_extra, old_e.at + at, new_e.at + at, depth + 1)

    def _arrays(self, old_e: Effective, new_e: Effective, depth: int) -> None:
        old, new = old_e.schema, new_e.schema
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.schema(old["items"], new["items"], old_e.at + "/items", new_e.at + "/items", depth + 1)
        a_tuple, b_tuple = old.get("prefixItems"), new.get("prefixItems")
        if isinstance(a_tuple, list) and isinstance(b_tuple, list):
            for index in range(min(len(a_tuple), len(b_tuple))):
                at = f"/prefixItems/{index}"
                self.schema(a_tuple[index], b_tuple[index], old_e.at + at, new_e.at + at, depth + 1)
        a_len = len(a_tuple) if isinstance(a_tuple, list) else 0
        b_len = len(b_tuple) if isinstance(b_tuple, list) else 0
        if b_len > a_len:
            self.emit(new_e.at, "prefix-items-added", f"prefixItems {a_len} → {b_len} positions")
        elif b_len < a_len:
            self.emit(new_e.at, "prefix-items-removed", f"prefixItems {a_len} → {b_len} positions")

    # -- unions -------------------------------------------------------------------------------------------------

    def _variants(self, found: Effective, root: Any, depth: int = 0) -> list[tuple[Any, str]] | None:
        """The non-null variants of a oneOf/anyOf as ``(raw, pointer)``, unions nested in it flattened."""
        keyword = next((kw for kw in ("oneOf", "anyOf") if isinstance(found.schema.get(kw), list)), None)
        if keyword is None:
            return None
        out: list[tuple[Any, str]] = []
        for index, raw in enumerate(found.schema[keyword]):
            at = f"{found.at}/{keyword}/{index}"
            target, _ = follow(raw, at, root)
            if is_null(target):
                continue
            if depth < _MAX_FLATTEN and _is_wrapper(target):
                nested = self._variants(resolve(raw, root, at), root, depth + 1)
                if nested is not None:
                    out.extend(nested)
                    continue
            out.append((raw, at))
        return out

    def _unions(self, old: Effective, new: Effective, depth: int) -> bool:
        """oneOf/anyOf by what they admit; True when the union comparison said everything there is to say."""
        a, b = self._variants(old, self.old_root), self._variants(new, self.new_root)
        if a is None and b is None:
            return False
        if a is not None and b is not None:
            self._union_pairs(a, b, depth)
            self._discriminator(old, new)
            pure = _is_wrapper(old.schema) and _is_wrapper(new.schema)
            if pure:
                self._nullability(old, new)
            return pure
        if b is not None:
            if not _is_wrapper(new.schema):
                if not _requirements_kept(old.schema, new.schema):
                    self.emit(new.at, "constraint-added", f"now also one of {len(b)} variants")
                return False
            single = _as_variant(old)
            if isinstance(new.schema.get("oneOf"), list) and len(b) > 1:
                self._one_of_overlap(single, b, new.at)
            self._union_pairs([(single, old.at)], b, depth)
        elif a is not None:
            if not _is_wrapper(old.schema):
                self.emit(new.at, "constraint-removed", f"no longer also one of {len(a)} variants")
                return False
            self._union_pairs(a, [(_as_variant(new), new.at)], depth)
        self._nullability(old, new)
        return True

    def _one_of_overlap(self, old: dict[str, Any], b: list[tuple[Any, str]], at: str) -> None:
        """A schema wrapped into a oneOf whose alternatives overlap: a value matching two of them is rejected."""
        matching = [raw for raw, _ in b if self.diff.covers(old, self.old_root, raw, self.new_root, self.xml)]
        if len(matching) > 1:
            names = ", ".join(label(raw, self.new_root) for raw in matching[:3])
            self.emit(at, "constraint-added", f"wrapped in a oneOf: old values match several alternatives ({names})")

    def _union_pairs(self, a: list[tuple[Any, str]], b: list[tuple[Any, str]], depth: int) -> None:
        pairs, removed, added = self.match([raw for raw, _ in a], [raw for raw, _ in b])
        for i in removed:
            # A named alternative is a generated class: code passing it breaks even when another one admits its values.
            named = pure_ref(a[i][0]) is not None
            if named or not self._covered(a[i][0], self.old_root, [raw for raw, _ in b], self.new_root):
                literal = _literal(resolve(a[i][0], self.old_root).schema)
                if literal is not None and not named:
                    self.emit(a[i][1], "enum-value-removed", f"value {_show(literal[0])} removed", "old")
                else:
                    self.emit(a[i][1], "variant-removed", f"{label(a[i][0], self.old_root)} alternative removed", "old")
        for j in added:
            if not self._covered(b[j][0], self.new_root, [raw for raw, _ in a], self.old_root):
                literal = _literal(resolve(b[j][0], self.new_root).schema)
                if literal is not None and pure_ref(b[j][0]) is None:
                    self.emit(b[j][1], "enum-value-added", f"value {_show(literal[0])} added")
                else:
                    self.emit(b[j][1], "variant-added", f"{label(b[j][0], self.new_root)} alternative added")
        for i, j in pairs:
            self.schema(a[i][0], b[j][0], a[i][1], b[j][1], depth + 1)

    def _covered(self, narrow: Any, narrow_root: Any, wide: list[Any], wide_root: Any) -> bool:
        """True when the alternatives ``wide`` together admit every value ``narrow`` admits: one of them admits all,
        or ``narrow`` is a finite enum each of whose values one of them admits."""
        if any(self.diff.covers(narrow, narrow_root, raw, wide_root, self.xml) for raw in wide):
            return True
        schema = resolve(narrow, narrow_root).schema
        values = schema.get("enum")
        if not isinstance(values, list) or not 1 < len(values) <= _MAX_SPLIT:
            return False
        return all(
            any(self.diff.covers({**schema, "enum": [value]}, narrow_root, raw, wide_root, self.xml) for raw in wide)
            for value in values
        )

    def _key(self, raw: Any, root: Any) -> str | None:
        target, ref = deref(raw, root)
        if ref:
            return "ref:" + ref.rsplit("/", 1)[-1]
        title = target.get("title") if isinstance(target, dict) else None
        if isinstance(title, str):
            return f"title:{title}"
        parts = target.get("allOf") if isinstance(target, dict) else None
        refs = [found for found in map(pure_ref, parts) if found] if isinstance(parts, list) else []
        return "all-of:" + ",".join(ref.rsplit("/", 1)[-1] for ref in refs) if refs else None  # named by its parts

    def _shape(self, raw: Any, root: Any) -> str:
        target = resolve(raw, root).schema
        return json.dumps(
            [sorted(types_of(target)[0]), sorted(target.get("properties") or {}), target.get("enum"), _literal(target)],
            default=str,
        )

    def match(self, old: list[Any], new: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Pair the variants of two lists: by ref name or title, then by shape, then unnamed ones in order."""
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
        b_shapes = {j: self._shape(new[j], self.new_root) for j in b_left}
        for i in list(a_left):
            shape = self._shape(old[i], self.old_root)
            j = next((j for j in b_left if b_shapes[j] == shape), None)
            if j is not None:
                pairs.append((i, j))
                a_left.remove(i)
                b_left.remove(j)
        # Unnamed leftovers pair with one that admits all they admit (or all of whose values they admit), then in
        # order, literals apart: a constant that is not in the other list was removed or added, it did not change (a
        # model name inserted into a union of names is one name added).
        unnamed_a = [i for i in a_left if a_keys[i] is None and _literal(resolve(old[i], self.old_root).schema) is None]
        unnamed_b = [j for j in b_left if b_keys[j] is None and _literal(resolve(new[j], self.new_root).schema) is None]
        if len(unnamed_a) * len(unnamed_b) <= _MAX_COVER_PAIRS:
            for i in list(unnamed_a):
                j = next(
                    (
                        j
                        for j in unnamed_b
                        if self.diff.covers(old[i], self.old_root, new[j], self.new_root, self.xml)
                        or self.diff.covers(new[j], self.new_root, old[i], self.old_root, self.xml)
                    ),
                    None,
                )
                if j is not None:
                    pairs.append((i, j))
                    for left, index in ((a_left, i), (b_left, j), (unnamed_a, i), (unnamed_b, j)):
                        left.remove(index)
        for i, j in zip(unnamed_a, unnamed_b, strict=False):
            pairs.append((i, j))
            a_left.remove(i)
            b_left.remove(j)
        return sorted(pairs), a_left, b_left

    def _discriminator(self, old_e: Effective, new_e: Effective) -> None:
        a, b = old_e.schema.get("discriminator"), new_e.schema.get("discriminator")
        at = new_e.at + "/discriminator"
        if a == b:
            return
        if not isinstance(a, dict) or not isinstance(b, dict):
            if a is None:
                self.emit(at, "discriminator-changed", "discriminator added")
            else:
                self.emit(old_e.at + "/discriminator", "discriminator-changed", "discriminator removed", "old")
            return
        if a.get("propertyName") != b.get("propertyName"):
            shown = f"propertyName {_show(a.get('propertyName'))} → {_show(b.get('propertyName'))}"
            self.emit(at, "discriminator-changed", shown)
        if (a.get("mapping") or {}) != (b.get("mapping") or {}):
            self.emit(at + "/mapping", "discriminator-changed", "mapping changed")

    def _all_of(self, old_e: Effective, new_e: Effective) -> None:
        """allOf content is compared flattened; here only subschemas added to or removed from an allOf list."""
        a, b = old_e.schema.get("allOf"), new_e.schema.get("allOf")
        if not isinstance(a, list) or not isinstance(b, list):
            return
        _, removed, added = self.match(a, b)
        for i in removed:
            if not is_annotation_only(deref(a[i], self.old_root)[0]):
                shown = f"allOf subschema {label(a[i], self.old_root)} removed"
                self.emit(f"{old_e.at}/allOf/{i}", "all-of-removed", shown, "old")
        for j in added:
            if not is_annotation_only(deref(b[j], self.new_root)[0]):
                shown = f"allOf subschema {label(b[j], self.new_root)} added"
                self.emit(f"{new_e.at}/allOf/{j}", "all-of-added", shown)

    # -- JSON Schema 2020-12 constraints ------------------------------------------------------------------------

    def _constraints(self, old_e: Effective, new_e: Effective, depth: int) -> None:
        old, new = old_e.schema, new_e.schema
        for keyword in IN_PLACE_SUBSCHEMAS:
            a, b = old.get(keyword, _MISSING), new.get(keyword, _MISSING)
            if a is _MISSING and b is _MISSING:
                continue
            at = f"/{keyword}"
            if a is _MISSING:
                self.emit(new_e.at + at, "constraint-added", f"{keyword} added")
            elif b is _MISSING:
                self.emit(old_e.at + at, "constraint-removed", f"{keyword} removed", "old")
            elif isinstance(a, dict) and isinstance(b, dict):
                self.schema(a, b, old_e.at + at, new_e.at + at, depth + 1)
            elif a != b:
                fact = (
                    "constraint-added" if b is False else "constraint-removed" if a is False else "constraint-changed"
                )
                self.emit(new_e.at + at, fact, f"{keyword} {_show(a)} → {_show(b)}")
        for keyword in ("patternProperties", "dependentSchemas", "dependentRequired"):
            a_map, b_map = old.get(keyword), new.get(keyword)
            a_map, b_map = a_map if isinstance(a_map, dict) else {}, b_map if isinstance(b_map, dict) else {}
            for key in sorted(b_map.keys() - a_map.keys()):
                self.emit(f"{new_e.at}/{keyword}/{escape(key)}", "constraint-added", f"{keyword} {_show(key)} added")
            for key in sorted(a_map.keys() - b_map.keys()):
                at = f"{old_e.at}/{keyword}/{escape(key)}"
                self.emit(at, "constraint-removed", f"{keyword} {_show(key)} removed", "old")
            for key in sorted(a_map.keys() & b_map.keys()):
                rel = f"/{keyword}/{escape(key)}"
                if keyword != "dependentRequired":
                    self.schema(a_map[key], b_map[key], old_e.at + rel, new_e.at + rel, depth + 1)
                elif a_map[key] != b_map[key]:
                    a_set, b_set = set(map(str, a_map[key] or [])), set(map(str, b_map[key] or []))
                    fact = (
                        "constraint-added"
                        if b_set > a_set
                        else "constraint-removed"
                        if b_set < a_set
                        else "constraint-changed"
                    )
                    shown = f"{keyword} {_show(key)}: {_show(a_map[key])} → {_show(b_map[key])}"
                    self.emit(new_e.at + rel, fact, shown)
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            fact = "constraint-added" if new.get("uniqueItems") else "constraint-removed"
            shown = f"uniqueItems {bool(old.get('uniqueItems'))} → {bool(new.get('uniqueItems'))}"
            self._keyword(old_e, new_e, "uniqueItems", fact, shown)
        for fact, shown in _multiple_of(old.get("multipleOf"), new.get("multipleOf")):
            self._keyword(old_e, new_e, "multipleOf", fact, shown)
        for keyword in ("contentMediaType", "contentEncoding"):
            if old.get(keyword) != new.get(keyword):
                shown = f"{keyword} {_show(old.get(keyword))} → {_show(new.get(keyword))}"
                self._keyword(old_e, new_e, keyword, "constraint-changed", shown)

    def _keyword(self, old_e: Effective, new_e: Effective, keyword: str, fact: str, shown: str) -> None:
        """A fact about one keyword, located at the keyword in the new schema (in the old one when it is gone)."""
        if keyword in new_e.schema:
            self.emit(f"{new_e.at}/{keyword}", fact, shown)
        else:
            self.emit(f"{old_e.at}/{keyword}", fact, shown, "old")


def _literal(schema: dict[str, Any]) -> tuple[Any] | None:
    """``(value,)`` for a schema admitting one value (``const``, or a one-value ``enum``); None otherwise."""
    if "const" in schema:
        return (schema["const"],)
    values = schema.get("enum")
    return (values[0],) if isinstance(values, list) and len(values) == 1 else None


def _requirements_kept(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when ``new`` adds a oneOf/anyOf of alternatives that only require properties, and every value ``old``
    accepted satisfies it: some alternative requires only what ``old`` required (for a oneOf, the others each
    require a property ``old`` did not declare, so a value built from the old properties matches exactly one)."""
    keyword = "oneOf" if isinstance(new.get("oneOf"), list) else "anyOf"
    alternatives = new.get(keyword)
    if not isinstance(alternatives, list) or not alternatives:
        return False
    required: list[set[str]] = []
    for alternative in alternatives:
        if not isinstance(alternative, dict) or not isinstance(alternative.get("required"), list):
            return False
        if any(key != "required" and key not in ANNOTATIONS for key in alternative):
            return False
        required.append({str(name) for name in alternative["required"]})
    had = {str(name) for name in old.get("required") or [] if isinstance(old.get("required"), list)}
    declared = set(old.get("properties") or {}) if isinstance(old.get("properties"), dict) else set()
    met = [names <= had for names in required]
    if keyword == "anyOf":
        return any(met)
    return met.count(True) == 1 and all(
        met_one or not names <= declared for met_one, names in zip(met, required, strict=True)
    )


def _is_wrapper(schema: Any) -> bool:
    """True for a oneOf/anyOf with nothing beside it but annotations: it admits exactly what its variants admit."""
    return (
        isinstance(schema, dict)
        and any(isinstance(schema.get(kw), list) for kw in ("oneOf", "anyOf"))
        and all(key in _WRAPPER_KEYS or key.startswith("x-") for key in schema)
    )


def _as_variant(found: Effective) -> dict[str, Any]:
    """A resolved schema as one variant of a union: its null-ness belongs to the union, not to the variant."""
    schema = {key: value for key, value in found.schema.items() if key != "nullable"}
    if isinstance(schema.get("type"), list):
        kinds = [kind for kind in schema["type"] if kind != "null"]
        schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    return schema


class _Recorder(_Comparison):
    """Facts go to a node; a ``$ref`` pair becomes a child node, compared later from the work list."""

    def __init__(self, diff: SchemaDiff, node: Node, site: str, xml: bool) -> None:
        super().__init__(diff.old_root, diff.new_root, site, xml, diff)
        self.node = node

    def emit(self, pointer: str, fact: str, message: str, side: str = "new") -> None:
        self.node.facts.add(Fact(pointer, fact, message, side))

    def reference(self, old_ref: str, new_ref: str, at: str) -> None:
        swapped = old_ref != new_ref and self.diff.renamed.get(old_ref) != new_ref
        self.node.children.add((self.diff.node_for((old_ref, new_ref, self.site, self.xml)), at if swapped else None))


class _Probe(_Comparison):
    """Does the new side admit every value the old side admits? Stops at the first narrowing fact."""

    def __init__(self, diff: SchemaDiff, narrow_root: Any, wide_root: Any, xml: bool) -> None:
        super().__init__(narrow_root, wide_root, "request-body", xml, diff)
        self.seen: set[tuple[str, str]] = set()

    def emit(self, pointer: str, fact: str, message: str, side: str = "new") -> None:
        if fact in NARROWING_FACTS:
            raise _Narrowed

    def reference(self, old_ref: str, new_ref: str, at: str) -> None:
        if (old_ref, new_ref) in self.seen or len(self.seen) >= _MAX_PROBE_REFS:
            return  # a cycle (or a very deep graph): what is being compared already covers it
        self.seen.add((old_ref, new_ref))
        self.compare(resolve({"$ref": old_ref}, self.old_root), resolve({"$ref": new_ref}, self.new_root), 0)


class SchemaDiff:
    """Schema comparison between two documents (their roots resolve ``$ref``s); nodes are shared across calls."""

    def __init__(self, old_root: Any, new_root: Any, renamed: dict[str, str] | None = None) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.renamed = renamed or {}  # old $ref -> new $ref of a renamed component (compared as the same one)
        self.nodes: dict[NodeKey, Node] = {}
        self._pending: list[NodeKey] = []
        self._covers: dict[tuple[str, str, bool, bool], bool] = {}
        self._live: set[NodeKey] | None = None

    def node_for(self, key: NodeKey) -> NodeKey:
        """Register the node of a ``$ref`` pair (compared when the work list is drained); return its key."""
        if key not in self.nodes:
            self.nodes[key] = Node()
            self._pending.append(key)
            self._live = None
        return key

    def compare(self, old: Any, new: Any, site: str, old_at: str, new_at: str, *, xml: bool = False) -> Node:
        """Compare ``old`` (found at ``old_at``) with ``new`` (at ``new_at``) at ``site``: an anonymous node."""
        node = Node()
        _Recorder(self, node, site, xml).schema(old, new, old_at, new_at, 0)
        while self._pending:
            key = self._pending.pop()
            old_ref, new_ref, key_site, key_xml = key
            old_found = resolve({"$ref": old_ref}, self.old_root)
            new_found = resolve({"$ref": new_ref}, self.new_root)
            _Recorder(self, self.nodes[key], key_site, key_xml).compare(old_found, new_found, 0)
        return node

    def _live_nodes(self) -> set[NodeKey]:
        """The nodes from which some fact is reachable."""
        if self._live is None:
            parents: dict[NodeKey, list[NodeKey]] = {}
            for key, node in self.nodes.items():
                for child, _ in node.children:
                    parents.setdefault(child, []).append(key)
            live = {key for key, node in self.nodes.items() if node.facts}
            stack = list(live)
            while stack:
                for parent in parents.get(stack.pop(), ()):
                    if parent not in live:
                        live.add(parent)
                        stack.append(parent)
            self._live = live
        return self._live

    def reached(self, start: Node) -> set[Fact]:
        """Every fact ``start`` reaches: its own and those of every node reachable from it.

        Below a swapped reference (``$ref: A`` became ``$ref: B``), the differences between A and B are reported at
        the swap; a component reached there that both sides name keeps its own facts.
        """
        live = self._live_nodes()
        found = set(start.facts)
        seen: set[tuple[NodeKey, str | None]] = set()
        stack = [(key, at) for key, at in start.children if key in live]
        while stack:
            key, swap = stack.pop()
            if (key, swap) in seen:
                continue
            seen.add((key, swap))
            node = self.nodes[key]
            found |= node.facts if swap is None else {_at_swap(fact, key, swap) for fact in node.facts}
            for child, at in node.children:
                below = None if at is None else (swap if swap is not None else at)
                if child in live and (child, below) not in seen:
                    stack.append((child, below))
        return found

    def facts(self, old: Any, new: Any, site: str, xml: bool = False) -> list[Fact]:
        """Every fact from ``old`` to ``new`` (located from the document roots, ``""`` for inline ones), sorted."""
        return sorted(self.reached(self.compare(old, new, site, "", "", xml=xml)))

    def covers(self, narrow: Any, narrow_root: Any, wide: Any, wide_root: Any, xml: bool) -> bool:
        """True when every value ``narrow`` admits, ``wide`` admits too (a sound reading of the common shapes)."""
        narrow_ref, wide_ref = pure_ref(narrow), pure_ref(wide)
        key = None
        if narrow_ref is not None and wide_ref is not None:
            key = (narrow_ref, wide_ref, narrow_root is self.old_root, xml)
            if key in self._covers:
                return self._covers[key]
        probe = _Probe(self, narrow_root, wide_root, xml)
        try:
            probe.schema(narrow, wide, "", "", 0)
            result = True
        except _Narrowed:
            result = False
        if key is not None:
            self._covers[key] = result
        return result


def _at_swap(fact: Fact, key: NodeKey, at: str) -> Fact:
    """A fact found comparing the two components of a swapped reference, located at the swap (``at``)."""
    old_name, new_name = (ref.rsplit("/", 1)[-1] for ref in key[:2])
    inside = describe(fact.pointer) if fact.pointer.startswith("/components/") else ""
    whole = inside in (f"`{old_name}`", f"`{new_name}`")
    return Fact(at, fact.fact, f"`{old_name}` → `{new_name}`{'' if whole else ', ' + inside}: {fact.message}")


def _multiple_of(a: Any, b: Any) -> Iterator[tuple[str, str]]:
    if a == b or isinstance(a, bool) or isinstance(b, bool):
        return
    shown = f"multipleOf {_show(a)} → {_show(b)}"
    if a is None:
        yield ("constraint-added", shown)
    elif b is None:
        yield ("constraint-removed", shown)
    elif isinstance(a, int | float) and isinstance(b, int | float) and 0 < a < math.inf and 0 < b < math.inf:
        # As decimals, the way the spec writes them: 0.3 % 0.1 is not 0 in binary floating point.
        step_a, step_b = Fraction(str(a)), Fraction(str(b))
        if step_a % step_b == 0:
            yield ("constraint-removed", shown)  # every multiple of a is a multiple of b
        elif step_b % step_a == 0:
            yield ("constraint-added", shown)
        else:
            yield ("constraint-changed", shown)
    else:
        yield ("constraint-changed", shown)  # not a valid step (0, negative, text): no direction
