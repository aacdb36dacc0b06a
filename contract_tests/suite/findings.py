"""Findings: one per deviation (deduplicated), categorised, matched against the baseline, with evidence.

:class:`Ledger` takes every exchange of the run (schemathesis' cases, the suite's own probes, sweeps and
lifecycle polls) with its check results, and keeps both books: the findings and the
:class:`~contract_tests.suite.evidence.Evidence`. A response that is not an API response at all (an HTML page from
a proxy, a plain-text error) is one root cause: it becomes a single ``not_an_api_response`` finding however
many checks fail on it, wherever it appears. A request that got no usable response (connection dropped,
stalled, a body that cannot be decoded) becomes a ``transport_error`` finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import httpx
from schemathesis.baseline import failure_identity

from contract_tests.suite._schemathesis_private import Failure
from contract_tests.suite.baseline import ANY_OPERATION, KnownDeviations
from contract_tests.suite.categories import Category, categorize
from contract_tests.suite.checks import ContractFailure
from contract_tests.suite.credentials import RunCredentials
from contract_tests.suite.evidence import Evidence, Outcome
from contract_tests.suite.records import Received, Sent, body_text, request_record, response_record
from contract_tests.suite.spec_facts import OperationFacts, is_json_media_type
from tokenops.redaction import redact, redact_json

__all__ = ["NOT_AN_API_RESPONSE", "TRANSPORT_ERROR", "CheckResult", "Finding", "Ledger"]

NOT_AN_API_RESPONSE = "not_an_api_response"
TRANSPORT_ERROR = "transport_error"
THROTTLED = 429
BODY_CHECKS = ("response_schema_conformance", "content_type_conformance")
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
_SURROGATES = range(0xD800, 0xE000)
_TITLE_TAG = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@attrs.define
class Finding:
    check: str
    category: Category
    failure_type: str
    title: str
    message: str
    key: str
    operation: str
    phase: str
    status_code: int | None
    request: dict[str, Any]
    response: dict[str, Any] | None
    evidence: dict[str, Any] = attrs.field(factory=dict)
    known: bool = False
    baseline_id: str | None = None
    baseline_expired: str | None = None
    occurrences: int = 1
    operations: list[str] = attrs.field(factory=list)

    @property
    def category_value(self) -> str:
        return self.category.value

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.operation, self.check, self.failure_type, self.key)

    def match(self, known: KnownDeviations) -> None:
        """Set ``known``, ``baseline_id`` and ``baseline_expired`` from the entry of ``known`` covering it."""
        found = known.match(self)
        self.baseline_id = found.entry_id if found is not None else None
        self.baseline_expired = found.expired if found is not None else None
        self.known = found is not None and found.expired is None


@attrs.frozen
class CheckResult:
    """One check's outcome on one response (``failure`` set when it failed)."""

    check: str
    outcome: Outcome
    failure: Failure | None = None


