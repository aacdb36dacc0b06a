"""Error answers in the format each operation documents: a Gemini-native operation answers a 400 with Gemini's
error body, an OpenAI-compatible one with OpenAI's.

The mock builds its errors in the OpenAI format (:func:`~contract_tests.mock._responses.api_error`). When the
operation documents the status with a JSON schema that this format does not satisfy, the answer becomes a valid
example of that schema with the mock's message put where the schema has one (``message`` at the top or under
``error``) and an integer ``code`` set to the status. Nothing else is invented: an operation that documents no such
status (or documents the OpenAI format) keeps the OpenAI body.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from contract_tests.mock._responses import Reply
from contract_tests.mock._schemas import Schemas
from tokenops.spec import Operation

__all__ = ["DocumentedErrors"]

_OPENAI_SAMPLE = {"error": {"message": "m", "type": "invalid_request_error", "code": "c", "param": None}}
Shape = Callable[[Reply], Reply]


def _put(body: Any, message: str, status: int) -> None:
    for target in (body, body.get("error") if isinstance(body, dict) else None):
        if not isinstance(target, dict):
            continue
        if isinstance(target.get("message"), str):
            target["message"] = message
        if isinstance(target.get("code"), int) and not isinstance(target.get("code"), bool):
            target["code"] = status


class DocumentedErrors:
    """The error format of one operation, per status (computed once per status)."""

    __slots__ = ("_operation", "_schemas", "_shapes")

    def __init__(self, operation: Operation, schemas: Schemas) -> None:
        self._operation = operation
        self._schemas = schemas
        self._shapes: dict[int, Shape | None] = {}

    def shaped(self, reply: Reply) -> Reply:
        """``reply`` (an error) in the documented format of its status."""
        status = reply.status_code
        if status not in self._shapes:
            self._shapes[status] = self._shape(status)
        shape = self._shapes[status]
        return reply if shape is None else shape(reply)

    def _shape(self, status: int) -> Shape | None:
        response = self._operation.response_for(status)
        content = response.content() if response is not None else None
        if content is None or content.schema is None or content.pointer is None or not content.json:
            return None
        if self._schemas.first_error(content.pointer, _OPENAI_SAMPLE) is None:
            return None  # it documents (or accepts) the OpenAI format
        template = self._schemas.valid_example(content.schema, content.pointer)
        media = content.media_type

        def shape(reply: Reply) -> Reply:
            try:
                message = str(json.loads(reply.body)["error"]["message"])
            except (ValueError, KeyError, TypeError):
                return reply
            body = copy.deepcopy(template)
            _put(body, message, reply.status_code)
            encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            return Reply(reply.status_code, encoded, media, reply.headers)

        return shape
