"""Conformance reports from a :class:`contract_tests.runner.RunResult`: JSON, Markdown, JUnit XML, HTML.

``conformance.json`` follows ``scripts/conformance.schema.json`` (``report_version`` is bumped on any
incompatible change). The HTML page is self-contained: inline CSS and SVG, no scripts, no external assets.
"""

from __future__ import annotations

import datetime
import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from contract_tests.categories import Category
from contract_tests.runner import Finding, RunResult

REPORT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("conformance.schema.json")
_COLOURS = {
    Category.SERVER_NONCONFORMANCE: "#c0392b",
    Category.SPEC_GAP: "#d4a017",
    Category.CLIENT_INCOMPATIBILITY: "#8e44ad",
    Category.LIFECYCLE_VIOLATION: "#2c7fb8",
}


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "category": finding.category.value,
        "status": "known" if finding.known else "new",
        "baseline_id": finding.baseline_id,
        "check": finding.check,
        "failure": finding.failure_type,
        "signature": finding.key,
        "operation": finding.operation,
        "title": finding.title,
        "message": finding.message,
        "phase": finding.phase,
        "status_code": finding.status_code,
        "occurrences": finding.occurrences,
        "request": finding.request,
        "response": finding.response,
    }


def to_json(result: RunResult, tools: dict[str, str]) -> dict[str, Any]:
    """The machine-readable report (stable schema, versioned by ``report_version``)."""
    categories = {
        category.value: {"new": result.count(category, known=False), "known": result.count(category, known=True)}
        for category in Category
    }
    return {
        "report_version": REPORT_VERSION,
        "tools": tools,
        "target": {"name": result.target, "base_url": result.base_url},
        "started_at": datetime.datetime.fromtimestamp(result.started_at, tz=datetime.UTC).isoformat(),
        "duration_seconds": round(result.duration, 3),
        "responses_checked": result.responses,
        "phases": result.phases,
        "summary": {
            "verdict": "fail" if result.new_findings else "pass",
            "new": len(result.new_findings),
            "known": len(result.findings) - len(result.new_findings),
            "categories": categories,
        },
        "matrix": [
            {"operation": operation, "check": check, "passed": cell[0], "failed": cell[1]}
            for operation, checks in sorted(result.matrix.items())
            for check, cell in sorted(checks.items())
        ],
        "findings": [_finding_json(finding) for finding in _ordered(result.findings)],
        "errors": result.errors,
        "unfinished_jobs": result.unfinished_jobs,
    }


def _ordered(findings: list[Finding]) -> list[Finding]:
    order = list(Category)
    return sorted(findings, key=lambda f: (f.known, order.index(f.category), f.check, f.key))


def markdown(report: dict[str, Any]) -> str:
    """A summary that fits a CI step summary (``$GITHUB_STEP_SUMMARY``)."""
    summary = report["summary"]
    icon = "✅" if summary["verdict"] == "pass" else "❌"
    lines = [
        f"## {icon} TokenOps API conformance: {summary['new']} new, {summary['known']} known finding(s)",
        "",
        f"Target: {report['target']['name']} · {report['responses_checked']} responses checked · "
        f"{report['duration_seconds']:.1f} s",
        "",
        "| category | new | known | meaning |",
        "| --- | ---: | ---: | --- |",
    ]
    for category in Category:
        counts = summary["categories"][category.value]
        lines.append(f"| {category.label} | {counts['new']} | {counts['known']} | {category.meaning} |")
    new = [f for f in report["findings"] if f["status"] == "new"]
    if new:
        lines += ["", "### New findings", ""]
        for finding in new[:25]:
            lines.append(
                f"- **{Category(finding['category']).label}** · `{finding['check']}` · {finding['title']}"
                f" (×{finding['occurrences']}): {(finding['message'].splitlines() or [''])[0][:200]}"
            )
            if finding["request"].get("curl"):
                lines.append(f"  `{finding['request']['curl']}`")
        if len(new) > 25:  # noqa: PLR2004
            lines.append(f"- … and {len(new) - 25} more (see conformance.html)")
    known = [f for f in report["findings"] if f["status"] == "known"]
    if known:
        lines += ["", "<details><summary>Known deviations (baseline)</summary>", ""]
        lines += [
            f"- `{f['baseline_id']}` {Category(f['category']).label}: {f['title']} ({f['signature']})" for f in known
        ]
        lines += ["", "</details>"]
    failing = [row for row in report["matrix"] if row["failed"]]
    lines += [
        "",
        f"Checks: {len(report['matrix'])} run, {len(failing)} with failures. "
        "Full matrix, requests and responses: `conformance.html`.",
    ]
    if report["errors"]:
        lines += ["", "Errors during the run:", *[f"- {error}" for error in report["errors"]]]
    return "\n".join(lines) + "\n"


def junit(report: dict[str, Any]) -> bytes:
    """JUnit XML: one test case per (operation, check) that passed, one per finding (new = failure)."""
    suite = ET.Element(
        "testsuite",
        name="tokenops-conformance",
        tests="0",
        failures=str(report["summary"]["new"]),
        skipped=str(report["summary"]["known"]),
        time=f"{report['duration_seconds']:.3f}",
    )
    count = 0
    with_findings = {(f["operation"], f["check"]) for f in report["findings"]}
    for row in report["matrix"]:
        if (row["operation"], row["check"]) not in with_findings:
            ET.SubElement(suite, "testcase", classname=row["operation"], name=row["check"])
            count += 1
    for finding in report["findings"]:
        case = ET.SubElement(
            suite, "testcase", classname=finding["operation"], name=f"{finding['check']} [{finding['signature']}]"
        )
        count += 1
        text = f"{finding['message']}\n\nReproduce: {finding['request'].get('curl', '')}"
        title = f"{Category(finding['category']).label}: {finding['title']}"
        if finding["status"] == "new":
            failure = ET.SubElement(case, "failure", message=title, type=finding["category"])
            failure.text = text
        else:
            ET.SubElement(case, "skipped", message=f"known deviation {finding['baseline_id']}: {title}")
    suite.set("tests", str(count))
    document: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document


