"""Mistakes the spec diff made on real histories (GitHub's published description, ``@octokit/openapi`` 22 -> 23),
each pinned on the smallest schemas that show it (``tests/fixtures/spec_corpus/`` holds the judgments).
"""

from __future__ import annotations

import copy
from typing import Any

from contract_tests.toolchain.diff import Report, records, render
from contract_tests.toolchain.rules import RULES, diff_documents
from contract_tests.toolchain.rules.schema import SchemaDiff

SCHEMAS = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _facts(old: Any, new: Any, site: str, *, old_root: Any = None, new_root: Any = None) -> list[tuple[str, str]]:
    diff = SchemaDiff(old_root or {}, new_root or {})
    return sorted((found.pointer, found.fact) for found in diff.facts(old, new, site))


def _document(schemas: dict[str, Any], response: Any, *, request: Any = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": "get",
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": response}}}},
    }
    if request is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": request}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": operation}},
        "components": {"schemas": schemas},
    }


def _rule(name: str) -> dict[str, Any]:
    """A repository-rule-like schema: every one has the same property names, only the `type` value differs."""
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": [name]}, "parameters": {"type": "object"}},
    }


def test_inline_all_of_variants_are_paired_by_their_refs_not_by_position() -> None:
    names = ["creation", "update", "workflows", "max-size"]
    old_schemas: dict[str, Any] = {name: _rule(name) for name in names}
    old_schemas["info"] = {"type": "object", "properties": {"source": {"type": "string"}}}
    new_schemas = {**copy.deepcopy(old_schemas), "license": _rule("license")}
    detailed = [{"allOf": [_ref(name), _ref("info")]} for name in names]
    moved = [detailed[0], detailed[1], {"allOf": [_ref("license"), _ref("info")]}, detailed[3], detailed[2]]
    found = _facts(
        {"oneOf": detailed},
        {"oneOf": moved},
        "response-body",
        old_root={"components": {"schemas": old_schemas}},
        new_root={"components": {"schemas": new_schemas}},
    )
    assert found == [("/oneOf/2", "variant-added")]  # nothing inside `workflows` or `max-size`: they did not change


def test_a_swapped_reference_is_reported_where_it_was_swapped_not_in_the_unchanged_component() -> None:
    user: dict[str, Any] = {"type": "object", "properties": {"login": {"type": "string"}}}
    schemas: dict[str, Any] = {
        "user": user,
        "nullable-user": {**user, "nullable": True},
        "comment": {"type": "object", "properties": {"user": _ref("user")}},
    }
    new_schemas = copy.deepcopy(schemas)
    new_schemas["comment"]["properties"]["user"] = _ref("nullable-user")
    changes = diff_documents(_document(schemas, _ref("comment")), _document(new_schemas, _ref("comment")))
    assert [(c.location, c.rule) for c in changes] == [
        ("/components/schemas/comment/properties/user", "response-body-nullable-added")
    ]
    assert "`user` → `nullable-user`" in changes[0].message


def test_int64_added_to_an_integer_is_not_a_change_but_int32_is_a_narrowing() -> None:
    integer = {"type": "integer"}
    assert _facts(integer, {**integer, "format": "int64"}, "request-parameter") == []
    assert _facts({**integer, "format": "int64"}, integer, "response-body") == []
    assert _facts(integer, {**integer, "format": "int32"}, "request-parameter") == [("", "type-narrowed")]


def _item_body(*, required: list[str], extra: dict[str, Any] | None = None, **union: Any) -> dict[str, Any]:
    properties = {"id": {"type": "integer"}, "type": {"type": "string"}, **(extra or {})}
    return {"type": "object", "properties": properties, "required": required, **union}


