"""tokenops.redaction: secrets held out of repr, scrubbed from text, JSON and log records while they live."""

from __future__ import annotations

import base64
import gc
import logging
import secrets
from typing import Any

import httpx
import pytest

from tokenops.redaction import REDACTED, RedactingFilter, Secret, redact, redact_json, register_secret


def _key() -> str:
    return f"sk-test-{secrets.token_hex(8)}"


def test_a_secret_never_shows_its_value() -> None:
    key = _key()
    secret = Secret(key)
    assert secret.value == key
    assert repr(secret) == str(secret) == f"{secret}" == REDACTED
    assert key not in repr([secret, {"k": secret}])


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_redact_scrubs_every_form_while_the_secret_lives() -> None:
    key = _key()
    secret = register_secret(key)
    encoded = base64.b64encode(key.encode()).decode()
    assert redact(f"a {key} b {encoded} c Bearer {key}") == f"a {REDACTED} b {REDACTED} c Bearer {REDACTED}"
    del secret
    gc.collect()
    assert redact(key) == key  # no longer registered: nothing to scrub


def test_redact_json_scrubs_strings_at_any_depth_keys_included() -> None:
    key = _key()
    secret = register_secret(key)
    value: dict[str, Any] = {key: [1, None, {"auth": f"Bearer {key}"}, [key, True]], "n": 2.5}
    assert redact_json(value) == {REDACTED: [1, None, {"auth": f"Bearer {REDACTED}"}, [REDACTED, True]], "n": 2.5}
    assert value[key][3] == [key, True]  # a copy: the input is left alone
    assert secret.value == key


def test_the_logging_filter_rewrites_a_record_that_carries_a_secret_and_never_drops_one() -> None:
    key = _key()
    secret = register_secret(key)
    leaking = logging.LogRecord("t", logging.INFO, __file__, 1, "sent %s to %s", (key, "api"), None)
    clean = logging.LogRecord("t", logging.INFO, __file__, 1, "sent %s", ("nothing",), None)
    log_filter = RedactingFilter()
    assert log_filter.filter(leaking) is True
    assert (leaking.msg, leaking.args) == (f"sent {REDACTED} to api", None)
    assert leaking.getMessage() == f"sent {REDACTED} to api"
    assert log_filter.filter(clean) is True
    assert (clean.msg, clean.args) == ("sent %s", ("nothing",))  # untouched: formatting stays lazy
    assert secret.value == key


def test_a_key_in_the_query_is_scrubbed_from_httpx_and_httpcore_log_records(caplog: pytest.LogCaptureFixture) -> None:
    secret = register_secret("sk-query-canary-0b5e")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with caplog.at_level(logging.DEBUG), httpx.Client(transport=transport) as client:
        client.get("https://api.test/v1beta/models/m:generateContent", params={"key": secret.value})
        logging.getLogger("httpcore.http11").debug("send_request_headers.started url=%s", f"?key={secret.value}")
    assert any("HTTP Request: GET" in record.getMessage() for record in caplog.records)
    assert all(secret.value not in record.getMessage() for record in caplog.records)
    assert "key=<redacted>" in caplog.text
