"""scripts/regenerate.py: byte-reproducible generation and a --check that names what drifted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from contract_tests.toolchain import generate
from scripts import regenerate
from tests.conftest import ROOT, copy_repo_inputs
from tests.regen import generate_package
from tests.spec_edits import NEW_PROPERTY, edit_schema

GENERATED = "generated/tokenops_client"


def _tree(base: Path) -> dict[str, bytes]:
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run_script(
    root: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "scripts" / "regenerate.py"), "--root", str(root), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.release
def test_generation_is_byte_reproducible_across_cwd_hash_seed_and_locale(tmp_path: Path) -> None:
    # The committed tree was generated from the checkout's root with the maintainer's environment; a fresh process
    # elsewhere, from another cwd, with another hash seed, locale and time zone must write the same bytes.
    copy = copy_repo_inputs(tmp_path / "deeper" / "b")
    shutil.rmtree(copy / "generated")  # written from scratch, not left in place
    env = {**os.environ, "PYTHONHASHSEED": "4242", "LC_ALL": "C", "TZ": "Asia/Shanghai"}

    result = _run_script(copy, cwd=Path("/"), env=env)

    assert result.returncode == 0, result.stderr
    tree = _tree(copy / "generated")
    assert tree == _tree(ROOT / "generated")
    assert (copy / "spec.lock.json").read_bytes() == (ROOT / "spec.lock.json").read_bytes()
    assert not any(str(tmp_path).encode() in content for content in tree.values())


def _check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = regenerate.main(["--check", "--root", str(root)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.integration
def test_check_fails_when_the_spec_gains_a_property(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = repo_copy / "openapi.yaml"
    spec.write_text(edit_schema(spec.read_text(encoding="utf-8"), *NEW_PROPERTY), encoding="utf-8")

    code, output = _check(repo_copy, capsys)

    assert code == 1
    assert f"changed: {GENERATED}/models/video_status_response.py" in output
    assert "+    quality: str | Unset = UNSET" in output
    assert "changed: spec.lock.json [spec]" in output
    assert output.rstrip().splitlines()[-1].startswith("To fix, run: make regenerate")


@pytest.mark.integration
def test_check_fails_on_a_hand_edited_generated_file(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = repo_copy / GENERATED / "client.py"
    target.write_text(target.read_text(encoding="utf-8") + "# local tweak\n", encoding="utf-8")

    code, output = _check(repo_copy, capsys)

    assert code == 1
    assert f"changed: {GENERATED}/client.py" in output
    assert "-# local tweak" in output
    assert "changed: spec.lock.json" not in output


@pytest.mark.integration
def test_check_fails_on_a_deleted_or_extra_generated_file(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / GENERATED / "errors.py").unlink()
    (repo_copy / GENERATED / "extra.py").write_text("x = 1\n", encoding="utf-8")

    code, output = _check(repo_copy, capsys)

    assert code == 1
    assert f"added (missing from the committed tree): {GENERATED}/errors.py" in output
    assert f"removed (not produced by the generator): {GENERATED}/extra.py" in output


@pytest.mark.integration
def test_check_bounds_the_diff_it_prints(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = repo_copy / GENERATED / "types.py"
    target.write_text("\n".join(f"line {i}" for i in range(500)), encoding="utf-8")

    code, output = _check(repo_copy, capsys)

    assert code == 1
    assert "more diff lines)" in output
    assert len(output.splitlines()) < 60


@pytest.mark.integration
def test_check_fails_when_the_lock_is_stale(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = repo_copy / "spec.lock.json"
    lock.write_text(lock.read_text(encoding="utf-8").replace('"0.29.1"', '"0.28.0"'), encoding="utf-8")

    code, output = _check(repo_copy, capsys)

    assert code == 1
    assert "changed: spec.lock.json [generator]" in output


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "openapi.yaml is missing"),
        ("openapi: 3.1.0\npaths: {\n  bad", "openapi.yaml is not valid YAML (line"),
        ("- just\n- a list\n", "not an OpenAPI document (top level is list)"),
        ("title: hello\n", "is not an OpenAPI 3.x document (no 'openapi' field)"),
        ("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "not an OpenAPI 3.x document (swagger: '2.0')"),
        ("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", "is not a valid OpenAPI 3.1.0 document"),
    ],
    ids=["missing", "invalid-yaml", "yaml-list", "no-openapi-field", "swagger-2", "invalid-openapi"],
)
def test_check_exits_2_with_one_line_on_bad_spec(
    repo_copy: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    spec = repo_copy / "openapi.yaml"
    if content is None:
        spec.unlink()
    else:
        spec.write_text(content, encoding="utf-8")

    code = regenerate.main(["--check", "--root", str(repo_copy)])
    captured = capsys.readouterr()

    assert code == 2
    assert captured.out == ""
    assert expected in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


@pytest.mark.integration
def test_bad_spec_exits_2_without_traceback_as_a_process(repo_copy: Path) -> None:
    (repo_copy / "openapi.yaml").write_text(": : :\n\t- nope", encoding="utf-8")

    result = _run_script(repo_copy, "--check", cwd=repo_copy)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("regenerate: error: openapi.yaml is not valid YAML")


@pytest.mark.integration
def test_write_mode_replaces_the_whole_generated_tree(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stray = repo_copy / "generated" / "stray.txt"
    stray.write_text("left behind", encoding="utf-8")
    (repo_copy / GENERATED / "client.py").write_text("broken", encoding="utf-8")

    assert regenerate.main(["--root", str(repo_copy)]) == 0
    capsys.readouterr()

    assert not stray.exists()
    assert _tree(repo_copy / "generated") == _tree(ROOT / "generated")
    assert regenerate.main(["--check", "--root", str(repo_copy)]) == 0
    assert capsys.readouterr().out == ""  # --check is quiet when in sync


def test_pinned_tools_match_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {
        name: version
        for requirement in pyproject["project"]["optional-dependencies"]["test"]
        if "==" in requirement
        for name, version in [requirement.split("==")]
    }
    for tool, version in generate.PINNED_TOOLS.items():
        assert pins[tool] == version


def test_wrong_generator_version_is_a_setup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(generate.PINNED_TOOLS, "ruff", "0.0.1")
    with pytest.raises(generate.SetupError, match=r"ruff 0\.17\.6 is installed but 0\.0\.1 is pinned"):
        generate.check_tool_versions()


def test_a_tool_that_is_not_installed_is_a_setup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(generate.PINNED_TOOLS, "tokenops-no-such-distribution", "1.0")
    with pytest.raises(generate.SetupError) as caught:
        generate.check_tool_versions()
    assert str(caught.value) == "tokenops-no-such-distribution is not installed (pinned 1.0); run: make .venv"


def test_a_missing_generator_config_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(generate.SetupError, match=f"generator-config.yaml is missing under {tmp_path}"):
        generate.generate_into(tmp_path, tmp_path)


@pytest.mark.integration
def test_a_generator_warning_is_a_setup_error_naming_the_endpoint(tmp_path: Path) -> None:
    spec = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n"
    spec += "      operationId: getA\n      responses: {'200': {description: ok}}\n"
    with pytest.raises(generate.SetupError) as caught:
        generate_package(spec, tmp_path)
    message = str(caught.value)
    assert message.startswith("openapi-python-client failed: Warning(s) encountered while generating.")
    assert "Incorrect path templating for /a/{id}" in message
    assert len(message) <= len("openapi-python-client failed: ") + 600


def test_compare_trees_says_binary_files_differ_and_bounds_the_file_list() -> None:
    committed = {f"m{index:02}.py": b"x" for index in range(25)} | {"logo.png": b"\x89PNG\xff"}
    fresh = {f"m{index:02}.py": b"y" for index in range(25)} | {"logo.png": b"\x89PNG\xfe\xfe"}
    report = generate.compare_trees(committed, fresh, "pkg/")
    assert report[:2] == ["  changed: pkg/logo.png", "    (binary content differs: 5 -> 6 bytes)"]
    assert sum(line.startswith("  changed: ") for line in report) == generate.MAX_FILES_SHOWN
    assert report[-1] == f"  ... and {26 - generate.MAX_FILES_SHOWN} more files"
    assert generate.compare_trees({}, {}, "pkg/") == []


@pytest.mark.integration
def test_without_a_changelog_regeneration_writes_no_entry(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo_copy / "CHANGELOG.md").unlink()
    version = (repo_copy / "overlays" / "tokenops" / "_version.py").read_bytes()
    spec = repo_copy / "openapi.yaml"
    spec.write_text(edit_schema(spec.read_text(encoding="utf-8"), *NEW_PROPERTY), encoding="utf-8")
    shutil.rmtree(repo_copy / "generated")  # nothing committed yet: everything is added
    assert regenerate.main(["--check", "--root", str(repo_copy)]) == 1
    assert (
        "  added (missing from the committed tree): generated/tokenops_client/__init__.py\n" in capsys.readouterr().out
    )
    assert regenerate.main(["--root", str(repo_copy)]) == 0
    assert capsys.readouterr().out == "regenerated generated/tokenops_client and spec.lock.json from openapi.yaml\n"
    assert "quality" in (repo_copy / GENERATED / "models" / "video_status_response.py").read_text(encoding="utf-8")
    assert (repo_copy / "overlays" / "tokenops" / "_version.py").read_bytes() == version
