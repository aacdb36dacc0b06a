"""Reading an OpenAPI document: text (JSON, or YAML when PyYAML is installed) to a mapping, and JSON pointers.

Every reader of a spec in this project goes through :func:`parse_text`: the client (the JSON copy bundled in
``tokenops_client``), the mock, the suite and the spec toolchain. Mapping keys are always strings (a YAML
``200:`` key is ``"200"``), so a document reads the same whichever format it came in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

__all__ = ["SpecError", "escape_token", "load_document", "parse_text", "pointer_get", "unescape_token"]


class SpecError(ValueError):
    """A spec that cannot be read or modelled: unreadable, not YAML/JSON, not OpenAPI 3.x, or a broken ``$ref``.

    The message is one line and names the document (and the JSON pointer, where there is one).
    """


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters (for one-line errors and warnings)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def escape_token(token: str) -> str:
    """One RFC 6901 reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The inverse of :func:`escape_token`."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer_get(document: Any, pointer: str) -> Any:
    """The node at an RFC 6901 JSON pointer (``/components/schemas/Video``; ``""`` is the whole document).

    Raises:
        KeyError: nothing there (the message is the pointer).
    """
    node = document
    if not pointer:
        return node
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    for raw in pointer[1:].split("/"):
        token = unescape_token(raw)
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(pointer) from None
    return node


def string_keys_loader(base: type | None = None, *, on_other_key: Callable[[Any, Any], None] | None = None) -> type:
    """A safe YAML loader class that reads every mapping key as a string (``200:`` is ``"200"``, ``true:`` is
    ``"true"``, a date key its ISO text), as JSON and OpenAPI tools read the document.

    Args:
        base: the SafeLoader class to extend (default: libyaml's ``CSafeLoader`` when PyYAML has it).
        on_other_key: called with each key that was not a string and its node, before it is made one.

    Returns:
        The loader class, for ``yaml.load(text, Loader=...)``.
    """
    import yaml  # noqa: PLC0415 - YAML is optional: the client reads its bundled JSON copy

    parent: type = base if base is not None else getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(parent):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[str, Any]:
            # SafeConstructor.construct_mapping, with keys that are not strings made strings.
            self.flatten_mapping(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=deep)
                if type(key) is not str:
                    if not isinstance(key, Hashable):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                        )
                    if on_other_key is not None:
                        on_other_key(key, key_node)
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

    return Loader


_LOADER: type | None = None


def _yaml(text: str, name: str, string_keys: bool) -> Any:
    global _LOADER  # noqa: PLW0603 - built once, on the first YAML document
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        raise SpecError(f"{name} is YAML: reading it needs PyYAML (pip install pyyaml)") from None
    if _LOADER is None:
        _LOADER = string_keys_loader()
    loader = _LOADER if string_keys else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise SpecError(f"{name} is not valid YAML{where}: {one_line(problem)}") from None


def parse_text(text: str, name: str = "<spec>", *, string_keys: bool = True) -> dict[str, Any]:
    """Parse an OpenAPI 3.x document from text: JSON when it starts with ``{`` (or the name ends in ``.json``),
    else YAML.

    Args:
        text: the document.
        name: what messages call it (a file name).
        string_keys: read YAML keys such as ``200:`` as strings (the default); False keeps them as YAML typed
            them, for a validator that should refuse them.

    Returns:
        The document, with string keys throughout.

    Raises:
        SpecError: not JSON/YAML, not a mapping, or not OpenAPI 3.x.
    """
    document: Any
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except RecursionError:
            raise SpecError(f"{name} is nested too deeply to read") from None
        except ValueError as exc:
            if name.lower().endswith(".json"):
                raise SpecError(f"{name} is not valid JSON: {one_line(exc)}") from None
            document = _yaml(text, name, string_keys)  # YAML flow style is a superset of JSON: let its parser say where
    else:
        document = _yaml(text, name, string_keys)
    return openapi_document(document, name)


def openapi_document(document: object, name: str) -> dict[str, Any]:
    """``document`` as an OpenAPI 3.x mapping.

    Raises:
        SpecError: not a mapping, or not OpenAPI 3.x (a Swagger 2 document says so).
    """
    if not isinstance(document, dict):
        raise SpecError(f"{name} is not an OpenAPI document (top level is {type(document).__name__})")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = "no 'openapi' field" if version is None else f"openapi: {version!r}"
        if "swagger" in document:
            found = f"swagger: {document['swagger']!r}"
        raise SpecError(f"{name} is not an OpenAPI 3.x document ({found})")
    return document


def load_document(path: Path) -> dict[str, Any]:
    """Read and parse the OpenAPI document at ``path`` (see :func:`parse_text`).

    Raises:
        SpecError: missing, unreadable, or not an OpenAPI 3.x document.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path.name} is missing (expected at {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} cannot be read: {one_line(getattr(exc, 'strerror', None) or exc)}") from None
    return parse_text(text, str(path))
