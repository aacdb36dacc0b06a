"""Run in a subprocess against a package regenerated from the grown 6-operation spec (tests/test_client_requests.py).

Every operation goes through ``client.operations.call`` on an ``httpx.MockTransport``; the script prints one
JSON object describing what was sent and what came back, for the test to assert on. Usage:
``PYTHONPATH=<tmp>/generated python tests/grown_spec_calls.py OUT_DIR``.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx

import tokenops

VIDEO = {"id": "video_9", "object": "video", "created_at": 1, "status": "queued", "progress": 0}
CONTENT = b"\x00\x01mp4-bytes" * 10_000


def handler(request: httpx.Request) -> httpx.Response:  # noqa: PLR0911 - one return per route reads best
    SENT.append(request)
    route = (request.method, request.url.path)
    if route == ("POST", "/v1/videos"):
        if b"again" in request.read():  # always busy: shows that a POST without a key is not retried
            return httpx.Response(503, json={"error": {"message": "busy"}})
        if sum(1 for r in SENT if r.url.path == "/v1/videos" and r.method == "POST") == 1:
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json=VIDEO)
    if route == ("POST", "/v1/videos/video_9/remix"):
        return httpx.Response(200, json={**VIDEO, "id": "video_10", "remixed_from_video_id": "video_9"})
    if route == ("GET", "/v1/videos"):
        return httpx.Response(200, json={"object": "list", "data": [VIDEO], "has_more": False, "last_id": "video_9"})
    if route == ("GET", "/v1/videos/video_9/content"):
        return httpx.Response(200, content=CONTENT, headers={"content-type": "video/mp4"})
    if route == ("DELETE", "/v1/videos/video_9"):
        return httpx.Response(200, json={"id": "video_9", "object": "video.deleted", "deleted": True})
    return httpx.Response(404, json={"error": {"message": "no route"}})


SENT: list[httpx.Request] = []


def describe(request: httpx.Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.url.params),
        "content_type": request.headers.get("content-type", ""),
        "idempotency_key": request.headers.get("idempotency-key"),
        "body": request.read().decode("latin-1"),
    }


def main(out_dir: Path) -> dict[str, Any]:
    models: Any = importlib.import_module("tokenops_client.models")
    types: Any = importlib.import_module("tokenops_client.types")
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = tokenops.TokenOps(api_key="sk-grown", base_url="http://api.test/v1", http_client=http)
    client = client.with_options(clock=_NoSleep())
    upload = types.File(payload=io.BytesIO(b"PNGDATA"), file_name="ref.png", mime_type="image/png")
    body = models.CreateVideoRequest(prompt="a cat", input_reference=upload)
    created = client.operations.call("createVideo", body=body, idempotency_key=True)
    remixed = client.operations.call("remixVideo", video_id="video_9", body=models.RemixVideoRequest(prompt="snow"))
    listed = client.operations.call("listVideos", limit=5, order=models.ListVideosOrder.ASC, extra_query={"trace": "1"})
    with client.operations.call("downloadVideoContent", video_id="video_9") as download:
        chunks = [len(chunk) for chunk in download.iter_bytes(chunk_size=4096)]
    target = out_dir / "video.mp4"
    written = client.operations.call("downloadVideoContent", video_id="video_9").write_to(target)
    deleted = client.operations.call("deleteVideo", video_id="video_9")
    small = client.with_options(max_download_bytes=1000)
    try:
        small.operations.call("downloadVideoContent", video_id="video_9").read()
        too_big = "read"
    except tokenops.ResponseValidationError as exc:
        too_big = str(exc)
    not_retried = len(SENT)
    try:
        client.operations.call("createVideo", body=models.CreateVideoRequest(prompt="again"))
    except tokenops.APIStatusError as exc:
        unkeyed = exc.status_code
    return {
        "operations": sorted(tokenops.operations.all_endpoints()),
        "created": [type(created).__name__, created.id, created.status_text],
        "remixed": [type(remixed).__name__, remixed.id],
        "listed": [
            type(listed).__name__,
            type(listed.body).__name__,
            [(type(v).__name__, _id(v)) for v in listed],
            listed.body.last_id,
        ],
        "chunks": [sum(chunks), max(chunks)],
        "written": [written, target.read_bytes() == CONTENT, (out_dir / "video.mp4.part").exists()],
        "deleted": [type(deleted).__name__, deleted.deleted],
        "too_big": too_big,
        "unkeyed": [unkeyed, len(SENT) - not_retried],
        "sent": [describe(request) for request in SENT],
    }


def _id(item: Any) -> Any:
    # Nested models are typed by the parser (tokenops.parse_model); a plain dict would still carry the id.
    return item["id"] if isinstance(item, dict) else item.id


class _NoSleep:
    def monotonic(self) -> float:
        return 0.0

    def time(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        pass

    async def asleep(self, seconds: float) -> None:
        pass


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))  # noqa: T201 - the test reads this line
