"""The shipped GitHub workflow parses and runs commands that exist in this repository."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def test_workflow_jobs_and_commands() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "contract.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert set(jobs) == {"drift", "conformance-mock", "conformance-live"}
    assert "schedule" in workflow[True]  # YAML 1.1 reads the `on:` key as True
    commands = "\n".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"make (\w+)", commands):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    for script in re.findall(r"scripts/\w+\.py", commands):
        assert (ROOT / script).is_file(), script
    assert "GITHUB_STEP_SUMMARY" in commands
    assert jobs["conformance-live"]["env"]["TOKENOPS_API_KEY"] == "${{ secrets.TOKENOPS_API_KEY }}"
