"""The one request path: ``client.operations.call`` for any generated operation, today's spec and the grown one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.fakes import CANARY_KEY, FakeClock, Script, error, ok, video
from tokenops import (
    InternalServerError,
    InvalidArgumentError,
    RawResponse,
    TokenOps,
    Video,
    VideoError,
    operations,
    response_info,
)
from tokenops_client.types import Endpoint, File, ResponseSpec


def test_call_by_operation_id_name_or_route_returns_the_parsed_model(make_client: Any) -> None:
    script = Script(ok(video(id="v 1")))
    client = make_client(script)
    for key in ("getVideoStatus", "get_video_status", "GET /v1/videos/{video_id}", operations.find("getVideoStatus")):
        result = client.operations.call(key, video_id="v 1")
        assert isinstance(result, Video)
        assert result.id == "v 1"
    assert {str(r.url) for r in script.requests} == {"http://api.test/v1/videos/v%201"}
    assert response_info(result) is not None


def test_call_validates_arguments_before_sending(make_client: Any) -> None:
    script = Script(ok())
    client = make_client(script)
    with pytest.raises(InvalidArgumentError, match="video_id"):
        client.operations.call("getVideoStatus", video_idd="x")
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        client.operations.call("getVideoStatus", video_id=" ")
    with pytest.raises(InvalidArgumentError, match="required"):
        client.operations.call("getVideoStatus")
    with pytest.raises(KeyError, match="get_video_status"):
        client.operations.call("makeCoffee")
    assert script.count == 0


def test_call_with_raw_response(make_client: Any) -> None:
    raw = make_client(Script(ok(headers={"x-request-id": "req_1"}))).operations.with_raw_response.call(
        "getVideoStatus", video_id="video_123"
    )
    assert isinstance(raw, RawResponse)
    assert (raw.status_code, raw.request_id, type(raw.parse()).__name__) == (200, "req_1", "Video")


def test_call_uses_the_clients_retries_and_error_tree(make_client: Any, clock: FakeClock) -> None:
    script = Script(error(500), error(500), error(500))
    with pytest.raises(InternalServerError):
        make_client(script).operations.call("getVideoStatus", video_id="video_123")
    assert script.count == 3
    assert len(clock.sleeps) == 2


def test_async_call(make_async_client: Any) -> None:
    import asyncio  # noqa: PLC0415

    async def run() -> Any:
        async with make_async_client(Script(ok())) as client:
            return await client.operations.call("getVideoStatus", video_id="video_123")

    assert asyncio.run(run()).id == "video_123"


@pytest.mark.parametrize("video_id", [".", ".."])
def test_dot_segments_are_encoded_on_every_operation(make_client: Any, video_id: str) -> None:
    script = Script(ok())
    make_client(script).operations.call("getVideoStatus", video_id=video_id)
    assert script.requests[0].url.raw_path.decode().endswith("/videos/" + video_id.replace(".", "%2E"))


# --- the grown 6-operation spec ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_every_grown_operation_runs_through_the_one_request_path(grown_repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(grown_repo / "generated"), str(ROOT)])}
    env.pop("TOKENOPS_API_KEY", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "grown_spec_calls.py"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["operations"] == [
        "create_video",
        "delete_video",
        "download_video_content",
        "get_video_status",
        "list_videos",
        "remix_video",
    ]
    assert result["created"] == ["Video", "video_9", "queued"]
    assert result["remixed"] == ["Video", "video_10"]
    assert result["listed"] == ["Page", "VideoListResponse", [["Video", "video_9"]], "video_9"]  # a list: its pages
    assert result["chunks"] == [110_000, 4096]
    assert result["written"] == [110_000, True, False]
    assert result["deleted"] == ["VideoDeleteResponse", True]
    assert "exceeds 1000 bytes" in result["too_big"]
    assert result["unkeyed"] == [503, 1]  # a POST without an idempotency key is not retried
    sent = result["sent"]
    create_attempts = [s for s in sent if (s["method"], s["path"]) == ("POST", "/v1/videos")][:2]
    assert create_attempts[0]["idempotency_key"]
    assert create_attempts[0]["idempotency_key"] == create_attempts[1]["idempotency_key"]  # one key, every retry
    assert create_attempts[0]["content_type"].startswith("multipart/form-data")
    assert 'name="input_reference"; filename="ref.png"' in create_attempts[1]["body"]
    assert "PNGDATA" in create_attempts[1]["body"]
    remix = next(s for s in sent if s["path"].endswith("/remix"))
    assert (remix["content_type"], json.loads(remix["body"])) == ("application/json", {"prompt": "snow"})
    listing = next(s for s in sent if (s["method"], s["path"]) == ("GET", "/v1/videos"))
    assert listing["query"] == {"limit": "5", "order": "asc", "trace": "1"}
    download = next(s for s in sent if s["path"].endswith("/content"))
    assert download["query"] == {"variant": "video"}
    assert any(s["method"] == "DELETE" for s in sent)


def test_a_post_is_retried_only_with_an_idempotency_key() -> None:
    # Today's spec has no POST: the rule is the method's, checked on a synthetic endpoint from the table's type.
    from tokenops_client.types import Endpoint, ResponseSpec  # noqa: PLC0415

    def build(**_: Any) -> dict[str, Any]:
        return {"method": "post", "url": "/v1/things", "json": {"a": 1}}

    endpoint = Endpoint(
        name="create_thing",
        method="POST",
        path="/v1/things",
        path_parameters={},
        query_parameters={},
        header_parameters={},
        bodies=(),
        responses=(ResponseSpec(200, 200, "json", dict),),
        requires_auth=True,
        build_request=build,
    )
    script = Script(error(503), error(503), ok({"ok": True}))
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=FakeClock())
    with pytest.raises(InternalServerError):
        client.operations.call(endpoint)
    assert script.count == 1
    assert "idempotency-key" not in script.requests[0].headers
    assert client.operations.call(endpoint, idempotency_key="key-1") == {"ok": True}
    assert [r.headers.get("idempotency-key") for r in script.requests[1:]] == ["key-1", "key-1"]
    with pytest.raises(InvalidArgumentError):
        client.operations.call(endpoint, idempotency_key="bad key\n")
    connect_fails = Script(httpx.ConnectError("refused"), ok({"ok": True}))
    http2 = httpx.Client(transport=httpx.MockTransport(connect_fails))
    client2 = TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http2, clock=FakeClock())
    assert client2.operations.call(endpoint) == {"ok": True}  # never reached the server: safe to resend
    assert isinstance(client2.operations.call(endpoint, idempotency_key=True), dict)
    assert len(connect_fails.requests[-1].headers["idempotency-key"]) == 36


def test_call_names_a_path_argument_of_the_wrong_type_and_an_unknown_argument(make_client: Any) -> None:
    script = Script(ok())
    client = make_client(script)
    with pytest.raises(InvalidArgumentError, match="video_id must be a string, not float"):
        client.operations.call("getVideoStatus", video_id=1.5)
    with pytest.raises(InvalidArgumentError, match=r"get_video_status: .*'colour'.* \(arguments: video_id\)"):
        client.operations.call("getVideoStatus", video_id="v", colour="red")
    assert script.count == 0


def _endpoint(*responses: ResponseSpec) -> Endpoint:
    def build(*, video_id: str) -> dict[str, Any]:
        return {"method": "get", "url": f"/v1/videos/{video_id}/notes"}

    return Endpoint(
        name="get_notes",
        method="GET",
        path="/v1/videos/{video_id}/notes",
        path_parameters={"video_id": "video_id"},
        query_parameters={},
        header_parameters={},
        bodies=(),
        responses=responses,
        requires_auth=True,
        build_request=build,
    )


def test_a_json_list_response_parses_each_item_as_its_model(make_client: Any) -> None:
    notes = _endpoint(ResponseSpec(200, 200, "json", list[VideoError]))
    result = make_client(Script(ok([{"code": "a"}, {"code": 5, "x": 1}]))).operations.call(notes, video_id="v")
    assert [type(item) for item in result] == [VideoError, VideoError]
    assert [item.code for item in result] == ["a", "5"]
    assert result[1]["x"] == 1


def test_text_and_raw_bytes_responses_are_returned_as_they_came(make_client: Any) -> None:
    text = _endpoint(ResponseSpec(200, 200, "text", str))
    reply = httpx.Response(200, text="héllo", headers={"content-type": "text/plain; charset=utf-8"})
    assert make_client(Script(reply)).operations.call(text, video_id="v") == "héllo"
    # Binary only for 201: a 200 would be handed back unread as a Download; this one is read whole.
    binary = _endpoint(ResponseSpec(201, 201, "bytes", File))
    reply = httpx.Response(201, content=b"\x00\x01")
    assert make_client(Script(reply)).operations.call(binary, video_id="v") == b"\x00\x01"


def test_an_error_body_nested_too_deep_for_json_is_kept_as_text(make_client: Any) -> None:
    deep = "[" * 100_000
    with pytest.raises(InternalServerError) as caught:
        make_client(Script(*[httpx.Response(500, text=deep)] * 3), max_retries=0).videos.retrieve("video_123")
    assert caught.value.body == deep[:1000]


def test_async_call_with_raw_response(make_async_client: Any) -> None:
    async def run() -> RawResponse[Any]:
        async with make_async_client(Script(ok(video(), headers={"x-request-id": "req_2"}))) as client:
            return await client.operations.with_raw_response.call("getVideoStatus", video_id="video_123")

    raw = asyncio.run(run())
    assert (raw.status_code, raw.request_id, type(raw.parse()).__name__) == (200, "req_2", "Video")
