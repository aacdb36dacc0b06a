"""The suite sends each operation the credential its security schemes name, where they name it, and probes every
scheme (no key, a wrong key, the right key in the wrong place) — against the mock, which enforces each scheme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests.mock import MockClock, create_app
from contract_tests.suite.report import to_json
from contract_tests.suite.runner import RunOptions, RunResult, run
from contract_tests.suite.targets import EMBEDDED_START, serve_app
from contract_tests.suite.verdict import decide

pytestmark = pytest.mark.integration  # whole conformance runs against the mock over TCP

KEY = "sk-auth-run-3c1f"
QUERY_KEY = "sk-auth-run-query-77aa"
SCHEMES = {
    "Bearer": {"type": "http", "scheme": "bearer"},
    "GeminiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
    "GeminiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
}
MODEL = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "example": "models/gemini-2"}, "version": {"type": "string"}},
}


def _spec(path: Path) -> Path:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/M"}}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "auth", "version": "1"},
        "paths": {
            "/auth-test/models": {"get": {"operationId": "listModels", "security": [{"Bearer": []}], "responses": ok}},
            "/auth-test/models/{model}:countTokens": {
                "post": {
                    "operationId": "countTokens",
                    "parameters": [
                        {
                            "name": "model",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "example": "g-2"},
                        }
                    ],
                    "security": [{"GeminiKeyQuery": []}, {"GeminiKeyHeader": []}],
                    "responses": ok,
                }
            },
            "/auth-test/session": {
                "get": {"operationId": "getSession", "security": [{"Session": []}], "responses": ok}
            },
        },
        "components": {"schemas": {"M": MODEL}, "securitySchemes": SCHEMES},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _run(spec: Path, keys: list[str], environ: dict[str, str]) -> tuple[RunResult, dict[str, Any]]:
    app = create_app(api_keys=keys, clock=MockClock(start=EMBEDDED_START), spec=spec, log_requests=False)
    target = serve_app(app, control=True)
    try:
        result = run(RunOptions(target=target, api_key=KEY, spec=spec, max_examples=20, environ=environ, baseline=None))
    finally:
        target.close()
    return result, to_json(result, decide(result), {})


@pytest.fixture(scope="module")
def one_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, dict[str, Any]]:
    return _run(_spec(tmp_path_factory.mktemp("auth") / "spec.json"), [KEY], {})


def test_every_operation_gets_checked_bodies_with_its_own_scheme(one_key: tuple[RunResult, dict[str, Any]]) -> None:
    result, _ = one_key
    for label in ("GET /auth-test/models", "POST /auth-test/models/{model}:countTokens", "GET /auth-test/session"):
        evidence = result.evidence.operation(label)
        assert evidence.checked_bodies >= 1, label
        assert evidence.authenticated >= 1, label
        assert evidence.auth_refused == 0, label


def test_each_scheme_is_probed_without_a_key_with_a_wrong_one_and_in_a_wrong_place(
    one_key: tuple[RunResult, dict[str, Any]],
) -> None:
    result, _ = one_key
    for label in ("GET /auth-test/models", "POST /auth-test/models/{model}:countTokens", "GET /auth-test/session"):
        held = result.evidence.operation(label).checks["auth_enforced"].held
        assert held == 3, label  # no key, wrong key, right key in a place no scheme names
    assert not [finding for finding in result.findings if "accepts" in finding.title]
    assert decide(result).verdict.value == "pass"


def test_a_scheme_with_its_own_credential_uses_it_and_reports_show_its_variable(tmp_path: Path) -> None:
    variable = "TOKENOPS_CREDENTIAL_GEMINI_KEY_QUERY"
    result, report = _run(_spec(tmp_path / "spec.json"), [KEY, QUERY_KEY], {variable: QUERY_KEY})
    gemini = result.evidence.operation("POST /auth-test/models/{model}:countTokens")
    assert gemini.authenticated >= 1
    assert gemini.auth_refused == 0
    text = json.dumps(report)
    assert QUERY_KEY not in text
    assert KEY not in text


def test_a_server_that_ignores_the_query_key_is_caught(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "spec.json")
    lax = json.loads(spec.read_text(encoding="utf-8"))
    lax["paths"]["/auth-test/models/{model}:countTokens"]["post"]["security"] = []  # the server: anyone may call it
    served = tmp_path / "served.json"
    served.write_text(json.dumps(lax), encoding="utf-8")
    app = create_app(api_keys=[KEY], clock=MockClock(start=EMBEDDED_START), spec=served, log_requests=False)
    target = serve_app(app, control=True)
    try:
        result = run(RunOptions(target=target, api_key=KEY, spec=spec, max_examples=20, environ={}, baseline=None))
    finally:
        target.close()
    titles = {finding.title for finding in result.findings if finding.operation.startswith("POST /auth-test/models/")}
    assert "Server accepts a request without a key" in titles
    assert decide(result).verdict.value == "fail"
