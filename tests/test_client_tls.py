"""TLS: the clients' pools share one TLS context per trust setting, and certificates are still verified (on every
transport)."""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

import tokenops
from tests.rawserver import raw_server
from tests.transports import TRANSPORTS, call_with
from tokenops import _config

if TYPE_CHECKING:
    import trustme

BODY = {"id": "video_tls", "object": "video", "status": "completed", "progress": 100, "created_at": 1741570283}


@pytest.fixture(autouse=True)
def _fresh_contexts() -> Iterator[None]:
    _config.tls_for.cache_clear()
    yield
    _config.tls_for.cache_clear()


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_clients_share_one_tls_context_per_trust_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting() -> ssl.SSLContext:
        built.append(real())
        return built[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    clients = [tokenops.TokenOps(api_key="sk-tls") for _ in range(3)]
    clients += [tokenops.AsyncTokenOps(api_key="sk-tls") for _ in range(2)]  # type: ignore[misc]
    aiohttp_client = tokenops.DefaultAioHttpClient()
    clients.append(tokenops.AsyncTokenOps(api_key="sk-tls", http_client=aiohttp_client))  # type: ignore[arg-type]
    assert len(built) == 1  # loading a CA bundle costs ~25 ms: once per process, not once per client

    import trustme  # noqa: PLC0415 - cryptography costs 70 ms at collection

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    clients.append(tokenops.TokenOps(api_key="sk-tls"))
    assert len(built) == 2  # the environment httpx reads decides the context: a new value, a new context
    for client in clients:
        if isinstance(client, tokenops.TokenOps):
            client.close()


def _tls_server(ca: trustme.CA) -> contextlib.AbstractContextManager[str]:
    """An HTTPS server on 127.0.0.1 with a certificate from ``ca``, answering every request with ``BODY``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    payload = json.dumps(BODY).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    answer = head.encode() + b"Connection: close\r\n\r\n" + payload
    return raw_server(lambda conn: conn.sendall(answer), max_seconds=10, tls=context)


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_ca_from_ssl_cert_file_is_trusted_and_another_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, transport: str
) -> None:
    import trustme  # noqa: PLC0415 - cryptography costs 70 ms at collection

    server_ca, other_ca = trustme.CA(), trustme.CA()
    server_ca.cert_pem.write_to_path(str(tmp_path / "server-ca.pem"))
    other_ca.cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with _tls_server(server_ca) as url:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "other-ca.pem"))
        with pytest.raises(tokenops.APIConnectionError) as refused:
            call_with(
                transport,
                lambda client: client.videos.retrieve("video_tls"),
                api_key="sk-tls",
                base_url=url,
                max_retries=0,
            )
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)

        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "server-ca.pem"))
        trusted = call_with(
            transport,
            lambda client: client.videos.retrieve("video_tls"),
            api_key="sk-tls",
            base_url=url,
            max_retries=0,
        )
        assert trusted.status == "completed"
