"""A classified change, and the JSON-pointer helpers every comparison uses."""

from __future__ import annotations

from typing import Any

import attrs

from contract_tests.toolchain.rules.catalog import RULES

__all__ = [
    "HTTP_METHODS",
    "IN_PLACE_SUBSCHEMAS",
    "REF_NOTES",
    "Change",
    "deref",
    "escape",
    "follow",
    "pointer",
    "pure_ref",
    "unescape",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Sub-schemas compared in place, in the same direction as their parent (as oasdiff does, `not` included).
IN_PLACE_SUBSCHEMAS = (
    "if",
    "then",
    "else",
    "not",
    "contains",
    "propertyNames",
    "contentSchema",
    "unevaluatedItems",
    "unevaluatedProperties",
)


@attrs.frozen(order=True)
class Change:
    """One change, reported where it is made.

    ``location`` is an RFC 6901 pointer that resolves in the new document, or in the old one when ``document`` is
    ``"old"`` (what was removed); a change inside a component is located in the component, once, whatever number of
    operations reach it. ``operations`` (``GET /v1/x``) and ``sites`` (``GET /v1/x, 200 response``) say where it
    shows, sorted. ``also``: the rules of the same fact at other sites of the same severity (a component property
    removed from what is both sent and received is one change).
    """

    location: str
    rule: str
    message: str
    document: str = "new"
    operations: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    @property
    def severity(self) -> str:
        """The rule's severity: ``breaking``, ``warning`` or ``info``."""
        return RULES[self.rule][0]


def escape(token: str) -> str:
    """One JSON-pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The inverse of :func:`escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: object) -> str:
    """``/a/b~1c`` from tokens ``a``, ``b/c``."""
    return "/" + "/".join(escape(str(token)) for token in tokens)


def _lookup(root: Any, ref: str) -> Any:
    node = root
    for raw in ref.removeprefix("#/").split("/"):
        token = unescape(raw)
        node = node[token] if isinstance(node, dict) else node[int(token)]
    return node


# Siblings of a $ref that say nothing about values: such a reference is the referenced thing.
REF_NOTES = frozenset({"description", "summary", "title", "example", "examples", "$comment"})


def pure_ref(node: Any) -> str | None:
    """The ``$ref`` of a node that is only a reference (perhaps with notes beside it: :data:`REF_NOTES`)."""
    if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
        return None
    return node["$ref"] if all(key == "$ref" or key in REF_NOTES for key in node) else None


def follow(node: Any, at: str, root: Any, *, limit: int = 32) -> tuple[Any, str]:
    """``(target, pointer)``: ``node`` (found at pointer ``at``) with local ``$ref`` chains followed, and where the
    target is. A ``$ref`` with siblings that constrain, an external or a dangling one stays where it is."""
    for _ in range(limit):
        ref = pure_ref(node)
        if ref is None or not ref.startswith("#/"):
            break
        try:
            node = _lookup(root, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            break
        at = ref[1:]
    return node, at


def deref(node: Any, root: Any, *, limit: int = 32) -> tuple[Any, str | None]:
    """``(target, ref)``: ``node`` with local ``$ref`` chains followed (siblings of ``$ref`` win over the target).

    A ``$ref`` that cannot be followed (external, missing) is returned as is, with its ref string, so two
    unresolvable references compare by their text.
    """
    first: str | None = None
    siblings: dict[str, Any] = {}
    for _ in range(limit):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            break
        first = first or ref
        extra = {key: value for key, value in node.items() if key != "$ref"}
        siblings = {**extra, **siblings}
        if not ref.startswith("#/"):
            return node, first
        try:
            node = _lookup(root, ref)
        except (KeyError, IndexError, ValueError, TypeError):
            return {"$ref": ref}, first
    if siblings and isinstance(node, dict):
        node = {**node, **siblings}
    return node, first
