"""One conformance run: schemathesis (config from ``schemathesis.toml``) + our checks + the lifecycle test.

The run's outcome is a :class:`RunResult`: every finding, deduplicated, categorised and matched against
the baseline (schemathesis' own ``Baseline``), plus pass/fail counts per operation and check.
"""

from __future__ import annotations

import time
import tomllib
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import schemathesis
from schemathesis.baseline import Baseline
from schemathesis.core.failures import Failure
from schemathesis.engine import events, from_schema

import contract_tests.checks  # noqa: F401 - registers the custom checks with schemathesis
from contract_tests._paths import config_path, spec_path
from contract_tests.categories import Category, categorize
from contract_tests.lifecycle import LIFECYCLE_CHECKS, run_lifecycle
from contract_tests.targets import Target
from tokenops.redaction import redact, register_secret

__all__ = ["Finding", "RunOptions", "RunResult", "run"]

OPERATION = "GET /v1/videos/{video_id}"
MAX_BODY_IN_REPORT = 2000


@attrs.define
class RunOptions:
    target: Target
    api_key: str
    video_ids: list[str] = attrs.field(factory=list)
    spec: Path = attrs.field(factory=spec_path)
    config: Path = attrs.field(factory=config_path)
    baseline: Path | None = Path(__file__).resolve().parent / "baseline.json"
    max_examples: int | None = None
    lifecycle_deadline: float = 120.0
    misbehave: bool = False  # rig one lifecycle job (mock only): proves the lifecycle check can fail
    on_progress: Callable[[str], None] | None = None


@attrs.define
class Finding:
    check: str
    category: Category
    failure_type: str
    title: str
    message: str
    key: str
    operation: str
    known: bool
    baseline_id: str | None
    phase: str
    status_code: int | None
    request: dict[str, Any]
    response: dict[str, Any] | None
    occurrences: int = 1

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.operation, self.check, self.failure_type, self.key)


@attrs.define
class RunResult:
    target: str
    base_url: str
    started_at: float
    duration: float = 0.0
    findings: list[Finding] = attrs.field(factory=list)
    # operation -> check -> [passed, failed]
    matrix: dict[str, dict[str, list[int]]] = attrs.field(factory=dict)
    phases: dict[str, str] = attrs.field(factory=dict)
    responses: int = 0
    errors: list[str] = attrs.field(factory=list)
    unfinished_jobs: list[str] = attrs.field(factory=list)

    @property
    def new_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.known]

    def count(self, category: Category, *, known: bool | None = None) -> int:
        return sum(1 for f in self.findings if f.category is category and (known is None or f.known is known))


def _config(options: RunOptions) -> schemathesis.Config:
    data: dict[str, Any] = tomllib.loads(options.config.read_text(encoding="utf-8"))
    data["headers"] = {**data.get("headers", {}), "Authorization": f"Bearer {options.api_key}"}
    data.pop("baseline", None)
    if options.baseline is not None:
        data["baseline"] = str(options.baseline)
    if options.max_examples is not None:
        data.setdefault("generation", {})["max-examples"] = options.max_examples
    if options.target.app is None:
        data["base-url"] = options.target.base_url
    return schemathesis.Config.from_dict(data)


def _request_record(request: Any, api_key: str) -> dict[str, Any]:
    method, url = str(request.method), str(request.uri if hasattr(request, "uri") else request.url)
    headers = {k: ("Bearer $TOKENOPS_API_KEY" if k.lower() == "authorization" else v) for k, v in _pairs(request)}
    parts = [f"curl -X {method} '{url}'"]
    parts += [f"-H '{name}: {value}'" for name, value in headers.items() if name.lower() not in _NOISY_HEADERS]
    return {"method": method, "url": redact(url), "headers": headers, "curl": redact(" ".join(parts))}


_NOISY_HEADERS = {"user-agent", "accept-encoding", "connection", "content-length", "host", "x-schemathesis-testcaseid"}


def _pairs(message: Any) -> list[tuple[str, str]]:
    headers = message.headers
    items = headers.items() if hasattr(headers, "items") else headers
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        for single in value if isinstance(value, list) else [value]:
            pairs.append((str(name), str(single)))
    return pairs


def _response_record(response: Any) -> dict[str, Any]:
    content: bytes = response.content or b""
    body = content[:MAX_BODY_IN_REPORT].decode("utf-8", errors="replace")
    return {
        "status_code": response.status_code,
        "headers": {name: redact(value) for name, value in _pairs(response) if name.lower() != "set-cookie"},
        "body": redact(body) + ("…" if len(content) > MAX_BODY_IN_REPORT else ""),
    }


