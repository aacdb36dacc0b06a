"""Fault injection rules: what to break, for which requests, how often, how many times.

A rule is set by CLI flag (``--fault SPEC``), by the control API (JSON), or for one request by the header
``X-Mock-Fault: SPEC``. SPEC is ``kind[,key=value]...``, e.g. ``server_error,status=502,count=3`` or
``rate_limit,retry_after=2,every=4`` or ``reality,probability=0.5`` or ``stall,stall_ms=2000``.

Rules apply to every operation of the spec (never to the control API). ``path`` is a glob on the request
path; ``video_id`` matches when any path parameter of the request has that value.
"""

from __future__ import annotations

import enum
import fnmatch
import math
import random
import threading
from collections.abc import Collection, Mapping
from typing import Any

import attrs

__all__ = ["FaultKind", "FaultRule", "FaultSpecError", "Faults", "parse_fault_spec", "reality", "rule_from_mapping"]


class FaultKind(enum.StrEnum):
    LATENCY = "latency"  # added delay (latency_ms), then the normal answer or another fault
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After (retry_after seconds)
    SERVER_ERROR = "server_error"  # 500/502/503 (status) in the OpenAI error format
    DROP = "drop"  # the connection is cut mid-body
    MALFORMED_JSON = "malformed_json"  # 200 with truncated JSON
    HTML_200 = "html_200"  # 200 with an HTML error page
    WRONG_CONTENT_TYPE = "wrong_content_type"  # valid JSON labelled text/plain
    REALITY = "reality"  # what real OpenAI-compatible servers send but the spec does not allow
    GZIP_LIE = "gzip_lie"  # a plain body labelled Content-Encoding: gzip (the client cannot decode it)
    STALL = "stall"  # headers and half the body, then silence for stall_ms; then the connection is cut
    # List operations, on requests that carry a cursor (contract_tests.mock._pages): an item comes twice across
    # pages, an item is never listed, the page gives back the cursor it was asked with and says more follow.
    PAGE_REPEAT = "page_repeat"
    PAGE_LOSE = "page_lose"
    PAGE_LOOP = "page_loop"


class FaultSpecError(ValueError):
    """A fault rule is invalid; the message names the field and lists what is allowed."""


_SERVER_ERROR_STATUSES = (500, 502, 503)


@attrs.define
class FaultRule:
    kind: FaultKind
    path: str | None = None  # glob on the request path, e.g. "/v1/videos/*"
    video_id: str | None = None
    probability: float | None = None
    every: int | None = None  # fire on every Nth matching request
    count: int | None = None  # fire at most this many times
    status: int = 503
    retry_after: float = 1.0
    latency_ms: float = 200.0
    stall_ms: float = 30_000.0
    seen: int = 0
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, enum.Enum) else v) for k, v in attrs.asdict(self).items() if v is not None}

    def matches(self, path: str, ids: Collection[str]) -> bool:
        """True when the rule is about this request (``ids``: its path parameter values)."""
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.video_id is None or self.video_id in ids

    def fire(self, rng: random.Random) -> bool:
        """Count one matching request; True when the rule applies to it."""
        if self.count is not None and self.fired >= self.count:
            return False
        self.seen += 1
        if self.every is not None and self.seen % self.every:
            return False
        if self.probability is not None and rng.random() >= self.probability:
            return False
        self.fired += 1
        return True


