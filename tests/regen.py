"""Generate a client package from any spec with this repo's pinned generator, config and templates.

For tests that need the generated code of a spec other than ``openapi.yaml`` (the issue 11 repro, the
one-of-every-shape fixture). The generated package imports itself only relatively, so it can be given any
name: a package not called ``tokenops_client`` imports next to the real one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from contract_tests.toolchain.generate import CONFIG_FILE, SPEC_FILE, TEMPLATES_DIR, generate_into
from tests.conftest import ROOT


def generate_package(spec_text: str, dest: Path, package: str = "tokenops_client") -> Path:
    """Write ``dest/<package>`` generated from ``spec_text``; return ``dest`` (the directory to import from)."""
    root, work = dest / "_inputs", dest / "_work"
    root.mkdir(parents=True)
    work.mkdir()
    (root / SPEC_FILE).write_text(spec_text, encoding="utf-8")
    shutil.copyfile(ROOT / CONFIG_FILE, root / CONFIG_FILE)
    shutil.copytree(ROOT / TEMPLATES_DIR, root / TEMPLATES_DIR)
    shutil.copytree(generate_into(root, work), dest / package)
    shutil.rmtree(root)
    shutil.rmtree(work)
    return dest
