"""The one error tree of the ``tokenops`` package. Nothing else escapes a call: not httpx's, not the generator's.

::

    TokenOpsError
    ├── ConfigurationError            missing/invalid api_key, base_url or option (raised at construction)
    ├── InvalidArgumentError          an invalid per-call argument (also a ValueError); no request was made
    ├── ClientClosedError             the client was closed before the call
    ├── APIError                      anything about one request: .request (method, URL; no secrets), .body
    │   ├── APIConnectionError        the request did not get a response (DNS, refused, reset, TLS, ...)
    │   │   └── APITimeoutError       connect/read/write/pool timeout, the call's deadline, or a 408 (below)
    │   ├── APIStatusError            a non-2xx response: status_code, body, request_id, headers, response
    │   │   ├── BadRequestError           400
    │   │   ├── AuthenticationError       401
    │   │   ├── PermissionDeniedError     403
    │   │   ├── NotFoundError             404
    │   │   ├── RequestTimeoutError       408 (also an APITimeoutError: ``except APITimeoutError`` catches it)
    │   │   ├── ConflictError             409
    │   │   ├── UnprocessableEntityError  422
    │   │   ├── RateLimitError            429
    │   │   └── InternalServerError       >= 500 (including non-IANA codes such as 520 or 599)
    │   └── ResponseValidationError   2xx body that is not JSON / not an object / violates the spec in strict mode
    ├── VideoGenerationFailed         wait(): the job ended in ``failed`` (carries the video and its error)
    ├── WaitTimeout                   wait(): the deadline passed first (carries the last video seen)
    └── PaginationError               a list's server would lead the walk in circles: a cursor that repeats or
                                      points backwards, an empty page that says more follow (carries the cursor)

Other statuses (3xx not followed, 402, 405, 410, ...) raise a plain :class:`APIStatusError`. Messages and
``request.url`` never contain the API key (a ``base_url`` with a password is refused at construction).
:func:`status_error` and :func:`connection_error` map a response, or what the driver caught, onto the tree.

:class:`TokenOpsWarning` (a ``UserWarning``) is the one warning: something tolerated that strict mode raises.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from tokenops.redaction import redact, redact_json

if TYPE_CHECKING:
    from tokenops._models import Video

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "TokenOpsError",
    "TokenOpsWarning",
    "UnprocessableEntityError",
    "VideoGenerationFailed",
    "WaitTimeout",
    "connection_error",
    "public_request",
    "status_error",
]


class TokenOpsError(Exception):
    """Base class of every error raised by ``tokenops``."""


class TokenOpsWarning(UserWarning):
    """Something the tolerant client accepted but you should know about (strict mode raises instead)."""


class ConfigurationError(TokenOpsError):
    """The client cannot be configured: a required setting is missing or invalid."""


class InvalidArgumentError(TokenOpsError, ValueError):
    """A per-call argument is invalid (an empty id, ``timeout=-1``, ...). No request was sent."""


class ClientClosedError(TokenOpsError):
    """The client (or the ``http_client`` it was given) was closed before this call."""


class APIError(TokenOpsError):
    """An error about one request.

    Attributes:
        request: the :class:`httpx.Request` that was sent or attempted (``request.method``, ``request.url``);
            ``None`` only for a :class:`ResponseValidationError` raised outside a call (``parse_model``).
        body: the decoded error body (JSON value, else text), or ``None`` when there was none.
    """

    request: httpx.Request | None
    body: Any

    def __init__(self, message: str, *, request: httpx.Request | None, body: Any = None) -> None:
        super().__init__(redact(message))
        self.request = public_request(request)
        self.body = body


def public_request(request: httpx.Request | None) -> httpx.Request | None:
    """``request`` as errors show it: a copy with every registered secret (a key in the query, a header) redacted,
    or ``request`` itself when it carries none (the usual case: the key travels in the pool's own headers)."""
    if request is None:
        return None
    url = str(request.url)
    shown_url = redact(url)
    headers = [(name, redact(value)) for name, value in request.headers.multi_items()]
    if shown_url == url and all(
        value == original for (_, value), (_, original) in zip(headers, request.headers.multi_items(), strict=True)
    ):
        return request
    return httpx.Request(request.method, shown_url, headers=headers, extensions=request.extensions)


class APIConnectionError(APIError):
    """No response was received. ``request`` is the request that was attempted."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request) -> None:
        APIError.__init__(self, message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool), the call's deadline left no time, or a 408."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request) -> None:
        APIError.__init__(self, message, request=request)


class APIStatusError(APIError):
    """The server answered with a non-success status code.

    Attributes:
        status_code: the HTTP status code (any integer the server sent, e.g. 520).
        body: the decoded JSON body when it was JSON, else the text (truncated), else ``None``.
        request_id: the ``x-request-id`` response header, when present.
        headers: the response headers.
        response: the :class:`httpx.Response` (its body already read).
        error_message / error_type / error_code: the OpenAI-style ``{"error": {...}}`` fields, when present.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        APIError.__init__(self, message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.request_id: str | None = response.headers.get("x-request-id")
        error = body.get("error") if isinstance(body, dict) else None
        fields = error if isinstance(error, dict) else {}
        self.error_message: str | None = _str_or_none(fields.get("message"))
        self.error_type: str | None = _str_or_none(fields.get("type"))
        self.error_code: str | None = _str_or_none(fields.get("code"))


class BadRequestError(APIStatusError):
    """400: the request is malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource (or the wrong base URL)."""


class RequestTimeoutError(APIStatusError, APITimeoutError):
    """408: the server timed out waiting for the request. Also an :class:`APITimeoutError`."""

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        APIStatusError.__init__(self, message, response=response, body=body)


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed but semantically invalid."""


class RateLimitError(APIStatusError):
    """429: too many requests (``Retry-After`` is in ``headers``)."""


class InternalServerError(APIStatusError):
    """Any status >= 500, including non-IANA codes such as 520 or 599."""


class ResponseValidationError(APIError):
    """A success response whose body cannot be used.

    Attributes:
        field: dotted JSON path of the offending field, or ``None`` when the whole body is the problem.
        value: the offending value (or the first bytes of the body).
        response: the :class:`httpx.Response`, when there was one (``request`` is its request).
    """

    def __init__(
        self, message: str, *, field: str | None = None, value: Any = None, response: httpx.Response | None = None
    ) -> None:
        APIError.__init__(self, message, request=None)
        self.field = field
        self.value = value
        self.response: httpx.Response | None = None
        if response is not None:
            self.attach(response)

    def attach(self, response: httpx.Response) -> None:
        """Record the response (and its request) this error is about."""
        self.response = response
        self.request = public_request(response.request)


class VideoGenerationFailed(TokenOpsError):
    """``wait()`` saw the job end in ``failed``. ``video`` is that final state; ``code``/``message`` its error."""

    def __init__(self, video: Video) -> None:
        self.video = video
        self.code: str | None = video.error_code
        self.message: str | None = video.error_message
        detail = ": ".join(part for part in (self.code, self.message) if part) or "no error details"
        super().__init__(f"video {video.id} failed ({detail})")


class WaitTimeout(TokenOpsError):
    """``wait()`` reached its deadline first.

    Attributes:
        last_video: the last state seen (``None`` if none was).
        last_error: the last transient error polled through since then (e.g. connection refused), if any.
    """

    def __init__(
        self, video_id: str, timeout: float, last_video: Video | None, last_error: TokenOpsError | None = None
    ) -> None:
        self.video_id = video_id
        self.timeout = timeout
        self.last_video = last_video
        self.last_error = last_error
        state = "no response yet" if last_video is None else f"last status {last_video.status_text}"
        if last_video is not None and isinstance(last_video.progress, int):
            state += f", progress {last_video.progress}%"
        if last_error is not None:
            state += f"; last error: {last_error}"
        super().__init__(f"video {video_id} did not finish within {timeout:g}s ({state})")


class PaginationError(TokenOpsError):
    """Walking a list's pages stopped: the server answered in a way that would loop or repeat items forever.

    Raised for a next cursor already used for another page of the walk (``has_more: true`` with the same cursor
    forever), a cursor naming an item of an earlier page (pointing backwards), an empty page that says more pages
    follow, or ``has_more: true`` without a cursor to continue from.

    Attributes:
        operation: the list operation (its operationId or generated name).
        cursor: the cursor at fault (the one returned, or the one the empty page was requested with).
        page: the index (0 = first) of the page whose answer stopped the walk.
        request: the request of that page (no secrets), when there was one.
    """

    def __init__(
        self, message: str, *, operation: str, cursor: str | None, page: int, response: httpx.Response | None = None
    ) -> None:
        super().__init__(redact(f"{operation}: page {page}: {message}"))
        self.operation = operation
        self.cursor = cursor
        self.page = page
        self.request = public_request(response.request) if response is not None else None


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The class for any status code, documented or not."""
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:  # noqa: PLR2004 - the 5xx boundary, including non-IANA 520/599
        return InternalServerError
    return APIStatusError


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _decode_body(response: httpx.Response) -> Any:
    try:
        return redact_json(json.loads(response.content))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None if not response.content else redact(response.text[:1000])
    except RecursionError:
        return redact(response.text[:1000])


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx response (body read), for any status code."""
    body = _decode_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("message") if isinstance(error, dict) else None
    if detail is None:
        detail = error if isinstance(error, str) else (body if isinstance(body, str) else None)
    message = f"Error code: {response.status_code}"
    if detail:
        message += f" - {str(detail)[:300]}"
    if 300 <= response.status_code < 400 and "location" in response.headers:  # noqa: PLR2004
        message += f" (redirect to {response.headers['location']} not followed)"
    return status_error_class(response.status_code)(redact(message), response=response, body=body)


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    for marker, reason in (("refused", "connection refused"), ("reset", "connection reset")):
        if marker in text.lower():
            return reason
    return text


def connection_error(error: Exception, request: httpx.Request | None, method: str, url: str) -> TokenOpsError:
    """The error for a request that got no usable response: ``error`` is what the driver caught.

    The message names the method and URL (``request``'s when it was built, else ``method`` and ``url``).
    """
    request = request or httpx.Request(method, url)
    if isinstance(error, TokenOpsError):
        return error
    where = f"{request.method} {request.url}"
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(error).__name__}): {where}", request=request)
    if isinstance(error, httpx.DecodingError):
        failed = ResponseValidationError(f"response body could not be decoded: {redact(str(error))[:200]}")
        failed.request = public_request(request)
        return failed
    detail = redact(_reason(error))[:200]
    return APIConnectionError(f"Connection error ({type(error).__name__}: {detail}): {where}", request=request)
