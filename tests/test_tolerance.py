"""Parsing the items of a list page (``tokenops._tolerance.list_parser_for``): the same typed items as
``parse_model`` of each item alone, however clean or dirty each item is, whichever item of the page it is.

The list parser takes a shorter road for the items that are spec-clean already; these tests pin that every item
that is not (an unknown enum value, a null, an extra field, a value of the wrong JSON type, a nested object) is
still read exactly as the tolerant (or strict) parse of that item alone reads it. The generated models of every
shape are covered in ``tests/test_shapes.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fakes import video
from tokenops import ResponseValidationError, Video, VideoError, parse_model, parse_video
from tokenops._tolerance import list_parser_for
from tokenops_client.models import VideoStatusResponse

CLEAN = [video("in_progress", id=f"video_{n}", model="sora-2", seconds="8", size="720x1280") for n in range(4)]

# Each a change to one clean item that the tolerant parse has to do something about (or to leave alone on purpose).
DIRTY: dict[str, dict[str, Any]] = {
    "status outside the spec's enum": {"status": "queued"},
    "status nobody knows": {"status": "rendering_hd"},
    "status of the wrong type": {"status": 3},
    "size outside the spec's enum": {"size": "1792x1024"},
    "object outside the spec's enum": {"object": "video.v2"},
    "digit string for an integer": {"progress": "50"},
    "integral float for an integer": {"progress": 42.0},
    "boolean for an integer": {"progress": True},
    "fractional float for an integer": {"created_at": 1.5},
    "number for a string": {"seconds": 8},
    "list for a string": {"model": ["sora-2"]},
    "null for an absent field": {"model": None},
    "null for an enum": {"status": None},
    "an extra field": {"quality": "hd"},
    "an extra null": {"quality": None},
    "a nested error object": {"status": "failed", "error": {"code": "boom", "message": "it broke"}},
    "an error as a bare string": {"status": "failed", "error": "it broke"},
    "an error of the wrong type": {"error": 7},
}


def page_with(change: dict[str, Any], at: int = 2) -> list[dict[str, Any]]:
    page = [dict(item) for item in CLEAN]
    page[at] = {**page[at], **change}
    return page


@pytest.mark.parametrize("change", DIRTY.values(), ids=DIRTY.keys())
@pytest.mark.parametrize("at", [0, 2, 3], ids=["first", "middle", "last"])
def test_a_dirty_item_among_clean_ones_is_read_as_it_is_read_alone(change: dict[str, Any], at: int) -> None:
    page = page_with(change, at)
    alone = [parse_video(item) for item in page]

    parsed = list_parser_for(Video)(page)

    assert parsed == alone
    assert [type(item) for item in parsed] == [Video] * len(page)
    assert all(item.raw is raw for item, raw in zip(parsed, page, strict=True))  # raw: the object as received
    assert [item.to_dict() for item in parsed] == [item.to_dict() for item in alone]
    assert page == page_with(change, at)  # the input is never changed


def test_the_status_model_and_video_read_a_page_alike() -> None:
    page = page_with(DIRTY["status outside the spec's enum"])
    assert list_parser_for(VideoStatusResponse)(page) == [parse_video(item) for item in page]


def outcome(read: Callable[[], Any]) -> Any:
    """What ``read()`` gives: its result, or the error it raises as (message, field, value)."""
    try:
        return read()
    except ResponseValidationError as exc:
        return ("raised", str(exc), exc.field, exc.value)


@pytest.mark.parametrize("change", DIRTY.values(), ids=DIRTY.keys())
def test_strict_raises_for_the_item_that_breaks_the_spec_as_it_raises_alone(change: dict[str, Any]) -> None:
    page = page_with(change)
    alone = outcome(lambda: [parse_video(item, strict=True) for item in page])
    assert outcome(lambda: list_parser_for(Video, strict=True)(page)) == alone


def test_an_unknown_enum_value_in_strict_mode_is_named_even_when_its_type_is_right() -> None:
    with pytest.raises(ResponseValidationError, match="field 'status' is not one of the values") as raised:
        list_parser_for(Video, strict=True)(page_with({"status": "queued"}))
    assert raised.value.value == "queued"


def test_a_clean_page_reads_the_same_in_both_modes() -> None:
    assert list_parser_for(Video, strict=True)(CLEAN) == list_parser_for(Video)(CLEAN) == list(map(parse_video, CLEAN))


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_an_item_that_is_no_object_raises_as_parse_model_does(strict: bool) -> None:
    with pytest.raises(ResponseValidationError, match="response body is an array, expected a JSON object"):
        list_parser_for(Video, strict=strict)([*CLEAN, ["not", "an", "object"]])


@pytest.mark.parametrize(
    ("target", "items"),
    [(int, [1, "2", 3.0]), (str, ["a", 5]), (list[int], [[1, "2"], []])],
    ids=["int", "str", "list[int]"],
)
def test_items_that_are_no_generated_model_are_read_by_parse_model(target: Any, items: list[Any]) -> None:
    assert list_parser_for(target)(items) == [parse_model(target, item) for item in items]


def test_an_empty_page_is_an_empty_list() -> None:
    assert list_parser_for(Video)([]) == []


def test_a_clean_item_the_generated_from_dict_cannot_read_raises_our_error() -> None:
    class Broken(VideoError):
        @classmethod
        def from_dict(cls, src_dict: Any) -> Any:
            if src_dict.get("code") == "bad":
                raise KeyError("boom")
            return super().from_dict(src_dict)

    message = r"the generated Broken cannot read the body \(KeyError"
    with pytest.raises(ResponseValidationError, match=message) as raised:
        list_parser_for(Broken)([{"code": "fine"}, {"code": "bad"}])
    assert isinstance(raised.value.__cause__, KeyError)
    assert [error.code for error in list_parser_for(Broken)([{"code": "a"}, {"code": "b"}])] == ["a", "b"]
