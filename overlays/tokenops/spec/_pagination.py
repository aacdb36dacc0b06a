"""How a list operation pages, read from the spec: :class:`Pagination` (``Operation.pagination``).

Three styles are recognised from an operation's query parameters and the schema of its 2xx JSON body, so no
list operation needs code of its own:

- **cursor** (OpenAI's, also Stripe's names): a query parameter ``after`` (or ``starting_after``), optionally
  ``before`` (``ending_before``) and ``limit``; the body has the items in ``data`` (else its only array
  property), ``has_more`` and, optionally, ``last_id`` / ``first_id``. The next page is asked for with
  ``after=<last_id>``, or the ``id`` of the last item when the body has no ``last_id``.
- **token** (Google's AIP-158, Gemini's): a query parameter ``pageToken`` (``page_token``), optionally
  ``pageSize``; the body has ``nextPageToken`` (``next_page_token``) and one array of items. An absent or
  empty token ends the list.
- **unpaged**: a ``GET`` without a cursor parameter whose body is OpenAI's list object (``object: "list"`` and
  a ``data`` array): every item comes in one page.

Anything else says how it pages with the operation extension ``x-pagination`` (which wins over the rules;
``x-pagination: false`` turns them off)::

    x-pagination:
      items: results              # required: the body property that holds the page's items (an array)
      cursorParameter: cursor     # the query parameter carrying the cursor; omit it for a list that comes whole
      nextCursor: next            # the body property holding the next page's cursor, or
      itemCursor: id              # the property of the last item that is the next page's cursor
      hasMore: more               # optional: a boolean body property; false ends the list (else: no next cursor)
      limitParameter: size        # optional: the query parameter that sets the page size
      itemId: id                  # optional: the item property that identifies an item (default id, else name)

An ``x-pagination`` the model cannot use (a name the operation does not have, a key it does not know) is
reported in ``Spec.warnings`` and the operation is not paginated; so is an operation that looks paginated (a
cursor parameter) but whose body does not say where the next page starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

__all__ = ["CURSOR", "STYLES", "TOKEN", "UNPAGED", "Pagination", "infer_pagination"]

CURSOR: Final = "cursor"
TOKEN: Final = "token"  # noqa: S105 - a style name, not a secret
UNPAGED: Final = "unpaged"
STYLES: Final = (CURSOR, TOKEN, UNPAGED)

_FORWARD = ("after", "starting_after")
_BACKWARD = {"after": "before", "starting_after": "ending_before"}
_TOKEN_PARAMETERS = ("pageToken", "page_token")
_TOKEN_FIELDS = ("nextPageToken", "next_page_token")
_LIMITS = ("limit", "pageSize", "page_size", "maxResults", "max_results", "per_page")
_HAS_MORE = ("has_more", "hasMore")
_ITEM_IDS = ("id", "name")
_ORDER_FIELDS = ("created_at", "created")
_EXTENSION_KEYS = frozenset(
    {"items", "cursorParameter", "nextCursor", "itemCursor", "hasMore", "limitParameter", "itemId"}
)

Resolve = Callable[[Any, str], "tuple[Any, str] | None"]  # (node, pointer) -> (resolved node, its pointer)
Warn = Callable[[str, str, str], None]  # (construct, pointer, message)


@attrs.frozen
class Pagination:
    """How one list operation pages (``Operation.pagination``); names are JSON names as the spec writes them.

    Attributes:
        style: ``"cursor"``, ``"token"`` or ``"unpaged"`` (the rule that matched; ``x-pagination`` gives
            ``cursor`` when it names ``hasMore`` or ``itemCursor``, else ``token``).
        items: the body property holding the page's items.
        cursor_parameter: the query parameter carrying the cursor (None: one page holds every item).
        next_cursor: the body property holding the next page's cursor (None: see ``item_cursor``).
        item_cursor: the property of the last item that is the next page's cursor (``id`` for OpenAI's lists).
        has_more: the boolean body property saying another page follows (None: a next cursor says it).
        limit_parameter: the query parameter setting the page size.
        backward_parameter / previous_cursor: ``before`` and ``first_id``: the same list walked backwards.
        item_id: the item property that identifies an item (what "the same item twice" compares).
        order_parameter / order_field: a query parameter ``order`` (``asc``/``desc``) and the item's integer
            timestamp it sorts by (``created_at``, ``created``): the order the list states.
        order_default: the ``order`` parameter's default (``desc`` for OpenAI's lists).
        item_schema / item_pointer: the schema of one item (resolved) and where it sits.
        limit_default / limit_maximum: the page size's ``default`` and ``maximum`` in the spec.
        explicit: True when ``x-pagination`` said it, False when the rules inferred it.
    """

    style: str
    items: str
    cursor_parameter: str | None = None
    next_cursor: str | None = None
    item_cursor: str | None = None
    has_more: str | None = None
    limit_parameter: str | None = None
    backward_parameter: str | None = None
    previous_cursor: str | None = None
    item_id: str | None = None
    order_parameter: str | None = None
    order_field: str | None = None
    order_default: str | None = None
    item_schema: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)
    item_pointer: str | None = None
    limit_default: int | None = None
    limit_maximum: int | None = None
    explicit: bool = False

    @property
    def paged(self) -> bool:
        """The list comes in several pages (a cursor parameter), not whole."""
        return self.cursor_parameter is not None

    def next_page(self, body: Mapping[str, Any], items: Sequence[Any]) -> tuple[bool, str | None]:
        """What a page says of the next one: (more pages follow, the cursor to ask for the next with).

        ``has_more`` decides where the list has it, else a next cursor being there; the cursor is the
        ``next_cursor`` property, else the ``item_cursor`` of the last item (a string or an integer; ``""`` is none).

        Args:
            body: the page's decoded JSON object.
            items: its items (``body[items]``).

        Returns:
            The pair; ``(False, None)`` for a list that comes whole.
        """
        if self.cursor_parameter is None:
            return False, None
        found: Any = body.get(self.next_cursor) if self.next_cursor is not None else None
        if found is None and self.item_cursor is not None and items and isinstance(items[-1], Mapping):
            found = items[-1].get(self.item_cursor)
        cursor = str(found) if isinstance(found, str | int) and not isinstance(found, bool) and found != "" else None
        if self.has_more is not None:
            return body.get(self.has_more) is True, cursor
        return cursor is not None, cursor

    @property
    def cursor_names_item(self) -> bool:
        """Cursors are item ids (OpenAI's ``after=<id>``), not opaque tokens: a cursor naming an item of an
        earlier page points backwards."""
        return self.item_cursor is not None


@attrs.frozen
class _Body:
    """The 2xx JSON body's properties, each resolved: name -> (schema, pointer)."""

    properties: Mapping[str, tuple[Mapping[str, Any], str]]

    def kind(self, name: str | None) -> str | None:
        found = self.properties.get(name or "")
        if found is None:
            return None
        kind = found[0].get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        return str(kind) if kind is not None else None

    def arrays(self) -> list[str]:
        return [name for name in self.properties if self.kind(name) == "array"]

    def single_value(self, name: str) -> Any:
        found = self.properties.get(name)
        if found is None:
            return None
        schema = found[0]
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def _body(schema: Mapping[str, Any] | None, pointer: str, resolve: Resolve) -> _Body:
    """The properties of an object schema, ``allOf`` members merged (one level)."""
    found: dict[str, tuple[Mapping[str, Any], str]] = {}
    if schema is None:
        return _Body(found)
    parts: list[tuple[Mapping[str, Any], str]] = [(schema, pointer)]
    for index, member in enumerate(schema.get("allOf") or ()):
        resolved = resolve(member, f"{pointer}/allOf/{index}")
        if resolved is not None and isinstance(resolved[0], Mapping):
            parts.append(resolved)
    for part, where in parts:
        properties = part.get("properties")
        for name, prop in (properties or {}).items() if isinstance(properties, Mapping) else ():
            resolved = resolve(prop, f"{where}/properties/{name}")
            if resolved is not None and isinstance(resolved[0], Mapping):
                found.setdefault(str(name), resolved)
    return _Body(found)


def _integer(schema: Mapping[str, Any] | None, key: str) -> int | None:
    value = (schema or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item(body: _Body, items: str, resolve: Resolve) -> tuple[Mapping[str, Any] | None, str | None]:
    array, pointer = body.properties[items]
    resolved = resolve(array.get("items", {}), f"{pointer}/items")
    if resolved is None or not isinstance(resolved[0], Mapping):
        return None, None
    return resolved


def _item_id(item: Mapping[str, Any] | None, resolve: Resolve, pointer: str | None) -> str | None:
    properties = _body(item, pointer or "", resolve).properties if item is not None else {}
    return next((name for name in _ITEM_IDS if name in properties), None)


def _order(
    query: Mapping[str, Mapping[str, Any]], item: Mapping[str, Any] | None, resolve: Resolve, pointer: str | None
) -> dict[str, Any]:
    """``order`` (``asc``/``desc``) and the item timestamp it sorts by, when the operation has both."""
    schema = query.get("order")
    if schema is None or not {"asc", "desc"} <= set(schema.get("enum") or ()) or item is None:
        return {}
    properties = _body(item, pointer or "", resolve)
    field = next((name for name in _ORDER_FIELDS if properties.kind(name) in ("integer", "number")), None)
    if field is None:
        return {}
    default = schema.get("default")
    return {
        "order_parameter": "order",
        "order_field": field,
        "order_default": default if default in ("asc", "desc") else None,
    }


def _finish(
    style: str,
    items: str,
    body: _Body,
    query: Mapping[str, Mapping[str, Any]],
    resolve: Resolve,
    **fields: Any,
) -> Pagination:
    item, item_pointer = _item(body, items, resolve)
    limit = fields.get("limit_parameter")
    limit_schema = query.get(limit) if limit else None
    fields.setdefault("item_id", _item_id(item, resolve, item_pointer))
    if fields.get("cursor_parameter") is not None:
        fields = {**_order(query, item, resolve, item_pointer), **fields}
    return Pagination(
        style=style,
        items=items,
        item_schema=item,
        item_pointer=item_pointer,
        limit_default=_integer(limit_schema, "default"),
        limit_maximum=_integer(limit_schema, "maximum"),
        **fields,
    )


def _items_property(body: _Body) -> str | None:
    """``data`` when it is an array, else the body's only array property."""
    if body.kind("data") == "array":
        return "data"
    arrays = body.arrays()
    return arrays[0] if len(arrays) == 1 else None


def _first(names: tuple[str, ...], present: Mapping[str, Any]) -> str | None:
    return next((name for name in names if name in present), None)


@attrs.frozen
class _Operation:
    """What the rules read of one operation."""

    query: Mapping[str, Mapping[str, Any]]
    body: _Body
    pointer: str
    resolve: Resolve
    warn: Warn

    def finish(self, style: str, items: str, **fields: Any) -> Pagination:
        return _finish(style, items, self.body, self.query, self.resolve, **fields)


def infer_pagination(
    *,
    method: str,
    query: Mapping[str, Mapping[str, Any]],
    response: tuple[Mapping[str, Any], str] | None,
    extension: Any,
    pointer: str,
    resolve: Resolve,
    warn: Warn,
) -> Pagination | None:
    """How an operation pages (see the module docstring), or None when it is not a list operation.

    Args:
        method: the operation's method (``GET``).
        query: its query parameters, name -> schema (resolved).
        response: its 2xx JSON body schema (resolved) and pointer, if it has one.
        extension: the operation's ``x-pagination`` value (None when absent).
        pointer: the operation's JSON pointer (for warnings).
        resolve: follows ``$ref``; None for a reference that cannot be followed.
        warn: records what the model cannot use.

    Returns:
        The pagination, or None.
    """
    body = _body(response[0], response[1], resolve) if response is not None else _Body({})
    operation = _Operation(query, body, pointer, resolve, warn)
    if extension is not None:
        return _explicit(operation, extension)
    forward = _first(_FORWARD, query)
    if forward is not None:
        return _cursor(operation, forward)
    token = _first(_TOKEN_PARAMETERS, query)
    if token is not None:
        return _token(operation, token)
    if method == "GET" and body.kind("data") == "array" and body.single_value("object") == "list":
        return operation.finish(UNPAGED, "data")
    return None


def _cursor(operation: _Operation, forward: str) -> Pagination | None:
    body, query = operation.body, operation.query
    items = _items_property(body)
    has_more = next((name for name in _HAS_MORE if body.kind(name) == "boolean"), None)
    next_cursor = "last_id" if "last_id" in body.properties else None
    if items is None or (has_more is None and next_cursor is None):
        operation.warn(
            f"query parameter {forward!r}",
            operation.pointer,
            "looks like cursor pagination, but the response has no items array and has_more/last_id: not "
            "paginated (describe it with x-pagination)",
        )
        return None
    backward = _BACKWARD[forward] if _BACKWARD[forward] in query else None
    return operation.finish(
        CURSOR,
        items,
        cursor_parameter=forward,
        next_cursor=next_cursor,
        item_cursor="id",
        has_more=has_more,
        limit_parameter=_first(_LIMITS, query),
        backward_parameter=backward,
        previous_cursor="first_id" if backward and "first_id" in body.properties else None,
    )


def _token(operation: _Operation, token: str) -> Pagination | None:
    next_token = _first(_TOKEN_FIELDS, operation.body.properties)
    items = _items_property(operation.body)
    if next_token is None or items is None:
        operation.warn(
            f"query parameter {token!r}",
            operation.pointer,
            "looks like token pagination, but the response has no next page token or no single items array: "
            "not paginated (describe it with x-pagination)",
        )
        return None
    limit = _first(_LIMITS, operation.query)
    return operation.finish(TOKEN, items, cursor_parameter=token, next_cursor=next_token, limit_parameter=limit)


def _explicit(operation: _Operation, extension: Any) -> Pagination | None:
    """``x-pagination``: checked against the operation; None (with a warning) when it cannot be used."""
    if extension is False:
        return None
    problem: str | None = None
    if not isinstance(extension, Mapping):
        problem = "must be a mapping (or false)"
    elif unknown := sorted(set(map(str, extension)) - _EXTENSION_KEYS):
        problem = f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_EXTENSION_KEYS))})"
    elif not all(isinstance(value, str) and value for value in extension.values()):
        problem = "every value must be a non-empty string"
    if problem is None and isinstance(extension, Mapping):
        problem = _explicit_problem(extension, operation.query, operation.body)
    if problem is not None or not isinstance(extension, Mapping):
        operation.warn(
            "x-pagination", f"{operation.pointer}/x-pagination", f"{problem}: the operation is not paginated"
        )
        return None
    cursor = extension.get("cursorParameter")
    fields: dict[str, Any] = {
        "cursor_parameter": cursor,
        "next_cursor": extension.get("nextCursor"),
        "item_cursor": extension.get("itemCursor"),
        "has_more": extension.get("hasMore"),
        "limit_parameter": extension.get("limitParameter"),
        "explicit": True,
    }
    if "itemId" in extension:
        fields["item_id"] = extension["itemId"]
    style = UNPAGED if cursor is None else CURSOR if fields["has_more"] or fields["item_cursor"] else TOKEN
    return operation.finish(style, str(extension["items"]), **fields)


def _explicit_problem(extension: Mapping[str, Any], query: Mapping[str, Any], body: _Body) -> str | None:
    items = extension.get("items")
    if items is None:
        return "'items' is required"
    if body.kind(items) != "array":
        return f"'items' names {items!r}, which is no array property of the 2xx JSON body"
    cursor = extension.get("cursorParameter")
    for key in ("cursorParameter", "limitParameter"):
        if key in extension and extension[key] not in query:
            return f"{key!r} names {extension[key]!r}, which is no query parameter of the operation"
    for key in ("nextCursor", "hasMore"):
        if key in extension and extension[key] not in body.properties:
            return f"{key!r} names {extension[key]!r}, which is no property of the 2xx JSON body"
    if cursor is not None and "nextCursor" not in extension and "itemCursor" not in extension:
        return "'cursorParameter' needs 'nextCursor' or 'itemCursor' (where the next page starts)"
    return None
