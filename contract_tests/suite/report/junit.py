"""``junit.xml``: one test case per (operation, check) that held, one per finding (new = failure), one skipped case
per operation the run did not test, and one for the verdict's evidence (a failure when inconclusive, an error when
interrupted)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from contract_tests.suite.categories import Category
from contract_tests.suite.report.document import describe_evidence, evidence_lines

__all__ = ["junit"]


def junit(report: dict[str, Any]) -> bytes:
    """The report as JUnit XML."""
    suite = ET.Element(
        "testsuite",
        name="tokenops-conformance",
        tests="0",
        failures="0",
        errors="0",
        skipped=str(report["summary"]["known"] + len(report["not_tested"])),
        time=f"{report['duration_seconds']:.3f}",
    )
    failures = errors = 0
    with_findings = {(f["operation"], f["check"]) for f in report["findings"]}
    for row in report["matrix"]:
        if (row["operation"], row["check"]) not in with_findings and row["held"]:
            ET.SubElement(suite, "testcase", classname=row["operation"], name=row["check"])
    for finding in report["findings"]:
        case = ET.SubElement(
            suite, "testcase", classname=finding["operation"], name=f"{finding['check']} [{finding['signature']}]"
        )
        text = "\n".join(
            [finding["message"], *describe_evidence(finding), "", f"Reproduce: {finding['request'].get('curl', '')}"]
        )
        title = f"{Category(finding['category']).label}: {finding['title']}"
        if finding["status"] == "known":
            ET.SubElement(case, "skipped", message=f"known deviation {finding['baseline_id']}: {title}")
        else:
            element = ET.SubElement(case, "failure", message=title, type=finding["category"])
            element.text = text
            failures += 1
    for untested in report["not_tested"]:
        case = ET.SubElement(suite, "testcase", classname=untested["operation"], name="not tested")
        ET.SubElement(case, "skipped", message=f"not tested: {untested['reason']}")
    verdict = report["verdict"]
    case = ET.SubElement(suite, "testcase", classname="conformance", name=f"verdict [{verdict['verdict']}]")
    if verdict["verdict"] == "inconclusive":
        element = ET.SubElement(case, "failure", message="inconclusive: not enough evidence", type="inconclusive")
        element.text = "\n".join(verdict["reasons"])
        failures += 1
    elif verdict["verdict"] == "interrupted":
        element = ET.SubElement(case, "error", message="the run was interrupted", type="interrupted")
        element.text = "\n".join(verdict["reasons"])
        errors += 1
    output = ET.SubElement(suite, "system-out")
    output.text = "\n".join(evidence_lines(report))
    suite.set("tests", str(len(suite.findall("testcase"))))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    document: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document
