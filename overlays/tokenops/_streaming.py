"""Server-sent event streams (``text/event-stream``): :class:`Stream` and :class:`AsyncStream`, as openai-python's.

A call that streams (``operations.call(..., stream=True)``, or an operation whose only success media type is an
event stream) returns once the response headers arrive; retries happen before that, never mid-stream. Iterating
the stream reads the body event by event (:mod:`tokenops.sse`): each event's data is parsed with the operation's
event schema when the spec gives one (the generated model, through the same tolerant parsing as any result), else
it is the decoded JSON, else the text. Comments and keep-alives are skipped; ``data: [DONE]`` ends the stream. The
client's read timeout applies between events. Stopping early (``break``, the ``with`` block's end, ``close()``)
closes the connection.

Errors while streaming are the client's: :class:`~tokenops.APITimeoutError` when no byte arrives within the read
timeout, :class:`~tokenops.APIConnectionError` when the connection breaks (the message says after how many events),
:class:`~tokenops.ResponseValidationError` for an event that is not JSON where the spec says JSON, or larger than
``max_response_bytes``.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from tokenops._errors import APIConnectionError, APITimeoutError, ResponseValidationError, TokenOpsWarning
from tokenops._models import ResponseInfo
from tokenops.sse import EventTooLarge, ServerSentEvent, SSEDecoder

__all__ = ["DONE", "AsyncStream", "Stream", "event_parser"]

T = TypeVar("T")
DONE = "[DONE]"
Parse = Callable[[ServerSentEvent, int], Any]


def event_parser(item_type: Any, strict: bool, response: httpx.Response) -> Parse:
    """How each event's data becomes an item: the generated model (tolerant unless ``strict``), else JSON or text.

    Raises (from the returned function):
        ResponseValidationError: the event's data is not JSON where a model is expected (position named).
    """
    from tokenops._tolerance import parse_model  # noqa: PLC0415 - parsing is only needed once events arrive

    def parse(event: ServerSentEvent, position: int) -> Any:
        if item_type is None:
            try:
                return json.loads(event.data)
            except ValueError:
                return event.data
        try:
            data = json.loads(event.data)
        except ValueError:
            raise ResponseValidationError(
                f"event #{position} of the stream is not JSON: {event.data[:120]!r}",
                value=event.data[:120],
                response=response,
            ) from None
        try:
            return parse_model(item_type, data, strict=strict)
        except ResponseValidationError as exc:
            exc.args = (f"event #{position} of the stream: {exc.args[0]}",)
            if exc.response is None:
                exc.attach(response)
            raise

    return parse


class _StreamBase(Generic[T]):
    def __init__(self, info: ResponseInfo, parse: Parse, *, max_event_bytes: int) -> None:
        self.info = info
        self._parse = parse
        self._decoder = SSEDecoder(max_event_bytes)
        self.events_read = 0
        self._done = False

    @property
    def response(self) -> httpx.Response:
        """The open :class:`httpx.Response` (status, headers)."""
        return self.info.http_response

    @property
    def is_event_stream(self) -> bool:
        content_type: str = self.response.headers.get("content-type", "")
        return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"

    def _items(self, events: list[ServerSentEvent]) -> Iterator[T]:
        for event in events:
            if event.data == DONE:
                self._done = True
                return
            self.events_read += 1
            yield self._parse(event, self.events_read)

    def _decode(self, chunk: bytes) -> list[ServerSentEvent]:
        try:
            return self._decoder.feed(chunk)
        except EventTooLarge as exc:
            raise ResponseValidationError(
                f"event #{self.events_read + 1} of the stream: {exc}; raise max_response_bytes to accept it",
                response=self.response,
            ) from None

    def _not_a_stream(self, body: bytes) -> Iterator[T]:
        """The server answered a stream request with a plain body: one item, with a warning."""
        warnings.warn(
            f"asked for an event stream, got {self.response.headers.get('content-type') or 'no content type'}: "
            "reading the body as one item",
            TokenOpsWarning,
            stacklevel=3,
        )
        self._done = True
        if body.strip():
            self.events_read = 1
            yield self._parse(ServerSentEvent(body.decode("utf-8", errors="replace")), 1)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        request = self.response.request
        try:
            yield
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"Stream timed out after {self.events_read} events ({type(exc).__name__}): {request.method} "
                f"{request.url}",
                request=request,
            ) from None
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise APIConnectionError(
                f"Stream broke after {self.events_read} events ({type(exc).__name__}): {request.method} {request.url}",
                request=request,
            ) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.response.status_code} events_read={self.events_read}>"


class Stream(_StreamBase[T]):
    """The items of a server-sent event stream, as they arrive. Use it in a ``with`` block, or iterate it to the end.

    >>> with client.operations.call("createChatCompletion", body=request, stream=True) as stream:  # doctest: +SKIP
    ...     for chunk in stream:
    ...         print(chunk.choices[0].delta.content or "", end="")
    """

    def __iter__(self) -> Iterator[T]:
        try:
            with self._errors():
                if not self.is_event_stream:
                    yield from self._not_a_stream(self.response.read())
                    return
                for chunk in self.response.iter_bytes():
                    yield from self._items(self._decode(chunk))
                    if self._done:
                        return
                yield from self._items(self._decoder.close())
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self.response.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStream(_StreamBase[T]):
    """The async :class:`Stream`: ``async with``, ``async for``, :meth:`aclose`."""

    async def _aiter(self) -> AsyncIterator[T]:
        try:
            with self._errors():
                if not self.is_event_stream:
                    for item in self._not_a_stream(await self.response.aread()):
                        yield item
                    return
                async for chunk in self.response.aiter_bytes():
                    for item in self._items(self._decode(chunk)):
                        yield item
                    if self._done:
                        return
                for item in self._items(self._decoder.close()):
                    yield item
        finally:
            await self.aclose()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._aiter()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self.response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
