"""The suite's own checks (``contract_tests.suite.checks``) on hand-made replies: each fails on the violation it
names, says where, and stays out of responses it does not apply to."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

from contract_tests.suite.checks import (
    NOT_APPLICABLE,
    Reply,
    SemanticViolation,
    _header,
    _response_type,
    client_strict_parse,
    reply_from,
    response_id_matches_request,
    status_implies_fields,
    timestamps_ordered,
)
from contract_tests.suite.spec_facts import facts_for, load_facts
from tests.conformance_fakes import LABEL, status_resource_spec
from tests.conftest import ROOT

FACTS = load_facts(ROOT / "openapi.yaml")
DONE = {
    "id": "video_1",
    "object": "video",
    "status": "completed",
    "progress": 100,
    "created_at": 10,
    "completed_at": 20,
}


def _reply(body: Any, *, status: int = 200, path_params: dict[str, Any] | None = None) -> Reply:
    facts = FACTS.operation(LABEL)
    assert facts is not None
    params = {"video_id": "video_1"} if path_params is None else path_params
    return Reply(facts, FACTS, "GET", params, status, "application/json", json.dumps(body).encode())


def _violation(check: Any, body: Any) -> SemanticViolation:
    with pytest.raises(SemanticViolation) as raised:
        check(_reply(body))
    return raised.value


@pytest.mark.parametrize(
    ("body", "title", "message", "key"),
    [
        (
            {**DONE, "completed_at": None},
            "Completed video generation job without completed_at",
            "status is 'completed' but completed_at is None",
            "completed:completed_at",
        ),
        (
            {**DONE, "status": "failed", "error": None},
            "Failed video generation job without error",
            "status is 'failed' but error is None",
            "failed:error",
        ),
        (
            {**DONE, "progress": 90},
            "Completed video generation job with progress 90",
            "status is 'completed' but progress is 90 (expected 100)",
            "completed:progress=100",
        ),
    ],
    ids=["completed-without-completed_at", "failed-without-error", "completed-below-full-progress"],
)
def test_status_implies_fields_names_the_missing_or_wrong_field(
    body: dict[str, Any], title: str, message: str, key: str
) -> None:
    violation = _violation(status_implies_fields, body)
    assert (violation.title, violation.message, violation.key, violation.operation) == (title, message, key, LABEL)


def test_status_implies_fields_holds_and_skips_states_without_rules() -> None:
    assert status_implies_fields(_reply(DONE)) is None
    assert status_implies_fields(_reply({**DONE, "status": "in_progress", "completed_at": None})) is NOT_APPLICABLE
    assert status_implies_fields(_reply({**DONE, "status": 3})) is NOT_APPLICABLE


@pytest.mark.parametrize(
    ("body", "message", "key"),
    [
        ({**DONE, "created_at": 30}, "created_at=30 > completed_at=20", "created_at>completed_at"),
        ({**DONE, "completed_at": None, "expires_at": 5}, "created_at=10 > expires_at=5", "created_at>expires_at"),
    ],
)
def test_timestamps_out_of_order_name_both_fields(body: dict[str, Any], message: str, key: str) -> None:
    violation = _violation(timestamps_ordered, body)
    assert (violation.title, violation.message, violation.key) == ("Timestamps out of order", message, key)
    assert violation.evidence["field"] == key.split(">")[1]


def test_timestamps_need_two_to_compare() -> None:
    assert timestamps_ordered(_reply(DONE)) is None
    assert timestamps_ordered(_reply({**DONE, "completed_at": None})) is NOT_APPLICABLE
    assert timestamps_ordered(_reply({**DONE, "completed_at": "yesterday"})) is NOT_APPLICABLE


def test_the_id_check_needs_the_asked_id() -> None:
    assert response_id_matches_request(_reply(DONE, path_params={})) is NOT_APPLICABLE
    assert response_id_matches_request(_reply({**DONE, "id": "7"}, path_params={"video_id": 7})) is None  # as text


def test_resources_without_known_lifecycle_rules_are_not_judged() -> None:
    spec = facts_for(status_resource_spec("/t/{t_id}", "T", ["open", "shut"]))
    facts = spec.operation("GET /t/{t_id}")
    assert facts is not None
    reply = Reply(facts, spec, "GET", {"t_id": "1"}, 200, "application/json", b'{"status": "shut", "created_at": 9}')
    assert status_implies_fields(reply) is NOT_APPLICABLE
    assert timestamps_ordered(reply) is NOT_APPLICABLE


def test_the_client_checks_skip_operations_and_statuses_the_client_does_not_parse() -> None:
    assert _response_type("GET /nowhere", 200) is None
    assert _response_type(LABEL, 599) is None
    assert client_strict_parse(_reply({"error": {"message": "gone"}}, status=599)) is NOT_APPLICABLE


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"content-type": "application/json"}, "application/json"),
        ({"Content-Type": "text/html"}, "text/html"),  # only the title-cased name
        ({"content-type": ["application/json", "text/plain"]}, "application/json"),
        ({"content-type": []}, None),
        ({}, None),
        (None, None),
    ],
    ids=["lower", "title", "list", "empty-list", "absent", "no-mapping"],
)
def test_headers_are_read_from_any_mapping(headers: Any, expected: str | None) -> None:
    assert _header(headers, "content-type") == expected


def _case(label: str, schema: Any = None) -> Any:
    raw_schema = schema if schema is not None else FACTS.raw
    operation = types.SimpleNamespace(label=label, schema=types.SimpleNamespace(raw_schema=raw_schema))
    return types.SimpleNamespace(operation=operation, method=None, path_parameters=None)


def test_replies_only_for_operations_of_the_spec() -> None:
    response = types.SimpleNamespace(status_code=200, headers={"Content-Type": "application/json"}, content=None)
    assert reply_from(None, response) is None
    assert reply_from(types.SimpleNamespace(operation=None), response) is None
    assert reply_from(_case("GET /nowhere"), response) is None
    reply = reply_from(_case(LABEL), response)
    assert reply is not None
    assert (reply.method, reply.path_params, reply.status, reply.media_type, reply.content) == (
        "GET",
        {},
        200,
        "application/json",
        b"",
    )


def test_an_id_asked_percent_encoded_matches_the_decoded_echo() -> None:
    from tests.test_conformance_evidence import _reply  # noqa: PLC0415 - the helper that builds replies

    reply = _reply({"id": "data: x/y"}, video_id="data%3A%20x%2Fy")
    assert response_id_matches_request(reply) is None
    with pytest.raises(AssertionError):
        response_id_matches_request(_reply({"id": "other"}, video_id="data%3A%20x%2Fy"))
