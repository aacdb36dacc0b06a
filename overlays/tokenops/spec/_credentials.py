"""Where credentials go: one credential per security scheme, placed as an operation's requirement says.

The client, the suite and the tools share these rules, so an operation is called the same way everywhere:

- a scheme's credential is its value in ``credentials`` (the client's ``credentials=``), else the environment
  variable :func:`credential_variable` names (``TOKENOPS_CREDENTIAL_GEMINI_KEY_QUERY``), else the default key
  (``TOKENOPS_API_KEY``): one key serves every scheme unless told otherwise;
- the first alternative of the requirement whose schemes all have a credential is used (OpenAPI: alternatives
  are OR, the schemes of one alternative AND);
- ``http bearer``, ``oauth2`` and ``openIdConnect``: ``Authorization: Bearer <credential>``; ``http basic``:
  ``Authorization: Basic base64(user:password)`` from a ``user:password`` credential (a credential without a
  colon is the password, with an empty user name); ``apiKey``: the named header, query parameter or cookie.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

import attrs

from tokenops.spec._model import Operation, SecurityScheme

__all__ = ["Placement", "credential_variable", "place_credential", "place_credentials"]

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def credential_variable(scheme: str) -> str:
    """The environment variable holding the credential of the security scheme named ``scheme``.

    >>> credential_variable("GeminiKeyQuery")
    'TOKENOPS_CREDENTIAL_GEMINI_KEY_QUERY'
    """
    words = _NOT_ALNUM.sub("_", _WORD_BREAK.sub("_", scheme)).strip("_")
    return f"TOKENOPS_CREDENTIAL_{words.upper()}"


@attrs.frozen
class Placement:
    """Credentials placed for one request: headers, query parameters and cookies to add."""

    headers: Mapping[str, str] = attrs.field(factory=dict)
    query: Mapping[str, str] = attrs.field(factory=dict)
    cookies: Mapping[str, str] = attrs.field(factory=dict)
    schemes: tuple[str, ...] = ()  # the alternative used

    @property
    def empty(self) -> bool:
        return not (self.headers or self.query or self.cookies)

    def cookie_header(self) -> str | None:
        """The ``Cookie`` header value for :attr:`cookies`, or None."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items()) or None


def _basic(credential: str) -> str:
    user, colon, password = credential.partition(":")
    pair = f"{user}:{password}" if colon else f":{credential}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def place_credential(scheme: SecurityScheme, credential: str, placement: Placement) -> Placement:
    """``placement`` with ``credential`` added where ``scheme`` wants it."""
    headers, query, cookies = dict(placement.headers), dict(placement.query), dict(placement.cookies)
    if scheme.type == "apiKey" and scheme.parameter:
        {"header": headers, "query": query, "cookie": cookies}.get(scheme.location or "", headers)[scheme.parameter] = (
            credential
        )
    elif scheme.type == "http" and scheme.scheme == "basic":
        headers["Authorization"] = _basic(credential)
    else:  # http bearer (and any other http scheme), oauth2, openIdConnect: a bearer token
        headers["Authorization"] = f"Bearer {credential}"
    return Placement(headers, query, cookies, (*placement.schemes, scheme.name))


def place_credentials(
    operation: Operation, schemes: Mapping[str, SecurityScheme], credentials: Mapping[str, str]
) -> Placement | None:
    """The credentials for one call of ``operation``.

    Args:
        operation: the operation (its :attr:`~tokenops.spec.Operation.security`).
        schemes: the spec's security schemes by name.
        credentials: a credential per scheme name (resolve defaults before: see the module docstring).

    Returns:
        An empty :class:`Placement` when the operation needs none (or accepts anonymous calls and no
        alternative has every credential); the first alternative whose schemes all have a credential; None when
        the operation needs credentials that no alternative has.
    """
    requirement = operation.security
    for alternative in requirement.alternatives:
        if not alternative:
            continue
        if all(name in schemes and credentials.get(name) for name in alternative):
            placement = Placement()
            for name in alternative:
                placement = place_credential(schemes[name], credentials[name], placement)
            return placement
    return None if requirement.required else Placement()
