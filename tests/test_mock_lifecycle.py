"""The mock's jobs move pending -> in_progress -> completed/failed by the clock, and every body fits the spec."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest

from contract_tests.mock import WELL_KNOWN_IDS, JobStore, MockClock, job_from_spec
from tests.mock_helpers import START, MockHarness
from tests.spec_schema import spec_errors


def _walk(mock: MockHarness, video_id: str, steps: int, step: float) -> list[dict[str, Any]]:
    bodies = []
    for _ in range(steps):
        response = mock.video(video_id)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        bodies.append(response.json())
        mock.advance(step)
    return bodies


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_lifecycle_is_monotonic_and_every_state_validates(mock: MockHarness, outcome: str) -> None:
    mock.create(id="video_life", pending_seconds=3, running_seconds=20, outcome=outcome)
    bodies = _walk(mock, "video_life", steps=40, step=1.0)

    statuses = [b["status"] for b in bodies]
    order = {"pending": 0, "in_progress": 1, "completed": 2, "failed": 2}
    assert statuses[0] == "pending"
    assert statuses[-1] == outcome
    assert {"pending", "in_progress", outcome} == set(statuses)
    assert all(order[a] <= order[b] for a, b in itertools.pairwise(statuses))
    progresses = [b["progress"] for b in bodies]
    if outcome == "completed":
        assert all(a <= b for a, b in itertools.pairwise(progresses))
    for body in bodies:
        assert spec_errors(body) == [], body
        assert 0 <= body["progress"] <= 100
    terminal = [b for b in bodies if b["status"] == outcome]
    assert len(terminal) > 5
    assert all(b == terminal[0] for b in terminal)  # terminal states are stable, timestamps fixed
    final = terminal[0]
    assert final["created_at"] <= final["completed_at"]
    if outcome == "completed":
        assert final["progress"] == 100
        assert final["completed_at"] <= final["expires_at"]
        assert "error" not in final
    else:
        assert set(final["error"]) == {"code", "message", "type"}
        assert "expires_at" not in final


def test_in_progress_advances_with_the_clock(mock: MockHarness) -> None:
    mock.create(id="video_p", pending_seconds=0, running_seconds=100)
    mock.advance(25)
    assert mock.video("video_p").json()["progress"] == 25
    mock.advance(50)
    assert mock.video("video_p").json()["progress"] == 75
    mock.advance(1000)
    assert mock.video("video_p").json()["status"] == "completed"


def test_custom_fields_and_error_are_served(mock: MockHarness) -> None:
    error = {"code": "gpu_oom", "message": "Out of memory", "type": "server_error"}
    mock.create(
        id="video_c",
        model="sora-2-pro",
        size="1280x720",
        seconds="12",
        remixed_from_video_id="video_a",
        pending_seconds=0,
        running_seconds=0,
        outcome="failed",
        error=error,
    )
    body = mock.video("video_c").json()
    assert body["model"] == "sora-2-pro"
    assert body["size"] == "1280x720"
    assert body["seconds"] == "12"
    assert body["remixed_from_video_id"] == "video_a"
    assert body["error"] == error
    assert spec_errors(body) == []


def test_well_known_ids_are_preloaded_and_valid(mock: MockHarness) -> None:
    expected = {
        "video_completed_demo": "completed",
        "video_failed_demo": "failed",
        "video_in_progress_demo": "in_progress",
        "video_pending_demo": "pending",
    }
    assert set(WELL_KNOWN_IDS) == set(expected)
    for video_id, status in expected.items():
        body = mock.video(video_id).json()
        assert body["status"] == status
        assert spec_errors(body) == []
    assert 40 <= mock.video("video_in_progress_demo").json()["progress"] <= 44


def test_store_is_capped_with_lru_eviction_and_keeps_pinned_jobs() -> None:
    clock = MockClock(start=START)
    store = JobStore(max_jobs=50)
    store.reset(clock.now())
    for i in range(1000):
        store.put(job_from_spec({"id": f"video_{i}"}, clock.now()))
        if i % 10 == 0:
            assert store.get("video_0", clock.now()) is not None  # recently used: survives
    assert len(store) == 50
    assert store.evicted == 1000 + 4 - 50
    assert store.get("video_0", clock.now()) is not None
    assert store.get("video_998", clock.now()) is not None
    assert store.get("video_500", clock.now()) is None
    for video_id in WELL_KNOWN_IDS:
        assert store.get(video_id, clock.now()) is not None


def test_expired_jobs_read_as_gone(mock: MockHarness) -> None:
    mock.create(id="video_old", pending_seconds=0, running_seconds=1)
    mock.advance(2 * 24 * 3600)
    assert mock.video("video_old").status_code == 404
    assert mock.video("video_completed_demo").status_code == 200  # pinned


def test_a_rigged_job_moves_progress_backwards(mock: MockHarness) -> None:
    mock.create(id="video_rigged", pending_seconds=0, running_seconds=100, misbehave="progress-backwards")
    first = mock.video("video_rigged").json()["progress"]
    mock.advance(50)
    second = mock.video("video_rigged").json()["progress"]
    assert second < first


def test_encoded_body_is_reused_until_status_or_progress_changes(mock: MockHarness) -> None:
    mock.create(id="video_cache", pending_seconds=0, running_seconds=1000)
    slot = mock.state.store.slot("video_cache", mock.clock.now())
    assert slot is not None
    assert slot.body == b""  # nothing served yet
    mock.video("video_cache")
    first = slot.body
    assert slot.body_key == ("in_progress", 0)
    mock.advance(1)
    assert mock.video("video_cache").content == first
    assert slot.body is first  # still 0%: the same bytes object, not re-encoded
    mock.advance(499)
    later = mock.video("video_cache").content
    assert slot.body is not first
    assert b'"progress":50' in later
    assert slot.body_key == ("in_progress", 50)


def test_jobs_are_immutable_and_the_cache_lives_in_the_store(mock: MockHarness) -> None:
    job = mock.state.store.get("video_completed_demo", mock.clock.now())
    assert job is not None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        job.model = "other"  # type: ignore[misc]
    assert not any("encoded" in field.name or "cache" in field.name for field in attrs.fields(type(job)))
    mock.state.store.delete("video_completed_demo")
    assert mock.state.store.slot("video_completed_demo", mock.clock.now()) is None


def test_unfinished_jobs_carry_a_poll_hint_until_their_next_state_change(mock: MockHarness) -> None:
    mock.create(id="video_hint", pending_seconds=3, running_seconds=60)
    assert mock.video("video_hint").headers["openai-poll-after-ms"] == "3000"
    mock.advance(3)
    assert mock.video("video_hint").headers["openai-poll-after-ms"] == "5000"  # capped
    mock.advance(59.9)
    assert mock.video("video_hint").headers["openai-poll-after-ms"] == "200"  # floored
    mock.advance(1)
    assert "openai-poll-after-ms" not in mock.video("video_hint").headers
