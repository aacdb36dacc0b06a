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
import os
import shlex
import signal
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from contract_tests.suite.credentials import RunCredentials, resolve_credentials
from contract_tests.suite.direct import Direct
from contract_tests.suite.evidence import Evidence, Outcome
from contract_tests.suite.findings import CheckResult, Finding, Ledger, not_an_api_response, transport_kind
from contract_tests.suite.lifecycle import LifecycleResult, run_lifecycle
from contract_tests.suite.pagination import run_pagination
from contract_tests.suite.probes import run_probes, sweep
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.resources import rules_for
from contract_tests.suite.spec_facts import SpecFacts, load_facts
from contract_tests.suite.steering import IdPools, Steering
from contract_tests.suite.targets import Target, operation_base
from contract_tests.suite.writes import NOT_ALLOWED, SAFE_METHODS, WritePolicy, WriteRefused
from tokenops import Clock, SystemClock
from tokenops.redaction import redact, register_secret

__all__ = ["DISPOSABLE_FIXTURES", "PHASE_OUTCOMES", "PhaseOutcome", "RunOptions", "RunResult", "run"]

# schemathesis checks that judge a response by an earlier step of the scenario (see _Engine._blame_the_page).
CROSS_REQUEST_CHECKS = frozenset({"use_after_free", "ensure_resource_availability"})
NOT_SELECTED = "not selected (--operation names the operations to test)"  # why an operation is not tested
DISPOSABLE_FIXTURES = 12  # jobs created on our mock for operations that delete what they name

# A finished phase in the suite's terms. Schemathesis says "failure" for any failed check, also for deviations the
# baseline knows or a spec gap that fails nothing: what a finding means is the verdict's to say, not the phase's.
PHASE_OUTCOMES = {
    "success": "completed",
    "failure": "completed",
    "skip": "skipped",
    "error": "stopped early",
    "interrupted": "interrupted",
}


@attrs.frozen
class PhaseOutcome:
    """How a phase ended (:data:`PHASE_OUTCOMES`) and the findings first seen in it, new and known."""

    outcome: str
    new: int = 0
    known: int = 0

    def describe(self) -> str:
        """``completed: 1 new finding, 2 known``."""
        return f"{self.outcome}: {self.new} new finding{'s' if self.new != 1 else ''}, {self.known} known"


@attrs.define
class RunOptions:
    target: Target
    api_key: str
    # Known ids per path parameter (``--video-id`` is ``{"video_id": [...]}``) and ids the suite may delete.
    ids: dict[str, list[str]] = attrs.field(factory=dict)
    disposable: dict[str, list[str]] = attrs.field(factory=dict)
    spec: Path = attrs.field(factory=spec_path)
    config: Path = attrs.field(factory=config_path)
    baseline: Path | None = None  # known deviations (None: none)
    max_examples: int | None = None
    request_timeout: float | None = None  # seconds; None: schemathesis.toml's, else 10
    lifecycle_deadline: float = 120.0
    poll_interval: float = 2.0
    misbehave: bool = False  # rig one lifecycle job (our mock only): proves the lifecycle check can fail
    clock: Clock = attrs.field(factory=SystemClock)
    on_progress: Callable[[str], None] | None = None
    # Where TOKENOPS_CREDENTIAL_<SCHEME> variables are read: a credential per security scheme, else ``api_key``.
    environ: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ), repr=False)
    # Which writes (requests that change something or cost money) may be sent: all of them by default.
    writes: WritePolicy = attrs.field(factory=WritePolicy)
    # The operations to test (labels or operationIds, ``--operation``); empty: every operation of the spec.
    operations: tuple[str, ...] = ()


