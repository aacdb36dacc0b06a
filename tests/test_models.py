"""Video / VideoStatus and tolerant vs strict parsing (tokenops/_models.py)."""

from __future__ import annotations

import enum
import os
import re
import subprocess
import sys
import types
import typing
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.fakes import video
from tests.regen import generate_package
from tokenops import UNSET, ResponseValidationError, Video, VideoError, VideoStatus, parse_model, parse_video
from tokenops_client.models import VideoStatusResponse


def test_video_status_knows_queued_and_treats_it_as_pending() -> None:
    assert VideoStatus("queued") is VideoStatus.QUEUED
    assert VideoStatus.QUEUED.is_pending
    assert VideoStatus.PENDING.is_pending
    assert not VideoStatus.IN_PROGRESS.is_pending
    assert VideoStatus.COMPLETED.is_terminal
    assert VideoStatus.FAILED.is_terminal
    assert not VideoStatus.QUEUED.is_terminal


def test_unknown_status_is_kept_raw_and_is_neither_pending_nor_terminal() -> None:
    parsed = parse_video(video("rendering_hd"))
    assert parsed.status == "rendering_hd"
    assert isinstance(parsed.status, VideoStatus)
    assert not parsed.status.is_known
    assert not parsed.is_terminal
    assert not parsed.is_pending
    assert parsed.status_text == "rendering_hd"


@pytest.mark.parametrize(
    ("field", "value"), [("status", "queued"), ("size", "1792x1024"), ("object", "video.v2")], ids=str
)
def test_unknown_enum_values_are_tolerated_and_strict_names_them(field: str, value: str) -> None:
    body = {**video("in_progress", size="720x1280"), field: value}

    parsed = parse_video(body)
    attribute = "object_" if field == "object" else field
    assert getattr(parsed, attribute) == value
    assert parsed.to_dict()[field] == value

    with pytest.raises(ResponseValidationError) as caught:
        parse_video(body, strict=True)
    assert caught.value.field == field
    assert caught.value.value == value
    assert f"field '{field}'" in str(caught.value)
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("field", ["error", "completed_at", "status", "progress", "size", "model"])
def test_null_reads_as_absent_and_strict_rejects_it(field: str) -> None:
    body = {**video("in_progress"), field: None}

    parsed = parse_video(body)
    assert getattr(parsed, field) is UNSET
    assert not getattr(parsed, field)

    with pytest.raises(ResponseValidationError, match=f"field '{field}' is null"):
        parse_video(body, strict=True)


def test_unknown_fields_are_kept_and_accessible_in_both_modes() -> None:
    body = video("completed", quality="hd", nested={"a": [1, 2]})
    for strict in (False, True):
        parsed = parse_video(body, strict=strict)
        assert parsed["quality"] == "hd"
        assert parsed.additional_properties == {"quality": "hd", "nested": {"a": [1, 2]}}
        assert parsed.to_dict()["nested"] == {"a": [1, 2]}


def test_missing_optional_fields_are_absent_not_errors() -> None:
    parsed = parse_video({}, strict=True)
    assert parsed.id is UNSET
    assert parsed.status is UNSET
    assert parsed.status_text == "unknown"
    assert not parsed.is_terminal
    assert parsed.created_at_datetime is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50", 50), (" 7 ", 7), (42.0, 42), (42.5, UNSET), (True, UNSET), ("abc", UNSET), ([1], UNSET)],
    ids=["digit-string", "padded-string", "integral-float", "fractional-float", "boolean", "word", "list"],
)
def test_integer_fields_are_coerced_when_unambiguous_else_dropped(value: Any, expected: Any) -> None:
    parsed = parse_video(video("in_progress", progress=value))
    assert parsed.progress == expected if expected is not UNSET else parsed.progress is UNSET
    assert parsed.raw["progress"] == value
    with pytest.raises(ResponseValidationError, match="field 'progress' must be an integer"):
        parse_video(video("in_progress", progress=value), strict=True)


def test_string_fields_accept_numbers_tolerantly() -> None:
    parsed = parse_video(video("completed", seconds=8))
    assert parsed.seconds == "8"
    with pytest.raises(ResponseValidationError, match="field 'seconds' must be a string"):
        parse_video(video("completed", seconds=8), strict=True)


