"""scripts/drift.py: each layer turns red on a deliberately mutated input (green on the committed tree is `make drift`
itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import drift
from tests.spec_edits import edit_vendor_schema


@pytest.mark.integration
def test_a_changed_upstream_page_is_upstream_drift(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_vendor_schema(repo_copy, "VideoStatusResponse", "maximum: 100", "maximum: 1000")
    assert drift.main(["--root", str(repo_copy)]) == 1
    out = capsys.readouterr().out
    assert "upstream pages -> openapi.yaml                 DRIFT" in out
    assert "response-body-range-widened" in out
    assert out.rstrip().splitlines()[-1] == "To fix, run: python scripts/spec_sync.py"


@pytest.mark.integration  # the generator and griffe's git calls
def test_a_hand_edited_generated_file_is_generation_drift(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = repo_copy / "generated" / "tokenops_client" / "errors.py"
    target.write_text(target.read_text(encoding="utf-8") + "# patched\n", encoding="utf-8")
    assert drift.main(["--root", str(repo_copy)]) == 1
    out = capsys.readouterr().out
    assert "openapi.yaml -> generated/ + spec.lock.json    DRIFT" in out
    assert "changed: generated/tokenops_client/errors.py" in out
    assert out.rstrip().splitlines()[-1] == "To fix, run: make regenerate"
