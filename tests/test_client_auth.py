"""The client sends each operation's credentials where its security requirement says (``_request.credentials_for``),
names the scheme when one is missing, and never shows a credential in an error, a repr or a log record."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import httpx
import pytest

from tests.fakes import Script, ok
from tokenops import APIConnectionError, ConfigurationError, TokenOps, spec
from tokenops._request import credentials_for
from tokenops.redaction import register_secret
from tokenops_client.types import Endpoint

KEY = "sk-client-auth-5d2a"
GEMINI = "sk-gemini-only-91c0"
SCHEMES = {
    "OpenAIAuth": {"type": "http", "scheme": "bearer"},
    "GeminiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
    "GeminiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "Basic": {"type": "http", "scheme": "basic"},
    "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
}
PATHS: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/videos/{video_id}": {"get": {"security": [{"OpenAIAuth": []}]}},
    "/v1beta/models/{model}:generateContent": {"post": {"security": [{"GeminiKeyQuery": []}, {"GeminiKeyHeader": []}]}},
    "/v1/admin": {"get": {"security": [{"Basic": [], "Session": []}]}},
    "/v1/public": {"get": {"security": []}},
}
MODEL = spec.Spec(
    {
        "openapi": "3.1.0",
        "paths": {
            path: {method: {**op, "responses": {"200": {"description": "ok"}}} for method, op in item.items()}
            for path, item in PATHS.items()
        },
        "components": {"securitySchemes": SCHEMES},
    }
)


def _endpoint(method: str, path: str) -> Endpoint:
    return Endpoint(
        name=path.strip("/").replace("/", "_"),
        method=method,
        path=path,
        path_parameters={},
        query_parameters={},
        header_parameters={},
        bodies=(),
        responses=(),
        requires_auth=True,
        build_request=lambda: {"method": method.lower(), "url": path},
    )


def _settings(**credentials: str) -> Any:
    settings = TokenOps(api_key=KEY)._settings
    secrets = {name: register_secret(credentials.get(name, KEY)) for name in SCHEMES}
    return attrs.evolve(settings, credentials=secrets)


def test_the_bearer_operation_uses_the_clients_own_headers() -> None:
    headers, query = credentials_for(_settings(), _endpoint("GET", "/v1/videos/{video_id}"), MODEL)
    assert (headers, query) == (None, None)  # the pool carries Authorization: Bearer KEY already


def test_a_query_key_goes_in_the_query_and_no_bearer_header_is_sent() -> None:
    settings = _settings(GeminiKeyQuery=GEMINI)
    headers, query = credentials_for(settings, _endpoint("POST", "/v1beta/models/{model}:generateContent"), MODEL)
    assert query == {"key": GEMINI}
    assert headers is not None
    assert "Authorization" not in headers


def test_the_first_complete_alternative_wins_a_header_key_when_the_query_one_is_absent() -> None:
    settings = _settings()
    settings = attrs.evolve(settings, credentials={"GeminiKeyHeader": register_secret(GEMINI)})
    headers, query = credentials_for(settings, _endpoint("POST", "/v1beta/models/{model}:generateContent"), MODEL)
    assert query is None
    assert headers is not None
    assert headers["x-goog-api-key"] == GEMINI


def test_a_combination_sends_every_credential_of_it() -> None:
    headers, _ = credentials_for(_settings(Basic="me:pw", Session="cookie-1"), _endpoint("GET", "/v1/admin"), MODEL)
    assert headers is not None
    assert headers["Authorization"] == "Basic bWU6cHc="
    assert headers["Cookie"] == "session=cookie-1"


def test_an_operation_without_security_gets_no_credential() -> None:
    headers, query = credentials_for(_settings(), _endpoint("GET", "/v1/public"), MODEL)
    assert headers is not None
    assert "Authorization" not in headers
    assert query is None


def test_a_missing_credential_is_a_configuration_error_naming_the_schemes() -> None:
    settings = attrs.evolve(_settings(), credentials={})
    with pytest.raises(ConfigurationError) as caught:
        credentials_for(settings, _endpoint("POST", "/v1beta/models/{model}:generateContent"), MODEL)
    message = str(caught.value)
    assert "GeminiKeyQuery or GeminiKeyHeader" in message
    assert "TOKENOPS_CREDENTIAL_GEMINI_KEY_QUERY" in message


def test_unknown_scheme_names_are_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown security scheme\(s\) Nope; the spec has: .*OpenAIAuth"):
        TokenOps(api_key=KEY, credentials={"Nope": "x"})


def test_a_scheme_variable_overrides_the_key_for_that_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENOPS_CREDENTIAL_OPEN_AI_AUTH", "sk-from-variable")
    settings = TokenOps(api_key=KEY)._settings
    assert settings.credentials["OpenAIAuth"].value == "sk-from-variable"
    monkeypatch.delenv("TOKENOPS_CREDENTIAL_OPEN_AI_AUTH")
    assert TokenOps(api_key=KEY)._settings.credentials["OpenAIAuth"].value == KEY


def test_credentials_alone_are_enough_to_build_a_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    client = TokenOps(credentials={"OpenAIAuth": KEY})
    assert client._settings.secret is None
    assert client._settings.credentials["OpenAIAuth"].value == KEY
    with pytest.raises(ConfigurationError, match="No API key"):
        TokenOps()


def test_a_key_in_the_query_never_appears_in_an_error_its_request_or_the_log(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = register_secret(GEMINI)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = TokenOps(
        api_key=KEY, base_url="http://api.test", http_client=httpx.Client(transport=httpx.MockTransport(refuse))
    )
    endpoint = _endpoint("GET", "/v1/things")
    with caplog.at_level(logging.DEBUG), pytest.raises(APIConnectionError) as caught:
        client.with_options(max_retries=0).operations.call(endpoint, extra_query={"key": secret.value})
    error = caught.value
    assert error.request is not None
    for text in (str(error), repr(error), repr(error.request), str(error.request.url), caplog.text):
        assert GEMINI not in text, text
    assert "key=%3Credacted%3E" in str(error.request.url) or "key=<redacted>" in str(error.request.url)
    del make_client


def test_a_script_sees_the_query_key_but_the_error_does_not(make_client: Any) -> None:
    script = Script(ok({"id": "v"}))
    make_client(script).operations.call(_endpoint("GET", "/v1/things"), extra_query={"key": "visible-on-the-wire"})
    assert script.requests[0].url.params["key"] == "visible-on-the-wire"
