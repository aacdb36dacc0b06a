"""In-process access to the mock (an httpx client on the ASGI app with a manual clock), and an independent
validator for the responses of any operation of a spec (jsonschema on the YAML, nothing from the mock).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Coroutine
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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


@cache
def shared_tls() -> ssl.SSLContext:
    """One default TLS context for the tests' httpx clients: each new client would load the CA bundle (~35 ms)."""
    return httpx.create_ssl_context()


class LinkedClock:
    """A client clock that drives a mock server's: each sleep advances ``/_mock/clock/advance`` by as much.

    Pass it as ``TokenOps(clock=...)``: Retry-After, polls and deadlines are measured exactly, nothing sleeps.
    Call ``close()`` when done (it holds an httpx client to the control API).
    """

    def __init__(self, base: str) -> None:
        self.now = 1_000.0
        self.wall = time.time() - self.now
        self.sleeps: list[float] = []
        self.control = httpx.Client(base_url=base, timeout=10, verify=shared_tls())

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        assert self.control.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def close(self) -> None:
        self.control.close()


@cache
def _document(spec: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return document


HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


def spec_methods(spec: Path, template: str) -> set[str]:
    """The HTTP methods (upper case) the spec documents for the path ``template``."""
    return {key.upper() for key in _document(spec)["paths"][template] if key.upper() in HTTP_METHODS}


def _escape(token: str) -> str:
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="~")


def success_schema(spec: Path, method: str, template: str) -> tuple[int, str | None, str | None]:
    """(documented 2xx status, media type, JSON pointer of the schema) of an operation, read from the YAML."""
    responses = _document(spec)["paths"][template][method.lower()]["responses"]
    code = min((str(code) for code in responses if str(code).startswith("2")), key=int)
    content = responses[code].get("content")
    if not content:
        return int(code), None, None
    media = next(iter(content))
    pointer = f"/paths/{_escape(template)}/{method.lower()}/responses/{code}/content/{_escape(media)}/schema"
    return int(code), media, pointer


def response_errors(spec: Path, method: str, template: str, body: Any) -> list[str]:
    """Every way ``body`` breaks the operation's documented 2xx schema (empty: it conforms)."""
    _, _, pointer = success_schema(spec, method, template)
    assert pointer is not None
    resource = Resource.from_contents(_document(spec), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:test:spec", resource)
    validator = Draft202012Validator(
        {"$ref": f"urn:test:spec#{pointer}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
