"""The schema-driven fallback: any operation without a stateful handler answers from the spec alone.

The answer is the operation's documented success status with a body built from its schema and examples
(valid against the schema: when the spec's own examples are not, the body is built from types alone). The
body is built once per operation at start-up. Path parameters echo back where the body has a property of
that name (and ``id``), as long as the body stays valid, so "the response is about the id asked for" holds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from contract_tests.mock._requests import Call, Handler
from contract_tests.mock._responses import Reply
from contract_tests.mock._schemas import Schemas
from contract_tests.mock._spec import success_of
from contract_tests.mock._state import MockState
from contract_tests.mock._stream import DEFAULT_EVENTS, EventStreamReply, encode_event
from tokenops.spec import Operation, is_json

__all__ = ["fallback_handler"]

BINARY_BODY = b"mock binary content\n"


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def fallback_handler(operation: Operation, schemas: Schemas, state: MockState | None = None) -> Handler:
    """A handler answering ``operation`` from its spec (an event stream when it documents one and it is asked for:
    see :mod:`contract_tests.mock._stream`).

    Args:
        operation: the operation.
        schemas: the spec's examples and validators.
        state: the mock's state (how many events a stream has, and how far apart); default 5 events at once.

    Returns:
        The handler.
    """
    plain = _plain_handler(operation, schemas)
    success = success_of(operation)
    if success.stream is None:
        return plain
    stream = success.stream
    data = schemas.valid_example(stream.item_schema, stream.item_pointer) if stream.item_schema is not None else None
    stream_only = success.schema is None and success.content_type == stream.media_type

    def answer(call: Call) -> Reply:
        asked = isinstance(call.body, Mapping) and call.body.get("stream") is True
        if not (asked or stream_only):
            return plain(call)
        count = state.stream_events if state is not None else DEFAULT_EVENTS
        interval = state.stream_interval if state is not None else 0.0
        events = [encode_event(data if data is not None else f"mock event {index}") for index in range(count)]
        return EventStreamReply(success.status, events, terminated=asked, interval=interval)

    return answer


def _plain_handler(operation: Operation, schemas: Schemas) -> Handler:
    success = success_of(operation)
    status, media = success.status, success.content_type
    if media is None:
        empty = Reply(status, b"", None)
        return lambda call: empty
    if not is_json(media):
        if media.startswith("text/") and success.schema is not None:
            text = str(schemas.example(success.schema)).encode()
            return lambda call: Reply(status, text, media)
        return lambda call: Reply(status, BINARY_BODY, media)
    example = schemas.valid_example(success.schema, success.pointer) if success.schema is not None else {}
    encoded = _encode(example)
    echoed = _echo_fields(operation, example)
    if not echoed or success.pointer is None:
        return lambda call: Reply(status, encoded, media)
    pointer = success.pointer

    def answer(call: Call) -> Reply:
        body = copy.deepcopy(example)
        for field, param in echoed.items():
            body[field] = call.path.get(param, body[field])
        if schemas.first_error(pointer, body) is not None:  # the id does not fit the schema: keep the example
            return Reply(status, encoded, media)
        return Reply(status, _encode(body), media)

    return answer


def _echo_fields(operation: Operation, example: Any) -> dict[str, str]:
    """Body property -> path parameter whose value it echoes (same name; ``id`` takes the last parameter)."""
    if not isinstance(example, dict):
        return {}
    names = [param.name for param in operation.params("path")]
    echoed = {name: name for name in names if isinstance(example.get(name), str)}
    if names and "id" not in echoed and isinstance(example.get("id"), str):
        echoed["id"] = names[-1]
    return echoed
