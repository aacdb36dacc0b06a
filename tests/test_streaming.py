"""Event streams in the client (``tokenops._streaming``): items as they arrive, [DONE], errors with the position,
the connection closed however the caller stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tokenops import APIConnectionError, APITimeoutError, AsyncStream, ResponseValidationError, Stream
from tokenops._errors import TokenOpsWarning
from tokenops._models import ResponseInfo
from tokenops._streaming import event_parser
from tokenops_client.models import VideoStatusResponse

EVENTS = [b": open\n\n", b'data: {"id": "v1", "progress": 10}\n\n', b'data: {"id": "v1", "progress": 5', b"0}\n\n"]


class _Body(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks, self.error, self.closed = chunks, error, False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks, self.error, self.closed = chunks, error, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error

    async def aclose(self) -> None:
        self.closed = True


def _stream(
    chunks: list[bytes],
    *,
    item: Any = None,
    error: Exception | None = None,
    content_type: str = "text/event-stream",
    limit: int = 1 << 20,
) -> tuple[Stream[Any], _Body]:
    body = _Body(chunks, error)
    request = httpx.Request("POST", "http://api.test/v1/chat/completions")
    response = httpx.Response(200, headers={"content-type": content_type}, stream=body, request=request)
    info = ResponseInfo(response, timedelta(0))
    return Stream(info, event_parser(item, False, response), max_event_bytes=limit), body


def test_items_arrive_parsed_comments_skipped_and_done_ends_the_stream() -> None:
    stream, body = _stream([*EVENTS, b"data: [DONE]\n\n", b'data: {"after": "done"}\n\n'])
    assert list(stream) == [{"id": "v1", "progress": 10}, {"id": "v1", "progress": 50}]
    assert stream.events_read == 2
    assert body.closed


def test_items_parse_into_the_event_model() -> None:
    stream, _ = _stream(EVENTS, item=VideoStatusResponse)
    items = list(stream)
    assert all(isinstance(item, VideoStatusResponse) for item in items)  # (tokenops.Video for this model)
    assert [item.progress for item in items] == [10, 50]


def test_an_event_that_is_not_json_names_its_position() -> None:
    stream, body = _stream([EVENTS[1], b"data: {not json\n\n"], item=VideoStatusResponse)
    with pytest.raises(ResponseValidationError, match=r"event #2 of the stream is not JSON"):
        list(stream)
    assert body.closed


def test_a_cut_stream_says_after_how_many_events() -> None:
    stream, body = _stream(EVENTS[:2], error=httpx.RemoteProtocolError("peer closed connection"))
    items: list[Any] = []
    with pytest.raises(APIConnectionError, match=r"Stream broke after 1 events \(RemoteProtocolError\)"):
        items.extend(stream)
    assert items == [{"id": "v1", "progress": 10}]
    assert body.closed


def test_silence_past_the_read_timeout_is_a_timeout_error() -> None:
    stream, _ = _stream(EVENTS[:2], error=httpx.ReadTimeout("no data"))
    with pytest.raises(APITimeoutError, match="Stream timed out after 1 events"):
        list(stream)


def test_an_oversized_event_is_refused_with_a_typed_error() -> None:
    stream, _ = _stream([b"data: " + b"x" * 500], limit=100)
    with pytest.raises(ResponseValidationError, match=r"event #1 of the stream: .*raise max_response_bytes"):
        list(stream)


def test_stopping_early_closes_the_connection() -> None:
    stream, body = _stream(EVENTS)
    with stream:
        for _item in stream:
            break
    assert body.closed
    again, body2 = _stream(EVENTS)
    iterator = iter(again)
    next(iterator)
    del iterator  # a loop that breaks drops its iterator: the generator's cleanup closes the response
    assert body2.closed


def test_a_plain_body_instead_of_a_stream_is_one_item_with_a_warning() -> None:
    stream, _ = _stream([b'{"id": "v1"}'], content_type="application/json")
    with pytest.warns(TokenOpsWarning, match="asked for an event stream, got application/json"):
        assert list(stream) == [{"id": "v1"}]


def test_the_async_stream_behaves_the_same() -> None:
    async def main() -> tuple[list[Any], bool, str]:
        body = _AsyncBody([*EVENTS, b"data: [DONE]\n\n"])
        request = httpx.Request("POST", "http://api.test/x")
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body, request=request)
        stream: AsyncStream[Any] = AsyncStream(
            ResponseInfo(response, timedelta(0)), event_parser(None, False, response), max_event_bytes=1 << 20
        )
        items = [item async for item in stream]
        cut = _AsyncBody(EVENTS[:2], httpx.ReadError("reset"))
        broken = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=cut, request=request)
        message = ""
        failing: AsyncStream[Any] = AsyncStream(
            ResponseInfo(broken, timedelta(0)), event_parser(None, False, broken), max_event_bytes=1 << 20
        )
        try:
            async with failing:
                async for _item in failing:
                    pass
        except APIConnectionError as exc:
            message = str(exc)
        return items, body.closed and cut.closed, message

    items, closed, message = asyncio.run(main())
    assert items == [{"id": "v1", "progress": 10}, {"id": "v1", "progress": 50}]
    assert closed
    assert message.startswith("Stream broke after 1 events (ReadError)")
