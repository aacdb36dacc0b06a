"""The distributions: build the wheel and sdist, install each extra into a fresh venv outside the repository,
and run the console scripts for real (``--help`` and a real call against the mock over TCP)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from contract_tests.mock.process import free_port
from tests.conftest import ROOT, SERVER_KEY

pytestmark = pytest.mark.release  # fresh venvs: wheel, sdist and each extra installed outside the repository

UV = Path(sys.executable).parent / "uv"


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    env = _clean_env() if env is None else env
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    assert result.returncode == 0, f"{command} -> {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no venv of ours, no PYTHONPATH pointing at the checkout."""
    # PYTHONDONTWRITEBYTECODE too: a fresh venv would compile every module again at each command (seconds each).
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.pop("TOKENOPS_API_KEY", None)
    env.pop("TOKENOPS_BASE_URL", None)
    return {**env, **extra}


def _uv(command: list[str], *, cwd: Path) -> None:
    """``uv COMMAND`` from uv's cache when it holds everything (``--offline``), else from the index.

    Asking the index again costs about a second per command; only a cold cache (a fresh machine) needs it.
    """
    offline = subprocess.run(
        [str(UV), *command, "--offline"],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if offline.returncode != 0:
        _run([str(UV), *command], cwd=cwd)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    _uv(["build", "--quiet", "--out-dir", str(out), str(ROOT)], cwd=out)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def _venv(base: Path, requirement: str) -> Path:
    """A fresh venv under ``base`` (outside the repository) with ``requirement`` installed; returns its bin/."""
    venv = base / "venv"
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=base)
    _uv(["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), requirement], cwd=base)
    return venv / "bin"


def test_the_wheel_carries_the_three_packages_the_bundled_spec_and_the_metadata(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    for package in ("tokenops/__init__.py", "tokenops_client/__init__.py", "contract_tests/__init__.py"):
        assert package in names
    assert "contract_tests/_bundled/openapi.yaml" in names
    assert "contract_tests/_bundled/schemathesis.toml" in names
    assert not any(name.startswith("tests/") or "/test_" in name for name in names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Source," in metadata
    assert "Project-URL: Changelog," in metadata
    for extra in ("cli", "mock", "contract"):
        assert f"Provides-Extra: {extra}" in metadata
    for script in ("tokenops =", "tokenops-mock =", "tokenops-conformance ="):
        assert script in entry_points
    assert "rich" not in [line.split()[1] for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    with tarfile.open(dist["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for required in ("LICENSE", "openapi.yaml", "README.md", "pyproject.toml", "overlays/tokenops/__init__.py"):
        assert required in members


@pytest.fixture(scope="module")
def base_install(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, no extra, in a fresh venv: its bin/. (The wheel is installed by every extra's test.)"""
    return _venv(tmp_path_factory.mktemp("base"), str(dist["sdist"]))


def test_the_base_install_calls_the_api_without_rich(base_install: Path, tmp_path: Path, mock_server: str) -> None:
    bin_dir = base_install
    env = _clean_env(TOKENOPS_API_KEY=SERVER_KEY, TOKENOPS_BASE_URL=mock_server)
    out = _run([str(bin_dir / "tokenops"), "videos", "get", "video_completed_demo"], cwd=tmp_path, env=env)
    assert out.startswith("video_completed_demo  completed  100%")
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('rich') is not None)"
    _run([str(bin_dir / "python"), "-c", check], cwd=tmp_path)


def test_the_sdist_installs_and_runs(base_install: Path, tmp_path: Path) -> None:
    assert "usage: tokenops" in _run([str(base_install / "tokenops"), "--help"], cwd=tmp_path)


def test_the_cli_extra_brings_rich(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path, f"tokenops[cli] @ {dist['wheel'].as_uri()}")
    _run([str(bin_dir / "python"), "-c", "import rich.progress"], cwd=tmp_path)


def test_the_mock_extra_serves_the_api(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path, f"tokenops[mock] @ {dist['wheel'].as_uri()}")
    assert "usage: tokenops-mock" in _run([str(bin_dir / "tokenops-mock"), "--help"], cwd=tmp_path)
    port = free_port()
    log = (tmp_path / "mock.log").open("wb")
    server = subprocess.Popen(
        [str(bin_dir / "tokenops-mock"), "--port", str(port), "--api-key", "sk-packaged", "--quiet"],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=log,
        stderr=log,
    )
    try:
        call = (
            "import sys, time, httpx\n"
            "from tokenops import TokenOps\n"
            "deadline = time.monotonic() + 30\n"
            "while True:\n"
            "    try:\n"
            f"        httpx.get('http://127.0.0.1:{port}/_mock/clock', timeout=1); break\n"
            "    except httpx.TransportError:\n"
            "        if time.monotonic() > deadline: sys.exit('mock did not start')\n"
            "        time.sleep(0.1)\n"
            f"with TokenOps(api_key='sk-packaged', base_url='http://127.0.0.1:{port}') as client:\n"
            "    print(client.videos.retrieve('video_failed_demo').status)\n"
        )
        assert _run([str(bin_dir / "python"), "-c", call], cwd=tmp_path, env=_clean_env()).strip() == "failed"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_the_contract_extra_runs_a_conformance_run_outside_the_repository(
    dist: dict[str, Path], tmp_path: Path, server: str
) -> None:
    bin_dir = _venv(tmp_path, f"tokenops[contract] @ {dist['wheel'].as_uri()}")
    assert "usage: tokenops-conformance" in _run([str(bin_dir / "tokenops-conformance"), "--help"], cwd=tmp_path)
    env = _clean_env(TOKENOPS_API_KEY=SERVER_KEY)
    # Small (2 examples per phase, 1 checked body per operation): this is about the installed wheel running a real
    # conformance run with its bundled spec, not about the suite's depth (tests/test_conformance*.py).
    command = [str(bin_dir / "tokenops-conformance"), "--target", server, "--quiet", "--max-examples", "2"]
    command += ["--min-checked", "1"]
    _run([*command, "--report-dir", str(tmp_path / "reports")], cwd=tmp_path, env=env)
    assert (tmp_path / "reports" / "conformance.json").is_file()
