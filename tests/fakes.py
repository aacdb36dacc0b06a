"""Test doubles: a manual clock that never sleeps and a scripted httpx transport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

CANARY_KEY = "sk-canary-7f3b2c9d1e8a4f60"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Deterministic time: sleeping advances it instantly and records the pause."""

    def __init__(self, start: float = 1_000.0, wall: float = 1_741_570_283.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Script:
    """An httpx MockTransport handler that answers from a list and records every request.

    The last reply repeats once the list is exhausted. With a clock, each request takes ``latency`` seconds,
    or times out (``httpx.ReadTimeout``) after its read timeout when that is shorter.
    """

    def __init__(self, *replies: Reply, clock: FakeClock | None = None, latency: float = 0.0) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.clock = clock
        self.latency = latency

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.clock is not None and self.latency:
            allowed = request.extensions.get("timeout", {}).get("read")
            if allowed is not None and self.latency > allowed:  # as a real server would: the client gives up
                self.clock.now += allowed
                raise httpx.ReadTimeout("timed out", request=request)
            self.clock.now += self.latency
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    @property
    def count(self) -> int:
        return len(self.requests)


def video(status: str = "completed", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "video_123", "object": "video", "created_at": 1741570283, "status": status}
    body["progress"] = 100 if status == "completed" else 0
    if status == "completed":
        body.update(completed_at=1741570400, expires_at=1741656800)
    body.update(fields)
    return body


def ok(body: Any = None, headers: dict[str, str] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=video() if body is None else body, headers=headers)


def error(status: int, message: str = "boom", headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": f"code_{status}"}}
    return httpx.Response(status, json=body, headers=headers)
