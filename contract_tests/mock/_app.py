"""The mock as one ASGI application: limits, the vendor API from the spec, the control API, one log line each.

``create_app()`` returns a :class:`MockApp`; its :attr:`MockApp.state` (clock, jobs, faults, counters) and
:attr:`MockApp.spec` are public, for tests and tools that drive the mock in-process.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from contract_tests.cassette import load_cassette
from contract_tests.mock._api import Api
from contract_tests.mock._cassette import RecordedAnswers
from contract_tests.mock._clock import MockClock
from contract_tests.mock._control import CONTROL_PREFIX, ControlError, control_app
from contract_tests.mock._faults import FaultRule, Faults
from contract_tests.mock._jobs import DEFAULT_MAX_JOBS, JobStore
from contract_tests.mock._requests import MAX_BODY_BYTES, MAX_UPLOAD_BYTES
from contract_tests.mock._responses import Reply, api_error
from contract_tests.mock._spec import Spec, load_spec
from contract_tests.mock._state import MockState
from contract_tests.mock._stream import DEFAULT_EVENTS

__all__ = ["DEFAULT_API_KEY", "KEY_VARIABLE", "MockApp", "create_app"]

DEFAULT_API_KEY = "sk-mock-local"  # accepted when neither --api-key nor TOKENOPS_MOCK_API_KEY says otherwise
# The mock's own variable: a user's real TOKENOPS_API_KEY (the client's) is never the mock's key by accident.
KEY_VARIABLE = "TOKENOPS_MOCK_API_KEY"
MAX_PATH_BYTES = 2048
MAX_HEADER_BYTES = 16 * 1024
logger = logging.getLogger("contract_tests.mock")
_KEYS = {"api": "api_total", "control": "control_total"}
_KEYS_BY_STATUS: dict[tuple[str, int], str] = {}  # counter names, formatted once per (route, status)


def _scan(scope: Scope) -> tuple[Reply | None, str | None, str | None]:
    """One pass over the request head: (a 414/413/431 refusal or None, Authorization, X-Mock-Fault)."""
    if len(scope.get("raw_path") or scope["path"].encode()) > MAX_PATH_BYTES:
        return api_error(414, f"Request path longer than {MAX_PATH_BYTES} bytes.", "uri_too_long"), None, None
    headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
    size = 0
    length: bytes | None = None
    limit = MAX_BODY_BYTES
    authorization = fault = None
    for name, value in headers:
        size += len(name) + len(value)
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-mock-fault":
            fault = value.decode("latin-1")
        elif name == b"content-length":
            length = value
        elif name == b"content-type" and value.lower().startswith(b"multipart/"):
            limit = MAX_UPLOAD_BYTES
    if length is not None and (not length.isdigit() or int(length) > limit):
        return api_error(413, f"Request body larger than {limit} bytes.", "body_too_large"), None, None
    if size > MAX_HEADER_BYTES:
        return api_error(431, f"Request headers larger than {MAX_HEADER_BYTES} bytes.", "headers_too_large"), None, None
    return None, authorization, fault


def _limited(receive: Receive) -> Receive:
    """Cuts off chunked control bodies that grow past the limit (Content-Length was checked up front)."""
    total = 0

    async def wrapped() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_BODY_BYTES:
                raise ControlError(f"request body larger than {MAX_BODY_BYTES} bytes")
        return message

    return wrapped


class MockApp:
    """The mock: an ASGI app serving every operation of its spec, plus the control API under ``/_mock/``."""

    def __init__(
        self, state: MockState, spec: Spec, *, log_requests: bool = True, recorded: RecordedAnswers | None = None
    ) -> None:
        self._state = state
        self._api = Api(spec, state)
        self._control = control_app(state, spec, frozenset(self.stateful_operations()))
        self.log_requests = log_requests
        self.recorded = recorded  # a cassette's answers, served before the schema-driven mock (--cassette)

    @property
    def state(self) -> MockState:
        """Clock, job store, fault rules, accepted keys and request counters of this mock."""
        return self._state

    @property
    def spec(self) -> Spec:
        """The spec this mock serves."""
        return self._api.spec

    def stateful_operations(self) -> list[str]:
        """Names of the operations answered by a stateful handler (the rest use the schema-driven fallback)."""
        return [route.name for route in self._api.routes if route.stateful]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: Starlette answers it
            await self._control(scope, receive, send)
            return
        started = time.perf_counter() if self.log_requests else 0.0
        status, operation = 0, ""
        control = scope["path"].startswith(CONTROL_PREFIX)
        try:
            refusal, authorization, fault = _scan(scope)
            if refusal is not None:
                status = refusal.status_code
                await refusal.send(send)
            elif control:
                status = await self._call_control(scope, receive, send)
            else:
                answered = None
                if self.recorded is not None:
                    answered, receive = await self.recorded.answer(scope, receive, send)
                if answered is not None:
                    status = answered
                else:
                    status, operation = await self._api(scope, receive, send, authorization, fault)
        finally:
            status = status or 599  # 599: the connection was cut before a status was sent (a fault, or a crash)
            stats = self._state.stats
            route = "control" if control else "api"
            stats[_KEYS[route]] += 1
            key = (route, status)
            if key not in _KEYS_BY_STATUS:
                _KEYS_BY_STATUS[key] = f"{route}_{status}"
            stats[_KEYS_BY_STATUS[key]] += 1
            if operation:
                self._state.operations[operation] += 1
            if self.log_requests:
                elapsed = (time.perf_counter() - started) * 1000
                logger.info("%s %s %d %.1fms", scope["method"], scope["path"][:200], status, elapsed)

    async def _call_control(self, scope: Scope, receive: Receive, send: Send) -> int:
        seen = [0]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen[0] = message["status"]
            await send(message)

        await self._control(scope, _limited(receive), capture)
        return seen[0]


def create_app(
    *,
    api_keys: Iterable[str] | None = None,
    clock: MockClock | None = None,
    max_jobs: int = DEFAULT_MAX_JOBS,
    seeds: list[dict[str, Any]] | None = None,
    faults: list[FaultRule] | None = None,
    fault_seed: int = 0,
    log_requests: bool = True,
    spec: Spec | Path | str | Mapping[str, Any] | None = None,
    stream_events: int = DEFAULT_EVENTS,
    stream_interval: float = 0.0,
    cassette: Path | None = None,
) -> MockApp:
    """Build the mock.

    Args:
        api_keys: accepted bearer keys; default ``$TOKENOPS_MOCK_API_KEY`` if set, else :data:`DEFAULT_API_KEY`
            (never the client's ``$TOKENOPS_API_KEY``: a user's real key is not the mock's).
        clock: the mock's time (default: wall-clock time, advanceable through the control API).
        max_jobs: job store cap (least recently used jobs are evicted).
        seeds: job descriptions loaded at start and on every reset.
        faults: fault rules active from the start (and restored on reset).
        fault_seed: seed for probabilistic fault rules.
        log_requests: one log line per request (``contract_tests.mock`` logger), never with the key.
        spec: the OpenAPI document to serve (parsed spec, path or mapping); default the vendored ``openapi.yaml``.
        stream_events: events per server-sent event stream (before ``[DONE]``).
        stream_interval: seconds between streamed events (0: the whole stream at once).
        cassette: a cassette (``tokenops-conformance proxy --record``) whose recorded answers are served first.

    Returns:
        The ASGI app.

    Raises:
        JobSpecError: a seed job is invalid.
        SpecError: the spec cannot be read or served.
        CassetteError: the cassette is corrupt, from another spec, or holds a secret.
    """
    keys = frozenset(api_keys or [os.environ.get(KEY_VARIABLE) or DEFAULT_API_KEY])
    state = MockState(MockClock() if clock is None else clock, JobStore(max_jobs), Faults(faults, fault_seed), keys)
    state.seeds = list(seeds or [])
    state.stream_events, state.stream_interval = stream_events, stream_interval
    state.reset()
    served = spec if isinstance(spec, Spec) else load_spec(spec)
    recorded = None
    if cassette is not None:
        secrets = keys - {DEFAULT_API_KEY}  # keys this mock accepts: a cassette holding one was not redacted
        recorded = RecordedAnswers(load_cassette(cassette, served, secrets=secrets), served.security_schemes)
    return MockApp(state, served, log_requests=log_requests, recorded=recorded)
