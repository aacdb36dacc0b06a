"""The mock under a bounded load on 127.0.0.1: no transport errors, every 200 body valid, memory bounded.

``make test`` sends 4,000 requests after a warm-up; ``make stress`` sets TOKENOPS_STRESS_REQUESTS=100000.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.mock._loadgen import run_load
from contract_tests.mock.process import mock_process
from tests.spec_schema import video_validator

KEY = "sk-load-test"
pytestmark = pytest.mark.release  # stress: a mock process of its own under thousands of requests
REQUESTS = int(os.environ.get("TOKENOPS_STRESS_REQUESTS", "4000"))
MAX_JOBS = 2000


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    log = tmp_path_factory.mktemp("load") / "mock.log"
    with mock_process(["--api-key", KEY, "--quiet", "--max-jobs", str(MAX_JOBS)], log=log) as mock:
        yield mock.base_url, mock.pid


def _valid(body: bytes) -> bool:
    return video_validator().is_valid(json.loads(body))


def test_mixed_load_has_no_errors_and_only_valid_bodies(load_server: tuple[str, int]) -> None:
    base, pid = load_server
    ids = [
        "video_completed_demo",
        "video_failed_demo",
        "video_in_progress_demo",
        "video_pending_demo",
        "video_unknown_1",
        "video_unknown_2",
    ]
    paths = [f"/v1/videos/{video_id}" for video_id in ids]
    run_load(base, paths, total=500, headers={"Authorization": f"Bearer {KEY}"})  # warm-up
    before = _rss_kib(pid)
    result = run_load(base, paths, total=REQUESTS, headers={"Authorization": f"Bearer {KEY}"}, check=_valid)
    after = _rss_kib(pid)
    assert result.transport_errors == 0
    assert result.requests == REQUESTS
    assert set(result.statuses) == {200, 404}
    assert result.statuses[404] == sum(1 for i in range(REQUESTS) if i % len(ids) >= 4)
    assert result.invalid_bodies == []
    assert after - before < 20 * 1024, (before, after)  # KiB: steady state, no per-request growth


def test_job_store_eviction_keeps_memory_flat(load_server: tuple[str, int]) -> None:
    base, pid = load_server
    with httpx.Client(base_url=base, timeout=30) as client:
        batch = [{"id": f"video_evict_{i}"} for i in range(MAX_JOBS)]
        assert client.post("/_mock/jobs", json=batch).status_code == 201
        first = _rss_kib(pid)
        for round_ in range(1, 6):
            batch = [{"id": f"video_evict_{round_}_{i}"} for i in range(MAX_JOBS)]
            assert client.post("/_mock/jobs", json=batch).status_code == 201
        last = _rss_kib(pid)
        stats = client.get("/_mock/stats").json()
    assert stats["jobs"] <= MAX_JOBS
    assert stats["evicted"] >= 5 * MAX_JOBS
    assert last - first < 15 * 1024, (first, last)  # five times the cap created, memory about the same
