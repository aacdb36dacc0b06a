"""The one spec model: what every layer knows about the API, read from an OpenAPI 3.x document once.

The client reads the copy of ``openapi.yaml`` that ``scripts/regenerate.py`` bundles with the generated package
(:func:`bundled`); the mock, the suite and the spec toolchain read the document they are given
(:func:`load`, :func:`from_text`). All of them see the same :class:`Spec`: operations with compiled path
templates (and one rule to join them with a base URL, :func:`join_url`), parameters with their style, security
requirements (alternatives of combinations of :class:`SecurityScheme`; where each credential goes:
:func:`place_credentials`), request and response media types (server-sent events included), how list operations
page (:class:`Pagination`: cursor, token, or ``x-pagination``), and schemas by JSON pointer. What the model does
not support is listed in :attr:`Spec.warnings`, never a crash.

>>> from tokenops import spec
>>> api = spec.bundled()
>>> api.operation("getVideoStatus").template.expand({"video_id": "a/b"})
'/v1/videos/a%2Fb'
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from tokenops.spec._credentials import Placement, credential_variable, place_credential, place_credentials
from tokenops.spec._document import (
    SpecError,
    escape_token,
    load_document,
    openapi_document,
    parse_text,
    pointer_get,
    string_keys_loader,
    unescape_token,
)
from tokenops.spec._model import (
    HTTP_METHODS,
    NO_DEFAULT,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityRequirement,
    SecurityScheme,
    Spec,
    SpecWarning,
    is_event_stream,
    is_json,
    media_essence,
    typed_text,
)
from tokenops.spec._pagination import Pagination
from tokenops.spec._paths import PathSegment, PathTemplate, join_url

__all__ = [
    "BUNDLED_NAME",
    "HTTP_METHODS",
    "NO_DEFAULT",
    "MediaType",
    "Operation",
    "Pagination",
    "Parameter",
    "PathSegment",
    "PathTemplate",
    "Placement",
    "RequestBody",
    "Response",
    "SecurityRequirement",
    "SecurityScheme",
    "Spec",
    "SpecError",
    "SpecWarning",
    "bundled",
    "credential_variable",
    "escape_token",
    "from_text",
    "is_event_stream",
    "is_json",
    "join_url",
    "load",
    "load_document",
    "media_essence",
    "openapi_document",
    "parse_text",
    "place_credential",
    "place_credentials",
    "pointer_get",
    "string_keys_loader",
    "typed_text",
    "unescape_token",
]

BUNDLED_NAME = "openapi.json"  # in the tokenops_client package, written by scripts/regenerate.py


@functools.cache
def bundled() -> Spec:
    """The spec the generated client was generated from (read once per process).

    Raises:
        SpecError: the generated package carries no spec (regenerate it: ``python scripts/regenerate.py``).
    """
    try:
        text = resources.files("tokenops_client").joinpath(BUNDLED_NAME).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        raise SpecError(f"tokenops_client has no {BUNDLED_NAME}: run python scripts/regenerate.py") from None
    return Spec(json.loads(text), f"tokenops_client/{BUNDLED_NAME}")


def from_text(text: str, name: str = "<spec>") -> Spec:
    """The model of an OpenAPI document given as text (JSON, or YAML with PyYAML installed).

    Raises:
        SpecError: see :func:`parse_text` and :class:`Spec`.
    """
    return Spec(parse_text(text, name), name)


def load(path: str | Path) -> Spec:
    """The model of the OpenAPI document in a file.

    Raises:
        SpecError: missing, unreadable, not an OpenAPI 3.x document.
    """
    return Spec(load_document(Path(path)), str(path))
