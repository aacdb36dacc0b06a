"""Pagination invariants: every list operation of the spec walked page by page, its answers judged across pages.

Where: every safe operation the spec model recognises as a list (``Operation.pagination``: OpenAI's cursor, Gemini's
page token, a whole list object, or ``x-pagination``; see :mod:`tokenops.spec._pagination`). Every page is
requested through :class:`~contract_tests.suite.direct.Direct`, so each answer is schema-checked and run through every
check like any other response; these checks judge the pages together (once per walk):

- ``pagination_no_repeats``: no item (by its id: ``id``, Gemini's ``name``) comes twice across the pages.
- ``pagination_order``: the pages come in the order they state: ``first_id`` / ``last_id`` name each page's first
  and last item; with an ``order`` parameter, creation times run that way across the pages; and the walk lists the
  same items in the same order as one page of the largest size the spec allows (an item lost or moved between pages
  breaks it).
- ``pagination_end``: ``has_more: false`` (or no next token) ends the walk; ``has_more: true`` comes with a cursor
  and a page that is not empty; no cursor comes twice.
- ``pagination_after_last``: the page after the last (``after=<the last id>``) is empty and says no more follow.
- ``pagination_unknown_cursor``: a cursor the server never gave answers with an empty page, or a 4xx the operation
  documents.
- ``pagination_limit``: no page holds more items than the page size asked for.

Each violation is a finding (:class:`PaginationViolation`, server nonconformance) naming the page and the cursor that
showed it. A walk is bounded: at most :data:`MAX_PAGES` pages and :data:`WALK_SECONDS` seconds (the run's clock); a
cursor that repeats stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from contract_tests.suite.checks import ContractFailure
from contract_tests.suite.direct import Direct, Exchange
from contract_tests.suite.evidence import CheckCount
from contract_tests.suite.findings import not_an_api_response
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts
from contract_tests.suite.steering import IdPools
from tokenops.spec import Pagination

__all__ = ["MAX_PAGES", "PAGINATION_CHECKS", "WALK_SECONDS", "PaginationViolation", "run_pagination"]

PAGINATION_CHECKS = (
    "pagination_no_repeats",
    "pagination_order",
    "pagination_end",
    "pagination_after_last",
    "pagination_unknown_cursor",
    "pagination_limit",
)
MAX_PAGES = 50
WALK_SECONDS = 60.0
PAGE_SIZE = 3  # small, so that a short list takes several pages
UNKNOWN_CURSOR = "tokenops-conformance-unknown-cursor"


class PaginationViolation(ContractFailure):
    code: ClassVar[str] = "TK905"
    kind_title: ClassVar[str] = "List pagination is broken"


@attrs.define
class _Page:
    index: int
    cursor: str | None
    exchange: Exchange
    items: list[Any]
    more: bool
    next_cursor: str | None

    @property
    def where(self) -> str:
        return f"page {self.index} ({'first page' if self.cursor is None else f'cursor {self.cursor!r}'})"


@attrs.define
class _Walk:
    """One operation's walk: its pages and its verdicts."""

    direct: Direct
    facts: OperationFacts
    pagination: Pagination
    path_params: Mapping[str, str]
    page_size: int | None
    pages: list[_Page] = attrs.field(factory=list)
    ended: bool = False  # the last page said no more follow
    notes: list[str] = attrs.field(factory=list)

    def judge(
        self,
        check: str,
        ok: bool,
        *,
        exchange: Exchange | None,
        title: str,
        message: str,
        key: str,
        **evidence: Any,
    ) -> None:
        count = self.direct.ledger.evidence.operation(self.facts.label).checks.setdefault(check, CheckCount())
        received = exchange.received if exchange is not None else None
        if received is not None and not_an_api_response(received, self.facts) is not None:
            # A proxy's page says nothing about the list; the exchange reports it (one not_an_api_response).
            count.not_applicable += 1
            return
        if ok:
            count.held += 1
            return
        count.failed += 1
        violation = PaginationViolation(
            operation=self.facts.label, title=title, message=message, key=key, evidence=evidence
        )
        self.direct.ledger.add_failure(
            violation,
            check,
            facts=self.facts,
            label=self.facts.label,
            phase="pagination",
            sent=exchange.sent if exchange is not None else None,
            received=exchange.received if exchange is not None else None,
        )

    def judge_pages(
        self, check: str, failed_at: _Page | None, *, title: str, message: str, key: str, **evidence: Any
    ) -> None:
        """:meth:`judge` for a check that holds unless a page broke it (``failed_at``: the evidence names it)."""
        if failed_at is None:
            self.judge(check, True, exchange=None, title="", message="", key="")
            return
        self.judge(
            check,
            False,
            exchange=failed_at.exchange,
            title=title,
            message=message,
            key=key,
            page=failed_at.index,
            cursor=failed_at.cursor,
            **evidence,
        )

    def send(self, query: Mapping[str, str]) -> Exchange:
        return self.direct.send(self.facts, phase="pagination", path_params=self.path_params, query=query)

    def base_query(self, size: int | None) -> dict[str, str]:
        query: dict[str, str] = {}
        if self.pagination.limit_parameter is not None and size is not None:
            query[self.pagination.limit_parameter] = str(size)
        if self.pagination.order_parameter is not None:
            query[self.pagination.order_parameter] = self.order
        return query

    @property
    def order(self) -> str:
        return self.pagination.order_default or "desc"

    def items_of(self, exchange: Exchange) -> list[Any] | None:
        """The items of a 2xx JSON answer; None when the answer is no page (other checks report why)."""
        body = exchange.body
        if not isinstance(body, dict):
            return None
        items = body.get(self.pagination.items, [])
        return items if isinstance(items, list) else None

    def item_id(self, item: Any) -> str | None:
        name = self.pagination.item_id
        value = item.get(name) if isinstance(item, dict) and name is not None else None
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _page_size(pagination: Pagination) -> int | None:
    if pagination.limit_parameter is None:
        return None
    return min(PAGE_SIZE, pagination.limit_maximum) if pagination.limit_maximum else PAGE_SIZE


