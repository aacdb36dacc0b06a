"""The shipped GitHub workflow parses and runs commands that exist in this repository."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT


def test_workflow_jobs_and_commands() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "contract.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert set(jobs) == {"test", "drift", "conformance-mock", "conformance-live"}
    assert "schedule" in workflow[True]  # YAML 1.1 reads the `on:` key as True
    commands = "\n".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"make (\w+)", commands):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    for script in re.findall(r"scripts/\w+\.py", commands):
        assert (ROOT / script).is_file(), script
    assert "GITHUB_STEP_SUMMARY" in commands
    assert jobs["conformance-live"]["env"]["TOKENOPS_API_KEY"] == "${{ secrets.TOKENOPS_API_KEY }}"

    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])


@functools.cache
def _workflow_validator() -> jsonschema.Draft7Validator:
    """The schema check-jsonschema vendors (loading it costs more than validating a workflow: once a process)."""
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "github-workflows.json"
    return jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8")))


def _workflow_schema_errors(text: str) -> list[str]:
    """What `make lint`'s `check-jsonschema --builtin-schema vendor.github-workflows` checks, in-process."""
    validator = _workflow_validator()
    document = yaml.safe_load(text)
    if isinstance(document, dict) and True in document:  # YAML 1.1 reads `on:` as True; GitHub (YAML 1.2) does not
        document["on"] = document.pop(True)
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("mistake", "fixed"),
    [("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"), ("timeout-minutes: 30", "timeout-minutes: soon")],
)
def test_the_schema_check_rejects_a_broken_workflow(mistake: str, fixed: str) -> None:
    text = (ROOT / ".github" / "workflows" / "contract.yml").read_text(encoding="utf-8")
    assert mistake in text
    assert _workflow_schema_errors(text.replace(mistake, fixed, 1)) != []
