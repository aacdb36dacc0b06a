"""``Video`` and ``VideoStatus``: the generated model made pleasant; ``parse_model``/``parse_video``.

The spec stays the single source of the fields: :class:`Video` subclasses the generated
``VideoStatusResponse`` and adds only derived conveniences. Every body is parsed by the generated
``from_dict`` after the tolerance pre-pass of :mod:`tokenops._tolerance`, which derives what it checks from
the generated classes' type hints and ``_JSON_NAMES`` (``templates/model.py.jinja``): there is no second list
of fields or types here, so a field the generator learns (a date-time, a list of models) is parsed for free.

Tolerant mode (the default) never raises on a JSON object: unknown enum values are kept as pseudo-members,
``null`` reads as absent, unknown fields are kept in ``additional_properties``, and values of the wrong
JSON type are coerced when unambiguous (``"50"`` or ``50.0`` for an integer) or else dropped (still
visible in :attr:`Video.raw`). Strict mode raises :class:`ResponseValidationError` on the first of those.
The one exception in tolerant mode: an object that lacks a property the spec marks ``required`` cannot be
built, and raises.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs

from tokenops import _tolerance
from tokenops._errors import ResponseValidationError
from tokenops_client.models import OpenAIVideoError, VideoStatusResponse
from tokenops_client.types import UNSET, Unset

__all__ = ["Video", "VideoStatus", "parse_model", "parse_video"]

T = typing.TypeVar("T")

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


_STATUS_BY_VALUE: Mapping[str, VideoStatus] = VideoStatus._value2member_map_  # type: ignore[assignment]


def _to_video_status(value: object) -> VideoStatus | Unset:
    if isinstance(value, Unset):
        return value
    # The generated enum's members are str: a dict lookup finds the known ones (the hot path) without a call.
    known = _STATUS_BY_VALUE.get(value) if isinstance(value, str) else None
    return known or VideoStatus(str(value))


def _timestamp(value: int | Unset) -> datetime | None:
    if isinstance(value, Unset):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):  # out of the platform's range: keep the int, no datetime
        return None


# on_setattr=NO_OP: like the generated model (no hooks on assignment), so __init__ stays a plain assignment list.
@attrs.define(repr=False, on_setattr=attrs.setters.NO_OP)
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
    return ResponseValidationError(f"the generated {target} cannot read the body ({type(exc).__name__}: {exc})")


def _parse_object(model: type[Any], build: type[T], data: Any, strict: bool) -> T:
    """Pre-pass for the generated ``model``, then ``build.from_dict`` (``build`` is ``model`` or a subclass)."""
    if not isinstance(data, Mapping):
        raise _body_error(data, "a JSON object")
    try:
        cleaned = _tolerance.clean_object(_tolerance.plan_for(model), data, "", strict)
    except _tolerance.Unusable as exc:
        raise _tolerance.unusable_error(exc) from None
    try:
        return build.from_dict(cleaned)  # type: ignore[attr-defined, no-any-return]
    except Exception as exc:
        raise _generated_failure(model.__name__, exc) from exc


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
    video = _parse_object(VideoStatusResponse, Video, data, strict)
    video._raw = data
    return video


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
    if _tolerance.is_generated_model(target):
        return _parse_object(target, target, data, strict)
    shape, nullable = _tolerance.shape_of(target)
    if data is None:
        if nullable or shape.expected == "null":
            return None
        raise _body_error(data, shape.expected)
    try:
        cleaned = shape.clean(data, "", strict)
        if cleaned is _tolerance.DROP:  # tolerant, and nothing of the body is usable: say why, as strict would
            shape.clean(data, "", True)
    except ResponseValidationError as exc:
        raise _top_level_error(data, shape.expected, exc) from None
    if cleaned is _tolerance.DROP:  # pragma: no cover - every shape's strict clean raises where tolerant drops
        raise _body_error(data, shape.expected)
    try:
        return shape.build(cleaned)
    except Exception as exc:
        raise _generated_failure(shape.name, exc) from exc