def _walk_pages(walk: _Walk, now: Callable[[], float]) -> None:
    """Request page after page until the list ends, the bounds are reached, or a cursor repeats."""
    paging = walk.pagination
    started, cursor, used = now(), None, dict[str, int]()
    while True:
        if len(walk.pages) >= MAX_PAGES or now() - started > WALK_SECONDS:
            walk.notes.append(
                f"pagination: the walk of {walk.facts.label} stopped after {len(walk.pages)} pages "
                f"(bounds: {MAX_PAGES} pages, {WALK_SECONDS:g} s); the invariants were judged on those"
            )
            return
        query = walk.base_query(walk.page_size)
        if cursor is not None and paging.cursor_parameter is not None:
            query[paging.cursor_parameter] = cursor
        exchange = walk.send(query)
        items = walk.items_of(exchange)
        if items is None:
            status = exchange.received.status if exchange.received is not None else "no response"
            walk.notes.append(f"pagination: the walk of {walk.facts.label} stopped at page {len(walk.pages)}: {status}")
            return
        body = exchange.body if isinstance(exchange.body, dict) else {}
        more, next_cursor = walk.pagination.next_page(body, items)
        page = _Page(len(walk.pages), cursor, exchange, items, more, next_cursor)
        walk.pages.append(page)
        if not more:
            walk.ended = True
            if paging.paged:  # a whole list has no end to judge
                walk.judge("pagination_end", True, exchange=None, title="", message="", key="")
            return
        problem = _end_problem(page, used)
        if problem is not None:
            key, message, at = problem
            title = "A list page would lead a client in circles"
            walk.judge(
                "pagination_end",
                False,
                exchange=exchange,
                title=title,
                message=message,
                key=key,
                page=page.index,
                cursor=at,
            )
            return
        assert next_cursor is not None  # noqa: S101 - _end_problem says so
        used[next_cursor] = page.index + 1
        cursor = next_cursor


