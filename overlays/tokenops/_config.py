"""Client configuration: validated once at construction (``Settings``) and per call (``CallOptions``)."""

from __future__ import annotations

import functools
import math
import os
import random
import re
import ssl
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs
import httpx

from tokenops import spec
from tokenops._clock import Clock, SystemClock
from tokenops._errors import ConfigurationError, InvalidArgumentError, TokenOpsError
from tokenops._version import __version__
from tokenops.redaction import Secret, register_secret

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "CallOptions",
    "NotGiven",
    "Settings",
    "base_url_problem",
    "build_settings",
    "call_options",
    "default_tls",
    "pool_limits",
    "shown_url",
]

DEFAULT_BASE_URL = "https://model-api.skyengine.com.cn"  # openapi.yaml servers[0].url (a test keeps them equal)
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_DOWNLOAD_BYTES = 8 * 1024**3
# Keep-alive equals the connection limit: every connection a burst opened is reused, never closed and reopened
# (httpx's default keeps 20 of 100, so 32 threads or 200 tasks churn through thousands of connections).
DEFAULT_MAX_CONNECTIONS = 100
ENV_API_KEY = "TOKENOPS_API_KEY"
ENV_BASE_URL = "TOKENOPS_BASE_URL"
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: anything else would corrupt the Authorization header
_USERINFO = re.compile(r"//[^/?#]*@")


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument that was not passed (where ``None`` would be a value).

    ``client.with_options(timeout=NOT_GIVEN)`` is ``client.with_options()``; ``NOT_GIVEN`` is falsy. Like
    openai's ``NotGiven`` and httpx's ``UseClientDefault``.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:  # one instance: `is NOT_GIVEN` and isinstance() agree
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@attrs.frozen
class Settings:
    """Per-client configuration the flows read (``with_options`` makes a changed copy)."""

    base_url: str
    secret: Secret | None = attrs.field(repr=False)  # the default credential (api_key / TOKENOPS_API_KEY)
    timeout: httpx.Timeout
    max_retries: int
    strict: bool
    clock: Clock
    user_agent: str
    max_response_bytes: int
    max_download_bytes: int
    max_connections: int
    default_headers: Mapping[str, str] = attrs.field(factory=dict)
    default_query: Mapping[str, str] = attrs.field(factory=dict)
    rng: random.Random = attrs.field(factory=random.Random, repr=False, eq=False)
    # A credential per security scheme of the spec (the default key unless given: see tokenops.spec.credentials).
    credentials: Mapping[str, Secret] = attrs.field(factory=dict, repr=False)
    base_headers: dict[str, str] = attrs.field(init=False, repr=False, eq=False)
    headers: dict[str, str] = attrs.field(init=False, repr=False, eq=False)
    # Per operation (by generated name): the headers (None: ``headers``) and query its credentials add.
    auth_cache: dict[str, tuple[dict[str, str] | None, dict[str, str] | None]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        # Built once per client: the same mapping is passed to every request (httpx copies, never mutates it).
        base = {"Accept": "application/json", "User-Agent": self.user_agent, **self.default_headers}
        headers = dict(base)
        if self.secret is not None:  # the usual case (one bearer key): the pool carries it, a call passes nothing
            headers["Authorization"] = f"Bearer {self.secret.value}"
        object.__setattr__(self, "base_headers", base)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "auth_cache", {})


@attrs.frozen
class CallOptions:
    """Per-call options, validated (see :func:`call_options`)."""

    timeout: httpx.Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, str] | None = None
    idempotency_key: str | None = None


NO_OPTIONS = CallOptions()


# How long an idle pooled connection is kept. httpx's default (5 s) is shorter than the pauses of a polling client
# (poll hints and the default backoff reach 10 s), so wait()/wait_many() reconnected after nearly every pause.
# A connection the server closed meanwhile is detected (readable at EOF) and replaced before it is used.
KEEPALIVE_EXPIRY = 60.0


