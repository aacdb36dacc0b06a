"""One checker for real traffic: every exchange the proxy forwarded (or a cassette holds) goes through the same
checks as a suite run and into the same :class:`~contract_tests.suite.findings.Ledger`.

For each exchange, in order:

1. Redaction: credentials in their places become ``${TOKENOPS_API_KEY}`` (and are registered as secrets, so they
   are scrubbed from bodies and errors too); the response body is decoded (``Content-Encoding``). What comes out
   is what reports show and what a cassette records (:mod:`contract_tests.cassette`).
2. Routing: the raw path is matched against the spec's compiled path templates; a request to no operation of the
   spec is a ``request_operation_known`` finding (client nonconformance; a spec gap when the server answered it
   with a 2xx).
3. The request against the spec (``request_conformance``, :mod:`contract_tests.suite.traffic.wire_checks`).
4. The response: no usable response (refused, dropped, stalled, an undecodable body) is a transport finding;
   otherwise schemathesis' response checks (status, content type, headers, schema) and the suite's own (id
   matches the path, status implies fields, our client parses it) through
   :class:`~contract_tests.suite.direct.Validator`, and each event of an event stream against its schema. A body
   bigger than the capture limit is counted, not checked.
5. Lifecycle: a resource seen more than once (by its ``id``) is checked across its bodies with the suite's
   lifecycle rules (:func:`contract_tests.suite.lifecycle.check_sequence`): progress never decreases, status never
   moves backwards, terminal states stay, timestamps stay; a resource that answered 2xx and then 404 without a
   DELETE in between vanished. At most ``max_resources`` resources are remembered (least recently seen forgotten).

Memory stays bounded however long the traffic runs: findings are deduplicated by identity, evidence is counters
per operation, unknown paths are folded into a bounded set of shapes, and the secrets registered are capped.
"""

from __future__ import annotations

import collections
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import schemathesis

import contract_tests.suite.checks  # noqa: F401 - registers the suite's checks with schemathesis
from contract_tests.cassette import PLACEHOLDER, Exchange, UndecodableBody, decoded, redacted, scrubbed
from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.categories import Category
from contract_tests.suite.checks import SUITE_CHECKS
from contract_tests.suite.credentials import resolve_credentials
from contract_tests.suite.direct import Validator
from contract_tests.suite.evidence import CheckCount, Outcome
from contract_tests.suite.findings import CheckResult, Ledger
from contract_tests.suite.lifecycle import LifecycleViolation, check_sequence
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.resources import Lifecycle, rules_for
from contract_tests.suite.runner import RunResult
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts, load_facts
from contract_tests.suite.traffic.wire_checks import EVENT_CHECK, REQUEST_CONFORMANCE, REQUEST_OPERATION, WireChecks
from tokenops.redaction import Secret, register_secret
from tokenops.spec import is_event_stream, is_json

__all__ = [
    "MAX_RESOURCES",
    "MAX_SECRETS",
    "PHASE",
    "TRAFFIC_CHECKS",
    "TrafficChecker",
    "TrafficStats",
    "failure_for",
]

PHASE = "traffic"
MAX_RESOURCES = 10_000
MAX_SECRETS = 64  # distinct credentials remembered for scrubbing (the least recently seen is forgotten)
MIN_SECRET_LENGTH = 8
MAX_UNKNOWN_SHAPES = 200
TRAFFIC_CHECKS = (*SUITE_CHECKS, REQUEST_OPERATION, REQUEST_CONFORMANCE)
# An id, not a route name: three digits or more (video_123, a UUID), or a long segment ("v1", "gpt-4o" are names).
_ID_SEGMENT = re.compile(r"\d.*\d.*\d|^.{33,}$")
# Why an exchange was not checked, as the report says it.
NOT_CHECKED_BODY = "response body bigger than --max-body"
NOT_CHECKED_CLIENT = "the client closed the connection before the response ended"


class UpstreamTimeout(Exception):
    """No complete response within the upstream timeout (named so the ledger calls it a timeout)."""


class UpstreamProtocolError(Exception):
    """The connection dropped mid-response (named so the ledger calls it a dropped connection)."""