def _positive(value: Any, name: str, *, integer: bool = False, upper: float | None = None) -> Any:
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise FaultSpecError(f"'{name}' must be a number, not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (upper is not None and number > upper):
        bound = f" and <= {upper:g}" if upper is not None else ""
        raise FaultSpecError(f"'{name}' must be >= 0{bound}, not {value!r}")
    if integer and (number < 1 or str(value).strip() not in (str(number), f"{number}.0")):
        raise FaultSpecError(f"'{name}' must be a whole number >= 1, not {value!r}")
    return number


def rule_from_mapping(spec: Any) -> FaultRule:  # noqa: PLR0912 - one branch per optional field
    """Validate a rule given as a mapping (control API JSON or a parsed SPEC string)."""
    if not isinstance(spec, Mapping):
        raise FaultSpecError("a fault rule must be a JSON object")
    kinds = ", ".join(kind.value for kind in FaultKind)
    kind = spec.get("kind")
    if kind not in FaultKind._value2member_map_:
        raise FaultSpecError(f"unknown fault kind {kind!r}; known kinds: {kinds}")
    allowed = {
        "kind",
        "path",
        "video_id",
        "probability",
        "every",
        "count",
        "status",
        "retry_after",
        "latency_ms",
        "stall_ms",
    }
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise FaultSpecError(f"unknown fault field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    rule = FaultRule(kind=FaultKind(str(kind)))
    for name in ("path", "video_id"):
        if spec.get(name) is not None:
            if not isinstance(spec[name], str) or not spec[name]:
                raise FaultSpecError(f"'{name}' must be a non-empty string")
            setattr(rule, name, spec[name])
    if spec.get("probability") is not None:
        rule.probability = _positive(spec["probability"], "probability", upper=1.0)
    for name in ("every", "count"):
        if spec.get(name) is not None:
            setattr(rule, name, _positive(spec[name], name, integer=True))
    if spec.get("status") is not None:
        rule.status = int(_positive(spec["status"], "status", integer=True))
        if rule.status not in _SERVER_ERROR_STATUSES:
            raise FaultSpecError(f"'status' must be one of {', '.join(map(str, _SERVER_ERROR_STATUSES))}")
    if spec.get("retry_after") is not None:
        rule.retry_after = _positive(spec["retry_after"], "retry_after", upper=3600)
    if spec.get("latency_ms") is not None:
        rule.latency_ms = _positive(spec["latency_ms"], "latency_ms", upper=60_000)
    if spec.get("stall_ms") is not None:
        rule.stall_ms = _positive(spec["stall_ms"], "stall_ms", upper=600_000)
    return rule


def parse_fault_spec(text: str) -> FaultRule:
    """Parse ``kind[,key=value]...`` (CLI flag and X-Mock-Fault header)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise FaultSpecError("empty fault spec; expected kind[,key=value]...")
    spec: dict[str, Any] = {"kind": parts[0]}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep:
            raise FaultSpecError(f"expected key=value in fault spec, got {part!r}")
        spec[key.strip()] = value.strip()
    return rule_from_mapping(spec)


class Faults:
    """The active rules. Deterministic for a given seed."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self._rules = list(rules or [])
        self._initial = [attrs.evolve(rule) for rule in self._rules]
        self._rng = random.Random(seed)  # noqa: S311 - fault probabilities, not security
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def reset(self) -> None:
        """Back to the rules given at start-up (CLI flags)."""
        with self._lock:
            self._rules = [attrs.evolve(rule) for rule in self._initial]

    def to_json(self) -> list[dict[str, Any]]:
        return [rule.to_json() for rule in self._rules]

    def select(self, path: str, ids: Collection[str]) -> tuple[float, FaultRule | None]:
        """(added latency in seconds, the first non-latency rule that fires) for one request."""
        latency = 0.0
        with self._lock:
            for rule in self._rules:
                if not rule.matches(path, ids):
                    continue
                if rule.kind is FaultKind.LATENCY:
                    if rule.fire(self._rng):
                        latency += rule.latency_ms / 1000
                elif rule.fire(self._rng):
                    return latency, rule
        return latency, None


def reality(body: dict[str, Any]) -> dict[str, Any]:
    """What real OpenAI-compatible servers send but the spec does not allow."""
    real = dict(body)
    if real.get("status") == "pending":
        real["status"] = "queued"
    for absent in ("completed_at", "expires_at", "error", "remixed_from_video_id"):
        real.setdefault(absent, None)
    real["size"] = "1792x1024"
    real["quality"] = "standard"
    real["prompt"] = "A calico cat playing a piano on stage"
    return real
