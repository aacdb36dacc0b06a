"""The mock's ASGI app: the vendor's operation, the control API under ``/_mock/``, limits, logging."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.mock._clock import MockClock
from contract_tests.mock._faults import (
    FaultKind,
    FaultRule,
    Faults,
    FaultSpecError,
    parse_fault_spec,
    reality,
    rule_from_mapping,
)
from contract_tests.mock._jobs import DEFAULT_MAX_JOBS, JobSpecError, JobStore, job_from_spec

__all__ = ["DEFAULT_API_KEY", "MockState", "create_app"]

DEFAULT_API_KEY = "sk-mock-local"  # accepted when neither --api-key nor TOKENOPS_API_KEY says otherwise
MAX_PATH_BYTES = 2048
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 256 * 1024
CONTROL_PREFIX = "/_mock"
logger = logging.getLogger("contract_tests.mock")


@attrs.define
class MockState:
    """Everything the app knows; ``app.state.mock`` in a running app."""

    clock: MockClock
    store: JobStore
    faults: Faults
    api_keys: frozenset[str]
    seeds: list[dict[str, Any]] = attrs.field(factory=list)
    stats: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def reset(self) -> None:
        self.clock.reset()
        now = self.clock.now()
        self.store.reset(now, [job_from_spec(spec, now) for spec in self.seeds])
        self.faults.reset()
        self.stats.clear()


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status, headers=dict(headers or {}), media_type="application/json")


def api_error(status: int, message: str, code: str, kind: str = "invalid_request_error", **headers: str) -> Response:
    """An error in the OpenAI format: ``{"error": {"message", "type", "code"}}``."""
    return _json({"error": {"message": message, "type": kind, "code": code}}, status, headers)


class _DroppedResponse(Response):
    """Starts a 200, sends half the body, then cuts the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionResetError("mock fault: connection dropped mid-response")


_HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


def _infrastructure_fault(rule: FaultRule) -> Response | None:
    """Faults that happen in front of the service (before auth): they need no job."""
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
        return Response(_HTML_PAGE, 200, media_type="text/html")
    return None


