"""One conformance run over every operation of the spec: schemathesis (``schemathesis.toml``) with the suite's
checks and id steering, then the suite's own id sweep, probes and lifecycle test.

The outcome is a :class:`RunResult`: every finding (deduplicated, categorised, matched against the baseline),
the evidence of what was checked (per operation, check and id), what did not run to the end, and whether the
run was interrupted. Nothing a server sends ends the run early: transport failures are findings; Ctrl-C
stops the run and returns what was seen so far, marked interrupted. The verdict is
:func:`contract_tests.suite.verdict.decide`'s.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import requests
import schemathesis

import contract_tests.suite.checks  # noqa: F401 - registers the suite's checks with schemathesis
from contract_tests._paths import config_path, spec_path
from contract_tests.suite import _schemathesis_private as engine_events
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.checks import SUITE_CHECKS
from contract_tests.suite.direct import Direct
from contract_tests.suite.evidence import Evidence, Outcome
from contract_tests.suite.findings import CheckResult, Finding, Ledger, not_an_api_response, transport_kind
from contract_tests.suite.lifecycle import LifecycleResult, run_lifecycle
from contract_tests.suite.probes import run_probes, sweep
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.resources import rules_for
from contract_tests.suite.spec_facts import SpecFacts, load_facts
from contract_tests.suite.steering import IdPools, Steering
from contract_tests.suite.targets import Target
from tokenops import Clock, SystemClock
from tokenops.redaction import redact, register_secret

__all__ = ["DEFAULT_BASELINE", "DISPOSABLE_FIXTURES", "RunOptions", "RunResult", "run"]

DEFAULT_BASELINE = Path(__file__).resolve().parent / "baseline.json"
# schemathesis checks that judge a response by an earlier step of the scenario (see _Engine._blame_the_page).
CROSS_REQUEST_CHECKS = frozenset({"use_after_free", "ensure_resource_availability"})
DISPOSABLE_FIXTURES = 12  # jobs created on our mock for operations that delete what they name

# How a finished phase is announced: schemathesis says "failure" for any failed check, also for deviations the
# baseline knows (the verdict below says what they mean), so that word would contradict a PASS.
_PHASE_SAID = {"success": "done", "failure": "done, deviations found (classified below)", "skip": "skipped"}


@attrs.define
class RunOptions:
    target: Target
    api_key: str
    # Known ids per path parameter (``--video-id`` is ``{"video_id": [...]}``) and ids the suite may delete.
    ids: dict[str, list[str]] = attrs.field(factory=dict)
    disposable: dict[str, list[str]] = attrs.field(factory=dict)
    spec: Path = attrs.field(factory=spec_path)
    config: Path = attrs.field(factory=config_path)
    baseline: Path | None = DEFAULT_BASELINE
    max_examples: int | None = None
    request_timeout: float | None = None  # seconds; None: schemathesis.toml's, else 10
    lifecycle_deadline: float = 120.0
    poll_interval: float = 2.0
    misbehave: bool = False  # rig one lifecycle job (our mock only): proves the lifecycle check can fail
    clock: Clock = attrs.field(factory=SystemClock)
    on_progress: Callable[[str], None] | None = None


@attrs.define
class RunResult:
    target: str
    base_url: str
    started_at: float
    spec: str = ""
    duration: float = 0.0
    operations: list[str] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)
    evidence: Evidence = attrs.field(factory=Evidence)
    phases: dict[str, str] = attrs.field(factory=dict)
    errors: list[str] = attrs.field(factory=list)
    aborted: list[str] = attrs.field(factory=list)
    notes: list[str] = attrs.field(factory=list)
    lifecycle: LifecycleResult = attrs.field(factory=LifecycleResult)
    interrupted: bool = False
    given_ids: dict[str, list[str]] = attrs.field(factory=dict)
    created_jobs: list[dict[str, Any]] = attrs.field(factory=list)
    mock_args: list[str] = attrs.field(factory=list)
    embedded: bool = False
    rate_limit_waits: int = 0
    baseline: str | None = None
    baseline_unused: list[str] = attrs.field(factory=list)

    @property
    def new_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.known]

    @property
    def responses(self) -> int:
        return sum(e.requests for e in self.evidence.operations.values())


def _config(options: RunOptions) -> schemathesis.Config:
    data: dict[str, Any] = tomllib.loads(options.config.read_text(encoding="utf-8"))
    data["headers"] = {**data.get("headers", {}), "Authorization": f"Bearer {options.api_key}"}
    data.pop("baseline", None)  # the suite matches known deviations itself (contract_tests.suite.baseline)
    generation = data.setdefault("generation", {})
    generation["database"] = ":memory:"  # fresh per run: same spec + same server -> same run
    if options.max_examples is not None:
        generation["max-examples"] = options.max_examples
    if options.request_timeout is not None:
        data["request-timeout"] = options.request_timeout
    data["base-url"] = options.target.base_url
    return schemathesis.Config.from_dict(data)


def _fixtures(options: RunOptions, facts: SpecFacts, pools: IdPools, evidence: Evidence) -> None:
    """Known ids: the given ones, plus (our mock) jobs in every state, and disposable ones for DELETE."""
    for parameter, values in options.ids.items():
        pools.add(parameter, values)
        evidence.track_ids(parameter, values, given=True)
    for parameter, values in options.disposable.items():
        pools.add(parameter, values, disposable=True)
    if not options.target.control:
        return
    for schema_name, states in sorted(facts.lifecycle_schemas.items()):
        rules, reader = rules_for(states), facts.polling_operation(schema_name)
        if rules is None or reader is None or reader.addressed_by is None:
            continue
        parameter = reader.addressed_by
        jobs = [{"id": f"{rules.mock_id_prefix}{state}", **spec} for state, spec in rules.mock_fixtures.items()]
        # DELETE operations and wrong-method DELETE probes only ever get these ids.
        completed = dict(next(iter(rules.mock_fixtures.values()), {}))
        disposable = [
            {"id": f"{rules.mock_id_prefix}disposable_{n:02d}", **completed} for n in range(1, DISPOSABLE_FIXTURES + 1)
        ]
        options.target.create_jobs(disposable)
        pools.add(parameter, [str(job["id"]) for job in disposable], disposable=True)
        options.target.create_jobs(jobs)
        created = [str(job["id"]) for job in jobs]
        pools.add(parameter, created)
        evidence.track_ids(parameter, created, given=False)


def sent_from_curl_note(error: BaseException) -> Sent | None:
    """The request behind ``error`` from the ``Reproduce with: curl ...`` note schemathesis adds to it."""
    for note in getattr(error, "__notes__", []):
        command = next((line.strip() for line in str(note).splitlines() if line.strip().startswith("curl ")), None)
        if command is None:
            continue
        try:
            words = shlex.split(command)
        except ValueError:
            return None
        method, url, headers, body = "GET", "", [], None
        iterator = iter(words[1:])
        for word in iterator:
            if word in ("-X", "--request"):
                method = next(iterator, method)
            elif word in ("-H", "--header"):
                name, _, value = next(iterator, "").partition(":")
                headers.append((name.strip(), value.strip()))
            elif word in ("-d", "--data", "--data-binary", "--data-raw"):
                body = next(iterator, "").encode()
            elif not word.startswith("-") and not url:
                url = word
        return Sent(method, url, tuple(headers), body) if url else None
    return None


def _outcome(status: Any) -> Outcome:
    value = str(getattr(status, "value", status))
    return {"success": Outcome.HELD, "failure": Outcome.FAILED, "error": Outcome.ERRORED}.get(
        value, Outcome.NOT_APPLICABLE
    )


@contextlib.contextmanager
def _sigint_watch() -> Iterator[threading.Event]:
    """Remember a Ctrl-C even where a library swallows the KeyboardInterrupt it raises (schemathesis 4.32 does
    while it starts or joins its worker threads, and then carries on with the next phase)."""
    seen = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return

    def interrupted(signum: int, frame: Any) -> None:
        seen.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


class _Engine:
    """Feeds schemathesis' events into the ledger."""

    def __init__(self, facts: SpecFacts, ledger: Ledger, result: RunResult, notify: Callable[[str], None]) -> None:
        self.facts, self.ledger, self.result, self.notify = facts, ledger, result, notify
        self.sigint = threading.Event()
        # Transport failures schemathesis reported, waiting for the scenario that holds their request.
        self.pending: dict[str, tuple[BaseException, str]] = {}

    def _unanswered(self, event: engine_events.ScenarioFinished, phase: str) -> None:
        """Requests that got no response in a scenario: one transport finding each, with the request."""
        for case, request in engine_events.unanswered_requests(event):
            label = str(case.operation.label)
            error, _ = self.pending.pop(label, (None, ""))
            if error is not None:
                path_params = {k: str(v) for k, v in (case.path_parameters or {}).items()}
                sent = Sent.of(request)
                self.ledger.no_response(
                    error, label=label, ordinary=True, path_params=path_params, phase=phase, sent=sent
                )

    def flush(self) -> None:
        """Transport failures whose request schemathesis did not record (its curl note on the error still says)."""
        for label, (error, phase) in sorted(self.pending.items()):
            sent = sent_from_curl_note(error)
            self.ledger.no_response(error, label=label, ordinary=True, path_params={}, phase=phase, sent=sent)
        self.pending.clear()

    def scenario(self, event: engine_events.ScenarioFinished) -> None:
        self._unanswered(event, event.phase.value)
        exchanges: list[tuple[Any, engine_events.RecordedExchange, list[CheckResult]]] = [
            (recorded.case, recorded, [CheckResult(c.name, _outcome(c.status), c.failure) for c in recorded.checks])
            for recorded in engine_events.scenario_exchanges(event)
        ]
        self._blame_the_page(exchanges)
        for case, interaction, results in exchanges:
            label = str(case.operation.label)
            self.ledger.exchange(
                facts=self.facts.operation(label),
                label=label,
                method=str(case.method),
                path_params={k: str(v) for k, v in (case.path_parameters or {}).items()},
                phase=event.phase.value,
                sent=Sent.of(interaction.request),
                received=Received.of(interaction.response),
                results=results,
            )

    def _blame_the_page(self, exchanges: list[tuple[Any, Any, list[CheckResult]]]) -> None:
        """A check that judges one response by an earlier one (a resource still there after its DELETE
        "succeeded") fails because of the page when that earlier step got a page instead of an API response:
        such failures move onto the page's step, where the page is reported as one finding."""
        page: list[CheckResult] | None = None
        for case, interaction, results in exchanges:
            if page is not None:
                moved = [r for r in results if r.check in CROSS_REQUEST_CHECKS and r.failure is not None]
                results[:] = [CheckResult(r.check, Outcome.NOT_APPLICABLE) if r in moved else r for r in results]
                page.extend(moved)
            elif not_an_api_response(
                Received.of(interaction.response), self.facts.operation(str(case.operation.label))
            ):
                page = results

    def error(self, event: engine_events.NonFatalError | engine_events.FatalError) -> None:
        error: BaseException = event.value if isinstance(event, engine_events.NonFatalError) else event.exception
        label = getattr(event, "label", "") or ""
        phase = getattr(getattr(event, "phase", None), "value", "") or "engine"
        where = f"{phase}: {label}" if label else phase
        if isinstance(error, requests.RequestException | OSError) and label in self.facts.operations:
            self.pending[label] = (error, phase)
            title = transport_kind(error)[1].lower()
            self.result.aborted.append(f"{where} stopped early after a transport failure ({title})")
        else:
            self.result.errors.append(redact(f"{where}: {type(error).__name__}: {' '.join(str(error).split())[:300]}"))
            self.result.aborted.append(f"{where} stopped early: {type(error).__name__}")

    def run(self, schema: Any) -> None:
        """Run schemathesis on ``schema`` (see :meth:`consume`)."""
        self.consume(engine_events.execute(schema))

    def consume(self, stream: Iterable[engine_events.EngineEvent]) -> None:
        """Account every event of a schemathesis run, then the transport failures no scenario claimed.

        Raises:
            KeyboardInterrupt: Ctrl-C (seen by :func:`_sigint_watch`) or an ``Interrupted`` event.
        """
        for event in stream:
            if self.sigint.is_set():
                raise KeyboardInterrupt
            if isinstance(event, engine_events.PhaseStarted):
                self.notify(f"phase {event.phase.name.value}: started")
            elif isinstance(event, engine_events.PhaseFinished):
                self.result.phases[event.phase.name.value] = event.status.value
                said = _PHASE_SAID.get(event.status.value, event.status.value)
                self.notify(f"phase {event.phase.name.value}: {said}")
            elif isinstance(event, engine_events.ScenarioFinished):
                self.scenario(event)
            elif isinstance(event, engine_events.NonFatalError | engine_events.FatalError):
                self.error(event)
            elif isinstance(event, engine_events.Interrupted):
                raise KeyboardInterrupt
        self.flush()
        if self.sigint.is_set():
            raise KeyboardInterrupt


