"""``spec.lock.json``: provenance of the vendored spec and of the generated client.

``sources`` (which upstream pages the spec came from) belongs to the spec sync; ``spec`` and ``generator``
are recomputed by ``regenerate.py`` and compared by its ``--check``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract_tests.toolchain.spec import operation_ids, sha256_file

LOCK_FILE = "spec.lock.json"
LOCK_VERSION = 1
UPSTREAM_DIR = "upstream"


class LockError(Exception):
    """``spec.lock.json`` exists but cannot be read."""


def read(root: Path) -> dict[str, Any] | None:
    """The lock under ``root``, or None when there is none.

    Raises:
        LockError: the file is not JSON, or not a JSON object.
    """
    path = root / LOCK_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LockError(f"{LOCK_FILE} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LockError(f"{LOCK_FILE} must hold a JSON object")
    return data


def _default_sources(root: Path) -> list[dict[str, str]]:
    pages = sorted((root / UPSTREAM_DIR).glob("*.md"))
    return [{"path": page.relative_to(root).as_posix(), "sha256": sha256_file(page)} for page in pages]


def build(root: Path, document: dict[str, Any], tools: dict[str, str]) -> dict[str, Any]:
    """The lock as it should be for the spec under ``root`` and the pinned ``tools``."""
    existing = read(root) or {}
    sources = existing.get("sources")
    return {
        "lock_version": LOCK_VERSION,
        "sources": sources if isinstance(sources, list) else _default_sources(root),
        "spec": {
            "path": "openapi.yaml",
            "sha256": sha256_file(root / "openapi.yaml"),
            "openapi": document["openapi"],
            "operation_ids": operation_ids(document),
        },
        "generator": {"config": "generator-config.yaml", **{name: tools[name] for name in sorted(tools)}},
    }


def dumps(lock: dict[str, Any]) -> str:
    """The lock's committed text: sorted keys, two-space indent, one final newline."""
    return json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(root: Path, lock: dict[str, Any]) -> None:
    """Write ``lock`` to ``root/spec.lock.json`` (see :func:`dumps`)."""
    (root / LOCK_FILE).write_text(dumps(lock), encoding="utf-8")


def compare(root: Path, lock: dict[str, Any]) -> list[str]:
    """Differences between the committed lock and ``lock``, one indented line each."""
    committed = read(root)
    if committed is None:
        return [f"  missing: {LOCK_FILE}"]
    problems = []
    for section in ("lock_version", "spec", "generator"):
        if committed.get(section) != lock[section]:
            problems.append(
                f"  changed: {LOCK_FILE} [{section}]: committed {json.dumps(committed.get(section), sort_keys=True)}"
                f" != expected {json.dumps(lock[section], sort_keys=True)}"
            )
    return problems
