"""``client.operations``: call any operation of the generated client by its id, through the one request path.

>>> client.operations.call("getVideoStatus", video_id="video_123")  # doctest: +SKIP
Video(id='video_123', ...)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import httpx

from tokenops import operations
from tokenops._config import call_options
from tokenops._pagination import async_first_page, first_page, pagination_for
from tokenops._request import AsyncRequester, Requester, prepare
from tokenops_client.types import Endpoint

__all__ = ["AsyncOperations", "Operations"]


def endpoint_for(operation: str | Endpoint) -> Endpoint:
    """The table entry for an operation id, generated name, ``"METHOD /path"`` or an :class:`Endpoint`."""
    return operation if isinstance(operation, Endpoint) else operations.find(operation)


class Operations:
    """``client.operations``: every operation in the spec, by id, with the client's settings.

    Arguments are the generated ones (path and query parameters by their Python names, ``body=`` a generated
    request model); results are parsed as the operation documents them (a generated model through
    :func:`tokenops.parse_model`, tolerant unless ``strict``). A binary result is a :class:`Download`.
    """

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def with_raw_response(self) -> Operations:
        """The same calls returning a :class:`RawResponse` (status, headers, request id, elapsed, ``parse()``)."""
        return Operations(self._requester.raw)

    def call(
        self,
        operation: str | Endpoint,
        /,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        idempotency_key: str | bool | None = None,
        stream: bool = False,
        content_type: str | None = None,
        **arguments: Any,
    ) -> Any:
        """Call ``operation`` with the generated ``arguments``.

        Args:
            operation: operationId (``"createVideo"``), generated name (``"create_video"``), ``"POST /v1/videos"``
                or an :class:`~tokenops.operations.Endpoint`.
            timeout: per-call timeout (seconds or :class:`httpx.Timeout`); for a list operation, seconds are the
                deadline of the whole walk over its pages.
            max_retries: per-call retry budget.
            extra_headers / extra_query: merged over the client's defaults for this call.
            idempotency_key: ``True`` for a fresh key (sent as ``Idempotency-Key``, the same on every retry) or
                your own string. POST and PATCH are retried only with one (connection failures before the
                request was sent are always retried).
            stream: ask for the operation's server-sent event stream (``text/event-stream``): sends
                ``Accept: text/event-stream`` and, when the request body has a ``stream`` flag, ``"stream": true``.
                An operation whose only success media type is an event stream always streams.
            content_type: the media type to send ``body`` as, when the operation documents several (JSON,
                ``multipart/form-data``, ``application/x-www-form-urlencoded``); default the spec's first.
            **arguments: the operation's arguments, as the generated function takes them.

        Returns:
            The parsed result; for a list operation (``Operation.pagination`` of the spec model), its first
            :class:`Page`, iterable over every item of every page; a :class:`Download` (open: use ``with``) for
            binary responses; a :class:`Stream` of
            the events (open: use ``with`` or iterate to the end) for event streams; with ``with_raw_response``, a
            :class:`RawResponse` around it.

        Raises:
            KeyError: no such operation.
            InvalidArgumentError: a missing, empty, mistyped or unknown argument or option (nothing was sent).
            APIError: see the error tree (``APIStatusError`` by status, ``APIConnectionError``, ...).
            PaginationError: walking a list's pages would loop (a repeated or backwards cursor, an empty page that
                says more follow).
        """
        endpoint = endpoint_for(operation)
        options = call_options(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            idempotency_key=idempotency_key,
            new_key=uuid.uuid4,
        )
        if not stream and (pagination := pagination_for(endpoint)) is not None:  # a list: its first page
            return first_page(self._requester, endpoint, arguments, options, pagination=pagination, timeout=timeout)
        send = prepare(self._requester.settings, endpoint, arguments, options, stream=stream, content_type=content_type)
        return self._requester.call(endpoint, send, object)


class AsyncOperations:
    """``aclient.operations``: :class:`Operations`, async; binary results are :class:`AsyncDownload`."""

    def __init__(self, requester: AsyncRequester) -> None:
        self._requester = requester

    @cached_property
    def with_raw_response(self) -> AsyncOperations:
        """The same calls returning a :class:`RawResponse`."""
        return AsyncOperations(self._requester.raw)

    async def call(
        self,
        operation: str | Endpoint,
        /,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        idempotency_key: str | bool | None = None,
        stream: bool = False,
        content_type: str | None = None,
        **arguments: Any,
    ) -> Any:
        """Async :meth:`Operations.call`; an event stream is an :class:`AsyncStream`, a list an :class:`AsyncPage`
        (``async for`` both)."""
        endpoint = endpoint_for(operation)
        options = call_options(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            idempotency_key=idempotency_key,
            new_key=uuid.uuid4,
        )
        if not stream and (pagination := pagination_for(endpoint)) is not None:
            return await async_first_page(
                self._requester, endpoint, arguments, options, pagination=pagination, timeout=timeout
            )
        send = prepare(self._requester.settings, endpoint, arguments, options, stream=stream, content_type=content_type)
        return await self._requester.call(endpoint, send, object)
