"""List operations: a :class:`Page` (:class:`AsyncPage`) of typed items, iterable over every item of every page.

``client.operations.call`` of an operation the spec model recognises as a list (``Operation.pagination``:
cursor, token or a whole list object; see :mod:`tokenops.spec._pagination`) and ``client.videos.list()``
return the first page; iterating it walks on, page after page::

    for video in client.videos.list(limit=100):      # async: async for video in aclient.videos.list(...)
        ...
    page = client.operations.call("listVideos")
    page.items, page.has_next_page(), page.next_page(), list(page.iter_pages())

No operation is named here. A :class:`Walk` holds what a walk needs: the first page's request is built by
``_request.prepare`` from the caller's arguments (validated once), each next page's is that request with the
cursor in its query parameter; every one is sent through the client's requester with ``_flows.request_flow``
(the client's retries, errors and redaction), and its JSON body read into the items the generated item model
describes (``tokenops.parse_model``: tolerant unless ``strict``). The walk never loops: a next cursor already
used for another page, a cursor naming an item of an earlier page, an empty page that says more follow and
``has_more`` without a cursor stop it with :class:`~tokenops.PaginationError` naming the cursor. A ``timeout`` in
seconds is the whole walk's deadline, as for ``wait_many``: no page is requested past it, each with the time left
as its timeout.
"""

from __future__ import annotations

import enum
import functools
import itertools
import operator
import types
import typing
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from datetime import timedelta
from typing import Any, Generic, TypeVar

import attrs
import httpx

from tokenops import spec
from tokenops._config import CallOptions, Settings
from tokenops._errors import (
    InvalidArgumentError,
    PaginationError,
    ResponseValidationError,
    TokenOpsWarning,
)
from tokenops._flows import Action, Send, request_flow
from tokenops._models import RawResponse, ResponseInfo
from tokenops._request import AsyncRequester, Requester, json_body, prepare, raw_response
from tokenops._tolerance import is_generated_model, list_parser_for, parse_model, parser_for, plan_for
from tokenops_client.types import Endpoint

__all__ = [
    "AsyncPage",
    "AsyncPaginator",
    "Page",
    "Walk",
    "as_declared",
    "async_first_page",
    "first_page",
    "item_type",
    "pagination_for",
]

T = TypeVar("T")


def pagination_for(endpoint: Endpoint, model: spec.Spec | None = None) -> spec.Pagination | None:
    """How ``endpoint`` pages, as the spec model says (``model``, default the bundled spec); None: not a list.

    Args:
        endpoint: the operation.
        model: the spec model to read (tests give their own).

    Returns:
        The operation's :class:`~tokenops.spec.Pagination`, or None.
    """
    if model is None:
        return _bundled_pagination(endpoint.method, endpoint.path)
    operation = model.find(endpoint.method, endpoint.path)
    return operation.pagination if operation is not None else None


@functools.lru_cache(maxsize=1024)
def _bundled_pagination(method: str, path: str) -> spec.Pagination | None:
    operation = spec.bundled().find(method, path)
    return operation.pagination if operation is not None else None


def _members(hint: Any) -> tuple[Any, ...]:
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    found = typing.get_args(hint) if union else (hint,)
    return tuple(m for m in found if m is not type(None) and getattr(m, "__name__", "") != "Unset")


def item_type(endpoint: Endpoint, pagination: spec.Pagination) -> Any:
    """The generated model of one item (``VideoStatusResponse`` for ``listVideos``), read from the generated model
    of the page (its items field is ``list[Item]``); None when the page is no generated model (items stay JSON).
    """
    documented = endpoint.response_for(200)
    page_type = documented.type if documented is not None else None
    if page_type is None or not is_generated_model(page_type):
        return None
    hint = plan_for(page_type).hints.get(pagination.items)
    for member in _members(hint):
        if typing.get_origin(member) is list:
            (item,) = typing.get_args(member) or (Any,)
            return None if item is Any else item
    return None


