"""The control API under ``/_mock/``: jobs, clock, faults, reset, stats (a small Starlette app)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contract_tests.mock._faults import FaultSpecError, rule_from_mapping
from contract_tests.mock._jobs import JobSpecError, job_from_spec
from contract_tests.mock._responses import Reply, api_error, json_reply
from contract_tests.mock._state import MockState
from tokenops.spec import Spec

__all__ = ["CONTROL_PREFIX", "ControlError", "control_app"]

CONTROL_PREFIX = "/_mock"
Endpoint = Callable[[Request, MockState], Awaitable[Reply]]


class ControlError(Exception):
    """A control request is invalid; the message says why (sent as a 400)."""


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ControlError(f"request body is not valid JSON: {exc}") from None


async def _jobs(request: Request, state: MockState) -> Reply:
    now = state.clock.now()
    if request.method == "GET":
        return json_reply({"jobs": [job.state(now) for job in state.store]})
    payload = await _read_json(request)
    specs = payload if isinstance(payload, list) else [payload]
    jobs = [job_from_spec(spec, now) for spec in specs]  # validate all before storing any
    for job in jobs:
        state.store.put(job)
    bodies = [job.state(now) for job in jobs]
    return json_reply(bodies if isinstance(payload, list) else bodies[0], 201)


def _no_job(job_id: str) -> Reply:
    return api_error(404, f"No job with id '{job_id[:100]}'.", "job_not_found")


async def _job(request: Request, state: MockState) -> Reply:
    job_id = request.path_params["job_id"]
    if request.method == "DELETE":
        return Reply(204, b"", None) if state.store.delete(job_id) else _no_job(job_id)
    job = state.store.get(job_id, state.clock.now())
    return json_reply(job.state(state.clock.now())) if job else _no_job(job_id)


async def _clock(request: Request, state: MockState) -> Reply:
    if request.method == "POST":
        payload = await _read_json(request)
        seconds = payload.get("seconds") if isinstance(payload, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ControlError('body must be {"seconds": <number >= 0>}')
        state.clock.advance(float(seconds))
    return json_reply({"now": state.clock.now(), "manual": state.clock.manual})


async def _faults(request: Request, state: MockState) -> Reply:
    if request.method == "POST":
        payload = await _read_json(request)
        rules = [rule_from_mapping(spec) for spec in (payload if isinstance(payload, list) else [payload])]
        for rule in rules:
            state.faults.add(rule)
        return json_reply({"faults": state.faults.to_json()}, 201)
    if request.method == "DELETE":
        state.faults.clear()
    return json_reply({"faults": state.faults.to_json()})


async def _reset(request: Request, state: MockState) -> Reply:
    state.reset()
    return json_reply({"jobs": len(state.store)})


async def _stats(request: Request, state: MockState) -> Reply:
    return json_reply(
        {
            "requests": dict(state.stats),
            "operations": dict(state.operations),
            "jobs": len(state.store),
            "evicted": state.store.evicted,
        }
    )


def _operations(spec: Spec, stateful: frozenset[str]) -> Endpoint:
    listing = [
        {
            "operation_id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "auth": op.requires_auth,
            "stateful": op.name in stateful,  # served from the job store: its ids must exist (POST /_mock/jobs)
        }
        for op in spec.operations
    ]

    async def operations(request: Request, state: MockState) -> Reply:
        return json_reply({"spec": spec.source, "operations": listing})

    return operations


def _response(reply: Reply) -> Response:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in reply.headers}
    return Response(reply.body, reply.status_code, headers=headers, media_type=reply.content_type)


async def _error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:  # noqa: PLR2004
        allow = exc.headers.get("Allow", "GET") if exc.headers else "GET"
        return _response(api_error(405, "Method not allowed.", "method_not_allowed", Allow=allow))
    return _response(api_error(404, f"Unknown path {request.url.path[:200]!r}.", "not_found"))


def control_app(state: MockState, spec: Spec, stateful: frozenset[str] = frozenset()) -> Starlette:
    """The control API for ``state``; ``GET /_mock/operations`` lists what the spec made the mock serve."""

    def bound(handler: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return _response(await handler(request, state))
            except (ControlError, JobSpecError, FaultSpecError, ValueError) as exc:
                return _response(api_error(400, str(exc), "invalid_control_request"))

        return endpoint

    both = ["GET", "POST", "DELETE"]
    routes = [
        Route(f"{CONTROL_PREFIX}/jobs", bound(_jobs), methods=["GET", "POST"]),
        Route(f"{CONTROL_PREFIX}/jobs/{{job_id:path}}", bound(_job), methods=["GET", "DELETE"]),
        Route(f"{CONTROL_PREFIX}/clock", bound(_clock), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/clock/advance", bound(_clock), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/faults", bound(_faults), methods=both),
        Route(f"{CONTROL_PREFIX}/reset", bound(_reset), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/stats", bound(_stats), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/operations", bound(_operations(spec, stateful)), methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: _error_handler, 405: _error_handler})
