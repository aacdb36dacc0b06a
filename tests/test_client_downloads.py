"""Binary responses through ``client.operations.call``: streamed, size-bounded, closed, sync and async.

Today's spec has no binary operation (the grown one does: tests/test_client_requests.py), so these tests use an
``Endpoint`` built like the generated ones, with a ``bytes`` response.
"""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import CANARY_KEY, FakeClock, Script, error
from tokenops import (
    AsyncDownload,
    AsyncTokenOps,
    Download,
    NotFoundError,
    ResponseValidationError,
    TokenOps,
)
from tokenops_client.types import Endpoint, File, ResponseSpec

CONTENT = bytes(range(256)) * 400  # 102,400 bytes


def _build(*, video_id: str) -> dict[str, Any]:
    return {"method": "get", "url": f"/v1/videos/{video_id}/content", "params": {"variant": "video"}}


DOWNLOAD = Endpoint(
    name="download_video_content",
    method="GET",
    path="/v1/videos/{video_id}/content",
    path_parameters={"video_id": "video_id"},
    query_parameters={"variant": "variant"},
    header_parameters={},
    bodies=(),
    responses=(ResponseSpec(200, 200, "bytes", File),),
    requires_auth=True,
    build_request=_build,
)


def _binary(content: bytes = CONTENT, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": "video/mp4", **headers})


def _client(script: Script, **options: Any) -> TokenOps:
    http = httpx.Client(transport=httpx.MockTransport(script))
    return TokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http, clock=FakeClock(), **options)


def test_a_download_streams_in_chunks_and_closes(tmp_path: Path) -> None:
    script = Script(_binary())
    client = _client(script)
    with client.operations.call(DOWNLOAD, video_id="video_1") as download:
        assert isinstance(download, Download)
        assert (download.status_code, download.headers["content-type"]) == (200, "video/mp4")
        chunks = list(download.iter_bytes(chunk_size=10_000))
    assert b"".join(chunks) == CONTENT
    assert max(len(chunk) for chunk in chunks) <= 10_000
    assert str(script.requests[0].url) == "http://api.test/v1/videos/video_1/content?variant=video"
    assert client.operations.call(DOWNLOAD, video_id="v").write_to(tmp_path / "v.mp4") == len(CONTENT)
    assert (tmp_path / "v.mp4").read_bytes() == CONTENT
    assert client.operations.call(DOWNLOAD, video_id="v").read() == CONTENT


def test_a_download_over_the_limit_is_refused_declared_or_streamed(tmp_path: Path) -> None:
    client = _client(Script(_binary()), max_download_bytes=1000)
    with pytest.raises(ResponseValidationError, match="Content-Length 102400"):
        client.operations.call(DOWNLOAD, video_id="v")
    compressed = gzip.compress(CONTENT)
    streamed = _client(Script(_binary(compressed, **{"content-encoding": "gzip"})), max_download_bytes=50_000)
    with pytest.raises(ResponseValidationError, match="exceeds 50000 bytes"):
        streamed.operations.call(DOWNLOAD, video_id="v").write_to(tmp_path / "big.mp4")
    assert not (tmp_path / "big.mp4").exists()
    assert not (tmp_path / "big.mp4.part").exists()


def test_a_download_error_status_is_read_and_typed_not_streamed() -> None:
    with pytest.raises(NotFoundError):
        _client(Script(error(404))).operations.call(DOWNLOAD, video_id="v")


def test_a_connection_that_breaks_mid_download_is_a_typed_error() -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield b"abc"
            raise httpx.ReadError("reset")

    script = Script(httpx.Response(200, stream=Broken(), headers={"content-type": "video/mp4"}))
    from tokenops import APIConnectionError  # noqa: PLC0415

    with pytest.raises(APIConnectionError, match="Download broke"):
        _client(script).operations.call(DOWNLOAD, video_id="v").read()


def test_async_download(tmp_path: Path) -> None:
    async def run() -> tuple[bytes, int]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(Script(_binary())))
        async with AsyncTokenOps(api_key=CANARY_KEY, base_url="http://api.test", http_client=http) as client:
            async with await client.operations.call(DOWNLOAD, video_id="v") as download:
                assert isinstance(download, AsyncDownload)
                data = b"".join([chunk async for chunk in download.aiter_bytes()])
            written = await (await client.operations.call(DOWNLOAD, video_id="v")).awrite_to(tmp_path / "a.mp4")
            assert await (await client.operations.call(DOWNLOAD, video_id="v")).aread() == CONTENT
            return data, written

    data, written = asyncio.run(run())
    assert data == CONTENT
    assert written == len(CONTENT)
    assert (tmp_path / "a.mp4").read_bytes() == CONTENT


def test_a_download_shows_its_status_type_and_request_id() -> None:
    download = _client(Script(_binary(CONTENT, **{"x-request-id": "req_d"}))).operations.call(DOWNLOAD, video_id="v")
    with download:
        assert repr(download) == "<Download 200 'video/mp4'>"
        assert download.request_id == "req_d"


def test_a_read_timeout_mid_download_is_a_timeout_error() -> None:
    class Stalled(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield b"abc"
            raise httpx.ReadTimeout("stalled")

    from tokenops import APITimeoutError  # noqa: PLC0415

    script = Script(httpx.Response(200, stream=Stalled(), headers={"content-type": "video/mp4"}))
    with pytest.raises(APITimeoutError, match=r"Download timed out \(ReadTimeout\): http://api.test/v1/videos/v/"):
        _client(script).operations.call(DOWNLOAD, video_id="v").read()


def test_an_async_download_that_fails_leaves_no_partial_file(tmp_path: Path) -> None:
    compressed = gzip.compress(CONTENT)

    async def run() -> None:
        reply = _binary(compressed, **{"content-encoding": "gzip"})
        http = httpx.AsyncClient(transport=httpx.MockTransport(Script(reply)))
        async with AsyncTokenOps(
            api_key=CANARY_KEY, base_url="http://api.test", http_client=http, max_download_bytes=50_000
        ) as client:
            await (await client.operations.call(DOWNLOAD, video_id="v")).awrite_to(tmp_path / "big.mp4")

    with pytest.raises(ResponseValidationError, match="exceeds 50000 bytes"):
        asyncio.run(run())
    assert list(tmp_path.iterdir()) == []
