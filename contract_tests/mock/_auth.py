"""Authentication as the spec declares it, per operation: every security scheme, alternatives and combinations.

A request passes when one alternative of the operation's requirement is met in full (OpenAPI: the entries of
``security`` are OR, the schemes inside one entry are AND). A scheme is met by an accepted key:

- http ``bearer``: ``Authorization: Bearer <key>``;
- http ``basic``: ``Authorization: Basic base64(user:password)`` whose password (or, with an empty password, user
  name) is an accepted key;
- ``apiKey``: the key in the header, query parameter or cookie the scheme names;
- ``oauth2`` / ``openIdConnect`` (which the mock cannot run): a bearer token that is an accepted key.

Failures are 401s in the OpenAI error format: ``missing_api_key`` when no credential is where an alternative wants
one (the message says where it is expected), ``invalid_api_key`` when one is there but is not accepted. No message
ever repeats the credential.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterable, Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from starlette.types import Scope

from contract_tests.mock._responses import Reply, api_error
from tokenops.spec import Operation, SecurityScheme

__all__ = ["Guard"]

_MISSING, _INVALID, _MET = 0, 1, 2


class _Request:
    """The parts of a request credentials can be in, read once and only when a scheme asks for them."""

    def __init__(self, scope: Scope, authorization: str | None) -> None:
        self.scope = scope
        self.authorization = authorization
        self._headers: dict[str, str] | None = None
        self._query: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None

    def header(self, name: str) -> str | None:
        if self._headers is None:
            self._headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.scope["headers"]}
        return self._headers.get(name.lower())

    def query(self, name: str) -> str | None:
        if self._query is None:
            self._query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        values = self._query.get(name)
        return values[-1] if values else None

    def cookie(self, name: str) -> str | None:
        if self._cookies is None:
            jar: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):  # an unreadable Cookie header carries no credential
                jar.load(self.header("cookie") or "")
            self._cookies = {key: morsel.value for key, morsel in jar.items()}
        return self._cookies.get(name)


def _bearer(authorization: str | None, keys: frozenset[str]) -> int:
    if authorization is None:
        return _MISSING
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return _MISSING
    return _MET if token.strip() in keys else _INVALID


def _basic(authorization: str | None, keys: frozenset[str]) -> int:
    if authorization is None:
        return _MISSING
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return _MISSING
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return _INVALID
    return _MET if (password or user) in keys else _INVALID


def _met(scheme: SecurityScheme | None, request: _Request, keys: frozenset[str]) -> int:
    if scheme is None:  # a requirement naming no declared scheme: nothing can meet it
        return _MISSING
    if scheme.type == "apiKey":
        where = {"header": request.header, "query": request.query, "cookie": request.cookie}.get(scheme.location or "")
        value = where(scheme.parameter or "") if where is not None else None
        if value is None:
            return _MISSING
        return _MET if value in keys else _INVALID
    if scheme.type == "http" and scheme.scheme == "basic":
        return _basic(request.authorization, keys)
    return _bearer(request.authorization, keys)  # http bearer, oauth2, openIdConnect


def _where(scheme: SecurityScheme | None) -> str:
    if scheme is None:
        return "an undeclared scheme"
    if scheme.type == "apiKey":
        place = {"query": "query parameter", "header": "header", "cookie": "cookie"}.get(scheme.location or "", "?")
        return f"{place} '{scheme.parameter}'"
    if scheme.type == "http" and scheme.scheme == "basic":
        return "Authorization: Basic"
    return "Authorization: Bearer"


class Guard:
    """The authentication check of one operation (built once at start-up)."""

    __slots__ = ("_alternatives", "_bearer_only", "required")

    def __init__(self, operation: Operation, schemes: Mapping[str, SecurityScheme]) -> None:
        self.required = operation.security.required
        self._alternatives = [tuple(schemes.get(name) for name in names) for names in operation.security.alternatives]
        self._bearer_only = all(
            len(alternative) == 1
            and alternative[0] is not None
            and alternative[0].type == "http"
            and alternative[0].scheme == "bearer"
            for alternative in self._alternatives
        )

    def check(self, scope: Scope, authorization: str | None, keys: frozenset[str]) -> Reply | None:
        """None when the request may proceed, else the 401 to answer."""
        if not self.required:
            return None
        if self._bearer_only:  # the hot path: one Authorization header, already scanned
            outcome = _bearer(authorization, keys)
            if outcome == _MET:
                return None
            return _refusal(outcome, ["Authorization: Bearer"], authorization)
        request = _Request(scope, authorization)
        outcomes = [[_met(scheme, request, keys) for scheme in alternative] for alternative in self._alternatives]
        if any(all(outcome == _MET for outcome in alternative) for alternative in outcomes):
            return None
        invalid = any(_INVALID in alternative for alternative in outcomes)
        places = [" and ".join(_where(scheme) for scheme in alternative) for alternative in self._alternatives]
        return _refusal(_INVALID if invalid else _MISSING, places, authorization)


def _refusal(outcome: int, places: Iterable[str], authorization: str | None) -> Reply:
    if outcome == _INVALID:
        return api_error(401, "Incorrect API key provided.", "invalid_api_key")
    expected = ", or ".join(dict.fromkeys(places))
    if authorization is not None and expected == "Authorization: Bearer":
        return api_error(401, "Malformed Authorization header: expected 'Bearer <API key>'.", "invalid_api_key")
    return api_error(401, f"Missing API key: expected in {expected}.", "missing_api_key")