def _readable(text: str) -> str:
    """JSON ``\\uXXXX`` escapes (schemathesis' schema excerpts) back to the characters: Chinese stays readable."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return match.group(0) if code in _SURROGATES else chr(code)

    return _ESCAPED.sub(char, text)


def _json_path(parts: Sequence[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(body)"


def _failure_evidence(failure: Failure, received: Received | None) -> dict[str, Any]:
    if isinstance(failure, ContractFailure):
        evidence = dict(failure.evidence)
    elif hasattr(failure, "instance_path"):  # schemathesis' JsonSchemaError: name the field
        evidence = {
            "field": _json_path(list(failure.instance_path)),
            "value": getattr(failure, "instance", None),
            "rule": str(
                getattr(failure, "validation_message", "") or "/".join(map(str, getattr(failure, "schema_path", [])))
            ),
        }
    else:
        evidence = {}
    if received is not None:
        evidence.setdefault("status", received.status)
        evidence.setdefault("body_excerpt", body_text(received.content)[:300])
    return redact_json(evidence)  # type: ignore[no-any-return]


def not_an_api_response(received: Received, facts: OperationFacts | None) -> tuple[str, str, str] | None:
    """(key, title, message) when ``received`` is no API answer at all (an HTML or text page); else None."""
    content = received.content
    media = (received.header("content-type") or "").split(";", 1)[0].strip().lower()
    if not content.strip() or is_json_media_type(media):
        return None
    if facts is not None and 200 <= received.status < 300 and media in facts.media_types_for(received.status):  # noqa: PLR2004
        return None
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        pass
    else:
        return None  # JSON under the wrong label: content_type_conformance says so
    page = _TITLE_TAG.search(content[:4096])
    what = (
        f"an HTML page ({page.group(1).decode('utf-8', 'replace').strip()[:80]!r})"
        if page
        else f"{media or 'untyped'} content: {content[:120].decode('utf-8', 'replace')!r}"
    )
    key = f"{received.status} {media or '(no content type)'}"
    return key, f"Not an API response: {key}", f"{received.status} answered with {what}, not the API's JSON"


_FORM_TEXT = re.compile(r"violates `type` at \S+ \(was string, became ")
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _undecidable_on_a_form(result: CheckResult, sent: Sent | None) -> bool:
    """A "negative" case that made a string form field a number or a boolean: on the wire a form field is text, so
    ``true`` is a valid string and a server that accepts it is right. schemathesis cannot tell; the suite says the
    check did not apply."""
    if result.check != "negative_data_rejection" or result.failure is None or sent is None:
        return False
    media = next((value for name, value in sent.headers if name.lower() == "content-type"), "").lower()
    return media.startswith(_FORMS) and _FORM_TEXT.search(str(result.failure.message or "")) is not None


@attrs.define
class Ledger:
    """Both books of a run: findings and evidence."""

    known: KnownDeviations
    api_key: str
    base_url: str = ""
    public_base_url: str = ""
    credentials: RunCredentials | None = None  # per scheme: how requests carry them, how reports show them
    findings: list[Finding] = attrs.field(factory=list)
    evidence: Evidence = attrs.field(factory=Evidence)
    _by_identity: dict[tuple[str, str, str, str], Finding] = attrs.field(factory=dict)

    def _records(self, sent: Sent | None, received: Received | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        request = (
            request_record(
                sent,
                api_key=self.api_key,
                base_url=self.base_url,
                public_base_url=self.public_base_url,
                variables=self.credentials.variables if self.credentials is not None else None,
            )
            if sent is not None
            else {}
        )
        return request, response_record(received) if received is not None else None

    def _public(self, text: str) -> str:
        """``text`` naming the public address instead of the private one (an embedded mock's ephemeral port)."""
        text = _readable(text)
        if not self.base_url or not self.public_base_url or self.base_url == self.public_base_url:
            return text
        private, public = httpx.URL(self.base_url), httpx.URL(self.public_base_url)
        text = text.replace(self.base_url, self.public_base_url)
        return text.replace(f"port={private.port}", f"port={public.port}").replace(
            f"{private.host}:{private.port}", f"{public.host}:{public.port}"
        )

    def add(
        self,
        *,
        check: str,
        failure_type: str,
        title: str,
        message: str,
        key: str,
        operation: str,
        phase: str,
        sent: Sent | None,
        received: Received | None,
        evidence: dict[str, Any] | None = None,
        category: Category | None = None,
        path_parameters: bool = True,
        cursor_sent: bool = False,
    ) -> Finding:
        """Record one occurrence of a deviation; returns its (possibly already known) finding."""
        identity = (operation, check, failure_type, key)
        found = self._by_identity.get(identity)
        if found is not None:
            found.occurrences += 1
            if not found.request and sent is not None:  # the first occurrence had no request to show
                found.request = self._records(sent, None)[0]
            return found
        status = received.status if received is not None else None
        request, response = self._records(sent, received)
        finding = Finding(
            check=check,
            category=category
            or categorize(
                check,
                status,
                received.content if received else None,
                path_parameters=path_parameters,
                cursor_sent=cursor_sent,
            ),
            failure_type=failure_type,
            title=redact(self._public(title)),
            message=redact(self._public(message)),
            key=redact(key),
            operation=operation,
            phase=phase,
            status_code=status,
            request=request,
            response=response,
            evidence=redact_json(evidence or {}),
        )
        finding.match(self.known)
        self._by_identity[identity] = finding
        self.findings.append(finding)
        return finding

    def add_failure(
        self,
        failure: Failure,
        check: str,
        *,
        facts: OperationFacts | None,
        label: str,
        phase: str,
        sent: Sent | None,
        received: Received | None,
        probe: str | None = None,
    ) -> Finding:
        """Record a schemathesis or suite failure (``probe``: the suite's probe that sent the request, if one did:
        a schema or status failure it caused is named after it)."""
        message = str(failure.message or "").strip()
        if not message and received is not None:  # schemathesis leaves a 5xx's message empty: show the body
            message = f"{received.status}: {body_text(received.content)[:300]}"
        category = None
        if getattr(failure, "status_code", None) == THROTTLED and received is not None and received.status != THROTTLED:
            # A 429 schemathesis waited out (Retry-After) before this answer: throttling the spec does not document.
            category = Category.SPEC_GAP
        evidence = _failure_evidence(failure, received)
        title = failure.title
        if hasattr(failure, "instance_path") and evidence.get("field"):  # say which field, in the title
            title = f"{title}: {evidence['field']}"
        if probe is not None:
            evidence["probe"] = probe
            if not isinstance(failure, ContractFailure):  # a probe's own verdicts already say what was probed
                title = f"{title} (probe: {probe})"
        return self.add(
            check=check,
            failure_type=type(failure).__name__,
            title=title,
            message=message,
            key=failure_identity(failure, check)[3],  # the failure's signature, as schemathesis' baseline has it
            operation=failure.operation or label,
            phase=phase,
            sent=sent,
            received=received,
            evidence=evidence,
            category=category,
            path_parameters=bool(facts.path_params) if facts is not None else True,
            cursor_sent=_cursor_sent(facts, sent),
        )

    def add_transport_error(self, error: BaseException, *, label: str, phase: str, sent: Sent | None) -> Finding:
        """A request that got no usable response: one finding per operation and kind of failure."""
        kind, title = transport_kind(error)
        return self.add(
            check=TRANSPORT_ERROR,
            failure_type=kind,
            title=title,
            message=redact(f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"),
            key=kind,
            operation=label,
            phase=phase,
            sent=sent,
            received=None,
            evidence={"error": type(error).__name__},
            category=Category.SERVER_NONCONFORMANCE,
        )

    def exchange(
        self,
        *,
        facts: OperationFacts | None,
        label: str,
        method: str,
        path_params: dict[str, Any],
        phase: str,
        sent: Sent | None,
        received: Received,
        results: Iterable[CheckResult],
        probe: str | None = None,
    ) -> list[Finding]:
        """Account one answered request and every check result on it; returns the findings it produced
        (``probe``: the suite's probe that sent it, named in the findings)."""
        results = list(results)
        if received.status == THROTTLED:  # a throttled answer says nothing about what a check asks
            results = [
                r if r.check == "status_code_conformance" else CheckResult(r.check, Outcome.NOT_APPLICABLE)
                for r in results
            ]
        results = [
            CheckResult(r.check, Outcome.NOT_APPLICABLE) if _undecidable_on_a_form(r, sent) else r for r in results
        ]
        outcomes: dict[str, Outcome] = {}
        for result in results:  # a check failing twice on one response is one failed outcome
            if outcomes.get(result.check) not in (Outcome.FAILED, Outcome.ERRORED):
                outcomes[result.check] = result.outcome
        failures = [result for result in results if result.failure is not None]
        produced: list[Finding] = []
        page = not_an_api_response(received, facts)
        root = page if failures else None
        if root is not None:
            key, title, message = root
            finding = self.add(
                check=NOT_AN_API_RESPONSE,
                failure_type="NotAnAPIResponse",
                title=title,
                message=message,
                key=key,
                operation=ANY_OPERATION,
                phase=phase,
                sent=sent,
                received=received,
                evidence={"status": received.status, "checks_failed": sorted({r.check for r in failures})},
                category=Category.SERVER_NONCONFORMANCE,
            )
            if label not in finding.operations:
                finding.operations.append(label)
            produced.append(finding)
        else:
            for result in failures:
                assert result.failure is not None  # noqa: S101 - filtered above
                produced.append(
                    self.add_failure(
                        result.failure,
                        result.check,
                        facts=facts,
                        label=label,
                        phase=phase,
                        sent=sent,
                        received=received,
                        probe=probe,
                    )
                )
        ordinary = facts is not None and method.upper() == facts.method
        success = 200 <= received.status < 300  # noqa: PLR2004
        body_check = BODY_CHECKS[0] if facts is not None and facts.json_success else BODY_CHECKS[1]
        body_held = outcomes.get(body_check) is Outcome.HELD
        with_key = sent is not None and (
            self.credentials.carried(sent, facts.model if facts is not None else None)
            if self.credentials is not None
            else any(
                name.lower() == "authorization" and value.strip() == f"Bearer {self.api_key}"
                for name, value in sent.headers
            )
        )
        deviating = ordinary and success and body_held and bool(produced)
        self.evidence.record(
            label,
            ordinary=ordinary,
            status=received.status,
            with_key=with_key,
            outcomes=outcomes,
            checked=ordinary and success and body_held and not produced,
            known_only=deviating and all(f.known for f in produced),
            path_params=path_params if ordinary else {},
            error_answer=received.status >= 500 or page is not None,  # noqa: PLR2004
        )
        if deviating:
            self.evidence.deviating_bodies.append((label, tuple(f.identity for f in produced)))
        return produced

    def no_response(
        self,
        error: BaseException,
        *,
        label: str,
        ordinary: bool,
        path_params: dict[str, Any],
        phase: str,
        sent: Sent | None,
    ) -> Finding:
        """Account a request that got no usable response (and its transport finding)."""
        self.evidence.record(
            label,
            ordinary=ordinary,
            status=None,
            with_key=False,
            outcomes={},
            checked=False,
            known_only=False,
            path_params=path_params if ordinary else {},
        )
        return self.add_transport_error(error, label=label, phase=phase, sent=sent)


def transport_kind(error: BaseException) -> tuple[str, str]:
    """(stable kind, title) of a transport failure from requests or httpx."""
    name = type(error).__name__
    text = str(error).lower()
    if "decod" in name.lower() or "decod" in text or "incorrect header check" in text:
        return "UndecodableBody", "Response body cannot be decoded (Content-Encoding does not match the body)"
    if "timeout" in name.lower() or "timed out" in text:
        return "Timeout", "No complete response within the request timeout"
    if any(word in name for word in ("ChunkedEncoding", "RemoteProtocol", "IncompleteRead", "ProtocolError")) or any(
        word in text for word in ("incomplete", "connection broken", "peer closed", "without sending complete")
    ):
        return "ConnectionDropped", "Connection dropped mid-response"
    if "refused" in text:
        return "ConnectionRefused", "Connection refused"
    return "ConnectionFailed", "No response: the connection failed"


def _cursor_sent(facts: OperationFacts | None, sent: Sent | None) -> bool:
    """Whether ``sent`` carried the page cursor of ``facts``' list operation (a value the server may never have
    issued)."""
    pagination = facts.model.pagination if facts is not None and facts.model is not None else None
    if pagination is None or pagination.cursor_parameter is None or sent is None:
        return False
    names = {name for name, _ in httpx.URL(sent.url).params.multi_items()}
    return pagination.cursor_parameter in names or pagination.backward_parameter in names
