"""``Video`` and ``VideoStatus``: the generated model made pleasant, plus tolerant and strict parsing.

The spec stays the single source of the fields: :class:`Video` subclasses the generated
``VideoStatusResponse`` and adds only derived conveniences. Parsing is driven by the generated classes'
type hints and ``_JSON_NAMES`` (see ``templates/model.py.jinja``), never by a second list of fields.

Tolerant mode (the default) never raises on a JSON object: unknown enum values are kept as the raw string,
``null`` reads as absent, unknown fields are kept in ``additional_properties``, and values of the wrong
JSON type are coerced when unambiguous (``"50"`` or ``50.0`` for an integer) or else dropped (still
visible in :attr:`Video.raw`). Strict mode raises :class:`ResponseValidationError` on the first of those.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs

import tokenops_client.models
from tokenops._errors import ResponseValidationError
from tokenops_client.models import OpenAIVideoError, VideoStatusResponse
from tokenops_client.types import UNSET, Unset

__all__ = ["Video", "VideoStatus", "parse_model", "parse_video"]

T = typing.TypeVar("T")

_INT_RE = re.compile(r"-?\d{1,18}")
_NO_RAW: Mapping[str, Any] = MappingProxyType({})


class VideoStatus(enum.StrEnum):
    """A job's status. Knows the spec's values plus ``queued`` (OpenAI's name for pending).

    Any other string becomes a pseudo-member carrying the raw value (``is_known`` is False): it is
    neither pending nor terminal, so waiting on it keeps polling.
    """

    PENDING = "pending"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"

    @classmethod
    def _missing_(cls, value: object) -> VideoStatus | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value this version of the client has never heard of."""
        return self._value_ in type(self)._value2member_map_

    @property
    def is_pending(self) -> bool:
        """``pending`` or ``queued``."""
        return self._value_ in ("pending", "queued")

    @property
    def is_terminal(self) -> bool:
        """``completed`` or ``failed``; unknown values are not terminal."""
        return self._value_ in ("completed", "failed")


def _to_video_status(value: object) -> VideoStatus | Unset:
    if isinstance(value, Unset):
        return value
    return VideoStatus(str(value))


def _timestamp(value: int | Unset) -> datetime | None:
    if isinstance(value, Unset):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):  # out of the platform's range: keep the int, no datetime
        return None


