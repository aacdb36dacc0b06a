"""The schema comparison (``drift.rules.schema`` + ``drift.rules.shapes``) on the shapes the site fixtures miss.

``tests/test_spec_diff.py`` fires every rule once through a whole document; here each rare branch of the
comparison (``$ref`` cycles, 2020-12 keywords, 3.0 vs 3.1 spellings, variant matching) is pinned on two small
schemas, by the facts it yields (pointer relative to the schema, fact).
"""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.toolchain.rules import RULES, diff_documents
from contract_tests.toolchain.rules.model import deref
from contract_tests.toolchain.rules.schema import SchemaDiff
from contract_tests.toolchain.rules.shapes import effective, format_relation, numeric_bound

Facts = list[tuple[str, str]]


def facts(
    old: Any,
    new: Any,
    *,
    site: str = "response-body",
    xml: bool = False,
    old_root: Any = None,
    new_root: Any = None,
) -> Facts:
    """The sorted ``(pointer, fact)`` pairs from ``old`` to ``new`` at ``site``."""
    diff = SchemaDiff(old_root or {}, new_root or {})
    return sorted((found.pointer, found.fact) for found in diff.facts(old, new, site, xml))


def messages(old: Any, new: Any, *, site: str = "response-body") -> list[str]:
    return sorted(found.message for found in SchemaDiff({}, {}).facts(old, new, site))


def _components(**schemas: Any) -> dict[str, Any]:
    return {"components": {"schemas": schemas}}


# -- $ref: memo, cycles, depth --------------------------------------------------------------------------------


def test_a_changed_component_is_one_fact_located_in_the_component_whoever_uses_it() -> None:
    old = _components(Id={"type": "integer"})
    new = _components(Id={"type": "string"})
    ref = {"$ref": "#/components/schemas/Id"}
    use = {"type": "object", "properties": {"a": ref, "b": dict(ref)}}
    diff = SchemaDiff(old, new)
    assert [(f.pointer, f.fact) for f in diff.facts(use, use, "response-body")] == [
        ("/components/schemas/Id", "type-changed")
    ]
    # The pair is remembered: one node, compared once, reached by the next operation using the component.
    assert [f.fact for f in diff.facts(ref, ref, "response-body")] == ["type-changed"]
    assert list(diff.nodes) == [("#/components/schemas/Id", "#/components/schemas/Id", "response-body", False)]


def test_a_recursive_schema_is_compared_once_and_terminates() -> None:
    node: dict[str, Any] = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
    }
    grown = {**node, "properties": {**node["properties"], "name": {"type": "string"}}}
    ref = {"$ref": "#/components/schemas/Node"}
    found = facts(ref, ref, old_root=_components(Node=node), new_root=_components(Node=grown))
    assert found == [("/components/schemas/Node/properties/name", "property-added-optional")]


def test_nesting_beyond_the_depth_limit_is_not_compared() -> None:
    def nested(depth: int, leaf: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": leaf}
        for _ in range(depth):
            schema = {"type": "object", "properties": {"p": schema}}
        return schema

    assert facts(nested(10, "integer"), nested(10, "string")) == [("/properties/p" * 10, "type-changed")]
    assert facts(nested(80, "integer"), nested(80, "string")) == []  # bounded: hostile input cannot recurse forever


def test_deref_keeps_external_and_dangling_refs_as_text() -> None:
    external = {"$ref": "other.yaml#/X"}
    assert deref(external, {}) == (external, "other.yaml#/X")
    assert deref({"$ref": "#/components/schemas/Missing"}, {}) == (
        {"$ref": "#/components/schemas/Missing"},
        "#/components/schemas/Missing",
    )
    assert deref({"$ref": "#/list/5"}, {"list": []}) == ({"$ref": "#/list/5"}, "#/list/5")
    # Two unresolvable references compare by their text: same text, no change; other text, a change.
    assert facts(external, dict(external)) == []


# -- types, formats, bounds ---------------------------------------------------------------------------------


def test_xml_text_and_element_carry_the_same_value() -> None:
    assert facts({"type": "string"}, {"type": "object"}, xml=True) == []
    assert facts({"type": "string"}, {"type": "object"}) == [("", "type-changed")]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({"type": "string"}, "type-widened"),  # `?p=1` still parses as a one-item list of strings
        ({"type": "string", "description": "an id"}, "type-widened"),
        ({"type": "integer"}, "type-changed"),
        ({"type": "string", "enum": ["a"]}, "type-changed"),
    ],
)
def test_a_scalar_parameter_that_becomes_a_list(items: dict[str, Any], expected: str) -> None:
    assert facts({"type": "string"}, {"type": "array", "items": items}, site="request-parameter") == [("", expected)]


