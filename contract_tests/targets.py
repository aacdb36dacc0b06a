"""Where a conformance run sends its requests: the embedded mock, our mock over HTTP, or any live server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import attrs
import httpx

from contract_tests.mock import MockClock, create_app

__all__ = ["EMBEDDED_BASE", "Target", "TargetError", "embedded", "remote"]

EMBEDDED_BASE = "http://testserver"


class TargetError(Exception):
    """The target cannot be used (unreachable, not HTTP); the message is one line."""


@attrs.define
class Target:
    """A server under test plus a synchronous HTTP client for the suite's own requests.

    ``control`` is True when the server has our mock's control API (jobs can be created, time advanced).
    """

    name: str
    base_url: str
    http: Any  # httpx.Client or SyncASGIClient (same interface)
    control: bool
    app: Any = None  # the ASGI app when embedded (schemathesis calls it in-process)

    def get_video(self, video_id: str, api_key: str) -> httpx.Response:
        response: httpx.Response = self.http.get(
            f"/v1/videos/{video_id}", headers={"Authorization": f"Bearer {api_key}"}
        )
        return response

    def create_jobs(self, jobs: list[dict[str, Any]]) -> None:
        response = self.http.post("/_mock/jobs", json=jobs)
        if response.status_code != 201:  # noqa: PLR2004
            raise TargetError(f"mock control API refused jobs: {response.status_code} {response.text[:200]}")

    def advance(self, seconds: float) -> None:
        response = self.http.post("/_mock/clock/advance", json={"seconds": seconds})
        if response.status_code != 200:  # noqa: PLR2004
            raise TargetError(f"mock control API refused to advance the clock: {response.status_code}")

    def sleep_or_advance(self, seconds: float) -> None:
        if self.control:
            self.advance(seconds)
        else:
            time.sleep(seconds)

    def close(self) -> None:
        self.http.close()


class SyncASGIClient:
    """A blocking client for an in-process ASGI app (httpx's ASGITransport on a private event loop)."""

    def __init__(self, app: Any, base_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def embedded(api_key: str, **mock_options: Any) -> Target:
    """Our mock in-process on a manual clock (no sockets); it accepts ``api_key``."""
    app = create_app(api_keys=[api_key], clock=MockClock(start=time.time()), log_requests=False, **mock_options)
    client = SyncASGIClient(app, EMBEDDED_BASE)
    return Target(name="embedded mock (in-process)", base_url=EMBEDDED_BASE, http=client, control=True, app=app)


def remote(url: str, timeout: float = 10.0) -> Target:
    """Any server at ``url``; detects our mock by its control API.

    Raises:
        TargetError: not an http(s) URL, or nothing answers there.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise TargetError(f"--target {url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise TargetError(f"--target {url!r} must be an http:// or https:// URL")
    client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
    try:
        probe = client.get("/_mock/clock")
    except httpx.HTTPError as exc:
        client.close()
        raise TargetError(f"target {url} is unreachable: {type(exc).__name__}: {exc}") from None
    control = False
    if probe.status_code == 200:  # noqa: PLR2004
        try:
            control = "now" in probe.json()
        except ValueError:
            control = False
    name = f"tokenops mock at {url}" if control else f"server at {url}"
    return Target(name=name, base_url=url.rstrip("/"), http=client, control=control)
