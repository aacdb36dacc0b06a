"""One of every schema shape (tests/fixtures/shapes/openapi.yaml), generated once per session, parsed through
the overlay: the generated types come out, ``to_dict`` round-trips, strict rejects what the spec does not
allow, tolerant never raises on an object and never leaves a value wrongly typed.

The fixture package is generated as ``shapes_client`` (it imports itself relatively), next to the real
``tokenops_client``; ``tokenops.parse_model`` knows nothing about either.
"""

from __future__ import annotations

import copy
import datetime
import importlib
import json
import pkgutil
import re
import sys
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.regen import generate_package
from tokenops import ResponseValidationError, parse_model
from tokenops._tolerance import list_parser_for

PACKAGE = "shapes_client"
SPEC = ROOT / "tests" / "fixtures" / "shapes" / "openapi.yaml"
pytestmark = pytest.mark.integration  # every test needs the generator's run (a subprocess) on the fixture spec


class Shapes:
    """The generated fixture package: its models module, its types module and its operations by name."""

    def __init__(self) -> None:
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")
        api = importlib.import_module(f"{PACKAGE}.api")
        modules = pkgutil.walk_packages(api.__path__, prefix=f"{PACKAGE}.api.")
        found = (getattr(importlib.import_module(info.name), "ENDPOINT", None) for info in modules)
        self.endpoints = {endpoint.name: endpoint for endpoint in found if endpoint is not None}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.models, name)


@pytest.fixture(scope="session")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shapes]:
    """Regenerate the fixture spec once and make ``shapes_client`` importable for the session."""
    where = str(generate_package(SPEC.read_text(encoding="utf-8"), tmp_path_factory.mktemp("shapes"), PACKAGE))
    sys.path.insert(0, where)
    try:
        yield Shapes()
    finally:
        sys.path.remove(where)
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


SHAPE_ID = "0b6b7f1e-8f6c-4a61-9d5a-5d1c1f2b3a4d"
FULL: dict[str, Any] = {
    "id": SHAPE_ID,
    "kind": "circle",
    "priority": 2,
    "created_at": "2025-03-10T01:31:23+00:00",
    "birthday": "2020-02-29",
    "count": 3,
    "ratio": 0.5,
    "active": True,
    "tags": ["a", "b"],
    "scores": [1, 2],
    "children": [{"name": "c1", "born": "2021-01-01"}, {"name": "c2", "children": [{"name": "c2a"}]}],
    "owner": {"name": "o", "address": {"city": "Oslo", "zip": 150}},
    "nickname": None,
    "parent_count": 4,
    "pet": {"barks": True, "breed": "lab"},
    "label": 7,
    "seen": "2025-03-10T01:31:23+00:00",
    "counters": {"a": 1, "b": 2},
    "children_by_name": {"k": {"name": "c3"}},
    "metadata": {"free": [1, {"form": None}]},
    "point": {"x": 1, "y": 2},
    "maybe_scores": [1, None, 3],
    "readings": [True, "a"],
    "schema_version": 1,
    "extra": {"any": None},
    "unknown_field": {"kept": True},
}