@attrs.define
class RunResult:
    target: str
    base_url: str  # where the run sent its requests (the embedded mock: the free port it ran on)
    started_at: float
    replay_base_url: str | None = None  # the embedded mock: where its replay command serves it, as the curls say
    spec: str = ""
    duration: float = 0.0
    operations: list[str] = attrs.field(factory=list)
    findings: list[Finding] = attrs.field(factory=list)
    evidence: Evidence = attrs.field(factory=Evidence)
    # Each schemathesis phase: its outcome in the suite's terms, and the findings first seen in it.
    phases: dict[str, PhaseOutcome] = attrs.field(factory=dict)
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
    # Operations that take no input at all (no parameter, no body): every request is the same one.
    fixed_requests: list[str] = attrs.field(factory=list)
    # Operations the run did not test, with why ("writes not allowed ..."): reported, never held against the verdict.
    not_tested: dict[str, str] = attrs.field(factory=dict)
    # Operations whose writes were cut short by --max-writes after some were sent (they need one checked body).
    write_capped: list[str] = attrs.field(factory=list)
    writes_allowed: bool = True
    max_writes: int | None = None
    writes_sent: int = 0

    # Reports of real traffic only (contract_tests.suite.traffic): what was seen, what was not checked.
    traffic: dict[str, Any] | None = None

    @property
    def tested(self) -> list[str]:
        """The operations the run tested (``operations`` minus ``not_tested``)."""
        return [label for label in self.operations if label not in self.not_tested]

    @property
    def new_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.known]

    @property
    def responses(self) -> int:
        return sum(e.requests for e in self.evidence.operations.values())

    def rematch(self, known: KnownDeviations) -> None:
        """Judge the findings by another baseline (after ``--update-baseline``): which are known, new or expired,
        which 2xx bodies had known deviations only, which entries no finding matched."""
        known.used.clear()
        for finding in self.findings:
            finding.match(known)
        self.evidence.recount_known_only({finding.identity for finding in self.findings if finding.known})
        self.baseline = str(known.path) if known.path is not None else None
        self.baseline_unused = known.unused()


def _config(options: RunOptions, credentials: RunCredentials) -> schemathesis.Config:
    data: dict[str, Any] = tomllib.loads(options.config.read_text(encoding="utf-8"))
    # Bearer tokens go in a fixed header, as they always have: schemathesis then treats the operation as it treats a
    # plain API (its OpenAPI-aware auth also fuzzes the credential, which spends the run's examples on 401s). Every
    # other scheme (an API key in the query, a header or a cookie; basic auth) goes through schemathesis'
    # OpenAPI-aware auth, which places it where the operation's security says.
    auth = credentials.schemathesis_auth()
    bearer = credentials.bearer_value()
    others = {name: entry for name, entry in auth.items() if bearer is None or "bearer" not in entry}
    if bearer is not None or not auth:  # (several different bearer tokens: each through the OpenAPI-aware auth)
        token = options.api_key if bearer is None else bearer
        data["headers"] = {**data.get("headers", {}), "Authorization": f"Bearer {token}"}
    if others:
        data.setdefault("auth", {}).setdefault("openapi", {}).update(others)
        # With credentials it knows, schemathesis' ignored_auth check re-sends requests without them; the suite's
        # auth probes do that for every scheme (missing, wrong, wrong place) and classify the answers themselves.
        data.setdefault("checks", {})["ignored_auth"] = {"enabled": False}
    data.pop("baseline", None)  # the suite matches known deviations itself (contract_tests.suite.baseline)
    generation = data.setdefault("generation", {})
    generation["database"] = ":memory:"  # fresh per run: same spec + same server -> same run
    if options.max_examples is not None:
        generation["max-examples"] = options.max_examples
    if options.request_timeout is not None:
        data["request-timeout"] = options.request_timeout
    data["base-url"] = options.target.base_url
    if options.writes.max_writes is not None:
        # ignored_auth re-sends each request twice without passing the before_call hook that counts writes; the
        # suite's auth probes ask the same questions, counted.
        data.setdefault("checks", {})["ignored_auth"] = {"enabled": False}
    if not options.writes.allowed:  # undeclared methods the coverage phase tries: only those that change nothing
        coverage = data.setdefault("phases", {}).setdefault("coverage", {})
        coverage["unexpected-methods"] = sorted(method.lower() for method in SAFE_METHODS - {"HEAD"})
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
        if isinstance(getattr(error, "original_error", error), WriteRefused):  # held back by the write policy:
            return  # nothing was sent (schemathesis wraps what a hook raises in a HookExecutionError)
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
                name = event.phase.name.value
                first_seen = [finding for finding in self.ledger.findings if finding.phase == name]
                outcome = PhaseOutcome(
                    PHASE_OUTCOMES.get(event.status.value, "stopped early"),
                    new=sum(not finding.known for finding in first_seen),
                    known=sum(finding.known for finding in first_seen),
                )
                self.result.phases[name] = outcome
                self.notify(f"phase {name}: {outcome.describe()}")
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
        result.notes += run_pagination(direct, facts, pools)
    except KeyboardInterrupt:
        result.interrupted = True
        notify("interrupted: writing what was seen so far")
    finally:
        direct.close()