class _Collector:
    def __init__(self, options: RunOptions, result: RunResult, baseline: Baseline) -> None:
        self.options, self.result, self.baseline = options, result, baseline
        self.by_identity: dict[tuple[str, str, str, str], Finding] = {}

    def tally(self, operation: str, check: str, ok: bool) -> None:
        cell = self.result.matrix.setdefault(operation, {}).setdefault(check, [0, 0])
        cell[0 if ok else 1] += 1

    def add(self, check: str, failure: Failure, phase: str, request: Any, response: Any) -> None:
        operation = failure.operation or OPERATION
        identity = (operation, check, type(failure).__name__, failure._unique_key)
        if identity in self.by_identity:
            self.by_identity[identity].occurrences += 1
            return
        entry = self.baseline.match(failure, check)
        status = response.status_code if response is not None else None
        finding = Finding(
            check=check,
            category=categorize(check, status, response.content if response is not None else None),
            failure_type=type(failure).__name__,
            title=redact(failure.title),
            message=redact(str(failure.message)),
            key=failure._unique_key,
            operation=operation,
            known=entry is not None,
            baseline_id=entry.id if entry is not None else None,
            phase=phase,
            status_code=status,
            request=_request_record(request, self.options.api_key) if request is not None else {},
            response=_response_record(response) if response is not None else None,
        )
        self.by_identity[identity] = finding
        self.result.findings.append(finding)

    def scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        for case_id, nodes in recorder.checks.items():
            interaction = recorder.interactions.get(case_id)
            if interaction is not None and interaction.response is not None:
                self.result.responses += 1
            node_case = recorder.cases.get(case_id)
            operation = node_case.value.operation.label if node_case is not None else OPERATION
            for node in nodes:
                ok = node.status.value != "failure"
                self.tally(operation, node.name, ok)
                if not ok and node.failure_info is not None:
                    failure = node.failure_info.failure
                    self.add(
                        node.name,
                        failure,
                        event.phase.value,
                        interaction.request if interaction else None,
                        interaction.response if interaction else None,
                    )


def _steer_ids(schema: Any, ids: list[str]) -> None:
    """Most generated ids become real jobs' ids, so 200 answers get checked; the rest stay as generated."""
    if not ids:
        return

    @schema.hook  # type: ignore[untyped-decorator]
    def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
        value = str(path_parameters.get("video_id", ""))
        bucket = zlib.crc32(value.encode("utf-8", "surrogatepass"))
        if bucket % 4:
            path_parameters["video_id"] = ids[bucket % len(ids)]
        return path_parameters


def _known_ids(options: RunOptions) -> list[str]:
    target = options.target
    if not target.control:
        return list(options.video_ids)
    from contract_tests.mock import WELL_KNOWN_IDS  # noqa: PLC0415

    jobs = [
        {"id": "video_conformance_running", "pending_seconds": 0, "running_seconds": 3600},
        {"id": "video_conformance_pending", "pending_seconds": 3600},
    ]
    target.create_jobs(jobs)
    return [*WELL_KNOWN_IDS, *(job["id"] for job in jobs), *options.video_ids]


def run(options: RunOptions) -> RunResult:
    """Run the suite against ``options.target``.

    Raises:
        schemathesis.errors.SchemathesisError / ValueError: unusable spec, config or baseline.
    """
    register_secret(options.api_key)
    notify = options.on_progress or (lambda _message: None)
    result = RunResult(target=options.target.name, base_url=options.target.base_url, started_at=time.time())
    started = time.monotonic()
    baseline = Baseline.load(options.baseline) if options.baseline is not None else Baseline(entries=[])
    collector = _Collector(options, result, baseline)
    schema = schemathesis.openapi.from_path(str(options.spec), config=_config(options))
    if options.target.app is not None:
        schema.app = options.target.app
    _steer_ids(schema, _known_ids(options))
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            notify(f"phase {event.phase.name.value}: started")
        elif isinstance(event, events.PhaseFinished):
            result.phases[event.phase.name.value] = event.status.value
            notify(f"phase {event.phase.name.value}: {event.status.value}")
        elif isinstance(event, events.ScenarioFinished):
            collector.scenario(event)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            result.errors.append(redact(f"{type(error).__name__}: {error}"))
    lifecycle = run_lifecycle(
        options.target,
        options.api_key,
        options.video_ids,
        deadline=options.lifecycle_deadline,
        misbehave=options.misbehave,
        on_progress=notify,
    )
    for check in LIFECYCLE_CHECKS:
        collector.tally(OPERATION, check, True)
        result.matrix[OPERATION][check][0] += lifecycle.passed[check] - 1
    for check, violation, observation in lifecycle.violations:
        collector.tally(OPERATION, check, False)
        collector.add(check, violation, "lifecycle", observation.request, observation.response)
    result.unfinished_jobs = lifecycle.unfinished
    result.duration = time.monotonic() - started
    return result


def probe(target: Target, api_key: str) -> httpx.Response:
    """One authenticated request, to fail fast on an unusable target."""
    return target.get_video("video_conformance_probe", api_key)