def test_error_as_a_bare_string_is_kept_as_the_message() -> None:
    parsed = parse_video(video("failed", error="GPU on fire"))
    assert parsed.error is UNSET
    assert parsed.error_message == "GPU on fire"
    with pytest.raises(ResponseValidationError, match="field 'error' must be an object"):
        parse_video(video("failed", error="GPU on fire"), strict=True)


def test_nested_error_fields_are_validated_with_their_path() -> None:
    parsed = parse_video(video("failed", error={"code": "moderation", "message": "blocked", "type": None}))
    assert isinstance(parsed.error, VideoError)
    assert parsed.error_code == "moderation"
    assert parsed.error_message == "blocked"
    with pytest.raises(ResponseValidationError) as caught:
        parse_video(video("failed", error={"code": 7}), strict=True)
    assert caught.value.field == "error.code"


@pytest.mark.parametrize(
    ("body", "kind"), [([], "an array"), ("x", "a string"), (3, "a number"), (None, "null"), (True, "a boolean")]
)
def test_non_object_bodies_raise_in_both_modes(body: Any, kind: str) -> None:
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match=f"response body is {kind}, expected a JSON object"):
            parse_video(body, strict=strict)


def test_timestamps_are_ints_and_aware_datetimes() -> None:
    parsed = parse_video(video("completed"))
    assert parsed.created_at == 1741570283
    assert parsed.created_at_datetime == datetime(2025, 3, 10, 1, 31, 23, tzinfo=UTC)
    assert parsed.completed_at_datetime is not None
    assert parsed.completed_at_datetime.tzinfo is UTC
    assert parsed.expires_at_datetime == datetime.fromtimestamp(1741656800, tz=UTC)
    assert parse_video(video("completed", created_at=10**18)).created_at_datetime is None


def test_video_is_the_generated_model_and_round_trips() -> None:
    from tokenops_client.models import VideoStatusResponse  # noqa: PLC0415

    body = video("completed", size="1280x720", seconds="8", model="sora-2", remixed_from_video_id="video_0")
    parsed = parse_video(body)
    assert isinstance(parsed, VideoStatusResponse)
    assert isinstance(parsed, Video)
    assert parsed.to_dict() == body
    assert parsed.status is VideoStatus.COMPLETED


def test_repr_shows_set_fields_only() -> None:
    text = repr(parse_video(video("failed", error={"code": "x"})))
    assert text.startswith("Video(id='video_123'")
    assert "status='failed'" in text
    assert "completed_at" not in text
    assert "0x" not in text


# --- parse_model: every response type of the generated operations --------------------------------------------


SAMPLE_DEPTH = 2
SCALAR_SAMPLES: dict[Any, Any] = {
    str: "x",
    int: 1,
    float: 1.5,
    bool: True,
    Any: {"any": [1]},
    datetime: "2025-03-10T01:31:23+00:00",
    date: "2025-03-10",
    uuid.UUID: str(uuid.UUID(int=1)),
}


