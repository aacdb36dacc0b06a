"""Server-sent events: what the mock streams when an operation documents ``text/event-stream``.

An operation streams when the request asks for it (a JSON body with ``"stream": true``, OpenAI's convention;
the stream then ends with ``data: [DONE]``) or when the event stream is its only success media type (Gemini's
``:streamGenerateContent?alt=sse``; the stream just ends). The stream opens with a comment line (clients must
ignore it), then :data:`DEFAULT_EVENTS` events whose ``data`` is a schema-valid example of the event schema
(:attr:`tokenops.spec.MediaType.item_schema`), or plain text when the spec gives none. Events go out
``interval`` seconds apart (0: all in one write, the fast path).

Faults act on streams as on bodies, at event granularity: ``drop`` cuts the connection after half the events,
``stall`` goes silent there, ``malformed_json`` truncates the middle event's JSON, ``reality`` adds an
undocumented field to every event, ``wrong_content_type`` labels the stream ``application/json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from starlette.types import Receive, Send

from contract_tests.mock._responses import Reply

__all__ = ["DEFAULT_EVENTS", "DONE", "EventStreamReply", "encode_event"]

DEFAULT_EVENTS = 5
DONE = b"data: [DONE]\n\n"
COMMENT = b": mock stream open\n\n"
EVENT_STREAM = "text/event-stream"


def encode_event(data: Any) -> bytes:
    """One ``data:`` event: compact JSON for objects and arrays, the text itself for strings."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return b"".join(b"data: " + line.encode() + b"\n" for line in text.split("\n")) + b"\n"


class EventStreamReply(Reply):
    """A 2xx event stream: the comment, the events, the terminator; ``cut_after`` events then the fault."""

    __slots__ = ("cut", "events", "interval", "receive", "stall")

    def __init__(
        self,
        status_code: int,
        events: Sequence[bytes],
        *,
        terminated: bool,
        interval: float = 0.0,
        content_type: str = EVENT_STREAM,
    ) -> None:
        super().__init__(status_code, b"", content_type, [(b"cache-control", b"no-cache")])
        self.events = [*events, DONE] if terminated else list(events)
        self.interval = interval
        self.cut: int | None = None  # send this many events, then cut (drop) or go silent (stall)
        self.stall: float = 0.0
        self.receive: Receive | None = None

    def header_list(self, length: int | None = None) -> list[tuple[bytes, bytes]]:
        """No Content-Length: the body ends when the stream does."""
        headers = [(b"content-type", (self.content_type or EVENT_STREAM).encode("latin-1"))]
        headers.extend(self.headers)
        return headers

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.header_list()})
        events = self.events if self.cut is None else self.events[: self.cut]
        if self.interval <= 0:
            await send({"type": "http.response.body", "body": COMMENT + b"".join(events), "more_body": True})
        else:
            await send({"type": "http.response.body", "body": COMMENT, "more_body": True})
            for event in events:
                await asyncio.sleep(self.interval)
                await send({"type": "http.response.body", "body": event, "more_body": True})
        if self.cut is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if self.stall and self.receive is not None:
            receive = self.receive

            async def disconnected() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass

            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(disconnected(), self.stall)
        raise ConnectionResetError("mock fault: event stream cut")


def distort_stream(kind: str, reply: EventStreamReply, receive: Receive, stall: float) -> EventStreamReply:
    """Apply the fault ``kind`` (a :class:`~contract_tests.mock._faults.FaultKind` value) to a stream."""
    half = max(1, len(reply.events) // 2)
    if kind in ("drop", "stall"):
        reply.cut = half
        reply.stall = stall if kind == "stall" else 0.0
        reply.receive = receive
    elif kind == "malformed_json":
        event = reply.events[half - 1]
        if event.startswith(b"data: {"):
            reply.events[half - 1] = event[: max(8, len(event) // 2)] + b"\n\n"
    elif kind == "reality":
        reply.events = [_with_extra_field(event) for event in reply.events]
    elif kind == "wrong_content_type":
        reply.content_type = "application/json"
    elif kind == "gzip_lie":
        reply.headers.append((b"content-encoding", b"gzip"))
    return reply


def _with_extra_field(event: bytes) -> bytes:
    if not event.startswith(b"data: {") or event == DONE:
        return event
    try:
        data = json.loads(event[len(b"data: ") :])
    except ValueError:
        return event
    return encode_event({**data, "mock_undocumented_field": "sent by real servers, absent from the spec"})
