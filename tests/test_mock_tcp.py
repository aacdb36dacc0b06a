"""``python -m contract_tests.mock --spec GROWN`` over TCP: every operation, transport faults as clients see them."""

from __future__ import annotations

import concurrent.futures
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.mock.__main__ import DEFAULT_KEEP_ALIVE, main
from contract_tests.mock.process import mock_process
from tests.mock_helpers import response_errors, shared_tls

KEY = "sk-grown-tcp"
AUTH = {"Authorization": f"Bearer {KEY}"}
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def grown_server(grown_spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("grown-tcp") / "mock.log"
    with mock_process(["--api-key", KEY, "--quiet", "--spec", str(grown_spec)], log=log) as process:
        yield process.base_url, log


@pytest.fixture
def client(grown_server: tuple[str, Path]) -> Iterator[httpx.Client]:
    base, _ = grown_server
    with httpx.Client(base_url=base, headers=AUTH, timeout=10, verify=shared_tls()) as http:
        assert http.post("/_mock/reset").status_code == 200
        yield http


def test_start_up_line_names_the_spec_and_its_operations(grown_server: tuple[str, Path], grown_spec: Path) -> None:
    _, log = grown_server
    line = log.read_text(encoding="utf-8")
    assert f"6 operations from {grown_spec}, 6 stateful" in line


def test_every_operation_over_tcp(client: httpx.Client, grown_spec: Path) -> None:
    files = {"input_reference": ("ref.jpg", b"\xff\xd8" + b"\x01" * 100_000, "image/jpeg")}
    created = client.post("/v1/videos", data={"prompt": "A cat", "seconds": "4"}, files=files)
    assert created.status_code == 200, created.text
    video = created.json()
    assert response_errors(grown_spec, "POST", "/v1/videos", video) == []
    video_id = video["id"]
    assert client.get(f"/v1/videos/{video_id}").json()["seconds"] == "4"
    assert client.get(f"/v1/videos/{video_id}/content").status_code == 409
    assert client.post("/_mock/clock/advance", json={"seconds": 60}).status_code == 200
    content = client.get(f"/v1/videos/{video_id}/content", params={"variant": "spritesheet"})
    assert (content.status_code, content.content[:4]) == (200, b"\x89PNG")
    remix = client.post(f"/v1/videos/{video_id}/remix", json={"prompt": "Make it snow"}).json()
    assert remix["remixed_from_video_id"] == video_id
    listed = client.get("/v1/videos", params={"limit": 2}).json()
    assert [v["id"] for v in listed["data"]] == [remix["id"], video_id]
    assert response_errors(grown_spec, "GET", "/v1/videos", listed) == []
    assert client.delete(f"/v1/videos/{video_id}").json()["deleted"] is True
    assert client.get(f"/v1/videos/{video_id}").status_code == 404
    assert client.patch(f"/v1/videos/{remix['id']}").headers["allow"] == "DELETE, GET, HEAD"
    stats = client.get("/_mock/stats").json()["operations"]
    assert set(stats) == {
        "createVideo",
        "getVideoStatus",
        "downloadVideoContent",
        "remixVideo",
        "listVideos",
        "deleteVideo",
    }


def test_gzip_lie_is_a_decoding_error_for_the_client(client: httpx.Client) -> None:
    with pytest.raises(httpx.DecodingError):
        client.get("/v1/videos", headers={"X-Mock-Fault": "gzip_lie"})
    assert client.get("/v1/videos").status_code == 200


def test_stall_is_a_read_timeout_and_the_server_keeps_serving(client: httpx.Client) -> None:
    client.post("/_mock/faults", json={"kind": "stall", "stall_ms": 10_000, "count": 1, "path": "/v1/videos/*/content"})
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/videos/video_completed_demo/content", timeout=0.3)
    assert client.get("/v1/videos/video_completed_demo/content").status_code == 200


def test_a_bounded_stall_ends_in_a_cut_connection(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.delete("/v1/videos/video_pending_demo", headers={"X-Mock-Fault": "stall,stall_ms=100"}, timeout=5)


def test_drop_mid_body_on_a_post(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/videos/video_completed_demo/remix", json={"prompt": "x"}, headers={"X-Mock-Fault": "drop"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "spec.yaml is missing"),
        ("paths: [1, 2", "is not valid YAML"),
        ("swagger: '2.0'\n", "is not an OpenAPI 3.x document (swagger: '2.0')"),
        ("openapi: 3.1.0\n", "has no operations to serve"),
    ],
)
def test_bad_spec_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "spec.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["--spec", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def _idle_connection_closed(base_url: str, idle: float) -> bool:
    """One keep-alive request on a raw socket, ``idle`` seconds of silence: has the server closed it?"""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /_mock/clock HTTP/1.1\r\nHost: mock\r\nConnection: keep-alive\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            received += sock.recv(4096)
        time.sleep(idle)
        sock.settimeout(0.2)
        try:
            return sock.recv(1) == b""
        except TimeoutError:
            return False


# Release tier: a second mock process and ~1 s of idle sockets, to see uvicorn honour the option. make test proves that
# --keep-alive reaches uvicorn's timeout_keep_alive (tests/test_mock_api.py, the serve options) and the default.
@pytest.mark.release
def test_idle_connections_are_kept_as_long_as_keep_alive_says(tmp_path: Path, grown_server: tuple[str, Path]) -> None:
    # uvicorn's own default (5 s) is no longer than the mock's poll hints: a polling client reconnected each time.
    assert DEFAULT_KEEP_ALIVE >= 60
    default_url, _ = grown_server  # started without --keep-alive
    with (
        mock_process(["--quiet", "--keep-alive", "0.3"], log=tmp_path / "short.log") as short,
        concurrent.futures.ThreadPoolExecutor(2) as pool,
    ):
        short_closed = pool.submit(_idle_connection_closed, short.base_url, 0.8)
        default_closed = pool.submit(_idle_connection_closed, default_url, 0.8)
        assert short_closed.result()
        assert not default_closed.result()


@pytest.mark.parametrize("value", ["0", "-1", "7200", "soon"])
def test_a_bad_keep_alive_exits_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) if value == "soon" else contextlib.nullcontext():
        assert main(["--keep-alive", value]) == 2
    assert "keep-alive" in capsys.readouterr().err


def test_a_mock_that_cannot_start_raises_with_its_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "mock.log"
    with pytest.raises(RuntimeError) as caught, mock_process(["--max-jobs", "0"], log=log):
        pytest.fail("the mock should not have started")
    message = str(caught.value)
    assert message.startswith("the mock did not start: ")
    assert message.rstrip().endswith("mock: error: --max-jobs must be >= 1")