def sample(hint: Any, depth: int = 0) -> Any:
    """A JSON value valid for ``hint``, every property filled in (spec-agnostic: works for any regeneration)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # its first member that is neither None nor Unset
        return sample(next(a for a in args if a is not type(None) and a.__name__ != "Unset"), depth)
    if origin in (list, dict):  # one item, down to a bounded depth for recursive schemas
        items = [sample(args[-1], depth + 1)] if depth < SAMPLE_DEPTH else []
        return items if origin is list else {f"key{index}": item for index, item in enumerate(items)}
    if origin is typing.Literal:
        return args[0]
    if hasattr(hint, "_JSON_NAMES"):
        hints = typing.get_type_hints(hint, localns=vars(sys.modules[hint.__module__.rpartition(".")[0]]))
        return {name: sample(hints[attr], depth + 1) for attr, name in hint._JSON_NAMES.items()}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint)).value
    return SCALAR_SAMPLES[hint]


def test_parse_model_reads_every_json_response_of_the_generated_client() -> None:
    from tokenops import operations  # noqa: PLC0415

    seen = 0
    for endpoint in operations.all_endpoints().values():
        for response in endpoint.responses:
            if response.source != "json":
                continue
            body = sample(response.type)
            for strict in (False, True):
                parsed = parse_model(response.type, body, strict=strict)
                as_json = parsed.to_dict() if hasattr(parsed, "to_dict") else parsed
                assert as_json == body, endpoint.name
            seen += 1
    assert seen >= 1


def test_parse_model_of_the_status_model_is_a_video() -> None:
    from tokenops_client.models import VideoStatusResponse  # noqa: PLC0415

    parsed = parse_model(VideoStatusResponse, video("queued"))
    assert isinstance(parsed, Video)
    assert parsed.status is VideoStatus.QUEUED
    assert parsed.raw == video("queued")


def test_parse_model_builds_nested_generated_models_and_containers() -> None:
    error = parse_model(VideoError, {"code": 7, "message": "m", "extra": [1]})
    assert isinstance(error, VideoError)
    assert error.code == "7"
    assert error["extra"] == [1]
    errors = parse_model(list[VideoError], [{"code": "a"}, None, "junk", {"message": "b"}])
    assert [e.code or e.message for e in errors] == ["a", "b"]
    with pytest.raises(ResponseValidationError) as caught:
        parse_model(list[VideoError], [{"code": "a"}, {"code": 5}], strict=True)
    assert caught.value.field == "[1].code"
    assert parse_model(dict[str, int], {"a": "1", "b": "x"}) == {"a": 1}
    assert parse_model(int, "42") == 42
    anything: Any = [1, {"a": None}]
    assert parse_model(Any, anything) is anything
    assert parse_model(str | None, None) is None


@pytest.mark.parametrize(
    ("target", "body", "message"),
    [
        (VideoError, [], "response body is an array, expected a JSON object"),
        (list[VideoError], {}, "response body is an object, expected a JSON array"),
        (int, "x", "response body is a string, expected an integer"),
        (dict[str, int], None, "response body is null, expected a JSON object"),
    ],
    ids=["model", "list", "scalar", "null"],
)
def test_parse_model_rejects_a_body_of_the_wrong_kind_in_both_modes(target: Any, body: Any, message: str) -> None:
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match=message):
            parse_model(target, body, strict=strict)


def test_video_to_dict_round_trips_nested_models_and_unknown_fields() -> None:
    body = video("failed", error={"code": "c", "message": "m", "type": "t", "hint": "x"}, tier="pro")
    assert parse_video(body, strict=True).to_dict() == body


# --- the issue 11 repro: a spec that grows a date-time and a list of models -------------------------------------

REPRO = r"""
import contextlib, io, json, os
from datetime import datetime, timezone

import httpx
import tokenops_client
from tokenops import ResponseValidationError, _cli, parse_video
from tokenops_client.models import OpenAIVideoError

assert tokenops_client.__file__.startswith(os.environ["REPRO_DIR"]), tokenops_client.__file__
body = {
    "id": "video_1", "status": "completed", "started_at": "2025-03-10T01:31:23+00:00",
    "warnings": [{"code": "slow", "message": "queue was long"}],
}
video = parse_video(body)
assert video.started_at == datetime(2025, 3, 10, 1, 31, 23, tzinfo=timezone.utc), video.started_at
assert isinstance(video.warnings[0], OpenAIVideoError) and video.warnings[0].code == "slow"
assert video.to_dict() == body, video.to_dict()
assert parse_video(body, strict=True).to_dict() == body

try:
    parse_video({**body, "started_at": 1741570283}, strict=True)
except ResponseValidationError as exc:
    assert exc.field == "started_at" and exc.value == 1741570283, (exc.field, exc.value)
else:
    raise AssertionError("strict accepted an int for a date-time")
tolerant = parse_video({**body, "started_at": 1741570283, "warnings": [{"code": 5}, "x"]})
assert not tolerant.started_at and tolerant.warnings[0].code == "5" and len(tolerant.warnings) == 1

out = io.StringIO()
client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)))
with contextlib.redirect_stdout(out):
    assert _cli.main(["videos", "get", "video_1", "--json"], http_client=client) == 0
