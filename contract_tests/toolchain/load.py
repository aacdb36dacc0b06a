"""Tolerant loading for the spec diff: anything YAML or JSON can load is diffed; problems become warnings.

Real specs are often not strictly valid (oasdiff's fixtures: unquoted ``200:`` keys; OpenAI's published spec:
duplicate ``required`` entries, redefined YAML anchors, ``default: inf``). :func:`load_spec` reads them
anyway and reports what it tolerated; ``strict=True`` uses :func:`~contract_tests.toolchain.spec.parse_openapi`,
which refuses an invalid document (``regenerate`` and ``spec_sync`` rely on that).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import importlib.util
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import yaml

from contract_tests.toolchain.rules.model import escape, unescape
from contract_tests.toolchain.spec import (
    SpecError,
    extract_fenced_block,
    one_line,
    openapi_document,
    text_key,
    yaml_error,
)
from tokenops import spec as spec_model

__all__ = ["PARALLEL_MIN_BYTES", "LoadedSpec", "load_pair", "load_spec", "parse_strict", "parse_tolerant"]

# Two documents at least this large are loaded in two processes (YAML loading is most of a big diff's time).
PARALLEL_MIN_BYTES = 1_000_000
_SHOWN_PROBLEMS = 3
_LINE_LIMIT = 200  # characters of one problem in a warning
_FastLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_KEY = re.compile(r"^[ \t-]*<<[ \t]*:", re.MULTILINE)
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&([^\s,\[\]{}]+)", re.MULTILINE)
_yaml_rs: Any
try:  # the `contract` extra; without it, libyaml through PyYAML does the same, slower
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    _yaml_rs = None


@attrs.frozen
class LoadedSpec:
    """A loaded document and what was tolerated while loading it (one line each)."""

    document: dict[str, Any]
    warnings: tuple[str, ...] = ()


class _Notes:
    def __init__(self) -> None:
        self.keys = 0
        self.first_key: str | None = None
        self.anchors: list[str] = []


def _loader(notes: _Notes, *, redefine_anchors: bool = False) -> type:
    """The spec model's string-keys loader (libyaml's C parser when available), counting the keys it made strings;
    with ``redefine_anchors`` (pure Python) a later YAML anchor redefines an earlier one of the same name."""

    def note_key(key: Any, key_node: Any) -> None:
        notes.keys += 1
        notes.first_key = notes.first_key or f"{key!r} (line {key_node.start_mark.line + 1})"

    base = spec_model.string_keys_loader(yaml.SafeLoader if redefine_anchors else _FastLoader, on_other_key=note_key)

    class Loader(base):  # type: ignore[misc,valid-type]
        def compose_node(self, parent: Any, index: Any) -> Any:
            if redefine_anchors:
                event = self.peek_event()
                anchor = getattr(event, "anchor", None)
                if anchor is not None and not isinstance(event, yaml.AliasEvent) and anchor in self.anchors:
                    notes.anchors.append(anchor)
                    del self.anchors[anchor]  # YAML 1.2: a later anchor redefines the name
            return super().compose_node(parent, index)

    return Loader


def _string_keys(node: Any, notes: _Notes) -> Any:
    """``node`` with every non-string mapping key (``200:``, ``2024-01-01:``) made a string, as the loader does."""
    if isinstance(node, list):
        return [_string_keys(item, notes) for item in node]
    if not isinstance(node, dict):
        return node
    fixed: dict[str, Any] = {}
    for key, value in node.items():
        name = key
        if type(key) is not str:
            notes.keys += 1
            notes.first_key = notes.first_key or str(key)
            name = str(key).lower() if isinstance(key, bool) else str(key)
        fixed[name] = _string_keys(value, notes)
    return fixed


def _fast_yaml(text: str, notes: _Notes) -> Any | None:
    """The document through yaml-rs (a Rust YAML 1.2 parser, ~8x libyaml+PyYAML on a 3 MB spec), or None.

    None when yaml-rs is not installed, when the text uses merge keys (``<<:``, YAML 1.1 only: PyYAML resolves
    them, yaml-rs would keep the key), or when yaml-rs refuses the text (duplicate keys, ...): then the tolerant
    PyYAML loader below reads it and says what it tolerated.
    """
    if _yaml_rs is None or _MERGE_KEY.search(text):
        return None
    try:
        document = _yaml_rs.loads(text)
    except Exception:  # yaml_rs.YAMLDecodeError and whatever else it raises: PyYAML's verdict is the one we report
        return None
    redefined = [anchor for anchor, count in collections.Counter(_ANCHOR.findall(text)).items() if count > 1]
    notes.anchors.extend(redefined)  # yaml-rs, as YAML 1.2, lets a later anchor redefine an earlier one
    fixed = _string_keys(document, notes)
    if notes.first_key is not None:  # say where, as the PyYAML path does
        found = re.search(rf"^[ \t-]*{re.escape(notes.first_key)}[ \t]*:", text, re.MULTILINE)
        if found is not None:
            notes.first_key = f"{notes.first_key} (line {text.count(chr(10), 0, found.start()) + 1})"
    return fixed


def _parse_yaml(text: str, notes: _Notes) -> Any:
    document = _fast_yaml(text, notes)
    if document is not None:
        return document
    try:
        return yaml.load(text, Loader=_loader(notes))  # noqa: S506 - a SafeLoader subclass
    except yaml.composer.ComposerError as exc:
        if "duplicate anchor" not in str(exc):
            raise
    return yaml.load(text, Loader=_loader(notes, redefine_anchors=True))  # noqa: S506 - a SafeLoader subclass


def _schema_problems(document: dict[str, Any]) -> list[str]:
    """What the OpenAPI 3.0/3.1 JSON Schema (openapi-spec-validator's schemas) refuses in ``document``, checked by
    jsonschema-rs (a Rust validator: 0.05 s for a 3 MB spec), one line each with its RFC 6901 location.

    Raises:
        ValueError: jsonschema-rs cannot read the document even as JSON would have it.
    """
    validator = _schema_validator("3.1" if str(document.get("openapi", "")).startswith("3.1") else "3.0")
    try:
        errors = list(validator.iter_errors(document))
    except ValueError:  # a YAML date, bytes, a non-string key: what JSON would have had there instead
        errors = list(validator.iter_errors(_as_json(document)))
    found = [("", error) for error in errors]
    if str(document.get("openapi", "")).startswith("3.1"):
        # The 3.1 schema leaves Schema Objects to their dialect: each is checked against JSON Schema 2020-12.
        import jsonschema_rs  # noqa: PLC0415 - see _schema_validator

        for at, schema in _schema_objects(document):
            try:
                found += _meta_errors(jsonschema_rs, at, schema)
            except ValueError:
                found += _meta_errors(jsonschema_rs, at, _as_json(schema))
    problems = []
    for at, error in found:
        location = at + "".join("/" + escape(str(part)) for part in error.instance_path)
        message = str(error.message).split("\n\n", 1)[0]  # not the schema and instance dumps
        problems.append(one_line(message, _LINE_LIMIT) + (f" at {location}" if location else ""))
    return problems


def _meta_errors(jsonschema_rs: Any, at: str, schema: Any) -> list[tuple[str, Any]]:
    """The first error of ``schema`` against its meta-schema (jsonschema-rs reports one), located at ``at``."""
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as error:
        return [(at, error)]
    return []


_NOT_SCHEMAS = frozenset({"example", "examples"})


def _schema_objects(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(pointer, schema)`` of every Schema Object a 3.1 document holds at its top: each component schema and each
    ``schema`` of a parameter, header or media type (the schemas inside them are checked with them)."""
    found: list[tuple[str, Any]] = []
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    for name, schema in schemas.items() if isinstance(schemas, dict) else ():
        found.append((f"/components/schemas/{escape(str(name))}", schema))
    stack: list[tuple[Any, str]] = [
        (value, f"/{escape(str(key))}") for key, value in document.items() if key != "components"
    ]
    stack += [
        (value, f"/components/{escape(str(key))}")
        for key, value in (components.items() if isinstance(components, dict) else ())
        if key != "schemas"
    ]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema" and isinstance(value, dict | bool):
                    found.append((f"{at}/schema", value))
                elif key not in _NOT_SCHEMAS and not str(key).startswith("x-"):
                    stack.append((value, f"{at}/{escape(str(key))}"))
        elif isinstance(node, list):
            stack.extend((item, f"{at}/{index}") for index, item in enumerate(node))
    return sorted(found, key=lambda item: item[0])


@functools.cache
def _schema_validator(version: str) -> Any:
    """jsonschema-rs compiled for openapi-spec-validator's OpenAPI ``version`` schema (``3.0`` or ``3.1``), read from
    its package data without importing it (its import alone takes a second)."""
    import jsonschema_rs  # noqa: PLC0415 - the `contract` extra; only validation needs it

    found = importlib.util.find_spec("openapi_spec_validator")
    if found is None or not found.submodule_search_locations:
        raise ImportError("openapi-spec-validator is not installed; run: make .venv")
    path = Path(next(iter(found.submodule_search_locations))) / "resources" / "schemas" / f"v{version}" / "schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema_rs.validator_cls_for(schema)(schema)


def _as_json(node: Any) -> Any:
    """``node`` as JSON would carry it: dates and times as ISO text, bytes as text, every key a string."""
    if isinstance(node, dict):
        return {str(key): _as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_json(item) for item in node]
    if isinstance(node, dt.date | dt.time):
        return node.isoformat()
    if isinstance(node, bytes):
        return node.decode("utf-8", "replace")
    return node


def _validation_warnings(document: dict[str, Any]) -> list[str]:
    """The schema problems of every size (:func:`_schema_problems`) as one warning; a document the validator cannot
    read is one warning that says why."""
    try:
        problems = _schema_problems(document)
    except Exception as exc:  # any crash of the validator on a broken document is one more warning
        return [
            f"not validated: jsonschema-rs cannot read the document ({type(exc).__name__}: {one_line(str(exc), 120)})"
        ]
    if not problems:
        return []
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = f" (+{len(problems) - _SHOWN_PROBLEMS} more)" if len(problems) > _SHOWN_PROBLEMS else ""
    return [f"not a valid OpenAPI document: {shown}{more}"]


def _non_string_key(node: Any, at: str = "") -> str | None:
    """``KEY (at POINTER)`` of the first mapping key that is not a string (YAML's bare ``200:``), or None."""
    stack = [(node, at)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if not isinstance(key, str):
                    return f"{key!r} (at {where or '/'})"
                stack.append((value, f"{where}/{escape(key)}"))
        elif isinstance(current, list):
            stack.extend((item, f"{where}/{index}") for index, item in enumerate(current))
    return None


def _dangling_ref(document: dict[str, Any]) -> str | None:
    """``'REF' does not resolve (at POINTER)`` for the first local ``$ref`` that points nowhere, or None."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                node: Any = document
                for token in ref[1:].split("/")[1:] if ref != "#" else []:
                    key = unescape(token)
                    if isinstance(node, dict) and key in node:
                        node = node[key]
                    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                        node = node[int(key)]
                    else:
                        return f"$ref {ref!r} does not resolve (at {where}/$ref)"
            stack.extend((value, f"{where}/{escape(str(key))}") for key, value in current.items() if key != "$ref")
        elif isinstance(current, list):
            stack.extend((item, f"{where}/{index}") for index, item in enumerate(current))
    return None


def parse_strict(text: str, name: str) -> LoadedSpec:
    """Parse OpenAPI 3.x text and refuse what is not valid, in one line: keys YAML did not read as strings (a bare
    ``200:``), what the OpenAPI 3.0/3.1 JSON Schema refuses (checked by jsonschema-rs: fast at every size), and local
    ``$ref``s that resolve nowhere. JSON is read as JSON (valid ``\\ud83d\\udc4d`` escapes are fine).
    openapi-spec-validator's own further checks (examples against their schemas, ...) are ``regenerate``'s.

    Raises:
        SpecError: not YAML/JSON, not OpenAPI 3.x, or invalid (the first problem, and how many more).
    """
    document = spec_model.parse_text(text, name, string_keys=False)
    key = _non_string_key(document)
    if key is not None:
        raise SpecError(f"{name}: a mapping key is not a string: {key}; quote it")
    problems = _schema_problems(document)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SpecError(f"{name} is not a valid OpenAPI {document['openapi']} document: {problems[0]}{more}")
    dangling = _dangling_ref(document)
    if dangling is not None:
        raise SpecError(f"{name}: {dangling}")
    return LoadedSpec(document)


# sha256 of a text -> its validation warnings: `make drift` and the spec diff see the same documents several times in
# one process. Bounded: cleared when full.
_VALIDATED: dict[str, tuple[str, ...]] = {}
_VALIDATED_MAX = 64


def _validated(text: str, document: dict[str, Any]) -> list[str]:
    key = text_key(text)
    found = _VALIDATED.get(key)
    if found is None:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        found = _VALIDATED[key] = tuple(_validation_warnings(document))
    return list(found)


def parse_tolerant(text: str, name: str) -> LoadedSpec:
    """Parse OpenAPI 3.x text (YAML or JSON) without refusing what validation would refuse.

    Raises:
        SpecError: not YAML/JSON, not a mapping, or not OpenAPI 3.x at all.
    """
    notes = _Notes()
    document: Any = None
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
    if document is None:
        try:
            document = _parse_yaml(text, notes)
        except yaml.YAMLError as exc:
            raise yaml_error(name, exc, _LINE_LIMIT) from None
    document, _ = openapi_document(document, name)
    warnings = []
    if notes.keys:
        warnings.append(f"{notes.keys} non-string mapping key(s) read as strings, first {notes.first_key}")
    if notes.anchors:
        warnings.append(
            f"YAML anchor(s) defined twice, the later definition used: {', '.join(sorted(set(notes.anchors)))}"
        )
    warnings += _validated(text, document)
    return LoadedSpec(document, tuple(f"{name}: {warning}" for warning in warnings))


def load_spec(path: Path, *, strict: bool = False) -> LoadedSpec:
    """Read an OpenAPI document (YAML or JSON; a vendor docs page with one fenced ````yaml block works too).

    Args:
        path: the file.
        strict: refuse a document that is not valid OpenAPI (as ``regenerate`` does) instead of warning.

    Raises:
        SpecError: unreadable, not YAML/JSON, not OpenAPI 3.x, or (``strict``) invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix == ".md":
        text = extract_fenced_block(text)
    if strict:
        return parse_strict(text, str(path))
    return parse_tolerant(text, str(path))


def load_pair(old: Path, new: Path, *, strict: bool = False) -> tuple[LoadedSpec, LoadedSpec]:
    """Both documents of a diff (see :func:`load_spec`); two large ones load in parallel on a forked worker.

    Raises:
        SpecError: either document cannot be loaded.
    """
    large = all(path.is_file() and path.stat().st_size >= PARALLEL_MIN_BYTES for path in (old, new))
    if large and (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            pending = pool.submit(load_spec, new, strict=strict)
            first = load_spec(old, strict=strict)
            return first, pending.result()
    return load_spec(old, strict=strict), load_spec(new, strict=strict)