def test_alternatives_of_required_lists_the_old_values_satisfy_are_not_a_narrowing() -> None:
    nwo = {"owner": {"type": "string"}, "repo": {"type": "string"}, "number": {"type": "integer"}}
    old = _item_body(required=["type", "id"])
    new = _item_body(
        required=["type"], extra=nwo, oneOf=[{"required": ["id"]}, {"required": ["owner", "repo", "number"]}]
    )
    assert ("", "constraint-added") not in _facts(old, new, "request-body")
    assert _facts(old, _item_body(required=["type", "id"], anyOf=[{"required": ["id"]}]), "request-body") == []
    # A value the old schema accepted (no `id`) fails the new alternatives: that is a narrowing.
    narrowed = _item_body(required=["type"], anyOf=[{"required": ["id"]}, {"required": ["owner"]}])
    assert ("", "constraint-added") in _facts(_item_body(required=["type"]), narrowed, "request-body")


def test_an_alternative_a_new_alternative_covers_is_not_removed_whatever_the_order() -> None:
    named: dict[str, Any] = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    old = {
        "oneOf": [
            {"type": "object", "properties": {"labels": {"type": "array", "items": {"type": "string"}}}},
            {"type": "object", "properties": {"labels": {"type": "array", "items": named}}},
        ]
    }
    richer = {**named, "properties": {**named["properties"], "rationale": {"type": "string"}}}
    items = {"oneOf": [{"type": "string"}, richer]}
    new = {"oneOf": [{"type": "object", "properties": {"labels": {"type": "array", "items": items}}}]}
    assert [fact for _, fact in _facts(old, new, "request-body")] == ["variant-added"]


def test_an_enum_split_into_one_value_alternatives_is_values_added_not_the_enum_removed() -> None:
    old = {"type": "string", "enum": ["ProductPricing", "SkuPricing"]}
    new = {
        "oneOf": [{"type": "string", "enum": [value]} for value in ("BundlePricing", "ProductPricing", "SkuPricing")]
    }
    assert _facts(old, new, "request-body") == [("/oneOf/0", "enum-value-added")]
    assert _facts(new, old, "request-body") == [("/oneOf/0", "enum-value-removed")]


def test_a_request_object_closed_to_undeclared_properties_is_a_warning_a_closed_map_breaks() -> None:
    option = {"type": "object", "properties": {"name": {"type": "string"}}}
    assert _facts(option, {**option, "additionalProperties": False}, "request-body") == [
        ("", "additional-properties-closed")
    ]
    assert RULES["request-body-additional-properties-closed"][0] == "warning"
    assert RULES["response-body-additional-properties-closed"][0] == "info"
    inputs = {"type": "object", "additionalProperties": {"type": "string"}}
    assert _facts(inputs, {**inputs, "additionalProperties": False}, "request-body") == [
        ("", "additional-properties-narrowed")
    ]
    assert RULES["request-body-additional-properties-narrowed"][0] == "breaking"


def _with_parameter(document: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document["components"]["parameters"] = {
        "assignee": {"name": "assignee", "in": "query", "schema": {"type": "string"}}
    }
    for path in paths:
        item = document["paths"].setdefault(path, copy.deepcopy(document["paths"]["/things"]))
        item["post"]["operationId"] = "op" + path.replace("/", "_")
        item["post"].setdefault("parameters", []).append({"$ref": "#/components/parameters/assignee"})
    return document


def test_a_component_parameter_added_to_several_operations_is_one_finding() -> None:
    base = _document({"thing": {"type": "object"}}, _ref("thing"))
    paths = ["/a", "/b", "/c"]
    old = copy.deepcopy(base)
    for path in paths:
        old["paths"][path] = copy.deepcopy(base["paths"]["/things"])
        old["paths"][path]["post"]["operationId"] = "op" + path.replace("/", "_")
    changes = diff_documents(old, _with_parameter(old, paths))
    assert [(c.location, c.rule, c.operations) for c in changes] == [
        ("/components/parameters/assignee", "request-parameter-added-optional", ("POST /a", "POST /b", "POST /c"))
    ]


def test_a_component_change_in_requests_and_responses_is_one_line_when_the_severities_agree() -> None:
    thing = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    gone = {"type": "object", "properties": {"a": {"type": "string"}}}
    old = _document({"thing": thing}, _ref("thing"), request=_ref("thing"))
    new = _document({"thing": gone}, _ref("thing"), request=_ref("thing"))
    changes = diff_documents(old, new)
    assert [(c.rule, c.severity) for c in changes] == [("request-body-property-removed-optional", "warning")]
    assert changes[0].also == ("response-body-property-removed-optional",)
    text = render(Report(records(changes, old, new)), "text", "breaking", "new")
    assert text.splitlines() == [
        "spec diff: 0 breaking, 1 warning, 0 info",
        "WARNING  `thing.b`: property `b` removed (1 operation: POST /things)"
        "  [request-body-property-removed-optional +response-body]",
    ]
    # Severities that differ stay two lines: the same fact means two things.
    widened = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "maxLength": 9}}}
    apart = diff_documents(_document({"thing": widened}, _ref("thing"), request=_ref("thing")), old)
    assert [(c.rule, c.severity) for c in apart] == [
        ("request-body-range-widened", "info"),
        ("response-body-range-widened", "breaking"),
    ]


