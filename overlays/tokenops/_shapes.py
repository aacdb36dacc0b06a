"""The shapes the tolerance pre-pass knows: one small class per kind of Python type the generator emits.

Each :class:`Shape` says what the pre-pass checks before the generated ``from_dict`` converts a JSON value
(``clean``), whether the generated union dispatcher would pick it for a value (``accepts``), and how the
generated code converts a clean value (``build``, used for top-level bodies only). See
:mod:`tokenops._tolerance` for how shapes are derived from the generated classes.
"""

from __future__ import annotations

import datetime
import enum
import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from tokenops._errors import ResponseValidationError

__all__ = [
    "DROP",
    "FORMATS",
    "NULL",
    "PLAIN",
    "DictShape",
    "EnumShape",
    "ListShape",
    "LiteralShape",
    "Opaque",
    "Shape",
    "Slot",
    "UnionShape",
    "enum_shape",
    "violation",
    "with_cleaned",
]

_INT_RE = re.compile(r"-?\d{1,18}")


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Final[Any] = _Drop()
"""What tolerant cleaning returns for a value it cannot use: the caller leaves it out."""


def with_cleaned(out: dict[str, Any] | None, original: Mapping[str, Any], key: str, cleaned: Any) -> dict[str, Any]:
    """Copy on write: ``out`` (a copy of ``original``, made at the first change) with ``key`` set to ``cleaned``,
    or removed when it is :data:`DROP`."""
    if out is None:
        out = dict(original)
    if cleaned is DROP:
        del out[key]
    else:
        out[key] = cleaned
    return out


def violation(path: str, value: Any, why: str) -> ResponseValidationError:
    """The error strict mode raises: ``field '<json path>' <why> (got <value>)``."""
    return ResponseValidationError(f"field '{path}' {why} (got {value!r:.80})", field=path, value=value)


class Shape:
    """How the generated code reads one Python type, and what the pre-pass checks before it does."""

    name: str = "value"
    expected: str = "a JSON value"
    constructed: bool = True  # the generated code converts the value (unions try these before plain scalars)
    exact: type | None = None  # values of exactly this type ...
    known: frozenset[Any] | None = None  # ... (and in this set, when given) are clean as they are

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        """Return ``value`` (or a cleaned copy, or :data:`DROP` when tolerant); raise when strict."""
        return value

    def accepts(self, value: Any) -> bool:
        """Would the generated conversion pick this type for ``value``? (union dispatch; clean values only)"""
        return True

    def build(self, value: Any) -> Any:
        """Convert a clean JSON value as the generated code does (for top-level bodies, see ``parse_model``)."""
        return value


class AnyShape(Shape):
    name, expected, constructed = "any", "any JSON value", False


