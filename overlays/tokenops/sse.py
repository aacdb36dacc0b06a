"""Server-sent events (``text/event-stream``): an incremental decoder shared by the client's streams and the suite.

The decoder follows the WHATWG event-stream rules: lines end in LF, CRLF or CR (also when a chunk boundary falls
between CR and LF); ``:`` lines are comments (keep-alives) and are skipped; ``data:`` lines of one event are
joined with newlines; a blank line dispatches the event; an event with no data is not dispatched; a leading BOM is
dropped; an event left incomplete when the stream ends is discarded. A bounded buffer refuses an event larger
than ``max_event_bytes`` (:class:`EventTooLarge`) instead of growing without limit.

>>> decoder = SSEDecoder()
>>> [event.data for event in decoder.feed(b": keep-alive\\n\\ndata: {\\"a\\": 1}\\n\\ndata: [DONE]\\n\\n")]
['{"a": 1}', '[DONE]']
"""

from __future__ import annotations

import json
from typing import Any

import attrs

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "EventTooLarge", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024
_BOM = "\ufeff"


@attrs.frozen
class ServerSentEvent:
    """One dispatched event.

    Attributes:
        data: the event's data (its ``data:`` lines joined with newlines).
        event: the event type (``message`` unless an ``event:`` line said otherwise).
        id: the last event id seen so far in the stream, if any.
        retry: a reconnection time in milliseconds, when this event carried one.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data decoded as JSON.

        Raises:
            ValueError: the data is not JSON.
        """
        return json.loads(self.data)


class EventTooLarge(ValueError):
    """An event (or a line) grew past the decoder's limit before it ended."""


class SSEDecoder:
    """Bytes in, events out; feed chunks as they arrive (see the module docstring for the rules).

    Args:
        max_event_bytes: the largest event (all its lines) accepted.
    """

    __slots__ = ("_data", "_event", "_first", "_id", "_max", "_pending", "_retry", "_size")

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._pending = b""  # an incomplete line, or a trailing CR whose LF may follow in the next chunk
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._size = 0
        self._first = True

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events completed by ``chunk``.

        Raises:
            EventTooLarge: an event or line grew past ``max_event_bytes``.
        """
        buffer = self._pending + chunk if self._pending else chunk
        end = max(buffer.rfind(b"\n"), buffer.rfind(b"\r"))
        if end == len(buffer) - 1 and buffer.endswith(b"\r"):
            end -= 1  # the CR may be the first half of a CRLF: keep it for the next chunk
            while end >= 0 and buffer[end] not in (10, 13):
                end -= 1
        if end < 0:
            self._pending = buffer
            if len(buffer) + self._size > self._max:
                raise EventTooLarge(f"an event grew past {self._max} bytes without ending")
            return []
        complete, self._pending = buffer[: end + 1], buffer[end + 1 :]
        text = complete.decode("utf-8", errors="replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        events: list[ServerSentEvent] = []
        for line in text.split("\n")[:-1]:  # the text ends with a line break: the last piece is empty
            event = self._line(line)
            if event is not None:
                events.append(event)
        if len(self._pending) + self._size > self._max:
            raise EventTooLarge(f"an event grew past {self._max} bytes without ending")
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream: a final CR ends its line (no LF can follow now); an incomplete event is discarded."""
        events = self.feed(b"\n") if self._pending.endswith(b"\r") else []  # CR + LF: one line end
        self._pending, self._data, self._event, self._size = b"", [], "", 0
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if self._first:
            self._first = False
            line = line.removeprefix(_BOM)
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._size += len(line)
        if self._size > self._max:
            raise EventTooLarge(f"an event grew past {self._max} bytes without ending")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry, self._size = [], "", None, 0
        if not data:
            return None
        return ServerSentEvent("\n".join(data), event or "message", self._id, retry)
