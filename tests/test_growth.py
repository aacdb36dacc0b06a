"""scripts/growth_check.py: the proof of growth passes on this checkout, and it catches a hand-written change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contract_tests.toolchain.spec import extract_fenced_block, operation_ids
from scripts import growth_check
from tests.conftest import ROOT


def _operation_ids(pages: list[Path]) -> set[str]:
    return {
        operation_id
        for page in pages
        for operation_id in operation_ids(yaml.safe_load(extract_fenced_block(page.read_text(encoding="utf-8"))))
    }


def _take_pages_as_the_tools_would(copy: Path) -> None:
    """What spec_sync + regenerate write when new pages arrive (every tool-written kind of file)."""
    (copy / "upstream" / "list-videos.md").write_text("# a new vendor page\n", encoding="utf-8")
    for name in ("openapi.yaml", "spec.lock.json", "CHANGELOG.md", "overlays/tokenops/_version.py"):
        (copy / name).write_text((copy / name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (copy / "generated" / "tokenops_client" / "api" / "default" / "list_videos.py").write_text("x = 1\n")
    (copy / "generated" / "tokenops_client" / "errors.py").unlink()


@pytest.mark.integration  # copies the repository
def test_only_tool_written_files_changing_is_no_finding(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    growth_check.copy_checkout(copy)
    before = growth_check.checkout_files(copy)
    _take_pages_as_the_tools_would(copy)
    (copy / "generated" / "tokenops_client" / "__pycache__").mkdir(exist_ok=True)
    (copy / "generated" / "tokenops_client" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (copy / "reports").mkdir()
    (copy / "reports" / "conformance.json").write_text("{}", encoding="utf-8")

    assert growth_check.hand_written_changes(before, growth_check.checkout_files(copy)) == []


@pytest.mark.integration  # copies the repository
def test_a_hand_written_file_that_had_to_change_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    growth_check.copy_checkout(copy)
    before = growth_check.checkout_files(copy)
    _take_pages_as_the_tools_would(copy)
    overlay = copy / "overlays" / "tokenops" / "_videos.py"  # the resource a new endpoint would want to touch
    overlay.write_text(overlay.read_text(encoding="utf-8") + "# needed for the new page\n", encoding="utf-8")
    (copy / "tests" / "test_list_videos.py").write_text("def test_x() -> None: ...\n", encoding="utf-8")
    (copy / "templates" / "types.py.jinja").unlink()

    assert growth_check.hand_written_changes(before, growth_check.checkout_files(copy)) == sorted(
        [overlay.relative_to(copy).as_posix(), "templates/types.py.jinja", "tests/test_list_videos.py"]
    )


@pytest.mark.integration
def test_the_copy_shares_this_venv_without_make_reinstalling_into_it(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy.mkdir()
    (copy / "pyproject.toml").write_text("[project]\n", encoding="utf-8")  # written by spec_sync's version bump
    growth_check.share_venv(copy)
    venv = copy / ".venv"
    assert (venv / "bin" / "python").resolve() == Path(sys.executable).resolve()
    assert not (venv / ".installed").is_symlink()  # touching it must not touch this venv's stamp
    assert (venv / ".installed").stat().st_mtime >= (copy / "pyproject.toml").stat().st_mtime
    question = subprocess.run(
        ["make", "-q", "-f", str(ROOT / "Makefile"), ".venv/.installed"], cwd=copy, capture_output=True, check=False
    )
    assert question.returncode == 0, "make would reinstall the shared venv from the copy"
    prefix = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(prefix) == venv


@pytest.mark.release
def test_the_growth_check_passes(tmp_path: Path) -> None:
    """``growth_check.py --quick``: take the pages in a copy, no hand-written change, every operation conforms
    and is callable through the client (lint, types and the tests themselves are this suite's other tests)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "growth_check.py"), "--quick", "--max-examples", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    out = result.stdout
    assert "ok   no hand-written file changed" in out
    assert "ok   conformance: every operation, no failing finding" in out
    pages = [*(ROOT / "upstream").glob("*.md"), *growth_check.vendor_pages(growth_check.DEFAULT_PAGES)]
    operations = len(_operation_ids(pages))
    assert f"{operations} operations:" in out
    assert f"({operations} operations)" in out
    assert out.rstrip().splitlines()[-1] == "growth check: 4 of 4 steps passed"


def test_only_pages_that_embed_a_document_are_taken(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# About these pages\n\nEach embeds a ````yaml block.\n", encoding="utf-8")
    (tmp_path / "page.md").write_text("# p\n\n````yaml GET /x\nopenapi: 3.1.0\n````\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("````yaml\n````\n", encoding="utf-8")
    assert growth_check.vendor_pages([tmp_path]) == [tmp_path / "page.md"]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_tool_caches_and_outputs_are_no_part_of_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = tmp_path / "checkout"
    kept = ["openapi.yaml", "overlays/tokenops/_videos.py", "docs/guides/client.md", "tests/test_x.py"]
    left_out = [
        ".mutation/mutants/src/tokenops/_videos.py",  # make mutation: 13 MB of copies
        ".import_linter_cache/x.json",
        ".schemathesis/cache.json",
        ".pytest_cache/d/generator-outputs/k/client.py",
        "overlays/tokenops/__pycache__/_videos.cpython-311.pyc",
        ".coverage",
        ".coverage.host.4242.XyZ",  # pytest-cov's per-worker data: may vanish while the copy is made
        "reports/conformance.json",
        "site/index.html",
        "tokenops.egg-info/PKG-INFO",
    ]
    for name in kept + left_out:
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(name, encoding="utf-8")
    monkeypatch.setattr(growth_check, "ROOT", checkout)

    growth_check.copy_checkout(tmp_path / "copy")

    copied = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*") if p.is_file())
    assert copied == sorted(kept)
    assert sorted(growth_check.checkout_files(checkout)) == sorted(kept)