assert json.loads(out.getvalue()) == body, out.getvalue()
print("repro ok")
"""


@pytest.mark.integration
def test_a_grown_spec_is_parsed_by_the_generated_models(tmp_path: Path) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    properties = spec["components"]["schemas"]["VideoStatusResponse"]["properties"]
    properties["started_at"] = {"type": "string", "format": "date-time"}
    properties["warnings"] = {"type": "array", "items": {"$ref": "#/components/schemas/OpenAIVideoError"}}
    package_dir = generate_package(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), tmp_path / "grown")

    env = {**os.environ, "PYTHONPATH": str(package_dir), "REPRO_DIR": str(package_dir), "TOKENOPS_API_KEY": "sk-x"}
    env.pop("TOKENOPS_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", REPRO], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "repro ok"


def test_the_parsing_guide_examples_run_as_printed() -> None:
    import doctest  # noqa: PLC0415

    result = doctest.testfile(str(ROOT / "docs" / "guides" / "parsing.md"), module_relative=False)
    assert result.attempted >= 10
    assert result.failed == 0


# --- the pre-pass on the plain types a ResponseSpec can name (tokenops/_shapes.py) -------------------------------


def test_plain_top_level_types_are_built_as_the_generated_code_builds_them() -> None:
    from tokenops_client.models import VideoStatusResponseSize  # noqa: PLC0415

    for strict in (False, True):
        assert parse_model(bool, True, strict=strict) is True
        assert parse_model(date, "2020-02-29", strict=strict) == date(2020, 2, 29)
        assert parse_model(VideoStatusResponseSize, "720x1280", strict=strict) is VideoStatusResponseSize.VALUE_0
        assert parse_model(dict[str, int], {"a": 1, "b": 2}, strict=strict) == {"a": 1, "b": 2}
    unknown = parse_model(VideoStatusResponseSize, "4k")
    assert isinstance(unknown, VideoStatusResponseSize)
    assert not unknown.is_known


def test_an_integer_enum_takes_an_integral_value_tolerantly_and_names_the_type_strictly() -> None:
    class Level(enum.IntEnum):
        LOW = 1
        HIGH = 2

    assert parse_model(Level, "2") is Level.HIGH
    assert parse_model(Level, 1.0) is Level.LOW
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match="response body is a string, expected one of 1, 2"):
            parse_model(Level, "x" if not strict else "2", strict=strict)
    # No _missing_ (not a generated enum): an unknown value cannot be kept, in either mode.
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match=r"is not one of the values the spec allows \(1, 2\)"):
            parse_model(Level, 3, strict=strict)


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_a_null_only_type_takes_null_and_rejects_anything_else(strict: bool) -> None:
    assert parse_model(None, None, strict=strict) is None
    with pytest.raises(ResponseValidationError, match="response body is a number, expected null") as caught:
        parse_model(type(None), 5, strict=strict)
    assert caught.value.value == 5


def test_a_map_cleans_each_value_under_its_key() -> None:
    assert parse_model(dict[str, int], {"a": 1, "b": "2", "c": "x", "d": None}) == {"a": 1, "b": 2}
    with pytest.raises(ResponseValidationError) as caught:
        parse_model(dict[str, int], {"a": 1, "b": "2"}, strict=True)
    assert (caught.value.field, caught.value.value) == ("b", "2")
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match="response body is an array, expected a JSON object"):
            parse_model(dict[str, int], [1], strict=strict)


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        (list[int] | datetime, "2025-03-10T01:31:23+00:00", datetime(2025, 3, 10, 1, 31, 23, tzinfo=UTC)),
        (dict[str, int] | date, "2020-02-29", date(2020, 2, 29)),
        (VideoError | date, "2020-02-29", date(2020, 2, 29)),
        (list[int] | bool, True, True),
        (VideoStatus | date, "2020-02-29", date(2020, 2, 29)),
    ],
    ids=["list-or-date-time", "map-or-date", "model-or-date", "list-or-bool", "enum-or-date"],
)
def test_a_union_skips_converted_members_that_would_not_take_the_value(target: Any, body: Any, expected: Any) -> None:
    for strict in (False, True):
        parsed = parse_model(target, body, strict=strict)
        assert parsed == expected
        assert type(parsed) is type(expected)


def test_a_union_of_lists_follows_the_generated_cast_of_the_first_list() -> None:
    # The generated dispatcher casts list[int] without looking at the items: it would read ["a"] as list[int].
    with pytest.raises(ResponseValidationError, match=r"is a valid list\[string\] but the generated model reads it"):
        parse_model(list[int] | list[str], ["a"], strict=True)
    assert parse_model(list[int] | list[str], ["a", "7"]) == [7]  # tolerant: cleaned for the member it gets
    assert parse_model(list[int] | list[str], [1], strict=True) == [1]


def test_a_union_whose_items_are_a_union_with_a_plain_member_is_read_as_the_generated_cast_reads_it() -> None:
    # The generated list[int | str] casts each item (int and str are not converted): it takes [1.5].
    target = list[int | str] | list[float]
    with pytest.raises(ResponseValidationError, match="the generated model reads it as list"):
        parse_model(target, [1.5], strict=True)
    assert parse_model(target, [1.5]) == ["1.5"]
    assert parse_model(target, [1, "a"], strict=True) == [1, "a"]


def test_a_type_the_pre_pass_does_not_know_is_our_error_not_a_raw_one() -> None:
    from tokenops_client.types import File  # noqa: PLC0415

    with pytest.raises(ResponseValidationError, match=r"the generated File cannot read the body \(TypeError: "):
        parse_model(File, "abc")


def test_a_generated_model_whose_from_dict_fails_raises_our_error() -> None:
    class Broken(VideoError):
        @classmethod
        def from_dict(cls, src_dict: Any) -> Any:
            raise KeyError("boom")

    message = r"the generated Broken cannot read the body \(KeyError"
    with pytest.raises(ResponseValidationError, match=message) as caught:
        parse_model(Broken, {"code": "c"})
    assert isinstance(caught.value.__cause__, KeyError)


def test_the_shape_contracts_the_parser_relies_on() -> None:
    from tokenops import _shapes  # noqa: PLC0415
    from tokenops_client.types import File  # noqa: PLC0415

    assert repr(_shapes.DROP) == "DROP"
    assert _shapes.NULL.clean(None, "x", strict=True) is None
    assert _shapes.Opaque(File).accepts({"payload": 1}) is False  # the pre-pass cannot tell: never claims a value
    union = _shapes.UnionShape([_shapes.FORMATS[date], _shapes.PLAIN[bool]])
    with pytest.raises(TypeError, match=re.escape("no member of date | boolean reads 'x'")):
        union.build("x")


def test_video_status_does_not_make_pseudo_members_of_non_strings() -> None:
    with pytest.raises(ValueError, match="5 is not a valid VideoStatus"):
        VideoStatus(5)  # type: ignore[arg-type]  # what a caller without a type checker can pass


def test_the_spec_order_of_a_union_is_matched_by_name_without_evaluating_it() -> None:
    from tokenops._tolerance import in_spec_order  # noqa: PLC0415 - the one private helper under test

    assert typing.get_args(in_spec_order(int | str, ("str", "int"), "M.f")) == (str, int)
    assert typing.get_args(in_spec_order(int | None, ("None", "int"), "M.f")) == (type(None), int)
    hint = list[float] | list[int | str] | None
    assert typing.get_args(in_spec_order(hint, ("list[int | str]", "list[float]"), "M.f")) == (
        list[int | str],
        list[float],
        type(None),  # not named: after the named ones
    )
    assert typing.get_args(in_spec_order(datetime | int, ("int", "datetime.datetime"), "M.f")) == (int, datetime)
    literal = typing.Literal["a"]
    assert typing.get_args(in_spec_order(literal | int, ("int", 'Literal["a"]'), "M.f")) == (int, literal)


def test_a_union_order_naming_no_member_of_the_hint_is_an_error_not_a_silent_reorder() -> None:
    class BadOrder(VideoError):
        _UNION_ORDER: typing.ClassVar[dict[str, tuple[str, ...]]] = {"code": ("NoSuchModel", "str")}

    with pytest.raises(TypeError, match=r"BadOrder.code: _UNION_ORDER names 'NoSuchModel', which is no member of"):
        parse_model(BadOrder, {"code": "c"})


class _Buggy(VideoError):
    """A generated model whose from_dict has a bug (not a verdict on the value)."""

    @classmethod
    def from_dict(cls, src_dict: Any) -> Any:
        raise RuntimeError("a bug in generated code")


def test_a_bug_in_generated_code_propagates_instead_of_reading_as_not_this_type() -> None:
    with pytest.raises(RuntimeError, match="a bug in generated code"):
        parse_model(_Buggy, {"code": "c"})
    # In a union, the members before the one picked are asked whether they would take the value: a bug there
    # must not read as "no" (before: any exception did, and the next member was picked silently).
    with pytest.raises(RuntimeError, match="a bug in generated code"):
        parse_model(_Buggy | VideoStatusResponse, {"code": 5, "id": "video_1"}, strict=True)
