"""Import-surface drift: what regenerating from a candidate spec breaks for `from tokenops_client... import`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import griffe
import pytest

from contract_tests.toolchain import diff, generate
from contract_tests.toolchain.surface import compare_packages, compare_surfaces, overlay_imports, package_surface
from scripts import spec_diff
from tests.conftest import ROOT
from tests.spec_edits import PAGE, edit_schema, schema_span

GENERATED = ROOT / "generated" / "tokenops_client"


@pytest.fixture(autouse=True, scope="module")
def _client_cache_of_this_module(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The surface diff caches generated clients under the user's cache; these tests keep theirs to themselves: in
    pytest's cache directory (``.pytest_cache``, shared by the xdist workers and kept for the next session, as the
    generator outputs of ``tests/conftest.py``; the surface cache is safe for concurrent runs and keyed by content
    and tool versions), or a temporary one with ``-p no:cacheprovider``. The test of the cache itself
    (:func:`test_generated_clients_are_cached_by_content_and_the_cache_is_bounded`) starts from an empty one."""
    cache = getattr(pytestconfig, "cache", None)
    where = cache.mkdir("surface-clients") if cache is not None else tmp_path_factory.mktemp("clients")
    patch = pytest.MonkeyPatch()
    patch.setenv(generate.CACHE_ENV, str(where))
    yield
    patch.undo()


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
        "document": "generated",
        "where": f"{MODEL}.seconds",
        "message": "attribute removed: `.seconds` breaks",
        "operations": [],
        "sites": [],
        "also": [],
    } in changes


@pytest.mark.integration
def test_renamed_operation_breaks_imports_and_the_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert text.count("operationId: getVideoStatus") == 1
    candidate = _candidate(tmp_path, text.replace("operationId: getVideoStatus", "operationId: retrieveVideo"))
    assert spec_diff.main([str(ROOT / "openapi.yaml"), str(candidate)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("spec diff: 3 breaking")
    assert (
        "BREAKING GET /v1/videos/{video_id}: operationId 'getVideoStatus' → 'retrieveVideo'  [operation-id-changed]"
        in lines
    )
    assert any(
        line.startswith(
            "BREAKING tokenops_client.api.default.get_video_status: module removed: `from tokenops_client.api"
        )
        and line.endswith("[import-symbol-removed]")
        for line in lines
    ), out
    assert any(
        line.startswith("BREAKING overlays/tokenops/_videos.py")
        and "imports tokenops_client.api.default.get_video_status" in line
        and line.endswith("[overlay-import-broken]")
        for line in lines
    ), out
    assert "INFO     tokenops_client.api.default.retrieve_video: module added  [import-symbol-added]" in lines


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


# -- the import surface of any two specs (generated with the pinned generator, cached by content) ---------------


def _pets(model: str = "Pet", *, broken: bool = False) -> str:
    """A small spec that is not this repository's: one operation returning a model (or, ``broken``, a second
    operation referring to a schema that does not exist, which the generator skips with a warning)."""
    document: dict[str, object] = {
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1"},
        "paths": {
            "/pets/{pet_id}": {
                "get": {
                    "operationId": "getPet",
                    "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                model: {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
            }
        },
    }
    if broken:
        missing = {"$ref": "#/components/schemas/Missing"}
        document["paths"]["/owners"] = {  # type: ignore[index]
            "get": {
                "operationId": "listOwners",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": missing}}}},
            }
        }
    return json.dumps(document)


@pytest.fixture
def client_cache(tmp_path: Path) -> Path:
    return tmp_path / "clients"


@pytest.mark.e2e
def test_a_renamed_model_is_an_import_break_for_any_pair_of_specs(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(_pets("Pet"), encoding="utf-8")
    (tmp_path / "new.json").write_text(_pets("Animal"), encoding="utf-8")
    report = diff.compare(tmp_path / "old.json", tmp_path / "new.json")  # the module's cache
    found = {(c["rule"], c["location"]) for c in report.changes}
    assert ("schema-renamed", "/components/schemas/Animal") in found
    assert ("import-symbol-removed", "tokenops_client.models.pet") in found  # `from ...models.pet import Pet` breaks
    assert ("import-symbol-removed", "tokenops_client.models.Pet") in found
    assert ("import-symbol-added", "tokenops_client.models.animal") in found
    renamed = next(c for c in report.changes if c["rule"] == "schema-renamed")
    assert renamed["operations"] == ["GET /pets/{pet_id}"]
    assert not any(c["rule"] == "overlay-import-broken" for c in report.changes)  # OLD is not this repository's spec


@pytest.mark.e2e
def test_generated_clients_are_cached_by_content_and_the_cache_is_bounded(
    client_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not generate.is_cached(_pets("Pet"), cache=client_cache)
    first = generate.generate_cached(_pets("Pet"), cache=client_cache)
    assert generate.is_cached(_pets("Pet"), cache=client_cache)
    again = generate.generate_cached(_pets("Pet"), cache=client_cache)
    assert (first.cached, again.cached) == (False, True)
    assert again.surface == first.surface
    assert first.package_dir.parent.name == generate.client_key(_pets("Pet"))
    assert sorted(path.name for path in client_cache.iterdir()) == [first.package_dir.parent.name]  # no staging left
    monkeypatch.setattr(generate, "CACHE_ENTRIES", 1)
    other = generate.generate_cached(_pets("Animal"), cache=client_cache)
    assert [path.name for path in client_cache.iterdir()] == [other.package_dir.parent.name]  # the older one went


@pytest.mark.e2e
def test_generator_warnings_are_notes_for_the_surface_diff_but_regenerate_refuses_them(tmp_path: Path) -> None:
    client = generate.generate_cached(_pets(broken=True))  # the module's cache: the notes are kept with the entry
    assert len(client.notes) == 1
    assert client.notes[0].startswith("WARNING parsing GET /owners")
    assert "tokenops_client.api.default.get_pet" in client.surface  # the rest was generated
    (tmp_path / "openapi.yaml").write_text(_pets(broken=True), encoding="utf-8")
    shutil.copyfile(ROOT / generate.CONFIG_FILE, tmp_path / generate.CONFIG_FILE)
    (tmp_path / "out").mkdir()
    with pytest.raises(generate.SetupError, match="openapi-python-client failed"):
        generate.generate_package(tmp_path, tmp_path / "out")


def test_compare_surfaces_follows_re_exports_to_what_they_name() -> None:
    old: dict[str, dict[str, Any]] = {
        "pkg": {"kind": "module", "description": "module"},
        "pkg.f": {"kind": "alias", "description": "re-export of pkg.m.f", "target": "pkg.m.f"},
        "pkg.m": {"kind": "module", "description": "module"},
        "pkg.m.f": {
            "kind": "function",
            "description": "function(a)",
            "params": [["a", "positional or keyword", True, None]],
        },
    }
    new = {**old, "pkg.m.f": {**old["pkg.m.f"], "params": [["b", "positional or keyword", True, None]]}}
    changes = {(c.symbol, c.rule) for c in compare_surfaces(old, new)}
    assert changes == {("pkg.m.f", "import-signature-changed")}
