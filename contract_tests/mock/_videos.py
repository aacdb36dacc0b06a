"""The resource the mock models with state: video jobs. One handler per video operation the spec has.

A handler is bound to an operation by its operationId, or by method and path template (parameter names
aside), so a spec that renames an operation still gets its stateful handler. Response bodies follow the
spec: status codes and media types come from the operation, and every property the job does not provide
but the schema requires (or fixes to one value, like ``object: "list"``) is filled in from the schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from contract_tests.mock._clock import MockClock
from contract_tests.mock._jobs import Job, JobSpecError, JobStore, job_from_spec
from contract_tests.mock._pages import page_body, select
from contract_tests.mock._requests import Call, Handler
from contract_tests.mock._responses import Reply, api_error, json_reply
from contract_tests.mock._schemas import Schemas
from contract_tests.mock._spec import success_of
from tokenops.spec import Operation, Pagination, is_json

__all__ = ["Handler", "VideoResource"]

POLL_HINT = b"openai-poll-after-ms"  # how OpenAI-compatible servers pace polling; the client honours it
_PARAM = re.compile(r"\{[^}/]*\}")
# operationId -> (method, path template with parameters blanked, handler name)
OPERATIONS = {
    "getVideoStatus": ("GET", "/v1/videos/{}", "retrieve"),
    "createVideo": ("POST", "/v1/videos", "create"),
    "remixVideo": ("POST", "/v1/videos/{}/remix", "remix"),
    "listVideos": ("GET", "/v1/videos", "list"),
    "deleteVideo": ("DELETE", "/v1/videos/{}", "delete"),
    "downloadVideoContent": ("GET", "/v1/videos/{}/content", "download"),
}
_BY_ROUTE = {(method, template): name for method, template, name in OPERATIONS.values()}
JOB_TEXT_FIELDS = ("model", "size", "seconds")  # request fields a new job takes over
CONTENT_BYTES = 16 * 1024
_MAGIC = {"video": b"\x00\x00\x00\x18ftypmp42", "thumbnail": b"\xff\xd8\xff\xe0\x00\x10JFIF", "spritesheet": b"\x89PNG"}


class Shape:
    """Completes a body to its schema: adds the properties it lacks that are required or single-valued.

    A list body's ``data`` items get their own shape (one level: a list of lists is not a video list).
    """

    def __init__(self, schemas: Schemas, schema: Any, *, nested: bool = False) -> None:
        resolved = schemas.spec.resolve(schema, "")[0] if schema is not None else {}
        resolved = resolved if isinstance(resolved, Mapping) else {}
        required = set(resolved.get("required", []))
        self.fill: dict[str, Any] = {}
        for name, raw in (resolved.get("properties") or {}).items():
            prop = schemas.spec.resolve(raw, "")[0]
            fixed = isinstance(prop, Mapping) and ("const" in prop or len(prop.get("enum") or ()) == 1)
            if name in required or fixed:
                self.fill[name] = schemas.example(prop)
        items = (resolved.get("properties") or {}).get("data")
        items = schemas.spec.resolve(items, "")[0] if items is not None else None
        self.item: Shape | None = None
        if not nested and isinstance(items, Mapping) and items.get("type") == "array" and "items" in items:
            self.item = Shape(schemas, items["items"], nested=True)

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        for name, value in self.fill.items():
            body.setdefault(name, value)
        return body


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def not_found(video_id: str) -> Reply:
    """The 404 for an unknown (or expired, or deleted) video."""
    return api_error(404, f"No video found with id '{video_id[:100]}'.", "video_not_found")


class VideoResource:
    """Stateful handlers over the job store: create, remix, retrieve, list, delete, download."""

    def __init__(self, store: JobStore, clock: MockClock, schemas: Schemas) -> None:
        self.store = store
        self.clock = clock
        self.schemas = schemas

    def bind(self, operation: Operation) -> Handler | None:
        """The stateful handler for ``operation``, or None when it is not a video operation we model."""
        name = OPERATIONS.get(operation.operation_id or "", (None, None, None))[2]
        if name is None:
            name = _BY_ROUTE.get((operation.method, _PARAM.sub("{}", operation.path)))
        if name is None:
            return None
        factory: Callable[[Operation], Handler] = getattr(self, f"_{name}")
        return factory(operation)

    def _reply(self, operation: Operation, shape: Shape, job: Job, now: float) -> Reply:
        success = success_of(operation)
        return Reply(success.status, _encode(shape(job.state(now))), success.content_type, _hint(job, now))

    def _retrieve(self, operation: Operation) -> Handler:
        success = success_of(operation)
        shape, status, media = Shape(self.schemas, success.schema), success.status, success.content_type
        store, clock = self.store, self.clock
        param = operation.params("path")[-1].name if operation.params("path") else ""
        finished = ("completed", "failed")

        def retrieve(call: Call) -> Reply:  # the hot path: the body is re-encoded only when it changes
            video_id = call.path[param] if param else ""
            now = clock.now()
            slot = store.slot(video_id, now)
            if slot is None:
                return not_found(video_id)
            job = slot.job
            key = job.phase(now)
            if slot.body_key != key:
                slot.body, slot.body_key = _encode(shape(job.state(now))), key
            return Reply(status, slot.body, media, None if key[0] in finished else _hint(job, now))

        return retrieve

    def _create(self, operation: Operation) -> Handler:
        shape = Shape(self.schemas, success_of(operation).schema)

        def create(call: Call) -> Reply:
            now = self.clock.now()
            fields = call.body if isinstance(call.body, Mapping) else {}
            try:
                job = job_from_spec(_job_fields(fields), now)
            except JobSpecError as exc:  # the spec allowed it, the job model cannot hold it (e.g. a huge size)
                return api_error(400, str(exc), "invalid_value")
            self.store.put(job)
            return self._reply(operation, shape, job, now)

        return create

    def _remix(self, operation: Operation) -> Handler:
        shape = Shape(self.schemas, success_of(operation).schema)

        def remix(call: Call) -> Reply:
            source_id = next(iter(call.path.values()))
            now = self.clock.now()
            source = self.store.get(source_id, now)
            if source is None:
                return not_found(source_id)
            spec = {"model": source.model, "size": source.size, "seconds": source.seconds}
            job = job_from_spec({**spec, "remixed_from_video_id": source.id}, now)
            self.store.put(job)
            return self._reply(operation, shape, job, now)

        return remix

    def _list(self, operation: Operation) -> Handler:
        success = success_of(operation)
        shape = Shape(self.schemas, success.schema)
        item = shape.item or Shape(self.schemas, None)
        resolved = self.schemas.spec.resolve(success.schema, "")[0] if success.schema is not None else {}
        properties = frozenset((resolved.get("properties") or {}) if isinstance(resolved, Mapping) else ())
        # How the spec says the list pages (contract_tests.mock._pages); a spec that no longer says: one page.
        paging = operation.pagination or Pagination(style="unpaged", items="data")
        order = paging.order_parameter or "order"

        def list_videos(call: Call) -> Reply:
            now = self.clock.now()
            jobs = self.store.live(now)  # oldest first
            if call.query.get(order, paging.order_default or "desc") == "desc":
                jobs.reverse()
            chosen = select(paging, [job.id for job in jobs], call.query, call.fault)
            if chosen is None:
                return api_error(400, "Invalid page cursor.", "invalid_value", param=paging.cursor_parameter)
            page = jobs[chosen.start : chosen.stop]
            items = [item(job.state(now)) for job in page]
            keys = [job.id for job in page]
            body = page_body(paging, {"object": "list"}, items, keys, selection=chosen, properties=properties)
            return json_reply(shape(body), success.status)

        return list_videos

    def _delete(self, operation: Operation) -> Handler:
        shape = Shape(self.schemas, success_of(operation).schema)

        def delete(call: Call) -> Reply:
            video_id = next(iter(call.path.values()))
            if self.store.get(video_id, self.clock.now()) is None or not self.store.delete(video_id):
                return not_found(video_id)
            if success_of(operation).content_type is None:
                return Reply(success_of(operation).status, b"", None)
            return json_reply(shape({"id": video_id, "deleted": True}), success_of(operation).status)

        return delete

    def _download(self, operation: Operation) -> Handler:
        media = success_of(operation).content_type or "application/octet-stream"

        def download(call: Call) -> Reply:
            video_id = next(iter(call.path.values()))
            now = self.clock.now()
            job = self.store.get(video_id, now)
            if job is None:
                return not_found(video_id)
            status, _ = job.phase(now)
            if status != "completed":
                reason = "failed: it has no content" if status == "failed" else f"is {status}, not completed yet"
                return api_error(409, f"Video '{video_id[:100]}' {reason}.", "video_not_ready")
            variant = str(call.query.get("variant", "video"))
            if is_json(media):  # a spec that describes the content as JSON gets its example
                return json_reply(self.schemas.example(success_of(operation).schema), success_of(operation).status)
            return Reply(success_of(operation).status, content(video_id, variant), media)

        return download


def _job_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: str(fields[name]) for name in JOB_TEXT_FIELDS if fields.get(name) not in (None, "")}


def _hint(job: Job, now: float) -> list[tuple[bytes, bytes]] | None:
    hint = job.poll_after_ms(now)
    return None if hint is None else [(POLL_HINT, str(hint).encode())]


def content(video_id: str, variant: str) -> bytes:
    """The bytes served as a video's content: deterministic per (id, variant), with the variant's magic bytes."""
    seed = hashlib.sha256(f"{video_id}/{variant}".encode()).digest()
    magic = _MAGIC.get(variant, b"MOCK")
    return (magic + seed * (CONTENT_BYTES // len(seed) + 1))[:CONTENT_BYTES]
