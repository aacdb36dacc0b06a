"""The classified spec diff plus the generated import-surface diff, rendered (``scripts/spec_diff.py`` is its CLI).

Each change has a stable rule id (:mod:`contract_tests.toolchain.rules`), a severity and a JSON location.
:func:`surface_pair` generates the clients of any two specs (cached by content: ``generate.generate_cached``) and
compares their public import surfaces: what ``from tokenops_client... import ...`` or attribute access would break.
:func:`surface_changes` regenerates a candidate spec and compares it with the committed ``generated/`` (plus every
name the ``tokenops`` overlay imports from it), as ``spec_sync`` records it.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from contract_tests._paths import REPO_ROOT
from contract_tests.toolchain.load import load_pair
from contract_tests.toolchain.rules import SEVERITIES, Change, describe, diff_documents
from contract_tests.toolchain.rules.catalog import SITES
from contract_tests.toolchain.surface import (
    SurfaceChange,
    compare_packages,
    compare_surfaces,
    overlay_imports,
    package_surface,
    record,
)

ROOT = REPO_ROOT
FORMATS = ("text", "markdown", "json", "junit", "github")


def surface_report(candidate: Path, root: Path = ROOT) -> tuple[list[dict[str, Any]], dict[str, str]]:
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
            message = f"overlays/tokenops/{where} imports {name}, which would no longer exist"
            changes.append(record(SurfaceChange(name, "overlay-import-broken", message)))
    return changes, fresh


def surface_changes(candidate: Path, root: Path = ROOT) -> list[dict[str, Any]]:
    """Regenerate ``candidate`` in a temp dir; compare its import surface with the committed one.

    Raises:
        SpecError, contract_tests.toolchain.generate.SetupError: the candidate cannot be generated.
    """
    return surface_report(candidate, root)[0]


@attrs.frozen
class Report:
    """The changes (dicts: rule, severity, location, document, where, message, operations, sites) and what loading
    tolerated."""

    changes: list[dict[str, Any]]
    warnings: list[str] = attrs.field(factory=list)


LINE_LIMIT = 160  # characters of one text line; the JSON keeps everything
_NOTES_SHOWN = 2  # generator warnings quoted in a note
_EXAMPLES = 3  # operations named on a change's line
_OPERATION_WORDS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "webhook", "path"})


def ordered(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst first, then by where, rule and message: the order every format uses."""
    return sorted(
        changes,
        key=lambda c: (-SEVERITIES.index(c["severity"]), c["where"], c["rule"], c["message"], c["location"]),
    )


def _counts(changes: list[dict[str, Any]]) -> dict[str, int]:
    return {severity: sum(1 for c in changes if c["severity"] == severity) for severity in reversed(SEVERITIES)}


def _summary(counts: dict[str, int]) -> str:
    return f"{counts['breaking']} breaking, {counts['warning']} warning, {counts['info']} info"


def _reach(change: dict[str, Any], examples: int = _EXAMPLES) -> str:
    """`` (3 operations: GET /a, POST /b, +1)``; nothing when the change is about one operation it names."""
    operations: list[str] = change.get("operations") or []
    in_one = change["where"].split(" ", 1)[0] in _OPERATION_WORDS
    if not operations or (len(operations) == 1 and in_one):
        return ""  # the place names the one operation
    shown = ", ".join(operations[:examples]) + (
        f", +{len(operations) - examples}" if len(operations) > examples else ""
    )
    return f" ({len(operations)} operation{'s' if len(operations) > 1 else ''}: {shown})"


def said(change: dict[str, Any]) -> str:
    """``where: message``, or the message alone when it names the place already (``GET /v1/x removed``)."""
    return change["message"] if change["where"] in change["message"] else f"{change['where']}: {change['message']}"


