"""Operation- and document-level comparison (``drift.rules.operation``, ``drift.rules.document``) on rare shapes:
callbacks and webhooks compared in both directions, parameters carried by ``content``, sunset dates, broken input.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from contract_tests.toolchain.rules import RULES, describe, diff_documents
from contract_tests.toolchain.rules.operation import is_deprecated_and_sunset, parse_sunset

TODAY = dt.date(2025, 6, 1)


def spec(operation: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A one-operation document: ``POST /jobs``."""
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/jobs": {"post": operation}}, **top}


def found(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(rule, where, severity)`` of every change, sorted."""
    return sorted(
        (c.rule, describe(c.location, new if c.document == "new" else old), RULES[c.rule][0])
        for c in diff_documents(old, new)
    )


def _event(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {"content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}},
    }


OK = {"200": {"description": "ok"}}
EVENT = _event({"id": {"type": "string"}, "state": {"type": "string"}}, ["id", "state"])


# -- callbacks ------------------------------------------------------------------------------------------------


def _with_callback(item: dict[str, Any]) -> dict[str, Any]:
    return spec({"responses": OK, "callbacks": {"done": {"{$request.body#/url}": item}}})


def test_a_callback_request_is_received_by_the_client_so_it_is_judged_as_a_response() -> None:
    fewer = copy.deepcopy(EVENT)
    del fewer["requestBody"]["content"]["application/json"]["schema"]["properties"]["state"]
    changes = found(_with_callback({"post": EVENT}), _with_callback({"post": fewer}))
    assert changes == [
        (
            "response-body-property-removed",
            "POST /jobs, callback `done` POST {$request.body#/url}, request body, property `state`",
            "breaking",
        )
    ]


def test_a_callback_response_is_sent_by_the_client_so_it_is_judged_as_a_request() -> None:
    narrowed = copy.deepcopy(EVENT)
    narrowed["responses"]["200"]["content"]["application/json"]["schema"] = {"type": "string", "maxLength": 5}
    assert [rule for rule, _, _ in found(_with_callback({"post": EVENT}), _with_callback({"post": narrowed}))] == [
        "request-body-range-added"
    ]


def test_a_callback_gaining_or_losing_a_method_is_a_callback_added_or_removed() -> None:
    one, two = _with_callback({"post": EVENT}), _with_callback({"post": EVENT, "put": EVENT})
    assert found(one, two) == [("callback-added", "POST /jobs, callback `done` PUT {$request.body#/url}", "info")]
    assert found(two, one) == [("callback-removed", "POST /jobs, callback `done` PUT {$request.body#/url}", "breaking")]


def test_a_callback_behind_a_ref_is_followed() -> None:
    components = {"callbacks": {"Done": {"{$request.body#/url}": {"post": EVENT}}}}
    old = spec({"responses": OK, "callbacks": {"done": {"$ref": "#/components/callbacks/Done"}}}, components=components)
    new = copy.deepcopy(old)
    new["components"]["callbacks"]["Done"]["{$request.body#/url}"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["required"] = ["id"]
    assert [rule for rule, _, _ in found(old, new)] == ["response-body-property-became-optional"]


# -- webhooks ---------------------------------------------------------------------------------------------------


def test_a_webhook_in_both_documents_is_compared_flipped() -> None:
    old = spec({"responses": OK}, webhooks={"jobDone": {"post": EVENT}})
    new = copy.deepcopy(old)
    new["webhooks"]["jobDone"]["post"] = _event(
        {"id": {"type": "integer"}, "state": {"type": "string"}}, ["id", "state"]
    )
    assert found(old, new) == [
        (
            "response-body-type-changed",
            "webhook `jobDone` POST, request body, property `id`",
            "breaking",
        )
    ]


# -- parameters -------------------------------------------------------------------------------------------------


def _json_parameter(schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": "filter", "in": "query", "content": {"application/json": {"schema": schema}}}


def test_a_parameter_carried_as_content_has_its_schema_compared() -> None:
    old = spec({"parameters": [_json_parameter({"type": "object"})], "responses": OK})
    new = spec({"parameters": [_json_parameter({"type": "array"})], "responses": OK})
    assert found(old, new) == [("request-parameter-type-changed", "POST /jobs, query parameter `filter`", "breaking")]


def test_a_parameter_moving_from_schema_to_content_changes_its_wire_form() -> None:
    plain = {"name": "filter", "in": "query", "schema": {"type": "object"}}
    old = spec({"parameters": [plain], "responses": OK})
    new = spec({"parameters": [_json_parameter({"type": "object"})], "responses": OK})
    assert [rule for rule, _, _ in found(old, new)] == ["request-parameter-serialization-changed"]


def test_a_parameter_marked_deprecated() -> None:
    param = {"name": "q", "in": "query", "schema": {"type": "string"}}
    old = spec({"parameters": [param], "responses": OK})
    new = spec({"parameters": [{**param, "deprecated": True}], "responses": OK})
    assert found(old, new) == [("request-parameter-deprecated", "POST /jobs, query parameter `q`", "info")]


def test_parameters_without_a_name_or_with_an_empty_content_are_skipped_not_fatal() -> None:
    broken = [
        {"in": "query", "schema": {"type": "string"}},
        "not a parameter",
        {"name": "c", "in": "query", "content": {}},
        {"name": "d", "in": "query", "content": {"application/json": "not a media type object"}},
    ]
    old = spec({"parameters": broken, "responses": OK})
    new = copy.deepcopy(old)
    new["paths"]["/jobs"]["post"]["parameters"][0]["schema"] = {"type": "integer"}
    assert found(old, new) == []


# -- lifecycle ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC), dt.date(2025, 1, 2)),
        (dt.date(2025, 1, 2), dt.date(2025, 1, 2)),
        ("2025-01-02", dt.date(2025, 1, 2)),
        ("2025-01-02T03:04:05Z", dt.date(2025, 1, 2)),
        ("next spring", None),
        (20250102, None),
        (None, None),
    ],
)
def test_parse_sunset(value: Any, expected: dt.date | None) -> None:
    assert parse_sunset(value) == expected


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ({}, None),
        ({"deprecated": True}, True),
        ({"deprecated": True, "x-sunset": "2025-06-01"}, True),
        ({"deprecated": True, "x-sunset": "2025-06-02"}, False),
        ({"deprecated": True, "x-sunset": "unreadable"}, True),
    ],
)
def test_is_deprecated_and_sunset(operation: dict[str, Any], expected: bool | None) -> None:
    assert is_deprecated_and_sunset(operation, TODAY) is expected


def test_a_sunset_written_as_a_yaml_date_moved_earlier_is_breaking() -> None:
    old = spec({"responses": OK, "deprecated": True, "x-sunset": dt.date(2026, 1, 1)})
    new = spec({"responses": OK, "deprecated": True, "x-sunset": "2025-12-31"})
    assert found(old, new) == [("operation-sunset-brought-forward", "POST /jobs", "breaking")]


# -- broken documents are compared as far as they make sense -------------------------------------------------------


def test_a_response_or_path_item_that_is_not_an_object_is_skipped() -> None:
    old = spec({"responses": {"200": "ok"}})
    old["paths"]["/broken"] = "not a path item"
    new = copy.deepcopy(old)
    new["paths"]["/jobs"]["post"]["responses"]["200"] = ["still", "not", "a", "response"]
    assert found(old, new) == []
    new["paths"]["/jobs"]["post"]["responses"]["200"] = {"description": "ok"}
    assert found(old, new) == []  # what was not readable before has nothing to be compared with