def with_value(path: str, value: Any) -> dict[str, Any]:
    """FULL with the value at a dotted JSON path (``children.0.born``) replaced."""
    body = copy.deepcopy(FULL)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return body


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_every_shape_gets_its_generated_type(shapes: Shapes, strict: bool) -> None:
    shape = parse_model(shapes.Shape, FULL, strict=strict)
    assert isinstance(shape, shapes.Shape)
    assert shape.id == uuid.UUID(SHAPE_ID)
    assert shape.kind is shapes.ShapeKind.CIRCLE
    assert shape.priority is shapes.Priority.VALUE_2
    assert shape.created_at == datetime.datetime(2025, 3, 10, 1, 31, 23, tzinfo=datetime.UTC)
    assert shape.birthday == datetime.date(2020, 2, 29)
    assert (shape.count, shape.ratio, shape.active) == (3, 0.5, True)
    assert shape.tags == ["a", "b"]
    assert [type(child) for child in shape.children] == [shapes.Child, shapes.Child]
    assert shape.children[0].born == datetime.date(2021, 1, 1)
    assert isinstance(shape.children[1].children[0], shapes.Child)  # a recursive schema
    assert isinstance(shape.owner.address, shapes.OwnerAddress)
    assert shape.owner.address.zip_ == 150
    assert shape.nickname is None
    assert isinstance(shape.pet, shapes.Dog)
    assert shape.label == 7
    assert isinstance(shape.seen, datetime.datetime)
    assert shape.counters.additional_properties == {"a": 1, "b": 2}
    assert isinstance(shape.children_by_name["k"], shapes.Child)
    assert shape.metadata["free"] == [1, {"form": None}]
    assert isinstance(shape.point, shapes.ShapePoint)
    assert shape.maybe_scores == [1, None, 3]
    assert shape.readings == [True, "a"]
    assert shape.schema_version == 1
    assert shape.extra == {"any": None}
    assert shape["unknown_field"] == {"kept": True}
    assert_typed(shapes, shape, shapes.Shape)


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_to_dict_round_trips(shapes: Shapes, strict: bool) -> None:
    shape = parse_model(shapes.Shape, FULL, strict=strict)
    assert shape.to_dict() == FULL
    assert json.loads(json.dumps(shape.to_dict())) == FULL
    assert parse_model(shapes.Shape, shape.to_dict(), strict=True).to_dict() == FULL


def test_the_generated_from_dict_keeps_null_where_the_spec_allows_it(shapes: Shapes) -> None:
    shape = shapes.Shape.from_dict({"id": SHAPE_ID, "kind": "square", "nickname": None, "count": None})
    assert shape.nickname is None  # type: [string, "null"]: null is a value
    assert isinstance(shape.count, shapes.types.Unset)  # type: integer: null reads as absent


def test_int_and_str_enums_keep_unknown_values_as_pseudo_members(shapes: Shapes) -> None:
    assert shapes.Priority(2) is shapes.Priority.VALUE_2
    unknown = shapes.Priority(9)
    assert isinstance(unknown, shapes.Priority)
    assert unknown == 9
    assert not unknown.is_known
    assert shapes.Priority.VALUE_1.is_known
    assert 9 not in [member.value for member in shapes.Priority]
    assert not shapes.ShapeKind("hexagon").is_known


STRICT_REJECTS: list[tuple[str, Any, str, str]] = [
    # (JSON path to change, bad value, field named by the error, message fragment)
    ("id", "not-a-uuid", "id", "must be a UUID string"),
    ("kind", "hexagon", "kind", "is not one of the values the spec allows (circle, square)"),
    ("priority", 9, "priority", "is not one of the values the spec allows (1, 2, 3)"),
    ("priority", "2", "priority", "must be an integer enum value"),
    ("created_at", 1741570283, "created_at", "must be an ISO 8601 date-time string"),
    ("birthday", "2020-13-01", "birthday", "must be an ISO 8601 date string"),
    ("count", "3", "count", "must be an integer"),
    ("count", None, "count", "is null, which the spec does not allow"),
    ("ratio", "0.5", "ratio", "must be a number"),
    ("active", 1, "active", "must be a boolean"),
    ("tags", "a", "tags", "must be an array"),
    ("tags.1", 5, "tags[1]", "must be a string"),
    ("scores.0", 1.0, "scores[0]", "must be an integer"),
    ("children.0.born", "soon", "children[0].born", "must be an ISO 8601 date string"),
    ("children.1", {"born": "2021-01-01"}, "children[1].name", "is required by the spec but missing"),
    ("children.1.children.0.born", 5, "children[1].children[0].born", "must be an ISO 8601 date string"),
    ("owner.address.zip", "150", "owner.address.zip", "must be an integer"),
    ("owner", [], "owner", "must be an object"),
    ("nickname", 5, "nickname", "must be a string"),
    ("pet", {"purrs": True}, "pet", "matches none of Cat | Dog"),
    ("pet", {"meows": "yes", "barks": True}, "pet", "is a valid Dog but the generated model reads it as Cat"),
    ("label", 1.5, "label", "matches none of integer | string"),
    ("seen", True, "seen", "matches none of date-time | integer"),
    ("counters.a", "1", "counters.a", "must be an integer"),
    ("children_by_name.k.name", 5, "children_by_name.k.name", "must be a string"),
    ("point.z", 3, "point.z", "is not a property the spec allows here"),
    ("maybe_scores.1", "x", "maybe_scores[1]", "must be an integer"),
    ("readings", [1.5], "readings", "is a valid list[number] but the generated model reads it as list[boolean |"),
    ("schema_version", 2, "schema_version", "must be 1"),
    ("thumbnail", "abc", "thumbnail", "cannot be read by the generated model"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), STRICT_REJECTS, ids=[r[0] for r in STRICT_REJECTS])
