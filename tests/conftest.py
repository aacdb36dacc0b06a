"""Shared fixtures: a disposable copy of the repository's spec, config and generated tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPO_INPUTS = ("openapi.yaml", "generator-config.yaml", "spec.lock.json", "upstream", "generated", "templates")


def copy_repo_inputs(dest: Path) -> Path:
    """Copy what regenerate.py reads and compares into ``dest``; return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in REPO_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copyfile(source, dest / name)
    return dest


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    return copy_repo_inputs(tmp_path / "repo")
