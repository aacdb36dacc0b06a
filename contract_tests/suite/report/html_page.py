"""``conformance.html``: one self-contained page (inline CSS; no scripts, no external assets).

A verdict banner, why the run is not a pass, the findings by category (a bar chart in plain HTML, so its labels keep
the page's type size), every finding with its evidence, curl and the response (JSON pretty-printed, UTF-8 text as
text), and the evidence tables. Readable down to phone widths (420 px): no text under 12 px, words are never broken
in the middle (identifiers break after ``/``, ``_``, ``.`` and the like; a table wider than the screen scrolls in
its own box), and nothing makes the page itself scroll sideways. Findings come heaviest first: new before known,
then by category weight, then by count.
"""

from __future__ import annotations

import html
import re
from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.report.document import describe_evidence, requests_text, target_text, writes_line

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
        "overflow-wrap:break-word;hyphens:none}h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.2em;margin-top:1.4em}",
        "h3{display:inline;font-size:1em;margin:0}",
        ".banner{color:#fff;padding:14px 16px;border-radius:6px;font-size:1.3em;font-weight:700}",
        ".banner small{display:block;font-size:.7em;font-weight:400}",
        ".scroll{overflow-x:auto;max-width:100%}",
        "table{border-collapse:collapse;margin:.6em 0;width:100%;font-size:.9em}",
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:normal}",
        "td.n{text-align:right}tr.fail td{background:#fbe3e0}tr.known td{background:#fdf3d8}",
        "pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0;font-size:13px}",
        ".tag{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}",
        "details{margin:.6em 0;border:1px solid #ddd;padding:.4em .8em;border-radius:4px}details.known{opacity:.8}",
        "summary{cursor:pointer}.note{color:#555}ul.reasons li{margin:.2em 0}",
        ".chart{display:grid;grid-template-columns:max-content 1fr;gap:6px 10px;align-items:center;margin:.8em 0}",
        ".chart .label{font-size:14px}.chart .bar{display:flex;align-items:center;gap:6px;min-width:0}",
        ".chart .new,.chart .known{display:inline-block;height:18px;border-radius:2px}.chart .known{opacity:.35}",
        ".chart .count{font-size:13px;white-space:nowrap}",
        "@media (max-width:520px){.chart{grid-template-columns:1fr}.chart .label{margin-top:4px}}",
    )
)
# Where an identifier may break across lines: after these characters, never inside a word.
_BREAK_AFTER = re.compile(r"([/_.,:=&?{}\[\]()-])")


def _text(value: object) -> str:
    """``value`` escaped for HTML, with a line-break opportunity after each separator of an identifier
    (``GET /v1/videos/{video_id}``, ``response_schema_conformance``): long names wrap at their joints."""
    return "".join(
        html.escape(piece) + ("<wbr>" if _BREAK_AFTER.fullmatch(piece) else "")
        for piece in _BREAK_AFTER.split(str(value))
        if piece
    )


def _chart(report: dict[str, Any]) -> str:
    """Findings by category as HTML bars (new solid, known pale): its labels are text at the page's size."""
    counts = report["summary"]["categories"]
    top = max([1] + [c["new"] + c["known"] for c in counts.values()])
    rows = []
    for category in sorted(Category, key=lambda c: -c.weight):
        new, known = counts[category.value]["new"], counts[category.value]["known"]
        colour = _COLOURS[category]
        rows.append(
            f"<span class='label'>{html.escape(category.label)}</span><span class='bar'>"
            f"<span class='new' style='width:{70 * new / top:.1f}%;background:{colour}'></span>"
            f"<span class='known' style='width:{70 * known / top:.1f}%;background:{colour}'></span>"
            f"<span class='count'>{new} new · {known} known</span></span>"
        )
    return "<div class='chart' role='img' aria-label='findings by category'>" + "".join(rows) + "</div>"