class UpstreamFailure(Exception):
    """The connection failed (refused, or otherwise); the message says which."""


_ERRORS: dict[str, type[Exception]] = {
    "UndecodableBody": UndecodableBody,
    "Timeout": UpstreamTimeout,
    "ConnectionDropped": UpstreamProtocolError,
}


def failure_for(kind: str, message: str) -> Exception:
    """The exception the ledger classifies as transport failure ``kind`` (``transport_kind`` gives ``kind`` back)."""
    return _ERRORS.get(kind, UpstreamFailure)(message)


class TrafficStats:
    """What the traffic held, apart from findings: counts only (bounded)."""

    def __init__(self) -> None:
        self.exchanges = 0
        self.checked = 0
        self.not_checked: collections.Counter[str] = collections.Counter()
        self.unknown = 0
        self.transitions = 0


class _Route:
    __slots__ = ("facts", "template")

    def __init__(self, facts: OperationFacts) -> None:
        self.facts = facts
        assert facts.model is not None  # noqa: S101 - facts read through the shared model always carry it
        self.template = facts.model.template


def _shape(path: str) -> str:
    """A path with its id-like segments replaced: one finding per route shape, not per id."""
    return "/".join("{…}" if _ID_SEGMENT.search(part) else part for part in path.split("/"))


