"""Reading responses: the typed error for a non-2xx or a missing response, the parsed result of a 2xx, and the
response metadata (status, headers, request id, elapsed) kept for results and raw responses."""

from __future__ import annotations

import json
import typing
import weakref
from datetime import timedelta
from typing import Any, Generic, TypeVar

import attrs
import httpx

from tokenops._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseValidationError,
    TokenOpsError,
    status_error_class,
)
from tokenops._models import parse_model
from tokenops.redaction import redact, redact_json
from tokenops_client.types import Endpoint

__all__ = [
    "RawResponse",
    "ResponseInfo",
    "connection_error",
    "forget",
    "parse_result",
    "response_info",
    "status_error",
]

T = TypeVar("T")


@attrs.frozen
class ResponseInfo:
    """What the server said besides the body: reachable from any result with :func:`tokenops.response_info`.

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


# Results are attrs models (unhashable, weak-referenceable): keyed by id() and dropped with the result, so the
# table never outgrows the results alive.
_INFO: dict[int, ResponseInfo] = {}


def remember(result: Any, info: ResponseInfo) -> None:
    """Make ``info`` reachable from ``result`` (when ``result`` can be weakly referenced) for as long as it lives."""
    try:
        weakref.finalize(result, _INFO.pop, id(result), None)
    except TypeError:  # None, str, list, dict, ...: nothing to hang it on
        return
    _INFO[id(result)] = info


def forget(result: object) -> None:
    """Let go of the response ``result`` came from before ``result`` itself goes (``wait_many``: running jobs)."""
    _INFO.pop(id(result), None)


def response_info(result: object) -> ResponseInfo | None:
    """The response a result was parsed from: status, headers, request id, elapsed.

    Args:
        result: a value returned by a client method (a :class:`~tokenops.Video`, a generated model, ...).

    Returns:
        Its :class:`ResponseInfo`, or ``None`` for values that did not come from a response.
    """
    return _INFO.get(id(result))


def _decode_body(response: httpx.Response) -> Any:
    try:
        return redact_json(json.loads(response.content))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None if not response.content else redact(response.text[:1000])
    except RecursionError:
        return redact(response.text[:1000])


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a non-2xx response, for any status code."""
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


def connection_error(failure: Any, method: str, url: str) -> TokenOpsError:
    """Map what the driver caught (a ``Failure``) for ``method url`` to the error tree; the message names the URL."""
    error, request = failure.error, failure.request or httpx.Request(method, url)
    if isinstance(error, TokenOpsError):
        return error
    where = f"{request.method} {request.url}"
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(error).__name__}): {where}", request=request)
    if isinstance(error, httpx.DecodingError):
        failed = ResponseValidationError(f"response body could not be decoded: {redact(str(error))[:200]}")
        failed.request = request
        return failed
    detail = redact(_reason(error))[:200]
    return APIConnectionError(f"Connection error ({type(error).__name__}: {detail}): {where}", request=request)


def json_body(response: httpx.Response, strict: bool) -> Any:
    """The decoded JSON body of a 2xx response.

    Raises:
        ResponseValidationError: not JSON, nested too deeply, or (strict) not labelled as JSON.
    """
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting, e.g. [[[[...]]]]
        content_type = response.headers.get("content-type", "")
        snippet = response.content[:120]
        why = "is nested too deeply" if isinstance(exc, RecursionError) else "is not valid JSON"
        raise ResponseValidationError(
            f"response body {why} (content-type {content_type or 'missing'}, first bytes {snippet!r})",
            value=snippet,
            response=response,
        ) from None
    if strict:
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type.split(";", 1)[0].lower():
            raise ResponseValidationError(
                f"content-type is {content_type or 'missing'!r}, the spec says application/json",
                value=content_type,
                response=response,
            )
    return data


def _parse_json(target: Any, data: Any, strict: bool) -> Any:
    if isinstance(target, type) and hasattr(target, "from_dict"):
        return parse_model(target, data, strict=strict)
    if typing.get_origin(target) is list and isinstance(data, list):
        (item,) = typing.get_args(target) or (Any,)
        return [_parse_json(item, value, strict) for value in data]
    return data  # scalars, maps and unions: the decoded JSON as it came


def parse_result(endpoint: Endpoint, response: httpx.Response, strict: bool) -> Any:
    """The result of a 2xx response (body read), as the operation documents it.

    JSON bodies go through :func:`tokenops.parse_model` (tolerant unless ``strict``); text is a ``str``;
    bytes are ``bytes``; an undocumented status or an empty body gives the decoded JSON or ``None``.

    Raises:
        ResponseValidationError: the body does not fit the documented response.
    """
    spec = endpoint.response_for(response.status_code)
    source = spec.source if spec is not None else ("json" if response.content else "none")
    try:
        if source == "json":
            return _parse_json(spec.type if spec is not None else Any, json_body(response, strict), strict)
        if source == "text":
            return response.text
        if source == "bytes":
            return response.content
        return None
    except ResponseValidationError as exc:
        if exc.response is None:
            exc.attach(response)
        raise
