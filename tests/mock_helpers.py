"""In-process access to the mock (an httpx client on the ASGI app with a manual clock), and an independent
validator for the responses of any operation of a spec (jsonschema on the YAML, nothing from the mock).
"""

from __future__ import annotations

import asyncio
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
def _document(spec: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return document


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