class Opaque(Shape):
    """A type the pre-pass does not know: left to the generated code (models are probed, see ``_probe``)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.name = self.expected = getattr(target, "__name__", repr(target))

    def accepts(self, value: Any) -> bool:
        return False

    def build(self, value: Any) -> Any:
        raise TypeError(f"parse_model cannot build {self.name} from JSON")


class NullShape(Shape):
    name, expected, constructed = "null", "null", False

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if value is None:
            return None
        if strict:
            raise violation(path, value, "must be null")
        return DROP


class _Int(Shape):
    name, expected, constructed, exact = "integer", "an integer", False, int

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is int:
            return value
        if strict:
            raise violation(path, value, "must be an integer")
        if type(value) is float and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value.strip())
        return DROP


class _Str(Shape):
    name, expected, constructed, exact = "string", "a string", False, str

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if isinstance(value, str):
            return value
        if strict:
            raise violation(path, value, "must be a string")
        return str(value) if type(value) is int or (type(value) is float and math.isfinite(value)) else DROP


class _Float(Shape):
    name, expected, constructed, exact = "number", "a number", False, float

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is float or type(value) is int:
            return value
        if strict:
            raise violation(path, value, "must be a number")
        return DROP


class _Bool(Shape):
    name, expected, constructed, exact = "boolean", "a boolean", False, bool

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is bool:
            return value
        if strict:
            raise violation(path, value, "must be a boolean")
        return DROP


PLAIN: Final[dict[Any, Shape]] = {int: _Int(), str: _Str(), float: _Float(), bool: _Bool(), Any: AnyShape()}
NULL: Final = NullShape()


class EnumShape(Shape):
    """A generated ``StrEnum``/``IntEnum``: unknown values become pseudo-members (templates/*_enum.py.jinja)."""

    def __init__(self, target: type[enum.Enum], base: Shape) -> None:
        self.target = target
        self.base = base
        self.exact = base.exact
        self.values = self.known = frozenset(member.value for member in target)
        self.name = target.__name__
        allowed = ", ".join(repr(member.value) if base.exact is str else str(member.value) for member in target)
        self.expected = f"one of {allowed}"
        self._allowed = ", ".join(str(member.value) for member in target)
        # templates/str_enum.py.jinja and int_enum.py.jinja give unknown values a pseudo-member (_missing_).
        self.keeps_unknown = "_missing_" in vars(target)

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is not self.exact:
            if strict:
                raise violation(path, value, f"must be {self.base.expected} enum value")
            # An integral "2" or 2.0 is the integer 2; a number is never a string enum value.
            value = self.base.clean(value, path, strict) if self.exact is int else DROP
            if value is DROP:
                return DROP
        if value in self.values:
            return value
        if strict:
            raise violation(path, value, f"is not one of the values the spec allows ({self._allowed})")
        return value if self.keeps_unknown else DROP

    def accepts(self, value: Any) -> bool:
        return type(value) is self.exact and value in self.values

    def build(self, value: Any) -> Any:
        return self.target(value)


def enum_shape(hint: Any) -> EnumShape | None:
    """The shape of a generated ``StrEnum`` or ``IntEnum`` class; None for anything else."""
    mro = getattr(hint, "__mro__", ())
    base = next((base for base in (str, int) if base in mro), None) if enum.Enum in mro else None
    return EnumShape(hint, PLAIN[base]) if base is not None else None


class FormatShape(Shape):
    """A string the generated code parses (``format: date-time``, ``date``, ``uuid``)."""

    def __init__(self, parse: Callable[[str], Any], name: str, expected: str) -> None:
        self.parse = parse
        self.name = name
        self.expected = expected

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            self.parse(value)
        except ValueError:
            return False
        return True

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if self.accepts(value):
            return value
        if strict:
            raise violation(path, value, f"must be {self.expected}")
        return DROP

    def build(self, value: Any) -> Any:
        return self.parse(value)


# How the pinned generator's property templates turn a string into these types (datetime/date/uuid_property).
FORMATS: Final[dict[Any, FormatShape]] = {
    datetime.datetime: FormatShape(datetime.datetime.fromisoformat, "date-time", "an ISO 8601 date-time string"),
    datetime.date: FormatShape(datetime.date.fromisoformat, "date", "an ISO 8601 date string"),
    uuid.UUID: FormatShape(uuid.UUID, "uuid", "a UUID string"),
}


class LiteralShape(Shape):
    """``const`` (and literal enums): exactly these values."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.name = self.expected = " | ".join(repr(value) for value in values)

    def accepts(self, value: Any) -> bool:
        return any(type(value) is type(allowed) and value == allowed for allowed in self.values)

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if self.accepts(value):
            return value
        if strict:
            raise violation(path, value, f"must be {self.expected}")
        return DROP


class Slot:
    """A value inside a container: its shape, whether ``null`` is allowed, and the fast path."""

    __slots__ = ("exact", "known", "nullable", "shape")

    def __init__(self, shape: Shape, nullable: bool) -> None:
        self.shape = shape
        self.nullable = nullable
        self.exact = shape.exact
        self.known = shape.known

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is self.exact and (self.known is None or value in self.known):
            return value
        if value is None:
            if self.nullable:
                return None
            if strict:
                raise violation(path, value, "is null, which the spec does not allow")
            return DROP
        return self.shape.clean(value, path, strict)

    def accepts(self, value: Any) -> bool:
        return self.nullable if value is None else self.shape.accepts(value)

    def build(self, value: Any) -> Any:
        return None if value is None else self.shape.build(value)


class ListShape(Shape):
    constructed, name, expected = True, "array", "a JSON array"

    def __init__(self, item: Slot) -> None:
        self.item = item
        self.name = f"list[{item.shape.name}]"

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if type(value) is not list:
            if strict:
                raise violation(path, value, "must be an array")
            return DROP
        clean_item = self.item.clean
        out: list[Any] | None = None
        for index, item in enumerate(value):
            cleaned = clean_item(item, f"{path}[{index}]", strict)
            if out is None:
                if cleaned is item:
                    continue
                out = value[:index]
            if cleaned is not DROP:
                out.append(cleaned)
        return value if out is None else out

    def accepts(self, value: Any) -> bool:
        return type(value) is list and all(self.item.accepts(item) for item in value)

    def build(self, value: Any) -> Any:
        return [self.item.build(item) for item in value]


class DictShape(Shape):
    constructed, name, expected = True, "object", "a JSON object"

    def __init__(self, item: Slot) -> None:
        self.item = item
        self.name = f"dict[str, {item.shape.name}]"

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        if not isinstance(value, Mapping):
            if strict:
                raise violation(path, value, "must be an object")
            return DROP
        prefix = f"{path}." if path else ""
        out: dict[str, Any] | None = None
        for key, item in value.items():
            cleaned = self.item.clean(item, prefix + key, strict)
            if cleaned is not item:
                out = with_cleaned(out, value, key, cleaned)
        return value if out is None else out

    def accepts(self, value: Any) -> bool:
        return isinstance(value, dict)

    def build(self, value: Any) -> Any:
        return {key: self.item.build(item) for key, item in value.items()}


class UnionShape(Shape):
    """``A | B``: the member the generated dispatcher picks, checked as that member."""

    def __init__(self, members: list[Shape]) -> None:
        # The generated _parse_<name> tries converted members in order, then casts to the plain ones.
        self.members = [m for m in members if m.constructed] + [m for m in members if not m.constructed]
        self.constructed = any(m.constructed for m in members)
        self.name = " | ".join(member.name for member in members)
        self.expected = f"one of {self.name}"

    def _taken_earlier(self, index: int, value: Any) -> Shape | None:
        return next((m for m in self.members[:index] if m.constructed and m.accepts(value)), None)

    def resolve(self, value: Any, path: str, strict: bool) -> tuple[Shape | None, Any]:
        """The member the generated code will use for ``value`` and the value cleaned for it."""
        reasons: list[str] = []
        for index, member in enumerate(self.members):
            try:
                cleaned = member.clean(value, path, True)
            except ResponseValidationError as exc:
                reasons.append(f"{member.name}: {str(exc).split(' (got ', 1)[0]}")
                continue
            earlier = self._taken_earlier(index, cleaned)
            if earlier is None:
                return member, cleaned
            if strict:
                raise violation(
                    path, value, f"is a valid {member.name} but the generated model reads it as {earlier.name}"
                )
            break
        else:
            if strict:
                raise violation(path, value, f"matches none of {self.name} ({'; '.join(reasons)})")
        for index, member in enumerate(self.members):
            cleaned = member.clean(value, path, False)
            if cleaned is not DROP and self._taken_earlier(index, cleaned) is None:
                return member, cleaned
        return None, DROP

    def clean(self, value: Any, path: str, strict: bool) -> Any:
        return self.resolve(value, path, strict)[1]

    def accepts(self, value: Any) -> bool:
        # A plain member means the generated dispatcher ends in a cast, which takes any value.
        return any(not member.constructed or member.accepts(value) for member in self.members)

    def build(self, value: Any) -> Any:
        member, cleaned = self.resolve(value, "", False)
        if member is None:
            raise TypeError(f"no member of {self.name} reads {value!r:.80}")
        return member.build(cleaned)
