"""What the suite reads from a spec (``contract_tests.suite.spec_facts``): sites of lifecycle resources, media types,
references, and the odd shapes a real spec has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contract_tests.suite.spec_facts import (
    ResourceSite,
    UnknownOperationError,
    facts_for,
    is_json_media_type,
    load_facts,
)
from tokenops.spec import SpecError

JOB = {"type": "object", "properties": {"id": {"type": "string"}, "status": {"$ref": "#/components/schemas/Status"}}}


def _json(schema: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "security": [{"bearer": []}],
    "paths": {
        "/jobs": {
            "get": {
                "security": [],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/JobPage"}),
                    "404": _json({"$ref": "#/components/schemas/Error"}),
                },
            },
        },
        "/jobs/{job_id}": {"$ref": "#/components/pathItems/OneJob"},
        "/jobs/{job_id}/content": {
            "get": {
                "responses": {
                    "2XX": {"content": {"video/mp4": {"schema": {"type": "string"}}, "application/json": None}},
                },
            },
        },
        "/batches/{batch_id}/jobs/{job_id}/cancel": {
            "post": {"responses": {"202": {"description": "accepted, no body"}}},
        },
    },
    "components": {
        "pathItems": {
            "OneJob": {
                "get": {"operationId": "getJob", "responses": {"200": {"$ref": "#/components/responses/Job"}}},
                "delete": {"responses": {"204": {"description": "gone"}}},
                "parameters": [],
            },
        },
        "responses": {"Job": _json({"$ref": "#/components/schemas/Job"})},
        "schemas": {
            "Status": {"type": "string", "enum": ["queued", "done"]},
            "Job": JOB,
            "Wrapper": {"type": "object", "properties": {"job": {"$ref": "#/components/schemas/Job"}}},
            "JobPage": {
                "type": "object",
                "properties": {
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                    "featured": {"$ref": "#/components/schemas/Wrapper"},
                    "cursor": {"type": ["string", "null"]},
                    "anything": True,
                    "deep": {"properties": {"deeper": {"properties": {"job": {"$ref": "#/components/schemas/Job"}}}}},
                },
            },
            "Error": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Anything": True,
            "Remote": {"$ref": "other.yaml#/Job"},
        },
    },
}


def test_lifecycle_schemas_are_the_ones_with_a_status_enum() -> None:
    # "Anything" is a boolean schema (OpenAPI 3.1): reading it once crashed facts_for with AttributeError.
    facts = facts_for(DOCUMENT)
    assert facts.lifecycle_schemas == {"Job": ("queued", "done")}


def test_resources_are_found_in_lists_and_nested_objects_two_levels_deep_at_most() -> None:
    facts = facts_for(DOCUMENT)
    listing = facts.operation("GET /jobs")
    assert listing is not None
    assert listing.resource_sites == (ResourceSite("Job", ("data", "*")), ResourceSite("Job", ("featured", "job")))
    assert listing.id_property is False  # only the 404 body (not a success) declares an id
    assert listing.requires_auth is False  # an empty per-operation security overrides the global one
    assert listing.success == {"200": {"application/json": {"$ref": "#/components/schemas/JobPage"}}}
    body = {"data": [{"id": "a"}, "not an object", {"id": "b"}], "featured": {"job": {"id": "c"}}}
    data, featured = listing.resource_sites
    assert list(data.locate(body)) == [("data[0]", {"id": "a"}), ("data[2]", {"id": "b"})]
    assert list(featured.locate(body)) == [("featured.job", {"id": "c"})]
    assert list(featured.locate({"featured": None})) == []
    assert list(data.locate({"data": {"not": "a list"}})) == []
    assert list(ResourceSite("Job", ()).locate({"id": "d"})) == [("(body)", {"id": "d"})]


def test_operations_through_referenced_path_items_and_responses() -> None:
    facts = facts_for(DOCUMENT)
    get = facts.operation("GET /jobs/{job_id}")
    assert get is not None
    assert (get.operation_id, get.addressed_by, get.path_params, get.requires_auth) == (
        "getJob",
        "job_id",
        ("job_id",),
        True,
    )
    assert get.id_property is True
    assert (get.json_success, get.safe, get.destructive) == (True, True, False)
    assert get.resource_sites == (ResourceSite("Job", ()),)
    assert facts.polling_operation("Job") is get
    assert facts.polling_operation("Wrapper") is None
    delete = facts.operation("DELETE /jobs/{job_id}")
    assert delete is not None
    assert (delete.json_success, delete.safe, delete.destructive) == (False, False, True)
    assert delete.media_types_for(204) == ()


def test_media_types_fall_back_to_the_status_class() -> None:
    facts = facts_for(DOCUMENT)
    content = facts.operation("GET /jobs/{job_id}/content")
    assert content is not None
    assert content.media_types_for(206) == ("video/mp4", "application/json")
    assert content.media_types_for(404) == ()
    assert content.resource_sites == ()  # a JSON media type without a schema names no resource
    assert content.addressed_by is None  # the last segment is a literal
    cancel = facts.operation("POST /batches/{batch_id}/jobs/{job_id}/cancel")
    assert cancel is not None
    assert cancel.path_params == ("batch_id", "job_id")
    assert cancel.success == {"202": {}}


def test_references_resolve_locally_only() -> None:
    facts = facts_for(DOCUMENT)
    assert facts.resolve({"$ref": "#/components/schemas/Status"}) == {"type": "string", "enum": ["queued", "done"]}
    assert facts.resolve({"$ref": "other.yaml#/Job"}) == {}
    assert facts.resolve({"$ref": "#/components/schemas/Missing"}) == {}
    assert facts.schema_name({"$ref": "#/components/schemas/Job"}) == "Job"
    assert facts.schema_name({"type": "object"}) is None
    assert facts.operation("PATCH /jobs") is None


def test_a_self_referencing_alias_does_not_hang() -> None:
    document = {"paths": {}, "components": {"schemas": {"Loop": {"$ref": "#/components/schemas/Loop"}}}}
    facts = facts_for(document)
    assert facts.resolve({"$ref": "#/components/schemas/Loop"}) == {}  # a loop resolves to nothing to check
    assert facts.lifecycle_schemas == {}


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ("application/json", True),
        ("application/vnd.api+json; charset=utf-8", True),
        ("APPLICATION/JSON", True),
        ("text/json", False),
        ("", False),
        (None, False),
    ],
)
def test_json_media_types(media: str | None, expected: bool) -> None:
    assert is_json_media_type(media) is expected


def test_load_facts_reads_a_file_and_refuses_what_is_not_openapi_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("openapi: 3.1.0\npaths:\n  /x:\n    get:\n      responses: {}\n", encoding="utf-8")
    assert list(load_facts(path).operations) == ["GET /x"]
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"spec\.yaml is not an OpenAPI document \(top level is list\)$"):
        load_facts(path)


def test_only_keeps_the_operations_named_by_label_or_operation_id() -> None:
    facts = facts_for(DOCUMENT)
    chosen = facts.only(["getJob", "GET /jobs"])
    assert sorted(chosen.operations) == ["GET /jobs", "GET /jobs/{job_id}"]
    assert chosen.lifecycle_schemas == facts.lifecycle_schemas
    assert chosen.polling_operation("Job") is chosen.operations["GET /jobs/{job_id}"]
    assert len(facts.operations) == 5  # the whole spec is left as it was
    assert facts.only([]).operations == facts.operations  # nothing named: every operation


@pytest.mark.parametrize("name", ["getjob", "GET /jobs/{id}", "get /jobs", ""])
def test_only_refuses_a_name_that_is_no_operation_and_lists_the_operations(name: str) -> None:
    with pytest.raises(UnknownOperationError) as caught:
        facts_for(DOCUMENT).only(["GET /jobs", name])
    message = str(caught.value)
    assert message.startswith(f"{name!r} is no operation of the spec (operations: ")
    assert "getJob" in message
    assert "DELETE /jobs/{job_id}" in message