def _end_problem(page: _Page, used: Mapping[str, int]) -> tuple[str, str, str | None] | None:
    """(key, message, cursor) when a page that says more follow cannot be followed."""
    if not page.items:
        return "empty-page-with-more", f"{page.where} is empty but says more pages follow", page.cursor
    if page.next_cursor is None:
        return "more-without-cursor", f"{page.where} says more pages follow but gives no cursor", page.cursor
    earlier = used.get(page.next_cursor)
    if earlier is not None or page.next_cursor == page.cursor:
        again = earlier if earlier is not None else page.index
        message = f"{page.where} gives the next cursor {page.next_cursor!r}, already used for page {again}"
        return "cursor-repeated", message, page.next_cursor
    return None


def _judge_pages(walk: _Walk) -> None:
    """``pagination_limit``, ``pagination_no_repeats`` and the order the pages state."""
    if walk.page_size is not None:
        over = next((page for page in walk.pages if len(page.items) > walk.page_size), None)
        walk.judge_pages(
            "pagination_limit",
            over,
            title="A list page holds more items than the page size asked for",
            message=f"{over.where}: {len(over.items)} items for a page size of {walk.page_size}" if over else "",
            key="over-limit",
        )
    first_seen: dict[str, int] = {}
    repeated: tuple[_Page, str, int] | None = None
    for page in walk.pages:
        for item in page.items:
            key = walk.item_id(item)
            if key is None:
                continue
            if key in first_seen and repeated is None:
                repeated = (page, key, first_seen[key])
            first_seen.setdefault(key, page.index)
    if walk.pagination.item_id is not None:
        page_at, item, earlier = repeated if repeated else (None, None, None)
        walk.judge_pages(
            "pagination_no_repeats",
            page_at,
            title="A list item comes twice across pages",
            message=f"{page_at.where}: item {item!r} again (first on page {earlier})" if page_at else "",
            key="item-repeated",
            item=item,
            first_page=earlier,
        )
    if walk.pagination.paged:  # one page states no order across pages
        _judge_order(walk)


def _order_problem(walk: _Walk) -> tuple[_Page, str, str] | None:
    """(page, key, message) of the first way the pages break the order they state."""
    paging = walk.pagination
    for page in walk.pages:
        body = page.exchange.body if isinstance(page.exchange.body, dict) else {}
        ids = [walk.item_id(item) for item in page.items]
        for name, expected in (("first_id", ids[0] if ids else None), ("last_id", ids[-1] if ids else None)):
            if paging.cursor_names_item and page.items and name in body and body[name] != expected:
                return page, f"{name}-mismatch", f"{page.where}: {name} is {body[name]!r}, its items say {expected!r}"
    field = paging.order_field
    if field is None:
        return None
    previous: tuple[_Page, Any] | None = None
    for page in walk.pages:
        for item in page.items:
            value = item.get(field) if isinstance(item, dict) else None
            if not isinstance(value, int | float):
                continue
            if previous is not None:
                before = previous[1]
                if (value > before) if walk.order == "desc" else (value < before):
                    message = f"{page.where}: {field} {value} after {before}, in a list ordered {walk.order}"
                    return page, "out-of-order", message
            previous = (page, value)
    return None


def _judge_order(walk: _Walk) -> None:
    """First/last ids and the sort order, then the walk against one page of the largest size."""
    problem = _order_problem(walk)
    if problem is None and walk.ended and walk.pagination.paged and walk.pagination.item_id is not None:
        problem = _compare_with_one_page(walk)
    walk.judge_pages(
        "pagination_order",
        problem[0] if problem else None,
        title="List pages are not in the order they state",
        message=problem[2] if problem else "",
        key=problem[1] if problem else "",
    )


def _compare_with_one_page(walk: _Walk) -> tuple[_Page, str, str] | None:
    """The walk's items against one page of the largest size (when the whole list fits in it)."""
    largest = walk.pagination.limit_maximum
    if walk.pagination.limit_parameter is not None and largest is None:
        return None
    exchange = walk.send(walk.base_query(largest))
    items = walk.items_of(exchange)
    body = exchange.body if isinstance(exchange.body, dict) else {}
    if items is None or walk.pagination.next_page(body, items)[0]:
        walk.notes.append(f"pagination: {walk.facts.label} does not fit one page: the walk was not compared with one")
        return None
    whole = [walk.item_id(item) for item in items]
    walked = [(page, walk.item_id(item)) for page in walk.pages for item in page.items]
    for position, (page, key) in enumerate(walked):
        if position >= len(whole) or whole[position] != key:
            wanted = whole[position] if position < len(whole) else None
            lost = wanted is not None and wanted not in {k for _, k in walked}
            what = f"item {wanted!r} is on no page" if lost else f"item {key!r} where one page has {wanted!r}"
            return page, "lost-item" if lost else "moved-item", f"{page.where}: {what}"
    if len(walked) < len(whole):
        page = walk.pages[-1]
        return page, "lost-item", f"{page.where}: item {whole[len(walked)]!r} (and after) is on no page"
    return None


