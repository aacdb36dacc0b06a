"""Parsing bodies into the generated models: ``parse_model``/``parse_video``, and the tolerance pre-pass before the
generated ``from_dict``.

Every body is parsed by the generated ``from_dict`` after the pre-pass, which derives what it checks from the
generated classes' type hints and ``_JSON_NAMES`` (``templates/model.py.jinja``): there is no second list of fields
or types here, so a field the generator learns (a date-time, a list of models) is parsed for free.

Tolerant mode (the default) never raises on a JSON object: unknown enum values are kept as pseudo-members,
``null`` reads as absent, unknown fields are kept in ``additional_properties``, and values of the wrong
JSON type are coerced when unambiguous (``"50"`` or ``50.0`` for an integer) or else dropped (still
visible in :attr:`Video.raw`). Strict mode raises :class:`ResponseValidationError` on the first of those.
The one exception in tolerant mode: an object that lacks a property the spec marks ``required`` cannot be
built, and raises.

Nothing here knows the spec. :func:`shape_of` turns a generated class's hints into a small tree of
:class:`~tokenops._shapes.Shape` objects, once per class. Cleaning a value walks that tree:

* strict mode raises :class:`ResponseValidationError` naming the JSON path and the value for anything the spec
  does not allow (wrong JSON type, unknown enum value, ``null`` where not nullable, an unparsable date-time,
  a missing required property, a property a closed object does not allow);
* tolerant mode drops ``null`` where the spec has no null, coerces integral numbers and digit strings where
  the spec says integer (and numbers where it says string), keeps unknown enum values (the templates turn
  them into pseudo-members) and unknown properties, and drops every other value of the wrong type, so that
  nothing reaches a typed attribute wrongly typed.

The values that come out are still JSON: the generated ``from_dict`` builds the objects (dates, UUIDs, enums,
nested models, lists, unions). A Python type the pre-pass does not recognise is *opaque*: its value is left to
the generated code, and the model is probed through its own ``from_dict`` so that a value the generated code
cannot read raises (strict) or is dropped (tolerant) instead of escaping as a raw exception. Only the errors the
generated code raises for a value it cannot read (:data:`GENERATED_READ_ERRORS`, the ones its own union
dispatcher catches) mean "cannot read"; anything else is a bug and propagates.

Unions follow the generated dispatcher (``property_templates/union_property.py.jinja`` of the pinned
generator): members the generated code converts (models, enums, dates, lists, literals) are tried in the
declared order, then plain scalars. The declared order is the spec's, recorded by the template in
``_UNION_ORDER`` (the type hint sorts members by name); a recorded member that matches no member of the hint
is an error, never a silent change of order. The pre-pass picks the member the generated code will pick, so the
value it hands over is clean for that member.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from tokenops import _shapes
from tokenops._errors import ResponseValidationError
from tokenops._models import Video
from tokenops._shapes import DROP, Shape, violation, with_cleaned
from tokenops_client.models import VideoStatusResponse

__all__ = [
    "ANY_VALUE",
    "GENERATED_READ_ERRORS",
    "AsIs",
    "Plan",
    "clean_object",
    "is_generated_model",
    "list_parser_for",
    "parse_model",
    "parse_video",
    "parser_for",
    "plan_for",
    "shape_of",
]

T = TypeVar("T")

# What the generated from_dict raises for a value it cannot read: the exceptions its union dispatcher catches
# (property_templates/union_property.py.jinja of the pinned generator). Anything else is a bug, not a verdict.
GENERATED_READ_ERRORS = (TypeError, ValueError, AttributeError, KeyError)


class Unusable(Exception):
    """Tolerant mode only: an object lacks a required property (or its value was unusable)."""

    def __init__(self, path: str, value: Any) -> None:
        super().__init__(path)
        self.path = path
        self.value = value


_MISSING: Final[Any] = object()
ANY_VALUE: Final[Any] = object()
"""In :attr:`AsIs.types`: every value of the property is clean as it is."""
_NEVER: Final[Any] = object()  # In AsIs.types: no value is known clean without the whole pre-pass (no type is this).


class Plan:
    """One generated model class as the pre-pass sees it (computed once per class)."""

    def __init__(self, model: type[Any], hints: Mapping[str, Any]) -> None:
        self.model = model
        self.fields: dict[str, _shapes.Slot] = {}
        self.hints: dict[str, Any] = {}  # JSON name -> the field's type hint, resolved (a list's item type ...)
        self.required: list[str] = []
        self.opaque: list[str] = []
        for attribute, json_name in model._JSON_NAMES.items():
            self.hints[json_name] = hints[attribute]
            shape, nullable, optional = _split(hints[attribute])
            self.fields[json_name] = _shapes.Slot(shape, nullable)
            if not optional:
                self.required.append(json_name)
            if isinstance(shape, _shapes.Opaque) or (
                isinstance(shape, _shapes.UnionShape) and any(isinstance(m, _shapes.Opaque) for m in shape.members)
            ):
                self.opaque.append(json_name)
        extras = hints.get("additional_properties")
        # No additional_properties attribute: the spec closes the object (additionalProperties: false).
        self.open = extras is not None
        value_type = typing.get_args(extras)[1] if extras is not None else Any
        self.extras: _shapes.Slot | None = None if value_type is Any else _shapes.Slot(*_split(value_type)[:2])
        self._as_is: dict[bool, AsIs] = {}

    def as_is(self, strict: bool) -> AsIs:
        """When an object is clean as it is in this mode (computed once per mode)."""
        found = self._as_is.get(strict)
        if found is None:
            self._as_is[strict] = found = AsIs(self, strict)
        return found


class AsIs:
    """When :func:`clean_object` would hand an object of one model over unchanged, raising nothing, as tables that
    one pass over the object's items reads: every value of exactly the type ``types`` gives for its property
    (``unknown`` for a property the model does not have; :data:`ANY_VALUE`: any value), and ``further`` true when it
    is not None. An object that passes is clean; one that does not may still be (a nullable null, an integer for a
    number, a nested object...): the whole pre-pass decides.

    The tables come from the plan's slots, so they say what the pre-pass says: a value of exactly the slot's type is
    clean when the slot has no set of known values (an enum), or when the value is in it, or (tolerant) when the enum
    keeps unknown values as pseudo-members; formats, models, lists, unions and opaque types have no such type.
    """

    def __init__(self, plan: Plan, strict: bool) -> None:
        self.types: dict[str, Any] = {}
        values: list[tuple[str, frozenset[Any]]] = []
        for key, slot in plan.fields.items():
            if isinstance(slot.shape, _shapes.AnyShape):
                self.types[key] = ANY_VALUE
            elif slot.exact is None:
                self.types[key] = _NEVER
            else:
                self.types[key] = slot.exact
                keeps_unknown = getattr(slot.shape, "keeps_unknown", False)
                if slot.known is not None and (strict or not keeps_unknown):
                    values.append((key, slot.known))
        # clean_object: an unknown property is left alone unless typed extras clean it or a strict closed object
        # refuses it.
        self.unknown: Any = ANY_VALUE if plan.extras is None and (plan.open or not strict) else _NEVER
        required, known_values = tuple(plan.required), tuple(values)

        def further(data: Mapping[str, Any]) -> bool:
            for key in required:
                if key not in data:
                    return False
            for key, known in known_values:
                value = data.get(key, _MISSING)
                if value is not _MISSING and value not in known:
                    return False
            return True

        self.further: Callable[[Mapping[str, Any]], bool] | None = further if required or known_values else None


_SHAPES: dict[Any, tuple[Shape, bool, bool]] = {}
_PLANS: dict[type[Any], Plan] = {}


def _is_unset(candidate: Any) -> bool:
    return isinstance(candidate, type) and candidate.__name__ == "Unset" and candidate.__module__.endswith(".types")


def is_generated_model(candidate: Any) -> bool:
    """A class written by ``templates/model.py.jinja`` (or a subclass of one)."""
    return isinstance(candidate, type) and hasattr(candidate, "_JSON_NAMES") and hasattr(candidate, "from_dict")


def _split(hint: Any) -> tuple[Shape, bool, bool]:
    """(shape, nullable, optional) of a type hint: ``None`` and ``Unset`` are flags, not members."""
    key = (hint, typing.get_args(hint))  # unions compare equal in any order; their shapes do not
    cached = _SHAPES.get(key)
    if cached is not None:
        return cached
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = tuple(type(None) if arg is None else arg for arg in (typing.get_args(hint) if union else (hint,)))
    members = [arg for arg in args if not _is_unset(arg) and arg is not type(None)]
    optional = any(_is_unset(arg) for arg in args)
    nullable = type(None) in args or Any in members
    if not members:
        shape: Shape = _shapes.NULL
    elif len(members) == 1:
        shape = _compile(members[0])
    else:
        shape = _shapes.UnionShape([_compile(member) for member in members])
    _SHAPES[key] = result = (shape, nullable, optional)
    return result


def shape_of(hint: Any) -> tuple[Shape, bool]:
    """The shape of a type (``ResponseSpec.type``, a model class, ``list[Model]``...) and whether null is allowed."""
    shape, nullable, _ = _split(hint)
    return shape, nullable


def _compile(hint: Any) -> Shape:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list or origin is dict:  # list[item] and dict[str, item]
        slot = _shapes.Slot(*_split(args[-1])[:2])
        return _shapes.ListShape(slot) if origin is list else _shapes.DictShape(slot)
    if origin is typing.Literal:
        return _shapes.LiteralShape(args)
    if is_generated_model(hint):
        return _Model(hint)
    known = _shapes.PLAIN.get(hint) or _shapes.FORMATS.get(hint) or _shapes.enum_shape(hint)
    return known or _shapes.Opaque(hint)


def plan_for(model: type[Any]) -> Plan:
    """The cleaning plan of a generated model class, from its type hints (cached).

    Raises:
        TypeError: the model's ``_UNION_ORDER`` names a member its type hint does not have (a template bug).
    """
    plan = _PLANS.get(model)
    if plan is None:
        # Hints name models imported lazily (TYPE_CHECKING) in the generated module: resolve them in the
        # generated package's `models` namespace, whichever package that is.
        generated = next(klass for klass in model.__mro__ if "_JSON_NAMES" in vars(klass))
        models = sys.modules.get(generated.__module__.rpartition(".")[0])
        hints = typing.get_type_hints(model, localns=vars(models) if models is not None else None)
        order: dict[str, tuple[str, ...]] = getattr(model, "_UNION_ORDER", {})
        for name, members in order.items():
            hints[name] = in_spec_order(hints[name], members, f"{model.__name__}.{name}")
        _PLANS[model] = plan = Plan(model, hints)
    return plan


_QUALIFIER = re.compile(r"\b[A-Za-z_]\w*\.")  # "datetime.datetime" -> "datetime": hints keep bare class names


def type_text(hint: Any) -> str:
    """``hint`` written as the generator writes a type (``list[int | str]``), without spaces or module prefixes."""
    if hint is None or hint is type(None):
        return "None"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return "|".join(type_text(arg) for arg in args)
    if origin is typing.Literal:
        return "Literal[" + ",".join(repr(arg) for arg in args) + "]"
    if origin is not None:
        return f"{getattr(origin, '__name__', origin)}[{','.join(type_text(arg) for arg in args)}]"
    return str(getattr(hint, "__name__", hint))


def in_spec_order(hint: Any, order: tuple[str, ...], where: str) -> Any:
    """``hint`` (a union) with its members in ``order``, the type expressions ``_UNION_ORDER`` records.

    The generator writes a union's type hint sorted by name (``list[float] | list[int | str]``) but its
    dispatcher tries the members in the spec's order. Each recorded expression is matched to the member it
    writes (no evaluation); members it does not name (``Unset``, ``None``) keep their place after the named ones.

    Raises:
        TypeError: an expression matches no member of ``hint`` (``where`` names the field).
    """
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    by_text = {type_text(member): member for member in members}
    ranked: list[Any] = []
    for text in order:
        member = by_text.get(_QUALIFIER.sub("", text).replace(" ", "").replace('"', "'"), _MISSING)
        if member is _MISSING:
            raise TypeError(f"{where}: _UNION_ORDER names {text!r}, which is no member of {hint}")
        ranked.append(member)
    rest = [member for member in members if member not in ranked]
    return typing.Union[tuple(ranked + rest)]  # noqa: UP007 - built from a tuple


class _Model(Shape):
    constructed, expected = True, "a JSON object"

    def __init__(self, model: type[Any]) -> None:
        self.model = model
        self.name = model.__name__

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if not isinstance(value, Mapping):
            if strict:
                raise violation(path, value, "must be an object")
            return DROP
        try:
            return clean_object(plan_for(self.model), value, f"{path}." if path else "", strict)
        except Unusable:
            return DROP

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            self.model.from_dict(value)
        except GENERATED_READ_ERRORS:
            return False
        return True

    def build(self, value: Any) -> Any:
        return self.model.from_dict(value)


def clean_object(plan: Plan, data: Mapping[str, Any], prefix: str, strict: bool) -> Mapping[str, Any]:
    """Clean one JSON object for ``plan.model.from_dict``; ``data`` itself when nothing needs to change.

    Raises:
        ResponseValidationError: strict, and something violates the spec (``field`` is the JSON path).
        Unusable: tolerant, and a required property is missing or unusable.
    """
    fields = plan.fields
    out: dict[str, Any] | None = None
    for key, value in data.items():
        slot = fields.get(key)
        if slot is None:
            if plan.extras is not None:
                cleaned = plan.extras.clean(value, prefix + key, strict)
            elif strict and not plan.open:
                raise violation(prefix + key, value, "is not a property the spec allows here")
            else:
                continue
        elif type(value) is slot.exact and (slot.known is None or value in slot.known):
            continue
        else:
            cleaned = slot.clean(value, prefix + key, strict)
        if cleaned is not value:
            out = with_cleaned(out, data, key, cleaned)
    result = data if out is None else out
    _check_required(plan, data, result, prefix, strict)
    if plan.opaque:
        result = _probe(plan, data, result, prefix, strict)
    return result


def _check_required(plan: Plan, data: Mapping[str, Any], result: Mapping[str, Any], prefix: str, strict: bool) -> None:
    for key in plan.required:
        if key not in result:
            if strict:
                raise ResponseValidationError(
                    f"field '{prefix}{key}' is required by the spec but missing", field=prefix + key, value=None
                )
            raise Unusable(prefix + key, data.get(key, _MISSING))


def _probe(
    plan: Plan, data: Mapping[str, Any], result: Mapping[str, Any], prefix: str, strict: bool
) -> Mapping[str, Any]:
    """Let the generated ``from_dict`` judge the values of opaque types; drop (or name) those it cannot read."""
    present = [key for key in plan.opaque if key in result]
    bad: list[tuple[str, Exception]] = []
    for key in present:
        try:
            plan.model.from_dict({k: v for k, v in result.items() if k == key or k not in present})
        except GENERATED_READ_ERRORS as exc:  # the generated code's verdict on the value
            bad.append((key, exc))
    if not bad:
        return result
    first, error = bad[0]
    if strict:
        raise violation(
            prefix + first, result[first], f"cannot be read by the generated model ({type(error).__name__})"
        )
    cleaned = {k: v for k, v in result.items() if k not in {name for name, _ in bad}}
    _check_required(plan, data, cleaned, prefix, strict)
    return cleaned


def unusable_error(exc: Unusable) -> ResponseValidationError:
    """The :class:`ResponseValidationError` for a top-level object tolerant mode could not use."""
    state = "missing" if exc.value is _MISSING else f"unusable (got {exc.value!r:.80})"
    value = None if exc.value is _MISSING else exc.value
    return ResponseValidationError(
        f"field '{exc.path}' is required by the spec but {state}", field=exc.path, value=value
    )


def _kind(data: Any) -> str:
    kinds = {list: "an array", dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(data), "a number")


def _body_error(data: Any, expected: str, detail: str = "") -> ResponseValidationError:
    detail = f": {detail}" if detail else ""
    return ResponseValidationError(f"response body is {_kind(data)}, expected {expected}{detail}", value=data)


def _top_level_error(data: Any, expected: str, exc: ResponseValidationError) -> ResponseValidationError:
    if exc.field != "":  # a field inside the body: the error names it already
        return exc
    why = str(exc).removeprefix("field '' ").split(" (got ", 1)[0]
    return _body_error(data, expected, "" if why.startswith("must be") else why)


def _generated_failure(target: str, exc: Exception) -> ResponseValidationError:
    # Only reachable if the pre-pass let through something the generated code cannot read: still our error tree.
    # (Only GENERATED_READ_ERRORS: any other exception of the generated code is a bug and propagates.)
    return ResponseValidationError(f"the generated {target} cannot read the body ({type(exc).__name__}: {exc})")


def _parse_object(model: type[Any], build: type[T], data: Any, strict: bool) -> T:
    """Pre-pass for the generated ``model``, then ``build.from_dict`` (``build`` is ``model`` or a subclass)."""
    if type(data) is not dict and not isinstance(data, Mapping):  # the common case first: the ABC check costs
        raise _body_error(data, "a JSON object")
    try:
        cleaned = clean_object(plan_for(model), data, "", strict)
    except Unusable as exc:
        raise unusable_error(exc) from None
    try:
        return build.from_dict(cleaned)  # type: ignore[attr-defined, no-any-return]
    except GENERATED_READ_ERRORS as exc:
        raise _generated_failure(model.__name__, exc) from exc


def _video(data: Any, strict: bool) -> Video:
    video = _parse_object(VideoStatusResponse, Video, data, strict)
    video._raw = data
    return video


def parse_video(data: Any, *, strict: bool = False) -> Video:
    """Build a :class:`Video` from a decoded JSON body.

    Args:
        data: the decoded JSON value.
        strict: raise instead of tolerating what the spec does not allow.

    Returns:
        The parsed video; ``video.raw`` is ``data``.

    Raises:
        ResponseValidationError: ``data`` is not a JSON object, or (strict) a field violates the spec.
    """
    return _video(data, strict)


def parser_for(target: Any, *, strict: bool = False) -> Callable[[Any], Any]:
    """``parse_model(target, data, strict=strict)`` as a function of ``data`` alone, with the choice of how to parse
    ``target`` made once: for the many values of one type (the items of a list's pages).

    Args:
        target: as for :func:`parse_model`.
        strict: as for :func:`parse_model`.

    Returns:
        The parser; it raises what :func:`parse_model` raises.
    """
    builder = _builder(target)
    if builder is None:
        return lambda data: parse_model(target, data, strict=strict)
    model, build, keep_raw = builder
    # What _parse_object does, with the plan and the builder looked up once (a list's pages parse thousands).
    plan, from_dict = plan_for(model), build.from_dict

    def parse(data: Any) -> Any:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise _body_error(data, "a JSON object")
        try:
            cleaned = clean_object(plan, data, "", strict)
        except Unusable as exc:
            raise unusable_error(exc) from None
        try:
            built = from_dict(cleaned)
        except GENERATED_READ_ERRORS as exc:
            raise _generated_failure(model.__name__, exc) from exc
        if keep_raw:
            built._raw = data
        return built

    return parse


def _builder(target: Any) -> tuple[type[Any], type[Any], bool] | None:
    """(the generated model, the class whose ``from_dict`` builds it, whether it keeps the raw object) of a model
    target; None for any other type."""
    if target is VideoStatusResponse or target is Video:
        return VideoStatusResponse, Video, True
    if is_generated_model(target):
        return target, target, False
    return None


def list_parser_for(target: Any, *, strict: bool = False) -> Callable[[list[Any]], list[Any]]:
    """``[parse_model(target, item, strict=strict) for item in items]`` as one function of ``items``, for the items
    of a list's pages: an item that is a generated model's object and clean as it is (:class:`AsIs`: one pass over
    its values, no copy) goes straight to the generated ``from_dict``, as the pre-pass would hand it over; any other
    goes through the whole pre-pass, as alone.

    Args:
        target: as for :func:`parse_model`.
        strict: as for :func:`parse_model`.

    Returns:
        The parser; it raises what :func:`parse_model` raises for the first item it cannot parse.
    """
    parse = parser_for(target, strict=strict)
    builder = _builder(target)
    if builder is None:
        return lambda items: [parse(item) for item in items]
    model, build, keep_raw = builder
    as_is = plan_for(model).as_is(strict)
    expected_type, unknown, further, from_dict = as_is.types.get, as_is.unknown, as_is.further, build.from_dict

    def parse_items(items: list[Any]) -> list[Any]:
        parsed: list[Any] = []
        append = parsed.append
        try:
            for data in items:
                if type(data) is dict:
                    for key, value in data.items():
                        expected = expected_type(key, unknown)
                        if type(value) is not expected and expected is not ANY_VALUE:
                            break
                    else:
                        if further is None or further(data):
                            item = from_dict(data)
                            if keep_raw:
                                item._raw = data
                            append(item)
                            continue
                append(parse(data))
        except GENERATED_READ_ERRORS:  # from_dict could not read a clean item: the whole parse names it, as alone
            return [parse(item) for item in items]
        return parsed

    return parse_items


@typing.overload
def parse_model(target: type[T], data: Any, *, strict: bool = False) -> T: ...
@typing.overload
def parse_model(target: Any, data: Any, *, strict: bool = False) -> Any: ...
def parse_model(target: Any, data: Any, *, strict: bool = False) -> Any:
    """Parse a decoded JSON body into ``target``, the type the generated code reads it as.

    ``target`` is any ``ResponseSpec.type`` of a JSON response (``tokenops.operations``): a generated model
    class, ``list[Model]``, ``list[str]``, a union ``A | B``, ``dict[str, X]``, a scalar type or ``Any``.
    Models are built by their generated ``from_dict`` after the tolerance pre-pass; ``VideoStatusResponse``
    (and :class:`Video`) give a :class:`Video`.

    Args:
        target: the type to build.
        data: the decoded JSON value.
        strict: raise instead of tolerating what the spec does not allow.

    Returns:
        An instance of ``target`` (for a union, of the member the generated code picks).

    Raises:
        ResponseValidationError: the body is not what ``target`` requires (a JSON object for a model, an array
            for a list...), or (strict) a value violates the spec; ``field`` names its JSON path.
    """
    if target is VideoStatusResponse or target is Video:
        return parse_video(data, strict=strict)
    if is_generated_model(target):
        return _parse_object(target, target, data, strict)
    shape, nullable = shape_of(target)
    if data is None:
        if nullable or shape.expected == "null":
            return None
        raise _body_error(data, shape.expected)
    try:
        cleaned = shape.clean(data, "", strict)
        if cleaned is DROP:  # tolerant, and nothing of the body is usable: say why, as strict would
            shape.clean(data, "", True)
    except ResponseValidationError as exc:
        raise _top_level_error(data, shape.expected, exc) from None
    if cleaned is DROP:  # pragma: no cover - every shape's strict clean raises where tolerant drops
        raise _body_error(data, shape.expected)
    try:
        return shape.build(cleaned)
    except GENERATED_READ_ERRORS as exc:
        raise _generated_failure(shape.name, exc) from exc
