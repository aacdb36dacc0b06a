"""The suite's own probes (``contract_tests.suite.probes``) with a recording stand-in for ``Direct``: which probes go
where, which are skipped (and said so), and how each judges the answer."""

from __future__ import annotations

import json
from typing import Any

from contract_tests.suite.credentials import resolve_credentials
from contract_tests.suite.probes import WRONG_KEY, _refusal_expected, _same_or_refused, run_probes, sweep
from contract_tests.suite.records import Received
from contract_tests.suite.spec_facts import facts_for
from contract_tests.suite.steering import ABSENT_ID, IdPools
from contract_tests.suite.writes import WritePolicy
from tokenops.spec import Placement

JSON = (("content-type", "application/json"),)


def _ok(schema: str = "Thing") -> dict[str, Any]:
    return {"200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


DOCUMENT: dict[str, Any] = {
    "security": [{"bearer": []}],
    "paths": {
        "/things": {"get": {"responses": _ok()}, "post": {"responses": _ok()}},  # no path parameter
        "/things/{thing_id}": {"get": {"responses": _ok()}},
        "/things/{thing_id}/cancel": {"post": {"responses": _ok()}},  # unsafe: never swept or edge-probed
        "/open/{slot}": {"get": {"security": [], "responses": _ok()}},  # no key needed: no auth probes
    },
    "components": {
        "schemas": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
}


class RecordingDirect:
    """Records what the probes would send; places credentials as the real ``Direct`` does."""

    def __init__(self, writes: WritePolicy | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.credentials = resolve_credentials(facts_for(DOCUMENT).model, "sk-right", {})
        self.writes = writes

    def auth(self, facts: Any = None, key: str | None = None) -> Placement:
        return self.credentials.placement(facts.model if facts is not None else None, value=key)

    def send(self, facts: Any, **options: Any) -> None:
        self.sent.append({"label": facts.label, **options})


def test_sweep_requests_every_readable_id_through_safe_operations_with_that_parameter() -> None:
    direct, pools = RecordingDirect(), IdPools()
    pools.add("thing_id", ["t1"])
    sweep(direct, facts_for(DOCUMENT), pools, {"thing_id": ["t1", "t2"], "slot": ["s1"]})  # type: ignore[arg-type]
    assert [(s["label"], s["path_params"]) for s in direct.sent] == [
        ("GET /things/{thing_id}", {"thing_id": "t1"}),
        ("GET /things/{thing_id}", {"thing_id": "t2"}),
        ("GET /open/{slot}", {"slot": "s1"}),
    ]


def test_probes_go_where_they_apply_and_say_what_they_skipped() -> None:
    direct, pools = RecordingDirect(), IdPools()
    pools.add("thing_id", ["t1"])
    pools.add("slot", ["s1"])
    notes = run_probes(direct, facts_for(DOCUMENT), pools)  # type: ignore[arg-type]
    wrong_methods = [(s["method"], s["label"]) for s in direct.sent if "method" in s]
    assert ("GET", "GET /things") not in wrong_methods  # a path without parameters gets no wrong-method probes
    assert ("PUT", "GET /things/{thing_id}") in wrong_methods
    assert ("GET", "POST /things/{thing_id}/cancel") in wrong_methods
    auth = [
        (s["label"], dict(s["credentials"].headers), dict(s["credentials"].query))
        for s in direct.sent
        if "credentials" in s
    ]
    assert [label for label, *_ in auth if label == "GET /open/{slot}"] == []  # no key needed there
    assert ("GET /things/{thing_id}", {"Authorization": f"Bearer {WRONG_KEY}"}, {}) in auth
    assert ("POST /things", {}, {}) in auth  # no key at all
    assert ("POST /things", {}, {"api_key": "sk-right"}) in auth  # the right key where no scheme takes it
    edges = [s for s in direct.sent if "raw_path_params" in s]
    assert {s["label"] for s in edges} == {"GET /things/{thing_id}", "GET /open/{slot}"}  # not the unsafe cancel
    # Every answer is judged: path edges by every check a fuzzed response gets (checks=None), named as the probe.
    assert {("checks" in s, s["probe"].split("'")[0]) for s in edges} == {(False, "path edge ")}
    # A DELETE never names a known id: without a disposable one it goes to an id nothing has (a refusal expected).
    deletes = [(s["label"], s["path_params"]) for s in direct.sent if s.get("method") == "DELETE"]
    assert ("GET /things/{thing_id}", {"thing_id": ABSENT_ID}) in deletes
    assert notes == []


def _received(status: int, body: Any, headers: tuple[tuple[str, str], ...] = JSON) -> Received:
    return Received(status, headers, body if isinstance(body, bytes) else json.dumps(body).encode())


def test_a_probe_that_must_be_refused_fails_on_a_2xx_and_on_a_refusal_that_is_not_an_api_error() -> None:
    expect = _refusal_expected("GET /things/{thing_id}", "a wrong key", "auth:wrong-key")
    accepted = expect(_received(200, {"id": "t1"}))
    assert accepted is not None
    assert (accepted.title, accepted.message, accepted.key) == (
        "Server accepts a wrong key",
        "a wrong key: answered 200 instead of refusing",
        "auth:wrong-key",
    )
    page = expect(_received(401, b"<html>no</html>", (("content-type", "text/html"),)))
    assert page is not None
    assert (page.title, page.key) == ("Refusal is not an API error response", "refusal-format:auth:wrong-key")
    assert expect(_received(401, {"error": {"message": "no", "type": "x", "code": "y"}})) is None
    assert expect(_received(401, b"")) is None


def test_a_path_edge_answered_for_another_id_fails() -> None:
    facts = facts_for(DOCUMENT).operation("GET /things/{thing_id}")
    assert facts is not None
    expect = _same_or_refused(facts, "trailing-slash", "t1/")
    other = expect(_received(200, {"id": "t2"}))
    assert other is not None
    assert (other.title, other.key, other.evidence) == (
        "Path edge case answered for a different id",
        "edge-id:trailing-slash",
        {"asked": "t1/", "got": "t2"},
    )
    assert expect(_received(200, {"id": "t1"})) is None  # the trailing slash ignored: the same resource
    assert expect(_received(200, b"not json")) is None
    assert expect(_received(200, ["t2"])) is None
    assert expect(_received(404, {"error": {"message": "no", "type": "x", "code": "y"}})) is None
    page = expect(_received(404, b"<html>404</html>", (("content-type", "text/html"),)))
    assert page is not None
    assert page.key == "refusal-format:edge:trailing-slash"


def test_probes_without_known_ids_use_an_id_nothing_has_but_path_edges_need_a_real_one() -> None:
    direct = RecordingDirect()
    notes = run_probes(direct, facts_for(DOCUMENT), IdPools())  # type: ignore[arg-type]
    assert notes == [
        "path-edge probes for GET /things/{thing_id} skipped: no known id",
        "path-edge probes for GET /open/{slot} skipped: no known id",
    ]
    auth = {(s["label"], tuple(s["path_params"].values())) for s in direct.sent if "credentials" in s}
    assert ("GET /things/{thing_id}", (ABSENT_ID,)) in auth
    assert ("PUT", {"slot": ABSENT_ID}) in [(s.get("method"), s["path_params"]) for s in direct.sent]


def test_with_writes_not_allowed_no_probe_writes() -> None:
    policy = WritePolicy(allowed=False)
    policy.learn(facts_for(DOCUMENT))
    direct, pools = RecordingDirect(policy), IdPools()
    pools.add("thing_id", ["t1"])
    notes = run_probes(direct, facts_for(DOCUMENT), pools)  # type: ignore[arg-type]
    assert {s.get("method") for s in direct.sent if "method" in s} == {"GET"}  # wrong methods: only GET is safe
    assert "wrong-method probe DELETE /things/{thing_id} skipped: writes not allowed" in notes
    assert "wrong-method probe POST /things/{thing_id} skipped: writes not allowed" in notes
    # No auth probe for an operation that only writes: the run does not test it (and lists it).
    assert {s["label"] for s in direct.sent if "credentials" in s} == {"GET /things", "GET /things/{thing_id}"}
