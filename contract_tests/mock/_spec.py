"""The spec the mock serves: the shared model (:mod:`tokenops.spec`), and the answer a call gets when it succeeds.

Everything the mock knows about the API comes from the model (default: the vendored ``openapi.yaml``), so a
vendor page synced into the spec is served the day it lands, with no mock code change, and a construct the model
learns (a path template, a security scheme, a media type) works in the mock, the client and the suite at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from tokenops.spec import MediaType, Operation, Spec, SpecError, is_json, load

__all__ = ["Spec", "SpecError", "Success", "load_spec", "success_of"]


@attrs.frozen
class Success:
    """What a successful call gets: status, and the media type and schema of its body (None: no body)."""

    status: int
    content_type: str | None
    schema: Mapping[str, Any] | None
    pointer: str | None
    stream: MediaType | None = None  # the text/event-stream entry, when the response has one


_EMPTY = Success(200, None, None, None)


def success_of(operation: Operation) -> Success:
    """The lowest documented 2xx (``2XX`` and ``default`` answer 200), JSON preferred; else an empty 200."""
    response = operation.success
    if response is None:
        return _EMPTY
    status = response.low if response.success else 200
    contents = [entry for entry in response.contents if not entry.event_stream]
    stream = next((entry for entry in response.contents if entry.event_stream), None)
    if not contents:
        return Success(status, stream.media_type if stream else None, None, None, stream)
    body = next((entry for entry in contents if is_json(entry.media_type)), contents[0])
    return Success(status, body.media_type, body.schema, body.pointer, stream)


def load_spec(source: Spec | Path | str | Mapping[str, Any] | None = None) -> Spec:
    """The spec to serve: a model, a parsed document, a YAML/JSON file, or ``None`` for the vendored spec.

    Raises:
        SpecError: unreadable file, bad syntax, or not an OpenAPI 3.x document.
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, Mapping):
        return Spec(source)
    if source is None:
        from contract_tests._paths import spec_path  # noqa: PLC0415 - only when no spec is given

        source = spec_path()
    return load(Path(source))