def _body_fault(rule: FaultRule, body: dict[str, Any]) -> Response:
    """Faults that distort an otherwise correct 200 answer."""
    encoded = json.dumps(body, separators=(",", ":")).encode()
    if rule.kind is FaultKind.DROP:
        return _DroppedResponse(encoded)
    if rule.kind is FaultKind.MALFORMED_JSON:
        return Response(encoded[: max(1, len(encoded) // 2)], 200, media_type="application/json")
    if rule.kind is FaultKind.WRONG_CONTENT_TYPE:
        return Response(encoded, 200, media_type="text/plain")
    return _json(reality(body))


def _authorized(header: str | None, keys: frozenset[str]) -> Response | None:
    if header is None:
        return api_error(401, "Missing bearer authentication in header.", "missing_api_key")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return api_error(401, "Malformed Authorization header: expected 'Bearer <API key>'.", "invalid_api_key")
    if token.strip() not in keys:
        return api_error(401, "Incorrect API key provided.", "invalid_api_key")
    return None


VIDEO_PREFIX = "/v1/videos/"
_JSON_HEADERS = (b"content-type", b"application/json")


async def _video_response(scope: Scope, state: MockState) -> bytes | tuple[bytes, int] | Response:  # noqa: PLR0911, PLR0912 - one per outcome
    """``GET /v1/videos/{video_id}`` (getVideoStatus) with faults: the JSON body of a 200, or a Response."""
    method = scope["method"]
    if method not in ("GET", "HEAD"):
        return api_error(405, f"Method {method} not allowed.", "method_not_allowed", Allow="GET, HEAD")
    path: str = scope["path"]
    video_id = path[len(VIDEO_PREFIX) :]
    authorization = fault_header = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-mock-fault":
            fault_header = value.decode("latin-1")
    latency, rule = state.faults.select(path, video_id) if state.faults else (0.0, None)
    if fault_header is not None:
        try:
            one_off = parse_fault_spec(fault_header)
        except FaultSpecError as exc:
            return api_error(400, f"Invalid X-Mock-Fault header: {exc}", "invalid_fault")
        if one_off.kind is FaultKind.LATENCY:
            latency += one_off.latency_ms / 1000
        else:
            rule = one_off
    if latency:
        await asyncio.sleep(latency)
    if rule is not None and (response := _infrastructure_fault(rule)) is not None:
        return response
    if (denied := _authorized(authorization, state.api_keys)) is not None:
        return denied
    now = state.clock.now()
    job = state.store.get(video_id, now)
    if job is None:
        return api_error(404, f"No video found with id '{video_id[:100]}'.", "video_not_found")
    if rule is not None:
        return _body_fault(rule, job.state(now))
    hint = job.poll_after_ms(now)
    if hint is not None:
        return job.encoded(now), hint
    return job.encoded(now)


async def video_endpoint(scope: Scope, receive: Receive, send: Send, state: MockState) -> int:
    """Raw ASGI for the vendor's operation (the hot path skips routing and Request/Response objects).

    Returns:
        The status code sent.
    """
    response = await _video_response(scope, state)
    if isinstance(response, bytes | tuple):
        body, hint = response if isinstance(response, tuple) else (response, None)
        headers = [_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        if hint is not None:  # how OpenAI-compatible servers pace polling; the client honours it
            headers.append((b"openai-poll-after-ms", str(hint).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return 200
    await response(scope, receive, send)
    return response.status_code


# --- control API -------------------------------------------------------------------------------------------


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _ControlError(f"request body is not valid JSON: {exc}") from None


class _ControlError(Exception):
    pass


def _control(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            result: Response = await handler(request, request.app.state.mock)
        except (_ControlError, JobSpecError, FaultSpecError, ValueError) as exc:
            return api_error(400, str(exc), "invalid_control_request")
        return result

    return endpoint


async def _jobs(request: Request, state: MockState) -> Response:
    now = state.clock.now()
    if request.method == "GET":
        return _json({"jobs": [job.state(now) for job in state.store]})
    payload = await _read_json(request)
    specs = payload if isinstance(payload, list) else [payload]
    jobs = [job_from_spec(spec, now) for spec in specs]  # validate all before storing any
    for job in jobs:
        state.store.put(job)
    bodies = [job.state(now) for job in jobs]
    return _json(bodies if isinstance(payload, list) else bodies[0], 201)


async def _job(request: Request, state: MockState) -> Response:
    job_id = request.path_params["job_id"]
    if request.method == "DELETE":
        return Response(status_code=204) if state.store.delete(job_id) else _not_found(job_id)
    job = state.store.get(job_id, state.clock.now())
    return _json(job.state(state.clock.now())) if job else _not_found(job_id)


def _not_found(job_id: str) -> Response:
    return api_error(404, f"No job with id '{job_id[:100]}'.", "job_not_found")


async def _clock(request: Request, state: MockState) -> Response:
    if request.method == "POST":
        payload = await _read_json(request)
        seconds = payload.get("seconds") if isinstance(payload, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise _ControlError('body must be {"seconds": <number >= 0>}')
        state.clock.advance(float(seconds))
    return _json({"now": state.clock.now(), "manual": state.clock.manual})


async def _faults(request: Request, state: MockState) -> Response:
    if request.method == "POST":
        payload = await _read_json(request)
        rules = [rule_from_mapping(spec) for spec in (payload if isinstance(payload, list) else [payload])]
        for rule in rules:
            state.faults.add(rule)
        return _json({"faults": state.faults.to_json()}, 201)
    if request.method == "DELETE":
        state.faults.clear()
    return _json({"faults": state.faults.to_json()})


async def _reset(request: Request, state: MockState) -> Response:
    state.reset()
    return _json({"jobs": len(state.store)})


async def _stats(request: Request, state: MockState) -> Response:
    return _json({"requests": dict(state.stats), "jobs": len(state.store), "evicted": state.store.evicted})


async def _not_found_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:  # noqa: PLR2004
        return api_error(
            405,
            "Method not allowed.",
            "method_not_allowed",
            Allow=exc.headers.get("Allow", "GET") if exc.headers else "GET",
        )
    return api_error(404, f"Unknown path {request.url.path[:200]!r}.", "not_found")


class _Guard:
    """Outermost ASGI layer: refuses absurd requests with 4xx, counts and logs one line per request."""

    state: Any

    def __init__(self, app: ASGIApp, state: MockState, log_requests: bool) -> None:
        self.app = app
        self.mock = state
        self.log_requests = log_requests
        self.state = None  # set by create_app to the Starlette app.state, so tools reach app.state.mock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_seen = [0]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
            await send(message)

        refusal = self._refusal(scope)
        try:
            if refusal is not None:
                await refusal(scope, receive, capture)
            elif scope["path"].startswith(VIDEO_PREFIX):
                status_seen[0] = await video_endpoint(scope, receive, send, self.mock)
            else:
                await self.app(scope, _limited(receive), capture)
        finally:
            status = status_seen[0] or 599
            route = "control" if scope["path"].startswith(CONTROL_PREFIX) else "api"
            self.mock.stats[f"{route}_total"] += 1
            self.mock.stats[f"{route}_{status}"] += 1
            if self.log_requests:
                elapsed = (time.perf_counter() - started) * 1000
                logger.info("%s %s %d %.1fms", scope["method"], scope["path"][:200], status, elapsed)

    @staticmethod
    def _refusal(scope: Scope) -> Response | None:
        if len(scope.get("raw_path") or scope["path"].encode()) > MAX_PATH_BYTES:
            return api_error(414, f"Request path longer than {MAX_PATH_BYTES} bytes.", "uri_too_long")
        headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
        size = 0
        for name, value in headers:
            size += len(name) + len(value)
            if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY_BYTES):
                return api_error(413, f"Request body larger than {MAX_BODY_BYTES} bytes.", "body_too_large")
        if size > MAX_HEADER_BYTES:
            return api_error(431, f"Request headers larger than {MAX_HEADER_BYTES} bytes.", "headers_too_large")
        return None


def _limited(receive: Receive) -> Receive:
    """Cuts off chunked bodies that grow past the limit (Content-Length was checked up front)."""
    total = 0

    async def wrapped() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_BODY_BYTES:
                raise _ControlError(f"request body larger than {MAX_BODY_BYTES} bytes")
        return message

    return wrapped


def create_app(
    *,
    api_keys: Iterable[str] | None = None,
    clock: MockClock | None = None,
    max_jobs: int = DEFAULT_MAX_JOBS,
    seeds: list[dict[str, Any]] | None = None,
    faults: list[FaultRule] | None = None,
    fault_seed: int = 0,
    log_requests: bool = True,
) -> ASGIApp:
    """Build the mock. ``api_keys`` default: ``$TOKENOPS_API_KEY`` if set, else :data:`DEFAULT_API_KEY`.

    Raises:
        JobSpecError: a seed job is invalid.
    """
    keys = frozenset(api_keys or [os.environ.get("TOKENOPS_API_KEY") or DEFAULT_API_KEY])
    state = MockState(MockClock() if clock is None else clock, JobStore(max_jobs), Faults(faults, fault_seed), keys)
    state.seeds = list(seeds or [])
    state.reset()
    methods = ["GET", "POST", "DELETE"]
    routes = [
        Route(f"{CONTROL_PREFIX}/jobs", _control(_jobs), methods=["GET", "POST"]),
        Route(f"{CONTROL_PREFIX}/jobs/{{job_id:path}}", _control(_job), methods=["GET", "DELETE"]),
        Route(f"{CONTROL_PREFIX}/clock", _control(_clock), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/clock/advance", _control(_clock), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/faults", _control(_faults), methods=methods),
        Route(f"{CONTROL_PREFIX}/reset", _control(_reset), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/stats", _control(_stats), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found_handler, 405: _not_found_handler})
    app.state.mock = state
    guarded = _Guard(app, state, log_requests)
    guarded.state = app.state
    return guarded
