"""The one request path: any generated operation, its generated request builder, the client's settings.

:func:`prepare` turns an operation from the operations table and its typed arguments (as the generated
functions take them: path and query parameters, ``body=`` models) into a :class:`Send`; :func:`operation_flow`
sends it with retries and parses the response as the operation documents it. ``client.videos`` and
``client.operations`` both call these; nothing here knows a path or a method.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator, Mapping
from datetime import timedelta
from typing import Any

from tokenops._config import CallOptions, Settings
from tokenops._errors import InvalidArgumentError
from tokenops._flows import Action, Send, request_flow
from tokenops._response import ResponseInfo, parse_result, remember
from tokenops._retry import is_idempotent
from tokenops_client.types import Endpoint

__all__ = ["IDEMPOTENCY_HEADER", "operation_flow", "prepare", "streams"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
_BODY_KEYS = ("json", "data", "files", "content")


def streams(endpoint: Endpoint) -> bool:
    """True when the operation's success response is binary: it is handed back unread, as a download."""
    return any(spec.source == "bytes" and spec.matches(200) for spec in endpoint.responses)


def _safe_path(path: str) -> str:
    # The generated builder percent-encodes each path parameter but leaves "." alone; a segment that is
    # exactly "." or ".." would be normalised away and reach another route.
    if "/." not in path:
        return path
    return "/".join(part.replace(".", "%2E") if part in (".", "..") else part for part in path.split("/"))


def _check_path_arguments(endpoint: Endpoint, arguments: Mapping[str, Any]) -> None:
    for python_name in endpoint.path_parameters.values():
        value = arguments.get(python_name)
        if isinstance(value, bool) or value is None:
            raise InvalidArgumentError(f"{python_name} is required, not {value!r}")
        if isinstance(value, str) and not value.strip():
            raise InvalidArgumentError(f"{python_name} must be a non-empty string")
        if not isinstance(value, str | int):
            raise InvalidArgumentError(f"{python_name} must be a string, not {type(value).__name__}")


def _build(endpoint: Endpoint, arguments: Mapping[str, Any]) -> dict[str, Any]:
    _check_path_arguments(endpoint, arguments)
    try:
        return endpoint.build_request(**arguments)
    except TypeError as exc:
        accepted = ", ".join(inspect.signature(endpoint.build_request).parameters) or "none"
        raise InvalidArgumentError(f"{endpoint.name}: {exc} (arguments: {accepted})") from None


def prepare(
    settings: Settings,
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    options: CallOptions,
    *,
    deadline: float | None = None,
) -> Send:
    """The request for ``endpoint`` called with ``arguments``.

    Raises:
        InvalidArgumentError: a missing, empty or unknown argument (no request is made).
    """
    kwargs = _build(endpoint, arguments)
    url = settings.base_url + _safe_path(kwargs["url"])
    params: dict[str, Any] | None = kwargs.get("params") or None
    if settings.default_query or options.extra_query:
        params = {**settings.default_query, **(params or {}), **(options.extra_query or {})}
    headers: Mapping[str, str] = settings.headers
    extra = kwargs.get("headers")
    if extra or options.extra_headers or options.idempotency_key:
        headers = {**headers, **(extra or {}), **(options.extra_headers or {})}
        if options.idempotency_key:
            headers[IDEMPOTENCY_HEADER] = options.idempotency_key
    return Send(
        method=endpoint.method,
        url=url,
        headers=headers,
        timeout=options.timeout or settings.timeout,
        params=params,
        body={key: kwargs[key] for key in _BODY_KEYS if key in kwargs},
        deadline=deadline,
        stream=streams(endpoint),
        idempotent=is_idempotent(endpoint.method) or bool(options.idempotency_key),
    )


def operation_flow(
    settings: Settings,
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    options: CallOptions,
    *,
    deadline: float | None = None,
) -> Generator[Action, Any, tuple[Any, ResponseInfo]]:
    """Call ``endpoint``: (parsed result, response info). A binary result is the open ``httpx.Response``.

    Raises:
        InvalidArgumentError, APIError and subclasses: see the error tree.
    """
    send = prepare(settings, endpoint, arguments, options, deadline=deadline)
    received = yield from request_flow(settings, send, options.max_retries)
    info = ResponseInfo(received.response, timedelta(seconds=received.elapsed))
    if send.stream:
        return received.response, info
    result = parse_result(endpoint, received.response, settings.strict)
    remember(result, info)
    return result, info
