"""The mock streams server-sent events where the spec documents them (``contract_tests.mock._stream``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from tests.mock_helpers import MockHarness

KEY = "sk-stream-test"
AUTH = {"Authorization": f"Bearer {KEY}"}
CHUNK = {
    "type": "object",
    "required": ["id", "object", "choices"],
    "properties": {
        "id": {"type": "string", "example": "chatcmpl-1"},
        "object": {"type": "string", "const": "chat.completion.chunk"},
        "choices": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}}}},
    },
}


CHUNK_REF = {"$ref": "#/components/schemas/Chunk"}
# OpenAPI 3.2's form of an event (in 3.1: the media type's schema): the JSON in its data is a Chunk.
EVENT = {
    "type": "object",
    "properties": {"data": {"type": "string", "contentMediaType": "application/json", "contentSchema": CHUNK_REF}},
}


def _spec() -> dict[str, Any]:
    chat = {
        "post": {
            "operationId": "createChatCompletion",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object", "properties": {"stream": {}}}}},
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {"schema": {"type": "object", "properties": {"id": {"type": "string"}}}},
                        "text/event-stream": {
                            "schema": {"type": "string"},
                            "x-event-schema": {"$ref": "#/components/schemas/Chunk"},
                        },
                    },
                }
            },
        }
    }
    gemini = {
        "post": {
            "operationId": "streamGenerateContent",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"text/event-stream": {"schema": EVENT}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "paths": {"/v1/chat/completions": chat, "/v1beta/models/{model}:streamGenerateContent": gemini},
        "components": {"schemas": {"Chunk": CHUNK}},
    }


@pytest.fixture(scope="module")
def mock() -> Iterator[MockHarness]:
    harness = MockHarness(api_keys=[KEY], spec=_spec(), stream_events=4)
    yield harness
    harness.close()


def _events(response: httpx.Response) -> list[str]:
    """The data of each event, comments skipped (a minimal reader for the test, not the client's)."""
    return [
        block.split("data: ", 1)[1]
        for block in response.text.split("\n\n")
        if block.strip() and not block.startswith(":")
    ]


def test_a_body_asking_for_a_stream_gets_schema_valid_events_then_done(mock: MockHarness) -> None:
    response = mock.post("/v1/chat/completions", json={"stream": True}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert "content-length" not in response.headers
    assert response.text.startswith(": ")  # a comment first: clients must skip it
    *events, done = _events(response)
    assert done == "[DONE]"
    assert len(events) == 4
    for event in events:
        jsonschema.validate(json.loads(event), CHUNK)


def test_the_same_operation_without_stream_answers_json(mock: MockHarness) -> None:
    response = mock.post("/v1/chat/completions", json={"stream": False}, headers=AUTH)
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict)


def test_a_stream_only_operation_streams_without_a_terminator(mock: MockHarness) -> None:
    response = mock.post("/v1beta/models/gemini-2:streamGenerateContent", headers=AUTH)
    events = _events(response)
    assert len(events) == 4
    assert "[DONE]" not in events
    for event in events:
        jsonschema.validate(json.loads(event), CHUNK)


def test_a_dropped_stream_is_cut_after_half_its_events(mock: MockHarness) -> None:
    with pytest.raises(ConnectionResetError):
        mock.post("/v1/chat/completions", json={"stream": True}, headers={**AUTH, "X-Mock-Fault": "drop"})


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("malformed_json", "one event is not JSON"),
        ("reality", "every event has an undocumented field"),
        ("wrong_content_type", "labelled JSON"),
    ],
)
def test_faults_spoil_streams_event_by_event(mock: MockHarness, fault: str, check: str) -> None:
    response = mock.post("/v1/chat/completions", json={"stream": True}, headers={**AUTH, "X-Mock-Fault": fault})
    events = [event for event in _events(response) if event != "[DONE]"]
    if fault == "malformed_json":
        broken = []
        for event in events:
            try:
                json.loads(event)
            except ValueError:
                broken.append(event)
        assert len(broken) == 1, check
    elif fault == "reality":
        assert all("mock_undocumented_field" in json.loads(event) for event in events), check
    else:
        assert response.headers["content-type"] == "application/json", check


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_paced_stream_arrives_whole_event_by_event() -> None:
    harness = MockHarness(api_keys=[KEY], spec=_spec(), stream_events=3, stream_interval=0.01)
    try:
        response = harness.post("/v1/chat/completions", json={"stream": True}, headers=AUTH)
        assert len(_events(response)) == 4
    finally:
        harness.close()
