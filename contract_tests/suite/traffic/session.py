"""A session of real traffic: the checker, the recording, the verdict and the reports, as the proxy's checker
process and ``replay`` both run it.

The verdict, adapted to traffic (the suite's verdict asks for evidence the suite made itself; traffic is what the
application sent):

- **fail** (exit 1): a new finding (not in the baseline, or its entry expired) in a ``--fail-on`` category; by
  default the suite's (server nonconformance, lifecycle violation, client incompatibility) plus client
  nonconformance.
- **inconclusive** (exit 3): nothing failed, but no exchange was checked at all.
- **pass** (exit 0): otherwise. An operation with no traffic is *not seen*: listed in the report, not judged.

Reports are the suite's (JSON, Markdown, HTML, JUnit), rewritten while traffic flows; ``conformance.json`` has a
``traffic`` section (what was seen, what was not checked and why, the recording).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from contract_tests.cassette import CassetteWriter, Exchange
from contract_tests.suite.categories import Category
from contract_tests.suite.report import terminal_lines, to_json, tool_versions, write_all
from contract_tests.suite.runner import RunResult
from contract_tests.suite.traffic.checker import TrafficChecker
from contract_tests.suite.verdict import DEFAULT_FAIL_ON, Decision, Verdict

__all__ = ["DEFAULT_TRAFFIC_FAIL_ON", "Session", "SessionConfig", "decide_traffic"]

DEFAULT_TRAFFIC_FAIL_ON = (*DEFAULT_FAIL_ON, Category.CLIENT_NONCONFORMANCE)
NOTHING_CHECKED = (
    "no exchange was checked: point the application at the proxy (its base URL), or record traffic before replaying"
)


def decide_traffic(result: RunResult, *, fail_on: tuple[Category, ...] = DEFAULT_TRAFFIC_FAIL_ON) -> Decision:
    """The verdict of a session (see the module docstring)."""
    failing = sum(1 for finding in result.new_findings if finding.category in fail_on)
    checked = (result.traffic or {}).get("checked", 0)
    reasons = () if checked else (NOTHING_CHECKED,)
    if failing:
        verdict = Verdict.FAIL
    elif reasons:
        verdict = Verdict.INCONCLUSIVE
    else:
        verdict = Verdict.PASS
    return Decision(verdict, reasons, failing, tuple(fail_on), 0)


@attrs.frozen
class SessionConfig:
    """Everything a session needs (plain values: it crosses into the checker process)."""

    spec: Path
    upstream: str
    mode: str
    report_dir: Path
    baseline: Path | None
    fail_on: tuple[Category, ...] = DEFAULT_TRAFFIC_FAIL_ON
    record: Path | None = None
    record_max_exchanges: int = 10_000
    record_max_bytes: int = 50 * 1024 * 1024
    report_every: float = 10.0
    quiet: bool = False


class Session:
    """Checks exchanges, records them, and writes the reports.

    Raises:
        BaselineError: the baseline file cannot be used.
        OSError: the recording cannot be created.
        SpecError / schemathesis errors: the spec cannot be read.
    """

    def __init__(self, config: SessionConfig, *, say: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.checker = TrafficChecker(config.spec, upstream=config.upstream, baseline=config.baseline, mode=config.mode)
        self.say = say or (lambda line: print(line, flush=True))
        self.recorder: CassetteWriter | None = None
        if config.record is not None:
            self.recorder = CassetteWriter(
                config.record,
                self.checker.model,
                config.upstream,
                f"tokenops {tool_versions()['tokenops']}",
                max_exchanges=config.record_max_exchanges,
                max_bytes=config.record_max_bytes,
            )
            self.recorder.open()

    def add(self, exchange: Exchange) -> None:
        """Check one exchange, and record it (redacted) when recording."""
        clean = self.checker.check(exchange)
        if self.recorder is not None:
            self.recorder.add(clean)

    def _cassette(self) -> dict[str, Any] | None:
        if self.recorder is None:
            return None
        return {"path": str(self.recorder.path), "recorded": self.recorder.written, "dropped": self.recorder.dropped}

    def write(self, *, skipped: int = 0) -> tuple[RunResult, Decision, dict[str, Path]]:
        """Write every report now (the files are replaced)."""
        result = self.checker.result(skipped=skipped, cassette=self._cassette())
        if self.recorder is not None and self.recorder.dropped:
            result.notes.append(
                f"recording full: {self.recorder.dropped} exchange(s) not recorded "
                "(raise --record-max-exchanges / --record-max-mb)"
            )
        decision = decide_traffic(result, fail_on=self.config.fail_on)
        paths = write_all(result, decision, self.config.report_dir, tool_versions())
        return result, decision, paths

    def finish(self, *, skipped: int = 0) -> int:
        """The final reports and the summary; returns the exit code (0 pass, 1 fail, 3 inconclusive)."""
        if self.recorder is not None:
            self.recorder.close()
        result, decision, paths = self.write(skipped=skipped)
        if not self.config.quiet:
            report = to_json(result, decision, tool_versions(), report_dir=str(self.config.report_dir))
            self.say("\n".join(terminal_lines(report, paths)))
        self.say(_last_line(decision))
        return decision.exit_code


def _last_line(decision: Decision) -> str:
    if decision.verdict is Verdict.FAIL:
        return (
            f"{decision.failing} new finding(s) in failing categories: fix the server or the application, or accept "
            "them in the baseline (--baseline), then run again"
        )
    if decision.verdict is Verdict.INCONCLUSIVE:
        return f"inconclusive: {NOTHING_CHECKED}"
    return "pass: every exchange seen conforms (operations not seen are listed in the report)"
