"""Test doubles for the conformance suite: a small video API serving the grown 6-operation spec, ASGI wrappers
that break responses the way real servers and proxies do (gzip lies, HTML pages, recordings), and the in-process
conformance command (:func:`run_cli`, :class:`SharedRuns`: one run per distinct argument list, many assertions).

The fake API is deliberately hand-written for the grown spec (createVideo multipart, remixVideo JSON,
downloadVideoContent binary with ``variant``, listVideos cursor pages, deleteVideo, getVideoStatus): the suite
under test must find every operation from the spec alone.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

KEY = "sk-fake-video-api"
# The project's own baseline (the vendor's spec documents no error responses: 400/401/404/409 are known spec gaps).
PROJECT_BASELINE = Path(__file__).resolve().parents[1] / "conformance-baseline.json"
NOW = 1_741_570_283
_ID = re.compile(r"^/v1/videos/([^/]+)(/content|/remix)?$")
# The operation every spec has (today's single page and the grown one): tests pin their assertions to it.
LABEL = "GET /v1/videos/{video_id}"
STATUS_PATH = re.compile(r"^/v1/videos/[^/]+$")  # its path (DELETE shares it; content and remix do not)
CANARY = "sk-canary-conformance-51c0ffee"
EXAMPLES = "5"
# A pass needs 5 checked 2xx bodies for every operation; in the grown spec the content download is the scarcest
# (only completed jobs have content) and needs 10 examples per phase to get them.
PASSING = "10"
# Runs test the operation the tests pin their assertions to (``--operation``): the same run on today's spec, one
# operation instead of all on a grown one (make growth-check runs these tests against it; its own conformance step
# tests every operation). Tests whose assertions span every operation pass ``focus=False``.
FOCUS_OPERATIONS = (LABEL,)
# Fault flags of runs several tests share (through tests.conftest.conformance_runs: each distinct one runs once).
REALITY_AND_RIGGED = ("--mock-fault", "reality,every=2", "--mock-rig-lifecycle")
SERVER_ERRORS = ("--mock-fault", "server_error,every=3")
HTML_PAGES = ("--mock-fault", "html_200,every=3")


def run_cli(
    report_dir: Path,
    *args: str,
    key: str | None = CANARY,
    monkeypatch: pytest.MonkeyPatch,
    examples: str = EXAMPLES,
    focus: bool = True,
) -> tuple[int, dict[str, Any]]:
    """Run the conformance command in-process, reports in ``report_dir/reports``; returns (exit code,
    conformance.json or {}). ``focus``: test :data:`FOCUS_OPERATIONS` only (``--operation``)."""
    from contract_tests.suite import cli  # noqa: PLC0415 - schemathesis loads only for the tests that run the suite

    if key is None:
        monkeypatch.delenv("TOKENOPS_API_KEY", raising=False)
    else:
        monkeypatch.setenv("TOKENOPS_API_KEY", key)
    monkeypatch.delenv("TOKENOPS_VIDEO_IDS", raising=False)
    reports = report_dir / "reports"
    focused = [word for label in FOCUS_OPERATIONS for word in ("--operation", label)] if focus else []
    code = cli.main(["--quiet", "--report-dir", str(reports), "--max-examples", examples, *focused, *args])
    path = reports / "conformance.json"
    return code, json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class SharedRuns:
    """Conformance runs shared by the tests of a session: each distinct (arguments, key, examples) runs once.

    ``runs(*args)`` returns (exit code, a fresh copy of conformance.json, the report directory); treat the
    directory as read-only. Runs against a server's state (``--target``) see that state as the first caller left it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._done: dict[tuple[Any, ...], tuple[int, dict[str, Any], Path]] = {}

    def __call__(
        self, *args: str, key: str | None = CANARY, examples: str = EXAMPLES
    ) -> tuple[int, dict[str, Any], Path]:
        memo = (args, key, examples)
        if memo not in self._done:
            where = self.directory / f"run-{len(self._done)}"
            with pytest.MonkeyPatch.context() as monkeypatch:
                code, report = run_cli(where, *args, key=key, monkeypatch=monkeypatch, examples=examples)
            self._done[memo] = (code, report, where / "reports")
        code, report, reports = self._done[memo]
        return code, copy.deepcopy(report), reports


