"""The mock pages every list operation as the spec says it pages (``contract_tests.mock._pages``): the stateful video
list and the schema-driven fallback (a token-paged Gemini list, OpenAI's whole model list), and its page faults
(an item twice across pages, an item lost, a cursor that loops)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock._fallback import LISTED_ITEMS
from contract_tests.mock._faults import FaultKind, parse_fault_spec
from contract_tests.mock._pages import offset_token, select
from tests.mock_helpers import AUTH, KEY, MockHarness, response_errors
from tokenops.spec import Pagination

GEMINI = {"x-goog-api-key": KEY}


@pytest.fixture
def lists(list_spec: Path) -> Iterator[MockHarness]:
    harness = MockHarness(spec=list_spec)
    yield harness
    harness.close()


def walk(
    mock: MockHarness, path: str, cursor: str, next_field: str, items: str, headers: dict[str, str], **query: Any
) -> list[dict[str, Any]]:
    """Every page of a list, following ``next_field`` (``has_more`` lists: ``last_id`` while it says more)."""
    pages: list[dict[str, Any]] = []
    params = dict(query)
    for _ in range(100):
        body = mock.get(path, params=params, headers=headers).json()
        pages.append(body)
        if "has_more" in body and not body["has_more"]:
            break
        if not body.get(next_field):
            break
        params = {**query, cursor: body[next_field]}
    return pages


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_the_video_list_pages_by_after_and_limit_newest_first(lists: MockHarness, list_spec: Path) -> None:
    for number in range(5):
        lists.create(id=f"video_p{number}", created_at=100 - number)  # "seconds ago": p4 is the newest
    pages = walk(lists, "/v1/videos", "after", "last_id", "data", AUTH, limit=2)
    listed = [video["id"] for page in pages for video in page["data"]]
    assert len(listed) == len(set(listed)) == len(lists.get("/_mock/jobs").json()["jobs"])
    created = [video["created_at"] for page in pages for video in page["data"]]
    assert created == sorted(created, reverse=True)
    for page in pages:
        assert (page["first_id"], page["last_id"]) == (page["data"][0]["id"], page["data"][-1]["id"])
        assert len(page["data"]) <= 2
        assert response_errors(list_spec, "GET", "/v1/videos", page) == []
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    ascending = walk(lists, "/v1/videos", "after", "last_id", "data", AUTH, limit=3, order="asc")
    assert [video["id"] for page in ascending for video in page["data"]] == listed[::-1]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_an_unknown_video_cursor_is_an_empty_last_page(lists: MockHarness, list_spec: Path) -> None:
    body = lists.get("/v1/videos", params={"after": "video_nobody"}, headers=AUTH).json()
    assert (body["data"], body["has_more"], "first_id" in body, "last_id" in body) == ([], False, False, False)
    assert response_errors(list_spec, "GET", "/v1/videos", body) == []


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_token_list_is_served_from_its_schema_page_by_page(lists: MockHarness, list_spec: Path) -> None:
    pages = walk(lists, "/v1beta/models", "pageToken", "nextPageToken", "models", GEMINI, pageSize=10)
    names = [model["name"] for page in pages for model in page["models"]]
    assert len(names) == len(set(names)) == LISTED_ITEMS
    assert [len(page["models"]) for page in pages] == [10, 10, 5]
    assert "nextPageToken" not in pages[-1]
    assert all(name.startswith("models/gemini-2.5-flash-") for name in names)  # the spec's example item, numbered
    for page in pages:
        assert response_errors(list_spec, "GET", "/v1beta/models", page) == []
    default = lists.get("/v1beta/models", headers=GEMINI).json()
    assert (len(default["models"]), "nextPageToken" in default) == (LISTED_ITEMS, False)  # pageSize 50 by default


def test_a_page_token_the_mock_never_issued_gets_an_empty_last_page(lists: MockHarness) -> None:
    # Any string is a schema-valid token: the mock accepts it (a 400 would be a refused valid request).
    response = lists.get("/v1beta/models", params={"pageToken": "not-a-token"}, headers=GEMINI)
    assert response.status_code == 200
    assert response.json()["models"] == []
    assert "nextPageToken" not in response.json()


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_a_whole_list_comes_in_one_page_of_distinct_items(lists: MockHarness, list_spec: Path) -> None:
    body = lists.get("/v1/models", headers=AUTH).json()
    ids = [model["id"] for model in body["data"]]
    assert len(ids) == len(set(ids)) == LISTED_ITEMS
    assert response_errors(list_spec, "GET", "/v1/models", body) == []


# -- page faults ------------------------------------------------------------------------------------------------


def _faulty_second_page(mock: MockHarness, fault: str) -> tuple[list[str], dict[str, Any]]:
    for number in range(4):
        mock.create(id=f"video_f{number}", created_at=100 - number)
    first = mock.get("/v1/videos", params={"limit": 2, "order": "asc"}, headers={**AUTH, "X-Mock-Fault": fault})
    ids = [video["id"] for video in first.json()["data"]]
    cursor = first.json()["last_id"]
    second = mock.get(
        "/v1/videos", params={"limit": 2, "order": "asc", "after": cursor}, headers={**AUTH, "X-Mock-Fault": fault}
    )
    return ids, second.json()


def test_page_repeat_serves_the_cursors_item_again(lists: MockHarness) -> None:
    first, second = _faulty_second_page(lists, "page_repeat")
    assert second["data"][0]["id"] == first[-1]  # the first page is as it should be; the second repeats its last


def test_page_lose_skips_the_item_after_the_cursor(lists: MockHarness) -> None:
    first, second = _faulty_second_page(lists, "page_lose")
    normal = lists.get("/v1/videos", params={"limit": 2, "order": "asc", "after": first[-1]}, headers=AUTH).json()
    assert second["data"][0]["id"] == normal["data"][1]["id"]


def test_page_loop_gives_back_the_cursor_it_was_asked_with(lists: MockHarness) -> None:
    first, second = _faulty_second_page(lists, "page_loop")
    assert (second["last_id"], second["has_more"]) == (first[-1], True)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_page_faults_apply_to_token_lists_and_are_rules_like_any_other(lists: MockHarness) -> None:
    assert lists.post("/_mock/faults", json={"kind": "page_loop", "path": "/v1beta/*"}).status_code == 201
    first = lists.get("/v1beta/models", params={"pageSize": 10}, headers=GEMINI).json()
    second = lists.get(
        "/v1beta/models", params={"pageSize": 10, "pageToken": first["nextPageToken"]}, headers=GEMINI
    ).json()
    assert second["nextPageToken"] == first["nextPageToken"]
    assert parse_fault_spec("page_lose,every=2").kind is FaultKind.PAGE_LOSE


# -- the paging rule itself ------------------------------------------------------------------------------------

CURSOR = Pagination(
    style="cursor",
    items="data",
    cursor_parameter="after",
    item_cursor="id",
    has_more="has_more",
    next_cursor="last_id",
    limit_parameter="limit",
    backward_parameter="before",
    previous_cursor="first_id",
)
KEYS = [f"k{n}" for n in range(10)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (0, 10, False)),  # the default page size (20) holds them all
        ({"limit": 3}, (0, 3, True)),
        ({"limit": 3, "after": "k2"}, (3, 6, True)),
        ({"limit": 3, "after": "k8"}, (9, 10, False)),
        ({"limit": 3, "after": "nobody"}, (10, 10, False)),
        ({"limit": 3, "before": "k5"}, (2, 5, True)),  # the page just before k5; more remain before it
        ({"limit": 3, "before": "k2"}, (0, 2, False)),
        ({"limit": 3, "after": "k1", "before": "k4"}, (2, 4, False)),
    ],
)
def test_a_cursor_selects_the_items_after_or_before_it(query: dict[str, Any], expected: tuple[int, int, bool]) -> None:
    chosen = select(CURSOR, KEYS, query)
    assert chosen is not None
    assert (chosen.start, chosen.stop, chosen.more) == expected


def test_tokens_are_offsets_the_mock_issued() -> None:
    token = Pagination(
        style="token", items="models", cursor_parameter="pageToken", next_cursor="nextPageToken", limit_default=4
    )
    first = select(token, KEYS, {})
    assert first is not None
    assert (first.start, first.stop, first.more, first.next_cursor) == (0, 4, True, offset_token(4))
    second = select(token, KEYS, {"pageToken": first.next_cursor})
    assert second is not None
    assert (second.start, second.stop, second.next_cursor) == (4, 8, offset_token(8))
    assert select(token, KEYS, {"pageToken": "bm90IG91cnM"}) is None  # base64 of "not ours"