def _finding(finding: dict[str, Any]) -> str:
    e = html.escape
    category = Category(finding["category"])
    state = {"new": "new", "known": f"known ({finding['baseline_id']})"}.get(
        finding["status"], f"baseline entry {finding['baseline_id']} expired {finding['baseline_expires']}"
    )
    response = finding["response"] or {}
    headers = "\n".join(f"{k}: {v}" for k, v in response.get("headers", {}).items())
    evidence = "".join(f"<li>{_text(line)}</li>" for line in describe_evidence(finding))
    curl = finding["request"].get("curl", "")
    opened = "open" if finding["status"] != "known" else ""
    return (
        f"<details class='finding {e(finding['status'])}' {opened}><summary>"
        f"<span class='tag' style='background:{_COLOURS[category]}'>{e(category.label)}</span> "
        f"<h3 class='finding-title'>{_text(finding['title'])}</h3> · <code>{_text(finding['check'])}</code> · "
        f"{e(state)} · ×{finding['occurrences']}</summary>"
        f"<p>{_text(finding['operation'])} · first seen in {e(finding['phase'])}</p>"
        f"<p class='msg'>{_text(finding['message'])}</p>"
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


def _table(headers: list[str], rows: list[str]) -> str:
    """A table in its own scrolling box: wider than the screen, it scrolls there, not the page."""
    head = "".join(f"<th>{html.escape(header)}</th>" for header in headers)
    return f"<div class='scroll'><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _tables(report: dict[str, Any]) -> list[str]:
    rows = []
    for op in report["operations"]:
        if op["not_tested"]:
            rows.append(
                f"<tr class='untested'><td><code>{_text(op['operation'])}</code></td>"
                f"<td colspan='4'>not tested: {_text(op['not_tested'])}</td></tr>"
            )
            continue
        statuses = ", ".join(f"{kind}: {count}" for kind, count in op["statuses"].items())
        rows.append(
            f"<tr><td><code>{_text(op['operation'])}</code></td><td class='n'>{op['requests']}</td>"
            f"<td>{html.escape(statuses)}</td><td class='n'>{op['checked_bodies']}</td>"
            f"<td class='n'>{op['auth_refused']}/{op['authenticated']}</td></tr>"
        )
    parts = [
        "<h2>Evidence per operation</h2>",
        _table(["operation", "requests", "statuses", "checked 2xx bodies", "key refused"], rows),
    ]
    if report["ids"]:
        rows = [
            f"<tr><td><code>{_text(ids['parameter'])}={_text(ids['value'])}</code></td>"
            f"<td>{'yes' if ids['given'] else 'created'}</td><td class='n'>{ids['requests']}</td>"
            f"<td class='n'>{ids['checked_bodies']}</td></tr>"
            for ids in report["ids"]
        ]
        parts.append(_table(["id", "given", "requests", "checked bodies"], rows))
    new_cells = {(f["operation"], f["check"]) for f in report["findings"] if f["status"] != "known"}
    rows = []
    for row in report["matrix"]:
        css = "fail" if (row["operation"], row["check"]) in new_cells else "known" if row["failed"] else ""
        rows.append(
            f"<tr class='{css}'><td><code>{_text(row['operation'])}</code></td>"
            f"<td><code>{_text(row['check'])}</code></td><td class='n'>{row['held']}</td>"
            f"<td class='n'>{row['failed']}</td><td class='n'>{row['not_applicable']}</td></tr>"
        )
    parts += ["<h2>Checks</h2>", _table(["operation", "check", "held", "failed", "n/a"], rows)]
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
        f"<p>Target: {_text(target_text(report))} · spec {e(report['spec'])} · "
        f"started {_text(report['started_at'])} · {report['duration_seconds']:.1f} s · {e(requests_text(report))}</p>",
    ]
    if verdict["reasons"]:
        heading = "Why this is not a pass" if name != "pass" else "Notes"
        parts.append(f"<h2>{heading}</h2><ul class='reasons'>")
        parts += [f"<li>{_text(reason)}</li>" for reason in verdict["reasons"]]
        parts.append("</ul>")
    if (writes := writes_line(report)) is not None:
        parts.append(f"<p class='note'>{_text(writes.capitalize())}.</p>")
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
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li>{_text(item)}</li>" for item in items) + "</ul>")
    if report["replay"]:
        parts.append(
            "<h2>Replay</h2><p class='note'>The target was the embedded mock. Recreate it with this run's jobs, "
            "then paste a curl from above:</p><pre>" + e("\n".join(report["replay"])) + "</pre>"
        )
    parts.append("<p>Categories: " + "; ".join(f"<b>{e(c.label)}</b>: {e(c.meaning)}" for c in Category) + ".</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