def test_strict_rejects_what_the_spec_does_not_allow(
    shapes: Shapes, path: str, value: Any, field: str, message: str
) -> None:
    with pytest.raises(ResponseValidationError, match=re.escape(f"field '{field}' ")) as caught:
        parse_model(shapes.Shape, with_value(path, value), strict=True)
    assert caught.value.field == field
    assert message in str(caught.value)
    if "missing" not in message:
        assert caught.value.value == value


def test_strict_names_a_missing_required_property(shapes: Shapes) -> None:
    body = {key: value for key, value in FULL.items() if key != "kind"}
    with pytest.raises(ResponseValidationError, match="field 'kind' is required by the spec but missing"):
        parse_model(shapes.Shape, body, strict=True)


def unset(value: Any) -> bool:
    return type(value).__name__ == "Unset"


TOLERATED: list[tuple[str, Any, Callable[[Any], bool]]] = [
    ("count", "3", lambda s: s.count == 3),
    ("count", 3.0, lambda s: s.count == 3),
    ("count", 3.5, lambda s: unset(s.count)),
    ("count", None, lambda s: unset(s.count)),
    ("priority", "2", lambda s: s.priority.value == 2 and s.priority.is_known),
    ("priority", 9, lambda s: s.priority == 9 and not s.priority.is_known),
    ("kind", "hexagon", lambda s: s.kind == "hexagon" and not s.kind.is_known),
    ("created_at", 1741570283, lambda s: unset(s.created_at)),
    ("scores", ["1", "x", 2, None], lambda s: s.scores == [1, 2]),
    ("counters", {"a": "1", "b": "x"}, lambda s: s.counters.additional_properties == {"a": 1}),
    ("nickname", 5, lambda s: s.nickname == "5"),
    ("label", 1.5, lambda s: s.label == "1.5"),
    ("seen", "1741570283", lambda s: s.seen == 1741570283),
    ("seen", "soon", lambda s: unset(s.seen)),
    ("pet", {"meows": True}, lambda s: s.pet.meows is True),
    ("pet", {"meows": "yes", "barks": True, "breed": 5}, lambda s: unset(s.pet)),
    ("children.1", {"born": "2021-01-01"}, lambda s: [c.name for c in s.children] == ["c1"]),
    ("point.z", 3, lambda s: s.point.x == 1),
    ("thumbnail", "abc", lambda s: unset(s.thumbnail)),
    ("readings", [1.5], lambda s: s.readings == ["1.5"]),  # the generated cast would keep 1.5 in list[bool | str]
    ("unknown_field", None, lambda s: s["unknown_field"] is None),
]


@pytest.mark.parametrize(("path", "value", "check"), TOLERATED, ids=[f"{r[0]}={r[1]!r}" for r in TOLERATED])
def test_tolerant_coerces_keeps_or_drops(shapes: Shapes, path: str, value: Any, check: Callable[[Any], bool]) -> None:
    shape = parse_model(shapes.Shape, with_value(path, value))
    assert check(shape), shape
    assert_typed(shapes, shape, shapes.Shape)
    shape.to_dict()


ODD_VALUES: list[Any] = [None, True, 1.5, -3, "x", "", "7", [], [None, 1, "y"], {}, {"a": None}, "2025-01-01"]
PATHS = [key for key in FULL if key not in ("id", "kind")] + [
    "children.0.born",
    "owner.address.zip",
    "pet.barks",
    "counters.a",
    "children_by_name.k",
    "point.x",
]


