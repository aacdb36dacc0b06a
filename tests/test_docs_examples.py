"""Every code block marked ``<!-- runnable -->`` in the README and the docs runs as printed against the mock.

A block (in the README or any page under docs/) is run in a fresh shell (no venv on ``PATH``), from the repository
root, with the mock that the docs tell users to start (``make mock``: ``http://127.0.0.1:4010``, key
``sk-mock-local``) replaced by one on a free port.
``<!-- runnable: exit=N -->`` expects exit code N instead of 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.mock.process import mock_process
from tests.conftest import ROOT

DOCS_MOCK = "http://127.0.0.1:4010"
DOCS_KEY = "sk-mock-local"
_BLOCK = re.compile(r"<!-- runnable(?:: exit=(\d+))? -->\n```(\w+)\n(.*?)\n```", re.DOTALL)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _blocks() -> list[tuple[str, str, str, int]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append((f"{page.relative_to(ROOT)}:{line}", match[2], match[3], int(match[1] or 0)))
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def docs_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("docs-mock") / "mock.log"
    with mock_process(["--api-key", DOCS_KEY, "--quiet"], log=log) as mock:
        yield mock.base_url


def test_the_readme_has_runnable_examples_of_each_kind() -> None:
    readme = [(where, language) for where, language, _, _ in BLOCKS if where.startswith("README.md")]
    assert {language for _, language in readme} == {"sh", "python"}
    assert len(readme) >= 5  # CLI, conformance against a URL, drift, sync and async client


@pytest.mark.release  # the docs' runnable blocks, each in a fresh shell, against a mock process
@pytest.mark.parametrize(("where", "language", "code", "exit_code"), BLOCKS, ids=[block[0] for block in BLOCKS])
def test_the_block_runs_as_printed(docs_mock: str, where: str, language: str, code: str, exit_code: int) -> None:
    code = code.replace(DOCS_MOCK, docs_mock)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",  # a fresh shell: the docs must say .venv/bin/... or make ...
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "TOKENOPS_BASE_URL": docs_mock,  # only used by blocks that say so; the rest name the URL themselves
    }
    if "PYTHONPATH" in os.environ:  # scripts/growth_check.py puts a grown copy's packages first
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    if language == "sh":
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    elif language == "python":
        command = [sys.executable, "-c", code]
        env.pop("TOKENOPS_BASE_URL")
    else:
        pytest.fail(f"{where}: runnable blocks are sh or python, not {language}")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == exit_code, f"{where} exited {result.returncode}:\n{output[-3000:]}"
    assert "Traceback" not in output, f"{where}:\n{output[-3000:]}"


def test_blocks_are_found_in_the_readme_only_when_marked(tmp_path: Path) -> None:
    sample = "text\n<!-- runnable: exit=3 -->\n```sh\nexit 3\n```\n\n```sh\nnot runnable\n```\n"
    assert [(m[1], m[2], m[3]) for m in _BLOCK.finditer(sample)] == [("3", "sh", "exit 3")]