class TrafficChecker:
    """Checks exchanges into one ledger; :meth:`result` is a report-ready :class:`RunResult` at any moment.

    Args:
        spec: the OpenAPI file the traffic is checked against.
        upstream: the server the traffic went to (reports and curls name it).
        baseline: known deviations (the suite's baseline file format), or None.
        mode: ``proxy`` or ``replay`` (what reports say).
        max_resources: resources followed for lifecycle checks at once.
    """

    def __init__(
        self,
        spec: Path,
        *,
        upstream: str,
        baseline: Path | None = None,
        mode: str = "proxy",
        max_resources: int = MAX_RESOURCES,
    ) -> None:
        self.facts: SpecFacts = load_facts(spec)
        self.model = self.facts.model
        self.upstream = upstream.rstrip("/")
        self.mode = mode
        self.validator = Validator(schemathesis.openapi.from_path(str(spec)))
        self.wire = WireChecks(self.model)
        self.known = KnownDeviations.load(baseline)
        credentials = resolve_credentials(self.model, PLACEHOLDER, {})
        self.ledger = Ledger(
            self.known, PLACEHOLDER, base_url=self.upstream, public_base_url=self.upstream, credentials=credentials
        )
        self.stats = TrafficStats()
        self.started_at = time.time()
        self._started = time.monotonic()
        self._result = RunResult(
            target=f"{mode} of traffic to {self.upstream}",
            base_url=self.upstream,
            started_at=self.started_at,
            spec=spec.name,
            operations=sorted(self.facts.operations),
            baseline=str(baseline) if baseline is not None else None,
        )
        self._routes: dict[int, list[_Route]] = {}
        for facts in self.facts.operations.values():
            route = _Route(facts)
            self._routes.setdefault(len(route.template.segments), []).append(route)
        self._secrets: collections.OrderedDict[str, Secret] = collections.OrderedDict()
        self._unknown_shapes: set[str] = set()
        self.lifecycle = _Follower(self, max_resources)
        self.notes: list[str] = []

    # -- one exchange --------------------------------------------------------------------------------------------

    def route(self, method: str, raw_path: str) -> tuple[OperationFacts | None, dict[str, str]]:
        """The operation ``method`` on ``raw_path`` calls (HEAD reads as GET), with its path parameters."""
        segments = len([part for part in raw_path.strip("/").split("/") if part]) if raw_path.strip("/") else 0
        wanted = "GET" if method == "HEAD" else method
        fallback: tuple[OperationFacts | None, dict[str, str]] = (None, {})
        for route in self._routes.get(segments, ()):
            params = route.template.match(raw_path)
            if params is None:
                continue
            if route.facts.method == wanted:
                return route.facts, params
            if fallback[0] is None:
                fallback = (route.facts, params)  # the path exists, with another method: a wrong-method request
        return fallback

    def _remember(self, secrets: list[str]) -> None:
        for value in secrets:
            if len(value) < MIN_SECRET_LENGTH:
                continue  # redacted in its place; scrubbing "abc" from every text would mangle the reports
            if value in self._secrets:
                self._secrets.move_to_end(value)
                continue
            self._secrets[value] = register_secret(value)
            if len(self._secrets) > MAX_SECRETS:
                self._secrets.popitem(last=False)

    def check(self, raw: Exchange) -> Exchange:
        """Check one exchange into the ledger.

        Args:
            raw: the exchange as captured (credentials and all) or as a cassette holds it.

        Returns:
            The exchange redacted, decoded and scrubbed: what a cassette may record.
        """
        exchange, secrets = redacted(raw, self.model.security_schemes)
        self._remember(secrets)
        undecodable: UndecodableBody | None = None
        try:
            exchange = decoded(exchange)
        except UndecodableBody as exc:
            undecodable = exc
        exchange = scrubbed(exchange)
        self.stats.exchanges += 1
        facts, path_params = self.route(exchange.method, exchange.path)
        sent = Sent(
            exchange.method,
            f"{self.upstream}{exchange.target}",
            exchange.request_headers,
            exchange.request_body or None,
        )
        if facts is None:
            self._unknown(exchange, sent)
            return exchange
        self._request(facts, exchange, path_params, sent)
        if exchange.error == "ClientClosed":
            self.stats.not_checked[NOT_CHECKED_CLIENT] += 1
        elif exchange.error is not None or undecodable is not None or exchange.status is None:
            kind, message = (
                ("UndecodableBody", str(undecodable)) if undecodable else (exchange.error or "", exchange.error_message)
            )
            self.ledger.no_response(
                failure_for(kind, message),
                label=facts.label,
                ordinary=exchange.method == facts.method,
                path_params=path_params,
                phase=PHASE,
                sent=sent,
            )
        else:
            self._response(facts, exchange, path_params, sent)
        return exchange

    def _unknown(self, exchange: Exchange, sent: Sent) -> None:
        self.stats.unknown += 1
        shape = _shape(exchange.path)
        if shape not in self._unknown_shapes and len(self._unknown_shapes) >= MAX_UNKNOWN_SHAPES:
            shape = "(other paths)"
        self._unknown_shapes.add(shape)
        label = f"{exchange.method} {shape}"
        answered = exchange.status is not None and 200 <= exchange.status < 300  # noqa: PLR2004
        received = (
            Received(exchange.status, exchange.response_headers, exchange.response_body)
            if exchange.status is not None
            else None
        )
        self.ledger.add(
            check=REQUEST_OPERATION,
            failure_type="ClientNonconformance" if not answered else "SpecGap",
            title=(
                "Request to an operation the spec does not have"
                if not answered
                else "Undocumented operation answered with a 2xx"
            ),
            message=(
                f"{label} is no operation of the spec"
                + (f" (the server answered {exchange.status})" if exchange.status is not None else "")
            ),
            key=label,
            operation=label,
            phase=PHASE,
            sent=sent,
            received=received,
            evidence={"field": "path", "value": exchange.path[:200], "status": exchange.status},
            category=Category.SPEC_GAP if answered else None,
        )

    def _count(self, label: str, check: str, outcome: Outcome) -> None:
        count = self.ledger.evidence.operation(label).checks.setdefault(check, CheckCount())
        count.add(outcome)

    def _request(self, facts: OperationFacts, exchange: Exchange, path_params: dict[str, str], sent: Sent) -> None:
        self._count(facts.label, REQUEST_OPERATION, Outcome.HELD)
        if facts.model is None or exchange.method != facts.method:
            return
        failure = self.wire.request(facts.model, exchange, path_params)
        self._count(facts.label, REQUEST_CONFORMANCE, Outcome.HELD if failure is None else Outcome.FAILED)
        if failure is not None:
            received = (
                Received(exchange.status, exchange.response_headers, exchange.response_body)
                if exchange.status is not None
                else None
            )
            self.ledger.add_failure(
                failure, REQUEST_CONFORMANCE, facts=facts, label=facts.label, phase=PHASE, sent=sent, received=received
            )

    def _response(self, facts: OperationFacts, exchange: Exchange, path_params: dict[str, str], sent: Sent) -> None:
        assert exchange.status is not None  # noqa: S101 - the caller checked
        received = Received(exchange.status, exchange.response_headers, exchange.response_body)
        whole = exchange.response_complete
        results = self._results(facts, exchange, path_params, sent) if whole else []  # a cut body is not judged
        self.ledger.exchange(
            facts=facts,
            label=facts.label,
            method=exchange.method,
            path_params=path_params,
            phase=PHASE,
            sent=sent,
            received=received,
            results=results,
        )
        if not whole:
            self.stats.not_checked[NOT_CHECKED_BODY] += 1
            return
        self.stats.checked += 1
        self.lifecycle.observe(facts, exchange, path_params, sent, received)

    def _results(
        self, facts: OperationFacts, exchange: Exchange, path_params: dict[str, str], sent: Sent
    ) -> list[CheckResult]:
        """Every response check's outcome: schemathesis' and the suite's, then the events of a stream."""
        assert exchange.status is not None  # noqa: S101 - the caller checked
        headers = dict(exchange.request_headers)
        response = schemathesis.Response(
            status_code=exchange.status,
            headers=_grouped(exchange.response_headers),
            content=exchange.response_body,
            request=requests.Request(exchange.method, sent.url, headers=headers).prepare(),
            elapsed=exchange.duration,
            verify=True,
        )
        results = self.validator.validate(
            facts=facts,
            method=exchange.method,
            path_params=path_params,
            headers=headers,
            body=None,
            response=response,
            checks=None,
        )
        media = exchange.response_header("content-type")
        if facts.model is not None and is_event_stream(media):
            violation = self.wire.events(facts.model, exchange.status, media, exchange.response_body)
            results.append(CheckResult(EVENT_CHECK, Outcome.HELD if violation is None else Outcome.FAILED, violation))
        return results

    # -- the result ----------------------------------------------------------------------------------------------

    def result(self, *, skipped: int = 0, cassette: Mapping[str, Any] | None = None) -> RunResult:
        """What the traffic showed so far, ready for the reports (call it as often as reports are written).

        Args:
            skipped: exchanges the proxy forwarded but could not hand to the checker (it was behind).
            cassette: ``{"path", "recorded", "dropped"}`` of the recording, if any.
        """
        result = self._result
        evidence = self.ledger.evidence
        evidence.finalize(TRAFFIC_CHECKS)
        result.evidence = evidence
        result.findings = self.ledger.findings
        result.duration = time.monotonic() - self._started
        result.baseline_unused = self.known.unused()
        not_checked = dict(self.stats.not_checked)
        if skipped:
            not_checked["the checker was behind (its memory budget was full): forwarded, not checked"] = skipped
        seen = {label for label, op in evidence.operations.items() if op.requests}
        not_seen = [label for label in result.operations if label not in seen]
        notes = list(self.notes)
        if not_seen:
            notes.append(f"not seen (no traffic, not judged): {', '.join(not_seen)}")
        notes += [f"not checked: {count} exchange(s): {why}" for why, count in sorted(not_checked.items())]
        if self.stats.unknown:
            notes.append(f"{self.stats.unknown} request(s) to no operation of the spec (see request_operation_known)")
        if self.stats.transitions:
            notes.append(
                f"lifecycle: {self.stats.transitions} transition(s) of {self.lifecycle.followed} resource(s) checked"
            )
        result.notes = notes
        result.traffic = {
            "mode": self.mode,
            "upstream": self.upstream,
            "exchanges": self.stats.exchanges + skipped,
            "checked": self.stats.checked,
            "not_checked": not_checked,
            "unknown_operation_requests": self.stats.unknown,
            "not_seen": not_seen,
            "lifecycle_transitions": self.stats.transitions,
            "cassette": dict(cassette) if cassette is not None else None,
        }
        return result