def pool_limits(connections: int) -> httpx.Limits:
    """httpx pool limits that keep every connection alive (no reconnects up to ``connections`` in flight)."""
    return httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=KEEPALIVE_EXPIRY
    )


def default_tls() -> ssl.SSLContext:
    """The TLS context httpx builds for a pool by default, shared by every pool the clients build.

    ``httpx.create_ssl_context()`` reads ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` (else certifi's bundle) and Python's
    ``ssl`` reads ``SSLKEYLOGFILE``; loading a CA bundle costs about 25 ms of CPU, more than everything else a client
    does at construction. So it is built once per process for each value of those variables.
    """
    env = os.environ
    return tls_for(env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR"), env.get("SSLKEYLOGFILE"))


@functools.lru_cache(maxsize=8)
def tls_for(cert_file: str | None, cert_dir: str | None, key_log: str | None) -> ssl.SSLContext:
    """The context for one setting of the variables (the cache key; httpx and ``ssl`` read them themselves)."""
    del cert_file, cert_dir, key_log
    return httpx.create_ssl_context()


def shown_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced, fit for messages."""
    return _USERINFO.sub("//***@", url)


def base_url_problem(url: str) -> tuple[str, str] | None:
    """What is wrong with ``url`` as a base URL, as ``(kind, words)`` (kind: ``invalid``, ``relative``,
    ``userinfo``, ``query``), or None. One rule for the client's ``base_url=`` and the CLI's ``--base-url``; each
    says it in its own terms."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "invalid", "is not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "relative", "must be an absolute http:// or https:// URL"
    if parsed.userinfo:
        return "userinfo", "contains a user name or password: remove it"
    if parsed.query or parsed.fragment or "?" in url or "#" in url:
        return "query", "must not contain a query (?...) or fragment (#...)"
    return None


_BASE_URL_HINTS = {
    "userinfo": " (credentials in a URL end up in logs and error messages); the API key goes in api_key= or "
    "$TOKENOPS_API_KEY",
    "query": "; pass query parameters with default_query= instead",
}


def _base_url(url: Any) -> str:
    if not isinstance(url, str):
        raise ConfigurationError(f"base_url must be a string, not {type(url).__name__}")
    problem = base_url_problem(url)
    if problem is not None:
        kind, words = problem
        raise ConfigurationError(f"base_url {shown_url(url)!r} {words}{_BASE_URL_HINTS.get(kind, '')}")
    parsed = httpx.URL(url)
    # The path is kept as given: each call joins it with its operation's path by tokenops.spec.join_url (a leading
    # literal part the base path already ends with, such as /v1, is not repeated).
    path = parsed.path.rstrip("/")
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{path}"


def _positive_int(name: str, value: Any, error: type[TokenOpsError], minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise error(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


def _timeout(value: Any, error: type[TokenOpsError]) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if all(part is None or (math.isfinite(part) and part > 0) for part in parts):
            return value
        raise error(f"timeout parts must be positive finite seconds or None, not {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and value > 0):
        raise error(f"timeout must be a positive finite number of seconds or an httpx.Timeout, not {value!r}")
    return httpx.Timeout(value)


def _string_map(name: str, value: Any, error: type[TokenOpsError]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise error(f"{name} must be a mapping of strings to strings, not {value!r}")
    return dict(value)


def build_settings(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: float | httpx.Timeout,
    max_retries: int,
    strict: bool,
    clock: Clock | None,
    max_response_bytes: int,
    max_download_bytes: int,
    max_connections: int,
    default_headers: Mapping[str, str] | None,
    default_query: Mapping[str, str] | None,
    credentials: Mapping[str, str] | None = None,
) -> Settings:
    """Validate the constructor's arguments (explicit argument, then environment, then a clear error).

    Raises:
        ConfigurationError: a missing key or an invalid setting; the message says how to fix it.
    """
    key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
    given = _credentials(credentials)
    if (key is None or not key.strip()) and not given:
        raise ConfigurationError(
            f"No API key: pass api_key=... or set the {ENV_API_KEY} environment variable "
            "(or give each security scheme its own: credentials={...} or TOKENOPS_CREDENTIAL_<SCHEME>)"
        )
    secret = None
    if key is not None and key.strip():
        if not _HEADER_SAFE.fullmatch(key):
            raise ConfigurationError("The API key contains whitespace or non-ASCII characters; check how it was copied")
        secret = register_secret(key)
    url = base_url if base_url is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    return Settings(
        base_url=_base_url(url),
        secret=secret,
        credentials=_scheme_credentials(given, secret),
        timeout=_timeout(timeout, ConfigurationError),
        max_retries=_positive_int("max_retries", max_retries, ConfigurationError, minimum=0),
        strict=bool(strict),
        clock=clock or SystemClock(),
        user_agent=f"tokenops-python/{__version__}",
        max_response_bytes=_positive_int("max_response_bytes", max_response_bytes, ConfigurationError),
        max_download_bytes=_positive_int("max_download_bytes", max_download_bytes, ConfigurationError),
        max_connections=_positive_int("max_connections", max_connections, ConfigurationError),
        default_headers=_string_map("default_headers", default_headers, ConfigurationError),
        default_query=_string_map("default_query", default_query, ConfigurationError),
    )


def _credentials(value: Any) -> dict[str, str]:
    """The ``credentials=`` argument, checked against the spec's security schemes."""
    if value is None:
        return {}
    given = _string_map("credentials", value, ConfigurationError)
    known = spec.bundled().security_schemes
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise ConfigurationError(
            f"credentials for unknown security scheme(s) {', '.join(unknown)}; the spec has: {names}"
        )
    for name, credential in given.items():
        if not credential.strip() or not _HEADER_SAFE.fullmatch(credential.replace(" ", "")):
            raise ConfigurationError(f"the credential for {name!r} is empty or has non-ASCII characters")
    return given


def _scheme_credentials(given: Mapping[str, str], default: Secret | None) -> dict[str, Secret]:
    """A credential per security scheme: ``credentials=``, else ``TOKENOPS_CREDENTIAL_<SCHEME>``, else the key."""
    found: dict[str, Secret] = {}
    for name in spec.bundled().security_schemes:
        value = given.get(name) or os.environ.get(spec.credential_variable(name))
        if value:
            found[name] = default if default is not None and value == default.value else register_secret(value)
        elif default is not None:
            found[name] = default
    return found


def call_options(
    *,
    timeout: float | httpx.Timeout | None = None,
    max_retries: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_query: Mapping[str, str] | None = None,
    idempotency_key: str | bool | None = None,
    new_key: Any = None,
) -> CallOptions:
    """Validate per-call options into a :class:`CallOptions`.

    ``idempotency_key=True`` asks for a fresh key (``new_key()``), kept for every retry of this call.

    Raises:
        InvalidArgumentError: an option has the wrong type or range.
    """
    if idempotency_key is True:
        idempotency_key = str(new_key())
    elif idempotency_key is False:
        idempotency_key = None
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str) or not _HEADER_SAFE.fullmatch(idempotency_key)
    ):
        raise InvalidArgumentError(f"idempotency_key must be True or a visible-ASCII string, not {idempotency_key!r}")
    if timeout is None and max_retries is None and not extra_headers and not extra_query and not idempotency_key:
        return NO_OPTIONS
    return CallOptions(
        timeout=None if timeout is None else _timeout(timeout, InvalidArgumentError),
        max_retries=None if max_retries is None else _positive_int("max_retries", max_retries, InvalidArgumentError, 0),
        extra_headers=_string_map("extra_headers", extra_headers, InvalidArgumentError) or None,
        extra_query=_string_map("extra_query", extra_query, InvalidArgumentError) or None,
        idempotency_key=idempotency_key,
    )
