"""The ``tokenops`` logger, with a filter that removes registered secrets from every record it handles.

``TOKENOPS_LOG=debug`` (or ``info``, ``warning``, ``error``) sends the logger's records to stderr: read once, when
``tokenops`` is imported (:func:`configure_from_env`, as openai reads ``OPENAI_LOG``). Nothing else here touches
logging unless asked: clients never do; the CLI's ``--debug`` calls :func:`enable`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from tokenops.redaction import RedactingFilter

__all__ = ["configure_from_env", "enable", "logger"]

logger = logging.getLogger("tokenops")


def _install_filter(target: Any) -> None:
    if not any(isinstance(existing, RedactingFilter) for existing in target.filters):
        target.addFilter(RedactingFilter())


_install_filter(logger)


def configure_from_env() -> None:
    """Honour ``TOKENOPS_LOG`` (``debug``/``info``/``warning``/``error``): see :func:`enable`. Called once, by
    ``tokenops/__init__.py``; without the variable it does nothing."""
    level_name = os.environ.get("TOKENOPS_LOG", "").strip().upper()
    if level_name in ("DEBUG", "INFO", "WARNING", "ERROR"):
        enable(level_name)


def enable(level: str) -> None:
    """Send the ``tokenops`` logger's records at ``level`` and above to stderr, through one redacting handler."""
    logger.setLevel(level)
    if not any(getattr(handler, "_tokenops", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        handler._tokenops = True  # type: ignore[attr-defined]
        _install_filter(handler)
        logger.addHandler(handler)
