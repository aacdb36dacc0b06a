"""Paging a list as the spec says it pages (``Operation.pagination``): one rule for every list the mock serves.

The stateful video list (:mod:`contract_tests.mock._videos`) and the schema-driven fallback
(:mod:`contract_tests.mock._fallback`) both answer a list request through :func:`select` (which part of the list a
request asks for) and :func:`page_body` (the page as the response schema names its fields):

- **cursor** (OpenAI): ``after=<id>`` starts after that item (an unknown id: an empty page), ``before=<id>`` ends
  before it (the page closest to it), ``limit`` (the spec's default otherwise); ``first_id`` / ``last_id`` name the
  page's first and last items, ``has_more`` whether more follow (in the direction walked).
- **token** (Gemini): ``pageToken`` is an opaque token for an offset (``nextPageToken`` of the page before, absent on
  the last page); a token the mock did not issue gets the documented 400 (else an empty page).
- **unpaged**: every item in one page.

The page faults (``page_repeat``, ``page_lose``, ``page_loop``: :class:`~contract_tests.mock._faults.FaultKind`)
act on requests that carry a cursor, so a walk starts normally and goes wrong on its second page: the item at the
cursor comes again, the item after it is skipped, or the page gives back the cursor it was asked with and says more
follow.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs

from contract_tests.mock._faults import FaultKind
from tokenops.spec import Pagination

__all__ = ["DEFAULT_LIMIT", "PAGE_FAULTS", "Selection", "offset_token", "page_body", "select"]

DEFAULT_LIMIT = 20  # page size when neither the request nor the spec says
PAGE_FAULTS = frozenset({FaultKind.PAGE_REPEAT, FaultKind.PAGE_LOSE, FaultKind.PAGE_LOOP})
_TOKEN_PREFIX = "mock-page:"  # noqa: S105 - a page token is an offset, not a secret


@attrs.frozen
class Selection:
    """The part of the list a request asks for: ``keys[start:stop]``, whether more follow, the next cursor."""

    start: int
    stop: int
    more: bool
    next_cursor: str | None  # the body's next cursor (a token, or for cursor lists the loop fault's cursor)
    looped: bool = False


def offset_token(offset: int) -> str:
    """The opaque page token the mock issues for ``offset``."""
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    number = text.removeprefix(_TOKEN_PREFIX)
    return int(number) if text.startswith(_TOKEN_PREFIX) and number.isdigit() else None


def _limit(pagination: Pagination, query: Mapping[str, Any]) -> int:
    value = query.get(pagination.limit_parameter) if pagination.limit_parameter is not None else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return pagination.limit_default or DEFAULT_LIMIT


def select(
    pagination: Pagination, keys: Sequence[str], query: Mapping[str, Any], fault: str | None = None
) -> Selection | None:
    """Which items of the list (``keys``, in the order served) a request asks for; None for a page token this mock
    did not issue.

    Args:
        pagination: how the operation pages.
        keys: the items' cursors in order: ids for cursor lists (any strings for token lists).
        query: the checked query parameters (the spec's defaults filled in).
        fault: a page fault (:data:`PAGE_FAULTS`) to apply, if any.

    Returns:
        The selection.
    """
    if not pagination.paged:
        return Selection(0, len(keys), False, None)
    limit = _limit(pagination, query)
    cursor = query.get(pagination.cursor_parameter) if pagination.cursor_parameter is not None else None
    cursor = None if cursor in (None, "") else str(cursor)
    before = query.get(pagination.backward_parameter) if pagination.backward_parameter is not None else None
    low, high = 0, len(keys)
    if cursor is not None:
        if pagination.cursor_names_item:
            found = next((index + 1 for index, key in enumerate(keys) if key == cursor), None)
        else:
            found = _offset(cursor)
            if found is None:
                return None
        low = high if found is None else min(found, high)  # an unknown id: an empty page, faults or not
        if found is not None and fault == FaultKind.PAGE_REPEAT:
            low = max(0, low - 1)
        elif found is not None and fault == FaultKind.PAGE_LOSE:
            low = min(high, low + 1)
    if before not in (None, ""):
        high = next((index for index, key in enumerate(keys) if key == before), low)
        start = max(low, high - limit)
        return Selection(start, high, start > low, None)
    stop = min(high, low + limit)
    more = stop < high
    if fault == FaultKind.PAGE_LOOP and cursor is not None:
        return Selection(low, stop, True, cursor, looped=True)
    return Selection(low, stop, more, offset_token(stop) if more and not pagination.cursor_names_item else None)


def page_body(
    pagination: Pagination,
    base: Mapping[str, Any],
    items: list[Any],
    item_keys: Sequence[str],
    *,
    selection: Selection,
    properties: Collection[str],
) -> dict[str, Any]:
    """The page: ``base`` (the body's other fields) with the items and the fields that say where the page is.

    Args:
        pagination: how the operation pages.
        base: the rest of the body (``object: "list"`` ...).
        items: the page's items.
        item_keys: their cursors (ids), in the same order.
        selection: what :func:`select` chose.
        properties: the response schema's property names (``first_id`` is set only where the schema has it).

    Returns:
        The body.
    """
    body = dict(base)
    body[pagination.items] = items
    if pagination.has_more is not None:
        body[pagination.has_more] = selection.more
    if pagination.cursor_names_item:
        fields = {"first_id": item_keys[0] if item_keys else None, "last_id": item_keys[-1] if item_keys else None}
        if selection.looped and pagination.next_cursor is not None:
            fields[pagination.next_cursor] = selection.next_cursor
        for name, value in fields.items():
            if name not in properties:
                continue
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
    elif pagination.next_cursor is not None:
        if selection.more and selection.next_cursor is not None:
            body[pagination.next_cursor] = selection.next_cursor
        else:
            body.pop(pagination.next_cursor, None)
    return body