@pytest.mark.parametrize(
    ("old", "new", "relation"),
    [
        ("int32", "int64", "widened"),
        ("float", "double", "widened"),
        ("int64", None, "widened"),
        ("int64", "int32", "narrowed"),
        (None, "uuid", "narrowed"),
        ("date", "uuid", "changed"),
        ("uuid", "uuid", "same"),
    ],
)
def test_format_relation(old: str | None, new: str | None, relation: str) -> None:
    assert format_relation(old, new) == relation


def test_a_format_change_is_a_type_fact_with_the_formats_in_its_message() -> None:
    old, new = {"type": "integer", "format": "int32"}, {"type": "integer", "format": "int64"}
    assert facts(old, new) == [("", "type-widened")]
    assert messages(old, new) == ['format "int32" → "int64"']
    assert facts(new, old, site="request-body") == [("", "type-narrowed")]


def test_the_30_and_31_spellings_of_an_exclusive_bound_are_the_same_bound() -> None:
    v30, v31 = {"type": "number", "minimum": 0, "exclusiveMinimum": True}, {"type": "number", "exclusiveMinimum": 0}
    assert numeric_bound(v30, "minimum", "exclusiveMinimum", True) == (0, True)
    assert numeric_bound(v31, "minimum", "exclusiveMinimum", True) == (0, True)
    assert facts(v30, v31) == []
    # inclusive 0 -> exclusive 0 is tighter for a lower bound.
    assert facts({"type": "number", "minimum": 0}, v31) == [("", "range-narrowed")]


@pytest.mark.parametrize(
    ("old", "new", "fact", "message"),
    [
        ({}, {"minimum": 1}, "range-added", "minimum None → 1"),
        ({"maximum": 9}, {}, "range-widened", "maximum 9 → None"),
        ({"exclusiveMaximum": 9}, {}, "range-widened", "exclusiveMaximum 9 → None"),
        ({"maximum": 9}, {"maximum": 9, "exclusiveMaximum": True}, "range-narrowed", "exclusiveMaximum 9 → 9"),
        ({"minItems": 2}, {}, "range-widened", "minItems 2 → None"),
        ({"maxProperties": 2}, {"maxProperties": 3}, "range-widened", "maxProperties 2 → 3"),
    ],
)
def test_bounds(old: dict[str, Any], new: dict[str, Any], fact: str, message: str) -> None:
    assert facts(old, new) == [("", fact)]
    assert messages(old, new) == [message]


def test_a_boolean_or_non_numeric_count_bound_is_ignored() -> None:
    assert facts({"maxLength": True}, {"maxLength": 3}) == []
    assert facts({"maxLength": "3"}, {"maxLength": 4}) == []  # not comparable: no verdict rather than a wrong one


def test_an_extensible_enum_losing_a_value_matters_only_for_what_the_client_sends() -> None:
    old, new = {"type": "string", "x-extensible-enum": ["a", "b"]}, {"type": "string", "x-extensible-enum": ["a"]}
    assert facts(old, new, site="request-body") == [("", "enum-value-removed")]
    assert messages(old, new, site="request-body") == ['x-extensible-enum value "b" removed']
    assert facts(old, new, site="response-body") == []


# -- shapes: one reading of several spellings ----------------------------------------------------------------


