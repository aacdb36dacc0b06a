"""``conformance.md``: the verdict, why, every new finding with its evidence and a curl, and the evidence tables.

It fits a CI step summary (``$GITHUB_STEP_SUMMARY``); nothing is cut (every finding is listed).
"""

from __future__ import annotations

from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.report.document import describe_evidence, requests_text, target_text, writes_line

__all__ = ["VERDICT_ICONS", "markdown"]

VERDICT_ICONS = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️", "interrupted": "⏹️"}


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _finding(index: int, finding: dict[str, Any]) -> list[str]:
    category = Category(finding["category"]).label
    state = {"new": "new", "known": f"known ({finding['baseline_id']})"}.get(
        finding["status"], f"baseline entry {finding['baseline_id']} expired {finding['baseline_expires']}"
    )
    lines = [
        f"#### {index}. {category}: {finding['title']}",
        "",
        f"- `{finding['check']}` on `{finding['operation']}` · {state} · ×{finding['occurrences']} · "
        f"first seen in {finding['phase']}",
        f"- {' · '.join(line.strip() for line in finding['message'].splitlines() if line.strip())}",
    ]
    lines += [f"- {line}" for line in describe_evidence(finding)]
    curl = (finding.get("request") or {}).get("curl")
    if curl:
        lines += ["", "```sh", curl, "```"]
    return [*lines, ""]


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    verdict = report["verdict"]
    summary = report["summary"]
    name = verdict["verdict"]
    lines = [
        f"## {VERDICT_ICONS[name]} TokenOps API conformance: {name.upper()} "
        f"({summary['new']} new, {summary['known']} known finding(s))",
        "",
        f"Target: {target_text(report)} · spec {report['spec']} · "
        f"{requests_text(report)} · {report['duration_seconds']:.1f} s · exit {verdict['exit_code']}",
        "",
    ]
    if verdict["reasons"]:
        lines += ["**Why this is not a pass:**" if name != "pass" else "**Notes:**", ""]
        lines += [f"- {reason}" for reason in verdict["reasons"]] + [""]
    if (writes := writes_line(report)) is not None:
        lines += [f"{writes.capitalize()}.", ""]
    lines += [
        f"Failing categories (`--fail-on`): {', '.join(verdict['fail_on'])} · "
        f"at least {verdict['min_checked']} checked 2xx bodies per operation (`--min-checked`)",
        "",
        "| category | new | known | meaning |",
        "| --- | ---: | ---: | --- |",
    ]
    for category in Category:
        counts = summary["categories"][category.value]
        lines.append(f"| {category.label} | {counts['new']} | {counts['known']} | {category.meaning} |")
    new = [f for f in report["findings"] if f["status"] != "known"]
    if new:
        lines += ["", "### New findings", ""]
        for index, finding in enumerate(new, 1):
            lines += _finding(index, finding)
    known = [f for f in report["findings"] if f["status"] == "known"]
    if known:
        lines += ["", "<details><summary>Known deviations (baseline)</summary>", ""]
        for index, finding in enumerate(known, 1):
            lines += _finding(index, finding)
        lines += ["</details>"]
    return "\n".join(lines + _evidence(report)) + "\n"


def _evidence(report: dict[str, Any]) -> list[str]:
    lines = ["", "### Evidence per operation", ""]
    lines += [
        "| operation | requests | statuses | checked 2xx bodies | with known deviations | key refused |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for op in report["operations"]:
        if op["not_tested"]:
            lines.append(f"| `{op['operation']}` | not tested: {_cell(op['not_tested'])} | | | | |")
            continue
        statuses = ", ".join(f"{kind}: {count}" for kind, count in op["statuses"].items())
        lines.append(
            f"| `{op['operation']}` | {op['requests']} | {statuses} | {op['checked_bodies']} | "
            f"{op['known_only_bodies']} | {op['auth_refused']}/{op['authenticated']} |"
        )
    if report["ids"]:
        lines += ["", "| id | given | requests | checked bodies | statuses |", "| --- | --- | ---: | ---: | --- |"]
        for ids in report["ids"]:
            statuses = ", ".join(f"{kind}: {count}" for kind, count in ids["statuses"].items())
            given = "yes" if ids["given"] else "created by the suite"
            lines.append(
                f"| `{ids['parameter']}={_cell(ids['value'])}` | {given} | {ids['requests']} | "
                f"{ids['checked_bodies']} | {statuses} |"
            )
    lines += ["", "<details><summary>Checks per operation</summary>", ""]
    lines += [
        "| operation | check | held | failed | not applicable | errored |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in report["matrix"]:
        lines.append(
            f"| `{row['operation']}` | `{row['check']}` | {row['held']} | {row['failed']} | "
            f"{row['not_applicable']} | {row['errored']} |"
        )
    lines += ["", "</details>"]
    for title, items in (
        ("Stopped early", report["aborted"]),
        ("Errors", report["errors"]),
        ("Notes", report["notes"]),
    ):
        if items:
            lines += ["", f"{title}:", *[f"- {item}" for item in items]]
    if report["replay"]:
        lines += ["", "Replay the curls above: start the mock with this run's jobs, then paste a curl:", "", "```sh"]
        lines += [*report["replay"], "```"]
    return lines