def _fit(head: str, tail: str, change: dict[str, Any]) -> str:
    """``head + reach + tail`` within :data:`LINE_LIMIT`: fewer example operations first, then a shorter head."""
    for examples in (_EXAMPLES, 1, 0):
        count = len(change.get("operations") or [])
        reach = (
            _reach(change, examples)
            if examples
            else (f" ({count} operation{'s' if count > 1 else ''})" if _reach(change) else "")
        )
        line = head + reach + tail
        if len(line) <= LINE_LIMIT:
            return line
    room = LINE_LIMIT - len(reach) - len(tail)
    return head[: room - 3] + "..." + reach + tail


def text_line(change: dict[str, Any]) -> str:
    """One change on one line of at most :data:`LINE_LIMIT` characters: severity, where, what, reach, rule."""
    return _fit(f"{change['severity'].upper():8} {said(change)}", f"  [{rule_ids(change)}]", change)


def rule_ids(change: dict[str, Any]) -> str:
    """``request-body-property-removed +response-body``: the rule, and the other sites of the same fact."""
    fact = change["rule"]
    others = change.get("also") or []
    for site in SITES:
        fact = fact.removeprefix(site + "-")
    return " ".join([change["rule"], *(f"+{rule.removesuffix('-' + fact)}" for rule in others)])


def render(report: Report, fmt: str, fail_on: str, new_name: str, *, all_sites: bool = False) -> str:
    """The report as ``text``, ``markdown``, ``json``, ``junit`` or ``github`` (workflow commands).

    Every format lists the totals first and the changes worst first; ``all_sites`` lists, under each change, every
    place in the API it shows (the JSON always has them).
    """
    changes = ordered(report.changes)
    failing = SEVERITIES.index(fail_on)
    counts = _counts(changes)
    summary = _summary(counts)
    if fmt == "json":
        return json.dumps(
            {"summary": counts, "changes": changes, "warnings": report.warnings}, indent=2, ensure_ascii=False
        )
    if fmt == "markdown":
        lines = [
            f"### Spec diff: {summary}",
            "",
            "| severity | where | change | reaches | rule |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in changes:
            reach = _reach(c).strip(" ()") or "-"
            lines.append(f"| {c['severity']} | {c['where']} | {c['message']} | {reach} | `{rule_ids(c)}` |")
            if all_sites:
                lines += [f"| | ↳ {site} | | | |" for site in c.get("sites") or []]
        lines += [f"> note: {warning}" for warning in report.warnings]
        return "\n".join(lines)
    if fmt == "github":
        level = {"breaking": "error", "warning": "warning", "info": "notice"}
        lines = [f"::notice title=spec diff::{summary}"]
        lines += [
            f"::{level[c['severity']]} file={new_name},title={c['rule']}::" + _fit(said(c), "", c) for c in changes
        ]
        lines += [f"::notice title=spec-diff input::{warning}" for warning in report.warnings]
        return "\n".join(lines)
    if fmt == "junit":
        suite = ET.Element("testsuite", name="spec-diff", tests=str(len(changes) or 1))
        failures = 0
        for change in changes or [{"rule": "no-changes", "severity": "info", "where": "/", "message": "none"}]:
            case = ET.SubElement(suite, "testcase", classname=change["rule"], name=change["where"])
            if SEVERITIES.index(change["severity"]) >= failing and change["rule"] != "no-changes":
                failures += 1
                ET.SubElement(case, "failure", message=change["message"] + _reach(change), type=change["severity"])
        suite.set("failures", str(failures))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)
    lines = [f"spec diff: {summary}"]
    for change in changes:
        lines.append(text_line(change))
        if all_sites:
            lines += [f"    at {site}"[:LINE_LIMIT] for site in change.get("sites") or []]
    lines += [f"note: {warning}"[:LINE_LIMIT] for warning in report.warnings]
    return "\n".join(lines)


