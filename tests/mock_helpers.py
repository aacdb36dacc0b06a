"""In-process access to the mock: an httpx client on the ASGI app with a manual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from contract_tests.mock import MockClock, create_app

KEY = "sk-mock-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
START = 1_741_570_283.0
T = TypeVar("T")


class MockHarness:
    """Synchronous facade over the async ASGI app for tests: ``h.get(path)``, ``h.post(path, json=...)``."""

    def __init__(self, **options: Any) -> None:
        self.clock = MockClock(start=START)
        options.setdefault("api_keys", [KEY])
        options.setdefault("log_requests", False)
        self.app = create_app(clock=self.clock, **options)
        self.state = self.app.state
        self._loop = asyncio.new_event_loop()
        self.transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(transport=self.transport, base_url="http://mock.test")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def video(self, video_id: str, **kwargs: Any) -> httpx.Response:
        headers = {**AUTH, **kwargs.pop("headers", {})}
        return self.get(f"/v1/videos/{video_id}", headers=headers, **kwargs)

    def create(self, **job: Any) -> dict[str, Any]:
        response = self.post("/_mock/jobs", json=job)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def advance(self, seconds: float) -> None:
        assert self.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200

    def close(self) -> None:
        self.run(self.client.aclose())
        self._loop.close()