def test_null_in_an_anyof_is_nullable_whatever_else_the_union_holds() -> None:
    two = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    two_or_null = {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    assert facts(two, two_or_null) == [("", "nullable-added")]
    one_or_null = {"oneOf": [{"type": "string"}, {"enum": [None]}]}
    assert facts({"type": "string", "nullable": True}, one_or_null) == []
    assert facts({"type": "string", "nullable": True}, {"anyOf": [{"type": "string"}, {"const": None}]}) == []
    # A boolean variant is no null variant; it stays a variant.
    assert effective({"anyOf": [True, {"type": "null"}]}, {}) == ({"nullable": True}, None)


def test_boolean_schemas_read_as_empty_and_never_valid() -> None:
    assert effective(True, {}) == ({}, None)
    assert effective(False, {}) == ({"not": {}}, None)
    assert effective("nonsense", {}) == ({}, None)
    prop = {"type": "object", "properties": {"a": True}}
    closed = {"type": "object", "properties": {"a": False}}
    assert facts(prop, closed) == [("/properties/a/not", "constraint-added")]


def test_allof_parts_unite_their_required_lists() -> None:
    flat = {
        "type": "object",
        "required": ["a", "b"],
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
    }
    parts = {
        "allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            {"required": ["a", "b"], "properties": {"b": {"type": "string"}}},
        ]
    }
    schema, _ = effective(parts, {})
    assert schema["required"] == ["a", "b"]
    assert facts(flat, parts) == []  # the same object, spelled in two parts
    less = {"allOf": [parts["allOf"][0], {"properties": {"b": {"type": "string"}}}]}
    assert ("/allOf/1/properties/b", "property-became-optional") in facts(parts, less)  # where `b` is defined


# -- objects --------------------------------------------------------------------------------------------------


def test_an_additional_properties_schema_is_compared_in_place() -> None:
    old = {"type": "object", "additionalProperties": {"type": "integer"}}
    new = {"type": "object", "additionalProperties": {"type": "number"}}
    assert facts(old, new) == [("/additionalProperties", "type-widened")]


def test_read_only_properties_are_never_sent_and_write_only_never_received() -> None:
    old = {"type": "object", "properties": {}}
    read_only = {"type": "object", "properties": {"id": {"type": "string", "readOnly": True}}, "required": ["id"]}
    write_only = {"type": "object", "properties": {"pw": {"type": "string", "writeOnly": True}}, "required": ["pw"]}
    assert facts(old, read_only, site="request-body") == []
    assert facts(old, read_only, site="response-body") == [("/properties/id", "property-added-required")]
    assert facts(old, write_only, site="response-body") == []
    assert facts(old, write_only, site="request-body") == [("/properties/pw", "property-added-required")]


# -- variants and discriminators ----------------------------------------------------------------------------


def _body_spec(schema: dict[str, Any]) -> dict[str, Any]:
    """``POST /a`` taking ``schema`` as its JSON request body."""
    operation = {
        "requestBody": {"content": {"application/json": {"schema": schema}}},
        "responses": {"204": {"description": "ok"}},
    }
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": operation}}}