def _operation_bases(target: Target, facts: SpecFacts) -> dict[str, str]:
    """Each operation's base URL under the shared rule (:func:`contract_tests.suite.targets.operation_base`). When
    they are all one (the usual case: ``--target https://host/v1`` and paths that all start with ``/v1``), the target
    is rebased there, so schemathesis, the suite's requests and the mock's control API all use it.

    Raises:
        TargetError: nothing answers at the rebased URL.
    """
    bases = {
        label: operation_base(target.base_url, op.model.template) if op.model is not None else target.base_url
        for label, op in facts.operations.items()
    }
    shared = set(bases.values())
    if len(shared) == 1:
        target.rebase(shared.pop())
        return dict.fromkeys(bases, target.base_url)
    return bases


def _account_writes(result: RunResult, policy: WritePolicy) -> None:
    """Operations the write limit cut: untested when nothing reached them, else tested in part."""
    result.writes_sent, result.writes_allowed, result.max_writes = policy.sent, policy.allowed, policy.max_writes
    for label, count in sorted(policy.refused.items()):
        if label in result.not_tested or not count:
            continue
        if result.evidence.operation(label).requests == 0:
            result.not_tested[label] = f"the write limit (--max-writes {policy.max_writes}) was reached before it"
        else:
            result.write_capped.append(label)


def run(options: RunOptions) -> RunResult:
    """Run the suite against ``options.target``; Ctrl-C ends it early with ``interrupted`` set.

    Raises:
        BaselineError: the baseline file cannot be used.
        PolicyError: ``--billed`` names an operation the spec does not have.
        UnknownOperationError: ``operations`` names an operation the spec does not have.
        schemathesis.errors.SchemathesisError / ValueError / OSError: unusable spec or config.
    """
    secrets = [register_secret(options.api_key)]
    notify = options.on_progress or (lambda _message: None)
    target = options.target
    result = RunResult(
        target=target.name,
        base_url=target.base_url,
        replay_base_url=target.public_base_url if target.embedded else None,
        started_at=time.time(),
        spec=options.spec.name,
        given_ids={name: list(values) for name, values in options.ids.items()},
        embedded=target.embedded,
        mock_args=list(target.mock_args),
        baseline=str(options.baseline) if options.baseline is not None else None,
    )
    started = time.monotonic()
    known = KnownDeviations.load(options.baseline)
    whole = load_facts(options.spec)
    options.writes.learn(whole)
    facts = whole.only(options.operations)  # every stage below sees the selected operations only
    result.operations = sorted(whole.operations)
    bases = _operation_bases(target, facts)
    result.target = target.name  # our mock, found at the shared base (--target https://host/v1)
    result.not_tested = dict.fromkeys(sorted(set(whole.operations) - set(facts.operations)), NOT_SELECTED)
    result.not_tested |= {
        label: NOT_ALLOWED for label, op in facts.operations.items() if not options.writes.operation_may_write(op)
    }
    credentials = resolve_credentials(facts.model, options.api_key, options.environ)
    secrets += [register_secret(value) for value in credentials.secrets()]
    result.fixed_requests = sorted(
        label
        for label, operation in facts.operations.items()
        if operation.model is not None and not operation.model.parameters and operation.model.request_body is None
    )
    ledger = Ledger(
        known,
        options.api_key,
        base_url=target.base_url,
        public_base_url=target.public_base_url,
        credentials=credentials,
    )
    result.evidence = ledger.evidence
    config = _config(options, credentials)
    schema: Any = schemathesis.openapi.from_path(str(options.spec), config=config)
    if result.not_tested:
        schema = schema.exclude(lambda context: str(context.operation.label) in result.not_tested)
    if len(set(bases.values())) > 1:  # operations under different bases (see _operation_bases): one base each

        def before_init_operation(context: Any, operation: Any) -> None:
            operation.base_url = bases.get(str(operation.label), operation.base_url)

        schema.hook(before_init_operation)
    direct = Direct(
        schema,
        facts,
        target,
        options.api_key,
        ledger,
        options.clock,
        timeout=options.request_timeout or 10.0,
        credentials=credentials,
        writes=options.writes,
        bases=bases,
    )
    pools = IdPools()
    engine = _Engine(facts, ledger, result, notify)
    with _sigint_watch() as engine.sigint, options.writes.active(schema, facts):
        _stages(options, facts=facts, pools=pools, schema=schema, engine=engine, direct=direct, result=result)
    result.interrupted = result.interrupted or engine.sigint.is_set()
    ledger.evidence.finalize(SUITE_CHECKS)
    result.findings = ledger.findings
    result.created_jobs = list(target.created_jobs)
    result.rate_limit_waits = direct.rate_limit_waits
    result.baseline_unused = known.unused()
    _account_writes(result, options.writes)
    result.duration = time.monotonic() - started
    del secrets  # the caller keeps its own registration for as long as it writes reports
    return result
