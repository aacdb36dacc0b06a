"""The terminal summary: the verdict first, why, every new finding (or how many more), then where the reports are."""

from __future__ import annotations

from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.report.document import (
    describe_evidence,
    evidence_lines,
    requests_text,
    target_text,
    writes_line,
)

__all__ = ["MAX_FINDINGS_SHOWN", "terminal_lines"]

MAX_FINDINGS_SHOWN = 25


def terminal_lines(report: dict[str, Any], paths: dict[str, Any]) -> list[str]:
    """The summary printed at the end of a run (plain text; no line is cut)."""
    verdict, summary = report["verdict"], report["summary"]
    lines = [
        f"{verdict['verdict'].upper()}: {target_text(report)}, "
        f"{requests_text(report)} in {report['duration_seconds']:.1f} s (exit {verdict['exit_code']})"
    ]
    lines += [f"  why: {reason}" for reason in verdict["reasons"]]
    lines += [f"  {line}" for line in evidence_lines(report)]
    if (writes := writes_line(report)) is not None:
        lines.append(f"  {writes}")
    for category in Category:
        counts = summary["categories"][category.value]
        failing = " (fails the run)" if category.value in verdict["fail_on"] else ""
        lines.append(f"  {category.label:24} {counts['new']:3} new  {counts['known']:3} known{failing}")
    new = [f for f in report["findings"] if f["status"] != "known"]
    for finding in new[:MAX_FINDINGS_SHOWN]:
        state = "NEW" if finding["status"] == "new" else "EXPIRED"
        lines.append(
            f"  {state} {Category(finding['category']).label}: {finding['title']}: "
            f"{' '.join(finding['message'].split())} [{finding['check']}, {finding['operation']}]"
            f" ×{finding['occurrences']}"
        )
        lines += [f"      {line}" for line in describe_evidence(finding)]
        if finding["request"].get("curl"):
            lines.append(f"      {finding['request']['curl']}")
    if len(new) > MAX_FINDINGS_SHOWN:
        lines.append(
            f"  … and {len(new) - MAX_FINDINGS_SHOWN} more new finding(s): see {paths.get('markdown', 'the reports')}"
        )
    lines += [f"  stopped early: {line}" for line in report["aborted"]]
    lines += [f"  error: {line}" for line in report["errors"]]
    lines += [f"  note: {line}" for line in report["notes"]]
    lines.append("reports: " + ", ".join(str(path) for path in paths.values()))
    return lines
