"""``tokenops-mock --cassette`` (``contract_tests/mock/_cassette.py``): recorded answers first, in recorded order,
matched by method, path, query and body whatever the credentials; the schema-driven mock for everything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests.cassette import PLACEHOLDER, CassetteError, CassetteWriter, Exchange
from tests.conftest import ROOT
from tests.mock_helpers import AUTH, MockHarness
from tokenops.spec import load

RECORDED = {"Authorization": f"Bearer {PLACEHOLDER}"}


def _answer(
    target: str, body: dict[str, Any], *, method: str = "GET", request_body: bytes = b"", **extra: Any
) -> Exchange:
    payload = json.dumps(body).encode()
    return Exchange(
        method,
        target,
        tuple((name.lower(), value) for name, value in RECORDED.items()),
        request_body,
        status=extra.pop("status", 200),
        response_headers=(("content-type", "application/json"), ("date", "then"), ("content-length", "1")),
        response_body=payload,
        **extra,
    )


@pytest.fixture
def harness(tmp_path: Path) -> Any:
    cassette = tmp_path / "traffic.yaml"
    writer = CassetteWriter(cassette, load(ROOT / "openapi.yaml"), "https://api.example.com", "test")
    for exchange in (
        _answer("/v1/videos/video_recorded", {"id": "video_recorded", "progress": 10}),
        _answer("/v1/videos/video_recorded", {"id": "video_recorded", "progress": 60}),
        _answer("/v1/videos/video_recorded?variant=thumb&key=" + PLACEHOLDER, {"id": "thumb"}),
        _answer("/v1/videos/video_posted", {"id": "one"}, method="POST", request_body=b'{"n": 1}'),
        _answer("/v1/videos/video_posted", {"id": "two"}, method="POST", request_body=b'{"n": 2}'),
        _answer("/v1/videos/video_cut", {"id": "partial"}, response_complete=False),
        _answer("/v1/videos/video_down", {}, status=None, error="ConnectionRefused"),
    ):
        writer.add(exchange)
    writer.close()
    mock = MockHarness(cassette=cassette)
    yield mock
    mock.close()


def test_a_recorded_request_gets_its_answers_in_order_then_the_last_again(harness: Any) -> None:
    answers = [harness.video("video_recorded") for _ in range(3)]
    assert [a.json()["progress"] for a in answers] == [10, 60, 60]
    assert {a.headers["x-mock-source"] for a in answers} == {"cassette"}
    assert answers[0].headers["content-length"] == str(len(answers[0].content))  # recomputed, not the recorded "1"
    assert "then" not in answers[0].headers.get("date", "")


def test_credentials_do_not_take_part_in_the_match_the_rest_of_the_query_does(harness: Any) -> None:
    thumb = harness.get("/v1/videos/video_recorded?variant=thumb&key=my-own-key", headers={"Authorization": "Bearer x"})
    assert thumb.json() == {"id": "thumb"}
    other = harness.get("/v1/videos/video_recorded?variant=full", headers=AUTH)
    assert "x-mock-source" not in other.headers  # not recorded: the schema-driven mock answers (404: no such job)


def test_bodies_take_part_in_the_match_and_reach_the_mock_when_nothing_matches(harness: Any) -> None:
    assert harness.post("/v1/videos/video_posted", content=b'{"n": 2}', headers=AUTH).json() == {"id": "two"}
    fallback = harness.post("/v1/videos/video_posted", content=b'{"n": 3}', headers=AUTH)
    assert "x-mock-source" not in fallback.headers
    assert fallback.status_code == 405  # the mock read the request itself: the spec has no POST there


def test_exchanges_without_a_whole_response_are_not_served(harness: Any) -> None:
    for video_id in ("video_cut", "video_down"):
        assert "x-mock-source" not in harness.video(video_id).headers


def test_a_cassette_holding_a_key_the_mock_accepts_is_refused(tmp_path: Path) -> None:
    cassette = tmp_path / "leaky.yaml"
    writer = CassetteWriter(cassette, load(ROOT / "openapi.yaml"), "https://api.example.com", "test")
    writer.add(_answer("/v1/videos/x", {"note": "sk-live-accepted-1"}))
    writer.close()
    with pytest.raises(CassetteError, match="unredacted secret"):
        MockHarness(cassette=cassette, api_keys=["sk-live-accepted-1"])
