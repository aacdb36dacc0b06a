"""The one spec model (``tokenops.spec``): templates, the base URL rule, security, media types, warnings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tokenops import spec
from tokenops.spec import PathTemplate, SecurityRequirement, Spec, SpecError, join_url


def document(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}


def ok(**content: Any) -> dict[str, Any]:
    return {"200": {"description": "ok", **({"content": content} if content else {})}}


# -- path templates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/v1/videos/{video_id}", "/v1/videos/abc", {"video_id": "abc"}),
        ("/v1/videos/{video_id}", "/v1/videos/a%2Fb", {"video_id": "a/b"}),
        ("/v1beta/models/{model}:generateContent", "/v1beta/models/gemini-2:generateContent", {"model": "gemini-2"}),
        ("/v1beta/models/{model}:generateContent", "/v1beta/models/a:b:generateContent", {"model": "a:b"}),
        (
            "/v1beta/models/{model}:generateContent",
            "/v1beta/models/x:generateContent:generateContent",
            {"model": "x:generateContent"},
        ),
        ("/files/{name}.{ext}", "/files/report.tar.gz", {"name": "report", "ext": "tar.gz"}),
        ("/a/{x}/b/{y}", "/a/1/b/2", {"x": "1", "y": "2"}),
        ("/", "/", {}),
    ],
)
def test_a_template_matches_and_decodes_its_parameters(template: str, path: str, expected: dict[str, str]) -> None:
    assert PathTemplate.compile(template).match(path) == expected


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("/v1/videos/{video_id}", "/v1/videos/"),  # a parameter is never empty
        ("/v1/videos/{video_id}", "/v1/videos"),
        ("/v1/videos/{video_id}", "/v1/videos/a/b"),  # a raw slash is two segments
        ("/v1beta/models/{model}:generateContent", "/v1beta/models/:generateContent"),
        ("/v1beta/models/{model}:generateContent", "/v1beta/models/m:streamGenerateContent"),
        ("/v1/videos", "/v1/videos/"),
    ],
)
def test_a_template_refuses_what_it_does_not_describe(template: str, path: str) -> None:
    assert PathTemplate.compile(template).match(path) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"model": "a/b"}, "/v1beta/models/a%2Fb:generateContent"),
        ({"model": ".."}, "/v1beta/models/%2E%2E:generateContent"),
        ({"model": "."}, "/v1beta/models/%2E:generateContent"),
        ({"model": 7}, "/v1beta/models/7:generateContent"),
        ({"model": "é ?#"}, "/v1beta/models/%C3%A9%20%3F%23:generateContent"),
    ],
)
def test_expanding_encodes_every_value_as_one_segment(values: dict[str, object], expected: str) -> None:
    template = PathTemplate.compile("/v1beta/models/{model}:generateContent")
    assert template.expand(values) == expected
    assert template.match(expected) == {"model": str(values["model"])}


def test_expanding_without_a_value_names_the_parameter() -> None:
    with pytest.raises(KeyError, match="model"):
        PathTemplate.compile("/m/{model}").expand({})


def test_the_addressed_parameter_is_the_last_segment_when_it_is_one_parameter() -> None:
    assert PathTemplate.compile("/v1/videos/{video_id}").last_parameter == "video_id"
    assert PathTemplate.compile("/v1/videos/{video_id}/content").last_parameter is None
    assert PathTemplate.compile("/m/{model}:generateContent").last_parameter is None


# -- the base URL rule ------------------------------------------------------------------------------------------


VIDEO = PathTemplate.compile("/v1/videos/{video_id}")
GEMINI = PathTemplate.compile("/v1beta/models/{model}:generateContent")


@pytest.mark.parametrize(
    ("base", "template", "expected"),
    [
        ("https://host", VIDEO, "https://host/v1/videos/x"),
        ("https://host/", VIDEO, "https://host/v1/videos/x"),
        ("https://host/v1", VIDEO, "https://host/v1/videos/x"),
        ("https://host/v1/", VIDEO, "https://host/v1/videos/x"),
        ("https://host/api", VIDEO, "https://host/api/v1/videos/x"),
        ("https://host/api/v1", VIDEO, "https://host/api/v1/videos/x"),
        ("https://host/v1/videos", VIDEO, "https://host/v1/videos/x"),
        ("http://127.0.0.1:4010", GEMINI, "http://127.0.0.1:4010/v1beta/models/x:generateContent"),
        ("https://host/v1beta", GEMINI, "https://host/v1beta/models/x:generateContent"),
        # A /v1 base keeps its path for a /v1beta operation: the rule never looks at other operations.
        ("https://host/v1", GEMINI, "https://host/v1/v1beta/models/x:generateContent"),
    ],
)
def test_the_base_url_path_is_kept_and_a_shared_head_is_not_repeated(
    base: str, template: PathTemplate, expected: str
) -> None:
    value = "x"
    assert join_url(base, template, template.expand(dict.fromkeys(template.parameters, value))) == expected


def test_a_parameter_value_never_counts_as_an_overlap() -> None:
    template = PathTemplate.compile("/{tenant}/videos")
    assert (
        join_url("https://host/acme", template, template.expand({"tenant": "acme"})) == "https://host/acme/acme/videos"
    )


def test_a_growing_spec_changes_no_existing_url() -> None:
    one = Spec(document({"/v1/videos/{video_id}": {"get": {"responses": ok()}}}))
    grown = Spec(
        document(
            {
                "/v1/videos/{video_id}": {"get": {"responses": ok()}},
                "/v1beta/models/{model}:generateContent": {"post": {"responses": ok()}},
            }
        )
    )
    for base in ("https://host", "https://host/v1", "https://host/proxy/v1"):
        urls = [s.operation("GET /v1/videos/{video_id}").template.url(base, {"video_id": "v"}) for s in (one, grown)]
        assert urls[0] == urls[1]


# -- security ---------------------------------------------------------------------------------------------------


SCHEMES = {
    "Bearer": {"type": "http", "scheme": "Bearer"},
    "Basic": {"type": "http", "scheme": "basic"},
    "QueryKey": {"type": "apiKey", "in": "query", "name": "key"},
    "HeaderKey": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "CookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    "OAuth": {"type": "oauth2", "flows": {}},
    "Oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://example.invalid/.well-known"},
}


def secured(security: Any, *, top: Any = None) -> Spec:
    op: dict[str, Any] = {"responses": ok()}
    if security is not None:
        op["security"] = security
    extra: dict[str, Any] = {"components": {"securitySchemes": SCHEMES}}
    if top is not None:
        extra["security"] = top
    return Spec(document({"/x": {"get": op}}, **extra))


def test_every_scheme_kind_is_read_with_where_its_credential_goes() -> None:
    schemes = secured(None).security_schemes
    assert (schemes["Bearer"].type, schemes["Bearer"].scheme) == ("http", "bearer")
    assert schemes["Basic"].scheme == "basic"
    assert (schemes["QueryKey"].location, schemes["QueryKey"].parameter) == ("query", "key")
    assert (schemes["HeaderKey"].location, schemes["HeaderKey"].parameter) == ("header", "x-goog-api-key")
    assert (schemes["CookieKey"].location, schemes["CookieKey"].parameter) == ("cookie", "session")
    assert [name for name, scheme in schemes.items() if scheme.supported] == [
        "Bearer",
        "Basic",
        "QueryKey",
        "HeaderKey",
        "CookieKey",
    ]


def test_unsupported_schemes_are_taken_in_with_a_warning_naming_them() -> None:
    warnings = [str(w) for w in secured(None).warnings]
    assert any("'OAuth' (oauth2)" in w and "#/components/securitySchemes/OAuth" in w for w in warnings), warnings
    assert any("'Oidc' (openIdConnect)" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("security", "top", "alternatives", "required"),
    [
        ([{"QueryKey": []}, {"HeaderKey": []}], None, (("QueryKey",), ("HeaderKey",)), True),  # OR
        ([{"Bearer": [], "QueryKey": []}], None, (("Bearer", "QueryKey"),), True),  # AND
        ([{"Bearer": []}, {}], None, (("Bearer",), ()), False),  # optional
        (None, [{"Basic": []}], (("Basic",),), True),  # inherited from the document
        ([], [{"Basic": []}], (), False),  # an operation opting out
        (None, None, (), False),
    ],
)
def test_requirements_are_alternatives_of_combinations(
    security: Any, top: Any, alternatives: tuple[tuple[str, ...], ...], required: bool
) -> None:
    operation = secured(security, top=top).operation("GET /x")
    assert operation.security == SecurityRequirement(alternatives)
    assert operation.requires_auth is required


def test_a_requirement_naming_no_declared_scheme_is_a_warning() -> None:
    warnings = [str(w) for w in secured([{"Nope": []}]).warnings]
    assert any("'Nope'" in w and "names no declared scheme" in w for w in warnings)


# -- responses and media types ----------------------------------------------------------------------------------


def test_responses_resolve_exact_codes_then_ranges_then_default() -> None:
    responses = {
        "200": {"description": "ok"},
        "2XX": {"description": "other success"},
        "4XX": {"description": "client"},
        "404": {"description": "missing"},
        "default": {"description": "anything"},
    }
    operation = Spec(document({"/x": {"get": {"responses": responses}}})).operation("GET /x")
    assert operation.response_for(200).status == "200"  # type: ignore[union-attr]
    assert operation.response_for(201).status == "2XX"  # type: ignore[union-attr]
    assert operation.response_for(404).status == "404"  # type: ignore[union-attr]
    assert operation.response_for(400).status == "4XX"  # type: ignore[union-attr]
    assert operation.response_for(503).status == "default"  # type: ignore[union-attr]
    assert operation.success.status == "200"  # type: ignore[union-attr]


def test_a_response_that_is_not_a_status_is_a_warning_and_skipped() -> None:
    built = Spec(document({"/x": {"get": {"responses": {"200": {"description": "ok"}, "20": {"description": "?"}}}}}))
    assert [r.status for r in built.operation("GET /x").responses] == ["200"]
    assert any("'20'" in str(w) for w in built.warnings)


def test_an_event_stream_carries_the_schema_of_the_json_in_each_event() -> None:
    chunk = {"type": "object", "properties": {"id": {"type": "string"}}}
    ref = {"$ref": "#/components/schemas/C"}
    json_data = {"type": "string", "contentMediaType": "application/json", "contentSchema": ref}
    event = {"type": "object", "required": ["data"], "properties": {"data": json_data, "event": {"type": "string"}}}
    with_done = {"type": "object", "properties": {"data": {"anyOf": [{"const": "[DONE]"}, json_data]}}}
    paths = {
        "/item": {"post": {"responses": ok(**{"text/event-stream": {"itemSchema": event}})}},  # OpenAPI 3.2
        "/schema": {"post": {"responses": ok(**{"text/event-stream": {"schema": event}})}},  # 3.1: schema = one event
        "/done": {"post": {"responses": ok(**{"text/event-stream": {"schema": with_done}})}},  # a [DONE] sentinel
        "/named": {"post": {"responses": ok(**{"text/event-stream": {"x-event-schema": ref}})}},  # our extension
        "/raw": {"post": {"responses": ok(**{"text/event-stream": {"schema": {"type": "string"}}})}},
        "/chunk": {"post": {"responses": ok(**{"text/event-stream": {"schema": ref}})}},  # an event, not its data
    }
    built = Spec(document(paths, components={"schemas": {"C": chunk}}))
    for path in ("/item", "/schema", "/done", "/named"):
        stream = built.operation(f"POST {path}").success.content("text/event-stream")  # type: ignore[union-attr]
        assert stream is not None
        assert (stream.item_schema, stream.item_pointer) == (chunk, "/components/schemas/C"), path
        assert built.operation(f"POST {path}").streams_events
    for path in ("/raw", "/chunk"):
        raw = built.operation(f"POST {path}").success.content("text/event-stream")  # type: ignore[union-attr]
        assert raw is not None
        assert raw.item_schema is None, path
    assert built.warnings == ()


def test_request_bodies_keep_every_media_type_in_order() -> None:
    body = {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string"}}}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        },
    }
    operation = Spec(document({"/x": {"post": {"requestBody": body, "responses": ok()}}})).operation("POST /x")
    assert [m.media_type for m in operation.bodies] == [
        "application/json",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ]
    assert operation.body_required
    assert operation.request_body is not None
    assert operation.request_body.content("multipart/form-data; boundary=x") is operation.bodies[1]


def test_a_media_type_without_a_parser_is_a_warning() -> None:
    built = Spec(document({"/x": {"get": {"responses": ok(**{"application/xml": {}})}}}))
    assert any("'application/xml'" in str(w) and "no parser" in str(w) for w in built.warnings)


# -- parameters -------------------------------------------------------------------------------------------------


def test_parameters_merge_path_item_and_operation_with_styles_and_refs() -> None:
    paths = {
        "/m/{model}:generateContent": {
            "parameters": [{"$ref": "#/components/parameters/Model"}],
            "post": {
                "parameters": [
                    {"name": "alt", "in": "query", "schema": {"type": "string", "default": "json"}},
                    {"name": "ids", "in": "query", "style": "form", "explode": False, "schema": {"type": "array"}},
                ],
                "responses": ok(),
            },
        }
    }
    components = {
        "parameters": {"Model": {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}}
    }
    operation = Spec(document(paths, components=components)).operation("POST /m/{model}:generateContent")
    by_name = {p.name: p for p in operation.parameters}
    assert (by_name["model"].location, by_name["model"].style, by_name["model"].explode) == ("path", "simple", False)
    assert (by_name["alt"].style, by_name["alt"].explode, by_name["alt"].default) == ("form", True, "json")
    assert by_name["ids"].explode is False
    assert by_name["model"].pointer == "/components/parameters/Model/schema"


def test_a_path_parameter_the_spec_forgot_to_declare_is_still_a_string_parameter() -> None:
    operation = Spec(document({"/m/{model}": {"get": {"responses": ok()}}})).operation("GET /m/{model}")
    assert [(p.name, p.location, p.required) for p in operation.parameters] == [("model", "path", True)]


# -- references and unsupported constructs ----------------------------------------------------------------------


def test_broken_references_are_warnings_naming_where_not_crashes() -> None:
    paths = {
        "/loop": {"get": {"responses": {"200": {"$ref": "#/components/responses/A"}}}},
        "/remote": {"get": {"parameters": [{"$ref": "other.yaml#/P"}], "responses": ok()}},
        "/fine": {"get": {"responses": ok()}},
    }
    components = {"responses": {"A": {"$ref": "#/components/responses/B"}, "B": {"$ref": "#/components/responses/A"}}}
    built = Spec(document(paths, components=components))
    assert [op.key for op in built.operations] == ["GET /loop", "GET /remote", "GET /fine"]
    text = " | ".join(str(w) for w in built.warnings)
    assert "reference cycle" in text
    assert "outside this document" in text
    assert "#/paths/~1remote/get/parameters/0" in text


def test_callbacks_and_webhooks_are_taken_in_with_warnings() -> None:
    paths = {"/x": {"post": {"callbacks": {"done": {}}, "responses": ok()}}}
    built = Spec(document(paths, webhooks={"newVideo": {}}))
    constructs = {w.construct for w in built.warnings}
    assert {"callbacks", "webhooks"} <= constructs
    assert built.operation("POST /x").method == "POST"


# -- reading documents ------------------------------------------------------------------------------------------


def test_yaml_and_json_read_the_same_with_string_keys() -> None:
    yaml_text = (
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /x:\n    get:\n      responses:\n        200:\n          description: ok\n"
    )
    from_yaml = spec.parse_text(yaml_text, "a.yaml")
    from_json = spec.parse_text(json.dumps(from_yaml), "a.json")
    assert from_yaml == from_json
    assert list(from_yaml["paths"]["/x"]["get"]["responses"]) == ["200"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("swagger: '2.0'\n", "not an OpenAPI 3.x document (swagger: '2.0')"),
        ("- a\n- b\n", "top level is list"),
        ("openapi: [3\n", "is not valid YAML (line"),
        ("{}", "no 'openapi' field"),
    ],
)
def test_what_is_not_an_openapi_document_is_one_line_naming_it(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=r"^page\.yaml ") as caught:
        spec.parse_text(text, "page.yaml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_bundled_copy_is_the_vendored_spec() -> None:
    vendored = spec.load(ROOT / "openapi.yaml")
    assert spec.bundled().document == vendored.document
    assert [op.key for op in spec.bundled().operations] == [op.key for op in vendored.operations]
    assert spec.bundled().servers == ("https://model-api.skyengine.com.cn",)


def test_pointers_follow_rfc_6901() -> None:
    doc = {"paths": {"/a/{b}": {"get": {"x~y": [10, 20]}}}}
    assert spec.pointer_get(doc, "/paths/~1a~1{b}/get/x~0y/1") == 20
    assert spec.pointer_get(doc, "") is doc
    with pytest.raises(KeyError):
        spec.pointer_get(doc, "/paths/nope")


# -- placing credentials ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "credentials", "headers", "query", "cookies"),
    [
        ([{"Bearer": []}], {"Bearer": "k"}, {"Authorization": "Bearer k"}, {}, {}),
        ([{"Basic": []}], {"Basic": "me:pw"}, {"Authorization": "Basic bWU6cHc="}, {}, {}),
        ([{"Basic": []}], {"Basic": "pw"}, {"Authorization": "Basic OnB3"}, {}, {}),  # ":pw"
        ([{"QueryKey": []}, {"HeaderKey": []}], {"QueryKey": "q", "HeaderKey": "h"}, {}, {"key": "q"}, {}),
        ([{"QueryKey": []}, {"HeaderKey": []}], {"HeaderKey": "h"}, {"x-goog-api-key": "h"}, {}, {}),
        (
            [{"Bearer": [], "CookieKey": []}],
            {"Bearer": "b", "CookieKey": "c"},
            {"Authorization": "Bearer b"},
            {},
            {"session": "c"},
        ),
        ([{"OAuth": []}], {"OAuth": "token"}, {"Authorization": "Bearer token"}, {}, {}),
        ([{"Bearer": []}, {}], {}, {}, {}, {}),  # anonymous allowed, nothing to send
        ([], {"Bearer": "k"}, {}, {}, {}),
    ],
)
def test_credentials_go_where_the_first_complete_alternative_wants_them(
    security: Any, credentials: dict[str, str], headers: Any, query: Any, cookies: Any
) -> None:
    built = secured(security)
    placement = spec.place_credentials(built.operation("GET /x"), built.security_schemes, credentials)
    assert placement is not None
    assert (dict(placement.headers), dict(placement.query), dict(placement.cookies)) == (headers, query, cookies)


@pytest.mark.parametrize(
    ("security", "credentials"),
    [
        ([{"Bearer": []}], {}),
        ([{"Bearer": [], "QueryKey": []}], {"Bearer": "k"}),  # AND: one of two is not enough
        ([{"Nope": []}], {"Nope": "k"}),  # an undeclared scheme cannot be placed
    ],
)
def test_a_required_credential_nobody_gave_is_none(security: Any, credentials: dict[str, str]) -> None:
    built = secured(security)
    assert spec.place_credentials(built.operation("GET /x"), built.security_schemes, credentials) is None


@pytest.mark.parametrize(
    ("scheme", "variable"),
    [
        ("GeminiKeyQuery", "TOKENOPS_CREDENTIAL_GEMINI_KEY_QUERY"),
        ("OpenAIAuth", "TOKENOPS_CREDENTIAL_OPEN_AI_AUTH"),
        ("api_key", "TOKENOPS_CREDENTIAL_API_KEY"),
        ("x-goog-key", "TOKENOPS_CREDENTIAL_X_GOOG_KEY"),
    ],
)
def test_each_scheme_has_a_documented_environment_variable(scheme: str, variable: str) -> None:
    assert spec.credential_variable(scheme) == variable


@pytest.mark.parametrize(
    ("schema", "text", "strict", "lenient"),
    [
        ({"type": "integer"}, "42", 42, 42),
        ({"type": "integer"}, "4.2", "4.2", "4.2"),  # not an integer: left for the schema to refuse
        ({"type": "number"}, "4.5", 4.5, 4.5),
        ({"type": ["integer", "null"]}, "7", 7, 7),
        ({"type": "boolean"}, "true", True, True),
        ({"type": "boolean"}, "False", "False", False),  # only the mock accepts any letter case
        ({"type": "string"}, "42", "42", "42"),
        ({}, "x", "x", "x"),
    ],
)
def test_a_wire_text_becomes_the_type_its_schema_asks_for(
    schema: dict[str, Any], text: str, strict: Any, lenient: Any
) -> None:
    assert spec.typed_text(schema, text) == strict
    assert spec.typed_text(schema, text, any_case=True) == lenient
    assert type(spec.typed_text(schema, text)) is type(strict)


def test_the_string_keys_loader_names_each_key_it_made_a_string_and_extends_the_given_loader() -> None:
    import yaml  # noqa: PLC0415

    seen: list[tuple[Any, int]] = []
    loader = spec.string_keys_loader(
        yaml.SafeLoader, on_other_key=lambda key, node: seen.append((key, node.start_mark.line))
    )
    assert issubclass(loader, yaml.SafeLoader)
    document = yaml.load("a:\n  200: ok\n  true: yes\n  name: x\n", Loader=loader)  # noqa: S506 - a SafeLoader
    assert document == {"a": {"200": "ok", "true": True, "name": "x"}}
    assert seen == [(200, 1), (True, 2)]
    with pytest.raises(yaml.constructor.ConstructorError, match="unhashable key"):
        yaml.load("? [1, 2]\n: x\n", Loader=spec.string_keys_loader())  # noqa: S506 - a SafeLoader