@pytest.mark.parametrize("path", PATHS)
def test_tolerant_never_raises_on_an_object_and_never_mistypes(shapes: Shapes, path: str) -> None:
    for value in ODD_VALUES:
        shape = parse_model(shapes.Shape, with_value(path, value))
        assert_typed(shapes, shape, shapes.Shape)
        json.dumps(shape.to_dict())


@pytest.mark.parametrize("path", ["id", "kind"])
def test_a_required_property_it_cannot_use_is_the_one_tolerant_error(shapes: Shapes, path: str) -> None:
    with pytest.raises(ResponseValidationError, match=f"field '{path}' is required by the spec but unusable"):
        parse_model(shapes.Shape, with_value(path, ["nope"]))


# A model per kind of object: nested and formatted fields (Shape, Child), plain fields (OwnerAddress, Dog), a closed
# object (ShapePoint) and typed additional properties (ShapeCounters).
LIST_ITEMS: dict[str, dict[str, Any]] = {
    "Shape": FULL,
    "Child": FULL["children"][0],
    "OwnerAddress": FULL["owner"]["address"],
    "Dog": FULL["pet"],
    "ShapePoint": FULL["point"],
    "ShapeCounters": FULL["counters"],
}


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
@pytest.mark.parametrize("name", LIST_ITEMS)
def test_a_page_of_items_reads_each_item_as_parse_model_reads_it_alone(shapes: Shapes, name: str, strict: bool) -> None:
    model, clean = getattr(shapes, name), LIST_ITEMS[name]
    variants = [{**clean, key: value} for key in [*clean, "unknown_field"] for value in ODD_VALUES]
    variants += [{k: v for k, v in clean.items() if k != key} for key in clean]
    parse_items = list_parser_for(model, strict=strict)

    def outcome(page: list[Any], alone: bool) -> Any:
        try:
            return [parse_model(model, item, strict=strict) for item in page] if alone else parse_items(page)
        except ResponseValidationError as exc:
            return ("raised", str(exc), exc.field, exc.value)

    for variant in [clean, *variants]:
        page = [clean, variant, clean]
        assert outcome(page, alone=False) == outcome(page, alone=True), variant


SAMPLES: dict[str, Any] = {
    "get_shape": FULL,
    "upload_shape": FULL,
    "list_shapes": [FULL, FULL],
    "list_tags": ["a", "b"],
    "get_counts": {"a": 1},
    "get_pet": {"meows": True},
    "get_total": 7,
    "get_anything": [1, "two", {"three": None}],
}


def test_parse_model_reads_every_json_response_type_the_generator_emits(shapes: Shapes) -> None:
    json_responses = {
        name: response.type
        for name, endpoint in shapes.endpoints.items()
        for response in endpoint.responses
        if response.source == "json"
    }
    assert json_responses.keys() == SAMPLES.keys()
    for name, target in json_responses.items():
        for strict in (False, True):
            parsed = parse_model(target, SAMPLES[name], strict=strict)
            assert_typed(shapes, parsed, target)
            assert to_json(parsed) == SAMPLES[name], name


def test_the_binary_shapes_are_files(shapes: Shapes) -> None:
    (download,) = shapes.endpoints["download_shape"].responses
    assert (download.source, download.type) == ("bytes", shapes.types.File)
    (upload,) = shapes.endpoints["upload_shape"].bodies
    assert upload[:2] == ("multipart/form-data", "files")
    hints = typing.get_type_hints(shapes.ShapeUpload, localns=vars(shapes.models))
    assert hints["file"] is shapes.types.File


@pytest.mark.parametrize(
    ("body", "expected"), [({"meows": True}, "Cat"), ({"barks": False}, "Dog"), ({"meows": True, "barks": 1}, "Cat")]
)
def test_a_top_level_union_is_the_member_the_generated_code_would_pick(
    shapes: Shapes, body: dict[str, Any], expected: str
) -> None:
    target = shapes.Cat | shapes.Dog
    for strict in (False, True):
        assert type(parse_model(target, body, strict=strict)).__name__ == expected


