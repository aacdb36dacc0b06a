"""The ``tokenops`` logger, with a filter that removes API keys from every record it handles.

``TOKENOPS_LOG=debug`` (or ``info``) sends the logger's records to stderr.
"""

from __future__ import annotations

import base64
import logging
import os
import urllib.parse
import weakref
from typing import Any

__all__ = ["logger", "register_secret", "setup_from_env"]

logger = logging.getLogger("tokenops")


class _Secret:
    """An API key held so that its repr and str never show it."""

    __slots__ = ("__weakref__", "value")

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


_secrets: weakref.WeakSet[_Secret] = weakref.WeakSet()
REDACTED = "<redacted>"


def register_secret(value: str) -> _Secret:
    """Wrap ``value`` and make the log filter scrub it (also URL- and base64-encoded) while it is alive."""
    secret = _Secret(value)
    _secrets.add(secret)
    return secret


def _forms(value: str) -> list[str]:
    raw = value.encode()
    return [value, urllib.parse.quote(value, safe=""), base64.b64encode(raw).decode(), f"Bearer {value}"]


def redact(text: str) -> str:
    """``text`` with every registered key (and its URL/base64 forms) replaced by ``<redacted>``."""
    for secret in list(_secrets):
        for form in _forms(secret.value):
            if form and form in text:
                text = text.replace(form, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so it carries no registered key. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _install_filter(target: Any) -> None:
    if not any(isinstance(existing, RedactingFilter) for existing in target.filters):
        target.addFilter(RedactingFilter())


_install_filter(logger)


def setup_from_env() -> None:
    """Honour ``TOKENOPS_LOG`` (``debug``/``info``/``warning``): attach one stderr handler, once."""
    level_name = os.environ.get("TOKENOPS_LOG", "").strip().upper()
    if level_name not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        return
    logger.setLevel(level_name)
    if not any(getattr(handler, "_tokenops", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        handler._tokenops = True  # type: ignore[attr-defined]
        _install_filter(handler)
        logger.addHandler(handler)
