"""Loading, validating and summarising the vendored OpenAPI document, shared by the scripts."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from tokenops import spec as spec_model

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The vendor's docs pages embed the document in a four-backtick fence: ````yaml METHOD PATH
FENCE_RE = re.compile(r"^````yaml[^\n]*\n(.*?)^````[ \t]*$", re.DOTALL | re.MULTILINE)
# libyaml's parser when PyYAML was built with it (5-10x faster; the same documents and the same error marks).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# One error for every reader of a spec: the shared model's (a ValueError whose message is one line).
SpecError = spec_model.SpecError


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_key(text: str) -> str:
    """sha256 of a document's text: the key of the per-process validation memos (lone surrogates allowed)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters (for one-line errors and warnings)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def yaml_error(name: str, exc: yaml.YAMLError, limit: int = 300) -> SpecError:
    """The one-line error for text that is not YAML, with the line and column when the parser knows them."""
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    problem = getattr(exc, "problem", None) or exc
    return SpecError(f"{name} is not valid YAML{where}: {one_line(str(problem), limit)}")


def openapi_document(document: object, name: str) -> tuple[dict[str, Any], str]:
    """A parsed document as an OpenAPI 3.x mapping, and its ``openapi`` version (the spec model's one check).

    Raises:
        SpecError: the document is not a mapping or not OpenAPI 3.x (a Swagger 2 document says so).
    """
    checked = spec_model.openapi_document(document, name)
    return checked, str(checked["openapi"])


def safe_yaml(text: str) -> Any:
    """``yaml.safe_load``, with libyaml's parser when available.

    Raises:
        yaml.YAMLError: the text is not YAML.
    """
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


# sha256 of the texts that validated: a drift check, spec_sync and regenerate parse the same document several times
# in one process, and validation is the slow part. Bounded: cleared when full.
_VALID: set[str] = set()
_VALID_MAX = 64


def parse_openapi(text: str, name: str) -> dict[str, Any]:
    """Parse and validate OpenAPI 3.x text.

    Raises:
        SpecError: not YAML, not a mapping, not OpenAPI 3.x, or invalid against the OpenAPI schema.
    """
    # The one reader (JSON or YAML, one-line errors), keys as YAML typed them: validation refuses a bare `200:`.
    document = spec_model.parse_text(text, name, string_keys=False)
    version = str(document["openapi"])
    key = text_key(text)
    if key in _VALID:
        return document
    # Imported here: the validator pulls in a large dependency tree that only this path needs.
    from openapi_spec_validator import validate  # noqa: PLC0415
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError  # noqa: PLC0415

    try:
        validate(document)
    except OpenAPIValidationError as exc:
        location = "/".join(str(part) for part in getattr(exc, "absolute_path", ()))
        at = f" at /{location}" if location else ""
        raise SpecError(f"{name} is not a valid OpenAPI {version} document{at}: {one_line(exc.message)}") from None
    if len(_VALID) >= _VALID_MAX:
        _VALID.clear()
    _VALID.add(key)
    return document


def load_openapi(path: Path) -> dict[str, Any]:
    """Read and validate the OpenAPI document at ``path`` (see :func:`parse_openapi`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path.name} is missing (expected at {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path.name} cannot be read: {one_line(str(exc))}") from None
    return parse_openapi(text, path.name)


def operation_ids(document: dict[str, Any]) -> list[str]:
    """Every operationId in the document, sorted."""
    model = spec_model.Spec(document)
    return sorted(operation.operation_id for operation in model.operations if operation.operation_id is not None)


def extract_fenced_block(page: str) -> str:
    """Return the one fenced ````yaml block of a vendor docs page, byte-for-byte.

    Raises:
        SpecError: the page has no such block, or more than one.
    """
    blocks = FENCE_RE.findall(page)
    if not blocks:
        raise SpecError("no fenced ````yaml block found")
    if len(blocks) > 1:
        raise SpecError(f"{len(blocks)} fenced ````yaml blocks found, expected exactly one")
    return str(blocks[0])
