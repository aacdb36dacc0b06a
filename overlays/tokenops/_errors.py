"""The one error tree of the ``tokenops`` package. Nothing else escapes a call: not httpx's, not the generator's.

::

    TokenOpsError
    ├── ConfigurationError            missing/invalid api_key or base_url (raised at construction)
    ├── APIConnectionError            the request did not get a response (DNS, refused, reset, TLS, ...)
    │   └── APITimeoutError           connect/read/write/pool timeout
    ├── APIStatusError                a non-2xx response: status_code, body, request_id, response
    │   ├── BadRequestError           400 (and other 4xx without a class of their own)
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── RateLimitError            429
    │   └── InternalServerError       >= 500 (including non-IANA codes such as 520 or 599)
    ├── ResponseValidationError       2xx body that is not JSON / not an object / violates the spec in strict mode
    ├── VideoGenerationFailed         wait(): the job ended in ``failed`` (carries the video and its error)
    └── WaitTimeout                   wait(): the deadline passed first (carries the last video seen)

Messages never contain the API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tokenops._models import Video

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "TokenOpsError",
    "VideoGenerationFailed",
    "WaitTimeout",
]


class TokenOpsError(Exception):
    """Base class of every error raised by ``tokenops``."""


class ConfigurationError(TokenOpsError):
    """The client cannot be configured: a required setting is missing or invalid."""


class APIConnectionError(TokenOpsError):
    """No response was received. ``request`` is the request that was attempted."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APIStatusError(TokenOpsError):
    """The server answered with a non-success status code.

    Attributes:
        status_code: the HTTP status code (any integer the server sent, e.g. 520).
        body: the decoded JSON body when it was JSON, else the text (truncated), else ``None``.
        request_id: the ``x-request-id`` response header, when present.
        response: the :class:`httpx.Response`.
        error_message / error_type / error_code: the OpenAI-style ``{"error": {...}}`` fields, when present.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id: str | None = response.headers.get("x-request-id")
        error = body.get("error") if isinstance(body, dict) else None
        fields = error if isinstance(error, dict) else {}
        self.error_message: str | None = _str_or_none(fields.get("message"))
        self.error_type: str | None = _str_or_none(fields.get("type"))
        self.error_code: str | None = _str_or_none(fields.get("code"))


class BadRequestError(APIStatusError):
    """400, and any other 4xx status without a class of its own."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no video with that id (or the wrong base URL)."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """Any status >= 500, including non-IANA codes such as 520 or 599."""


class ResponseValidationError(TokenOpsError):
    """A success response whose body cannot be used.

    Attributes:
        field: dotted JSON path of the offending field, or ``None`` when the whole body is the problem.
        value: the offending value (or the first bytes of the body).
        response: the :class:`httpx.Response`, when there was one.
    """

    def __init__(
        self, message: str, *, field: str | None = None, value: Any = None, response: httpx.Response | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.response = response


class VideoGenerationFailed(TokenOpsError):
    """``wait()`` saw the job end in ``failed``. ``video`` is that final state; ``code``/``message`` its error."""

    def __init__(self, video: Video) -> None:
        self.video = video
        self.code: str | None = video.error_code
        self.message: str | None = video.error_message
        detail = ": ".join(part for part in (self.code, self.message) if part) or "no error details"
        super().__init__(f"video {video.id} failed ({detail})")


class WaitTimeout(TokenOpsError):
    """``wait()`` reached its deadline first. ``last_video`` is the last state seen (``None`` if none was)."""

    def __init__(self, video_id: str, timeout: float, last_video: Video | None) -> None:
        self.video_id = video_id
        self.timeout = timeout
        self.last_video = last_video
        state = "no response yet" if last_video is None else f"last status {last_video.status_text}"
        if last_video is not None and isinstance(last_video.progress, int):
            state += f", progress {last_video.progress}%"
        super().__init__(f"video {video_id} did not finish within {timeout:g}s ({state})")


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The class for any status code, documented or not."""
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:  # noqa: PLR2004 - the 5xx boundary, including non-IANA 520/599
        return InternalServerError
    if 400 <= status_code < 500:  # noqa: PLR2004
        return BadRequestError
    return APIStatusError


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
