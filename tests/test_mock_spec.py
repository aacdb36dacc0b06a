"""The spec the mock serves (``contract_tests.mock._spec``): its sources, the success answer, what it skips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock import SpecError, create_app, load_spec
from contract_tests.mock._spec import success_of
from tests.conftest import ROOT


def _doc(responses: dict[str, Any] | None = None, **operation: Any) -> dict[str, Any]:
    op = {"operationId": "getThing", "responses": responses if responses is not None else {}, **operation}
    return {"openapi": "3.1.0", "paths": {"/things/{id}": {"get": op}}}


def test_operation_key_and_name_fall_back_to_method_and_template() -> None:
    named, unnamed = load_spec(
        {"paths": {"/a": {"get": {"operationId": "getA"}}, "/b/{id}": {"delete": {}}}}
    ).operations
    assert (named.key, named.name) == ("GET /a", "getA")
    assert (unnamed.key, unnamed.name) == ("DELETE /b/{id}", "DELETE /b/{id}")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"paths": {"/x": {"$ref": "other.yaml#/x"}}}, "cannot follow $ref 'other.yaml#/x' at #/paths/~1x"),
        (
            {
                "paths": {"/x": {"$ref": "#/components/pathItems/X"}},
                "components": {"pathItems": {"X": {"$ref": "#/components/pathItems/X"}}},
            },
            "cannot follow $ref '#/components/pathItems/X'",
        ),
        ({"paths": {"/x": {"$ref": "#/components/pathItems/Missing"}}}, "no node at #/components/pathItems/Missing"),
        ({"paths": {"/x": {"$ref": "#/paths/~1x/get/0"}}}, "no node at #/paths/~1x/get/0"),
        ({"paths": {"/x": ["get"]}}, "path item at #/paths/~1x: is not a mapping"),
    ],
    ids=["remote-ref", "ref-cycle", "dangling-ref", "index-into-mapping", "item-not-mapping"],
)
def test_a_path_the_mock_cannot_serve_is_skipped_with_a_warning_naming_the_place(
    document: dict[str, Any], message: str
) -> None:
    document["paths"]["/ok"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    spec = load_spec(document)
    assert [op.key for op in spec.operations] == ["GET /ok"]
    assert any(message in str(warning) for warning in spec.warnings), [str(w) for w in spec.warnings]


def test_no_paths_mapping_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"is not an OpenAPI document \(no 'paths' mapping\)"):
        load_spec({"openapi": "3.1.0", "paths": ["/x"]})


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
    assert (raw.media_type, raw.schema, raw.pointer) == ("Application/Octet-Stream", None, None)
    assert (typed.media_type, typed.schema, typed.pointer) == (
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
    success = success_of(op)
    assert (success.status, success.content_type, success.schema, success.pointer) == expected


def test_json_spec_files_are_read_and_bad_files_are_spec_errors(tmp_path: Path) -> None:
    path = tmp_path / "api.JSON"
    path.write_text(json.dumps(_doc({"200": {"description": "ok"}})), encoding="utf-8")
    spec = load_spec(path)
    assert spec.source == str(path)
    assert [op.name for op in spec.operations] == ["getThing"]

    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError, match=r"api\.JSON is not valid JSON: Expecting property name"):
        load_spec(path)
    with pytest.raises(SpecError, match=r"absent\.yaml is missing \(expected at .*absent\.yaml\)"):
        load_spec(tmp_path / "absent.yaml")


def test_the_default_is_the_vendored_spec_and_a_model_is_served_as_it_is() -> None:
    vendored = load_spec()
    assert vendored.source == str(ROOT / "openapi.yaml")
    assert load_spec(vendored) is vendored
    assert create_app(spec=vendored, log_requests=False).spec is vendored
