"""Recorded answers (``tokenops-mock --cassette PATH``): a request a cassette holds gets the response recorded for it;
any other request gets the schema-driven mock.

A request matches a recorded one by method, path and query (credentials redacted on both sides, as the recording
redacted them) and body, byte for byte. Several answers recorded for the same request are served in the order
they were recorded, the last one again after that (a polled job moves as it did). Exchanges without a complete
response (a transport failure, a body cut at the proxy's capture limit) are not served. The answer is the
recorded status, headers (hop-by-hop ones, ``Date`` and ``Server`` dropped; ``Content-Length`` recomputed) and
body, plus ``x-mock-source: cassette``. Credentials are not checked: the recording's were redacted.
"""

from __future__ import annotations

import collections
import hashlib

from starlette.types import Message, Receive, Scope, Send

from contract_tests.cassette import HOP_BY_HOP, Cassette, Exchange, redacted
from contract_tests.mock._requests import MAX_UPLOAD_BYTES, BodyTooLarge, read_body
from contract_tests.mock._responses import Reply
from tokenops.spec import SecurityScheme

__all__ = ["RecordedAnswers"]

_DROPPED = HOP_BY_HOP | {"content-length", "date", "server"}
Key = tuple[str, str, str]


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else ""


class RecordedAnswers:
    """The answers of one cassette, by request."""

    def __init__(self, cassette: Cassette, schemes: dict[str, SecurityScheme]) -> None:
        self._schemes = schemes
        self._answers: dict[Key, list[Reply]] = {}
        for exchange in cassette.exchanges:
            if exchange.status is None or exchange.error is not None or not exchange.response_complete:
                continue
            headers = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in exchange.response_headers
                if name not in _DROPPED
            ]
            headers.append((b"x-mock-source", b"cassette"))
            reply = Reply(exchange.status, exchange.response_body, None, headers)
            self._answers.setdefault(self._key(exchange), []).append(reply)
        self._served: collections.Counter[Key] = collections.Counter()
        self._methods = frozenset(method for method, _, _ in self._answers)

    def __len__(self) -> int:
        return sum(len(replies) for replies in self._answers.values())

    def _key(self, exchange: Exchange) -> Key:
        clean, _ = redacted(exchange, self._schemes)
        return (clean.method, clean.target, _digest(clean.request_body))

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> tuple[int | None, Receive]:
        """Send the recorded answer to this request, if there is one.

        Returns:
            (the status sent, or None when nothing was recorded for it; the ``receive`` the schema-driven mock
            reads the request from: the body read here is given back to it).
        """
        method = scope["method"]
        if method not in self._methods:
            return None, receive
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
        body = b""
        if any(name in ("content-length", "transfer-encoding") for name, _ in headers):
            try:
                body = await read_body(receive, MAX_UPLOAD_BYTES)
            except BodyTooLarge:
                return None, receive  # the mock's own limits answer it
            receive = _given_back(body, receive)
        request = Exchange(method, raw_path + (f"?{query}" if query else ""), headers, body)
        key = self._key(request)
        replies = self._answers.get(key)
        if not replies:
            return None, receive
        reply = replies[min(self._served[key], len(replies) - 1)]
        self._served[key] += 1
        await reply.send(send)
        return reply.status_code, receive


def _given_back(body: bytes, receive: Receive) -> Receive:
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