def test_one_operation_is_said_in_the_singular() -> None:
    change = {
        "rule": "response-body-type-changed",
        "severity": "breaking",
        "location": "/components/schemas/" + "x" * 150,
        "document": "new",
        "where": "`" + "x" * 150 + "`",
        "message": "type integer → string",
        "operations": ["GET /a/very/long/path/of/an/operation"],
        "sites": [],
    }
    line = render(Report([change]), "text", "breaking", "new").splitlines()[1]
    assert "(1 operation)" in line


def test_an_optional_request_body_removed_is_a_warning_a_required_one_breaks() -> None:
    # octokit 23.0.0 -> 23.0.1: a schema-less optional body, added to a GET by mistake, removed again.
    body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    old = _document({}, {"type": "object"}, request={"type": "object"})
    old["paths"]["/things"]["post"]["requestBody"] = {**body, "required": False}
    new = copy.deepcopy(old)
    del new["paths"]["/things"]["post"]["requestBody"]
    assert [(c.rule, c.severity) for c in diff_documents(old, new)] == [("request-body-removed-optional", "warning")]
    old["paths"]["/things"]["post"]["requestBody"]["required"] = True
    assert [(c.rule, c.severity) for c in diff_documents(old, new)] == [("request-body-removed", "breaking")]


# -- held-out misses (octokit 21 -> 22 and 20 -> 21), fixed after their first score was recorded ------------------


def test_a_format_that_changes_the_generated_type_is_a_type_change_in_both_directions() -> None:
    text = {"type": "string"}
    moment = {"type": "string", "format": "date-time"}
    assert _facts(text, moment, "response-body") == [("", "type-changed")]  # str -> datetime in the model
    assert _facts(moment, text, "request-body") == [("", "type-changed")]  # callers pass datetimes
    assert _facts(text, {"type": "string", "format": "email"}, "response-body") == [("", "type-narrowed")]  # still str


def test_a_renamed_path_parameter_breaks_keyword_calls_of_the_generated_function() -> None:
    assert RULES["request-path-parameter-renamed"][0] == "breaking"


def test_a_rename_lists_the_operations_and_sites_that_use_the_model() -> None:
    thing = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    holder = {"type": "object", "properties": {"thing": _ref("thing")}}
    old = _document({"thing": thing, "holder": holder}, _ref("holder"), request=_ref("thing"))
    new = _document(
        {"item": thing, "holder": {"type": "object", "properties": {"thing": _ref("item")}}},
        _ref("holder"),
        request=_ref("item"),
    )
    (change,) = diff_documents(old, new)
    assert (change.rule, change.location) == ("schema-renamed", "/components/schemas/item")
    assert change.operations == ("POST /things",)
    assert change.sites == ("POST /things, 200 response", "POST /things, request body")
