"""One canary key through everything: the mock server, the CLI, the client with debug logging, conformance runs
with faults on. Every stdout/stderr, log record, exception text and file written must be free of it, in plain,
URL-encoded and base64 forms."""

from __future__ import annotations

import base64
import logging
import os
import secrets
import subprocess
import sys
import urllib.parse
from pathlib import Path

import httpx
import pytest

from contract_tests.mock.process import mock_process
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


def test_the_canary_key_appears_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENOPS_API_KEY": CANARY, "TOKENOPS_LOG": "debug"}
    outputs: list[str] = []
    mock_log = tmp_path / "mock.log"
    with mock_process(["--api-key", CANARY], log=mock_log, env=env) as mock:  # request log on
        base = mock.base_url
        env["TOKENOPS_BASE_URL"] = base
        cli = [sys.executable, "-m", "tokenops"]
        outputs.append(_run([*cli, "videos", "get", "video_completed_demo", "--json"], env))
        outputs.append(_run([*cli, "--debug", "videos", "wait", "video_failed_demo"], env))
        outputs.append(_run([*cli, "--debug", "videos", "get", "video_missing"], env))
        httpx.post(f"{base}/_mock/faults", json={"kind": "server_error", "count": 3})
        outputs.append(_run([*cli, "--debug", "videos", "get", "video_completed_demo"], env))

        # The client in-process, every logger at debug (httpx and httpcore included).
        caplog.set_level(logging.DEBUG)
        httpx.post(f"{base}/_mock/faults", json={"kind": "reality", "count": 2})
        with TokenOps(api_key=CANARY, base_url=base, strict=True, max_retries=1) as client:
            for video_id in ("video_in_progress_demo", "video_missing", "video_completed_demo"):
                try:
                    outputs.append(repr(client.videos.retrieve(video_id)))
                except TokenOpsError as exc:
                    outputs += [str(exc), repr(exc), repr(getattr(exc, "response", None))]
            outputs.append(repr(client))
            raw = client.videos.with_raw_response.retrieve("video_completed_demo")
            outputs += [repr(raw), repr(raw.request), str(raw.request.url), repr(client.with_options(max_retries=0))]
        try:  # a key pasted into base_url as a password is refused without being shown
            TokenOps(api_key="sk-other", base_url=f"http://user:{CANARY}@127.0.0.1:9")
        except TokenOpsError as exc:
            outputs += [str(exc), repr(exc)]

        # Conformance runs with faults on: against the mock over TCP, and embedded.
        httpx.post(f"{base}/_mock/faults", json={"kind": "server_error", "every": 5})
        reports = tmp_path / "reports"
        outputs.append(
            _run(
                [
                    sys.executable,
                    "scripts/conformance.py",
                    "--target",
                    base,
                    "--report-dir",
                    str(reports / "tcp"),
                    "--max-examples",
                    "20",
                ],
                env,
            )
        )
        outputs.append(
            _run(
                [
                    sys.executable,
                    "scripts/conformance.py",
                    "--mock-fault",
                    "reality,every=2",
                    "--report-dir",
                    str(reports / "embedded"),
                    "--max-examples",
                    "20",
                ],
                env,
            )
        )
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    # Two runs x four reports, plus the embedded run's mock-seed.json (the jobs it created, no key in it).
    assert len([f for f in files if f.suffix in (".json", ".html", ".md", ".xml")]) == 9
    outputs += [path.read_text(encoding="utf-8", errors="replace") for path in files]
    outputs += [record.getMessage() for record in caplog.records]
    outputs += [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info]
    everything = "\n".join(outputs)
    assert "GET /v1/videos/video_completed_demo 200" in everything  # the mock's request log was captured
    assert "Bearer ${TOKENOPS_API_KEY}" in everything  # reports carry the curl lines, key replaced
    assert "Traceback" in everything  # --debug printed tracebacks
    for form in _forms(CANARY):
        assert form not in everything, form
