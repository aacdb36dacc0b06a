"""The vendor catalog pages (``tests/fixtures/upstream/catalog/``) are pages ``spec_sync`` can take as they are.

Each page is the vendor's format with exactly one fenced OpenAPI 3.1 document that the strict loader accepts and
the shared spec model reads without a warning; it declares the operation, security and responses the catalog is
meant to cover; every example in it conforms to its schema (and every streamed event of an event-stream example
to the event schema). Across the catalog, the tracked pages and the video pages, an operationId names one
operation and a component name one definition, so the pages merge without a conflict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from contract_tests.mock._schemas import Schemas
from contract_tests.toolchain import sync
from contract_tests.toolchain.spec import extract_fenced_block, parse_openapi
from tests.conftest import ROOT
from tokenops import spec as spec_model

CATALOG = ROOT / "tests" / "fixtures" / "upstream" / "catalog"
# What the catalog pages are merged with: the tracked pages and the video pages of today's growth check.
OTHER_PAGES = (
    *sorted((ROOT / "upstream").glob("*.md")),
    *sorted((ROOT / "tests/fixtures/upstream/videos-api").glob("*.md")),
)
OPENAI = (("OpenAIAuth",),)
GEMINI = (("GeminiKeyQuery",), ("GeminiKeyHeader",))  # the key in the query OR in the header


class Expected(NamedTuple):
    key: str  # METHOD /path
    operation_id: str
    security: tuple[tuple[str, ...], ...]
    statuses: tuple[str, ...]


EXPECTED = {
    "list-models.md": Expected("GET /v1/models", "listModels", OPENAI, ("200", "401")),
    "retrieve-model.md": Expected("GET /v1/models/{model}", "retrieveModel", OPENAI, ("200", "401", "404")),
    "create-chat-completion.md": Expected(
        "POST /v1/chat/completions", "createChatCompletion", OPENAI, ("200", "400", "401")
    ),
    "gemini-generate-content.md": Expected(
        "POST /v1beta/models/{model}:generateContent", "generateContent", GEMINI, ("200", "400")
    ),
    "gemini-stream-generate-content.md": Expected(
        "POST /v1beta/models/{model}:streamGenerateContent", "streamGenerateContent", GEMINI, ("200", "400")
    ),
    "create-embeddings.md": Expected("POST /v1/embeddings", "createEmbedding", OPENAI, ("200", "400", "401")),
    "create-image.md": Expected("POST /v1/images/generations", "createImage", OPENAI, ("200", "400", "401")),
    "create-transcription.md": Expected(
        "POST /v1/audio/transcriptions", "createTranscription", OPENAI, ("200", "400", "401")
    ),
    "list-gemini-models.md": Expected("GET /v1beta/models", "listGeminiModels", GEMINI, ("200", "400")),
}
PAGE_NAMES = sorted(EXPECTED)
# Schema keywords whose value is a subschema, a list of subschemas, or a map of names to subschemas.
_SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


@cache
def _text(page: Path) -> str:
    return extract_fenced_block(page.read_text(encoding="utf-8"))


@cache
def _document(page: Path) -> dict[str, Any]:
    return parse_openapi(_text(page), page.name)


class Example(NamedTuple):
    where: str  # JSON pointer of the example
    schema: str | None  # JSON pointer of the schema it must conform to (None: an event stream, judged by events)
    value: Any
    events: str | None  # for an event-stream example: the pointer of the schema of each event's data


def _schema_examples(node: Any, pointer: str) -> Iterator[Example]:
    if not isinstance(node, Mapping):
        return
    if "example" in node:
        yield Example(f"{pointer}/example", pointer, node["example"], None)
    for index, value in enumerate(node.get("examples") or ()):  # JSON Schema: a list of values
        yield Example(f"{pointer}/examples/{index}", pointer, value, None)
    for key in _SUBSCHEMA:
        yield from _schema_examples(node.get(key), f"{pointer}/{key}")
    for key in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(node.get(key) or ()):
            yield from _schema_examples(sub, f"{pointer}/{key}/{index}")
    for key in _SUBSCHEMA_MAPS:
        for name, sub in (node.get(key) or {}).items():
            yield from _schema_examples(sub, f"{pointer}/{key}/{spec_model.escape_token(str(name))}")


def _event_data(document: Mapping[str, Any], pointer: str) -> str | None:
    """For an event-stream media type at ``pointer``: where the schema of each event's JSON ``data`` is
    (``contentSchema`` of the event schema's ``data``, as OpenAPI 3.2 describes event streams)."""
    node: Any = spec_model.pointer_get(document, pointer)
    schema, at = (
        node.get("itemSchema", node.get("schema")),
        f"{pointer}/{'itemSchema' if 'itemSchema' in node else 'schema'}",
    )
    while isinstance(schema, Mapping) and "$ref" in schema:
        at = str(schema["$ref"])[1:]
        schema = spec_model.pointer_get(document, at)
    data = (schema or {}).get("properties", {}).get("data", {})
    if "contentSchema" in data:
        return f"{at}/properties/data/contentSchema"
    for index, branch in enumerate(data.get("anyOf") or data.get("oneOf") or ()):
        if "contentSchema" in branch:
            return f"{at}/properties/data/{'anyOf' if 'anyOf' in data else 'oneOf'}/{index}/contentSchema"
    return None


def _holder_examples(node: Mapping[str, Any], pointer: str, events: str | None = None) -> Iterator[Example]:
    """A media type or parameter: its ``example``/``examples`` (Example Objects) and its schema's examples. An
    event stream's examples are the stream's text: each event's data is judged by ``events``."""
    schema = None if events is not None else f"{pointer}/schema"
    if "example" in node:
        yield Example(f"{pointer}/example", schema, node["example"], events)
    for name, entry in (node.get("examples") or {}).items():
        if isinstance(entry, Mapping) and "value" in entry:
            where = f"{pointer}/examples/{spec_model.escape_token(str(name))}/value"
            yield Example(where, schema, entry["value"], events)
    yield from _schema_examples(node.get("schema"), f"{pointer}/schema")
    for media, content in (node.get("content") or {}).items():  # a parameter with content
        yield from _holder_examples(content, f"{pointer}/content/{spec_model.escape_token(str(media))}")


def examples(node: Any, pointer: str = "", document: Any = None) -> Iterator[Example]:
    """Every example in an OpenAPI document: in schemas, media types and parameters.

    Args:
        node: the document (or a part of it, at ``pointer``).
        pointer: where ``node`` sits in the document.

    Returns:
        The examples, each with the pointer of the schema it must conform to.
    """
    document = node if document is None else document
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from examples(item, f"{pointer}/{index}", document)
        return
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        where = f"{pointer}/{spec_model.escape_token(str(key))}"
        if key == "schema" or (pointer == "/components/schemas" and isinstance(value, Mapping)):
            yield from _schema_examples(value, where)
        elif key == "content" and isinstance(value, Mapping):
            for media, entry in value.items():
                at = f"{where}/{spec_model.escape_token(str(media))}"
                stream = _event_data(document, at) if spec_model.is_event_stream(str(media)) else None
                yield from _holder_examples(entry, at, stream)
        elif key == "parameters" and isinstance(value, list):
            for index, parameter in enumerate(value):
                if isinstance(parameter, Mapping):
                    yield from _holder_examples(parameter, f"{where}/{index}")
        else:
            yield from examples(value, where, document)


@cache
def _page_schemas(page: Path) -> Schemas:
    """The page's validators: JSON Schema 2020-12 with the document as the registry (as the mock builds them)."""
    return Schemas(spec_model.Spec(_document(page), page.name))


def _errors(schemas: Schemas, pointer: str | None, value: Any) -> list[str]:
    """How ``value`` breaks the schema at ``pointer`` (empty when it conforms; nothing to judge without one)."""
    if pointer is None:
        return []
    error = schemas.first_error(pointer, value)
    return [] if error is None else [f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"]


def sse_data(text: str) -> list[str]:
    """The ``data`` of each event of a server-sent event stream (several ``data:`` lines of one event joined)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if lines:
            events.append("\n".join(lines))
    return events


def _pages() -> list[Path]:
    return [*(CATALOG / name for name in PAGE_NAMES), *OTHER_PAGES]


# --- each page ------------------------------------------------------------------------------------------------


def test_the_catalog_folder_holds_exactly_the_expected_pages() -> None:
    assert sorted(page.name for page in CATALOG.glob("*.md") if page.name != "README.md") == PAGE_NAMES


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_a_page_is_one_valid_document_in_the_vendors_format(name: str) -> None:
    page = CATALOG / name
    lines = page.read_text(encoding="utf-8").split("\n")
    method, path = EXPECTED[name].key.split(" ")
    assert lines[0] == "> ## Documentation Index"
    assert lines[4] == f"# {path}"
    assert lines[6].startswith("> ")
    assert "## OpenAPI" in lines
    assert f"````yaml {method} {path}" in lines
    assert lines[-1] == "````"
    document = _document(page)  # the strict loader: openapi-spec-validator
    assert document["openapi"] == "3.1.0"
    assert document["security"] == []
    assert set(document["components"]["securitySchemes"]) == {
        scheme for alt in EXPECTED[name].security for scheme in alt
    }


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_the_spec_model_reads_a_page_without_warnings(name: str) -> None:
    model = spec_model.from_text(_text(CATALOG / name), name)
    assert model.warnings == ()
    (operation,) = model.operations
    expected = EXPECTED[name]
    assert (operation.key, operation.operation_id) == (expected.key, expected.operation_id)
    assert operation.security.alternatives == expected.security
    assert tuple(response.status for response in operation.responses) == expected.statuses
    assert all(model.security_schemes[scheme].supported for scheme in operation.security.schemes)


def test_the_gemini_key_goes_in_the_query_or_in_a_header() -> None:
    model = spec_model.from_text(_text(CATALOG / "gemini-generate-content.md"))
    schemes = model.security_schemes
    assert (schemes["GeminiKeyQuery"].type, schemes["GeminiKeyQuery"].location) == ("apiKey", "query")
    assert schemes["GeminiKeyQuery"].parameter == "key"
    assert (schemes["GeminiKeyHeader"].location, schemes["GeminiKeyHeader"].parameter) == ("header", "x-goog-api-key")


@pytest.mark.parametrize(
    ("name", "media_types", "events"),
    [
        ("create-chat-completion.md", ["application/json", "text/event-stream"], "ChatCompletionChunk"),
        ("gemini-stream-generate-content.md", ["text/event-stream"], "GenerateContentResponse"),
        ("create-transcription.md", ["application/json", "text/plain"], None),
    ],
)
def test_success_media_types_come_json_first_with_an_event_schema_for_streams(
    name: str, media_types: list[str], events: str | None
) -> None:
    # JSON first: the generator keeps the first media type it can parse.
    success = spec_model.from_text(_text(CATALOG / name)).operations[0].success
    assert success is not None
    assert [entry.media_type for entry in success.contents] == media_types
    streams = [entry for entry in success.contents if entry.event_stream]
    assert [entry.item_pointer for entry in streams] == ([f"/components/schemas/{events}"] if events else [])
    # OpenAPI 3.2's event-stream form, in 3.1: `schema` is one event, whose data names its JSON schema.
    assert all(entry.schema is not None and "data" in entry.schema.get("properties", {}) for entry in streams)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_the_chat_messages_and_content_parts_are_discriminated_unions() -> None:
    schemas = _document(CATALOG / "create-chat-completion.md")["components"]["schemas"]
    for union, prop in (("ChatCompletionRequestMessage", "role"), ("ChatCompletionContentPart", "type")):
        discriminator = schemas[union]["discriminator"]
        assert discriminator["propertyName"] == prop
        assert sorted(discriminator["mapping"].values()) == sorted(ref["$ref"] for ref in schemas[union]["oneOf"])
        for value, ref in discriminator["mapping"].items():  # each variant pins the property to its mapping key
            variant = schemas[ref.rsplit("/", 1)[-1]]
            assert variant["properties"][prop]["enum"] == [value]
            assert prop in variant["required"]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_example_of_a_page_conforms_to_its_schema(name: str) -> None:
    schemas = _page_schemas(CATALOG / name)
    found = list(examples(_document(CATALOG / name)))
    assert any(example.where.startswith("/paths/") for example in found), "no example of a request or response"
    problems = {example.where: _errors(schemas, example.schema, example.value) for example in found}
    for example in found:
        if example.events is None:
            continue
        for index, data in enumerate(sse_data(example.value)):
            if data != "[DONE]":
                problems[f"{example.where} event {index}"] = _errors(schemas, example.events, json.loads(data))
    assert {where: errors for where, errors in problems.items() if errors} == {}


@pytest.mark.parametrize(
    ("name", "ends_with_done"), [("create-chat-completion.md", True), ("gemini-stream-generate-content.md", False)]
)
def test_the_chat_stream_ends_with_done_and_the_gemini_stream_just_ends(name: str, ends_with_done: bool) -> None:
    streamed = [example for example in examples(_document(CATALOG / name)) if example.events is not None]
    assert len(streamed) == 1
    data = sse_data(streamed[0].value)
    assert len(data) >= 2
    assert data.count("[DONE]") == (1 if ends_with_done else 0)
    assert (data[-1] == "[DONE]") is ends_with_done


def test_examples_finds_a_wrong_example_and_its_schema() -> None:
    document = json.loads(json.dumps(_document(CATALOG / "create-image.md")))
    document["components"]["schemas"]["CreateImageRequest"]["properties"]["size"]["example"] = "100x100"
    request = document["paths"]["/v1/images/generations"]["post"]["requestBody"]["content"]["application/json"]
    request["example"]["n"] = 0
    schemas = Schemas(spec_model.Spec(document))
    wrong = {e.where: e.schema for e in examples(document) if _errors(schemas, e.schema, e.value)}
    assert wrong == {
        "/components/schemas/CreateImageRequest/properties/size/example": (
            "/components/schemas/CreateImageRequest/properties/size"
        ),
        "/paths/~1v1~1images~1generations/post/requestBody/content/application~1json/example": (
            "/paths/~1v1~1images~1generations/post/requestBody/content/application~1json/schema"
        ),
    }


# --- across pages ---------------------------------------------------------------------------------------------


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_an_operation_id_names_one_operation_across_all_pages() -> None:
    owners: dict[str, dict[str, list[str]]] = {}
    for page in _pages():
        for operation in spec_model.from_text(_text(page), page.name).operations:
            assert operation.operation_id is not None, f"{page.name}: {operation.key} has no operationId"
            owners.setdefault(operation.operation_id, {}).setdefault(operation.key, []).append(page.name)
    assert {op_id: keys for op_id, keys in owners.items() if len(keys) > 1} == {}
    assert {expected.operation_id for expected in EXPECTED.values()} <= set(owners)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_component_name_means_one_definition_across_all_pages() -> None:
    definitions: dict[tuple[str, str], dict[str, list[str]]] = {}
    for page in _pages():
        for section, entries in _document(page)["components"].items():
            for name, definition in entries.items():
                canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False)
                definitions.setdefault((section, name), {}).setdefault(canonical, []).append(page.name)
    conflicts = {f"{section}.{name}": owners for (section, name), owners in definitions.items() if len(owners) > 1}
    assert conflicts == {}
    shared = {key for key, owners in definitions.items() if sum(map(len, owners.values())) > 1}
    assert {("schemas", "OpenAIErrorResponse"), ("securitySchemes", "OpenAIAuth")} <= shared


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_spec_sync_merges_the_catalog_with_the_tracked_and_video_pages() -> None:
    sources = [sync.Source(str(page.relative_to(ROOT)), page.read_bytes()) for page in _pages()]
    merged, warnings = sync.merge(sources)
    assert warnings == []
    model = spec_model.Spec(merged, "merged")
    assert model.warnings == ()
    assert {expected.operation_id for expected in EXPECTED.values()} <= {op.operation_id for op in model.operations}
