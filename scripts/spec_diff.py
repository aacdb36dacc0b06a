"""Classify every change between two OpenAPI documents for users of this client.

Usage::

    python scripts/spec_diff.py OLD NEW [--format text|markdown|json|junit|github]
                                        [--fail-on breaking|warning|info] [--no-surface] [--list-rules]

Each change has a stable rule id (``scripts/_diffrules.py``), a severity and a JSON location. Unless
``--no-surface``, NEW is also regenerated into a temporary directory and the public import surface of
``tokenops_client`` is compared with the committed ``generated/`` (plus every name the ``tokenops``
overlay imports from it): what ``from tokenops_client... import ...`` or attribute access would break.

Exit codes: 1 a change at or above ``--fail-on`` (default breaking), 0 none, 2 unreadable/invalid input.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python scripts/spec_diff.py`: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts._diffrules import RULES, SEVERITIES, diff_documents
from scripts._spec import SpecError, parse_openapi
from scripts._surface import compare_surfaces, overlay_imports, package_surface

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("text", "markdown", "json", "junit", "github")


def load(path: Path) -> dict[str, Any]:
    """Read and validate an OpenAPI document (YAML or JSON; a vendor docs page works too).

    Raises:
        SpecError: unreadable or invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix == ".md":
        from scripts._spec import extract_fenced_block  # noqa: PLC0415

        text = extract_fenced_block(text)
    return parse_openapi(text, str(path))


def surface_changes(candidate: Path, root: Path = ROOT) -> list[dict[str, str]]:
    """Regenerate ``candidate`` in a temp dir; compare its import surface with the committed one.

    Raises:
        SpecError, scripts.regenerate.SetupError: the candidate cannot be generated.
    """
    from scripts import regenerate  # noqa: PLC0415 - only this path needs the generator

    with tempfile.TemporaryDirectory(prefix="tokenops-surface-") as tmp:
        work = Path(tmp)
        shutil.copyfile(candidate, work / "openapi.yaml")
        shutil.copyfile(root / regenerate.CONFIG_FILE, work / regenerate.CONFIG_FILE)
        if (root / regenerate.TEMPLATES_DIR).is_dir():
            shutil.copytree(root / regenerate.TEMPLATES_DIR, work / regenerate.TEMPLATES_DIR)
        out = work / "out"
        out.mkdir()
        regenerate.check_tool_versions()
        fresh = package_surface(regenerate.generate_into(work, out), regenerate.PACKAGE)
    committed = package_surface(root / regenerate.GENERATED_DIR / regenerate.PACKAGE, regenerate.PACKAGE)
    changes = [
        {
            "rule": f"import-{'symbol' if not c.message.startswith('signature') else 'signature'}-"
            f"{'removed' if 'removed' in c.message else 'added' if c.message.endswith('added') else 'changed'}",
            "severity": c.severity,
            "location": c.symbol,
            "message": c.message,
        }
        for c in compare_surfaces(committed, fresh)
    ]
    for name, where in sorted(overlay_imports(root / "overlays" / "tokenops", regenerate.PACKAGE).items()):
        if name not in fresh:
            changes.append(
                {
                    "rule": "overlay-import-broken",
                    "severity": "breaking",
                    "location": name,
                    "message": f"overlays/tokenops/{where} imports {name}, which would no longer exist",
                }
            )
    return changes


def render(changes: list[dict[str, str]], fmt: str, fail_on: str, new_name: str) -> str:
    failing = SEVERITIES.index(fail_on)
    counts = {severity: sum(1 for c in changes if c["severity"] == severity) for severity in SEVERITIES}
    summary = f"{counts['breaking']} breaking, {counts['warning']} warning, {counts['info']} info"
    if fmt == "json":
        return json.dumps({"summary": counts, "changes": changes}, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        lines = [
            f"### Spec diff: {summary}",
            "",
            "| severity | rule | location | change |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| {c['severity']} | `{c['rule']}` | `{c['location']}` | {c['message']} |" for c in changes]
        return "\n".join(lines)
    if fmt == "github":
        level = {"breaking": "error", "warning": "warning", "info": "notice"}
        return (
            "\n".join(
                f"::{level[c['severity']]} file={new_name},title={c['rule']}::{c['message']} at {c['location']}"
                for c in changes
            )
            or f"::notice title=spec-diff::no changes ({summary})"
        )
    if fmt == "junit":
        suite = ET.Element("testsuite", name="spec-diff", tests=str(len(changes) or 1))
        failures = 0
        for change in changes or [{"rule": "no-changes", "severity": "info", "location": "/", "message": "none"}]:
            case = ET.SubElement(suite, "testcase", classname=change["rule"], name=change["location"])
            if SEVERITIES.index(change["severity"]) >= failing and change["rule"] != "no-changes":
                failures += 1
                ET.SubElement(case, "failure", message=change["message"], type=change["severity"])
        suite.set("failures", str(failures))
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)
    lines = [f"{c['severity'].upper():8} {c['rule']}  {c['location']}: {c['message']}" for c in changes]
    return "\n".join([*lines, f"spec diff: {summary}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec_diff", description=__doc__.split("\n", 1)[0])
    parser.add_argument("old", type=Path, nargs="?")
    parser.add_argument("new", type=Path, nargs="?")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--fail-on", choices=SEVERITIES, default="breaking")
    parser.add_argument("--no-surface", action="store_true", help="skip the generated import-surface diff")
    parser.add_argument("--list-rules", action="store_true", help="print every rule id with its severity")
    args = parser.parse_args(argv)
    if args.list_rules:
        print("\n".join(f"{severity:8} {rule:40} {meaning}" for rule, (severity, meaning) in RULES.items()))
        return 0
    if args.old is None or args.new is None:
        parser.print_usage(sys.stderr)
        print("spec_diff: error: OLD and NEW are required", file=sys.stderr)
        return 2
    try:
        old, new = load(args.old), load(args.new)
        changes = [
            {"rule": c.rule, "severity": c.severity, "location": c.location, "message": c.message}
            for c in diff_documents(old, new)
        ]
        if not args.no_surface and old != new:
            source = args.new
            if source.suffix == ".md":
                tmp = Path(tempfile.mkdtemp(prefix="tokenops-candidate-"))
                source = tmp / "openapi.yaml"
                from scripts._spec import extract_fenced_block  # noqa: PLC0415

                source.write_text(extract_fenced_block(args.new.read_text(encoding="utf-8")), encoding="utf-8")
            changes += surface_changes(source)
    except Exception as exc:
        print(f"spec_diff: error: {' '.join(str(exc).split())[:400]}", file=sys.stderr)
        return 2
    print(render(changes, args.format, args.fail_on, str(args.new)))
    threshold = SEVERITIES.index(args.fail_on)
    return 1 if any(SEVERITIES.index(c["severity"]) >= threshold for c in changes) else 0


if __name__ == "__main__":
    sys.exit(main())
