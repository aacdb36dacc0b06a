"""The mock enforces each operation's security requirement (``contract_tests.mock._auth``): every scheme kind,
alternatives (OR) and combinations (AND), with OpenAI-style 401s that never repeat the credential."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mock_helpers import MockHarness

KEY = "sk-auth-test"
WRONG = "sk-wrong-auth"
SCHEMES = {
    "Bearer": {"type": "http", "scheme": "bearer"},
    "Basic": {"type": "http", "scheme": "basic"},
    "QueryKey": {"type": "apiKey", "in": "query", "name": "key"},
    "GoogKey": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
    "OAuth": {"type": "oauth2", "flows": {}},
}
OPERATIONS = {
    "/bearer": [{"Bearer": []}],
    "/basic": [{"Basic": []}],
    "/gemini": [{"QueryKey": []}, {"GoogKey": []}],  # either place
    "/both": [{"Bearer": [], "GoogKey": []}],  # both at once
    "/cookie": [{"Session": []}],
    "/optional": [{"Bearer": []}, {}],
    "/oauth": [{"OAuth": ["read"]}],
    "/open": [],
}


def _spec() -> dict[str, Any]:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
    paths = {path: {"get": {"security": security, "responses": ok}} for path, security in OPERATIONS.items()}
    return {"openapi": "3.1.0", "paths": paths, "components": {"securitySchemes": SCHEMES}}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockHarness]:
    harness = MockHarness(api_keys=[KEY], spec=_spec())
    yield harness
    harness.close()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("path", "headers", "params", "cookies"),
    [
        ("/bearer", {"Authorization": f"Bearer {KEY}"}, {}, {}),
        ("/basic", {"Authorization": _basic("me", KEY)}, {}, {}),
        ("/basic", {"Authorization": _basic(KEY, "")}, {}, {}),
        ("/gemini", {}, {"key": KEY}, {}),
        ("/gemini", {"x-goog-api-key": KEY}, {}, {}),
        ("/both", {"Authorization": f"Bearer {KEY}", "x-goog-api-key": KEY}, {}, {}),
        ("/cookie", {}, {}, {"session": KEY}),
        ("/optional", {}, {}, {}),
        ("/oauth", {"Authorization": f"Bearer {KEY}"}, {}, {}),
        ("/open", {}, {}, {}),
    ],
)
def test_a_request_meeting_one_alternative_in_full_passes(
    mock: MockHarness, path: str, headers: dict[str, str], params: dict[str, str], cookies: dict[str, str]
) -> None:
    if cookies:  # sent as a header: per-request cookies= is deprecated in httpx
        headers = {**headers, "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    response = mock.request("GET", path, headers=headers, params=params)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "headers", "params", "code", "message"),
    [
        ("/bearer", {}, {}, "missing_api_key", "Missing API key: expected in Authorization: Bearer."),
        ("/basic", {"Authorization": f"Bearer {KEY}"}, {}, "missing_api_key", "expected in Authorization: Basic"),
        ("/basic", {"Authorization": _basic("me", WRONG)}, {}, "invalid_api_key", "Incorrect API key provided."),
        ("/basic", {"Authorization": "Basic !!notbase64"}, {}, "invalid_api_key", "Incorrect API key provided."),
        (
            "/gemini",
            {},
            {},
            "missing_api_key",
            "expected in query parameter 'key', or header 'x-goog-api-key'.",
        ),
        ("/gemini", {}, {"key": WRONG}, "invalid_api_key", "Incorrect API key provided."),
        # The right key in the wrong place is no key at all.
        ("/gemini", {"Authorization": f"Bearer {KEY}"}, {}, "missing_api_key", "query parameter 'key'"),
        ("/both", {"Authorization": f"Bearer {KEY}"}, {}, "missing_api_key", "Authorization: Bearer and header"),
        ("/both", {"x-goog-api-key": KEY}, {}, "missing_api_key", "Authorization: Bearer and header 'x-goog-api-key'"),
        ("/cookie", {}, {"session": KEY}, "missing_api_key", "cookie 'session'"),
        ("/oauth", {"Authorization": f"Bearer {WRONG}"}, {}, "invalid_api_key", "Incorrect API key provided."),
    ],
)
def test_a_request_meeting_no_alternative_is_a_401_saying_where_the_key_goes(
    mock: MockHarness, path: str, headers: dict[str, str], params: dict[str, str], code: str, message: str
) -> None:
    response = mock.request("GET", path, headers=headers, params=params)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    assert KEY not in response.text
    assert WRONG not in response.text
