"""What the mock sends: a small raw-ASGI reply, the OpenAI error format, and the faults that distort a reply.

A :class:`Reply` is sent with two ASGI messages and no framework in between (the hot path). It is also an
ASGI app, so the control API (Starlette) returns the same objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.types import Receive, Scope, Send

from contract_tests.mock._faults import FaultKind, FaultRule, reality
from tokenops.spec import is_json

__all__ = ["DroppedReply", "Reply", "StalledReply", "api_error", "distort", "infrastructure_fault", "json_reply"]

JSON = "application/json"
_HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


class Reply:
    """A complete HTTP response: status, body bytes, content type, extra headers."""

    __slots__ = ("body", "content_type", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        body: bytes = b"",
        content_type: str | None = JSON,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.content_type = content_type
        self.headers = headers or []

    def header_list(self, length: int | None = None) -> list[tuple[bytes, bytes]]:
        """The response headers, with Content-Length ``length`` (default: the body's)."""
        headers = [(b"content-length", str(len(self.body) if length is None else length).encode())]
        if self.content_type is not None:
            headers.append((b"content-type", self.content_type.encode("latin-1")))
        headers.extend(self.headers)
        return headers

    async def send(self, send: Send) -> None:
        """Send it (start + body)."""
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.header_list()})
        await send({"type": "http.response.body", "body": self.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.send(send)


def json_reply(data: Any, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> Reply:
    """``data`` as compact UTF-8 JSON."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Reply(status, body, JSON, headers)


def api_error(
    status: int,
    message: str,
    code: str,
    kind: str = "invalid_request_error",
    *,
    param: str | None = None,
    **headers: str,
) -> Reply:
    """An error in the OpenAI format: ``{"error": {"message", "type", "code"}}``, plus ``param`` when given.

    Args:
        status: the HTTP status.
        message: one human sentence.
        code: a machine-readable code (``video_not_found``).
        kind: the OpenAI error ``type``.
        param: the request field the error is about (request validation errors).
        **headers: extra response headers, e.g. ``Allow`` or ``Retry-After``.

    Returns:
        The reply.
    """
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if param is not None:
        error["param"] = param
    extra = [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]
    return json_reply({"error": error}, status, extra)


class DroppedReply(Reply):
    """Starts the response, sends half the body, then cuts the connection."""

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.header_list()})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionResetError("mock fault: connection dropped mid-response")


class StalledReply(Reply):
    """Sends the headers and half the body, then nothing until the client gives up or ``seconds`` pass.

    Bounded: after ``seconds`` (or as soon as the client disconnects) the connection is cut.
    """

    __slots__ = ("receive", "seconds")

    def __init__(self, reply: Reply, seconds: float, receive: Receive) -> None:
        super().__init__(reply.status_code, reply.body, reply.content_type, reply.headers)
        self.seconds = seconds
        self.receive = receive

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.header_list()})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})

        async def disconnected() -> None:
            while (await self.receive())["type"] != "http.disconnect":
                pass

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(disconnected(), self.seconds)
        raise ConnectionResetError("mock fault: stalled response abandoned")


def infrastructure_fault(rule: FaultRule) -> Reply | None:
    """Faults that happen in front of the service (before auth and routing to a handler)."""
    if rule.kind is FaultKind.RATE_LIMIT:
        return api_error(
            429,
            "Rate limit reached (mock fault).",
            "rate_limit_exceeded",
            "requests",
            **{"Retry-After": f"{rule.retry_after:g}"},
        )
    if rule.kind is FaultKind.SERVER_ERROR:
        return api_error(rule.status, f"Upstream error {rule.status} (mock fault).", "server_error", "server_error")
    if rule.kind is FaultKind.HTML_200:
        return Reply(200, _HTML_PAGE, "text/html; charset=utf-8")
    return None


def _real_json(data: Any) -> Any:
    """:func:`reality` for a video, for each video of a list, else an undocumented field added."""
    if isinstance(data, dict) and data.get("object") == "video":
        return reality(data)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return {**data, "data": [_real_json(item) for item in data["data"]]}
    if isinstance(data, dict):
        return {**data, "mock_undocumented_field": "sent by real servers, absent from the spec"}
    return data


def distort(rule: FaultRule, reply: Reply, receive: Receive) -> Reply:  # noqa: PLR0911 - one return per kind
    """Faults that spoil an otherwise correct successful reply (any operation, JSON or binary)."""
    if rule.kind is FaultKind.DROP:
        return DroppedReply(reply.status_code, reply.body, reply.content_type, reply.headers)
    if rule.kind is FaultKind.STALL:
        return StalledReply(reply, rule.stall_ms / 1000, receive)
    if rule.kind is FaultKind.GZIP_LIE:
        return Reply(
            reply.status_code, reply.body, reply.content_type, [*reply.headers, (b"content-encoding", b"gzip")]
        )
    if rule.kind is FaultKind.MALFORMED_JSON:
        return Reply(reply.status_code, reply.body[: max(1, len(reply.body) // 2)], JSON, reply.headers)
    if rule.kind is FaultKind.WRONG_CONTENT_TYPE:
        label = "application/octet-stream" if (reply.content_type or "").startswith("text/plain") else "text/plain"
        return Reply(reply.status_code, reply.body, label, reply.headers)
    if rule.kind is FaultKind.REALITY and is_json(reply.content_type) and reply.body:
        return json_reply(_real_json(json.loads(reply.body)), reply.status_code, reply.headers)
    return reply
