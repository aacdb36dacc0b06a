"""The suite's pagination invariants (``contract_tests/suite/pagination.py``), against the mock in-process (clean, and
with each page fault) and against scripted servers that break one invariant each.

The walk sends through a stand-in for ``Direct`` (same ``send``: it answers from the mock's ASGI app or a script);
a whole conformance run over the list pages, through the real ``Direct``, is in ``tests/test_pagination_grown.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock._faults import parse_fault_spec
from contract_tests.suite import pagination
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.direct import Exchange
from contract_tests.suite.findings import Finding, Ledger
from contract_tests.suite.pagination import PAGINATION_CHECKS, run_pagination
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.spec_facts import SpecFacts, facts_for, load_facts
from contract_tests.suite.steering import IdPools
from tests.mock_helpers import KEY, MockHarness

VIDEOS, GEMINI, MODELS = "GET /v1/videos", "GET /v1beta/models", "GET /v1/models"
Answer = Callable[[str, dict[str, str]], tuple[int, Any]]


class _Clock:
    def __init__(self, step: float = 0.0) -> None:
        self.now, self.step = 0.0, step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


class FakeDirect:
    """``Direct.send`` answered by ``answer(path, query)``; every request and its query are recorded."""

    def __init__(self, answer: Answer, clock: _Clock | None = None) -> None:
        self.answer = answer
        self.clock = clock or _Clock()
        self.ledger = Ledger(KnownDeviations(None), KEY)
        self.sent: list[tuple[str, dict[str, str]]] = []

    def send(self, facts: Any, *, phase: str, path_params: dict[str, str], query: dict[str, str]) -> Exchange:
        assert phase == "pagination"
        self.sent.append((facts.path, dict(query)))
        status, body = self.answer(facts.path, dict(query))
        sent = Sent("GET", f"http://mock.test{facts.path}?{'&'.join(f'{k}={v}' for k, v in query.items())}")
        if isinstance(body, str):  # a page (a proxy's HTML), not an API response
            received = Received(status, (("content-type", "text/html"),), body.encode())
            return Exchange(sent, received, [], None)
        received = Received(status, (("content-type", "application/json"),), json.dumps(body).encode())
        return Exchange(sent, received, [], body if 200 <= status < 300 else None)


@pytest.fixture
def mock(list_spec: Path) -> Iterator[MockHarness]:
    harness = MockHarness(spec=list_spec)
    for number in range(7):
        harness.create(id=f"video_l{number}", created_at=100 - number)
    yield harness
    harness.close()


def over_mock(mock: MockHarness) -> FakeDirect:
    headers = {"Authorization": f"Bearer {KEY}", "x-goog-api-key": KEY}

    def answer(path: str, query: dict[str, str]) -> tuple[int, Any]:
        response = mock.get(path, params=query, headers=headers)
        return response.status_code, response.json()

    return FakeDirect(answer)


def walk(direct: FakeDirect, spec: SpecFacts) -> list[str]:
    return run_pagination(direct, spec, IdPools())  # type: ignore[arg-type]


def checks(direct: FakeDirect, label: str) -> dict[str, tuple[int, int]]:
    found = direct.ledger.evidence.operation(label).checks
    return {name: (count.held, count.failed) for name, count in found.items()}


def findings(direct: FakeDirect) -> list[Finding]:
    return direct.ledger.findings


# -- against the mock ---------------------------------------------------------------------------------------------


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_the_mocks_lists_hold_every_invariant(mock: MockHarness, list_spec: Path) -> None:
    direct = over_mock(mock)
    notes = walk(direct, load_facts(list_spec))
    assert findings(direct) == []
    assert notes == []
    assert checks(direct, VIDEOS) == dict.fromkeys(PAGINATION_CHECKS, (1, 0))
    assert checks(direct, GEMINI) == {
        name: (1, 0)
        for name in PAGINATION_CHECKS
        if name != "pagination_after_last"  # a token list has no "after"
    }
    assert checks(direct, MODELS) == {"pagination_no_repeats": (1, 0)}  # one whole page: no order or end to judge
    videos = [query for path, query in direct.sent if path == "/v1/videos"]
    assert videos[0] == {"limit": "3", "order": "desc"}  # small pages, in the order the spec states by default
    assert {"limit": "100", "order": "desc"} in videos  # the whole list in one page, to compare the walk with
    assert videos[-1]["after"] == pagination.UNKNOWN_CURSOR


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("fault", "label", "check", "key"),
    [
        ("page_repeat,path=/v1/videos", VIDEOS, "pagination_no_repeats", "item-repeated"),
        ("page_lose,path=/v1/videos", VIDEOS, "pagination_order", "lost-item"),
        ("page_loop,path=/v1/videos", VIDEOS, "pagination_end", "cursor-repeated"),
        ("page_repeat,path=/v1beta/models", GEMINI, "pagination_no_repeats", "item-repeated"),
        ("page_lose,path=/v1beta/models", GEMINI, "pagination_order", "lost-item"),
        ("page_loop,path=/v1beta/models", GEMINI, "pagination_end", "cursor-repeated"),
    ],
)
def test_each_page_fault_is_a_finding_naming_the_page_and_cursor(
    mock: MockHarness, list_spec: Path, fault: str, label: str, check: str, key: str
) -> None:
    mock.state.faults.add(parse_fault_spec(fault))
    direct = over_mock(mock)
    walk(direct, load_facts(list_spec))
    mine = [finding for finding in findings(direct) if finding.check == check]
    assert [(f.operation, f.key, f.category_value, f.phase) for f in mine] == [
        (label, key, "server_nonconformance", "pagination")
    ]
    (finding,) = mine
    assert finding.evidence["page"] >= 1
    assert finding.evidence["cursor"]
    assert f"page {finding.evidence['page']} (cursor {finding.evidence['cursor']!r})" in finding.message
    assert finding.request["url"].startswith("http://mock.test")
    assert checks(direct, label)[check] == (0, 1)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_looping_cursor_stops_the_walk(mock: MockHarness, list_spec: Path) -> None:
    mock.state.faults.add(parse_fault_spec("page_loop,path=/v1/videos"))
    direct = over_mock(mock)
    walk(direct, load_facts(list_spec))
    walked = [query for path, query in direct.sent if path == "/v1/videos" and query.get("limit") == "3"]
    assert len(walked) == 3  # the first page, the page that loops, the unknown cursor: no more


# -- scripted servers ---------------------------------------------------------------------------------------------

LIST = {
    "openapi": "3.1.0",
    "paths": {
        "/things": {
            "get": {
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 10}},
                    {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "id": {"type": "string"},
                                                    "created_at": {"type": "integer"},
                                                },
                                            },
                                        },
                                        "first_id": {"type": "string"},
                                        "last_id": {"type": "string"},
                                        "has_more": {"type": "boolean"},
                                    },
                                }
                            }
                        },
                    },
                    "404": {"description": "an unknown cursor"},
                },
            }
        }
    },
}
THINGS = [{"id": f"t{n}", "created_at": 100 - n} for n in range(7)]  # newest first, as order=desc asks


def server(things: list[dict[str, Any]] = THINGS, **breaks: Any) -> Answer:
    """A correct cursor list of ``things``, broken as ``breaks`` say."""

    def answer(path: str, query: dict[str, str]) -> tuple[int, Any]:
        after, limit = query.get("after"), int(query.get("limit", "20"))
        if breaks.get("endless") and after != pagination.UNKNOWN_CURSOR:
            return 200, {"data": things[:limit], "has_more": True, "last_id": f"fresh-{len(after or '')}-{after}"}
        if after is not None and after not in {t["id"] for t in things}:
            unknown: tuple[int, Any] = breaks.get("unknown", (200, {"data": [], "has_more": False}))
            return unknown
        start = 0 if after is None else next(i + 1 for i, t in enumerate(things) if t["id"] == after)
        page = things[start : start + limit + breaks.get("extra", 0)]
        body: dict[str, Any] = {"data": page, "has_more": start + limit < len(things)}
        if page:
            body.update(first_id=page[0]["id"], last_id=breaks.get("last_id", page[-1]["id"]))
        return 200, body

    return answer


def scripted(answer: Answer, clock: _Clock | None = None) -> tuple[FakeDirect, list[str]]:
    direct = FakeDirect(answer, clock)
    return direct, walk(direct, facts_for(LIST))


def only(direct: FakeDirect) -> Finding:
    (finding,) = findings(direct)
    return finding


def test_a_correct_list_holds_every_invariant() -> None:
    direct, notes = scripted(server())
    assert (findings(direct), notes) == ([], [])
    assert checks(direct, "GET /things") == dict.fromkeys(PAGINATION_CHECKS, (1, 0))


def test_a_page_over_the_limit_is_a_finding() -> None:
    direct, _ = scripted(server(extra=1))
    finding = only(direct)
    assert (finding.check, finding.key, finding.evidence["page"], finding.evidence["cursor"]) == (
        "pagination_limit",
        "over-limit",
        0,
        None,
    )
    assert finding.message == "page 0 (first page): 4 items for a page size of 3"


def test_an_unknown_cursor_may_be_an_empty_page_or_a_documented_4xx_only() -> None:
    assert findings(scripted(server(unknown=(404, {"error": {"message": "no"}})))[0]) == []
    direct, _ = scripted(server(unknown=(410, {"error": {"message": "gone"}})))
    assert (only(direct).check, only(direct).message) == (
        "pagination_unknown_cursor",
        f"cursor {pagination.UNKNOWN_CURSOR!r}: an undocumented 410",
    )
    direct, _ = scripted(server(unknown=(200, {"data": THINGS[:1], "has_more": False})))
    assert only(direct).check == "pagination_unknown_cursor"


@pytest.mark.parametrize("status", [200, 401, 502])
def test_a_page_that_is_no_api_response_is_not_judged_by_the_pagination_checks(status: int) -> None:
    # The exchange itself is reported once, as not_an_api_response (contract_tests.suite.findings): a proxy's page
    # says nothing about the list's cursors.
    direct, _ = scripted(server(unknown=(status, "<html><title>Sign in</title></html>")))
    assert findings(direct) == []
    assert checks(direct, "GET /things")["pagination_unknown_cursor"] == (0, 0)


def test_a_list_that_gives_no_page_is_not_asked_about_cursors() -> None:
    # A wrong key: every request gets 401. The walk stops at once and says so; no cursor is judged on a 401.
    direct, notes = scripted(lambda path, query: (401, {"error": {"message": "Incorrect API key provided."}}))
    assert findings(direct) == []
    assert [query for _, query in direct.sent] == [{"limit": "3", "order": "desc"}]
    assert notes == ["pagination: the walk of GET /things stopped at page 0: 401"]


def test_first_and_last_ids_must_name_the_pages_items() -> None:
    direct, _ = scripted(server(last_id="t0"))
    found = {(f.check, f.key) for f in findings(direct)}
    assert ("pagination_order", "last_id-mismatch") in found


def test_items_out_of_the_stated_order_are_a_finding() -> None:
    shuffled = [*THINGS[:3], THINGS[4], THINGS[3], *THINGS[5:]]
    direct, _ = scripted(server(shuffled))
    finding = only(direct)
    assert (finding.check, finding.key, finding.evidence["page"], finding.evidence["cursor"]) == (
        "pagination_order",
        "out-of-order",
        1,
        "t2",
    )
    assert finding.message == "page 1 (cursor 't2'): created_at 97 after 96, in a list ordered desc"


def test_an_empty_page_that_says_more_follow_is_a_finding() -> None:
    def answer(path: str, query: dict[str, str]) -> tuple[int, Any]:
        if "after" in query and query["after"] != pagination.UNKNOWN_CURSOR:
            return 200, {"data": [], "has_more": True}
        return server()(path, query)

    direct, _ = scripted(answer)
    end = [f for f in findings(direct) if f.check == "pagination_end"]
    assert [(f.key, f.evidence["page"], f.evidence["cursor"]) for f in end] == [("empty-page-with-more", 1, "t2")]


def test_a_page_after_the_last_that_is_not_empty_is_a_finding() -> None:
    def answer(path: str, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("after") == "t6":
            return 200, {"data": THINGS[:1], "has_more": False}
        return server()(path, query)

    direct, _ = scripted(answer)
    finding = only(direct)
    assert (finding.check, finding.evidence["page"], finding.evidence["cursor"]) == ("pagination_after_last", 3, "t6")


def test_an_endless_list_is_walked_within_the_page_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "MAX_PAGES", 5)
    direct, notes = scripted(server(endless=True))
    assert len([q for _, q in direct.sent if q.get("after") != pagination.UNKNOWN_CURSOR]) == 5
    assert notes == [
        "pagination: the walk of GET /things stopped after 5 pages (bounds: 5 pages, 60 s); the invariants were "
        "judged on those"
    ]


def test_the_walk_is_bounded_in_time_by_the_runs_clock() -> None:
    direct, notes = scripted(server(endless=True), _Clock(step=25.0))
    assert len([q for _, q in direct.sent if q.get("after") != pagination.UNKNOWN_CURSOR]) == 2
    assert "stopped after 2 pages" in notes[0]


def test_a_list_operation_with_a_path_parameter_needs_a_known_id() -> None:
    document = json.loads(json.dumps(LIST).replace("/things", "/owners/{owner}/things"))
    direct = FakeDirect(server())
    notes = run_pagination(direct, facts_for(document), IdPools())  # type: ignore[arg-type]
    assert notes == ["pagination: GET /owners/{owner}/things not walked: no known id for its path"]
    pools = IdPools()
    pools.add("owner", ["o1"])
    assert run_pagination(direct, facts_for(document), pools) == []  # type: ignore[arg-type]
    assert direct.sent
