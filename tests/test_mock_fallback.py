"""Operations the mock does not model: answered from the spec alone (schemas, examples), auth and checks included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract_tests.mock import load_spec
from contract_tests.mock._schemas import Schemas
from tests.mock_helpers import AUTH, MockHarness, response_errors

BEARER: list[dict[str, list[str]]] = [{"OpenAIAuth": []}]


def _json(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


MODEL = {
    "type": "object",
    "required": ["id", "object", "created"],
    "properties": {
        "id": {"type": "string", "example": "model_example"},
        "object": {"type": "string", "enum": ["model"]},
        "created": {"type": "integer", "format": "int64", "minimum": 1_700_000_000},
        "started_at": {"type": "string", "format": "date-time"},
        "birthday": {"type": "string", "format": "date"},
        "uid": {"type": "string", "format": "uuid"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "owner": {"type": "object", "properties": {"name": {"type": "string", "minLength": 8}}, "required": ["name"]},
        "labels": {"type": "object", "additionalProperties": {"type": "integer", "maximum": -3}},
        "note": {"type": ["string", "null"]},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "ratio": {"type": "number", "exclusiveMinimum": 0.5, "maximum": 2},
        "kind": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Kind"}]},
        "either": {"anyOf": [{"type": "integer", "multipleOf": 7, "minimum": 10}, {"type": "string"}]},
        "both": {"allOf": [{"$ref": "#/components/schemas/Kind"}, {"properties": {"extra": {"type": "boolean"}}}]},
        "size": {"type": "string", "enum": ["small", "large"], "example": "gigantic"},  # the spec's example is wrong
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},  # recursive
    },
}
EXTRA_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "extra", "version": "1"},
    "security": BEARER,
    "paths": {
        "/v1/models": {
            "get": {"operationId": "listModels", "responses": _json({"$ref": "#/components/schemas/Models"})}
        },
        "/v1/models/{model_id}": {
            "parameters": [{"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"operationId": "retrieveModel", "responses": _json({"$ref": "#/components/schemas/Model"})},
            "delete": {"operationId": "deleteModel", "responses": {"204": {"description": "gone"}}},
        },
        "/v1/files/{file_id}/content": {
            "get": {
                "operationId": "downloadFile",
                "parameters": [{"name": "file_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "bytes",
                        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                    }
                },
            }
        },
        "/v1/health": {
            "get": {
                "operationId": "health",
                "security": [],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"text/plain": {"schema": {"type": "string", "example": "ok"}}},
                    }
                },
            }
        },
        "/v1/jobs": {
            "post": {
                "operationId": "createJob",
                "parameters": [
                    {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
                    {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}}},
                },
                "responses": _json(
                    {"type": "object", "properties": {"id": {"type": "string"}, "queued": {"type": "boolean"}}}, "201"
                ),
            }
        },
        # Same operation names as the video resource, elsewhere: bound to the stateful handlers by operationId.
        "/v2/clips/{clip}": {
            "get": {
                "operationId": "getVideoStatus",
                "parameters": [{"name": "clip", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _json({"$ref": "#/components/schemas/Video"}),
            }
        },
        # A renamed operation on the video path: bound by method + path template.
        "/v1/videos/{id}": {
            "get": {
                "operationId": "retrieveVideo",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _json({"$ref": "#/components/schemas/Video"}),
            }
        },
    },
    "components": {
        "securitySchemes": {"OpenAIAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Kind": {
                "type": "object",
                "properties": {"name": {"type": "string", "const": "kind"}},
                "required": ["name"],
            },
            "Model": MODEL,
            "Models": {
                "type": "object",
                "properties": {
                    "object": {"const": "list"},
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},
                },
            },
            "JobRequest": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 3},
                    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                },
                "additionalProperties": False,
            },
            "Video": {
                "type": "object",
                "required": ["id", "status", "prompt"],  # "prompt": a new required property the job does not know
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string"},
                    "prompt": {"type": "string", "example": "A cat"},
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def extra_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("extra") / "openapi.yaml"
    path.write_text(yaml.safe_dump(EXTRA_SPEC, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def extra(extra_spec: Path) -> Iterator[MockHarness]:
    harness = MockHarness(spec=extra_spec)
    yield harness
    harness.close()


TENANT = {**AUTH, "X-Tenant": "acme"}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/models", "/v1/models"),
        ("/v1/models/gpt-x", "/v1/models/{model_id}"),
    ],
)
def test_fallback_bodies_validate_against_the_spec(
    extra: MockHarness, extra_spec: Path, path: str, template: str
) -> None:
    response = extra.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response_errors(extra_spec, "GET", template, response.json()) == []


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_fallback_builds_every_shape_from_schemas_and_examples(extra: MockHarness) -> None:
    body = extra.get("/v1/models/gpt-x", headers=AUTH).json()
    assert body["id"] == "gpt-x"  # the path id echoes back
    assert body["object"] == "model"
    assert body["created"] == 1_700_000_000
    assert body["started_at"] == "2025-03-10T01:31:23Z"
    assert body["uid"].count("-") == 4
    assert len(body["tags"]) == 2
    assert len(body["owner"]["name"]) >= 8
    assert body["labels"] == {"key": -3}
    assert body["level"] == 1
    assert 0.5 < body["ratio"] <= 2
    assert body["kind"] == {"name": "kind"}
    assert body["either"] == 14
    assert body["both"]["name"] == "kind"
    assert body["size"] == "small"  # the spec's invalid example was not served
    assert isinstance(body["children"], list)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_other_status_codes_and_media_types(extra: MockHarness) -> None:
    deleted = extra.request("DELETE", "/v1/models/gpt-x", headers=AUTH)
    assert (deleted.status_code, deleted.content) == (204, b"")
    binary = extra.get("/v1/files/file_1/content", headers=AUTH)
    assert binary.status_code == 200
    assert binary.headers["content-type"] == "application/octet-stream"
    assert binary.content
    health = extra.get("/v1/health")  # security: [] -> no key needed
    assert (health.status_code, health.text) == (200, "ok")
    assert health.headers["content-type"].startswith("text/plain")


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_fallback_enforces_auth(extra: MockHarness) -> None:
    assert extra.get("/v1/models").status_code == 401
    assert (
        extra.get("/v1/models", headers={"Authorization": "Bearer sk-wrong"}).json()["error"]["code"]
        == "invalid_api_key"
    )
    assert extra.request("DELETE", "/v1/models/x").status_code == 401


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("query", "headers", "body", "param"),
    [
        ("", TENANT, {"priority": 2}, "name"),
        ("", TENANT, {"name": "ab"}, "name"),
        ("", TENANT, {"name": "abc", "priority": "high"}, "priority"),
        ("", TENANT, {"name": "abc", "colour": "red"}, ""),
        ("?dry_run=maybe", TENANT, {"name": "abc"}, "dry_run"),
        ("?tags=1&tags=x", TENANT, {"name": "abc"}, "tags"),
        ("", AUTH, {"name": "abc"}, "x-tenant"),
    ],
    ids=["missing", "too-short", "wrong-type", "extra-field", "bad-boolean", "bad-array-item", "missing-header"],
)
def test_fallback_validates_requests(
    extra: MockHarness, query: str, headers: dict[str, str], body: dict[str, Any], param: str
) -> None:
    response = extra.post(f"/v1/jobs{query}", headers=headers, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == (param or "body")


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_fallback_answers_a_valid_request_with_the_documented_status(extra: MockHarness) -> None:
    response = extra.post("/v1/jobs?dry_run=true&tags=1,2", headers=TENANT, json={"name": "abc", "priority": 5})
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"id", "queued"}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_404_and_405_in_openai_format(extra: MockHarness) -> None:
    missing = extra.get("/v1/nothing", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = extra.request("PUT", "/v1/models/x", headers=AUTH)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "DELETE, GET, HEAD"
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_faults_reach_fallback_operations(extra: MockHarness) -> None:
    extra.post("/_mock/faults", json={"kind": "server_error", "path": "/v1/models*", "count": 1})
    assert extra.get("/v1/models", headers=AUTH).status_code == 503
    assert extra.get("/v1/models", headers=AUTH).status_code == 200
    with pytest.raises(ConnectionResetError):
        extra.get("/v1/files/f/content", headers={**AUTH, "X-Mock-Fault": "drop"})
    real = extra.get("/v1/models/m", headers={**AUTH, "X-Mock-Fault": "reality"}).json()
    assert "mock_undocumented_field" in real


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_stateful_handlers_bind_by_operation_id_or_by_route(extra: MockHarness, extra_spec: Path) -> None:
    assert sorted(extra.app.stateful_operations()) == ["getVideoStatus", "retrieveVideo"]
    by_id = extra.get("/v2/clips/video_completed_demo", headers=AUTH)
    assert by_id.json()["status"] == "completed"
    by_route = extra.get("/v1/videos/video_failed_demo", headers=AUTH)
    assert by_route.json()["status"] == "failed"
    # The spec requires a property the job model does not have: filled from the schema, so the body is valid.
    assert by_route.json()["prompt"] == "A cat"
    assert response_errors(extra_spec, "GET", "/v1/videos/{id}", by_route.json()) == []
    assert extra.get("/v2/clips/video_nope", headers=AUTH).status_code == 404


SHAPES: list[dict[str, Any]] = [
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "date"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "minLength": 10, "maxLength": 12},
    {"type": "string", "pattern": "^fixed-value$"},
    {"type": "array", "items": {"type": "integer"}, "minItems": 3},
    {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
    {"type": "array", "maxItems": 0},
    {"type": ["integer", "null"], "minimum": 5},
    {"type": ["null", "string"]},
    {"type": "integer", "exclusiveMaximum": -10},
    {"type": "number", "multipleOf": 0.25, "minimum": 0.3},
    {"type": "integer", "enum": [3, 5]},
    {"enum": [None, "x"]},
    {"const": 42},
    {"type": "object", "additionalProperties": {"type": "string", "format": "uuid"}},
    {"type": "object", "required": ["a"], "additionalProperties": False, "properties": {"a": {"type": "boolean"}}},
    {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"n": {"type": "number"}}}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"required": ["b"]}]},
    {"type": "object", "required": ["undescribed"]},
    {"$ref": "#/components/schemas/Tree"},
    {},
    {"items": {"type": "boolean"}, "minItems": 2},  # no "type": the array keywords say what it is
    {"type": "string", "maxLength": 2},  # shorter than the default example
    {"type": "string", "examples": ["from-examples", "second"]},
    {"type": "integer", "default": 7, "minimum": 5},
    {"type": "null"},
    {
        "allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}],
        "properties": {"b": {"type": "integer", "minimum": 3}},
        "required": ["b"],
    },
]
TREE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
    },
}


@pytest.mark.parametrize("schema", SHAPES, ids=[str(i) for i in range(len(SHAPES))])
def test_examples_are_valid_for_every_shape(schema: dict[str, Any]) -> None:
    document = {"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"Tree": TREE}}}
    value = Schemas(load_spec(document)).example(schema)
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:doc", resource)
    root = {"$ref": f"urn:doc{schema['$ref']}"} if "$ref" in schema else schema
    validator = Draft202012Validator(root, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(value)] == [], value


def test_a_schema_that_requires_itself_forever_does_not_hang_the_mock() -> None:
    endless = {"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#/components/schemas/Endless"}}}
    loop = {"allOf": [{"$ref": "#/components/schemas/Loop"}]}
    document = {"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"Endless": endless, "Loop": loop}}}
    schemas = Schemas(load_spec(document))
    value = schemas.example({"$ref": "#/components/schemas/Endless"})
    depth = 0
    while isinstance(value, dict):
        value, depth = value["next"], depth + 1
    assert value is None
    assert depth > 4
    assert schemas.example({"$ref": "#/components/schemas/Loop"}) == {}


def test_examples_follow_the_spec_examples_defaults_and_boolean_schemas() -> None:
    schemas = Schemas(load_spec({"openapi": "3.1.0", "paths": {}}))
    assert schemas.example({"type": "string", "examples": ["first", "second"]}) == "first"
    assert schemas.example({"type": "integer", "default": 7}) == 7
    assert schemas.example({"type": "integer", "default": 7}, use_examples=False) == 0
    assert schemas.example({"type": "string", "maxLength": 2}) == "mo"
    assert schemas.example({"items": {"type": "boolean"}, "minItems": 2}) == [True, True]
    merged = {
        "allOf": [{"properties": {"a": {"const": "x"}}, "required": ["a"]}],
        "properties": {"b": {"const": 1}},
        "required": ["b"],
    }
    assert schemas.example(merged) == {"a": "x", "b": 1}
    assert schemas.example(True) == "mock"  # true accepts anything
    assert schemas.example(False) is None  # false accepts nothing: no value is right, None at least is JSON
