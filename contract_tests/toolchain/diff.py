"""The classified spec diff plus the generated import-surface diff, rendered (``scripts/spec_diff.py`` is its CLI).

Each change has a stable rule id (:mod:`contract_tests.toolchain.rules`), a severity and a JSON location.
:func:`surface_changes` regenerates a candidate spec into a temporary directory and compares the public
import surface of ``tokenops_client`` with the committed ``generated/`` (plus every name the ``tokenops``
overlay imports from it): what ``from tokenops_client... import ...`` or attribute access would break.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs

from contract_tests._paths import REPO_ROOT
from contract_tests.toolchain.load import load_pair
from contract_tests.toolchain.rules import SEVERITIES, describe, diff_documents
from contract_tests.toolchain.surface import compare_packages, overlay_imports, package_surface, record

ROOT = REPO_ROOT
FORMATS = ("text", "markdown", "json", "junit", "github")


def surface_report(candidate: Path, root: Path = ROOT) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Regenerate ``candidate`` in a temp dir; its import-surface changes against the committed ``generated/``,
    and its surface (``surface.package_surface``).

    Raises:
        SpecError, contract_tests.toolchain.generate.SetupError: the candidate cannot be generated.
    """
    from contract_tests.toolchain import generate as regenerate  # noqa: PLC0415 - only this path needs the generator

    with tempfile.TemporaryDirectory(prefix="tokenops-surface-") as tmp:
        work = Path(tmp)
        shutil.copyfile(candidate, work / "openapi.yaml")
        shutil.copyfile(root / regenerate.CONFIG_FILE, work / regenerate.CONFIG_FILE)
        if (root / regenerate.TEMPLATES_DIR).is_dir():
            shutil.copytree(root / regenerate.TEMPLATES_DIR, work / regenerate.TEMPLATES_DIR)
        out = work / "out"
        out.mkdir()
        regenerate.check_tool_versions()
        fresh_dir = regenerate.generate_into(work, out)
        fresh = package_surface(fresh_dir, regenerate.PACKAGE)
        committed_dir = root / regenerate.GENERATED_DIR / regenerate.PACKAGE
        found = compare_packages(committed_dir, fresh_dir)
    changes = [record(c) for c in found]
    for name, where in sorted(overlay_imports(root / "overlays" / "tokenops", regenerate.PACKAGE).items()):
        if name not in fresh:
            changes.append(
                {
                    "rule": "overlay-import-broken",
                    "severity": "breaking",
                    "location": name,
                    "where": name,
                    "message": f"overlays/tokenops/{where} imports {name}, which would no longer exist",
                }
            )
    return changes, fresh


def surface_changes(candidate: Path, root: Path = ROOT) -> list[dict[str, str]]:
    """Regenerate ``candidate`` in a temp dir; compare its import surface with the committed one.

    Raises:
        SpecError, contract_tests.toolchain.generate.SetupError: the candidate cannot be generated.
    """
    return surface_report(candidate, root)[0]


@attrs.frozen
class Report:
    """The changes (dicts with rule, severity, location, where, message) and what loading tolerated."""

    changes: list[dict[str, str]]
    warnings: list[str] = attrs.field(factory=list)


def _line(change: dict[str, str]) -> str:
    where = change.get("where") or change["location"]
    return f"{change['severity'].upper():8} {change['rule']}  {where}: {change['message']}"


def render(report: Report, fmt: str, fail_on: str, new_name: str) -> str:
    """The report as ``text``, ``markdown``, ``json``, ``junit`` or ``github`` (workflow commands)."""
    changes = report.changes
    failing = SEVERITIES.index(fail_on)
    counts = {severity: sum(1 for c in changes if c["severity"] == severity) for severity in SEVERITIES}
    summary = f"{counts['breaking']} breaking, {counts['warning']} warning, {counts['info']} info"
    if fmt == "json":
        return json.dumps(
            {"summary": counts, "changes": changes, "warnings": report.warnings}, indent=2, ensure_ascii=False
        )
    if fmt == "markdown":
        lines = [f"### Spec diff: {summary}", "", "| severity | rule | where | change |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {c['severity']} | `{c['rule']}` | {c.get('where') or c['location']} | {c['message']} |" for c in changes
        ]
        lines += [f"> note: {warning}" for warning in report.warnings]
        return "\n".join(lines)
    if fmt == "github":
        level = {"breaking": "error", "warning": "warning", "info": "notice"}
        lines = [
            f"::{level[c['severity']]} file={new_name},title={c['rule']}::{c.get('where') or c['location']}: "
            + c["message"]
            for c in changes
        ]
        lines += [f"::notice title=spec-diff input::{warning}" for warning in report.warnings]
        return "\n".join(lines) or f"::notice title=spec-diff::no changes ({summary})"
    if fmt == "junit":
        suite = ET.Element("testsuite", name="spec-diff", tests=str(len(changes) or 1))
        failures = 0
        for change in changes or [{"rule": "no-changes", "severity": "info", "location": "/", "message": "none"}]:
            case = ET.SubElement(
                suite, "testcase", classname=change["rule"], name=change.get("where") or change["location"]
            )
            if SEVERITIES.index(change["severity"]) >= failing and change["rule"] != "no-changes":
                failures += 1
                ET.SubElement(case, "failure", message=change["message"], type=change["severity"])
        suite.set("failures", str(failures))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)
    lines = [_line(change) for change in changes]
    lines += [f"note: {warning}" for warning in report.warnings]
    return "\n".join([*lines, f"spec diff: {summary}"])


def compare(old_path: Path, new_path: Path, *, surface: bool = True, root: Path = ROOT, strict: bool = False) -> Report:
    """Every change from ``old_path`` to ``new_path`` (specs or docs pages), plus the surface diff if asked.

    Args:
        old_path: the baseline document.
        new_path: the candidate document.
        surface: also regenerate the candidate and compare the generated import surface.
        root: the checkout whose ``generated/`` and ``overlays/`` the surface diff compares with.
        strict: refuse documents that are not valid OpenAPI instead of reporting warnings.

    Raises:
        SpecError: either document is unreadable (or, ``strict``, invalid).
        contract_tests.toolchain.generate.SetupError: the candidate cannot be generated (surface diff only).
    """
    old, new = load_pair(old_path, new_path, strict=strict)
    changes = [
        {
            "rule": c.rule,
            "severity": c.severity,
            "location": c.location,
            "where": describe(c.location),
            "message": c.message,
        }
        for c in diff_documents(old.document, new.document)
    ]
    if surface and old.document != new.document:
        with tempfile.TemporaryDirectory(prefix="tokenops-candidate-") as tmp:
            source = new_path
            if source.suffix == ".md":
                from contract_tests.toolchain.spec import extract_fenced_block  # noqa: PLC0415

                source = Path(tmp) / "openapi.yaml"
                source.write_text(extract_fenced_block(new_path.read_text(encoding="utf-8")), encoding="utf-8")
            changes += surface_changes(source, root)
    return Report(changes, [*old.warnings, *new.warnings])


def fails(report: Report, fail_on: str) -> bool:
    """True when a change is at or above the ``fail_on`` severity."""
    threshold = SEVERITIES.index(fail_on)
    return any(SEVERITIES.index(change["severity"]) >= threshold for change in report.changes)