def test_a_value_the_generated_union_dispatcher_would_misread_is_never_built_wrongly_typed(shapes: Shapes) -> None:
    # Valid as a Dog, but the generated code tries Cat first and Cat.from_dict accepts it (meows: 1).
    body = {"meows": 1, "barks": True}
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match="the generated model reads it as Cat"):
            parse_model(shapes.Cat | shapes.Dog, body, strict=strict)


@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_a_union_declared_out_of_name_order_is_read_in_the_spec_order(shapes: Shapes, strict: bool) -> None:
    # The hint says list[float] | list[int | str] (sorted by name); from_dict tries list[int | str] first.
    shape = parse_model(shapes.Shape, with_value("samples", [1, "a"]), strict=strict)
    assert shape.samples == [1, "a"]
    assert shape.samples == shapes.Shape.from_dict(with_value("samples", [1, "a"])).samples


def test_the_generated_models_say_the_order_their_unions_are_tried_in(shapes: Shapes) -> None:
    assert shapes.Shape._UNION_ORDER["samples"] == ("list[int | str]", "list[float]")


@pytest.mark.parametrize(
    ("target", "body", "message"),
    [
        ("Shape", [], "response body is an array, expected a JSON object"),
        ("list[Shape]", {}, "response body is an object, expected a JSON array"),
        ("Cat | Dog", {"purrs": 1}, "response body is an object, expected one of Cat | Dog"),
        ("int", "seven", "response body is a string, expected an integer"),
    ],
)
def test_a_body_of_the_wrong_kind_raises_in_both_modes(shapes: Shapes, target: str, body: Any, message: str) -> None:
    resolved = eval(target, vars(shapes.models))  # noqa: S307 - test-local type expressions
    for strict in (False, True):
        with pytest.raises(ResponseValidationError, match=message.replace("|", r"\|")):
            parse_model(resolved, body, strict=strict)


# --- helpers: an independent check that a parsed value has the types its hints promise ---------------------------


def to_json(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(shapes: Shapes, model: type) -> dict[str, Any]:
    if model not in _HINTS:
        _HINTS[model] = typing.get_type_hints(model, localns=vars(shapes.models))
    return _HINTS[model]


def assert_typed(shapes: Shapes, value: Any, hint: Any, path: str = "$") -> None:  # noqa: PLR0912
    """``value`` is an instance of ``hint`` all the way down (models, lists, dicts, unions, enums, dates)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return
    if origin in (typing.Union, types.UnionType):
        errors = []
        for member in args:
            try:
                assert_typed(shapes, value, member, path)
            except AssertionError as exc:
                errors.append(str(exc))
            else:
                return
        raise AssertionError(f"{path}: {value!r} is none of {hint}: {errors}")
    if hint is type(None) or hint is None:
        assert value is None, f"{path}: {value!r} is not None"
    elif origin is list:
        assert type(value) is list, f"{path}: {value!r} is not a list"
        for index, item in enumerate(value):
            assert_typed(shapes, item, args[0], f"{path}[{index}]")
    elif origin is dict:
        assert type(value) is dict, f"{path}: {value!r} is not a dict"
        for key, item in value.items():
            assert_typed(shapes, item, args[1], f"{path}.{key}")
    elif origin is typing.Literal:
        assert value in args, f"{path}: {value!r} not in {args}"
    elif hint is float:
        assert type(value) in (int, float), f"{path}: {value!r} is not a number"
    elif hint in (int, bool):
        assert type(value) is hint, f"{path}: {value!r} is not {hint}"
    else:
        assert isinstance(value, hint), f"{path}: {value!r} is not a {hint}"
        if hasattr(hint, "_JSON_NAMES"):
            hints = _hints(shapes, hint)
            for attribute in (*hint._JSON_NAMES, "additional_properties"):
                if attribute in hints:
                    assert_typed(shapes, getattr(value, attribute), hints[attribute], f"{path}.{attribute}")
