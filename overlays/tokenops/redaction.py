"""Secret redaction: the one seam the client, the contract suite and the tools use to keep keys out of output.

Register a secret once (the clients do it for their API key); from then on :func:`redact` replaces it, and
its URL-encoded, base64 and ``Bearer`` forms, with ``<redacted>`` in any text, and a :class:`RedactingFilter`
on a logger or handler does the same to every record. Registration holds the secret weakly: when the
:class:`Secret` returned is garbage-collected, the key stops being scrubbed.

>>> from tokenops.redaction import redact, register_secret
>>> secret = register_secret("sk-example-123")
>>> redact("Authorization: Bearer sk-example-123")
'Authorization: Bearer <redacted>'
"""

from __future__ import annotations

import base64
import logging
import urllib.parse
import weakref
from typing import Any

__all__ = [
    "PROTECTED_LOGGERS",
    "REDACTED",
    "RedactingFilter",
    "Secret",
    "protect_loggers",
    "redact",
    "redact_json",
    "register_secret",
]

REDACTED = "<redacted>"


def _forms(value: str) -> list[str]:
    raw = value.encode()
    return [value, urllib.parse.quote(value, safe=""), base64.b64encode(raw).decode(), f"Bearer {value}"]


class Secret:
    """A secret held so that its ``repr`` and ``str`` never show it; ``.value`` is the secret itself."""

    __slots__ = ("__weakref__", "forms", "value")

    def __init__(self, value: str) -> None:
        self.value = value
        # What :func:`redact` looks for, computed once: it runs on every log record and every report line.
        self.forms = tuple(form for form in dict.fromkeys(_forms(value)) if form)

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


_secrets: weakref.WeakSet[Secret] = weakref.WeakSet()


def register_secret(value: str) -> Secret:
    """Wrap ``value`` and scrub it (plain, URL-encoded, base64, ``Bearer``) from output while the result lives.

    The first registration also puts a :class:`RedactingFilter` on the loggers that see requests
    (:func:`protect_loggers`): httpx logs every request line at INFO, query string and all.

    Args:
        value: the secret, e.g. an API key.

    Returns:
        The :class:`Secret`; keep a reference for as long as the secret must be scrubbed.
    """
    secret = Secret(value)
    _secrets.add(secret)
    if not _protected:
        protect_loggers()
    return secret


# Loggers that see URLs, headers or bodies. A filter on a logger does not apply to its children's records, so
# httpcore's are named one by one (and any child that exists when the filters go on is covered too).
PROTECTED_LOGGERS = (
    "tokenops",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "urllib3.connectionpool",
    "contract_tests",
    "schemathesis",
    "uvicorn.error",
    "uvicorn.access",
)
_protected: set[str] = set()


def protect_loggers(names: tuple[str, ...] = PROTECTED_LOGGERS) -> None:
    """Put a :class:`RedactingFilter` on each logger named (and the existing children of each), once.

    Args:
        names: logger names; default :data:`PROTECTED_LOGGERS`.
    """
    existing = [name for name in logging.root.manager.loggerDict if isinstance(name, str)]
    for name in (*names, *(child for child in existing for parent in names if child.startswith(parent + "."))):
        if name in _protected:
            continue
        target = logging.getLogger(name)
        if not any(isinstance(found, RedactingFilter) for found in target.filters):
            target.addFilter(RedactingFilter())
        _protected.add(name)


def redact(text: str) -> str:
    """``text`` with every registered secret (and its encoded forms) replaced by ``<redacted>``.

    Args:
        text: any text.

    Returns:
        The scrubbed text (``text`` itself when it holds no secret).
    """
    for secret in list(_secrets):
        for form in secret.forms:
            if form in text:
                text = text.replace(form, REDACTED)
    return text


def redact_json(value: Any) -> Any:
    """A copy of a decoded JSON value with registered secrets scrubbed from every string, keys included.

    Args:
        value: a value as ``json.loads`` returns it.

    Returns:
        The scrubbed copy.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(key)): redact_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so it carries no registered secret. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