def _refs(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/schemas/{name}"} for name in names]


def test_variants_are_paired_by_ref_name_whatever_their_order() -> None:
    root = _components(Cat={"enum": ["cat"]}, Dog={"enum": ["dog"]}, Cow={"enum": ["cow"]})
    old, new = {"oneOf": _refs("Cat", "Dog")}, {"oneOf": _refs("Cow", "Dog", "Cat")}
    assert facts(old, new, old_root=root, new_root=root) == [("/oneOf/0", "variant-added")]
    diff = SchemaDiff(root, root)
    assert [found.message for found in diff.facts(old, new, "response-body")] == ["`Cow` alternative added"]


def test_a_variant_added_that_an_old_one_covers_is_no_change() -> None:
    # oasdiff's response_property_any_of_added: Rabbit has Cat's structure, so nothing new may arrive.
    root = _components(
        Cat={"type": "object", "properties": {"name": {"type": "string"}}},
        Rabbit={"type": "object", "properties": {"name": {"type": "string"}}},
    )
    assert facts({"anyOf": _refs("Cat")}, {"anyOf": _refs("Cat", "Rabbit")}, old_root=root, new_root=root) == []


def test_a_schema_wrapped_into_a_union_with_its_old_self_is_widened() -> None:
    # Stripe: a request string became anyOf [<the same string>, {enum: [""]}]: the client may send more, not less.
    old = {"type": "string", "maxLength": 5000}
    new = {"anyOf": [{"type": "string", "maxLength": 5000}, {"type": "string", "enum": [""]}]}
    assert facts(old, new) == [("/anyOf/1", "enum-value-added")]  # a one-value alternative is a value
    assert messages(old, new) == ['value "" added']
    report = diff_documents(_body_spec(old), _body_spec(new))
    assert [(c.rule, c.severity) for c in report] == [("request-body-enum-value-added", "info")]


def test_nested_unions_are_flattened_through_refs() -> None:
    # anyOf [string, $ref X, null] -> anyOf [$ref X, null] where X is oneOf [A, B]: only the string is gone.
    root = _components(
        X={"oneOf": _refs("A", "B")},
        A={"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False},
        B={"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"], "additionalProperties": False},
    )
    old = {"anyOf": [{"type": "string"}, *_refs("X"), {"type": "null"}]}
    new = {"anyOf": [*_refs("X"), {"type": "null"}]}
    assert facts(old, new, old_root=root, new_root=root) == [("/anyOf/0", "variant-removed")]
    diff = SchemaDiff(root, root)
    assert [found.message for found in diff.facts(old, new, "response-body")] == ["`string` alternative removed"]
    # Unfolding X's variants into the union is no change either way.
    assert facts({"anyOf": [*_refs("A", "B"), {"type": "null"}]}, new, old_root=root, new_root=root) == []


def test_unnamed_variants_of_other_shapes_are_paired_in_order_and_compared() -> None:
    old = {"anyOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"type": "string"}]}
    new = {"anyOf": [{"type": "object", "properties": {"b": {"type": "integer"}}}, {"type": "string"}]}
    assert facts(old, new) == [
        ("/anyOf/0/properties/a", "property-removed-optional"),
        ("/anyOf/0/properties/b", "property-added-optional"),
    ]


def test_a_union_that_becomes_one_of_its_variants_loses_the_others() -> None:
    old = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    new = {"type": "string", "maxLength": 3}
    assert facts(old, new) == [("", "range-added"), ("/oneOf/1", "variant-removed")]
    assert messages(old, new) == ["`integer` alternative removed", "maxLength None → 3"]


@pytest.mark.parametrize(
    ("old", "new", "pointer", "message"),
    [
        (None, {"propertyName": "kind"}, "/discriminator", "discriminator added"),
        ({"propertyName": "kind"}, None, "/discriminator", "discriminator removed"),
        ({"propertyName": "kind"}, {"propertyName": "type"}, "/discriminator", 'propertyName "kind" → "type"'),
        (
            {"propertyName": "kind", "mapping": {"a": "#/A"}},
            {"propertyName": "kind", "mapping": {"a": "#/B"}},
            "/discriminator/mapping",
            "mapping changed",
        ),
    ],
)
def test_discriminator_changes(old: Any, new: Any, pointer: str, message: str) -> None:
    union: dict[str, Any] = {"oneOf": [{"type": "object"}]}
    a = union if old is None else {**union, "discriminator": old}
    b = union if new is None else {**union, "discriminator": new}
    assert facts(a, b) == [(pointer, "discriminator-changed")]
    assert messages(a, b) == [message]


# -- JSON Schema 2020-12 constraints -----------------------------------------------------------------------------


def test_a_subschema_keyword_on_both_sides_is_compared_in_place() -> None:
    old = {"type": "array", "contains": {"type": "integer"}}
    new = {"type": "array", "contains": {"type": "number"}}
    assert facts(old, new) == [("/contains", "type-widened")]


@pytest.mark.parametrize(
    ("old", "new", "fact"),
    [
        (True, False, "constraint-added"),
        (False, True, "constraint-removed"),
        (False, {"type": "string"}, "constraint-removed"),
    ],
)
def test_boolean_subschemas(old: Any, new: Any, fact: str) -> None:
    assert facts({"unevaluatedProperties": old}, {"unevaluatedProperties": new}) == [("/unevaluatedProperties", fact)]


def test_a_subschema_changed_to_another_non_schema_value_is_a_change() -> None:
    assert facts({"propertyNames": "a"}, {"propertyNames": "b"}) == [("/propertyNames", "constraint-changed")]


def test_pattern_properties_and_dependent_schemas() -> None:
    old = {"patternProperties": {"^a": {"type": "integer"}, "^b": {}}, "dependentSchemas": {"x": {"required": ["y"]}}}
    new = {
        "patternProperties": {"^a": {"type": "string"}, "^c/d": {}},
        "dependentSchemas": {"x": {"required": ["y"]}},
    }
    assert facts(old, new) == [
        ("/patternProperties/^a", "type-changed"),
        ("/patternProperties/^b", "constraint-removed"),
        ("/patternProperties/^c~1d", "constraint-added"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "fact"),
    [
        (["b"], ["b", "c"], "constraint-added"),
        (["b", "c"], ["b"], "constraint-removed"),
        (["b"], ["c"], "constraint-changed"),
    ],
)
def test_dependent_required(old: list[str], new: list[str], fact: str) -> None:
    assert facts({"dependentRequired": {"a": old}}, {"dependentRequired": {"a": new}}) == [
        ("/dependentRequired/a", fact)
    ]


def test_unique_items() -> None:
    assert facts({"type": "array"}, {"type": "array", "uniqueItems": True}) == [("/uniqueItems", "constraint-added")]
    assert facts({"type": "array", "uniqueItems": True}, {"type": "array", "uniqueItems": False}) == [
        ("/uniqueItems", "constraint-removed")
    ]


@pytest.mark.parametrize(
    ("old", "new", "fact"),
    [
        (None, 2, "constraint-added"),
        (2, None, "constraint-removed"),
        (4, 2, "constraint-removed"),  # every multiple of 4 is a multiple of 2
        (2, 4, "constraint-added"),
        (2, 3, "constraint-changed"),
        (0.01, 0.001, "constraint-removed"),  # decimal steps as written in YAML, not as binary floats
        (0.1, 0.3, "constraint-added"),
        (0.3, 0.1, "constraint-removed"),
        (1e300, 1e-300, "constraint-removed"),  # exact, whatever the exponents
        (2, 0, "constraint-changed"),  # 0 is no valid multipleOf: changed, no claim which way
        (2, "2", "constraint-changed"),
        (2, float("inf"), "constraint-changed"),
        (float("nan"), 2, "constraint-changed"),
        (True, 2, None),
    ],
)
def test_multiple_of(old: float | None, new: float | None, fact: str | None) -> None:
    a = {} if old is None else {"multipleOf": old}
    b = {} if new is None else {"multipleOf": new}
    assert facts({"type": "number", **a}, {"type": "number", **b}) == ([("/multipleOf", fact)] if fact else [])


# -- through a whole document: the rule id and severity depend on who sends the value -------------------------


def test_an_enum_widening_in_a_response_is_a_warning_and_in_a_request_info() -> None:
    def spec(values: list[str]) -> dict[str, Any]:
        schema = {"type": "string", "enum": values}
        operation = {
            "requestBody": {"content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
        }
        return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": operation}}}

    rules = sorted(change.rule for change in diff_documents(spec(["a"]), spec(["a", "b"])))
    assert rules == ["request-body-enum-value-added", "response-body-enum-value-added"]
    assert [RULES[rule][0] for rule in rules] == ["info", "warning"]