def as_declared(endpoint: Endpoint, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` with each plain value given for an enum the generated builder declares made that enum's member
    (``order="asc"`` -> ``ListVideosOrder.ASC``): what a resource method passes on from its plain keywords.

    Raises:
        InvalidArgumentError: a value the enum does not have.
    """
    hints = typing.get_type_hints(endpoint.build_request)
    converted = dict(arguments)
    for name, value in arguments.items():
        for member in _members(hints.get(name)):
            if isinstance(member, type) and issubclass(member, enum.Enum) and not isinstance(value, member):
                known = {item.value: item for item in member}  # the generated enums take unknown values too
                if value not in known:
                    allowed = ", ".join(repr(item) for item in known)
                    raise InvalidArgumentError(f"{name} must be one of {allowed}, not {value!r}")
                converted[name] = known[value]
    return converted


@attrs.frozen
class _Read:
    """What one page's response said."""

    items: list[Any]
    raw: Mapping[str, Any]
    next_cursor: str | None
    has_more: bool | None
    info: ResponseInfo


class Walk:
    """One walk over a list: each page's request, and the rules that keep a server from leading it in circles.

    Sans-IO: :class:`Page` and :class:`AsyncPage` run :meth:`flow` on their requester. The walk remembers which page
    each cursor was requested for and (for item-id cursors) which page each item came on, so a second iteration of
    the same pages is not mistaken for a loop.

    Raises:
        InvalidArgumentError: an invalid argument or option (nothing is sent).
    """

    def __init__(
        self,
        settings: Settings,
        endpoint: Endpoint,
        arguments: Mapping[str, Any],
        options: CallOptions,
        pagination: spec.Pagination,
        *,
        timeout: float | httpx.Timeout | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.pagination = pagination
        self.options = options
        self.arguments = dict(arguments)
        cursor = pagination.cursor_parameter
        self.cursor_argument = endpoint.query_parameters.get(cursor) if cursor is not None else None
        start = self.arguments.get(self.cursor_argument) if self.cursor_argument is not None else None
        self.start: str | None = None if start is None else str(start)
        self.item = item_type(endpoint, pagination)
        self._parser = parser_for(self.item, strict=settings.strict)
        self._list_parser = list_parser_for(self.item, strict=settings.strict)
        # A number is the walk's deadline (call_options validated it); an httpx.Timeout is per request only.
        seconds = timeout if isinstance(timeout, int | float) and not isinstance(timeout, bool) else None
        self.deadline = None if seconds is None else settings.clock.monotonic() + float(seconds)
        self._cursor_pages: dict[str, int] = {} if self.start is None else {self.start: 0}
        self._item_pages: dict[Any, int] = {}  # item id -> the page it came on last
        self._first = self._prepared(self.start)  # the arguments are validated now, before any request

    @property
    def name(self) -> str:
        return self.endpoint.name

    def _prepared(self, cursor: str | None) -> Send:
        """The first page's request, built (and validated) by ``prepare``."""
        arguments = self.arguments
        if self.cursor_argument is not None and cursor is not None:
            arguments = {**arguments, self.cursor_argument: cursor}
        send = prepare(self.settings, self.endpoint, arguments, self.options)
        return send if self.deadline is None else attrs.evolve(send, deadline=self.deadline)

    def _send(self, cursor: str | None) -> Send:
        """A next page's request: the first page's, with the cursor in its query parameter."""
        first = self._first
        if cursor is None or self.pagination.cursor_parameter is None:
            return first
        return attrs.evolve(first, params={**(first.params or {}), self.pagination.cursor_parameter: cursor})

    def flow(self, cursor: str | None, index: int) -> Generator[Action, Any, _Read]:
        """Request the page ``index`` (``cursor``: None for the first) and read it."""
        send = self._first if index == 0 and cursor == self.start else self._send(cursor)
        received = yield from request_flow(self.settings, send)
        response = received.response
        data = json_body(response, self.settings.strict)
        info = ResponseInfo(response, timedelta(seconds=received.elapsed))
        return self._read(data, info, cursor, index)

    def _read(self, data: Any, info: ResponseInfo, cursor: str | None, index: int) -> _Read:
        pagination, response = self.pagination, info.http_response
        if not isinstance(data, dict):
            kind = "an array" if isinstance(data, list) else type(data).__name__
            raise ResponseValidationError(f"a page of {self.name} is {kind}, not a JSON object", response=response)
        raw_items = data.get(pagination.items, [])
        if raw_items is None:
            raw_items = []
        if not isinstance(raw_items, list):
            raise ResponseValidationError(
                f"field '{pagination.items}' of a page of {self.name} is not an array",
                field=pagination.items,
                value=raw_items,
                response=response,
            )
        items = raw_items if self.item is None else self._parse(raw_items, response)
        more, next_cursor = pagination.next_page(data, raw_items)
        if more:
            self._check(next_cursor, raw_items, cursor, index, response)
        if pagination.item_id is not None and pagination.cursor_names_item:
            self._remember(raw_items, pagination.item_id, index)
        has_more = data.get(pagination.has_more) if pagination.has_more is not None else None
        return _Read(items, data, next_cursor if more else None, has_more if isinstance(has_more, bool) else None, info)

    def _remember(self, raw_items: list[Any], name: str, index: int) -> None:
        """Which page each item came on (the latest), to tell a cursor that points backwards."""
        try:  # the common case, at C speed: every item an object with a string id (the ids listed first: a third
            # cheaper than zipping the lazy map, measured on 100-item pages)
            self._item_pages.update(zip([*map(operator.itemgetter(name), raw_items)], itertools.repeat(index)))
        except (KeyError, TypeError):
            for item in raw_items:
                key = item.get(name) if isinstance(item, dict) else None
                if isinstance(key, str | int):
                    self._item_pages[key] = index

    def _parse(self, raw_items: list[Any], response: httpx.Response) -> list[Any]:
        """Each item through ``parse_model``: tolerant drops an item it cannot build (as a tolerant parse of the
        whole page would, with a warning); strict raises, naming the item."""
        try:  # the common case: every item usable
            return self._list_parser(raw_items)
        except ResponseValidationError:
            pass
        strict, parse, field = self.settings.strict, self._parser, self.pagination.items
        items: list[Any] = []
        for position, raw in enumerate(raw_items):
            try:
                items.append(parse(raw))
            except ResponseValidationError as exc:
                where = f"{field}[{position}]" + (f".{exc.field}" if exc.field else "")
                if strict:
                    raise ResponseValidationError(
                        f"{where}: {exc}", field=where, value=exc.value, response=response
                    ) from None
                warnings.warn(f"{self.name}: item {where} left out: {exc}", TokenOpsWarning, stacklevel=2)
        return items

    def _check(
        self, next_cursor: str | None, raw_items: list[Any], cursor: str | None, index: int, response: httpx.Response
    ) -> None:
        """The next page must be one the walk has not been on, and must exist.

        Raises:
            PaginationError: see the class.
        """
        pagination, asked = self.pagination, "the first page" if cursor is None else f"cursor {cursor!r}"

        def stop(message: str, at: str | None) -> PaginationError:
            return PaginationError(message, operation=self.name, cursor=at, page=index, response=response)

        if not raw_items:
            said = (
                f"{pagination.has_more}: true" if pagination.has_more else f"{pagination.next_cursor} {next_cursor!r}"
            )
            raise stop(f"the page for {asked} is empty but says more pages follow ({said})", next_cursor or cursor)
        if next_cursor is None:
            raise stop(f"the page for {asked} says {pagination.has_more}: true but gives no cursor to go on", cursor)
        earlier = self._cursor_pages.get(next_cursor)
        if earlier is not None and earlier != index + 1:
            raise stop(
                f"the next cursor {next_cursor!r} was already used for page {earlier}: the walk would loop",
                next_cursor,
            )
        seen_on = self._item_pages.get(next_cursor) if pagination.cursor_names_item else None
        if seen_on is not None and seen_on < index:
            raise stop(f"the next cursor {next_cursor!r} points backwards, to an item of page {seen_on}", next_cursor)
        self._cursor_pages.setdefault(next_cursor, index + 1)


class _PageBase(Generic[T]):
    def __init__(self, walk: Walk, read: _Read, cursor: str | None, index: int) -> None:
        self._walk = walk
        self.items: list[T] = read.items
        self.cursor = cursor
        self.next_cursor = read.next_cursor
        self.has_more = read.has_more
        self.index = index
        self.raw = read.raw
        self.response = read.info

    @functools.cached_property
    def body(self) -> Any:
        """The whole page as the generated page model (``VideoListResponse``: ``.data``, ``.has_more``,
        ``.last_id``), parsed on first use; the decoded JSON when the page has no generated model."""
        documented = self._walk.endpoint.response_for(self.response.status_code)
        target = documented.type if documented is not None else None
        if target is None or not is_generated_model(target):
            return self.raw
        return parse_model(target, self.raw, strict=self._walk.settings.strict)

    def has_next_page(self) -> bool:
        """Another page follows (``has_more``, or a next token, said so)."""
        return self.next_cursor is not None

    def _no_next(self) -> InvalidArgumentError:
        return InvalidArgumentError(f"{self._walk.name}: page {self.index} is the last page (check has_next_page())")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._walk.name!r}, index={self.index}, items={len(self.items)}, "
            f"next_cursor={self.next_cursor!r})"
        )


class Page(_PageBase[T]):
    """One page of a list operation; iterating it yields every item of this page and the pages after it.

    Attributes:
        items: this page's items (the generated item model, e.g. :class:`~tokenops.Video`, or JSON).
        cursor: the cursor this page was requested with (None: the first page, without one).
        next_cursor: the cursor of the next page (None: this is the last one).
        has_more: the body's ``has_more`` (None for lists without one).
        index: 0 for the page the call returned, then 1, 2, ...
        raw: the decoded JSON body; ``body`` the generated page model.
        response: the :class:`~tokenops.ResponseInfo` of this page (status, headers, request id, elapsed).
    """

    def __init__(self, requester: Requester, walk: Walk, read: _Read, cursor: str | None, index: int) -> None:
        super().__init__(walk, read, cursor, index)
        self._requester = requester

    @classmethod
    def first(cls, requester: Requester, walk: Walk) -> Page[Any]:
        """Request the walk's first page."""
        return cls(requester, walk, requester.run(walk.flow(walk.start, 0)), walk.start, 0)

    def next_page(self) -> Page[T]:
        """Request the next page.

        Raises:
            InvalidArgumentError: this is the last page.
            PaginationError: the server would lead the walk in circles (see :class:`~tokenops.PaginationError`).
            APIError: see the error tree (after the client's retries).
        """
        if self.next_cursor is None:
            raise self._no_next()
        read = self._requester.run(self._walk.flow(self.next_cursor, self.index + 1))
        return Page(self._requester, self._walk, read, self.next_cursor, self.index + 1)

    def iter_pages(self) -> Iterator[Page[T]]:
        """This page, then every page after it, each requested when the previous one is done."""
        page = self
        yield page
        while page.next_cursor is not None:
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        # chain hands out each item at C speed; the pages are still requested one by one, as the items run out.
        return itertools.chain.from_iterable(page.items for page in self.iter_pages())


class AsyncPage(_PageBase[T]):
    """:class:`Page` on the async client: ``async for item in page``, ``await page.next_page()``,
    ``async for page in page.iter_pages()``."""

    def __init__(self, requester: AsyncRequester, walk: Walk, read: _Read, cursor: str | None, index: int) -> None:
        super().__init__(walk, read, cursor, index)
        self._requester = requester

    @classmethod
    async def first(cls, requester: AsyncRequester, walk: Walk) -> AsyncPage[Any]:
        """Request the walk's first page."""
        return cls(requester, walk, await requester.run(walk.flow(walk.start, 0)), walk.start, 0)

    async def next_page(self) -> AsyncPage[T]:
        """Request the next page (see :meth:`Page.next_page`)."""
        if self.next_cursor is None:
            raise self._no_next()
        read = await self._requester.run(self._walk.flow(self.next_cursor, self.index + 1))
        return AsyncPage(self._requester, self._walk, read, self.next_cursor, self.index + 1)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then every page after it."""
        page = self
        yield page
        while page.next_cursor is not None:
            page = await page.next_page()
            yield page

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()


class AsyncPaginator(Generic[T]):
    """What ``aclient.videos.list()`` returns before any request: ``await`` it for the first :class:`AsyncPage`, or
    ``async for`` over every item (the first page is requested then)."""

    def __init__(self, first: Callable[[], Awaitable[AsyncPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def _items(self) -> AsyncIterator[T]:
        page = await self._first()
        async for item in page:
            yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()


def first_page(
    requester: Requester,
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    options: CallOptions,
    *,
    pagination: spec.Pagination,
    timeout: float | httpx.Timeout | None = None,
) -> Page[Any] | RawResponse[Page[Any]]:
    """The first page of a list operation (``client.operations.call`` of one); a :class:`~tokenops.RawResponse`
    around it when ``requester`` is ``requester.raw``.

    Raises:
        InvalidArgumentError: an invalid argument or option (nothing is sent).
        PaginationError / APIError: see the error tree.
    """
    page = Page.first(requester, Walk(requester.settings, endpoint, arguments, options, pagination, timeout=timeout))
    return raw_response(page, page.response) if requester.returns_raw else page


async def async_first_page(
    requester: AsyncRequester,
    endpoint: Endpoint,
    arguments: Mapping[str, Any],
    options: CallOptions,
    *,
    pagination: spec.Pagination,
    timeout: float | httpx.Timeout | None = None,
) -> AsyncPage[Any] | RawResponse[AsyncPage[Any]]:
    """Async :func:`first_page`."""
    walk = Walk(requester.settings, endpoint, arguments, options, pagination, timeout=timeout)
    page = await AsyncPage.first(requester, walk)
    return raw_response(page, page.response) if requester.returns_raw else page