@attrs.define(repr=False)
class Video(VideoStatusResponse):
    """A video-generation job as returned by ``GET /v1/videos/{video_id}``.

    All fields come from the spec's ``VideoStatusResponse`` (absent ones are ``UNSET``, which is falsy);
    unknown fields are in ``additional_properties`` (also ``video["name"]``). ``status`` is a
    :class:`VideoStatus`, so ``video.status is VideoStatus.COMPLETED`` works.
    """

    # VideoStatus is the spec's status enum widened by `queued`: same values, same str behaviour.
    status: VideoStatus | Unset = attrs.field(default=UNSET, converter=_to_video_status)  # type: ignore[assignment]
    _raw: Mapping[str, Any] = attrs.field(default=_NO_RAW, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        fields = [
            f"{name}={value!r}" if not isinstance(value, enum.Enum) else f"{name}={value.value!r}"
            for name, value in ((a.name, getattr(self, a.name)) for a in attrs.fields(type(self)) if a.repr)
            if not isinstance(value, Unset) and value != {}
        ]
        return f"Video({', '.join(fields)})"

    @property
    def raw(self) -> Mapping[str, Any]:
        """The JSON object exactly as received (before any tolerant coercion)."""
        return self._raw

    @property
    def status_text(self) -> str:
        """The status as a plain string, ``"unknown"`` when the server sent none."""
        return "unknown" if isinstance(self.status, Unset) else str(self.status)

    @property
    def is_terminal(self) -> bool:
        """True for ``completed`` and ``failed``; False for anything else, including unknown statuses."""
        return not isinstance(self.status, Unset) and self.status.is_terminal

    @property
    def is_pending(self) -> bool:
        """True for ``pending`` and ``queued``."""
        return not isinstance(self.status, Unset) and self.status.is_pending

    @property
    def created_at_datetime(self) -> datetime | None:
        """``created_at`` as an aware UTC datetime, or None when absent."""
        return _timestamp(self.created_at)

    @property
    def completed_at_datetime(self) -> datetime | None:
        """``completed_at`` as an aware UTC datetime, or None when absent."""
        return _timestamp(self.completed_at)

    @property
    def expires_at_datetime(self) -> datetime | None:
        """``expires_at`` as an aware UTC datetime, or None when absent."""
        return _timestamp(self.expires_at)

    @property
    def error_code(self) -> str | None:
        """``error.code`` when the job carries an error."""
        if isinstance(self.error, OpenAIVideoError) and isinstance(self.error.code, str):
            return self.error.code
        return None

    @property
    def error_message(self) -> str | None:
        """``error.message``; also the raw ``error`` when a server sent it as a bare string."""
        if isinstance(self.error, OpenAIVideoError) and isinstance(self.error.message, str):
            return self.error.message
        raw_error = self._raw.get("error")
        return raw_error if isinstance(raw_error, str) else None


# --- parsing -------------------------------------------------------------------------------------------------

# (kind, target class or None, attribute name); kind is "int" | "str" | "float" | "bool" | "enum" | "model" | "any".
# Once cached, the kind name is replaced by its coercion function (see _COERCE).
_Kind = tuple[Any, Any, str]


_KINDS_CACHE: dict[type[Any], dict[str, _Kind]] = {}


def _field_kinds(model: type[Any]) -> dict[str, _Kind]:
    """JSON property name -> what the generated model expects there, from its type hints (computed once)."""
    cached = _KINDS_CACHE.get(model)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(model, localns=vars(tokenops_client.models))
    kinds: dict[str, _Kind] = {}
    for attribute, json_name in model._JSON_NAMES.items():
        options = [arg for arg in typing.get_args(hints[attribute]) or (hints[attribute],) if arg is not Unset]
        target = options[0] if len(options) == 1 else None
        if target is bool or target is int or target is float or target is str:
            kinds[json_name] = (target.__name__, None, attribute)
        elif isinstance(target, type) and issubclass(target, enum.Enum):
            kinds[json_name] = ("enum", target, attribute)
        elif isinstance(target, type) and hasattr(target, "_JSON_NAMES"):
            kinds[json_name] = ("model", target, attribute)
        else:
            kinds[json_name] = ("any", None, attribute)
    resolved = {name: (_COERCE[kind], target, attribute) for name, (kind, target, attribute) in kinds.items()}
    _KINDS_CACHE[model] = resolved
    return resolved


def _violation(path: str, value: Any, why: str) -> ResponseValidationError:
    return ResponseValidationError(f"field '{path}' {why} (got {value!r:.80})", field=path, value=value)


def _int(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    if type(value) is int:
        return True, value
    if strict:
        raise _violation(path, value, "must be an integer")
    if isinstance(value, float) and value.is_integer():
        return True, int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return True, int(value.strip())
    return False, None


def _str(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        return True, value
    if strict:
        raise _violation(path, value, "must be a string")
    return (True, str(value)) if type(value) in (int, float) else (False, None)


def _enum(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    if not isinstance(value, str):
        if strict:
            raise _violation(path, value, "must be a string enum value")
        return False, None
    if strict and value not in target._value2member_map_:
        allowed = ", ".join(str(member.value) for member in target)
        raise _violation(path, value, f"is not one of the values the spec allows ({allowed})")
    return True, target(value)  # unknown values become pseudo-members (templates/str_enum.py.jinja)


def _model(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    if isinstance(value, Mapping):
        return True, _build(target, value, f"{path}.", strict, target)
    if strict:
        raise _violation(path, value, "must be an object")
    return False, None


def _number(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    ok = type(value) in (int, float)
    if not ok and strict:
        raise _violation(path, value, "must be a number")
    return ok, value


def _bool(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    ok = type(value) is bool
    if not ok and strict:
        raise _violation(path, value, "must be a boolean")
    return ok, value


def _any(value: Any, path: str, strict: bool, target: Any) -> tuple[bool, Any]:
    return True, value


# kind -> (value, JSON path, strict, target class) -> (keep?, value to use); raises only in strict mode.
_COERCE = {"int": _int, "str": _str, "enum": _enum, "model": _model, "float": _number, "bool": _bool, "any": _any}


def _build(model: type[Any], data: Mapping[str, Any], prefix: str, strict: bool, construct: Callable[..., T]) -> T:
    """One pass over ``data``: check/coerce each known property as ``model`` (the spec) types it, keep the rest.

    Equivalent to the generated ``from_dict`` on the checked values, without a second pass over them.
    """
    kinds = _field_kinds(model)
    kwargs: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in data.items():
        kind = kinds.get(key)
        if kind is None:  # unknown field: kept as received
            extras[key] = value
        elif value is None:
            if strict:
                raise _violation(prefix + key, value, "is null, which the spec does not allow")
        else:
            keep, coerced = kind[0](value, prefix + key, strict, kind[1])
            if keep:
                kwargs[kind[2]] = coerced
    instance = construct(**kwargs)
    instance.additional_properties = extras  # type: ignore[attr-defined]
    return instance


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
    if not isinstance(data, Mapping):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
        raise ResponseValidationError(f"response body is {kind}, expected a JSON object", value=data)
    video = _build(VideoStatusResponse, data, "", strict, Video)
    video._raw = data
    return video


def parse_model(target: type[T], data: Any, *, strict: bool = False) -> T:
    """Build an instance of a generated model class ``target`` from a decoded JSON body.

    Args:
        target: a generated model class (``tokenops_client.models.*``).
        data: the decoded JSON value.
        strict: raise instead of tolerating what the spec does not allow.

    Returns:
        The parsed model.

    Raises:
        ResponseValidationError: ``data`` is not a JSON object, or (strict) a field violates the spec.
    """
    if target is VideoStatusResponse or target is Video:
        return parse_video(data, strict=strict)  # type: ignore[return-value]
    if not isinstance(data, Mapping):
        raise ResponseValidationError(f"response body is {type(data).__name__}, expected a JSON object", value=data)
    return _build(target, data, "", strict, target)
