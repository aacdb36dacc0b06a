"""The checks schemathesis does not make (``contract_tests/suite/traffic/wire_checks.py``): what an application sent
against the spec, and each event of a stream against its schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.cassette import Exchange
from contract_tests.suite.traffic.checker import TrafficChecker
from contract_tests.suite.traffic.wire_checks import WireChecks
from tokenops.spec import Spec

CHUNK = {
    "type": "object",
    "required": ["id", "choices"],
    "properties": {"id": {"type": "string"}, "choices": {"type": "array", "items": {"type": "object"}}},
}
# OpenAPI 3.2's form of an event: the JSON in its data is a Chunk (schemathesis checks the event, the proxy its data).
EVENT = {
    "type": "object",
    "properties": {
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/Chunk"},
        }
    },
}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Wire", "version": "1"},
    "security": [{"bearer": []}],
    "paths": {
        "/v1/chat/completions": {
            "post": {
                "operationId": "createChatCompletion",
                "parameters": [
                    {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "X-Region", "in": "header", "required": True, "schema": {"enum": ["eu", "us"]}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["model", "messages"],
                                "properties": {
                                    "model": {"type": "string"},
                                    "messages": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {"role": {"enum": ["user", "system"]}},
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "text/event-stream": {"schema": EVENT},
                        },
                    }
                },
            }
        },
        "/v1/models": {"get": {"security": [{"key": []}], "responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "schemas": {"Chunk": CHUNK},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "key": {"type": "apiKey", "in": "query", "name": "key"},
        },
    },
}
GOOD_BODY = {"model": "m", "messages": [{"role": "user"}]}
HEADERS = (("authorization", "Bearer k"), ("content-type", "application/json"), ("x-region", "eu"))


def chat(
    body: Any = None,
    *,
    headers: tuple[tuple[str, str], ...] = HEADERS,
    query: str = "",
    raw: bytes | None = None,
    events: bytes = b"",
) -> Exchange:
    content = raw if raw is not None else json.dumps(GOOD_BODY if body is None else body).encode()
    return Exchange(
        "POST",
        "/v1/chat/completions" + (f"?{query}" if query else ""),
        headers,
        content,
        status=200,
        response_headers=(("content-type", "text/event-stream"),),
        response_body=events,
    )


@pytest.fixture(scope="module")
def wire() -> WireChecks:
    return WireChecks(Spec(SPEC))


def problem(wire: WireChecks, exchange: Exchange) -> str | None:
    operation = wire.spec.operation("createChatCompletion" if "chat" in exchange.target else "GET /v1/models")
    failure = wire.request(operation, exchange, {})
    return None if failure is None else failure.key


@pytest.mark.parametrize(
    ("exchange", "key"),
    [
        (chat(), None),
        (chat(query="n=3"), None),  # a query value is read as its schema's type
        (chat(query="n=0"), "query:n:minimum"),
        (chat(query="n=three"), "query:n:type"),
        (chat(headers=HEADERS[:2]), "header:X-Region:missing"),
        (chat(headers=(*HEADERS[:2], ("x-region", "mars"))), "header:X-Region:enum"),
        (chat(headers=HEADERS[1:]), "credentials:missing"),
        (chat(raw=b""), "body:missing"),
        (chat(raw=b"{not json"), "body:not-json"),
        (chat({"model": "m"}), "body:messages:required"),
        (chat({"model": "m", "messages": [{"role": "user"}, {"role": "bot"}]}), "body:messages[*].role:enum"),
        (chat(headers=(HEADERS[0], ("content-type", "text/plain"), HEADERS[2])), "body:media-type"),
    ],
)
def test_a_request_is_judged_by_the_spec(wire: WireChecks, exchange: Exchange, key: str | None) -> None:
    assert problem(wire, exchange) == key


def test_credentials_are_looked_for_where_the_scheme_puts_them(wire: WireChecks) -> None:
    bare = Exchange("GET", "/v1/models", ())
    assert problem(wire, bare) == "credentials:missing"
    assert problem(wire, Exchange("GET", "/v1/models?key=abc", ())) is None
    assert problem(wire, Exchange("GET", "/v1/models", (("authorization", "Bearer k"),))) == "credentials:missing"


def _checker(tmp_path: Path, spec: dict[str, Any]) -> TrafficChecker:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return TrafficChecker(path, upstream="http://u")


GOOD_EVENT = b'data: {"id": "c1", "choices": []}\n\n'


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_events_of_an_openapi_3_2_stream_are_checked_by_schemathesis_once(tmp_path: Path) -> None:
    checker = _checker(tmp_path, SPEC)
    checker.check(chat(events=b": keep-alive\n\n" + GOOD_EVENT * 3))
    assert checker.ledger.findings == []
    checker.check(chat(events=GOOD_EVENT + b'data: {"id": 7, "choices": []}\n\n'))
    assert {(f.check, f.category.value) for f in checker.ledger.findings} == {
        ("response_schema_conformance", "server_nonconformance")
    }


def test_each_event_of_an_x_event_schema_stream_is_checked_against_its_schema(tmp_path: Path) -> None:
    spec = copy.deepcopy(SPEC)
    content = spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    # The event, as schemathesis reads it, and the JSON in its data, named by the extension schemathesis ignores.
    event = {"type": "object", "properties": {"data": {"type": "string"}}}
    content["text/event-stream"] = {"schema": event, "x-event-schema": {"$ref": "#/components/schemas/Chunk"}}
    checker = _checker(tmp_path, spec)
    checker.check(chat(events=b": keep-alive\n\n" + GOOD_EVENT * 3 + b"data: [DONE]\n\n"))
    assert checker.ledger.findings == []
    assert checker.ledger.evidence.operation("POST /v1/chat/completions").checks["event_schema_conformance"].held == 1
    checker.check(chat(events=GOOD_EVENT + b'data: {"id": 7, "choices": []}\n\n'))
    checker.check(chat(events=GOOD_EVENT + b"data: {cut\n\n"))
    keys = {(f.check, f.key, f.category.value) for f in checker.ledger.findings}
    assert keys == {
        ("event_schema_conformance", "event:id:type", "server_nonconformance"),
        ("event_schema_conformance", "event:not-json", "server_nonconformance"),
    }
    finding = next(f for f in checker.ledger.findings if f.key == "event:id:type")
    assert finding.evidence["field"] == "event[1].id"
