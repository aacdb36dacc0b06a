"""Cassettes (``contract_tests/cassette.py``): credentials redacted in their places, secrets scrubbed everywhere,
bodies decoded (or kept as they were when they lie), a file that loads as it was written, and every file that
cannot be trusted refused with one line."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from contract_tests.cassette import (
    PLACEHOLDER,
    CassetteError,
    CassetteWriter,
    Exchange,
    UndecodableBody,
    decoded,
    load_cassette,
    redacted,
    scrubbed,
    spec_identity,
    unredacted,
)
from tests.conftest import ROOT
from tokenops.redaction import register_secret
from tokenops.spec import SecurityScheme, Spec, load

KEY = "sk-cassette-test-0123456789abcdef"
SCHEMES = {
    "bearer": SecurityScheme("bearer", "http", scheme="bearer"),
    "query": SecurityScheme("query", "apiKey", location="query", parameter="token"),
    "header": SecurityScheme("header", "apiKey", location="header", parameter="X-Goog-Key"),
    "cookie": SecurityScheme("cookie", "apiKey", location="cookie", parameter="session_key"),
}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load(ROOT / "openapi.yaml")


def _exchange(**fields: object) -> Exchange:
    base: dict[str, object] = {
        "method": "GET",
        "target": "/v1/videos/video_1",
        "request_headers": (("authorization", f"Bearer {KEY}"),),
        "status": 200,
        "response_headers": (("content-type", "application/json"),),
        "response_body": b'{"id": "video_1"}',
        "started_at": 1_700_000_000.0,
        "duration": 0.0125,
    }
    return Exchange(**{**base, **fields})  # type: ignore[arg-type]


def test_every_credential_place_is_redacted_and_its_secret_returned() -> None:
    basic = base64.b64encode(b"alice:hunter2-password").decode()
    raw = _exchange(
        target="/v1/videos/x?token=tok-secret&keep=1",
        request_headers=(
            ("authorization", f"Basic {basic}"),
            ("x-goog-key", "goog-secret"),
            ("cookie", "session_key=cookie-secret; theme=dark-secret"),
            ("x-trace", "kept"),
        ),
        response_headers=(("content-type", "application/json"), ("set-cookie", "sid=server-secret")),
    )
    clean, secrets = redacted(raw, SCHEMES)
    headers = dict(clean.request_headers)
    user, _, password = base64.b64decode(headers["authorization"].split(" ", 1)[1]).decode().partition(":")
    assert (user, password) == ("alice", PLACEHOLDER)
    assert headers["x-goog-key"] == PLACEHOLDER
    assert headers["cookie"] == f"session_key={PLACEHOLDER}; theme=<redacted>"
    assert headers["x-trace"] == "kept"
    assert clean.target == "/v1/videos/x?token=${TOKENOPS_API_KEY}&keep=1"
    assert "set-cookie" not in dict(clean.response_headers)
    assert {"hunter2-password", "goog-secret", "cookie-secret", "dark-secret", "tok-secret"} <= set(secrets)
    assert redacted(clean, SCHEMES) == (clean, [])  # idempotent: a recording redacts nothing twice
    assert unredacted(clean, SCHEMES) is None
    assert unredacted(raw, SCHEMES) is not None


def test_bearer_tokens_become_the_key_variable() -> None:
    clean, secrets = redacted(_exchange(), {})
    assert dict(clean.request_headers)["authorization"] == f"Bearer {PLACEHOLDER}"
    assert secrets == [KEY]


def test_registered_secrets_and_key_shaped_strings_are_scrubbed_from_bodies_urls_and_errors() -> None:
    held = register_secret("echoed-credential-1234")
    raw = _exchange(
        target="/v1/videos/echoed-credential-1234",
        response_body=b'{"error": "bad key echoed-credential-1234, try sk-abcdefghijklmnopqrstuvwx"}',
        error_message="echoed-credential-1234 refused",
        request_body=b"\xff\xfebinary echoed-credential-1234",
    )
    clean = scrubbed(raw)
    text = repr(clean)
    assert "echoed-credential-1234" not in text
    assert "sk-abcdefghijklmnopqrstuvwx" not in text
    assert clean.request_body.startswith(b"\xff\xfebinary <redacted>")  # bytes that are not UTF-8 stay as they were
    del held


def test_bodies_decode_and_a_lying_encoding_is_an_error() -> None:
    body = b'{"id": "video_1"}'
    packed = _exchange(
        response_headers=(("content-encoding", "gzip"), ("content-length", "40"), ("content-type", "application/json")),
        response_body=gzip.compress(body),
    )
    plain = decoded(packed)
    assert plain.response_body == body
    assert dict(plain.response_headers) == {"content-type": "application/json"}
    assert decoded(plain) == plain
    liar = attrs.evolve(packed, response_body=body)
    with pytest.raises(UndecodableBody, match="does not match the body"):
        decoded(liar)


def test_a_recording_loads_back_exchange_for_exchange(tmp_path: Path, spec: Spec) -> None:
    exchanges = [
        _exchange(request_headers=(("authorization", f"Bearer {PLACEHOLDER}"),)),
        _exchange(
            method="POST",
            request_headers=(("content-type", "application/octet-stream"),),
            request_body=b"\x00\x01\xff",
            request_complete=False,
            status=502,
            response_body='{"message": "数据"}'.encode(),
        ),
        _exchange(
            request_headers=(),
            status=None,
            response_headers=(),
            response_body=b"",
            error="ConnectionRefused",
            error_message="no",
        ),
    ]
    writer = CassetteWriter(tmp_path / "c.yaml", spec, "https://api.example.com", "tokenops test")
    for exchange in exchanges:
        assert writer.add(exchange)
    writer.close()
    cassette = load_cassette(tmp_path / "c.yaml", spec)
    assert cassette.exchanges == tuple(exchanges)
    assert cassette.upstream == "https://api.example.com"
    assert cassette.spec == spec_identity(spec)


def test_a_recording_stops_at_its_bounds_and_an_unfinished_one_still_loads(tmp_path: Path, spec: Spec) -> None:
    writer = CassetteWriter(tmp_path / "c.yaml", spec, "http://u", "t", max_exchanges=2)
    assert [writer.add(_exchange(request_headers=())) for _ in range(3)] == [True, True, False]
    assert (writer.written, writer.dropped) == (2, 1)
    assert len(load_cassette(tmp_path / "c.yaml", spec).exchanges) == 2  # not closed: every item is whole
    writer.close()
    small = CassetteWriter(tmp_path / "s.yaml", spec, "http://u", "t", max_bytes=600)
    results = [small.add(_exchange(request_headers=())) for _ in range(5)]
    small.close()
    assert results[0]
    assert not results[-1]
    assert (tmp_path / "s.yaml").stat().st_size <= 600


def _write(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("interactions: [", "corrupt: not valid YAML at line"),
        ("just: a mapping\n", "not a tokenops cassette"),
        ("tokenops_cassette: 7\n", "cassette format version 7"),
        (b"\xff\xfe not text", "not UTF-8"),
    ],
)
def test_a_file_that_is_no_cassette_is_refused_in_one_line(
    tmp_path: Path, spec: Spec, content: str | bytes, says: str
) -> None:
    path = tmp_path / "c.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CassetteError) as caught:
        load_cassette(path, spec)
    assert says in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def _document(spec: Spec, interaction: dict[str, object]) -> dict[str, object]:
    return {"tokenops_cassette": 1, "spec": spec_identity(spec), "upstream": "http://u", "interactions": [interaction]}


GOOD: dict[str, Any] = {
    "request": {"method": "GET", "uri": "/v1/videos/x", "headers": {"authorization": [f"Bearer {PLACEHOLDER}"]}},
    "response": {"status": {"code": 200}, "headers": {"content-type": ["application/json"]}, "body": {"string": "{}"}},
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"request": {"method": "GET"}}, r"corrupt: interactions\[0\]: the request needs 'method' and 'uri'"),
        ({"response": {"status": {"code": 999}}}, "status code in 100..599"),
        ({"response": None}, "needs a 'response' or an 'error'"),
        ({"request": {**GOOD["request"], "body": {"base64": "@@"}}}, "corrupt"),
        (
            {"request": {**GOOD["request"], "headers": {"authorization": [f"Bearer {KEY}"]}}},
            "holds an unredacted secret: a credential",
        ),
        (
            {"response": {**GOOD["response"], "body": {"string": "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"}}},
            "holds an unredacted secret: a secret",
        ),
        (
            {"response": {**GOOD["response"], "headers": {"set-cookie": ["sid=1"]}}},
            "Set-Cookie",
        ),
    ],
)
def test_an_interaction_that_is_broken_or_holds_a_secret_is_refused(
    tmp_path: Path, spec: Spec, change: dict[str, object], says: str
) -> None:
    path = _write(tmp_path / "c.yaml", _document(spec, {**GOOD, **change}))
    with pytest.raises(CassetteError, match=says):
        load_cassette(path, spec)


def test_a_secret_this_process_knows_is_refused_wherever_it_is(tmp_path: Path, spec: Spec) -> None:
    interaction = {**GOOD, "response": {**GOOD["response"], "body": {"string": '{"note": "my-live-key-42"}'}}}
    path = _write(tmp_path / "c.yaml", _document(spec, interaction))
    assert load_cassette(path, spec).exchanges
    with pytest.raises(CassetteError, match="unredacted secret"):
        load_cassette(path, spec, secrets=["my-live-key-42"])


def test_a_cassette_of_another_spec_is_refused_unless_only_the_version_differs_and_that_is_allowed(
    tmp_path: Path, spec: Spec
) -> None:
    document = _document(spec, GOOD)
    document["spec"] = {**spec_identity(spec), "version": "0.9.0"}
    path = _write(tmp_path / "c.yaml", document)
    with pytest.raises(CassetteError, match=r"recorded against spec 'TokenOps AI API' '0\.9\.0', not"):
        load_cassette(path, spec)
    assert load_cassette(path, spec, any_spec_version=True).exchanges
    document["spec"] = {**spec_identity(spec), "title": "Another API"}
    with pytest.raises(CassetteError, match="Another API"):
        load_cassette(_write(path, document), spec, any_spec_version=True)
