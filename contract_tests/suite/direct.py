"""The suite's own requests (id sweeps, probes, lifecycle polls), checked exactly like schemathesis' cases.

:class:`Direct` sends with httpx (full control over paths, methods and headers; it honours ``429`` +
``Retry-After`` with an injectable clock) and validates every answer through schemathesis' own
``Case.validate_response`` with the suite's checks, collecting each check's outcome through an
``after_validate`` hook. Transport failures (dropped connections, timeouts, bodies that cannot be decoded)
become findings; nothing raises out of :meth:`Direct.send`.
"""

from __future__ import annotations

import email.utils
import math
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import httpx
from schemathesis import checks as schemathesis_checks
from schemathesis.errors import FailureGroup

from contract_tests.suite._schemathesis_private import Failure
from contract_tests.suite.checks import REGISTERED, SUITE_CHECKS
from contract_tests.suite.credentials import RunCredentials
from contract_tests.suite.evidence import Outcome
from contract_tests.suite.findings import CheckResult, Finding, Ledger
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.spec_facts import OperationFacts, SpecFacts
from contract_tests.suite.targets import Target, http_client
from contract_tests.suite.writes import WritePolicy
from tokenops import Clock
from tokenops.spec import Placement

__all__ = ["RESPONSE_CHECKS", "Direct", "Exchange", "Extra", "Validator", "retry_after"]

# Schemathesis' checks that judge one response on its own (no extra requests, no generation metadata).
RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
MAX_RATE_LIMIT_WAITS = 3
MAX_RATE_LIMIT_PAUSE = 60.0  # seconds: a longer Retry-After is waited out for this long (as schemathesis does)
USER_AGENT = "tokenops-conformance"

# An extra expectation of one probe: (check name, function of the response -> failure or None).
Extra = tuple[str, Callable[[Received], Failure | None]]


@attrs.frozen
class Exchange:
    """What :meth:`Direct.send` saw: the response (None when none came) and the findings it produced."""

    sent: Sent | None
    received: Received | None
    findings: list[Finding]
    body: Any = None  # the decoded JSON of a 2xx JSON answer, else None


def retry_after(value: str, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delay-seconds or an HTTP-date, ``now`` is wall-clock time),
    clamped to 0..:data:`MAX_RATE_LIMIT_PAUSE`; None when it is neither."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(0.0, min(MAX_RATE_LIMIT_PAUSE, seconds))


def _check_function(name: str) -> Any:
    return REGISTERED[name] if name in REGISTERED else getattr(schemathesis_checks, name)


@attrs.define
class Validator:
    """Runs checks on one response through schemathesis' ``Case.validate_response`` and returns every check's
    outcome (failures included, collected through an ``after_validate`` hook on ``schema``)."""

    schema: Any
    _results: list[Any] = attrs.field(factory=list)
    _hooked: bool = False

    def validate(
        self,
        *,
        facts: OperationFacts,
        method: str,
        path_params: Mapping[str, str],
        headers: Mapping[str, str],
        body: Any,
        response: Any,
        checks: Sequence[str] | None,
        query: Mapping[str, str] | None = None,
    ) -> list[CheckResult]:
        """Every check's outcome on ``response`` (an httpx or a schemathesis response) to a request of ``facts``.

        ``checks`` None: :data:`RESPONSE_CHECKS` and the suite's own; checks that recorded nothing did not apply.
        """
        names = list(RESPONSE_CHECKS + SUITE_CHECKS if checks is None else checks)
        if not names:
            return []
        if not self._hooked:

            def after_validate(context: Any, case: Any, response: Any, results: list[Any]) -> None:
                self._results.extend(results)

            self.schema.hook(after_validate)
            self._hooked = True
        operation = self.schema[facts.path][facts.method]
        case = operation.Case(
            method=method, path_parameters=dict(path_params), headers=dict(headers), query=dict(query or {})
        )
        if body is not None:
            case.body = body
        self._results.clear()
        try:
            case.validate_response(response, checks=[_check_function(name) for name in names], headers=dict(headers))
        except FailureGroup:
            pass  # every outcome, failures included, arrived through the after_validate hook
        except Exception as exc:
            ran = {result.name for result in self._results}
            crashed = next((name for name in names if name not in ran), names[-1])
            self._results.append(_Crashed(crashed, exc))
        outcomes = [
            CheckResult(
                str(result.name),
                Outcome.ERRORED if isinstance(result, _Crashed) else Outcome.FAILED if result.failure else Outcome.HELD,
                result.failure,
            )
            for result in self._results
        ]
        seen = {result.check for result in outcomes}
        outcomes += [CheckResult(name, Outcome.NOT_APPLICABLE) for name in names if name not in seen]
        return outcomes


