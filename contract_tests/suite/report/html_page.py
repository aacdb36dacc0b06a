"""``conformance.html``: one self-contained page (inline CSS and SVG; no scripts, no external assets).

A verdict banner, why the run is not a pass, every finding with its evidence, curl and the response (JSON
pretty-printed, UTF-8 text as text), and the evidence tables. It reflows down to phone widths (420 px): long
words wrap, tables take the page's width, the chart scales.
"""

from __future__ import annotations

import html
from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.report.document import describe_evidence, requests_text

__all__ = ["html_report"]

_COLOURS = {
    Category.SERVER_NONCONFORMANCE: "#c0392b",
    Category.SPEC_GAP: "#9a7400",
    Category.CLIENT_INCOMPATIBILITY: "#8e44ad",
    Category.LIFECYCLE_VIOLATION: "#2c7fb8",
    Category.CLIENT_NONCONFORMANCE: "#16a085",
}
_BANNER = {"pass": "#1e7b34", "fail": "#b3261e", "inconclusive": "#8a6100", "interrupted": "#555"}
_CSS = "".join(
    (
        "*{box-sizing:border-box}",
        "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px;color:#222;",
        "overflow-wrap:anywhere}h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.2em;margin-top:1.4em}",
        "h3{display:inline;font-size:1em;margin:0}",
        ".banner{color:#fff;padding:14px 16px;border-radius:6px;font-size:1.3em;font-weight:700}",
        ".banner small{display:block;font-size:.7em;font-weight:400}",
        "table{border-collapse:collapse;margin:.6em 0;width:100%;table-layout:fixed;font-size:.9em}",
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}td.n{text-align:right}",
        "tr.fail td{background:#fbe3e0}tr.known td{background:#fdf3d8}",
        "pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}",
        ".tag{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}",
        "details{margin:.6em 0;border:1px solid #ddd;padding:.4em .8em;border-radius:4px}details.known{opacity:.8}",
        "summary{cursor:pointer}.note{color:#555}ul.reasons li{margin:.2em 0}",
        "svg{width:100%;max-width:640px;height:auto}code{overflow-wrap:anywhere}",
    )
)


def _chart(report: dict[str, Any]) -> str:
    """Inline SVG bar chart of findings by category (new solid, known pale); scales with the page."""
    counts = report["summary"]["categories"]
    top = max([1] + [c["new"] + c["known"] for c in counts.values()])
    rows = []
    for index, category in enumerate(Category):
        y = 10 + index * 34
        new, known = counts[category.value]["new"], counts[category.value]["known"]
        new_w, known_w = 260 * new / top, 260 * known / top
        colour = _COLOURS[category]
        rows.append(
            f'<text x="0" y="{y + 15}" font-size="13">{html.escape(category.label)}</text>'
            f'<rect x="180" y="{y}" width="{new_w:.1f}" height="20" fill="{colour}"/>'
            f'<rect x="{180 + new_w:.1f}" y="{y}" width="{known_w:.1f}" height="20" fill="{colour}" opacity="0.35"/>'
            f'<text x="{186 + new_w + known_w:.1f}" y="{y + 15}" font-size="13">{new} new · {known} known</text>'
        )
    height = 10 + 34 * len(Category)
    return (
        f'<svg role="img" aria-label="findings by category" viewBox="0 0 640 {height}" '
        f'preserveAspectRatio="xMinYMin meet">' + "".join(rows) + "</svg>"
    )


def _finding(finding: dict[str, Any]) -> str:
    e = html.escape
    category = Category(finding["category"])
    state = {"new": "new", "known": f"known ({finding['baseline_id']})"}.get(
        finding["status"], f"baseline entry {finding['baseline_id']} expired {finding['baseline_expires']}"
    )
    response = finding["response"] or {}
    headers = "\n".join(f"{k}: {v}" for k, v in response.get("headers", {}).items())
    evidence = "".join(f"<li>{e(line)}</li>" for line in describe_evidence(finding))
    curl = finding["request"].get("curl", "")
    opened = "open" if finding["status"] != "known" else ""
    return (
        f"<details class='finding {e(finding['status'])}' {opened}><summary>"
        f"<span class='tag' style='background:{_COLOURS[category]}'>{e(category.label)}</span> "
        f"<h3 class='finding-title'>{e(finding['title'])}</h3> · <code>{e(finding['check'])}</code> · "
        f"{e(state)} · ×{finding['occurrences']}</summary>"
        f"<p>{e(finding['operation'])} · first seen in {e(finding['phase'])}</p>"
        f"<p class='msg'>{e(finding['message'])}</p>"
        + (f"<ul>{evidence}</ul>" if evidence else "")
        + (f"<p>Reproduce:</p><pre>{e(curl)}</pre>" if curl else "")
        + (
            f"<p>Response {e(str(response.get('status_code', '')))}:</p>"
            f"<pre>{e(headers)}\n\n{e(response.get('body', ''))}</pre>"
            if response
            else ""
        )
        + "</details>"
    )


