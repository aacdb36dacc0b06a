"""Conformance reports from a run and its verdict: JSON (the source of the others), Markdown, JUnit XML, HTML,
and the terminal summary.

``conformance.json`` follows ``conformance.schema.json`` (``report_version`` is bumped on any incompatible
change). Embedded-mock runs also write ``mock-seed.json``: the jobs the run created, for the replay command.
"""

from __future__ import annotations

import functools
import json
from importlib import metadata
from pathlib import Path

from contract_tests.suite.report.document import REPORT_VERSION, SCHEMA_PATH, SEED_FILE, to_json
from contract_tests.suite.report.html_page import html_report
from contract_tests.suite.report.junit import junit
from contract_tests.suite.report.markdown import markdown
from contract_tests.suite.report.terminal import terminal_lines
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import Decision

__all__ = [
    "REPORT_VERSION",
    "SCHEMA_PATH",
    "html_report",
    "junit",
    "markdown",
    "terminal_lines",
    "to_json",
    "tool_versions",
    "write_all",
]


def tool_versions(packages: tuple[str, ...] = ("schemathesis", "tokenops")) -> dict[str, str]:
    """The installed version of each distribution named, for a report's ``tools`` (``"not installed"`` when it is
    not); looked up once per process (a proxy rewrites its reports every few seconds)."""
    return dict(_versions(packages))


@functools.cache
def _versions(packages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    found = []
    for name in packages:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return tuple(found)


def write_all(result: RunResult, decision: Decision, directory: Path, tools: dict[str, str]) -> dict[str, Path]:
    """Write every report into ``directory``; returns their paths by kind.

    Args:
        result: the run.
        decision: its verdict.
        directory: created when missing.
        tools: tool name -> version, recorded in the JSON.

    Returns:
        ``{"json": ..., "markdown": ..., "junit": ..., "html": ...}`` (plus ``"seed"`` for embedded runs).
    """
    directory.mkdir(parents=True, exist_ok=True)
    report = to_json(result, decision, tools, report_dir=str(directory))
    paths = {
        "json": directory / "conformance.json",
        "markdown": directory / "conformance.md",
        "junit": directory / "junit.xml",
        "html": directory / "conformance.html",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    paths["junit"].write_bytes(junit(report))
    paths["html"].write_text(html_report(report), encoding="utf-8")
    if result.embedded:
        paths["seed"] = directory / SEED_FILE
        paths["seed"].write_text(json.dumps(result.created_jobs, indent=2) + "\n", encoding="utf-8")
    return paths
