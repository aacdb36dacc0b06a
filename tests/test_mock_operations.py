"""The mock on the grown 6-operation spec, in-process: every video operation statefully, checked by the spec."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests._paths import spec_path
from tests.mock_helpers import AUTH, MockHarness, response_errors

OPERATIONS = {"getVideoStatus", "createVideo", "remixVideo", "listVideos", "deleteVideo", "downloadVideoContent"}


@pytest.fixture
def grown(grown_spec: Path) -> Iterator[MockHarness]:
    harness = MockHarness(spec=grown_spec)
    yield harness
    harness.close()


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert {"message", "type", "code"} <= set(error)
    return error


def _create(grown: MockHarness, **fields: str) -> dict[str, Any]:
    response = grown.post("/v1/videos", headers=AUTH, data={"prompt": "A cat", **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_every_operation_of_the_grown_spec_has_its_stateful_handler(grown: MockHarness) -> None:
    assert set(grown.app.stateful_operations()) == OPERATIONS
    listed = grown.get("/_mock/operations").json()["operations"]
    assert {entry["operation_id"] for entry in listed} == OPERATIONS
    assert all(entry["auth"] for entry in listed)


def test_todays_spec_serves_its_one_operation() -> None:
    # Today's spec is the vendored one cut down to getVideoStatus (in every spec): the mock serves only what
    # the spec in front of it documents, whatever else the vendored spec has grown.
    document = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    document["paths"] = {"/v1/videos/{video_id}": {"get": document["paths"]["/v1/videos/{video_id}"]["get"]}}
    harness = MockHarness(spec=document)
    try:
        assert harness.app.stateful_operations() == ["getVideoStatus"]
        _error(harness.post("/v1/videos", headers=AUTH, json={"prompt": "x"}), 404, "not_found")
        _error(harness.request("DELETE", "/v1/videos/video_completed_demo", headers=AUTH), 405, "method_not_allowed")
        assert harness.video("video_completed_demo").status_code == 200
    finally:
        harness.close()


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_create_multipart_with_a_file_then_poll_it(grown: MockHarness, grown_spec: Path) -> None:
    files = {"input_reference": ("ref.png", b"\x89PNG" + b"\x00" * 5000, "image/png")}
    data = {"prompt": "A calico cat", "model": "sora-2-pro", "size": "1280x720", "seconds": "12"}
    response = grown.post("/v1/videos", headers=AUTH, data=data, files=files)
    assert response.status_code == 200, response.text
    created = response.json()
    assert response_errors(grown_spec, "POST", "/v1/videos", created) == []
    assert (created["status"], created["model"], created["size"], created["seconds"]) == (
        "pending",
        "sora-2-pro",
        "1280x720",
        "12",
    )
    assert "openai-poll-after-ms" in response.headers
    grown.advance(60)
    assert grown.video(created["id"]).json()["status"] == "completed"


def test_create_takes_json_too(grown: MockHarness) -> None:
    response = grown.post("/v1/videos", headers=AUTH, json={"prompt": "A dog", "size": "720x1280"})
    assert response.status_code == 200, response.text
    assert grown.video(response.json()["id"]).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status", "param"),
    [
        ({"data": {"model": "sora-2"}}, 400, "prompt"),
        ({"json": {"model": "sora-2"}}, 400, "prompt"),
        ({"data": {"prompt": "x", "size": "1792x1024"}}, 400, "size"),
        ({"json": {"prompt": "x", "seconds": 8}}, 400, "seconds"),
        ({"json": {"prompt": 42}}, 400, "prompt"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, "body"),
        ({}, 400, "body"),
    ],
    ids=[
        "form-no-prompt",
        "json-no-prompt",
        "size-not-in-enum",
        "seconds-not-string",
        "prompt-int",
        "bad-json",
        "empty",
    ],
)
def test_create_request_is_validated_against_the_spec(
    grown: MockHarness, kwargs: dict[str, Any], status: int, param: str
) -> None:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    before = len(grown.state.store)
    response = grown.post("/v1/videos", headers=headers, **kwargs)
    error = _error(response, status, response.json()["error"]["code"])
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert param in error["message"] or param == "body"
    assert len(grown.state.store) == before  # nothing created


def test_create_refuses_a_media_type_the_operation_does_not_take(grown: MockHarness) -> None:
    response = grown.post("/v1/videos", headers={**AUTH, "Content-Type": "text/plain"}, content=b"a cat")
    error = _error(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in error["message"]


def test_remix_makes_a_new_job_from_an_existing_one(grown: MockHarness, grown_spec: Path) -> None:
    response = grown.post("/v1/videos/video_completed_demo/remix", headers=AUTH, json={"prompt": "Make it snow"})
    assert response.status_code == 200, response.text
    remix = response.json()
    assert response_errors(grown_spec, "POST", "/v1/videos/{video_id}/remix", remix) == []
    assert remix["remixed_from_video_id"] == "video_completed_demo"
    assert remix["id"] != "video_completed_demo"
    assert remix["status"] == "pending"
    _error(grown.post("/v1/videos/video_nope/remix", headers=AUTH, json={"prompt": "x"}), 404, "video_not_found")
    error = _error(
        grown.post("/v1/videos/video_completed_demo/remix", headers=AUTH, json={}), 400, "missing_required_parameter"
    )
    assert error["param"] == "prompt"


def test_list_paginates_with_a_cursor_in_both_orders(grown: MockHarness, grown_spec: Path) -> None:
    made = []
    for _ in range(5):
        made.append(_create(grown)["id"])
        grown.advance(1)
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "order": "asc", **({"after": after} if after else {})}
        response = grown.get("/v1/videos", headers=AUTH, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert response_errors(grown_spec, "GET", "/v1/videos", page) == []
        assert page["object"] == "list"
        assert len(page["data"]) <= 3
        assert (page["first_id"], page["last_id"]) == (page["data"][0]["id"], page["data"][-1]["id"])
        seen += [video["id"] for video in page["data"]]
        pages += 1
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert pages == 3  # 4 well-known + 5 created = 9 jobs, 3 per page
    assert seen[-5:] == made
    assert len(set(seen)) == 9
    newest = grown.get("/v1/videos", headers=AUTH, params={"limit": 1}).json()  # default order: desc
    assert newest["data"][0]["id"] == made[-1]
    assert newest["has_more"] is True
    assert grown.get("/v1/videos", headers=AUTH).json()["data"][0]["id"] == made[-1]  # limit default 20
    beyond = grown.get("/v1/videos", headers=AUTH, params={"after": "video_unknown"}).json()
    assert beyond["data"] == []
    assert beyond["has_more"] is False
    assert "first_id" not in beyond


@pytest.mark.parametrize(
    ("query", "param"),
    [("limit=0", "limit"), ("limit=abc", "limit"), ("limit=101", "limit"), ("order=sideways", "order")],
)
def test_list_query_is_validated(grown: MockHarness, query: str, param: str) -> None:
    error = _error(grown.get(f"/v1/videos?{query}", headers=AUTH), 400, "invalid_value")
    assert error["param"] == param


def test_delete_removes_the_job(grown: MockHarness, grown_spec: Path) -> None:
    video_id = _create(grown)["id"]
    response = grown.request("DELETE", f"/v1/videos/{video_id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body == {"id": video_id, "object": "video.deleted", "deleted": True}
    assert response_errors(grown_spec, "DELETE", "/v1/videos/{video_id}", body) == []
    _error(grown.video(video_id), 404, "video_not_found")
    _error(grown.request("DELETE", f"/v1/videos/{video_id}", headers=AUTH), 404, "video_not_found")
    grown.post("/_mock/reset")
    assert grown.request("DELETE", "/v1/videos/video_pending_demo", headers=AUTH).status_code == 200
    grown.post("/_mock/reset")
    assert grown.video("video_pending_demo").status_code == 200  # a reset brings the well-known jobs back


def test_download_serves_bytes_of_completed_videos_only(grown: MockHarness) -> None:
    video = grown.get("/v1/videos/video_completed_demo/content", headers=AUTH)
    assert video.status_code == 200
    assert video.headers["content-type"] == "application/octet-stream"
    assert video.content[4:8] == b"ftyp"
    assert int(video.headers["content-length"]) == len(video.content) > 1000
    thumbnail = grown.get("/v1/videos/video_completed_demo/content?variant=thumbnail", headers=AUTH)
    assert thumbnail.status_code == 200
    assert thumbnail.content != video.content
    assert grown.get("/v1/videos/video_completed_demo/content", headers=AUTH).content == video.content
    for video_id in ("video_in_progress_demo", "video_pending_demo", "video_failed_demo"):
        error = _error(grown.get(f"/v1/videos/{video_id}/content", headers=AUTH), 409, "video_not_ready")
        assert video_id in error["message"]
    _error(grown.get("/v1/videos/video_nope/content", headers=AUTH), 404, "video_not_found")
    bad = _error(
        grown.get("/v1/videos/video_completed_demo/content?variant=poster", headers=AUTH), 400, "invalid_value"
    )
    assert bad["param"] == "variant"


def test_a_created_video_can_be_downloaded_once_completed(grown: MockHarness) -> None:
    video_id = _create(grown)["id"]
    assert grown.get(f"/v1/videos/{video_id}/content", headers=AUTH).status_code == 409
    grown.advance(60)
    assert grown.get(f"/v1/videos/{video_id}/content", headers=AUTH).status_code == 200


REQUESTS = [
    ("GET", "/v1/videos", {}),
    ("POST", "/v1/videos", {"data": {"prompt": "x"}}),
    ("GET", "/v1/videos/video_completed_demo", {}),
    ("DELETE", "/v1/videos/video_completed_demo", {}),
    ("GET", "/v1/videos/video_completed_demo/content", {}),
    ("POST", "/v1/videos/video_completed_demo/remix", {"json": {"prompt": "x"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_every_operation_requires_the_key(grown: MockHarness, method: str, path: str, kwargs: dict[str, Any]) -> None:
    _error(grown.request(method, path, **kwargs), 401, "missing_api_key")
    _error(grown.request(method, path, headers={"Authorization": "Bearer sk-wrong"}, **kwargs), 401, "invalid_api_key")
    assert grown.request(method, path, headers=AUTH, **kwargs).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/v1/videos/video_completed_demo", "DELETE, GET, HEAD"),
        ("PUT", "/v1/videos", "GET, HEAD, POST"),
        ("DELETE", "/v1/videos/video_completed_demo/remix", "POST"),
        ("POST", "/v1/videos/video_completed_demo/content", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_the_spec_methods(grown: MockHarness, method: str, path: str, allow: str) -> None:
    response = grown.request(method, path, headers=AUTH)
    _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/v1/videos/x/y/z", "/v1/videos/", "/v1/video", "/v1/videos/x/remix/more"])
def test_unknown_paths_are_404_in_openai_format(grown: MockHarness, path: str) -> None:
    _error(grown.get(path, headers=AUTH), 404, "not_found")


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_faults_apply_to_every_operation(grown: MockHarness, method: str, path: str, kwargs: dict[str, Any]) -> None:
    def send(fault: str) -> httpx.Response:
        grown.post("/_mock/reset")
        return grown.request(method, path, headers={**AUTH, "X-Mock-Fault": fault}, **kwargs)

    assert send("server_error,status=502").status_code == 502
    assert send("rate_limit").status_code == 429
    assert send("html_200").headers["content-type"].startswith("text/html")
    with pytest.raises(ConnectionResetError):
        send("drop")
    with pytest.raises(httpx.DecodingError):
        send("gzip_lie")
    started = time.perf_counter()
    with pytest.raises(ConnectionResetError, match="stalled"):
        send("stall,stall_ms=50")
    assert time.perf_counter() - started >= 0.05
    assert send("wrong_content_type").headers["content-type"].split(";")[0] in (
        "text/plain",
        "application/octet-stream",
    )
    malformed = send("malformed_json")
    assert malformed.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match=r"line 1|decode"):  # JSONDecodeError, or UnicodeDecodeError for binary
        json.loads(malformed.content)


def test_server_error_fault_comes_before_the_handler(grown: MockHarness) -> None:
    before = len(grown.state.store)
    response = grown.post("/v1/videos", headers={**AUTH, "X-Mock-Fault": "server_error"}, data={"prompt": "x"})
    assert response.status_code == 503
    assert len(grown.state.store) == before


def test_fault_rules_match_operations_by_path_glob_and_id(grown: MockHarness) -> None:
    grown.post("/_mock/faults", json={"kind": "server_error", "path": "/v1/videos/*/content"})
    assert grown.get("/v1/videos/video_completed_demo/content", headers=AUTH).status_code == 503
    assert grown.video("video_completed_demo").status_code == 200
    grown.request("DELETE", "/_mock/faults")
    grown.post("/_mock/faults", json={"kind": "rate_limit", "video_id": "video_failed_demo"})
    assert grown.post("/v1/videos/video_failed_demo/remix", headers=AUTH, json={"prompt": "x"}).status_code == 429
    assert grown.post("/v1/videos/video_completed_demo/remix", headers=AUTH, json={"prompt": "x"}).status_code == 200


def test_reality_spoils_lists_as_real_servers_do(grown: MockHarness, grown_spec: Path) -> None:
    page = grown.get("/v1/videos", headers={**AUTH, "X-Mock-Fault": "reality"}).json()
    pending = next(video for video in page["data"] if video["id"] == "video_pending_demo")
    assert pending["status"] == "queued"
    assert response_errors(grown_spec, "GET", "/v1/videos", page) != []


def test_stats_count_requests_per_operation(grown: MockHarness) -> None:
    grown.video("video_completed_demo")
    grown.get("/v1/videos", headers=AUTH)
    grown.get("/v1/videos", headers=AUTH)
    grown.get("/nowhere")
    operations = grown.get("/_mock/stats").json()["operations"]
    assert operations == {"getVideoStatus": 1, "listVideos": 2}
