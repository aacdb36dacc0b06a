"""Import-surface drift: what regenerating from a candidate spec breaks for `from tokenops_client... import`."""

from __future__ import annotations

from pathlib import Path

import griffe
import pytest

from contract_tests.toolchain import diff
from contract_tests.toolchain.surface import compare_packages, overlay_imports, package_surface
from scripts import spec_diff
from tests.conftest import ROOT
from tests.spec_edits import PAGE, edit_schema, schema_span

GENERATED = ROOT / "generated" / "tokenops_client"
MODEL = "tokenops_client.models.video_status_response.VideoStatusResponse"


@pytest.mark.integration  # griffe reads a package with git calls
def test_committed_surface_has_modules_classes_functions_attributes_members() -> None:
    surface = package_surface(GENERATED, "tokenops_client")
    assert surface["tokenops_client.api.default.get_video_status"] == "module"
    assert surface["tokenops_client.api.default.get_video_status.sync"] == "function(video_id, *, client)"
    assert surface[MODEL] == "class"
    assert surface[f"{MODEL}.seconds"] == "attribute: str | Unset"
    assert surface["tokenops_client.models.video_status_response_status.VideoStatusResponseStatus.COMPLETED"] == (
        "member = 'completed'"
    )
    assert surface["tokenops_client.models.VideoStatusResponse"].startswith("re-export of")
    assert surface["tokenops_client.types.UNSET"] == "attribute: Unset"


@pytest.mark.integration
def test_every_overlay_import_exists_in_the_committed_surface() -> None:
    surface = package_surface(GENERATED, "tokenops_client")
    imports = overlay_imports(ROOT / "overlays" / "tokenops", "tokenops_client")
    assert "tokenops_client.models.VideoStatusResponse" in imports
    assert [name for name in imports if name not in surface] == []


def _package(root: Path, module: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from .m import C, f\n", encoding="utf-8")
    (root / "pkg" / "m.py").write_text(module, encoding="utf-8")
    return root / "pkg"


@pytest.mark.integration  # griffe reads a package with git calls
def test_compare_packages_classifies_removals_signatures_and_additions(tmp_path: Path) -> None:
    old = _package(tmp_path / "old", "class C:\n    x: int\n\ndef f(a, *, b): ...\ndef g(a): ...\ndef k(a, b=1): ...\n")
    new = _package(
        tmp_path / "new",
        "class C:\n    pass\n\ndef f(a, *, b, c): ...\ndef g(a, b=None): ...\ndef h(): ...\ndef k(a, b=2): ...\n",
    )
    changes = {(c.symbol, c.rule, c.severity) for c in compare_packages(old, new)}
    assert changes == {
        ("pkg.m.C.x", "import-symbol-removed", "breaking"),
        ("pkg.m.f", "import-signature-changed", "breaking"),  # a new required keyword
        ("pkg.m.h", "import-symbol-added", "info"),
        ("pkg.m.k", "import-default-changed", "warning"),
    }  # pkg.m.g gained an optional parameter: compatible, not reported


def _candidate(tmp_path: Path, text: str) -> Path:
    """The committed spec changed as ``text`` says (the surface diff compares with the committed generated/)."""
    assert text != (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text, encoding="utf-8")
    return candidate


@pytest.mark.integration
def test_removed_property_breaks_attribute_access(tmp_path: Path) -> None:
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    start, end = schema_span(text, "VideoStatusResponse") or (0, 0)
    seconds = text[text.index("        seconds:\n", start, end) : text.index("        size:\n", start, end)]
    candidate = _candidate(tmp_path, edit_schema(text, "VideoStatusResponse", seconds, ""))
    changes = diff.surface_changes(candidate)
    assert {
        "rule": "import-symbol-removed",
        "severity": "breaking",
        "location": f"{MODEL}.seconds",
        "where": f"{MODEL}.seconds",
        "message": "attribute removed: `.seconds` breaks",
    } in changes


@pytest.mark.integration
def test_renamed_operation_breaks_imports_and_the_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert text.count("operationId: getVideoStatus") == 1
    candidate = _candidate(tmp_path, text.replace("operationId: getVideoStatus", "operationId: retrieveVideo"))
    assert spec_diff.main([str(ROOT / "openapi.yaml"), str(candidate)]) == 1
    out = capsys.readouterr().out
    assert "BREAKING operation-id-changed" in out
    assert "BREAKING import-symbol-removed  tokenops_client.api.default.get_video_status" in out
    assert "`from tokenops_client.api.default import get_video_status` breaks" in out
    assert "BREAKING overlay-import-broken  tokenops_client.api.default.get_video_status" in out
    assert "INFO     import-symbol-added  tokenops_client.api.default.retrieve_video" in out


@pytest.mark.integration
def test_unchanged_spec_has_no_surface_changes() -> None:
    assert diff.surface_changes(ROOT / "openapi.yaml") == []


@pytest.mark.integration
def test_a_docs_page_as_the_candidate_is_regenerated_from_its_fenced_block(tmp_path: Path) -> None:
    text = (ROOT / PAGE).read_text(encoding="utf-8")
    start, end = schema_span(text, "VideoStatusResponse") or (0, 0)
    seconds = text[text.index("        seconds:\n", start, end) : text.index("        size:\n", start, end)]
    page = tmp_path / "get-video-status.md"
    page.write_text(edit_schema(text, "VideoStatusResponse", seconds, ""), encoding="utf-8")
    report = diff.compare(ROOT / "openapi.yaml", page, surface=True)
    rules = {(change["rule"], change["location"]) for change in report.changes}
    assert ("import-symbol-removed", f"{MODEL}.seconds") in rules  # the page's spec was generated, not the .md
    assert any(rule.startswith("response-body-property-removed") and at.endswith("/seconds") for rule, at in rules)


def test_every_kind_of_breakage_griffe_reports_has_a_rule() -> None:
    # A griffe upgrade that adds a kind fails here, not with a KeyError in the middle of a diff.
    from contract_tests.toolchain.surface import _BREAKAGE_RULES, SURFACE_RULES  # noqa: PLC0415

    assert set(_BREAKAGE_RULES) == set(griffe.BreakageKind)
    assert set(_BREAKAGE_RULES.values()) <= set(SURFACE_RULES)