def _grouped(headers: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return grouped


class _Follower:
    """Lifecycle resources seen more than once, checked across their bodies (bounded, least recently seen
    forgotten first)."""

    def __init__(self, checker: TrafficChecker, limit: int) -> None:
        self.checker = checker
        self.limit = limit
        self.last: collections.OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = collections.OrderedDict()
        self.followed = 0
        self._rules: dict[str, Lifecycle | None] = {
            name: rules_for(states) for name, states in checker.facts.lifecycle_schemas.items()
        }
        self._polling = {
            name: reader.label
            for name in checker.facts.lifecycle_schemas
            if (reader := checker.facts.polling_operation(name)) is not None
        }

    def observe(
        self,
        facts: OperationFacts,
        exchange: Exchange,
        path_params: Mapping[str, str],
        sent: Sent,
        received: Received,
    ) -> None:
        status = received.status
        addressed = path_params.get(facts.addressed_by) if facts.addressed_by else None
        if exchange.method != facts.method:
            return
        if facts.destructive and 200 <= status < 300 and addressed is not None:  # noqa: PLR2004
            for key in [key for key in self.last if key[1] == addressed]:
                del self.last[key]
            return
        if status == 404 and addressed is not None:  # noqa: PLR2004
            self._vanished(facts, addressed, sent, received)
            return
        if not (200 <= status < 300 and facts.resource_sites and is_json(received.header("content-type"))):  # noqa: PLR2004
            return
        try:
            body = json.loads(exchange.response_body)
        except (ValueError, RecursionError):
            return
        for site in facts.resource_sites:
            rules = self._rules.get(site.schema_name)
            if rules is None:
                continue
            for _path, obj in site.locate(body):
                if isinstance(obj.get("id"), str):
                    self._follow(facts, (site.schema_name, rules), obj, exchange.started_at, (sent, received))

    def _follow(
        self,
        facts: OperationFacts,
        kind: tuple[str, Lifecycle],
        body: dict[str, Any],
        at: float,
        seen: tuple[Sent, Received],
    ) -> None:
        (schema_name, rules), (sent, received) = kind, seen
        key = (schema_name, str(body["id"]))
        previous = self.last.get(key)
        if previous is None:
            self.followed += 1
        else:
            self.last.move_to_end(key)
        # Exchanges end out of order when requests overlap: compare in the order the server answered them.
        if previous is not None and previous[0] > at:
            self.checker.stats.transitions += 1
            self._judge(facts, rules, [body, previous[1]], sent, received)
            return
        self.last[key] = (at, body)
        if len(self.last) > self.limit:
            self.last.popitem(last=False)
        if previous is not None:
            self.checker.stats.transitions += 1
            self._judge(facts, rules, [previous[1], body], sent, received)

    def _judge(
        self, facts: OperationFacts, rules: Lifecycle, bodies: list[dict[str, Any]], sent: Sent, received: Received
    ) -> None:
        passed, found = check_sequence(bodies, rules, label=facts.label)
        checks = self.checker.ledger.evidence.operation(facts.label).checks
        for check, count in passed.items():
            checks.setdefault(check, CheckCount()).held += count
        for check, violation, _index in found:
            checks.setdefault(check, CheckCount()).failed += 1
            self.checker.ledger.add_failure(
                violation, check, facts=facts, label=facts.label, phase=PHASE, sent=sent, received=received
            )

    def _vanished(self, facts: OperationFacts, addressed: str, sent: Sent, received: Received) -> None:
        for schema_name, label in self._polling.items():
            if label != facts.label or (schema_name, addressed) not in self.last:
                continue
            del self.last[(schema_name, addressed)]
            violation = LifecycleViolation(
                operation=facts.label,
                title="Resource vanished while being followed",
                message=f"{facts.addressed_by}={addressed!r} answered 2xx, then {received.status} (no DELETE seen)",
                key="vanished",
                evidence={"field": facts.addressed_by, "value": addressed},
            )
            checks = self.checker.ledger.evidence.operation(facts.label).checks
            checks.setdefault("lifecycle_resource_kept", CheckCount()).failed += 1
            self.checker.ledger.add_failure(
                violation,
                "lifecycle_resource_kept",
                facts=facts,
                label=facts.label,
                phase=PHASE,
                sent=sent,
                received=received,
            )
