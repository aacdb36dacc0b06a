"""The ``tokenops`` logger, with a filter that removes registered secrets from every record it handles.

``TOKENOPS_LOG=debug`` (or ``info``) sends the logger's records to stderr.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from tokenops.redaction import RedactingFilter

__all__ = ["logger", "setup_from_env"]

logger = logging.getLogger("tokenops")


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
