"""One canary key through everything: the mock server, the CLI, the client with debug logging, conformance runs
with faults on. Every stdout/stderr, log record, exception text and file written must be free of it, in plain,
URL-encoded and base64 forms."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.mock.process import mock_process
from contract_tests.suite import cli as conformance
from tests.conftest import ROOT
from tokenops import TokenOps, TokenOpsError

CANARY = f"sk-canary-{secrets.token_hex(12)}"


def _forms(secret: str) -> list[str]:
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"Bearer {secret}".encode()).decode(),
        secret[4:],  # without the sk- prefix
    ]


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return result.stdout + result.stderr


def _conformance(base: str, reports: Path, capfd: pytest.CaptureFixture[str]) -> list[str]:
    """Conformance runs with faults on, against the mock over TCP and embedded, in this process (output captured at
    the file descriptors)."""
    httpx.post(f"{base}/_mock/faults", json={"kind": "server_error", "every": 5})
    for args in (["--target", base], ["--mock-fault", "reality,every=2"]):
        where = reports / ("tcp" if "--target" in args else "embedded")
        conformance.main([*args, "--report-dir", str(where), "--max-examples", "5"])
    captured = capfd.readouterr()
    assert "NEW Server nonconformance" in captured.out  # the runs' terminal summaries
    return [captured.out, captured.err]


def _command_line(base: str, env: dict[str, str]) -> list[str]:
    """The CLI, each call its own process."""
    cli = [sys.executable, "-m", "tokenops"]
    outputs = [
        _run([*cli, "videos", "get", "video_completed_demo", "--json"], env),
        _run([*cli, "--debug", "videos", "wait", "video_failed_demo"], env),
        _run([*cli, "--debug", "videos", "get", "video_missing"], env),
    ]
    # Retried until the retries run out (a Retry-After the client honours, so nothing sleeps long).
    httpx.post(f"{base}/_mock/faults", json={"kind": "rate_limit", "retry_after": 0.01, "count": 3})
    outputs.append(_run([*cli, "--debug", "videos", "get", "video_completed_demo"], env))
    assert "RateLimitError" in outputs[-1]
    return outputs


def _client(base: str, clock: Any) -> list[str]:
    """The client in-process, with debug logging; its retries wait on the fake clock."""
    outputs: list[str] = []
    httpx.post(f"{base}/_mock/faults", json={"kind": "reality", "count": 2})
    with TokenOps(api_key=CANARY, base_url=base, strict=True, max_retries=1, clock=clock) as client:
        for video_id, fault in [(video_id, None) for video_id in ("video_in_progress_demo", "video_missing")] + [
            ("video_completed_demo", None),
            ("video_completed_demo", "server_error"),  # a 5xx, retried, then raised
        ]:
            if fault is not None:
                httpx.post(f"{base}/_mock/faults", json={"kind": fault, "count": 2})
            try:
                outputs.append(repr(client.videos.retrieve(video_id)))
            except TokenOpsError as exc:
                outputs += [str(exc), repr(exc), repr(getattr(exc, "response", None))]
        assert "InternalServerError" in outputs[-2]  # its repr
        outputs.append(repr(client))
        raw = client.videos.with_raw_response.retrieve("video_completed_demo")
        outputs += [repr(raw), repr(raw.request), str(raw.request.url), repr(client.with_options(max_retries=0))]
    try:  # a key pasted into base_url as a password is refused without being shown
        TokenOps(api_key="sk-other", base_url=f"http://user:{CANARY}@127.0.0.1:9")
    except TokenOpsError as exc:
        outputs += [str(exc), repr(exc)]
    return outputs


SCHEMES = {
    "Bearer": {"type": "http", "scheme": "bearer"},
    "QueryKey": {"type": "apiKey", "in": "query", "name": "key"},
    "GoogKey": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
    "Basic": {"type": "http", "scheme": "basic"},
}


def _schemes_spec(path: Path) -> Path:
    """Operations that take the key in the query or a header, a cookie, basic auth, and a bearer one."""
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
    paths: dict[str, list[dict[str, list[str]]]] = {
        "/canary/bearer": [{"Bearer": []}],
        "/canary/models/{model}:generateContent": [{"QueryKey": []}, {"GoogKey": []}],
        "/canary/session": [{"Session": []}],
        "/canary/admin": [{"Basic": []}],
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "canary", "version": "1"},
        "paths": {
            path: {
                "post" if "{model}" in path else "get": {
                    "security": security,
                    "responses": ok,
                    **(
                        {
                            "parameters": [
                                {
                                    "name": "model",
                                    "in": "path",
                                    "required": True,
                                    "schema": {"type": "string", "example": "g"},
                                }
                            ]
                        }
                        if "{model}" in path
                        else {}
                    ),
                }
            }
            for path, security in paths.items()
        },
        "components": {"securitySchemes": SCHEMES},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _every_scheme(tmp_path: Path, env: dict[str, str], capfd: pytest.CaptureFixture[str]) -> list[str]:
    """A conformance run and client calls where the key travels in the query, a header, a cookie and basic auth."""
    spec = _schemes_spec(tmp_path / "schemes.json")
    with mock_process(["--api-key", CANARY, "--spec", str(spec)], log=tmp_path / "schemes-mock.log", env=env) as mock:
        # Findings (with their curls) on the operation whose key travels in the query.
        httpx.post(
            f"{mock.base_url}/_mock/faults", json={"kind": "server_error", "path": "/canary/models/*", "every": 3}
        )
        conformance.main(
            [
                "--target",
                mock.base_url,
                "--spec",
                str(spec),
                "--report-dir",
                str(tmp_path / "schemes"),
                "--max-examples",
                "5",
                "--include-writes",  # the POST whose key travels in the query: our own mock, nothing is billed
            ]
        )
        outputs = list(capfd.readouterr())
        with TokenOps(api_key=CANARY, base_url="http://127.0.0.1:9", max_retries=0) as client:  # nothing listens
            for extra in ({"extra_query": {"key": CANARY}}, {"extra_headers": {"x-goog-api-key": CANARY}}):
                try:
                    client.videos.retrieve("video_completed_demo", **extra)  # type: ignore[arg-type]
                except TokenOpsError as exc:
                    outputs += [
                        str(exc),
                        repr(exc),
                        repr(exc.__dict__.get("request")),
                        str(getattr(exc, "request", "")),
                    ]
    assert any("Connection error" in output for output in outputs)
    return outputs


@pytest.mark.release
def test_the_canary_key_appears_nowhere(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    clock: Any,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENOPS_API_KEY": CANARY, "TOKENOPS_LOG": "debug"}
    for name in ("TOKENOPS_API_KEY", "TOKENOPS_LOG"):
        monkeypatch.setenv(name, env[name])
    caplog.set_level(logging.DEBUG)  # every logger at debug (httpx, httpcore, schemathesis included)
    with mock_process(["--api-key", CANARY], log=tmp_path / "mock.log", env=env) as mock:  # request log on
        # The conformance runs first: nothing in this process holds the key yet, so no earlier registration of it
        # can scrub what they would leak.
        outputs = _conformance(mock.base_url, tmp_path / "reports", capfd)
        assert httpx.post(f"{mock.base_url}/_mock/reset").status_code == 200
        outputs += _command_line(mock.base_url, {**env, "TOKENOPS_BASE_URL": mock.base_url})
        outputs += _client(mock.base_url, clock)
    outputs += _every_scheme(tmp_path, env, capfd)
    captured = capfd.readouterr()
    outputs += [captured.out, captured.err]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    # Three runs x four reports, the embedded run's mock-seed.json (the jobs it created, no key in it), the spec.
    assert len([f for f in files if f.suffix in (".json", ".html", ".md", ".xml")]) == 14
    outputs += [path.read_text(encoding="utf-8", errors="replace") for path in files]
    outputs += [record.getMessage() for record in caplog.records]
    outputs += [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info]
    everything = "\n".join(outputs)
    assert "GET /v1/videos/video_completed_demo 200" in everything  # the mock's request log was captured
    assert "Bearer ${TOKENOPS_API_KEY}" in everything  # reports carry the curl lines, key replaced
    assert "key=${TOKENOPS_API_KEY}" in everything  # also where it travels in the query
    assert "POST /canary/models/g:generateContent 200" in everything  # the mock's log: the path, never the query
    assert "Traceback" in everything  # --debug printed tracebacks
    for form in _forms(CANARY):
        assert form not in everything, form
