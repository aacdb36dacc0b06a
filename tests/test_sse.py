"""The event-stream decoder (``tokenops.sse``): the WHATWG rules, chunk boundaries anywhere, a bounded buffer."""

from __future__ import annotations

import pytest

from tokenops.sse import EventTooLarge, ServerSentEvent, SSEDecoder

STREAM = (
    b"\xef\xbb\xbf: stream open\n\n"
    b'data: {"n": 1}\n\n'
    b"event: update\nid: 7\ndata: first line\ndata: second line\n\n"
    b"retry: 1500\ndata:no space\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    ServerSentEvent('{"n": 1}'),
    ServerSentEvent("first line\nsecond line", "update", "7"),
    ServerSentEvent("no space", "message", "7", 1500),
    ServerSentEvent("[DONE]", "message", "7"),
]


def _decode(chunks: list[bytes], limit: int = 1 << 20) -> list[ServerSentEvent]:
    decoder = SSEDecoder(limit)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def test_a_stream_decodes_comments_skipped_fields_kept() -> None:
    assert _decode([STREAM]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_any_chunking_gives_the_same_events(size: int) -> None:
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert _decode(chunks) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"])
def test_every_line_ending_works_even_split_between_cr_and_lf(newline: bytes) -> None:
    stream = STREAM.replace(b"\n", newline)
    assert _decode([stream]) == EXPECTED
    assert _decode([stream[i : i + 1] for i in range(len(stream))]) == EXPECTED


def test_an_event_without_data_or_unfinished_at_the_end_is_not_dispatched() -> None:
    assert _decode([b"event: ping\n\n", b"data: never finished"]) == []
    assert _decode([b"id: 1\n\ndata: x\n\n"]) == [ServerSentEvent("x", "message", "1")]


def test_unknown_fields_and_bad_retry_are_ignored() -> None:
    assert _decode([b"foo: bar\nretry: soon\ndata: x\n\n"]) == [ServerSentEvent("x")]


def test_json_data_decodes_and_text_raises_value_error() -> None:
    assert ServerSentEvent('{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(ValueError, match="Expecting value"):
        ServerSentEvent("[DONE").json()


@pytest.mark.parametrize(
    "chunks",
    [[b"data: " + b"x" * 100], [b"data: " + b"x" * 40 + b"\n"] * 3, [b"data: " + b"x" * 30 + b"\n"] * 4 + [b"\n"]],
    ids=["one-line-never-ending", "many-lines-one-event", "lines-then-end"],
)
def test_an_event_over_the_limit_is_refused_before_it_is_buffered_whole(chunks: list[bytes]) -> None:
    decoder = SSEDecoder(max_event_bytes=100)

    def feed_all() -> None:
        for chunk in chunks:
            decoder.feed(chunk)

    with pytest.raises(EventTooLarge, match="past 100 bytes"):
        feed_all()


def test_events_under_the_limit_pass_one_after_another() -> None:
    decoder = SSEDecoder(max_event_bytes=100)
    events = [event for _ in range(50) for event in decoder.feed(b"data: " + b"y" * 80 + b"\n\n")]
    assert len(events) == 50
