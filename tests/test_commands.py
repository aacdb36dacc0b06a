"""The tools' console scripts check their extra first (contract_tests/_commands.py): what each extra needs, read
from the package's metadata, and the one line a user gets without it. The fresh-venv proof is in test_packaging.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from contract_tests import _commands

REQUIRES = [
    "httpx>=0.27,<1",
    "rich>=13; extra == 'cli'",
    'starlette==1.10.0; extra == "mock"',
    'uvicorn[standard]==0.54.0; extra == "mock"',
    'tokenops[cli,mock]; extra == "contract"',
    'schemathesis==4.32.5; extra == "contract"',
    'tokenops[contract]; extra == "test"',
    'ruff==0.17.6; extra == "test"',
]


def test_an_extra_needs_its_own_distributions_and_those_of_the_extras_it_names() -> None:
    assert _commands._requirements("mock", REQUIRES, set()) == ["starlette", "uvicorn"]
    assert _commands._requirements("contract", REQUIRES, set()) == ["rich", "starlette", "uvicorn", "schemathesis"]
    assert "ruff" not in _commands._requirements("contract", REQUIRES, set())
    assert _commands._requirements("test", REQUIRES, set())[-1] == "ruff"


def test_the_development_install_has_every_extra_it_runs() -> None:
    assert _commands.missing("mock") == []
    assert _commands.missing("contract") == []


def test_without_the_extra_the_script_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_commands, "missing", lambda extra: ["schemathesis"] if extra == "contract" else [])
    monkeypatch.setattr(sys, "argv", ["tokenops-conformance", "--help"])
    with pytest.raises(SystemExit) as exited:
        _commands.conformance()
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "tokenops-conformance needs the contract extra: pip install 'tokenops[contract]' (missing: schemathesis)\n"
    )


def test_a_module_missing_at_import_is_the_extra_too_when_there_is_no_metadata(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def load() -> None:
        raise ModuleNotFoundError("No module named 'starlette'", name="starlette")

    assert _commands._run("tokenops-mock", "mock", load) == 2  # type: ignore[arg-type]
    assert capsys.readouterr().err.startswith("tokenops-mock needs the mock extra: pip install 'tokenops[mock]'")

    def broken() -> None:
        raise ModuleNotFoundError("No module named 'contract_tests.mock._gone'", name="contract_tests.mock._gone")

    with pytest.raises(ModuleNotFoundError):  # a module of ours missing is a broken install, not an extra
        _commands._run("tokenops-mock", "mock", broken)  # type: ignore[arg-type]


@pytest.mark.integration  # a fresh interpreter: this one has imported the mock already
def test_python_m_the_mock_without_its_extra_names_the_extra() -> None:
    # `python -m contract_tests.mock` is a documented command line: without starlette it must say which extra.
    code = (
        "import runpy, sys; sys.modules['starlette'] = None; sys.argv = ['contract_tests.mock', '--help'];"
        " runpy.run_module('contract_tests.mock', run_name='__main__', alter_sys=True)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "ModuleNotFoundError: contract_tests.mock needs the mock extra: pip install 'tokenops[mock]'"
        " (missing: starlette)"
    )
