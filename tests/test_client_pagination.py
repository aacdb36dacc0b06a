"""List operations in the client (``tokenops._pagination``): pages iterable over every item, through the one request
path, and a typed error, never an endless loop, when a server's cursors would lead the walk in circles.

The operations are hand-made ``Endpoint`` objects with the pagination of an explicit spec model (the bundled spec
has no list operation); the grown spec's ``listVideos`` is exercised end to end in ``tests/test_pagination_grown.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import attrs
import httpx
import pytest

from tests.fakes import CANARY_KEY, FakeClock, Script, error
from tokenops import (
    APITimeoutError,
    AsyncPage,
    ConfigurationError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    Page,
    PaginationError,
    RawResponse,
    ResponseValidationError,
    TokenOpsWarning,
    Video,
    operations,
    spec,
)
from tokenops._config import NO_OPTIONS, call_options
from tokenops._pagination import as_declared, async_first_page, first_page, item_type, pagination_for
from tokenops_client.models import VideoStatusResponse, VideoStatusResponseStatus
from tokenops_client.types import UNSET, Endpoint, ResponseSpec, Unset

THING = {"type": "object", "properties": {"id": {"type": "string"}, "created_at": {"type": "integer"}}}


def _model() -> spec.Spec:
    cursor_query = [
        {"name": "after", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 2}},
    ]
    cursor_body = {
        "type": "object",
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "data": {"type": "array", "items": THING},
            "last_id": {"type": "string"},
            "has_more": {"type": "boolean"},
        },
    }
    token_body = {
        "type": "object",
        "properties": {"models": {"type": "array", "items": THING}, "nextPageToken": {"type": "string"}},
    }

    def get(operation_id: str, parameters: list[Any], body: Any) -> dict[str, Any]:
        content = {"application/json": {"schema": body}}
        return {
            "get": {
                "operationId": operation_id,
                "parameters": parameters,
                "responses": {"200": {"description": "ok", "content": content}},
            }
        }

    return spec.Spec(
        {
            "openapi": "3.1.0",
            "paths": {
                "/v1/things": get("listThings", cursor_query, cursor_body),
                "/v1beta/things": get(
                    "listTokenThings", [{"name": "pageToken", "in": "query", "schema": {"type": "string"}}], token_body
                ),
                "/v1/all": get("listAll", [], cursor_body),
            },
        }
    )


MODEL = _model()


def _builder(path: str, names: dict[str, str]) -> Any:
    def build(**arguments: Any) -> dict[str, Any]:
        unknown = set(arguments) - set(names.values())
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        params = {json_name: arguments[name] for json_name, name in names.items() if name in arguments}
        return {"method": "get", "url": path, "params": params}

    return build


def endpoint(path: str = "/v1/things", names: dict[str, str] | None = None, page_type: Any = Any) -> Endpoint:
    names = {"after": "after", "limit": "limit"} if names is None else names
    return Endpoint(
        name=path.strip("/").replace("/", "_"),
        method="GET",
        path=path,
        path_parameters={},
        query_parameters=names,
        header_parameters={},
        bodies=(),
        responses=(ResponseSpec(200, 200, "json", page_type),),
        requires_auth=True,
        build_request=_builder(path, names),
    )


CURSOR = endpoint()
TOKEN = endpoint("/v1beta/things", {"pageToken": "page_token"})
WHOLE = endpoint("/v1/all", {})


def pagination(of: Endpoint) -> spec.Pagination:
    found = pagination_for(of, MODEL)
    assert found is not None
    return found


class Server:
    """A list of ``count`` things served in OpenAI's cursor style (``after`` / ``limit``, ``has_more``, ``last_id``),
    or in Gemini's token style for ``/v1beta``."""

    def __init__(self, count: int = 5) -> None:
        self.things = [{"id": f"thing_{n}", "created_at": 1000 + n} for n in range(count)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params
        if request.url.path == "/v1beta/things":
            start = int(query.get("pageToken", "0") or 0)
            page = self.things[start : start + 2]
            body: dict[str, Any] = {"models": page}
            if start + 2 < len(self.things):
                body["nextPageToken"] = str(start + 2)
            return httpx.Response(200, json=body)
        after = query.get("after")
        start = 0 if after is None else next((i + 1 for i, t in enumerate(self.things) if t["id"] == after), 10**6)
        limit = int(query.get("limit", "2"))
        page = self.things[start : start + limit]
        body = {"object": "list", "data": page, "has_more": start + limit < len(self.things)}
        if page:
            body["last_id"] = page[-1]["id"]
        return httpx.Response(200, json=body)


def requester(client: Any) -> Any:
    return client.operations._requester


def walk(client: Any, of: Endpoint = CURSOR, arguments: dict[str, Any] | None = None, **options: Any) -> Page[Any]:
    timeout = options.pop("timeout", None)
    page = first_page(
        requester(client),
        of,
        arguments or {},
        call_options(timeout=timeout, **options),
        pagination=pagination(of),
        timeout=timeout,
    )
    assert isinstance(page, Page)
    return page


def ids(items: list[Any]) -> list[str]:
    return [item["id"] if isinstance(item, dict) else item.id for item in items]


# -- walking --------------------------------------------------------------------------------------------------------


def test_iterating_the_first_page_yields_every_item_of_every_page(make_client: Any) -> None:
    script = Script(Server(5))
    page = walk(make_client(script))
    assert script.count == 1  # the call requests the first page only
    assert ids(list(page)) == [f"thing_{n}" for n in range(5)]
    assert [dict(r.url.params) for r in script.requests] == [{}, {"after": "thing_1"}, {"after": "thing_3"}]


def test_the_limit_and_a_starting_cursor_are_sent_with_every_page(make_client: Any) -> None:
    script = Script(Server(7))
    page = walk(make_client(script), arguments={"after": "thing_0", "limit": 3})
    assert ids(list(page)) == [f"thing_{n}" for n in range(1, 7)]
    assert [dict(r.url.params) for r in script.requests] == [
        {"after": "thing_0", "limit": "3"},
        {"after": "thing_3", "limit": "3"},
    ]
    assert page.cursor == "thing_0"


def test_a_page_says_where_it_is_and_hands_out_the_next_one(make_client: Any) -> None:
    page = walk(make_client(Script(Server(3))))
    assert (page.index, page.cursor, page.next_cursor, page.has_more, page.has_next_page()) == (
        0,
        None,
        "thing_1",
        True,
        True,
    )
    assert ids(page.items) == ["thing_0", "thing_1"]
    assert page.raw["last_id"] == "thing_1"
    assert page.response.status_code == 200
    last = page.next_page()
    assert (last.index, last.cursor, last.next_cursor, last.has_more, last.has_next_page()) == (
        1,
        "thing_1",
        None,
        False,
        False,
    )
    assert [p.index for p in page.iter_pages()] == [0, 1]
    with pytest.raises(InvalidArgumentError, match="last page"):
        last.next_page()
    assert "next_cursor=None" in repr(last)


def test_the_same_pages_can_be_walked_again(make_client: Any) -> None:
    page = walk(make_client(Script(Server(5))))
    assert ids(list(page)) == ids(list(page))  # a second walk re-requests the pages: no false loop


def test_token_pagination_follows_next_page_token_until_it_is_absent(make_client: Any) -> None:
    script = Script(Server(5))
    page = walk(make_client(script), TOKEN)
    assert ids(list(page)) == [f"thing_{n}" for n in range(5)]
    assert [dict(r.url.params) for r in script.requests] == [{}, {"pageToken": "2"}, {"pageToken": "4"}]
    assert page.has_more is None


def test_a_whole_list_is_one_page(make_client: Any) -> None:
    script = Script(Server(3))
    page = walk(make_client(script), WHOLE)
    assert (ids(list(page)), script.count, page.has_next_page()) == (["thing_0", "thing_1"], 1, False)


def test_an_empty_list_is_an_empty_page(make_client: Any) -> None:
    page = walk(make_client(Script(Server(0))))
    assert (list(page), page.has_next_page()) == ([], False)


# -- servers that would lead the walk in circles ------------------------------------------------------------------


def _body(items: list[str], **fields: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": [{"id": i} for i in items], **fields})


def test_has_more_with_the_same_cursor_forever_stops_with_the_cursor(make_client: Any) -> None:
    script = Script(_body(["a", "b"], has_more=True, last_id="b"))
    page = walk(make_client(script))
    with pytest.raises(PaginationError) as raised:
        list(page)
    assert (raised.value.cursor, raised.value.page, raised.value.operation) == ("b", 1, "v1_things")
    assert "'b' was already used for page 1" in str(raised.value)
    assert script.count == 2


def test_a_token_that_comes_back_stops_the_walk(make_client: Any) -> None:
    script = Script(
        httpx.Response(200, json={"models": [{"id": "a"}], "nextPageToken": "t1"}),
        httpx.Response(200, json={"models": [{"id": "b"}], "nextPageToken": "t2"}),
        httpx.Response(200, json={"models": [{"id": "c"}], "nextPageToken": "t1"}),
    )
    with pytest.raises(PaginationError, match="'t1' was already used for page 1") as raised:
        list(walk(make_client(script), TOKEN))
    assert (raised.value.cursor, raised.value.page, script.count) == ("t1", 2, 3)


def test_an_empty_page_that_says_more_follow_stops_the_walk(make_client: Any) -> None:
    script = Script(_body(["a"], has_more=True, last_id="a"), _body([], has_more=True))
    with pytest.raises(PaginationError, match=r"page for cursor 'a' is empty but says more pages follow") as raised:
        list(walk(make_client(script)))
    assert (raised.value.cursor, raised.value.page) == ("a", 1)


def test_a_cursor_that_points_backwards_stops_the_walk(make_client: Any) -> None:
    script = Script(_body(["a", "b"], has_more=True), _body(["c", "d"], has_more=True, last_id="a"))
    with pytest.raises(PaginationError, match="'a' points backwards, to an item of page 0") as raised:
        list(walk(make_client(script)))
    assert (raised.value.cursor, raised.value.page) == ("a", 1)


def test_has_more_without_a_cursor_stops_the_walk(make_client: Any) -> None:
    script = Script(httpx.Response(200, json={"data": [{"name": "no id"}], "has_more": True}))
    with pytest.raises(PaginationError, match="has_more: true but gives no cursor"):
        walk(make_client(script))


def test_the_error_names_no_secret(make_client: Any) -> None:
    script = Script(_body(["a"], has_more=True, last_id="a"))
    with pytest.raises(PaginationError) as raised:
        list(walk(make_client(script)))
    assert raised.value.request is not None
    shown = f"{raised.value} {raised.value.request.url} {list(raised.value.request.headers.values())}"
    assert CANARY_KEY not in shown


def test_a_page_that_is_not_a_list_object_is_a_validation_error(make_client: Any) -> None:
    with pytest.raises(ResponseValidationError, match="'data' of a page of v1_things is not an array"):
        walk(make_client(Script(httpx.Response(200, json={"data": "x"}))))
    with pytest.raises(ResponseValidationError, match="is an array, not a JSON object"):
        walk(make_client(Script(httpx.Response(200, json=[]))))


# -- the one request path: retries, errors, deadlines -------------------------------------------------------------


def test_every_page_is_retried_and_mapped_like_any_call(make_client: Any, clock: FakeClock) -> None:
    server = Server(6)
    script = Script(server, error(500), server, error(404))
    page = walk(make_client(script))
    with pytest.raises(NotFoundError):
        list(page)
    assert len(clock.sleeps) == 1  # the 500 of page 1 was retried; the 404 of page 2 is final
    assert [r.url.params.get("after") for r in script.requests] == [None, "thing_1", "thing_1", "thing_3"]
    with pytest.raises(InternalServerError):
        walk(make_client(Script(error(500))), max_retries=0)


def test_a_timeout_in_seconds_is_the_deadline_of_the_whole_walk(make_client: Any, clock: FakeClock) -> None:
    script = Script(Server(9), clock=clock, latency=2.0)
    page = walk(make_client(script), timeout=5.0)
    with pytest.raises(APITimeoutError):
        list(page)
    reads = [r.extensions["timeout"]["read"] for r in script.requests]
    assert reads == [5.0, 3.0, 1.0]  # each page gets the time left; none is sent past the deadline


def test_a_raw_requester_gives_the_first_page_in_a_raw_response(make_client: Any) -> None:
    raw = first_page(
        requester(make_client(Script(Server(3)))).raw, CURSOR, {}, NO_OPTIONS, pagination=pagination(CURSOR)
    )
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert ids(list(raw.parse())) == ["thing_0", "thing_1", "thing_2"]


def test_an_invalid_argument_is_refused_before_any_request(make_client: Any) -> None:
    script = Script(Server(3))
    with pytest.raises(InvalidArgumentError, match="unexpected keyword argument 'page'"):
        walk(make_client(script), arguments={"page": 2})
    assert script.count == 0


# -- typed items ----------------------------------------------------------------------------------------------------


@attrs.define
class ThingPage:
    """What the generator writes for a list body (``templates/model.py.jinja``): ``_JSON_NAMES`` and ``from_dict``."""

    _JSON_NAMES: ClassVar[dict[str, str]] = {"data": "data", "has_more": "has_more", "last_id": "last_id"}
    data: list[VideoStatusResponse] | Unset = UNSET
    has_more: bool | Unset = UNSET
    last_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = attrs.field(init=False, factory=dict)

    @classmethod
    def from_dict(cls, src: dict[str, Any]) -> ThingPage:
        data = [VideoStatusResponse.from_dict(item) for item in src.get("data", [])]
        return cls(data=data, has_more=src.get("has_more", UNSET), last_id=src.get("last_id", UNSET))


TYPED = endpoint(page_type=ThingPage)
VIDEOS = [
    {"id": "video_1", "object": "video", "status": "completed", "progress": 100},
    {"id": "video_2", "object": "video", "status": "rendering", "progress": "50"},
    {"object": "video"},  # no id: the spec's VideoStatusResponse requires none, but the item model is still usable
]


def test_items_are_the_generated_item_model_through_the_tolerant_parse(make_client: Any) -> None:
    assert item_type(TYPED, pagination(CURSOR)) is VideoStatusResponse
    assert item_type(CURSOR, pagination(CURSOR)) is None  # a page without a generated model: items stay JSON
    script = Script(httpx.Response(200, json={"data": VIDEOS, "has_more": False}))
    page = walk(make_client(script), TYPED)
    videos = list(page)
    assert all(isinstance(video, Video) for video in videos)
    assert videos[0].status == VideoStatusResponseStatus.COMPLETED
    assert (videos[1].status_text, videos[1].progress) == ("rendering", 50)  # unknown enum kept, "50" coerced
    assert isinstance(page.body, ThingPage)
    assert page.body.has_more is False


def test_strict_mode_names_the_item_that_breaks_the_spec(make_client: Any) -> None:
    script = Script(httpx.Response(200, json={"data": VIDEOS, "has_more": False}))
    with pytest.raises(ResponseValidationError, match=r"data\[1\]\.") as raised:
        walk(make_client(script, strict=True), TYPED)
    assert raised.value.field is not None
    assert raised.value.field.startswith("data[1].")


def test_tolerant_mode_leaves_out_an_item_it_cannot_build_and_says_so(make_client: Any) -> None:
    script = Script(httpx.Response(200, json={"data": [VIDEOS[0], "not an object"], "has_more": False}))
    with pytest.warns(TokenOpsWarning, match=r"item data\[1\] left out"):
        page = walk(make_client(script), TYPED)
    assert ids(page.items) == ["video_1"]


def test_plain_values_become_the_enums_the_generated_builder_declares() -> None:
    def build(*, order: VideoStatusResponseStatus | Unset = UNSET) -> dict[str, Any]:
        return {}

    listing = attrs.evolve(CURSOR, build_request=build)
    assert as_declared(listing, {"order": "completed"}) == {"order": VideoStatusResponseStatus.COMPLETED}
    with pytest.raises(InvalidArgumentError, match="order must be one of 'completed', 'failed'"):
        as_declared(listing, {"order": "sideways"})


# -- async ----------------------------------------------------------------------------------------------------------


def test_async_pages_iterate_every_item_with_async_for(make_async_client: Any) -> None:
    async def run() -> tuple[list[str], list[int], list[str]]:
        async with make_async_client(Script(Server(5))) as client:
            page = await async_first_page(requester(client), CURSOR, {}, NO_OPTIONS, pagination=pagination(CURSOR))
            assert isinstance(page, AsyncPage)
            items = [item async for item in page]
            indexes = [p.index async for p in page.iter_pages()]
            second = await page.next_page()
            return ids(items), indexes, ids(second.items)

    assert asyncio.run(run()) == ([f"thing_{n}" for n in range(5)], [0, 1, 2], ["thing_2", "thing_3"])


def test_async_walks_stop_on_a_looping_cursor_too(make_async_client: Any) -> None:
    async def run() -> None:
        async with make_async_client(Script(_body(["a"], has_more=True, last_id="a"))) as client:
            page = await async_first_page(requester(client), CURSOR, {}, NO_OPTIONS, pagination=pagination(CURSOR))
            assert isinstance(page, AsyncPage)
            [item async for item in page]

    with pytest.raises(PaginationError, match="'a' was already used"):
        asyncio.run(run())


# -- the resource, on a client whose spec has no list ----------------------------------------------------------


def test_videos_list_needs_the_list_operation_in_the_clients_spec(
    make_client: Any, make_async_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client generated from a spec without listVideos (the committed one today; a grown copy has it).
    def find(name: str) -> Any:
        if name == "listVideos":
            raise KeyError(name)
        return real_find(name)

    real_find = operations.find
    monkeypatch.setattr(operations, "find", find)
    with pytest.raises(ConfigurationError, match="no listVideos list operation"):
        make_client(Script(Server(1))).videos.list()
    with pytest.raises(ConfigurationError, match="no listVideos list operation"):
        make_async_client(Script(Server(1))).videos.list()


def test_operations_that_are_no_lists_still_return_their_result(make_client: Any) -> None:
    script = Script(httpx.Response(200, json={"id": "video_123", "object": "video", "status": "completed"}))
    result = make_client(script).operations.call("getVideoStatus", video_id="video_123")
    assert isinstance(result, Video)
