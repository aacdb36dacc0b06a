"""The vendor API as the spec describes it: routing, faults, auth, request checks, then a handler.

Order of events for one request, as in front of a real service: route (404 unknown path, 405 wrong method
with ``Allow``), latency and gateway faults (429, 5xx, an HTML page), auth as the spec declares it for the
operation (401, see :mod:`contract_tests.mock._auth`), the request checked against the spec (400/413/415), the
handler (stateful for videos, schema-driven for anything else; a list applies the page faults itself), and last the
faults that spoil a successful answer (drop, stall, gzip lie, malformed JSON, wrong type, reality).
"""

from __future__ import annotations

import asyncio

from starlette.types import Receive, Scope, Send

from contract_tests.mock._auth import Guard
from contract_tests.mock._documented import DocumentedErrors
from contract_tests.mock._fallback import fallback_handler
from contract_tests.mock._faults import FaultKind, FaultRule, FaultSpecError, parse_fault_spec
from contract_tests.mock._pages import PAGE_FAULTS
from contract_tests.mock._requests import (
    MAX_BODY_BYTES,
    MAX_UPLOAD_BYTES,
    BodyTooLarge,
    Call,
    Handler,
    read_body,
    read_call,
)
from contract_tests.mock._responses import Reply, api_error, distort, infrastructure_fault
from contract_tests.mock._router import Match, Router
from contract_tests.mock._schemas import Schemas
from contract_tests.mock._spec import Spec
from contract_tests.mock._state import MockState
from contract_tests.mock._stream import EventStreamReply, distort_stream
from contract_tests.mock._videos import VideoResource
from tokenops.spec import Operation

__all__ = ["Api", "Route"]


class Route:
    """One operation with its handler, and whether the request needs checking beyond its path."""

    __slots__ = ("body_limit", "checked", "errors", "guard", "handler", "name", "operation", "stateful")

    def __init__(
        self, operation: Operation, handler: Handler, stateful: bool, guard: Guard, errors: DocumentedErrors
    ) -> None:
        self.operation = operation
        self.guard = guard
        self.errors = errors
        self.handler = handler
        self.stateful = stateful
        self.name = operation.name
        self.checked = bool(
            operation.bodies
            or operation.params("query")
            or operation.params("header")
            or not all(p.trivial for p in operation.params("path"))
        )
        forms = any(body.media_type.lower().startswith("multipart/") for body in operation.bodies)
        self.body_limit = MAX_UPLOAD_BYTES if forms else MAX_BODY_BYTES


class Api:
    """Every operation of ``spec``, served over ``state``."""

    def __init__(self, spec: Spec, state: MockState) -> None:
        self.spec = spec
        self.state = state
        self.schemas = Schemas(spec)
        videos = VideoResource(state.store, state.clock, self.schemas)
        self.router: Router[Route] = Router()
        self.routes: list[Route] = []
        for operation in spec.operations:
            stateful = videos.bind(operation)
            handler = stateful or fallback_handler(operation, self.schemas, state)
            guard = Guard(operation, spec.security_schemes)
            route = Route(operation, handler, stateful is not None, guard, DocumentedErrors(operation, self.schemas))
            self.routes.append(route)
            self.router.add(operation.method, operation.path, route)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, authorization: str | None, fault_header: str | None
    ) -> tuple[int, str]:
        """Answer one request; (the status sent, the operation's name or '' when unrouted).

        ``authorization`` and ``fault_header`` are the request's ``Authorization`` and ``X-Mock-Fault`` values
        (the caller has scanned the headers once already).
        """
        reply, route, match, rule, latency = self._prelude(scope, authorization, fault_header)
        if latency:
            await asyncio.sleep(latency)
        if reply is None and route is not None and match is not None:
            if route.checked:
                fault = rule.kind if rule is not None and rule.kind in PAGE_FAULTS else None
                reply = await self._checked(scope, receive, route, match.params, fault)
            else:  # the hot path: nothing in the request needs checking against the spec
                reply = route.handler(Call(route.operation, match.params))
            if reply.status_code >= 400:  # noqa: PLR2004 - the operation's own error format (not gateway faults)
                reply = route.errors.shaped(reply)
            if rule is not None and 200 <= reply.status_code < 300:  # noqa: PLR2004
                if isinstance(reply, EventStreamReply):
                    reply = distort_stream(rule.kind, reply, receive, rule.stall_ms / 1000)
                else:
                    reply = distort(rule, reply, receive)
        assert reply is not None  # noqa: S101 - _prelude answers whenever there is no route
        await reply.send(send)
        return reply.status_code, route.name if route is not None else ""

    def _prelude(
        self, scope: Scope, authorization: str | None, fault_header: str | None
    ) -> tuple[Reply | None, Route | None, Match[Route] | None, FaultRule | None, float]:
        """Routing, faults and auth: (an early reply or None, route, match, fault rule to apply, latency)."""
        raw = scope.get("raw_path")
        path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
        match = self.router.match(scope["method"], path)
        if match is None:
            return api_error(404, f"Unknown path {scope['path'][:200]!r}.", "not_found"), None, None, None, 0.0
        route = match.handler
        if route is None:
            allow = ", ".join(match.allow)
            error = api_error(405, f"Method {scope['method']} not allowed.", "method_not_allowed", Allow=allow)
            return error, None, None, None, 0.0
        state = self.state
        latency, rule = state.faults.select(scope["path"], match.params.values()) if state.faults else (0.0, None)
        if fault_header is not None:
            try:
                one_off = parse_fault_spec(fault_header)
            except FaultSpecError as exc:
                return api_error(400, f"Invalid X-Mock-Fault header: {exc}", "invalid_fault"), route, match, None, 0.0
            if one_off.kind is FaultKind.LATENCY:
                latency += one_off.latency_ms / 1000
            else:
                rule = one_off
        if rule is not None and (gateway := infrastructure_fault(rule)) is not None:
            return gateway, route, match, None, latency
        if route.guard.required and (denied := route.guard.check(scope, authorization, state.api_keys)) is not None:
            return route.errors.shaped(denied), route, match, None, latency
        return None, route, match, rule, latency

    async def _checked(
        self, scope: Scope, receive: Receive, route: Route, params: dict[str, str], fault: str | None = None
    ) -> Reply:
        """Read the body, check the request against the spec, and answer it (or say what is wrong); ``fault`` is a
        fault the handler applies itself (a page fault of a list)."""
        try:
            body = await read_body(receive, route.body_limit) if route.operation.bodies else b""
        except BodyTooLarge:
            return api_error(413, f"Request body larger than {route.body_limit} bytes.", "body_too_large")
        call = await read_call(scope, body, route.operation, params, self.schemas)
        if isinstance(call, Reply):
            return call
        call.fault = fault
        return route.handler(call)
