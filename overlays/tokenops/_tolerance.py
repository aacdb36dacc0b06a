"""The tolerance pre-pass: make a decoded JSON value readable by the generated ``from_dict``, or say why not.

Nothing here knows the spec. Each generated model class carries its fields as type hints and its JSON names in
``_JSON_NAMES`` (``templates/model.py.jinja``); :func:`shape_of` turns those hints into a small tree of
:class:`Shape` objects, once per class. Cleaning a value walks that tree:

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
cannot read raises (strict) or is dropped (tolerant) instead of escaping as a raw exception.

Unions follow the generated dispatcher (``property_templates/union_property.py.jinja`` of the pinned
generator): members the generated code converts (models, enums, dates, lists, literals) are tried in the
declared order, then plain scalars. The pre-pass picks the member the generated code will pick, so the value
it hands over is clean for that member.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, Final

from tokenops import _shapes
from tokenops._errors import ResponseValidationError
from tokenops._shapes import DROP, Shape, violation, with_cleaned

__all__ = ["DROP", "Plan", "Unusable", "clean_object", "is_generated_model", "plan_for", "shape_of", "unusable_error"]


class Unusable(Exception):
    """Tolerant mode only: an object lacks a required property (or its value was unusable)."""

    def __init__(self, path: str, value: Any) -> None:
        super().__init__(path)
        self.path = path
        self.value = value


_MISSING: Final[Any] = object()


class Plan:
    """One generated model class as the pre-pass sees it (computed once per class)."""

    def __init__(self, model: type[Any], hints: Mapping[str, Any]) -> None:
        self.model = model
        self.fields: dict[str, _shapes.Slot] = {}
        self.required: list[str] = []
        self.opaque: list[str] = []
        for attribute, json_name in model._JSON_NAMES.items():
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
    """The cleaning plan of a generated model class, from its type hints (cached)."""
    plan = _PLANS.get(model)
    if plan is None:
        # Hints name models imported lazily (TYPE_CHECKING) in the generated module: resolve them in the
        # generated package's `models` namespace, whichever package that is.
        generated = next(klass for klass in model.__mro__ if "_JSON_NAMES" in vars(klass))
        models = sys.modules.get(generated.__module__.rpartition(".")[0])
        hints = typing.get_type_hints(model, localns=vars(models) if models is not None else None)
        order: dict[str, tuple[str, ...]] = getattr(model, "_UNION_ORDER", {})
        if order:
            namespace = {**vars(sys.modules[generated.__module__]), **(vars(models) if models is not None else {})}
            hints = {name: _in_spec_order(hint, order.get(name), namespace) for name, hint in hints.items()}
        _PLANS[model] = plan = Plan(model, hints)
    return plan


def _in_spec_order(hint: Any, order: tuple[str, ...] | None, namespace: dict[str, Any]) -> Any:
    """``hint`` with its union members in the order ``from_dict`` tries them.

    The generator writes a union's type hint sorted by name (``list[float] | list[int | str]``) but its
    dispatcher tries the members in the spec's order; ``_UNION_ORDER`` (templates/model.py.jinja) keeps that
    order as type expressions. A member the order does not name keeps its place after the named ones.
    """
    if order is None or typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return hint
    try:
        ranked = [eval(text, namespace) for text in order]  # noqa: S307 - type expressions the generator wrote
    except Exception:  # an expression this namespace cannot resolve: keep the hint's order
        return hint
    ranked = [type(None) if member is None else member for member in ranked]

    def rank(arg: Any) -> int:
        return next((index for index, member in enumerate(ranked) if member == arg), len(ranked))

    return typing.Union[tuple(sorted(typing.get_args(hint), key=rank))]  # noqa: UP007 - built from a tuple


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
        except Exception:
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
        except Exception as exc:  # any failure of the generated code is its verdict on the value
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