def _stages(
    options: RunOptions,
    *,
    facts: SpecFacts,
    pools: IdPools,
    schema: Any,
    engine: _Engine,
    direct: Direct,
    result: RunResult,
) -> None:
    """Fixtures, schemathesis, sweep, probes, lifecycle; Ctrl-C anywhere ends them with ``interrupted`` set."""
    notify = engine.notify
    try:
        _fixtures(options, facts, pools, engine.ledger.evidence)
        Steering(facts, pools).install(schema)
        engine.run(schema)
        notify("sweep and probes: started")
        sweep(direct, facts, pools, pools.readable)
        result.notes += run_probes(direct, facts, pools)
        result.lifecycle = run_lifecycle(
            direct,
            facts,
            given=options.ids,
            deadline=options.lifecycle_deadline,
            poll_interval=options.poll_interval,
            misbehave=options.misbehave,
            on_progress=notify,
        )
        result.notes += result.lifecycle.notes
    except KeyboardInterrupt:
        result.interrupted = True
        notify("interrupted: writing what was seen so far")
    finally:
        direct.close()


def run(options: RunOptions) -> RunResult:
    """Run the suite against ``options.target``; Ctrl-C ends it early with ``interrupted`` set.

    Raises:
        BaselineError: the baseline file cannot be used.
        schemathesis.errors.SchemathesisError / ValueError / OSError: unusable spec or config.
    """
    secret = register_secret(options.api_key)
    notify = options.on_progress or (lambda _message: None)
    target = options.target
    result = RunResult(
        target=target.name,
        base_url=target.public_base_url,
        started_at=time.time(),
        spec=options.spec.name,
        given_ids={name: list(values) for name, values in options.ids.items()},
        embedded=target.embedded,
        mock_args=list(target.mock_args),
        baseline=str(options.baseline) if options.baseline is not None else None,
    )
    started = time.monotonic()
    known = KnownDeviations.load(options.baseline)
    facts = load_facts(options.spec)
    result.operations = sorted(facts.operations)
    ledger = Ledger(known, options.api_key, base_url=target.base_url, public_base_url=target.public_base_url)
    result.evidence = ledger.evidence
    config = _config(options)
    schema = schemathesis.openapi.from_path(str(options.spec), config=config)
    direct = Direct(
        schema, facts, target, options.api_key, ledger, options.clock, timeout=options.request_timeout or 10.0
    )
    pools = IdPools()
    engine = _Engine(facts, ledger, result, notify)
    with _sigint_watch() as engine.sigint:
        _stages(options, facts=facts, pools=pools, schema=schema, engine=engine, direct=direct, result=result)
    result.interrupted = result.interrupted or engine.sigint.is_set()
    ledger.evidence.finalize(SUITE_CHECKS)
    result.findings = ledger.findings
    result.created_jobs = list(target.created_jobs)
    result.rate_limit_waits = direct.rate_limit_waits
    result.baseline_unused = known.unused()
    result.duration = time.monotonic() - started
    del secret  # the caller keeps its own registration for as long as it writes reports
    return result
