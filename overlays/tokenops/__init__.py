"""The ergonomic, forward-compatible client for the TokenOps AI video API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
