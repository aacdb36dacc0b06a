"""``Video``, ``VideoStatus`` and the response a result came from (``ResponseInfo``, ``RawResponse``).

The spec stays the single source of the fields: :class:`Video` subclasses the generated
``VideoStatusResponse`` and adds only derived conveniences, and carries the response it was parsed from
(:func:`response_info`). Parsing (``parse_model``/``parse_video``) is in :mod:`tokenops._tolerance`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import attrs
import httpx

from tokenops_client.models import OpenAIVideoError, VideoStatusResponse, VideoStatusResponseStatus
from tokenops_client.types import UNSET, Unset

__all__ = ["RawResponse", "ResponseInfo", "Video", "VideoStatus", "carry_response", "drop_response", "response_info"]

T = TypeVar("T")

_NO_RAW: Mapping[str, Any] = MappingProxyType({})


@attrs.frozen
class ResponseInfo:
    """What the server said besides the body: reachable from a result with :func:`tokenops.response_info`.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers.
        request_id: the ``x-request-id`` header, when present.
        elapsed: time from sending the request to the end of the body.
        http_response: the :class:`httpx.Response` (its body read, except for downloads).
    """

    http_response: httpx.Response = attrs.field(repr=False)
    elapsed: timedelta

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        value: str | None = self.http_response.headers.get("x-request-id")
        return value

    @property
    def request(self) -> httpx.Request:
        return self.http_response.request


@attrs.frozen
class RawResponse(ResponseInfo, Generic[T]):
    """What ``with_raw_response`` methods return: the :class:`ResponseInfo` plus :meth:`parse`."""

    parsed: T = attrs.field(repr=False, default=None)

    def parse(self) -> T:
        """The result the plain method would have returned."""
        return self.parsed


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


# The generated from_dict hands over the generated enum's members: keyed by those very objects, the lookup finds each
# by identity (with plain str keys, a str subclass is compared character by character, on the dict's slow path).
_STATUS_OF_MEMBER: Mapping[object, VideoStatus] = {
    member: VideoStatus(member.value) for member in VideoStatusResponseStatus
}


def _to_video_status(value: object) -> VideoStatus | Unset:
    if type(value) is VideoStatusResponseStatus:  # the hot path: a known member from from_dict
        status = _STATUS_OF_MEMBER.get(value)
        if status is not None:
            return status
    if isinstance(value, Unset):
        return value
    # Other str values (a plain str, an unknown value's pseudo-member): a dict lookup finds the known ones.
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
    # The response this state was parsed from (response_info); None once a wait has reported a running state.
    _response: ResponseInfo | None = attrs.field(default=None, init=False, repr=False, eq=False)

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


def carry_response(result: object, info: ResponseInfo) -> None:
    """Hang ``info`` on ``result`` when it can carry one (a :class:`Video`); other results go without."""
    if isinstance(result, Video):
        result._response = info


def drop_response(result: object) -> None:
    """Let go of the response ``result`` carries (``wait_many``: a running state, once reported)."""
    if isinstance(result, Video):
        result._response = None


def response_info(result: object) -> ResponseInfo | None:
    """The response a result was parsed from: status, headers, request id, elapsed.

    Args:
        result: a value returned by a client method (a :class:`~tokenops.Video`, ...).

    Returns:
        Its :class:`ResponseInfo`, or ``None`` for values that carry none (not from a response, a running state
        a wait has reported, or a generated model other than ``Video``: use ``with_raw_response`` for those).
    """
    return result._response if isinstance(result, Video) else None
