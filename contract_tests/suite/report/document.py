"""``conformance.json``: the machine-readable report every other writer renders from.

It follows ``conformance.schema.json`` (``report_version`` bumps on any incompatible change). Apart from
``started_at``, ``duration_seconds`` and, for the embedded mock, the port it ran on (``target.base_url``), the same
server and spec give the same document: lists are sorted, nothing random (case ids) is in it, and the curls name
the embedded mock's replay address (``target.replay_base_url``).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.findings import Finding
from contract_tests.suite.runner import RunResult
from contract_tests.suite.verdict import Decision

__all__ = [
    "REPORT_VERSION",
    "SCHEMA_PATH",
    "SEED_FILE",
    "describe_evidence",
    "evidence_lines",
    "replay_commands",
    "target_text",
    "to_json",
    "writes_line",
]

REPORT_VERSION = 3
SCHEMA_PATH = Path(__file__).with_name("conformance.schema.json")
SEED_FILE = "mock-seed.json"  # the jobs an embedded run created, for the replay command


def _status(finding: Finding) -> str:
    if finding.known:
        return "known"
    return "expired" if finding.baseline_expired else "new"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "category": finding.category.value,
        "status": _status(finding),
        "baseline_id": finding.baseline_id,
        "baseline_expires": finding.baseline_expired,
        "check": finding.check,
        "failure": finding.failure_type,
        "signature": finding.key,
        "operation": finding.operation,
        "operations": sorted(finding.operations) or [finding.operation],
        "title": finding.title,
        "message": finding.message,
        "evidence": finding.evidence,
        "phase": finding.phase,
        "status_code": finding.status_code,
        "occurrences": finding.occurrences,
        "request": finding.request,
        "response": finding.response,
    }


def _ordered(findings: list[Finding]) -> list[Finding]:
    """New before known; then by category weight (heaviest first), then by count (most first); then stable."""
    return sorted(findings, key=lambda f: (f.known, -f.category.weight, -f.occurrences, f.operation, f.check, f.key))


def replay_commands(result: RunResult, report_dir: str) -> list[str]:
    """For an embedded run: the shell commands that recreate its mock with the same ids (curls replay there)."""
    if not result.embedded:
        return []
    args = " ".join(arg if arg.startswith("--") else f'"{arg}"' for arg in result.mock_args)  # globs stay literal
    seed = f"{report_dir.rstrip('/')}/{SEED_FILE}"
    command = f'python -m contract_tests.mock --port 4010 --api-key "${{TOKENOPS_API_KEY}}" --seed "{seed}"'
    return [
        'export TOKENOPS_API_KEY="${TOKENOPS_API_KEY:-sk-mock-local}"',
        f"{command} {args}".rstrip() + " &",
    ]


def to_json(
    result: RunResult, decision: Decision, tools: dict[str, str], *, report_dir: str = "reports"
) -> dict[str, Any]:
    """The machine-readable report (stable schema, versioned by ``report_version``)."""
    new = [f for f in result.findings if not f.known]
    categories = {
        category.value: {
            "new": sum(1 for f in new if f.category is category),
            "known": sum(1 for f in result.findings if f.known and f.category is category),
        }
        for category in Category
    }
    evidence = result.evidence
    document = {
        "report_version": REPORT_VERSION,
        "tools": tools,
        "target": {
            "name": result.target,
            "base_url": result.base_url,
            "embedded": result.embedded,
            "replay_base_url": result.replay_base_url,
        },
        "spec": result.spec,
        "started_at": datetime.datetime.fromtimestamp(result.started_at, tz=datetime.UTC).isoformat(),
        "duration_seconds": round(result.duration, 3),
        "verdict": {
            "verdict": decision.verdict.value,
            "exit_code": decision.exit_code,
            "reasons": list(decision.reasons),
            "failing": decision.failing,
            "fail_on": [category.value for category in decision.fail_on],
            "min_checked": decision.min_checked,
        },
        "summary": {
            "responses": result.responses,
            "new": len(new),
            "known": len(result.findings) - len(new),
            "categories": categories,
        },
        "operations": [
            {
                "operation": label,
                "requests": e.requests,
                "responses_checked": e.responses_checked,
                "statuses": dict(sorted(e.statuses.items())),
                "checked_bodies": e.checked_bodies,
                "known_only_bodies": e.known_only_bodies,
                "authenticated": e.authenticated,
                "auth_refused": e.auth_refused,
                "not_found": e.not_found,
                "error_answers": e.error_answers,
                "not_tested": result.not_tested.get(label),
            }
            for label in result.operations
            for e in [evidence.operation(label)]
        ],
        "not_tested": [{"operation": label, "reason": reason} for label, reason in sorted(result.not_tested.items())],
        "writes": {
            "allowed": result.writes_allowed,
            "max_writes": result.max_writes,
            "sent": result.writes_sent,
            "cut_short": sorted(result.write_capped),
        },
        "matrix": [
            {
                "operation": label,
                "check": check,
                "held": count.held,
                "failed": count.failed,
                "not_applicable": count.not_applicable,
                "errored": count.errored,
            }
            for label, op in sorted(evidence.operations.items())
            for check, count in sorted(op.checks.items())
        ],
        "ids": [
            {
                "parameter": ids.parameter,
                "value": ids.value,
                "given": ids.given,
                "requests": ids.requests,
                "checked_bodies": ids.checked_bodies,
                "statuses": dict(sorted(ids.statuses.items())),
            }
            for _key, ids in sorted(evidence.ids.items())
        ],
        "phases": {
            name: {"outcome": phase.outcome, "new_findings": phase.new, "known_findings": phase.known}
            for name, phase in sorted(result.phases.items())
        },
        "lifecycle": {
            "followed": sorted(result.lifecycle.followed),
            "finished": sorted(result.lifecycle.finished),
            "unfinished": [
                {
                    "id": item.id,
                    "last_status": item.last_status,
                    "last_progress": item.last_progress,
                    "followed_seconds": item.followed_seconds,
                }
                for item in sorted(result.lifecycle.unfinished, key=lambda item: item.id)
            ],
            "never_found": sorted(result.lifecycle.never_found),
            "polls": result.lifecycle.polls,
            "deadline_seconds": result.lifecycle.deadline,
        },
        "findings": [_finding_json(finding) for finding in _ordered(result.findings)],
        "errors": list(result.errors),
        "aborted": list(result.aborted),
        "notes": list(result.notes),
        "replay": replay_commands(result, report_dir),
        "baseline": {"file": result.baseline, "unused": list(result.baseline_unused)},
        "rate_limit_waits": result.rate_limit_waits,
    }
    if result.traffic is not None:
        document["traffic"] = result.traffic
    return document


def target_text(report: dict[str, Any]) -> str:
    """``embedded mock (ran on http://127.0.0.1:41234; curls replay on http://127.0.0.1:4010)``, or the name and URL."""
    target = report["target"]
    if target.get("replay_base_url") and target["replay_base_url"] != target["base_url"]:
        return f"{target['name']} (ran on {target['base_url']}; curls replay on {target['replay_base_url']})"
    return f"{target['name']} ({target['base_url']})"


def requests_text(report: dict[str, Any]) -> str:
    """``106 requests`` for the headlines, with the responses the checks saw when probes add to them."""
    requests = report["summary"]["responses"]
    checked = sum(op["responses_checked"] for op in report["operations"])
    if checked <= requests:
        return f"{requests} requests"
    return f"{requests} requests, {checked} responses checked (probes included)"


def writes_line(report: dict[str, Any]) -> str | None:
    """What the write policy let through, for people; None when it held nothing back (every write was allowed)."""
    writes = report["writes"]
    untested = len(report["not_tested"])
    if not writes["allowed"]:
        held = f"; {untested} operation(s) not tested" if untested else ""
        return f"writes: none sent (not allowed against --target: --include-writes sends them){held}"
    if writes["max_writes"] is None:
        return None
    cut = f"; cut short: {', '.join(writes['cut_short'])}" if writes["cut_short"] else ""
    held = f"; {untested} operation(s) not tested" if untested else ""
    return f"writes: {writes['sent']} sent (--max-writes {writes['max_writes']}){cut}{held}"


def evidence_lines(report: dict[str, Any]) -> list[str]:
    """The run's evidence in short lines: per operation, then per known id (given ones first)."""
    lines = []
    for op in report["operations"]:
        if op["not_tested"]:
            lines.append(f"{op['operation']}: not tested: {op['not_tested']}")
            continue
        statuses = ", ".join(f"{kind} {count}" for kind, count in op["statuses"].items()) or "no requests"
        refused = f", key refused {op['auth_refused']}/{op['authenticated']}" if op["auth_refused"] else ""
        lines.append(f"{op['operation']}: {op['checked_bodies']} 2xx bodies checked ({statuses}{refused})")
    for ids in sorted(report["ids"], key=lambda item: not item["given"]):
        origin = "given" if ids["given"] else "created by the suite"
        lines.append(
            f"id {ids['parameter']}={ids['value']} ({origin}): {ids['requests']} requests, "
            f"{ids['checked_bodies']} bodies checked"
        )
    return lines


def describe_evidence(finding: dict[str, Any]) -> list[str]:
    """The finding's evidence as short lines for people (field and value, asked vs got, status and body)."""
    evidence: dict[str, Any] = finding.get("evidence") or {}
    lines: list[str] = []
    if "field" in evidence:
        value = f" = {evidence['value']!r}" if "value" in evidence else ""
        rule = f" (rule: {evidence['rule']})" if evidence.get("rule") else ""
        lines.append(f"field {evidence['field']}{value}{rule}")
    if evidence.get("probe"):
        lines.append(f"sent by the probe: {evidence['probe']}")
    if "asked" in evidence or "got" in evidence:
        lines.append(f"asked for {evidence.get('asked')!r}, got {evidence.get('got')!r}")
    if finding.get("status_code") is not None:
        excerpt = str(evidence.get("body_excerpt") or (finding.get("response") or {}).get("body") or "")
        excerpt = " ".join(excerpt.split())[:200]
        lines.append(f"status {finding['status_code']}" + (f", body: {excerpt}" if excerpt else ""))
    if finding.get("operations") and len(finding["operations"]) > 1:
        lines.append("operations: " + ", ".join(finding["operations"]))
    return lines
