"""Where the suite finds the repository's files: the checkout it runs from, else the copies bundled in the wheel.

In a source checkout, ``openapi.yaml`` and ``schemathesis.toml`` are read from the repository root (the
vendored spec is the source of truth). An installed wheel carries copies of both under
``contract_tests/_bundled/`` (``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED_DIR", "REPO_ROOT", "config_path", "spec_path"]

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
BUNDLED_DIR = PACKAGE_DIR / "_bundled"


def _find(name: str) -> Path:
    in_checkout = REPO_ROOT / name
    if in_checkout.is_file():
        return in_checkout
    return BUNDLED_DIR / name


def spec_path() -> Path:
    """The vendored ``openapi.yaml``."""
    return _find("openapi.yaml")


def config_path() -> Path:
    """The suite's ``schemathesis.toml``."""
    return _find("schemathesis.toml")
