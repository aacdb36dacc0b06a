"""The run's credentials: one per security scheme of the spec, placed per operation as the spec requires.

Each scheme's credential is ``$TOKENOPS_CREDENTIAL_<SCHEME>`` when set (:func:`tokenops.spec.credential_variable`),
else the run's key (``$TOKENOPS_API_KEY``), as for the client. Requests the suite makes itself place them with
:func:`tokenops.spec.place_credentials`; schemathesis gets them as its OpenAPI-aware auth (``[auth.openapi.<scheme>]``),
which places them the same way. Reports show each credential as the shell variable that holds it, so a printed
``curl`` replays with the reader's own credentials.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from contract_tests.suite.records import KEY_VARIABLE, Sent
from tokenops.spec import (
    Operation,
    Placement,
    SecurityScheme,
    Spec,
    credential_variable,
    place_credential,
    place_credentials,
)

__all__ = ["RunCredentials", "resolve_credentials"]


@attrs.frozen
class RunCredentials:
    """Credentials by scheme name, with the variable each one is shown as."""

    schemes: Mapping[str, SecurityScheme]
    values: Mapping[str, str]
    variables: Mapping[str, str]  # credential -> the shell variable reports show instead
    default: str

    def placement(self, operation: Operation | None, *, value: str | None = None) -> Placement:
        """Where the credentials (or ``value`` in each of their places) go for ``operation``.

        Without an operation model (a spec without security schemes), the run's key as a bearer token.
        """
        if operation is None or not self.schemes:
            return Placement({"Authorization": f"Bearer {self.default if value is None else value}"})
        values = self.values if value is None else dict.fromkeys(self.values, value)
        return place_credentials(operation, self.schemes, values) or Placement()

    def wrong_place(self, operation: Operation) -> Placement | None:
        """The right credential where no alternative of ``operation`` takes it (a bearer token instead of a query
        key, a query key instead of a header ...), or None when every place is a right one."""
        wanted = {self._place_of(self.schemes[name]) for name in operation.security.schemes if name in self.schemes}
        if not wanted:
            return None
        scheme = next(iter(self.schemes[name] for name in operation.security.schemes if name in self.schemes))
        credential = self.values.get(scheme.name, self.default)
        for candidate in (
            SecurityScheme("wrong-place", "http", scheme="bearer"),
            SecurityScheme("wrong-place", "apiKey", location="query", parameter="api_key"),
            SecurityScheme("wrong-place", "apiKey", location="header", parameter="X-Api-Key"),
        ):
            if self._place_of(candidate) not in wanted:
                return place_credential(candidate, credential, Placement())
        return None

    @staticmethod
    def _place_of(scheme: SecurityScheme) -> tuple[str, str]:
        if scheme.type == "apiKey":
            return (scheme.location or "", (scheme.parameter or "").lower())
        return ("header", "authorization")

    def schemathesis_auth(self) -> dict[str, dict[str, Any]]:
        """``[auth.openapi]`` for schemathesis' config: every supported scheme with its credential."""
        config: dict[str, dict[str, Any]] = {}
        for name, scheme in self.schemes.items():
            value = self.values.get(name)
            if not value:
                continue
            if scheme.type == "apiKey" and scheme.supported:
                config[name] = {"api_key": value}
            elif scheme.type == "http" and scheme.scheme == "basic":
                user, colon, password = value.partition(":")
                config[name] = {"username": user if colon else "", "password": password if colon else value}
            elif scheme.type in ("http", "oauth2", "openIdConnect"):
                config[name] = {"bearer": value}
        return config

    def bearer_value(self) -> str | None:
        """The credential of the spec's bearer schemes when they share one (the usual case), else None."""
        found = {
            self.values[name]
            for name, scheme in self.schemes.items()
            if scheme.type in ("oauth2", "openIdConnect") or (scheme.type == "http" and scheme.scheme != "basic")
        }
        return found.pop() if len(found) == 1 else None

    def secrets(self) -> list[str]:
        """Every form a credential takes on the wire: the values, and basic auth's ``user:password`` pairs."""
        found = set(self.values.values()) | {self.default}
        for name, value in self.values.items():
            if self.schemes[name].type == "http" and self.schemes[name].scheme == "basic" and ":" not in value:
                found.add(f":{value}")
        return sorted(value for value in found if value)

    def carried(self, sent: Sent, operation: Operation | None) -> bool:
        """True when ``sent`` carries the run's credentials where ``operation`` wants them (the right key in a wrong
        place, as an auth probe sends it, is not carried)."""
        placement = self.placement(operation)
        if placement.empty:
            return False
        headers = {name.lower(): value for name, value in sent.headers}
        if any(headers.get(name.lower()) != value for name, value in placement.headers.items()):
            return False
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(sent.url).query, keep_blank_values=True)
        if any(value not in query.get(name, []) for name, value in placement.query.items()):
            return False
        cookies = headers.get("cookie", "")
        return all(f"{name}={value}" in cookies for name, value in placement.cookies.items())


def resolve_credentials(model: Spec, default: str, environ: Mapping[str, str]) -> RunCredentials:
    """A credential for every supported scheme of ``model``: its variable in ``environ``, else ``default``.

    Args:
        model: the spec.
        default: the run's key.
        environ: where ``TOKENOPS_CREDENTIAL_<SCHEME>`` variables are read (``os.environ``).

    Returns:
        The run's credentials.
    """
    values: dict[str, str] = {}
    variables: dict[str, str] = {default: KEY_VARIABLE} if default else {}
    for name in model.security_schemes:
        variable = credential_variable(name)
        given = environ.get(variable)
        values[name] = given or default
        if given and given != default:
            variables.setdefault(given, "${" + variable + "}")
    return RunCredentials(model.security_schemes, values, variables, default)