def _page_at(walk: _Walk, cursor: str) -> tuple[Exchange, list[Any] | None, bool]:
    """The page for ``cursor``: the exchange, its items (None: no page), whether it says more follow."""
    assert walk.pagination.cursor_parameter is not None  # noqa: S101 - only paged lists are asked for one
    exchange = walk.send({**walk.base_query(walk.page_size), walk.pagination.cursor_parameter: cursor})
    items = walk.items_of(exchange)
    body = exchange.body if isinstance(exchange.body, dict) else {}
    return exchange, items, walk.pagination.next_page(body, items or [])[0]


def _judge_after_last(walk: _Walk) -> None:
    """The page after the last one (``after=<its last id>``) is empty and says no more follow."""
    last = walk.pages[-1] if walk.pages else None
    if not (walk.ended and walk.pagination.cursor_names_item and last and last.items):
        return
    body = last.exchange.body if isinstance(last.exchange.body, dict) else {}
    cursor = walk.pagination.next_page(body, last.items)[1]  # where a next page would start, had there been one
    if cursor is None:
        return
    exchange, items, more = _page_at(walk, cursor)
    walk.judge(
        "pagination_after_last",
        items is None or (not items and not more),  # no page at all: the other checks say why
        exchange=exchange,
        title="The page after the last is not empty",
        message=f"page {len(walk.pages)} (cursor {cursor!r}, after the last): {len(items or [])} items"
        + (", says more follow" if more else ""),
        key="after-last-not-empty",
        page=len(walk.pages),
        cursor=cursor,
    )


def _judge_unknown_cursor(walk: _Walk) -> None:
    """A cursor the server never gave: an empty page, or a 4xx the operation documents."""
    if walk.pagination.cursor_parameter is None or walk.facts.model is None:
        return
    exchange, items, more = _page_at(walk, UNKNOWN_CURSOR)
    if exchange.received is None:
        return
    status = exchange.received.status
    if 200 <= status < 300:  # noqa: PLR2004
        ok, what = items is None or (not items and not more), f"{len(items or [])} items"
    else:
        documented = walk.facts.model.response_for(status)
        ok = 400 <= status < 500 and documented is not None and documented.status.upper() != "DEFAULT"  # noqa: PLR2004
        what = f"an undocumented {status}"
    walk.judge(
        "pagination_unknown_cursor",
        ok,
        exchange=exchange,
        title="An unknown cursor is not answered with an empty page or a documented error",
        message=f"cursor {UNKNOWN_CURSOR!r}: {what}",
        key="unknown-cursor",
        cursor=UNKNOWN_CURSOR,
    )


def run_pagination(direct: Direct, spec: SpecFacts, pools: IdPools) -> list[str]:
    """Walk every list operation of ``spec`` and account the invariants in ``direct.ledger``; returns notes (walks
    skipped or cut short)."""
    notes: list[str] = []
    for facts in spec.operations.values():
        pagination = facts.model.pagination if facts.model is not None else None
        if pagination is None or not facts.safe:
            continue
        path_params = {name: pools.first(name) for name in facts.path_params}
        known = {name: value for name, value in path_params.items() if value is not None}
        if len(known) != len(path_params):
            notes.append(f"pagination: {facts.label} not walked: no known id for its path")
            continue
        walk = _Walk(direct, facts, pagination, known, _page_size(pagination))
        _walk_pages(walk, direct.clock.monotonic)
        if walk.pages:  # a list that gave no page (a wrong key: 401) says nothing about its cursors
            _judge_pages(walk)
            _judge_after_last(walk)
            _judge_unknown_cursor(walk)
        notes += walk.notes
    return notes
