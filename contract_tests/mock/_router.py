"""Routing a request path to the spec's path templates: a segment trie over the shared model's compiled templates.

Paths are matched on the raw (still percent-encoded) path, one segment at a time, so an id such as ``a%2Fb`` stays
one path parameter (``a/b``) instead of becoming two segments. At each segment a literal wins over a segment with
literal text around parameters (``{model}:generateContent``; more literal text first), which wins over a bare
parameter; a dead end backtracks. A path that matches no template is a 404; a path that matches one whose methods
do not include the request's is a 405 with ``Allow``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, TypeVar
from urllib.parse import unquote

from tokenops.spec import PathSegment, PathTemplate

__all__ = ["Match", "Router"]

T = TypeVar("T")
_NAME = re.compile(r"\{[^{}/]+\}")


class _Node(Generic[T]):
    __slots__ = ("methods", "param", "patterned", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node[T]] = {}
        self.param: _Node[T] | None = None  # a segment that is exactly one parameter
        self.patterned: list[tuple[str, PathSegment, _Node[T]]] = []  # literal text around parameters
        # method -> (handler, the template's parameter names in order, the template)
        self.methods: dict[str, tuple[T, tuple[str, ...], str]] = {}


class Match(Generic[T]):
    """The outcome of routing: the handler and path parameters, or the methods the path allows."""

    __slots__ = ("allow", "handler", "params", "template")

    def __init__(self, handler: T | None, params: dict[str, str], template: str, allow: tuple[str, ...]) -> None:
        self.handler = handler
        self.params = params
        self.template = template
        self.allow = allow


def _is_one_parameter(segment: PathSegment) -> bool:
    return len(segment.names) == 1 and segment.text == "{" + segment.names[0] + "}"


class Router(Generic[T]):
    """Path templates (``/v1/videos/{video_id}``, ``/v1beta/models/{model}:generateContent``), a handler per method."""

    def __init__(self, routes: Iterable[tuple[str, str, T]] = ()) -> None:
        self._root: _Node[T] = _Node()
        for method, template, handler in routes:
            self.add(method, template, handler)

    def add(self, method: str, template: str, handler: T) -> None:
        """Route ``method`` on ``template`` to ``handler`` (a later duplicate replaces an earlier one)."""
        compiled = PathTemplate.compile(template)
        node = self._root
        for segment in compiled.segments:
            if segment.literal:
                node = node.static.setdefault(segment.text, _Node())
            elif _is_one_parameter(segment):
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                shape = _NAME.sub("{}", segment.text)  # {model}:x and {name}:x are one route shape
                found = next((child for key, _, child in node.patterned if key == shape), None)
                if found is None:
                    found = _Node()
                    node.patterned.append((shape, segment, found))
                    node.patterned.sort(key=lambda entry: -entry[1].literal_chars)
                node = found
        node.methods[method.upper()] = (handler, compiled.parameters, template)

    def match(self, method: str, raw_path: str) -> Match[T] | None:
        """Route one request.

        Args:
            method: the request method; ``HEAD`` is served by ``GET``.
            raw_path: the path as sent, percent-encoded, without the query string.

        Returns:
            None when no template matches (404); else a :class:`Match` whose ``handler`` is None when the
            method is not allowed (405, ``allow`` lists the allowed ones).
        """
        trimmed = raw_path.strip("/")
        segments = trimmed.split("/") if trimmed else []
        if segments and raw_path.endswith("/"):
            return None  # "/v1/videos/" is not "/v1/videos" nor an empty id
        found = self._greedy(segments) or self._walk(self._root, segments, 0, [])
        if found is None:
            return None
        node, values = found
        entry = node.methods.get("GET" if method == "HEAD" else method)
        if entry is None:
            _, names, template = next(iter(node.methods.values()))
            return Match(None, dict(zip(names, values, strict=True)), template, _allow(node.methods))
        handler, names, template = entry
        return Match(handler, dict(zip(names, values, strict=True)), template, ())

    def _greedy(self, segments: list[str]) -> tuple[_Node[T], list[str]] | None:
        """Literal segments and bare parameters, no backtracking: the usual case, and the same answer as
        :meth:`_walk` when it finds one (both try literals first). Patterned segments go to :meth:`_walk`."""
        node = self._root
        values: list[str] = []
        for segment in segments:
            child = node.static.get(segment)
            if child is not None:
                node = child
            elif node.param is not None and segment and not node.patterned:
                values.append(unquote(segment) if "%" in segment else segment)
                node = node.param
            else:
                return None
        return (node, values) if node.methods else None

    def _walk(
        self, node: _Node[T], segments: list[str], index: int, values: list[str]
    ) -> tuple[_Node[T], list[str]] | None:
        if index == len(segments):
            return (node, values) if node.methods else None
        segment = segments[index]
        child = node.static.get(segment)
        if child is not None and (found := self._walk(child, segments, index + 1, values)) is not None:
            return found
        for _, pattern, patterned in node.patterned:
            matched = pattern.match(segment)
            if matched is not None and (found := self._walk(patterned, segments, index + 1, [*values, *matched])):
                return found
        if node.param is not None and segment:  # a parameter is never empty
            return self._walk(node.param, segments, index + 1, [*values, unquote(segment)])
        return None


def _allow(methods: Iterable[str]) -> tuple[str, ...]:
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")
    return tuple(sorted(allowed))