@attrs.define
class Direct:
    schema: Any  # the schemathesis schema of the run
    facts: SpecFacts
    target: Target
    api_key: str
    ledger: Ledger
    clock: Clock
    timeout: float = 10.0
    credentials: RunCredentials | None = None
    writes: WritePolicy | None = None  # None: every write may be sent
    # Each operation's base URL (the shared base URL rule, contract_tests.suite.targets.operation_base); default the
    # target's.
    bases: Mapping[str, str] = attrs.field(factory=dict)
    rate_limit_waits: int = 0
    _http: httpx.Client | None = None
    _validator: Validator | None = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = http_client(timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def auth(self, facts: OperationFacts | None = None, key: str | None = None) -> Placement:
        """The credentials for ``facts`` (or ``key`` in each of their places), placed as its spec requires."""
        if self.credentials is None:
            return Placement({"Authorization": f"Bearer {self.api_key if key is None else key}"})
        return self.credentials.placement(facts.model if facts is not None else None, value=key)

    def path_for(
        self, facts: OperationFacts, values: Mapping[str, str], *, raw: Mapping[str, str] | None = None
    ) -> str:
        """``facts.path`` with each parameter percent-encoded (``raw`` values are inserted as given)."""
        path = facts.path
        for name in facts.path_params:
            text = (raw or {}).get(name)
            if text is None:
                text = urllib.parse.quote(str(values.get(name, "")), safe="")
            path = path.replace(f"{{{name}}}", text)
        return path

    def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: Any, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        client = self._client()
        waits = 0
        while True:
            response = client.request(method, url, headers=dict(headers), json=body, params=params or None)
            response.read()
            if response.status_code != 429 or waits >= MAX_RATE_LIMIT_WAITS:  # noqa: PLR2004
                return response
            delay = retry_after(response.headers.get("retry-after", ""), self.clock.time())
            if delay is None:
                return response
            waits += 1
            self.rate_limit_waits += 1
            self.clock.sleep(delay)

    def send(
        self,
        facts: OperationFacts,
        *,
        phase: str,
        path_params: Mapping[str, str],
        raw_path_params: Mapping[str, str] | None = None,
        method: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        checks: Sequence[str] | None = None,
        extras: Sequence[Extra] = (),
        credentials: Placement | None = None,
        probe: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send one request for ``facts`` and account the answer (or its absence) in the ledger.

        Credentials: ``credentials`` when given (a probe's), else none when ``headers`` are given, else the run's
        own, placed as the operation requires. A write the policy holds back is not sent (an empty exchange).
        ``probe`` names the probe that sends the request: findings it causes say so. ``query``: query parameters (a
        list's cursor and page size).
        """
        method = (method or facts.method).upper()
        placed = self.auth(facts) if headers is None and credentials is None else credentials or Placement()
        headers = {**placed.headers, **(headers or {})}
        if (cookie := placed.cookie_header()) is not None:
            headers["Cookie"] = cookie
        path = self.path_for(facts, path_params, raw=raw_path_params)
        ordinary = method == facts.method
        held = self.writes is not None and self.writes.writes(facts, method)
        if held and self.writes is not None and not self.writes.take(facts.label if ordinary else None):
            return Exchange(None, None, [])  # held back by the write policy: nothing was sent
        url = f"{self.bases.get(facts.label, self.target.base_url)}{path}"
        try:
            response = self._request(method, url, headers, body, {**(query or {}), **placed.query})
        except httpx.HTTPError as exc:
            try:
                sent = Sent.of(exc.request)
            except RuntimeError:  # httpx raises when the error carries no request
                sent = Sent(method, url, tuple(headers.items()))
            finding = self.ledger.no_response(
                exc, label=facts.label, ordinary=ordinary, path_params=dict(path_params), phase=phase, sent=sent
            )
            return Exchange(sent, None, [finding])
        sent, received = Sent.of(response.request), Received.of(response)
        if self._validator is None:
            self._validator = Validator(self.schema)
        results = self._validator.validate(
            facts=facts,
            method=method,
            path_params=path_params,
            headers=headers,
            body=body,
            response=response,
            checks=checks,
            query=query,
        )
        for name, expect in extras:
            failure = expect(received)
            results.append(CheckResult(name, Outcome.HELD if failure is None else Outcome.FAILED, failure))
        produced = self.ledger.exchange(
            facts=facts,
            label=facts.label,
            method=method,
            path_params=dict(path_params),
            phase=phase,
            sent=sent,
            received=received,
            results=results,
            probe=probe,
        )
        decoded = None
        if 200 <= received.status < 300:  # noqa: PLR2004
            try:
                decoded = response.json()
            except ValueError:
                decoded = None
        return Exchange(sent, received, produced, decoded)


@attrs.frozen
class _Crashed:
    name: str
    error: BaseException
    failure: None = None
