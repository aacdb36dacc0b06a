"""How list operations page, read from the spec (``Operation.pagination``, ``tokenops.spec._pagination``)."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.toolchain.spec import extract_fenced_block
from tests.conftest import ROOT
from tokenops import spec
from tokenops.spec import Pagination

FIXTURES = ROOT / "tests" / "fixtures" / "upstream"


def page_model(relative: str) -> spec.Spec:
    return spec.from_text(extract_fenced_block((FIXTURES / relative).read_text(encoding="utf-8")), relative)


def one(
    query: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    *,
    method: str = "get",
    extension: Any = None,
    components: dict[str, Any] | None = None,
) -> tuple[Pagination | None, tuple[spec.SpecWarning, ...]]:
    parameters = [{"name": name, "in": "query", "schema": schema} for name, schema in (query or {}).items()]
    operation: dict[str, Any] = {"operationId": "listThings", "parameters": parameters, "responses": {}}
    if body is not None:
        operation["responses"]["200"] = {"description": "ok", "content": {"application/json": {"schema": body}}}
    else:
        operation["responses"]["204"] = {"description": "nothing"}
    if extension is not None:
        operation["x-pagination"] = extension
    document = {"openapi": "3.1.0", "paths": {"/things": {method: operation}}}
    if components:
        document["components"] = {"schemas": components}
    model = spec.Spec(document)
    return model.operation("listThings").pagination, model.warnings


THING = {"type": "object", "properties": {"id": {"type": "string"}, "created_at": {"type": "integer"}}}
OPENAI_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "object": {"type": "string", "enum": ["list"]},
        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
        "first_id": {"type": "string"},
        "last_id": {"type": "string"},
        "has_more": {"type": "boolean"},
    },
}


# -- the vendor's three list pages -----------------------------------------------------------------------------


def test_the_video_list_is_openai_cursor_pagination() -> None:
    found = page_model("videos-api/list-videos.md").operation("listVideos").pagination
    assert found is not None
    assert (found.style, found.items, found.cursor_parameter, found.next_cursor, found.item_cursor) == (
        "cursor",
        "data",
        "after",
        "last_id",
        "id",
    )
    assert (found.has_more, found.limit_parameter, found.limit_default, found.limit_maximum) == (
        "has_more",
        "limit",
        20,
        100,
    )
    assert (found.order_parameter, found.order_field, found.order_default) == ("order", "created_at", "desc")
    assert (found.item_id, found.item_pointer) == ("id", "/components/schemas/VideoStatusResponse")
    assert found.paged
    assert found.cursor_names_item
    assert not found.explicit


def test_the_gemini_model_list_is_token_pagination() -> None:
    found = page_model("catalog/list-gemini-models.md").operation("listGeminiModels").pagination
    assert found is not None
    assert (found.style, found.items, found.cursor_parameter, found.next_cursor) == (
        "token",
        "models",
        "pageToken",
        "nextPageToken",
    )
    assert (found.limit_parameter, found.limit_default, found.limit_maximum) == ("pageSize", 50, 1000)
    assert (found.has_more, found.item_cursor, found.item_id) == (None, None, "name")  # Gemini names its resources
    assert found.paged
    assert not found.cursor_names_item


def test_the_openai_model_list_comes_whole() -> None:
    found = page_model("catalog/list-models.md").operation("listModels").pagination
    assert found is not None
    assert (found.style, found.items, found.item_id, found.paged) == ("unpaged", "data", "id", False)


def test_operations_that_are_no_lists_have_no_pagination() -> None:
    model = page_model("catalog/retrieve-model.md")
    assert all(operation.pagination is None for operation in model.operations)
    assert spec.bundled().operation("getVideoStatus").pagination is None


# -- the rules ------------------------------------------------------------------------------------------------


def test_a_cursor_list_without_last_id_takes_the_last_items_id() -> None:
    body = {**OPENAI_BODY, "properties": {k: v for k, v in OPENAI_BODY["properties"].items() if k != "last_id"}}
    found, warnings = one({"after": {"type": "string"}}, body, components={"Thing": THING})
    assert found is not None
    assert warnings == ()
    assert (found.next_cursor, found.item_cursor, found.has_more) == (None, "id", "has_more")


def test_stripe_names_and_the_backward_cursor_are_recognised() -> None:
    query = {"starting_after": {"type": "string"}, "ending_before": {"type": "string"}, "limit": {"type": "integer"}}
    found, _ = one(query, OPENAI_BODY, components={"Thing": THING})
    assert found is not None
    assert (found.cursor_parameter, found.backward_parameter, found.previous_cursor) == (
        "starting_after",
        "ending_before",
        "first_id",
    )
    assert found.order_parameter is None  # no `order` parameter: no stated order


def test_a_cursor_without_anything_that_says_where_the_list_ends_is_a_warning() -> None:
    body = {"type": "object", "properties": {"data": {"type": "array", "items": THING}}}
    found, warnings = one({"after": {"type": "string"}}, body)
    assert found is None
    assert [w.construct for w in warnings] == ["query parameter 'after'"]
    assert "x-pagination" in warnings[0].message


def test_token_pagination_needs_one_items_array() -> None:
    body: dict[str, Any] = {
        "type": "object",
        "properties": {
            "things": {"type": "array", "items": THING},
            "others": {"type": "array", "items": THING},
            "nextPageToken": {"type": "string"},
        },
    }
    found, warnings = one({"pageToken": {"type": "string"}}, body)
    assert found is None
    assert "token pagination" in warnings[0].message
    body["properties"].pop("others")
    found, warnings = one({"page_token": {"type": "string"}, "page_size": {"type": "integer"}}, body)
    assert found is not None
    assert warnings == ()
    assert (found.items, found.cursor_parameter, found.limit_parameter) == ("things", "page_token", "page_size")


def test_properties_under_all_of_count() -> None:
    body = {"allOf": [{"$ref": "#/components/schemas/Envelope"}]}
    found, _ = one({"after": {"type": "string"}}, body, components={"Envelope": OPENAI_BODY, "Thing": THING})
    assert found is not None
    assert found.items == "data"


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("post", OPENAI_BODY),  # a POST that returns a list object creates something
        ("get", {"type": "object", "properties": {"data": {"type": "array", "items": THING}}}),  # no object: list
        ("get", None),
    ],
)
def test_a_whole_list_is_only_a_get_returning_the_list_object(method: str, body: dict[str, Any] | None) -> None:
    found, _ = one({}, body, method=method, components={"Thing": THING})
    assert found is None


# -- x-pagination ---------------------------------------------------------------------------------------------

CUSTOM_BODY = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": THING},
        "next": {"type": ["string", "null"]},
        "more": {"type": "boolean"},
    },
}
CUSTOM_QUERY = {"cursor": {"type": "string"}, "size": {"type": "integer", "maximum": 7}}


def test_x_pagination_describes_what_the_rules_cannot_infer() -> None:
    extension = {"items": "results", "cursorParameter": "cursor", "nextCursor": "next", "limitParameter": "size"}
    found, warnings = one(CUSTOM_QUERY, CUSTOM_BODY, extension=extension)
    assert warnings == ()
    assert found is not None
    assert found.explicit
    assert (found.style, found.items, found.cursor_parameter, found.next_cursor, found.has_more) == (
        "token",
        "results",
        "cursor",
        "next",
        None,
    )
    assert (found.limit_parameter, found.limit_maximum, found.item_id) == ("size", 7, "id")
    with_more, _ = one(CUSTOM_QUERY, CUSTOM_BODY, extension={**extension, "hasMore": "more", "itemId": "created_at"})
    assert with_more is not None
    assert (with_more.style, with_more.has_more, with_more.item_id) == ("cursor", "more", "created_at")


def test_x_pagination_wins_over_the_rules_and_false_turns_them_off() -> None:
    query = {"after": {"type": "string"}}
    found, _ = one(query, OPENAI_BODY, extension={"items": "data"}, components={"Thing": THING})
    assert found is not None
    assert (found.style, found.paged) == ("unpaged", False)
    off, warnings = one(query, OPENAI_BODY, extension=False, components={"Thing": THING})
    assert off is None
    assert warnings == ()


@pytest.mark.parametrize(
    ("extension", "problem"),
    [
        ("yes", "must be a mapping"),
        ({"items": "results", "page": "x"}, "unknown key(s) page"),
        ({"items": ""}, "non-empty string"),
        ({"cursorParameter": "cursor", "nextCursor": "next"}, "'items' is required"),
        ({"items": "next"}, "no array property"),
        ({"items": "results", "cursorParameter": "offset", "nextCursor": "next"}, "no query parameter"),
        ({"items": "results", "cursorParameter": "cursor", "nextCursor": "token"}, "no property of the 2xx"),
        ({"items": "results", "cursorParameter": "cursor"}, "needs 'nextCursor' or 'itemCursor'"),
    ],
)
def test_an_unusable_x_pagination_is_a_warning_and_no_pagination(extension: Any, problem: str) -> None:
    found, warnings = one(CUSTOM_QUERY, CUSTOM_BODY, extension=extension)
    assert found is None
    assert [(w.construct, w.pointer) for w in warnings] == [("x-pagination", "/paths/~1things/get/x-pagination")]
    assert problem in warnings[0].message


# -- what a page says of the next one ----------------------------------------------------------------------------


def test_a_page_says_whether_more_follow_and_where_they_start() -> None:
    cursor = page_model("videos-api/list-videos.md").operation("listVideos").pagination
    token = page_model("catalog/list-gemini-models.md").operation("listGeminiModels").pagination
    whole = page_model("catalog/list-models.md").operation("listModels").pagination
    assert cursor is not None
    assert token is not None
    assert whole is not None
    items = [{"id": "a"}, {"id": "b"}]
    assert cursor.next_page({"has_more": True, "last_id": "b"}, items) == (True, "b")
    assert cursor.next_page({"has_more": True}, items) == (True, "b")  # no last_id: the last item's id
    assert cursor.next_page({"has_more": False, "last_id": "b"}, items) == (False, "b")  # where a next would start
    assert cursor.next_page({"last_id": "b"}, items) == (False, "b")  # has_more decides
    assert cursor.next_page({"has_more": True}, []) == (True, None)
    assert token.next_page({"nextPageToken": "t2"}, items) == (True, "t2")
    assert token.next_page({"nextPageToken": ""}, items) == (False, None)
    assert token.next_page({}, items) == (False, None)
    assert token.next_page({"nextPageToken": True}, items) == (False, None)  # not a token
    assert whole.next_page({"has_more": True, "data": items}, items) == (False, None)