def status_resource_spec(path: str, schema: str, states: list[str]) -> dict[str, Any]:
    """A one-operation document: ``GET path`` returns ``schema``, an object whose ``status`` is one of ``states``."""
    body = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    return {
        "paths": {path: {"get": {"responses": {"200": body}}}},
        "components": {"schemas": {schema: {"properties": {"status": {"enum": states}}}}},
    }


def findings_of(report: dict[str, Any], label: str = LABEL) -> list[dict[str, Any]]:
    """The findings of one operation."""
    return [finding for finding in report["findings"] if finding["operation"] == label]


def matrix_of(report: dict[str, Any], label: str = LABEL) -> dict[str, dict[str, Any]]:
    """One operation's check matrix rows by check."""
    return {row["check"]: row for row in report["matrix"] if row["operation"] == label}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, media_type="application/json")


def _error(status: int, message: str, code: str, allow: str = "") -> Response:
    response = _json({"error": {"message": message, "type": "invalid_request_error", "code": code}}, status)
    if allow:
        response.headers["Allow"] = allow
    return response


def _form(content_type: str, body: bytes) -> dict[str, str | bytes] | None:
    """The fields of a multipart/form-data body (the stdlib email parser; no python-multipart needed)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    if not message.is_multipart():
        return None
    fields: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if isinstance(name, str):
            fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
    return fields


def video(video_id: str, **extra: Any) -> dict[str, Any]:
    """A completed job body."""
    return {
        "id": video_id,
        "object": "video",
        "created_at": NOW - 600,
        "completed_at": NOW - 60,
        "expires_at": NOW + 86_400,
        "model": "sora-2",
        "status": "completed",
        "progress": 100,
        "seconds": "8",
        "size": "720x1280",
        **extra,
    }


class FakeVideoAPI:
    """Every operation of the grown spec, stateful enough for the suite: jobs by id, all completed."""

    def __init__(self, ids: list[str], *, key: str = KEY, broken: frozenset[str] = frozenset()) -> None:
        """``broken``: ``"delete-id"`` (DELETE answers with another id), ``"list-incomplete"`` (listed completed
        jobs lack ``completed_at``)."""
        self.jobs: dict[str, dict[str, Any]] = {video_id: video(video_id) for video_id in ids}
        self.key = key
        self.broken = broken
        self.counter = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    def _new(self, **extra: Any) -> dict[str, Any]:
        self.counter += 1
        body = video(f"video_fake_{self.counter:04d}", **extra)
        self.jobs[body["id"]] = body
        return body

    async def handle(self, request: Request) -> Response:  # noqa: PLR0911, PLR0912 - one branch per operation
        path, method = request.url.path, request.method
        if path == "/v1/videos":
            if method not in ("GET", "POST"):
                return _error(405, "Method not allowed.", "method_not_allowed", "GET, POST")
        elif not (match := _ID.match(path)):
            return _error(404, f"Unknown path {path[:100]!r}.", "not_found")
        else:
            allowed = {None: ("GET", "DELETE"), "/content": ("GET",), "/remix": ("POST",)}[match.group(2)]
            if method not in allowed:
                return _error(405, "Method not allowed.", "method_not_allowed", ", ".join(allowed))
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        if path == "/v1/videos" and method == "GET":
            return self._list(request)
        if path == "/v1/videos":
            return await self._create(request)
        assert match is not None
        video_id, tail = match.group(1), match.group(2)
        job = self.jobs.get(video_id)
        if job is None:
            return _error(404, f"No video found with id {video_id[:100]!r}.", "video_not_found")
        if tail == "/content":
            variant = request.query_params.get("variant", "video")
            if variant not in ("video", "thumbnail", "spritesheet"):
                return _error(400, "Invalid variant.", "invalid_variant")
            return Response(b"\x00\x00\x00\x18ftypmp42" + variant.encode(), 200, media_type="application/octet-stream")
        if tail == "/remix":
            try:
                payload = json.loads(await request.body())
            except ValueError:
                return _error(400, "Body is not JSON.", "invalid_json")
            if not isinstance(payload, dict) or not isinstance(payload.get("prompt"), str):
                return _error(400, "prompt is required.", "missing_prompt")
            return _json(self._new(remixed_from_video_id=video_id))
        if method == "DELETE":
            del self.jobs[video_id]
            answered = f"{video_id}_other" if "delete-id" in self.broken else video_id
            return _json({"id": answered, "object": "video.deleted", "deleted": True})
        return _json(job)

    def _list(self, request: Request) -> Response:
        query = request.query_params
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            return _error(400, "limit must be an integer.", "invalid_limit")
        if not 1 <= limit <= 100 or query.get("order", "desc") not in ("asc", "desc"):
            return _error(400, "Invalid limit or order.", "invalid_request")
        jobs = list(self.jobs.values())  # oldest first (they are created in order)
        if query.get("order", "desc") == "desc":
            jobs.reverse()
        after = query.get("after")
        if after is not None:  # an unknown cursor: an empty page, as after the last one
            jobs = jobs[next((i + 1 for i, job in enumerate(jobs) if job["id"] == after), len(jobs)) :]
        data = jobs[:limit]
        if "list-incomplete" in self.broken:
            data = [{k: v for k, v in job.items() if k != "completed_at"} for job in data]
        return _json(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else "",
                "last_id": data[-1]["id"] if data else "",
                "has_more": len(jobs) > limit,
            }
        )

    async def _create(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(400, "Expected multipart/form-data.", "invalid_content_type")
        form = _form(request.headers["content-type"], await request.body())
        if form is None:
            return _error(400, "Malformed form.", "invalid_form")
        prompt = form.get("prompt")
        checks = {"model": ("sora-2", "sora-2-pro"), "seconds": ("4", "8", "12"), "size": ("720x1280", "1280x720")}
        if not isinstance(prompt, str):
            return _error(400, "prompt is required.", "missing_prompt")
        for name, allowed in checks.items():
            value = form.get(name)
            if value is not None and value not in allowed:
                return _error(400, f"Invalid {name}.", f"invalid_{name}")
        return _json(self._new())


class Recorder:
    """Wraps an ASGI app and records (method, path, status, content type, body) of every response it sends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self.responses: list[tuple[str, str, int, str, bytes, dict[str, str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: dict[str, Any] = {"body": b""}
        request_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                seen["type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                seen["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if "status" in seen:
                self.responses.append(
                    (scope["method"], scope["path"], seen["status"], seen["type"], seen["body"], request_headers)
                )


class Breaker:
    """Wraps an ASGI app; for requests ``when(scope, n)`` picks (n counts API requests), answers with
    ``how``: ``"gzip-lie"`` (``Content-Encoding: gzip`` on a plain body), ``"html-401"`` / ``"html-404"`` (a
    proxy's page) or ``"text-401"``."""

    def __init__(self, app: Any, how: str, when: Callable[[Scope, int], bool]) -> None:
        self.app, self.how, self.when = app, how, when
        self.state = getattr(app, "state", None)
        self.seen = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock"):
            await self.app(scope, receive, send)
            return
        self.seen += 1
        if not self.when(scope, self.seen):
            await self.app(scope, receive, send)
            return
        if self.how == "gzip-lie":
            body = json.dumps(video("video_gzip")).encode()
            headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        status = int(self.how.rsplit("-", 1)[1])
        if self.how.startswith("html"):
            page = f"<html><head><title>{status} Proxy</title></head><body>nginx</body></html>".encode()
            kind = b"text/html"
        else:
            page, kind = b"Unauthorized", b"text/plain"
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]})
        await send({"type": "http.response.body", "body": page})