def records(changes: list[Change], old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The report records of classified spec changes (``where`` said with the document the location is in)."""
    return [
        {
            "rule": c.rule,
            "severity": c.severity,
            "location": c.location,
            "document": c.document,
            "where": describe(c.location, new if c.document == "new" else old),
            "message": c.message,
            "operations": list(c.operations),
            "sites": list(c.sites),
            "also": list(c.also),
        }
        for c in changes
    ]


def surface_pair(
    old_text: str, new_text: str, root: Path = ROOT, *, cache: Path | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The import-surface changes from the client generated of ``old_text`` to the one generated of ``new_text``
    (pinned generator, ``root``'s config and templates, both from the content-addressed cache when they are there),
    and notes on what the generator skipped. When ``old_text`` is ``root``'s own spec, every name the ``tokenops``
    overlay imports must survive too.

    Raises:
        contract_tests.toolchain.generate.SetupError: a side cannot be generated.
    """
    from contract_tests.toolchain import generate  # noqa: PLC0415 - only this path needs the generator

    missing = [text for text in dict.fromkeys([old_text, new_text]) if not generate.is_cached(text, root, cache=cache)]
    if len(missing) > 1 and (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
        # One process per side: each runs the generator and reads the client's surface (griffe holds the GIL).
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(functools.partial(generate.generate_cached, root=root, cache=cache), missing))
    old_client, new_client = (generate.generate_cached(text, root, cache=cache) for text in (old_text, new_text))
    changes = [record(change) for change in compare_surfaces(old_client.surface, new_client.surface)]
    own, overlay = root / generate.SPEC_FILE, root / "overlays" / "tokenops"
    if overlay.is_dir() and own.is_file() and own.read_text(encoding="utf-8") == old_text:
        for name, where in sorted(overlay_imports(overlay, generate.PACKAGE).items()):
            if name not in new_client.surface:
                message = f"overlays/tokenops/{where} imports {name}, which would no longer exist"
                changes.append(record(SurfaceChange(name, "overlay-import-broken", message)))
    notes = []
    for side, client in (("OLD", old_client), ("NEW", new_client)):
        if client.notes:
            more = len(client.notes) - _NOTES_SHOWN
            shown = "; ".join(client.notes[:_NOTES_SHOWN]) + (f" (+{more} more)" if more > 0 else "")
            notes.append(f"the client generated from {side} lacks what openapi-python-client skipped: {shown}")
    return changes, notes


def _spec_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        from contract_tests.toolchain.spec import extract_fenced_block  # noqa: PLC0415

        return extract_fenced_block(text)
    return text


def compare(
    old_path: Path,
    new_path: Path,
    *,
    surface: bool = True,
    root: Path = ROOT,
    strict: bool = False,
    cache: Path | None = None,
) -> Report:
    """Every change from ``old_path`` to ``new_path`` (specs or docs pages), plus the surface diff if asked.

    Args:
        old_path: the baseline document.
        new_path: the candidate document.
        surface: also generate both clients (cached) and compare their import surfaces.
        root: the checkout whose generator config and templates are used (and whose overlay is checked when
            ``old_path`` is its spec).
        strict: refuse documents that are not valid OpenAPI instead of reporting warnings.
        cache: where generated clients are kept (default: ``generate.cache_dir()``).

    Raises:
        SpecError: either document is unreadable (or, ``strict``, invalid).
        contract_tests.toolchain.generate.SetupError: a client cannot be generated (surface diff only).
    """
    old, new = load_pair(old_path, new_path, strict=strict)
    changes = records(diff_documents(old.document, new.document), old.document, new.document)
    warnings = [*old.warnings, *new.warnings]
    if surface and old.document != new.document:
        found, notes = surface_pair(_spec_text(old_path), _spec_text(new_path), root, cache=cache)
        changes += found
        warnings += notes
    return Report(changes, warnings)


def fails(report: Report, fail_on: str) -> bool:
    """True when a change is at or above the ``fail_on`` severity."""
    threshold = SEVERITIES.index(fail_on)
    return any(SEVERITIES.index(change["severity"]) >= threshold for change in report.changes)
