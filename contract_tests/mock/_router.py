"""Routing a request path to the spec's path templates: a segment trie, static segments before parameters.

Paths are matched on the raw (still percent-encoded) path, one segment at a time, so an id such as
``a%2Fb`` stays one path parameter (``a/b``) instead of becoming two segments. A path that matches no
template is a 404; a path that matches one whose methods do not include the request's is a 405 with
``Allow``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = ["Match", "Router"]

T = TypeVar("T")


class _Node(Generic[T]):
    __slots__ = ("methods", "names", "param", "static", "template")

    def __init__(self) -> None:
        self.static: dict[str, _Node[T]] = {}
        self.param: _Node[T] | None = None
        self.methods: dict[str, T] = {}
        self.names: tuple[str, ...] = ()  # the template's parameter names, in order (on the last node)
        self.template = ""


class Match(Generic[T]):
    """The outcome of routing: the handler and path parameters, or the methods the path allows."""

    __slots__ = ("allow", "handler", "params", "template")

    def __init__(self, handler: T | None, params: dict[str, str], template: str, allow: tuple[str, ...]) -> None:
        self.handler = handler
        self.params = params
        self.template = template
        self.allow = allow


def _segments(template: str) -> list[str]:
    return template.strip("/").split("/") if template.strip("/") else []


class Router(Generic[T]):
    """Path templates (``/v1/videos/{video_id}``) with one handler per method."""

    def __init__(self, routes: Iterable[tuple[str, str, T]] = ()) -> None:
        self._root: _Node[T] = _Node()
        for method, template, handler in routes:
            self.add(method, template, handler)

    def add(self, method: str, template: str, handler: T) -> None:
        """Route ``method`` on ``template`` to ``handler`` (a later duplicate replaces an earlier one)."""
        node = self._root
        names = []
        for segment in _segments(template):
            if segment.startswith("{") and segment.endswith("}"):
                if node.param is None:
                    node.param = _Node()
                names.append(segment[1:-1])
                node = node.param
            else:
                node = node.static.setdefault(segment, _Node())
        node.methods[method.upper()] = handler
        node.names, node.template = tuple(names), template

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
        params = dict(zip(node.names, values, strict=True))
        handler = node.methods.get("GET" if method == "HEAD" else method)
        allow = () if handler is not None else _allow(node.methods)
        return Match(handler, params, node.template, allow)

    def _greedy(self, segments: list[str]) -> tuple[_Node[T], list[str]] | None:
        """Static segments first, no backtracking: the usual case, and the same answer as :meth:`_walk` when it
        finds one (both try static children before the parameter)."""
        node = self._root
        values: list[str] = []
        for segment in segments:
            child = node.static.get(segment)
            if child is not None:
                node = child
            elif node.param is not None and segment:
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
        if node.param is not None and segment:  # a parameter is never empty
            return self._walk(node.param, segments, index + 1, [*values, unquote(segment)])
        return None


def _allow(methods: Iterable[str]) -> tuple[str, ...]:
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")
    return tuple(sorted(allowed))
