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
    assert "tokenops_client/openapi.json" in names  # the client's spec model (tokenops.spec.bundled)
    assert "contract_tests/_bundled/schemathesis.toml" in names
    assert not any(name.startswith("tests/") or "/test_" in name for name in names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Vendor API documentation, https://docs-model.skyengine.com.cn/llms.txt" in metadata
    assert "tokenops.github.io" not in metadata  # no site or repository that does not exist
    assert "github.com/tokenops" not in metadata
    for extra in ("cli", "mock", "contract", "aiohttp"):
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


@pytest.mark.parametrize(
    ("script", "extra", "missing"),
    [("tokenops-mock", "mock", "starlette"), ("tokenops-conformance", "contract", "schemathesis")],
)
def test_a_tool_without_its_extra_says_which_in_one_line(
    base_install: Path, tmp_path: Path, script: str, extra: str, missing: str
) -> None:
    for args in (["--help"], []):
        done = subprocess.run(
            [str(base_install / script), *args],
            cwd=tmp_path,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"{script} needs the {extra} extra: pip install 'tokenops[{extra}]' (missing: ")
        assert missing in line
        assert done.stdout == ""
        assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_cli_extra_brings_rich(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path, f"tokenops[cli] @ {dist['wheel'].as_uri()}")
    _run([str(bin_dir / "python"), "-c", "import rich.progress"], cwd=tmp_path)


def test_the_mock_extra_serves_the_api(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path, f"tokenops[mock] @ {dist['wheel'].as_uri()}")
    assert "usage: tokenops-mock" in _run([str(bin_dir / "tokenops-mock"), "--help"], cwd=tmp_path)
    conformance = subprocess.run(
        [str(bin_dir / "tokenops-conformance"), "--help"], env=_clean_env(), capture_output=True, text=True, check=False
    )
    assert conformance.returncode == 2
    assert conformance.stderr.startswith("tokenops-conformance needs the contract extra: ")
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
        _wait_for(f"http://127.0.0.1:{port}", bin_dir, tmp_path)
        call = (
            "from tokenops import TokenOps\n"
            f"with TokenOps(api_key='sk-packaged', base_url='http://127.0.0.1:{port}') as client:\n"
            "    print(client.videos.retrieve('video_failed_demo').status)\n"
        )
        assert _run([str(bin_dir / "python"), "-c", call], cwd=tmp_path, env=_clean_env()).strip() == "failed"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def contract_install(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel with the contract extra in a fresh venv: its bin/."""
    return _venv(tmp_path_factory.mktemp("contract"), f"tokenops[contract] @ {dist['wheel'].as_uri()}")


def test_the_contract_extra_runs_a_conformance_run_outside_the_repository(
    contract_install: Path, tmp_path: Path, server: str
) -> None:
    bin_dir = contract_install
    # The wheel's spec diff (the import-surface half included) has what it imports.
    _run(
        [str(bin_dir / "python"), "-c", "import contract_tests.toolchain.surface, contract_tests.toolchain.diff"],
        cwd=tmp_path,
    )
    assert "usage: tokenops-conformance" in _run([str(bin_dir / "tokenops-conformance"), "--help"], cwd=tmp_path)
    env = _clean_env(TOKENOPS_API_KEY=SERVER_KEY)
    # Small (2 examples per phase, 1 checked body per operation): this is about the installed wheel running a real
    # conformance run with its bundled spec, not about the suite's depth (tests/test_conformance*.py).
    command = [str(bin_dir / "tokenops-conformance"), "--target", server, "--quiet", "--max-examples", "2"]
    command += ["--min-checked", "1"]
    _run([*command, "--report-dir", str(tmp_path / "reports")], cwd=tmp_path, env=env)
    assert (tmp_path / "reports" / "conformance.json").is_file()


def test_the_printed_accept_command_works_from_the_wheel(contract_install: Path, tmp_path: Path) -> None:
    """A failing run against a broken server prints the command that accepts its findings; pasted into a shell it
    writes the baseline into the current directory (never the installed package) and the next run passes."""
    bin_dir = contract_install
    port = free_port()
    log = (tmp_path / "mock.log").open("wb")
    mock = [str(bin_dir / "tokenops-mock"), "--port", str(port), "--api-key", "sk-accept", "--quiet"]
    server = subprocess.Popen(
        [*mock, "--fault", "wrong_content_type,every=3"], cwd=tmp_path, env=_clean_env(), stdout=log, stderr=log
    )
    env = _clean_env(TOKENOPS_API_KEY="sk-accept", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    command = ["tokenops-conformance", "--target", f"http://127.0.0.1:{port}", "--max-examples", "3"]
    command += ["--min-checked", "1", "--quiet"]
    try:
        _wait_for(f"http://127.0.0.1:{port}", bin_dir, tmp_path)
        failed = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr[-2000:]
        last = failed.stdout.strip().splitlines()[-1]
        accept = last.split("accept them: ", 1)[1].split(" (then review", 1)[0]
        assert accept.startswith("tokenops-conformance --target ")
        accepted = subprocess.run(
            ["bash", "-c", accept], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert accepted.returncode == 0, accepted.stdout[-3000:] + accepted.stderr[-2000:]
        assert accepted.stdout.startswith("baseline conformance-baseline.json: ")
        assert "\nPASS: " in accepted.stdout
        assert (tmp_path / "conformance-baseline.json").is_file()
        site = Path(
            _run([str(bin_dir / "python"), "-c", "import contract_tests; print(contract_tests.__file__)"], cwd=tmp_path)
        ).parent
        assert not list(site.rglob("*baseline*.json"))
        again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert again.returncode == 0, again.stdout[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_for(base: str, bin_dir: Path, cwd: Path) -> None:
    """Wait until the mock at ``base`` answers (30 s at most)."""
    poll = (
        "import sys, time, httpx\n"
        "deadline = time.monotonic() + 30\n"
        "while True:\n"
        "    try:\n"
        f"        httpx.get('{base}/_mock/clock', timeout=1); break\n"
        "    except httpx.TransportError:\n"
        "        if time.monotonic() > deadline: sys.exit('mock did not start')\n"
        "        time.sleep(0.1)\n"
    )
    _run([str(bin_dir / "python"), "-c", poll], cwd=cwd)