def _tables(report: dict[str, Any]) -> list[str]:
    e = html.escape
    parts = [
        "<h2>Evidence per operation</h2><table><tr><th>operation</th><th>requests</th><th>statuses</th>"
        "<th>checked 2xx bodies</th><th>key refused</th></tr>"
    ]
    for op in report["operations"]:
        statuses = ", ".join(f"{kind}: {count}" for kind, count in op["statuses"].items())
        parts.append(
            f"<tr><td><code>{e(op['operation'])}</code></td><td class='n'>{op['requests']}</td>"
            f"<td>{e(statuses)}</td><td class='n'>{op['checked_bodies']}</td>"
            f"<td class='n'>{op['auth_refused']}/{op['authenticated']}</td></tr>"
        )
    parts.append("</table>")
    if report["ids"]:
        parts.append("<table><tr><th>id</th><th>given</th><th>requests</th><th>checked bodies</th></tr>")
        for ids in report["ids"]:
            parts.append(
                f"<tr><td><code>{e(ids['parameter'])}={e(ids['value'])}</code></td>"
                f"<td>{'yes' if ids['given'] else 'created'}</td><td class='n'>{ids['requests']}</td>"
                f"<td class='n'>{ids['checked_bodies']}</td></tr>"
            )
        parts.append("</table>")
    new_cells = {(f["operation"], f["check"]) for f in report["findings"] if f["status"] != "known"}
    parts.append(
        "<h2>Checks</h2><table><tr><th>operation</th><th>check</th><th>held</th><th>failed</th><th>n/a</th></tr>"
    )
    for row in report["matrix"]:
        css = "fail" if (row["operation"], row["check"]) in new_cells else "known" if row["failed"] else ""
        parts.append(
            f"<tr class='{css}'><td><code>{e(row['operation'])}</code></td><td><code>{e(row['check'])}</code></td>"
            f"<td class='n'>{row['held']}</td><td class='n'>{row['failed']}</td>"
            f"<td class='n'>{row['not_applicable']}</td></tr>"
        )
    parts.append("</table>")
    return parts


def html_report(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    e = html.escape
    verdict, summary = report["verdict"], report["summary"]
    name = verdict["verdict"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>TokenOps conformance: {e(name.upper())}</title><style>{_CSS}</style></head><body>",
        f"<div id='verdict' class='banner {e(name)}' style='background:{_BANNER[name]}'>{e(name.upper())}"
        f"<small>{summary['new']} new, {summary['known']} known finding(s) · exit {verdict['exit_code']}</small></div>",
        "<h1>TokenOps API conformance</h1>",
        f"<p>Target: {e(report['target']['name'])} ({e(report['target']['base_url'])}) · spec {e(report['spec'])} · "
        f"started {e(report['started_at'])} · {report['duration_seconds']:.1f} s · {e(requests_text(report))}</p>",
    ]
    if verdict["reasons"]:
        heading = "Why this is not a pass" if name != "pass" else "Notes"
        parts.append(f"<h2>{heading}</h2><ul class='reasons'>")
        parts += [f"<li>{e(reason)}</li>" for reason in verdict["reasons"]]
        parts.append("</ul>")
    parts += [_chart(report), "<h2>Findings</h2>"]
    if not report["findings"]:
        parts.append("<p>None.</p>")
    parts += [_finding(finding) for finding in report["findings"]]
    parts += _tables(report)
    for title, items in (
        ("Stopped early", report["aborted"]),
        ("Errors", report["errors"]),
        ("Notes", report["notes"]),
    ):
        if items:
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li>{e(item)}</li>" for item in items) + "</ul>")
    if report["replay"]:
        parts.append(
            "<h2>Replay</h2><p class='note'>The target was the embedded mock. Recreate it with this run's jobs, "
            "then paste a curl from above:</p><pre>" + e("\n".join(report["replay"])) + "</pre>"
        )
    parts.append("<p>Categories: " + "; ".join(f"<b>{e(c.label)}</b>: {e(c.meaning)}" for c in Category) + ".</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
