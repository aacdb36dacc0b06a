"""The operations table: every operation of the generated client, as data, found in ``tokenops_client.api``.

Each generated endpoint module carries an ``ENDPOINT`` (:class:`~tokenops_client.types.Endpoint`,
``templates/endpoint_module.py.jinja``): the spec's method, path, parameters, bodies and responses, and the
generated request builder. Nothing here lists operations by hand: a new vendor page, once synced and
regenerated, is in this table.

>>> from tokenops import operations
>>> operations.find("getVideoStatus").path
'/v1/videos/{video_id}'
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from types import MappingProxyType

import tokenops_client.api
from tokenops_client.types import Endpoint, ResponseSpec

__all__ = ["Endpoint", "ResponseSpec", "all_endpoints", "find"]

_TABLE: Mapping[str, Endpoint] | None = None
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def all_endpoints() -> Mapping[str, Endpoint]:
    """Every operation of the generated client by its generated name (``get_video_status``), in spec order.

    Returns:
        A read-only mapping, computed once.
    """
    global _TABLE  # noqa: PLW0603 - a module-level cache filled on first use
    if _TABLE is None:
        found: dict[str, Endpoint] = {}
        for info in pkgutil.walk_packages(tokenops_client.api.__path__, prefix="tokenops_client.api."):
            module = importlib.import_module(info.name)
            endpoint = getattr(module, "ENDPOINT", None)
            if isinstance(endpoint, Endpoint):
                found[endpoint.name] = endpoint
        _TABLE = MappingProxyType(found)
    return _TABLE


def _normal(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def find(key: str) -> Endpoint:
    """The operation for ``key``: the spec's operationId (``getVideoStatus``), the generated name
    (``get_video_status``), or ``"METHOD /path/{template}"``.

    Args:
        key: one of the three spellings above.

    Returns:
        The :class:`~tokenops_client.types.Endpoint`.

    Raises:
        KeyError: no operation matches; the message lists the known ones.
    """
    table = all_endpoints()
    method, _, path = key.partition(" ")
    for endpoint in table.values():
        if path and endpoint.method == method.upper() and endpoint.path == path:
            return endpoint
        if _normal(endpoint.name) == _normal(key):
            return endpoint
    known = ", ".join(f"{e.name} ({e.method} {e.path})" for e in table.values())
    raise KeyError(f"no operation {key!r} in the generated client; known: {known}")
