"""The suite's own checks, registered with schemathesis (``@schemathesis.check``), run on every response.

Semantic checks (the server's answer makes sense for the request):
``response_id_matches_request``, ``progress_in_range``, ``completed_is_complete``, ``failed_has_error``,
``timestamps_ordered``.

Client-reality checks (our ``tokenops`` client can read what the server sends):
``client_tolerant_parse`` (tolerant mode must never raise) and ``client_strict_parse`` (strict-mode
violations: "the generated model rejects what the server sends").

Every failure is a :class:`ContractFailure` with a stable ``_unique_key`` that names the field and the
kind of problem but not volatile values, so a baseline entry keeps matching the same deviation.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, ClassVar

import schemathesis
from schemathesis.core.failures import Failure

from tokenops import ResponseValidationError, parse_video

__all__ = [
    "CLIENT_CHECKS",
    "SEMANTIC_CHECKS",
    "ClientIncompatibility",
    "ContractFailure",
    "SemanticViolation",
    "json_body",
]

OPERATION_PATH = "/v1/videos/{video_id}"


class ContractFailure(Failure):
    """A failure of one of our checks. ``key`` is its stable identity within the check."""

    code: ClassVar[str] = "TK900"
    kind_title: ClassVar[str] = "Contract check failed"

    def __init__(self, *, operation: str | None, title: str, message: str, key: str) -> None:
        super().__init__(operation=operation, title=title, message=message)
        self.key = key

    @property
    def _unique_key(self) -> str:
        return self.key


class SemanticViolation(ContractFailure):
    code: ClassVar[str] = "TK901"
    kind_title: ClassVar[str] = "Response does not make sense for the request"


class ClientIncompatibility(ContractFailure):
    code: ClassVar[str] = "TK902"
    kind_title: ClassVar[str] = "Our client cannot read the response"


def json_body(response: Any) -> Any:
    """The decoded JSON body of a 2xx response, or None when there is none to check."""
    if not 200 <= response.status_code < 300:  # noqa: PLR2004
        return None
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None


def _label(case: Any) -> str:
    return str(case.operation.label) if case is not None and case.operation is not None else f"GET {OPERATION_PATH}"


def _semantic(case: Any, title: str, message: str, key: str) -> SemanticViolation:
    return SemanticViolation(operation=_label(case), title=title, message=message, key=key)


@schemathesis.check
def response_id_matches_request(ctx: Any, response: Any, case: Any) -> bool | None:
    """The ``id`` in the body equals the ``video_id`` that was asked for."""
    body = json_body(response)
    if not isinstance(body, dict) or "id" not in body or case is None or not case.path_parameters:
        return None
    requested = case.path_parameters.get("video_id")
    if requested is not None and body["id"] != str(requested):
        raise _semantic(
            case, "Response id differs from the requested id", f"asked for {requested!r}, got {body['id']!r}", "id"
        )
    return True


@schemathesis.check
def progress_in_range(ctx: Any, response: Any, case: Any) -> bool | None:
    """``progress`` is an integer in 0..100."""
    body = json_body(response)
    if not isinstance(body, dict) or body.get("progress") is None:
        return None
    progress = body["progress"]
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:  # noqa: PLR2004
        raise _semantic(case, "Progress outside 0-100", f"progress is {progress!r}", "progress-range")
    return True


@schemathesis.check
def completed_is_complete(ctx: Any, response: Any, case: Any) -> bool | None:
    """``completed`` implies progress 100 and ``completed_at`` set."""
    body = json_body(response)
    if not isinstance(body, dict) or body.get("status") != "completed":
        return None
    if body.get("progress") != 100:  # noqa: PLR2004
        raise _semantic(
            case, "Completed job without progress 100", f"progress is {body.get('progress')!r}", "completed-progress"
        )
    if body.get("completed_at") is None:
        raise _semantic(case, "Completed job without completed_at", "completed_at is absent", "completed-at")
    return True


@schemathesis.check
def failed_has_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """``failed`` implies an ``error`` object."""
    body = json_body(response)
    if not isinstance(body, dict) or body.get("status") != "failed":
        return None
    if not isinstance(body.get("error"), dict):
        raise _semantic(case, "Failed job without error", f"error is {body.get('error')!r}", "failed-error")
    return True


@schemathesis.check
def timestamps_ordered(ctx: Any, response: Any, case: Any) -> bool | None:
    """``created_at <= completed_at <= expires_at`` for those present."""
    body = json_body(response)
    if not isinstance(body, dict):
        return None
    present = [
        (name, body[name]) for name in ("created_at", "completed_at", "expires_at") if isinstance(body.get(name), int)
    ]
    for (earlier, a), (later, b) in itertools.pairwise(present):
        if a > b:
            raise _semantic(case, "Timestamps out of order", f"{earlier}={a} > {later}={b}", f"{earlier}>{later}")
    return True


@schemathesis.check
def client_tolerant_parse(ctx: Any, response: Any, case: Any) -> bool | None:
    """Our client in its default (tolerant) mode reads every 2xx JSON object without raising."""
    body = json_body(response)
    if body is None:
        return None
    try:
        parse_video(body)
    except ResponseValidationError as exc:
        raise ClientIncompatibility(
            operation=_label(case),
            title="Tolerant client rejects the response",
            message=f"{exc} [tokenops.TokenOps raises ResponseValidationError]",
            key=f"tolerant:{type(body).__name__}",
        ) from None
    return True


@schemathesis.check
def client_strict_parse(ctx: Any, response: Any, case: Any) -> bool | None:
    """Our client in strict mode (the generated model, exactly as specified) accepts the response."""
    body = json_body(response)
    if not isinstance(body, dict):
        return None
    try:
        parse_video(body, strict=True)
    except ResponseValidationError as exc:
        why = str(exc).split(" (got ", 1)[0]
        raise ClientIncompatibility(
            operation=_label(case),
            title="The generated model rejects what the server sends",
            message=f"{exc} [tokenops.TokenOps(strict=True) raises ResponseValidationError]",
            key=f"strict:{exc.field}:{why.removeprefix(f'field {exc.field!r} ')[:60]}",
        ) from None
    return True


SEMANTIC_CHECKS = (
    "response_id_matches_request",
    "progress_in_range",
    "completed_is_complete",
    "failed_has_error",
    "timestamps_ordered",
)
CLIENT_CHECKS = ("client_tolerant_parse", "client_strict_parse")
