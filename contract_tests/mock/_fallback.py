"""The schema-driven fallback: any operation without a stateful handler answers from the spec alone.

The answer is the operation's documented success status with a body built from its schema and examples
(valid against the schema: when the spec's own examples are not, the body is built from types alone). The
body is built once per operation at start-up. Path parameters echo back where the body has a property of
that name (and ``id``), as long as the body stays valid, so "the response is about the id asked for" holds.

A list (``Operation.pagination``: cursor, token or a whole list object) is a list of :data:`LISTED_ITEMS` items built
from the item schema and the spec's example items, each with its own id (and a creation time one step after the one
before), served page by page as the spec says it pages (:mod:`contract_tests.mock._pages`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from contract_tests.mock._pages import Selection, page_body, select
from contract_tests.mock._requests import Call, Handler
from contract_tests.mock._responses import Reply
from contract_tests.mock._schemas import Schemas
from contract_tests.mock._spec import success_of
from contract_tests.mock._state import MockState
from contract_tests.mock._stream import DEFAULT_EVENTS, EventStreamReply, encode_event
from tokenops.spec import Operation, Pagination, is_json

__all__ = ["LISTED_ITEMS", "fallback_handler"]

BINARY_BODY = b"mock binary content\n"
LISTED_ITEMS = 25  # items of a schema-driven list that pages
FIRST_CREATED = 1_741_570_283  # the creation time of the first listed item when the example has none


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
    if operation.pagination is not None:
        listing = _list_handler(operation, schemas, operation.pagination)
        if listing is not None:
            return listing
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


def _listed_items(schemas: Schemas, pagination: Pagination, examples: Any) -> list[dict[str, Any]]:
    """:data:`LISTED_ITEMS` items, each with its own id and creation time, from the example items (else one built
    from the item schema); an id that would break the item schema is left as the example has it."""
    bases = [item for item in examples if isinstance(item, dict)] if isinstance(examples, list) else []
    if not bases and pagination.item_schema is not None:
        built = schemas.valid_example(pagination.item_schema, pagination.item_pointer)
        bases = [built] if isinstance(built, dict) else []
    items: list[dict[str, Any]] = []
    for number in range(LISTED_ITEMS if bases else 0):
        item = copy.deepcopy(bases[number % len(bases)])
        changed = dict(item)
        if pagination.item_id is not None:
            given = item.get(pagination.item_id)
            changed[pagination.item_id] = f"{given if isinstance(given, str) else 'mock'}-{number + 1:03d}"
        if pagination.order_field is not None:
            first = item.get(pagination.order_field)
            changed[pagination.order_field] = (first if isinstance(first, int) else FIRST_CREATED) + number
        pointer = pagination.item_pointer
        items.append(changed if pointer is None or schemas.first_error(pointer, changed) is None else item)
    return items


def _list_handler(operation: Operation, schemas: Schemas, pagination: Pagination) -> Handler | None:
    """A list of generated items served page by page, or None when the body is not a JSON object."""
    success = success_of(operation)
    if success.content_type is None or not is_json(success.content_type) or success.schema is None:
        return None
    base = schemas.valid_example(success.schema, success.pointer)
    if not isinstance(base, dict):
        return None
    status, media = success.status, success.content_type
    items = _listed_items(schemas, pagination, base.get(pagination.items))
    key = pagination.item_cursor or pagination.item_id
    keys = [str(item.get(key, number)) if key else str(number) for number, item in enumerate(items)]
    newest_first = (list(reversed(items)), list(reversed(keys)))
    resolved = schemas.spec.resolve(success.schema, "")[0]
    properties = frozenset((resolved.get("properties") or {}) if isinstance(resolved, Mapping) else ())

    def answer(call: Call) -> Reply:
        ordered, order_keys = items, keys
        order = call.query.get(pagination.order_parameter) if pagination.order_parameter is not None else None
        if (order or pagination.order_default) == "desc" and pagination.order_parameter is not None:
            ordered, order_keys = newest_first
        chosen = select(pagination, order_keys, call.query, call.fault)
        if chosen is None:  # a page token this mock never issued: an empty last page, the documented answer. The
            # spec allows any string there, so a 400 (real servers send one) would refuse a schema-valid request;
            # the suite counts that as a spec gap (contract_tests/suite/categories.py), the mock stays conforming.
            chosen = Selection(len(order_keys), len(order_keys), False, None)
        page, page_keys = ordered[chosen.start : chosen.stop], order_keys[chosen.start : chosen.stop]
        body = page_body(pagination, base, page, page_keys, selection=chosen, properties=properties)
        return Reply(status, _encode(body), media)

    return answer
