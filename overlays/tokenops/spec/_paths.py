"""Path templates, compiled once: matching a request path, expanding arguments, joining with a base URL.

A template such as ``/v1beta/models/{model}:generateContent`` is a list of segments; a segment is a literal
(``models``), one parameter (``{model}``), or literal text around one or more parameters
(``{model}:generateContent``, ``{a}.{b}``). Matching works on the raw, still percent-encoded path, so ``a%2Fb``
stays one parameter value (``a/b``); a parameter value is never empty.

The base URL rule (:func:`join_url`): the base URL's path is kept as given and the operation's path is appended,
except that leading literal segments of the template which the base path already ends with are not repeated. So
``https://host/v1`` and ``https://host`` both call ``/v1/videos/{id}`` at ``https://host/v1/videos/...``, and the
URL of an operation depends only on the base URL and that operation's own template, never on the rest of the
spec: a spec that grows (a ``/v1beta`` page next to ``/v1`` ones) changes no existing call's URL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import quote, unquote, urlsplit

import attrs

__all__ = ["PathSegment", "PathTemplate", "join_url"]

_PARAM = re.compile(r"\{([^{}/]+)\}")


@attrs.frozen
class PathSegment:
    """One ``/``-separated segment of a template."""

    text: str
    names: tuple[str, ...]  # the parameters in it, in order
    pattern: re.Pattern[str] | None  # matches one raw segment; None for a literal segment

    @property
    def literal(self) -> bool:
        """No parameter in this segment."""
        return not self.names

    @property
    def literal_chars(self) -> int:
        """How many characters of the segment are literal: more literal text matches first."""
        return len(_PARAM.sub("", self.text))

    def match(self, raw: str) -> tuple[str, ...] | None:
        """The decoded parameter values when ``raw`` (one percent-encoded segment) matches, else None."""
        if self.pattern is None:
            return () if raw == self.text else None
        found = self.pattern.fullmatch(raw)
        if found is None:
            return None
        return tuple(unquote(value) if "%" in value else value for value in found.groups())


def _segment(text: str) -> PathSegment:
    names = tuple(_PARAM.findall(text))
    if not names:
        return PathSegment(text, (), None)
    pieces = _PARAM.split(text)  # literal, name, literal, name, ..., literal
    regex = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            regex.append(re.escape(piece))
        else:
            # Non-greedy but for the last parameter: "{a}.{b}" splits at the first dot, and backtracking still
            # finds "x:generateContent" in "{model}:generateContent" whatever the value holds.
            last = index == len(pieces) - 2
            regex.append("([^/]+)" if last else "([^/]+?)")
    return PathSegment(text, names, re.compile("".join(regex)))


def _encode(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    encoded = quote(text, safe="")
    # "." and ".." are path syntax: sent as they are, they would be normalised away and reach another route.
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


@attrs.frozen
class PathTemplate:
    """An operation's path template, compiled once (see the module docstring for the rules)."""

    text: str
    segments: tuple[PathSegment, ...]

    @classmethod
    def compile(cls, text: str) -> PathTemplate:
        """Compile ``text`` (``/v1/videos/{video_id}``)."""
        stripped = text.strip("/")
        return cls(text, tuple(_segment(part) for part in stripped.split("/")) if stripped else ())

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameter names, in order."""
        return tuple(name for segment in self.segments for name in segment.names)

    @property
    def literal_head(self) -> tuple[str, ...]:
        """The leading literal segments (``("v1", "videos")`` for ``/v1/videos/{id}``)."""
        head: list[str] = []
        for segment in self.segments:
            if not segment.literal:
                break
            head.append(segment.text)
        return tuple(head)

    @property
    def last_parameter(self) -> str | None:
        """The parameter of the last segment when that segment is exactly one parameter: the addressed resource."""
        if self.segments and self.segments[-1].text == "{" + "".join(self.segments[-1].names) + "}":
            return self.segments[-1].names[0]
        return None

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The decoded parameter values when ``raw_path`` (percent-encoded, no query) matches, else None."""
        stripped = raw_path.strip("/")
        parts = stripped.split("/") if stripped else []
        if len(parts) != len(self.segments) or (parts and raw_path.endswith("/")):
            return None
        values: dict[str, str] = {}
        for segment, raw in zip(self.segments, parts, strict=True):
            found = segment.match(raw)
            if found is None:
                return None
            values.update(zip(segment.names, found, strict=True))
        return values

    def expand(self, values: Mapping[str, object]) -> str:
        """The path with each parameter percent-encoded (``/`` too; ``.`` and ``..`` as ``%2E``).

        Raises:
            KeyError: a parameter without a value.
        """
        return _PARAM.sub(lambda found: _encode(values[found.group(1)]), self.text)

    def url(self, base_url: str, values: Mapping[str, object]) -> str:
        """The full URL for ``values`` under ``base_url`` (:func:`join_url`)."""
        return join_url(base_url, self, self.expand(values))


@functools.lru_cache(maxsize=4096)
def _overlap(base_path: str, head: tuple[str, ...]) -> int:
    """How many leading literal segments of a template the base path already ends with."""
    base = [part for part in base_path.split("/") if part]
    for count in range(min(len(base), len(head)), 0, -1):
        if tuple(base[-count:]) == head[:count]:
            return count
    return 0


def join_url(base_url: str, template: PathTemplate, path: str) -> str:
    """The URL of one call: ``base_url`` with its path kept, then ``path`` (``template`` expanded).

    Leading literal segments of ``template`` that the base path already ends with are not repeated:
    ``https://host/v1`` + ``/v1/videos/x`` is ``https://host/v1/videos/x``; ``https://host/api`` +
    ``/v1/videos/x`` is ``https://host/api/v1/videos/x``.

    Args:
        base_url: an absolute URL without query or fragment (a trailing ``/`` is ignored).
        template: the operation's template.
        path: the template expanded with the call's values (:meth:`PathTemplate.expand`).

    Returns:
        The URL.
    """
    base = base_url.rstrip("/")
    base_path = urlsplit(base).path
    drop = _overlap(base_path, template.literal_head)
    if drop:
        parts = path.lstrip("/").split("/")
        path = "/" + "/".join(parts[drop:])
        if path == "/":
            return base
    return base + path