def _chart(report: dict[str, Any]) -> str:
    """Inline SVG bar chart of findings by category (new solid, known pale)."""
    counts = report["summary"]["categories"]
    top = max([1] + [c["new"] + c["known"] for c in counts.values()])
    rows = []
    for index, category in enumerate(Category):
        y = 10 + index * 34
        new, known = counts[category.value]["new"], counts[category.value]["known"]
        new_w, known_w = 300 * new / top, 300 * known / top
        colour = _COLOURS[category]
        rows.append(
            f'<text x="0" y="{y + 15}" font-size="13">{html.escape(category.label)}</text>'
            f'<rect x="180" y="{y}" width="{new_w:.1f}" height="20" fill="{colour}"/>'
            f'<rect x="{180 + new_w:.1f}" y="{y}" width="{known_w:.1f}" height="20" fill="{colour}" opacity="0.35"/>'
            f'<text x="{186 + new_w + known_w:.1f}" y="{y + 15}" font-size="13">{new} new · {known} known</text>'
        )
    return (
        f'<svg role="img" aria-label="findings by category" width="640" height="{10 + 34 * len(Category)}">'
        + "".join(rows)
        + "</svg>"
    )


_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right}
.fail{background:#fbe3e0}.pass{background:#e6f4e6}pre{background:#f6f6f6;padding:8px;
overflow:auto;white-space:pre-wrap;word-break:break-all}.tag{display:inline-block;padding:1px 6px;border-radius:3px;
color:#fff;font-size:12px}.known{opacity:.75}details{margin:.6em 0;border:1px solid #ddd;padding:.4em .8em}
.msg{white-space:pre-wrap}.note{color:#555}"""


def _replay_note(report: dict[str, Any]) -> str:
    if not report["target"]["base_url"].startswith("http://testserver"):
        return ""
    return (
        "<p class='note'>The target was the embedded mock, in-process: to replay a <code>curl</code> below, run "
        "<code>make mock</code> and use <code>http://127.0.0.1:4010</code> instead of "
        "<code>http://testserver</code> (the mock's key: <code>$TOKENOPS_API_KEY</code>, or sk-mock-local).</p>"
    )


def html_report(report: dict[str, Any]) -> str:
    """One self-contained page: verdict, chart, operation × check matrix, every finding with curl + response."""
    e = html.escape
    summary = report["summary"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>TokenOps conformance: {summary['verdict']}</title><style>{_CSS}</style></head><body>",
        f"<h1>TokenOps API conformance: {summary['new']} new, {summary['known']} known finding(s)</h1>",
        f"<p>Target: {e(report['target']['name'])} ({e(report['target']['base_url'])}) · started "
        f"{e(report['started_at'])} · {report['duration_seconds']:.1f} s · {report['responses_checked']} "
        "responses checked</p>",
        _replay_note(report),
        _chart(report),
        "<h2>Checks</h2><table><tr><th>operation</th><th>check</th><th>passed</th><th>failed</th></tr>",
    ]
    for row in report["matrix"]:
        css = "fail" if row["failed"] else "pass"
        parts.append(
            f"<tr class='{css}'><td>{e(row['operation'])}</td><td>{e(row['check'])}</td>"
            f"<td class='n'>{row['passed']}</td><td class='n'>{row['failed']}</td></tr>"
        )
    parts.append("</table><h2>Findings</h2>")
    if not report["findings"]:
        parts.append("<p>None.</p>")
    for finding in report["findings"]:
        category = Category(finding["category"])
        state = "new" if finding["status"] == "new" else f"known ({finding['baseline_id']})"
        response = finding["response"] or {}
        headers = "\n".join(f"{k}: {v}" for k, v in response.get("headers", {}).items())
        parts.append(
            f"<details class='{finding['status']}' {'open' if finding['status'] == 'new' else ''}><summary>"
            f"<span class='tag' style='background:{_COLOURS[category]}'>{e(category.label)}</span> "
            f"<b>{e(finding['title'])}</b> · <code>{e(finding['check'])}</code> · {e(state)} · "
            f"×{finding['occurrences']}</summary><p class='msg'>{e(finding['message'])}</p>"
            f"<p>Reproduce:</p><pre>{e(finding['request'].get('curl', ''))}</pre>"
            f"<p>Response {e(str(response.get('status_code', '')))}:</p><pre>{e(headers)}\n\n"
            f"{e(response.get('body', ''))}</pre></details>"
        )
    if report["errors"]:
        parts.append("<h2>Errors</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in report["errors"]) + "</ul>")
    parts.append("<p>Categories: " + "; ".join(f"<b>{e(c.label)}</b>: {e(c.meaning)}" for c in Category) + ".</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_all(result: RunResult, directory: Path, tools: dict[str, str]) -> dict[str, Path]:
    """Write the four reports into ``directory``; returns their paths by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    report = to_json(result, tools)
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
    return paths
