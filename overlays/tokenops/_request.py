"""The one request path: any generated operation, from its arguments to the socket and back to a result.

:func:`prepare` turns an operation from the operations table and its typed arguments (as the generated
functions take them: path and query parameters, ``body=`` models) into a :class:`~tokenops._flows.Send`,
validating them once; :func:`call_flow` sends it with retries (``_flows.request_flow``) and reads the response as
the operation documents it. A :class:`Requester` (:class:`AsyncRequester`) drives the flows over the client's
pool: it answers each ``Send`` with a ``Received`` (the body read under ``max_response_bytes``, or open for a
download) or a ``Failure``, and each ``Sleep`` by sleeping on the client's clock. It is all a resource
(``client.videos``, ``client.operations``) gets of its client: ``settings``, ``call`` (one operation), ``run``
(any flow, e.g. a wait), ``raw`` (the same, returning raw responses). Nothing here knows a path or a method.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from datetime import timedelta
from functools import cached_property
from typing import Any, ParamSpec, Self, TypeVar

import httpx

from tokenops import spec
from tokenops._config import CallOptions, Settings
from tokenops._download import AsyncDownload, Download
from tokenops._errors import (
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    InvalidArgumentError,
    ResponseValidationError,
)
from tokenops._flows import Action, Failure, Flow, Received, Send, Sleep, request_flow
from tokenops._models import RawResponse, ResponseInfo, carry_response
from tokenops._retry import is_idempotent
from tokenops._scheduler import until_done
from tokenops._streaming import AsyncStream, Stream, event_parser
from tokenops._tolerance import parse_model
from tokenops._transports import async_pool, send_streaming, send_sync
from tokenops.spec import PathTemplate, join_url
from tokenops_client.types import Endpoint

__all__ = [
    "IDEMPOTENCY_HEADER",
    "AsyncRequester",
    "Requester",
    "async_to_raw_response_wrapper",
    "call_flow",
    "check_arguments",
    "credentials_for",
    "parse_result",
    "prepare",
    "request_defaults",
    "streams",
    "to_raw_response_wrapper",
]

IDEMPOTENCY_HEADER = "Idempotency-Key"
_BODY_KEYS = ("json", "data", "files", "content")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
P = ParamSpec("P")
T = TypeVar("T")


def _raw(result: object, method: Callable[..., Any]) -> RawResponse[Any]:
    if not isinstance(result, RawResponse):
        raise TypeError(f"{method.__qualname__} does not belong to a resource built over requester.raw")
    return result


def to_raw_response_wrapper(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """``method`` of a resource built over ``requester.raw``, typed (and checked) as what it returns then: a
    :class:`RawResponse` around its usual result.

    One wrapper for every method (as openai-python's): ``with_raw_response`` needs no copy of a signature.
    """

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return _raw(method(*args, **kwargs), method)

    return wrapped


def async_to_raw_response_wrapper(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """:func:`to_raw_response_wrapper` for async methods."""

    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        return _raw(await method(*args, **kwargs), method)

    return wrapped


def streams(endpoint: Endpoint) -> bool:
    """True when the operation's success response is binary: it is handed back unread, as a download."""
    return any(spec.source == "bytes" and spec.matches(200) for spec in endpoint.responses)


def _safe_path(path: str) -> str:
    # The generated builder percent-encodes each path parameter but leaves "." alone; a segment that is
    # exactly "." or ".." would be normalised away and reach another route.
    if "/." not in path:
        return path
    return "/".join(part.replace(".", "%2E") if part in (".", "..") else part for part in path.split("/"))


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number"}
_PATH_TYPES: dict[Callable[..., Any], dict[str, tuple[type, ...]]] = {}


def _path_types(endpoint: Endpoint) -> dict[str, tuple[type, ...]]:
    """Python name -> the types the generated builder declares, of each path parameter (cached per operation)."""
    found = _PATH_TYPES.get(endpoint.build_request)
    if found is None:
        hints = typing.get_type_hints(endpoint.build_request)
        found = {}
        for name in endpoint.path_parameters.values():
            hint = hints.get(name, object)
            members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
            found[name] = tuple(member for member in members if isinstance(member, type)) or (object,)
        _PATH_TYPES[endpoint.build_request] = found
    return found


def check_arguments(endpoint: Endpoint, arguments: Mapping[str, Any]) -> None:
    """The one rule for path arguments: present, of the type the generated builder declares, never blank.

    Raises:
        InvalidArgumentError: the first argument that breaks it (no request is made).
    """
    for name, accepted in _path_types(endpoint).items():
        value = arguments.get(name)
        if value is None:
            raise InvalidArgumentError(f"{name} is required, not None")
        if isinstance(value, bool) or not isinstance(value, accepted):
            expected = _TYPE_NAMES.get(accepted[0], accepted[0].__name__) if len(accepted) == 1 else "a value"
            raise InvalidArgumentError(f"{name} must be {expected}, not {type(value).__name__}")
        if isinstance(value, str) and not value.strip():
            raise InvalidArgumentError(f"{name} must be a non-empty string")


def _build(endpoint: Endpoint, arguments: Mapping[str, Any]) -> dict[str, Any]:
    check_arguments(endpoint, arguments)
    try:
        return endpoint.build_request(**arguments)
    except TypeError as exc:
        accepted = ", ".join(inspect.signature(endpoint.build_request).parameters) or "none"
        raise InvalidArgumentError(f"{endpoint.name}: {exc} (arguments: {accepted})") from None


@functools.lru_cache(maxsize=1024)
def _template(path: str) -> PathTemplate:
    return PathTemplate.compile(path)


def credentials_for(
    settings: Settings, endpoint: Endpoint, model: spec.Spec | None = None
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """The headers (None: the client's own, which carry the default key as a bearer token) and the query parameters
    that carry ``endpoint``'s credentials, as its security requirement says; computed once per client and operation.

    Raises:
        ConfigurationError: the operation needs a credential nobody gave (the message names the schemes).
    """
    found = settings.auth_cache.get(endpoint.name)
    if found is not None:
        return found
    model = model or spec.bundled()
    operation = model.find(endpoint.method, endpoint.path)
    if operation is None or not model.security_schemes:  # nothing declared: the key as a bearer token, as always
        found = (None, None)
    else:
        values = {name: secret.value for name, secret in settings.credentials.items()}
        placement = spec.place_credentials(operation, model.security_schemes, values)
        if placement is None:
            needs = " or ".join(" and ".join(alternative) for alternative in operation.security.alternatives)
            variables = ", ".join(spec.credential_variable(name) for name in operation.security.schemes)
            raise ConfigurationError(
                f"{operation.name} needs a credential for {needs}: pass api_key=... or credentials={{...}}, "
                f"or set TOKENOPS_API_KEY or {variables}"
            )
        headers = {**settings.base_headers, **placement.headers}
        if (cookie := placement.cookie_header()) is not None:
            headers["Cookie"] = cookie
        found = (None if headers == settings.headers else headers, dict(placement.query) or None)
    settings.auth_cache[endpoint.name] = found
    return found


@functools.lru_cache(maxsize=1024)
def event_media(method: str, path: str) -> tuple[spec.MediaType | None, bool]:
    """The event-stream media type of the operation's 2xx response, if any, and whether it is the only one."""
    operation = spec.bundled().find(method, path)
    if operation is None:
        return None, False
    contents = [content for response in operation.responses if response.success for content in response.contents]
    stream = next((content for content in contents if content.event_stream), None)
    return stream, stream is not None and all(content.event_stream for content in contents)


@functools.lru_cache(maxsize=1024)
def event_type(method: str, path: str) -> Any:
    """The generated model of one event of the operation's stream (from the spec's event schema), else None."""
    stream, _ = event_media(method, path)
    pointer = stream.item_pointer if stream is not None else None
    if not pointer or not pointer.startswith("/components/schemas/"):
        return None
    import tokenops_client.models  # noqa: PLC0415 - the package of every generated model

    wanted = _NOT_ALNUM.sub("", pointer.rsplit("/", 1)[-1].lower())
    for name in dir(tokenops_client.models):
        candidate = getattr(tokenops_client.models, name)
        if (
            isinstance(candidate, type)
            and hasattr(candidate, "from_dict")
            and _NOT_ALNUM.sub("", name.lower()) == wanted
        ):
            return candidate
    return None


def _streamed(endpoint: Endpoint, kwargs: dict[str, Any], stream: bool) -> bool:
    """Whether this call returns an event stream; asks for one in the body (``"stream": true``) when the request
    schema has that flag.

    Raises:
        InvalidArgumentError: ``stream=True`` for an operation that documents no event stream.
    """
    media, only = event_media(endpoint.method, endpoint.path)
    if stream and media is None:
        raise InvalidArgumentError(f"{endpoint.name} documents no event stream (text/event-stream): stream=True")
    if stream and isinstance(kwargs.get("json"), dict):
        operation = spec.bundled().find(endpoint.method, endpoint.path)
        body = operation.request_body.content("application/json") if operation and operation.request_body else None
        properties = (body.schema or {}).get("properties") if body is not None else None
        if isinstance(properties, Mapping) and "stream" in properties:
            kwargs["json"] = {**kwargs["json"], "stream": True}
    return stream or only


_ENCODINGS: dict[str, Callable[[Any], Any]] = {
    "json": lambda body: body.to_dict() if hasattr(body, "to_dict") else body,
    "data": lambda body: body.to_dict() if hasattr(body, "to_dict") else body,
    "files": lambda body: body.to_multipart() if hasattr(body, "to_multipart") else body,
}


def _choose_body(
    endpoint: Endpoint, arguments: Mapping[str, Any], kwargs: dict[str, Any], content_type: str | None
) -> None:
    """Keep one encoding of the body: the media type asked for, else the spec's first.

    The generated builder encodes the body once per media type whose model it is (a model documented for JSON and
    form data is sent as both): one is kept, with its Content-Type.

    Raises:
        InvalidArgumentError: a media type the operation does not document for its request body.
    """
    present = [key for key in _BODY_KEYS if key in kwargs]
    if content_type is None and len(present) <= 1:
        return
    documented = {spec.media_essence(media): (media, kind) for media, kind, _ in endpoint.bodies}
    if not documented:
        raise InvalidArgumentError(f"{endpoint.name} takes no request body (content_type={content_type!r})")
    wanted = spec.media_essence(content_type or endpoint.bodies[0][0])
    if wanted not in documented:
        known = ", ".join(media for media, _, _ in endpoint.bodies)
        raise InvalidArgumentError(f"{endpoint.name} takes a body as {known}, not {content_type!r}")
    media, kind = documented[wanted]
    body = arguments.get("body")
    encoded = _ENCODINGS[kind](body) if kind in _ENCODINGS else kwargs.get(kind)
    for key in present:
        kwargs.pop(key)
    kwargs[kind] = encoded
    headers = dict(kwargs.get("headers") or {})
    headers["Content-Type"] = "multipart/form-data; boundary=+++" if wanted == "multipart/form-data" else media
    kwargs["headers"] = headers


def prepare(
    settings: Settings,
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    options: CallOptions,
    *,
    stream: bool = False,
    content_type: str | None = None,
) -> Send:
    """The request for ``endpoint`` called with ``arguments``: built once, sent (and re-sent) as it is.

    ``stream=True`` asks for the operation's event stream (see :mod:`tokenops._streaming`); an operation whose only
    success media type is an event stream always streams. ``content_type`` picks one of the request body's media
    types (JSON, multipart, form ...); default the spec's first.

    Raises:
        InvalidArgumentError: a missing, empty, mistyped or unknown argument (no request is made).
        ConfigurationError: the operation needs a credential the client was not given.
    """
    kwargs = _build(endpoint, arguments)
    _choose_body(endpoint, arguments, kwargs, content_type)
    events = _streamed(endpoint, kwargs, stream)
    auth_headers, auth_query = credentials_for(settings, endpoint)
    params: dict[str, Any] | None = kwargs.get("params") or None
    if settings.default_query or options.extra_query or auth_query:
        params = {**settings.default_query, **(auth_query or {}), **(params or {}), **(options.extra_query or {})}
    headers: dict[str, str] | None = auth_headers
    extra = kwargs.get("headers")
    if extra or options.extra_headers or options.idempotency_key or events:
        accept = {"Accept": "text/event-stream"} if events else {}
        headers = {**(auth_headers or settings.headers), **accept, **(extra or {}), **(options.extra_headers or {})}
        if options.idempotency_key:
            headers[IDEMPOTENCY_HEADER] = options.idempotency_key
    return Send(
        method=endpoint.method,
        url=join_url(settings.base_url, _template(endpoint.path), _safe_path(kwargs["url"])),
        headers=headers,
        timeout=options.timeout,
        params=params,
        body={key: kwargs[key] for key in _BODY_KEYS if key in kwargs},
        stream=events or streams(endpoint),
        events=events,
        idempotent=is_idempotent(endpoint.method) or bool(options.idempotency_key),
        max_retries=options.max_retries,
    )


def call_flow(
    settings: Settings, endpoint: Endpoint, send: Send, expect: type[Any] = object
) -> Generator[Action, Any, tuple[Any, ResponseInfo]]:
    """Send ``send`` with retries: (parsed result, response info). A binary result is the open ``httpx.Response``.

    ``expect`` is the type the caller promises its users (``Video`` for ``videos.retrieve``); a 2xx body parsed
    into anything else (an undocumented status, an empty body) raises instead of returning it.

    Raises:
        APIError and subclasses: see the error tree.
    """
    received = yield from request_flow(settings, send)
    info = ResponseInfo(received.response, timedelta(seconds=received.elapsed))
    if send.stream:
        return received.response, info
    result = parse_result(endpoint, received.response, settings.strict)
    if not isinstance(result, expect):
        raise ResponseValidationError(
            f"the response is not a {expect.__name__}", value=result, response=received.response
        )
    carry_response(result, info)
    return result, info


def raw_response(result: Any, info: ResponseInfo) -> RawResponse[Any]:
    """The :class:`RawResponse` a raw requester returns for ``result``."""
    return RawResponse(info.http_response, info.elapsed, result)


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


_SEND_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ResponseValidationError)
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


# --- reading a body under the size limit, with httpx's public API ------------------------------------------------


def _too_large(limit: int, response: httpx.Response, detail: str = "") -> ResponseValidationError:
    return ResponseValidationError(
        f"response body exceeds {limit} bytes{detail}; raise max_response_bytes to accept it", response=response
    )


def declared_size_ok(response: httpx.Response, limit: int) -> bool:
    """True when the response declares an unencoded length within ``limit`` (so reading it whole is safe).

    Raises:
        ResponseValidationError: the declared length is over the limit (refused before reading a byte).
    """
    if "content-encoding" in response.headers:  # the decoded size may exceed the declared one
        return False
    declared = response.headers.get("content-length", "")
    if not declared.isdigit():
        return False
    if int(declared) > limit:
        raise _too_large(limit, response, f" (Content-Length {declared})")
    return True


def rebuilt(response: httpx.Response, content: bytes) -> httpx.Response:
    """A read response holding ``content`` (already decoded), built with httpx's public constructor."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED_HEADERS]
    rebuilt = httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request, extensions=response.extensions
    )
    with contextlib.suppress(RuntimeError):  # elapsed is known once the original was closed
        rebuilt.elapsed = response.elapsed
    return rebuilt


class Chunks:
    """Collects a streamed body of unknown length, refusing it once it passes ``limit`` bytes."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self.response, self.limit, self.size, self.parts = response, limit, 0, list[bytes]()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise _too_large(self.limit, self.response)
        self.parts.append(chunk)


def _is_closed(http: httpx.Client | httpx.AsyncClient) -> bool:
    # A call, not the property inline: mypy would take the earlier `if http.is_closed: return` as the last word.
    return http.is_closed


def _closed_failure(request: httpx.Request | None) -> Failure:
    return Failure(
        ClientClosedError("the client is closed: create a new one (or use it inside its `with` block)"), request
    )


def _blocked_failure(send: Send, request: httpx.Request) -> Failure:
    return Failure(
        APITimeoutError(f"the call's deadline passed before {send.method} {send.url} was sent", request=request),
        request,
    )


# --- the requesters: the drivers of the flows -------------------------------------------------------------------


def request_defaults(
    settings: Settings, pool_headers: Mapping[str, str] | None, pool_timeout: httpx.Timeout | None
) -> tuple[Mapping[str, str] | None, Any]:
    """What each request passes for the client's own headers and timeout, given what its pool carries.

    Nothing (``None``, ``httpx.USE_CLIENT_DEFAULT``) when the pool carries equal values, compared by value, once
    per requester: httpx merges per-request headers and timeouts on every request, a tenth of a call.
    """
    headers = None if pool_headers is not None and pool_headers == settings.headers else settings.headers
    same_timeout = pool_timeout is not None and pool_timeout == settings.timeout
    return headers, httpx.USE_CLIENT_DEFAULT if same_timeout else settings.timeout


class _RequesterBase:
    def __init__(
        self,
        http: Any,
        settings: Settings,
        *,
        own_pool: bool,
        pool_headers: Mapping[str, str] | None,
        pool_timeout: httpx.Timeout | None,
    ) -> None:
        self._http = http
        self._settings = settings
        self._own_pool = own_pool  # built by the client (not an http_client passed in): wait_many may add more
        self._pool_headers = pool_headers  # what the pool was built with
        self._pool_timeout = pool_timeout
        self._returns_raw = False
        self._headers, self._timeout = request_defaults(settings, pool_headers, pool_timeout)

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def returns_raw(self) -> bool:
        """``call`` returns a :class:`~tokenops.RawResponse` around each result (this is ``requester.raw``)."""
        return self._returns_raw

    @cached_property
    def raw(self) -> Self:
        """This requester, with ``call`` returning a :class:`~tokenops.RawResponse` around each result."""
        twin = copy.copy(self)
        twin._returns_raw = True
        return twin

    def _build(self, http: Any, send: Send) -> tuple[httpx.Request, bool]:
        """The httpx request for ``send``, and False when its deadline has passed (then it must not be sent)."""
        timeout: Any = send.timeout or self._timeout
        in_time = True
        if send.deadline is not None:
            capped = send.timeout_at(self._settings.clock.monotonic(), self._settings.timeout)
            in_time = capped is not None
            timeout = capped or timeout
        request: httpx.Request = http.build_request(
            send.method,
            send.url,
            params=send.params,
            headers=self._headers if send.headers is None else send.headers,
            timeout=timeout,
            **send.body,
        )
        return request, in_time

    def _result(
        self,
        endpoint: Endpoint,
        send: Send,
        outcome: tuple[Any, Any],
        download: type[Download | AsyncDownload],
        stream: type[Stream[Any] | AsyncStream[Any]],
    ) -> Any:
        result, info = outcome
        if send.events:
            item = event_type(endpoint.method, endpoint.path)
            parse = event_parser(item, self._settings.strict, info.http_response)
            result = stream(info, parse, max_event_bytes=self._settings.max_response_bytes)
        elif send.stream:
            result = download(info, self._settings.max_download_bytes)
        return raw_response(result, info) if self._returns_raw else result


class Requester(_RequesterBase):
    """The sync driver over an :class:`httpx.Client` (the :class:`tokenops._request.Requester` of ``TokenOps``)."""

    def call(self, endpoint: Endpoint, send: Send, expect: type[T]) -> T:
        """Run one operation: its result, a :class:`Download` for a binary one (or a RawResponse, when raw)."""
        outcome = self.run(call_flow(self._settings, endpoint, send, expect))
        return self._result(endpoint, send, outcome, Download, Stream)  # type: ignore[no-any-return]

    def run(self, flow: Flow) -> Any:
        """Drive ``flow`` to its return value."""
        reply: Any = None
        try:
            while True:
                action = flow.send(reply)
                if isinstance(action, Sleep):
                    self._settings.clock.sleep(action.seconds)
                    reply = None
                else:
                    reply = self._send(action)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def _send(self, send: Send) -> Received | Failure:
        http = self._http
        if http.is_closed:
            return _closed_failure(None)
        request: httpx.Request | None = None
        try:
            request, in_time = self._build(http, send)
            return self._exchange(http, request, send.stream) if in_time else _blocked_failure(send, request)
        except RuntimeError:
            if _is_closed(http):  # closed by another thread while we were sending
                return _closed_failure(request)
            raise
        except _SEND_ERRORS as exc:
            return Failure(exc, request)

    def _exchange(self, http: httpx.Client, request: httpx.Request, stream: bool) -> Received:
        clock, limit = self._settings.clock, self._settings.max_response_bytes
        start = clock.monotonic()
        try:
            response = send_sync(http, request)
        except httpx.HTTPStatusError as exc:  # a raise_for_status hook on an injected client: the status decides
            return Received(rebuilt(exc.response, b""), clock.monotonic() - start)
        if stream and response.is_success:
            return Received(response, clock.monotonic() - start)
        chunks: Chunks | None = None
        try:
            if declared_size_ok(response, limit):
                response.read()  # the common case: a declared, acceptable length
            else:
                chunks = Chunks(response, limit)
                for chunk in response.iter_bytes():
                    chunks.add(chunk)
        finally:
            response.close()
        result = response if chunks is None else rebuilt(response, b"".join(chunks.parts))
        return Received(result, clock.monotonic() - start)


class AsyncRequester(_RequesterBase):
    """The async driver over an :class:`httpx.AsyncClient`; ``wait_many``'s scheduler sends through it too."""

    async def call(self, endpoint: Endpoint, send: Send, expect: type[T]) -> T:
        """Async :meth:`Requester.call`; a binary result is an :class:`AsyncDownload`."""
        outcome = await self.run(call_flow(self._settings, endpoint, send, expect))
        return self._result(endpoint, send, outcome, AsyncDownload, AsyncStream)  # type: ignore[no-any-return]

    async def run(self, flow: Flow) -> Any:
        """Drive ``flow`` to its return value."""
        reply: Any = None
        try:
            while True:
                action = flow.send(reply)
                if isinstance(action, Sleep):
                    await self._settings.clock.asleep(action.seconds)
                    reply = None
                else:
                    reply = await self._send_now(action, self._http)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def send(self, send: Send, http: httpx.AsyncClient | None = None) -> Received | Failure:
        """One request of a flow, over ``http`` (default: the client's pool): the reply the flow expects."""
        return await self._send_now(send, http or self._http)

    @contextlib.asynccontextmanager
    async def pool(self, connections: int) -> AsyncIterator[httpx.AsyncClient]:
        """A pool for ``connections`` requests in flight: the client's own, unless the client built it smaller; then
        one of that size for the duration, closed on exit (to its end, even when the task is cancelled again while
        it closes). An ``http_client`` you passed in is used as it is: size its limits yourself."""
        if not self._own_pool or connections <= self._settings.max_connections:
            yield self._http
            return
        pool = async_pool(connections, headers=self._pool_headers, timeout=self._pool_timeout)
        try:
            yield pool
        finally:
            await _close_all([pool])

    async def _send_now(self, send: Send, http: httpx.AsyncClient) -> Received | Failure:
        if http.is_closed:
            return _closed_failure(None)
        request: httpx.Request | None = None
        try:
            request, in_time = self._build(http, send)
            return await self._exchange(http, request, send.stream) if in_time else _blocked_failure(send, request)
        except RuntimeError:
            if _is_closed(http):
                return _closed_failure(request)
            raise
        except _SEND_ERRORS as exc:
            return Failure(exc, request)

    async def _exchange(self, http: httpx.AsyncClient, request: httpx.Request, stream: bool) -> Received:
        clock, limit = self._settings.clock, self._settings.max_response_bytes
        start = clock.monotonic()
        try:
            response = await send_streaming(http, request)
        except httpx.HTTPStatusError as exc:
            return Received(rebuilt(exc.response, b""), clock.monotonic() - start)
        if stream and response.is_success:
            return Received(response, clock.monotonic() - start)
        chunks: Chunks | None = None
        try:
            if declared_size_ok(response, limit):
                await response.aread()
            else:
                chunks = Chunks(response, limit)
                async for chunk in response.aiter_bytes():
                    chunks.add(chunk)
        finally:
            await response.aclose()
        result = response if chunks is None else rebuilt(response, b"".join(chunks.parts))
        return Received(result, clock.monotonic() - start)


async def _close_all(pools: list[httpx.AsyncClient]) -> None:
    """Close every pool. The closing runs shielded to its end, however often the task is cancelled meanwhile; the
    first cancellation is raised once it has ended."""
    if pools:
        await until_done(asyncio.gather(*(pool.aclose() for pool in pools)))
