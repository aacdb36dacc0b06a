"""The mock's spec reader (``contract_tests.mock._spec``): rare spec shapes, references and clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock import SpecError, load_spec
from contract_tests.mock._spec import is_json


def _doc(responses: dict[str, Any] | None = None, **operation: Any) -> dict[str, Any]:
    op = {"operationId": "getThing", "responses": responses if responses is not None else {}, **operation}
    return {"openapi": "3.1.0", "paths": {"/things/{id}": {"get": op}}}


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, False),
        ("application/json", True),
        ("Application/Problem+JSON; charset=utf-8", True),
        ("text/json-ish", False),
        ("application/octet-stream", False),
    ],
)
def test_is_json_recognises_json_media_types_only(content_type: str | None, expected: bool) -> None:
    assert is_json(content_type) is expected


def test_operation_key_and_name_fall_back_to_method_and_template() -> None:
    named, unnamed = load_spec(
        {"paths": {"/a": {"get": {"operationId": "getA"}}, "/b/{id}": {"delete": {}}}}
    ).operations
    assert (named.key, named.name) == ("GET /a", "getA")
    assert (unnamed.key, unnamed.name) == ("DELETE /b/{id}", "DELETE /b/{id}")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"paths": {"/x": {"$ref": "other.yaml#/x"}}}, "cannot follow $ref 'other.yaml#/x' at /paths/~1x"),
        (
            {
                "paths": {"/x": {"$ref": "#/components/pathItems/X"}},
                "components": {"pathItems": {"X": {"$ref": "#/components/pathItems/X"}}},
            },
            "cannot follow $ref '#/components/pathItems/X'",
        ),
        ({"paths": {"/x": {"$ref": "#/components/pathItems/Missing"}}}, "no node at #/components/pathItems/Missing"),
        ({"paths": {"/x": {"$ref": "#/paths/~1x/get/0"}}}, "no node at #/paths/~1x/get/0"),
        ({"paths": {"/x": ["get"]}}, "path item '/x' is not a mapping"),
        ({"openapi": "3.1.0"}, "is not an OpenAPI document (no 'paths' mapping)"),
    ],
    ids=["remote-ref", "ref-cycle", "dangling-ref", "index-into-mapping", "item-not-mapping", "no-paths"],
)
def test_unservable_specs_raise_spec_error_naming_the_place(document: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(document)
    assert message in str(caught.value)


def test_pointers_unescape_and_index_lists() -> None:
    spec = load_spec({"paths": {}, "x": {"a/b": [{"c~d": 7}]}})
    assert spec.at("/x/a~1b/0/c~0d") == 7
    with pytest.raises(SpecError, match=r"no node at #/x/a~1b/1"):
        spec.at("/x/a~1b/1")


def test_a_body_media_type_without_a_schema_is_kept_unchecked() -> None:
    body = {
        "required": True,
        "content": {
            "Application/Octet-Stream": {},
            "application/json": {"schema": {"$ref": "#/components/schemas/In"}},
        },
    }
    document = _doc(requestBody=body)
    document["components"] = {"schemas": {"In": {"type": "object"}}}
    (op,) = load_spec(document).operations
    assert op.body_required is True
    raw, typed = op.bodies
    assert (raw.content_type, raw.schema, raw.pointer) == ("application/octet-stream", None, None)
    assert (typed.content_type, typed.schema, typed.pointer) == (
        "application/json",
        {"type": "object"},
        "/components/schemas/In",
    )


@pytest.mark.parametrize(
    ("responses", "expected"),
    [
        ({}, (200, None, None, None)),
        ({"404": {"description": "gone"}}, (200, None, None, None)),
        (
            {"default": {"content": {"application/json": {"schema": {"type": "object"}}}}},
            (
                200,
                "application/json",
                {"type": "object"},
                "/paths/~1things~1{id}/get/responses/default/content/application~1json/schema",
            ),
        ),
        ({"2XX": {"description": "ok"}, "204": {"description": "empty"}}, (200, None, None, None)),
        ({"202": {"description": "accepted"}, "201": {"content": {"text/plain": {}}}}, (201, "text/plain", None, None)),
        (
            {
                "200": {
                    "content": {
                        "video/mp4": {"schema": {"type": "string"}},
                        "application/problem+json": {"schema": {"type": "object"}},
                    }
                }
            },
            (
                200,
                "application/problem+json",
                {"type": "object"},
                "/paths/~1things~1{id}/get/responses/200/content/application~1problem+json/schema",
            ),
        ),
    ],
    ids=["none", "no-2xx-no-default", "default", "2XX-counts-as-200", "lowest-2xx-no-schema", "json-preferred"],
)
def test_the_success_response_is_the_lowest_2xx_else_default_else_an_empty_200(
    responses: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    (op,) = load_spec(_doc(responses)).operations
    success = op.success
    assert (success.status, success.content_type, success.schema, success.pointer) == expected


def test_json_spec_files_are_read_and_bad_files_are_spec_errors(tmp_path: Path) -> None:
    path = tmp_path / "api.JSON"
    path.write_text(json.dumps(_doc({"200": {"description": "ok"}})), encoding="utf-8")
    spec = load_spec(path)
    assert spec.source == str(path)
    assert [op.name for op in spec.operations] == ["getThing"]

    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError, match=r"is not valid YAML/JSON: Expecting property name"):
        load_spec(path)
    with pytest.raises(SpecError, match=r"cannot read spec .*absent\.yaml: No such file"):
        load_spec(tmp_path / "absent.yaml")
