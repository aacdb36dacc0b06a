"""How requests and responses are recorded for reports (``contract_tests.suite.records``): bodies, curl."""

from __future__ import annotations

import httpx
import requests

from contract_tests.suite.records import MAX_BODY_IN_REPORT, Sent, body_text, curl

KEY = "sk-records-unit"


def test_a_streamed_httpx_body_that_was_never_read_is_recorded_without_a_body() -> None:
    request = httpx.Request("POST", "http://t/v1/videos", content=iter([b"chunk"]), headers={"X-A": "1"})
    sent = Sent.of(request)
    assert (sent.method, sent.url, sent.body) == ("POST", "http://t/v1/videos", None)
    assert ("x-a", "1") in sent.headers


def test_a_text_body_from_requests_is_recorded_as_utf8_bytes() -> None:
    prepared = requests.Request("POST", "http://t/v1/videos", data="prompt=café").prepare()
    assert isinstance(prepared.body, str)
    assert Sent.of(prepared).body == "prompt=café".encode()


def test_curl_sends_text_bodies_and_describes_binary_ones() -> None:
    text = Sent("POST", "http://127.0.0.1:5/v1/videos", (("Authorization", f"Bearer {KEY}"),), b'{"p": "$HOME `x`"}')
    command = curl(text, api_key=KEY, base_url="http://127.0.0.1:5", public_base_url="http://127.0.0.1:4010")
    assert command == (
        r'curl -sS -i -X "POST" "http://127.0.0.1:4010/v1/videos" -H "Authorization: Bearer ${TOKENOPS_API_KEY}"'
        r' --data-binary "{\"p\": \"\$HOME \`x\`\"}"'
    )
    for body in (b"\xff\xfe\x00binary", b"nul\x00inside"):
        command = curl(Sent("PUT", "http://t/x", (), body), api_key=KEY)
        assert command.endswith(f"# + a {len(body)}-byte binary body (not shown)")
        assert "--data-binary" not in command


def test_long_bodies_are_cut_for_reports() -> None:
    content = b"x" * (MAX_BODY_IN_REPORT + 50)
    text = body_text(content, "text/plain")
    assert text == "x" * MAX_BODY_IN_REPORT + f"… ({len(content)} bytes in all)"
    assert body_text(b'{"a":1}') == '{\n  "a": 1\n}'
