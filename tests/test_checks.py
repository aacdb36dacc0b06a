"""The suite's own checks (``contract_tests.suite.checks``) on hand-made replies: each fails on the violation it
names, says where, and stays out of responses it does not apply to."""

from __future__ import annotations

import copy
import json
import types
from typing import Any

import pytest

from contract_tests.suite import checks
from contract_tests.suite.checks import (
    NOT_APPLICABLE,
    REGISTERED,
    ClientIncompatibility,
    Reply,
    SemanticViolation,
    _header,
    _response_type,
    client_strict_parse,
    client_tolerant_parse,
    progress_in_range,
    reply_from,
    response_id_matches_request,
    status_implies_fields,
    timestamps_ordered,
)
from contract_tests.suite.resources import Lifecycle
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
    # A server that echoes the id as it was sent (not decoded) names the same resource.
    assert response_id_matches_request(_reply({"id": "data%3A%20x%2Fy"}, video_id="data%3A%20x%2Fy")) is None
    with pytest.raises(AssertionError):
        response_id_matches_request(_reply({"id": "other"}, video_id="data%3A%20x%2Fy"))


# --- what each check says when it fails, and where it stays out (each detail a report or baseline relies on) ----


def _list_reply(items: list[Any]) -> Reply:
    """``GET /v1/videos`` answering ``{"data": [...]}``: the video resource one level down, in a list."""
    document = copy.deepcopy(FACTS.raw)
    item = {"$ref": "#/components/schemas/VideoStatusResponse"}
    schema = {"type": "object", "properties": {"data": {"type": "array", "items": item}}}
    ok = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    document["paths"]["/v1/videos"] = {"get": {"operationId": "listVideos", "responses": {"200": ok}}}
    spec = facts_for(document)
    facts = spec.operation("GET /v1/videos")
    assert facts is not None
    return Reply(facts, spec, "GET", {}, 200, "application/json", json.dumps({"data": items}).encode())


@pytest.mark.parametrize("progress", [101, -1, 100.5])
def test_progress_outside_the_schemas_bounds_is_a_violation(progress: float) -> None:
    violation = _violation(progress_in_range, {**DONE, "status": "in_progress", "progress": progress})
    assert (violation.title, violation.message, violation.key) == (
        "Progress outside 0-100",
        f"progress is {progress!r}",
        "progress-range",
    )
    assert (violation.operation, violation.evidence) == (LABEL, {"field": "progress", "value": progress})


@pytest.mark.parametrize("progress", [0, 100, 42.5])
def test_progress_within_the_bounds_holds(progress: float) -> None:
    assert progress_in_range(_reply({**DONE, "status": "in_progress", "progress": progress})) is None


@pytest.mark.parametrize("progress", [None, "50", True, float("nan")], ids=["absent", "text", "bool", "nan"])
def test_progress_that_is_not_a_number_is_the_schema_checks_business(progress: Any) -> None:
    body = {key: value for key, value in DONE.items() if key != "progress"}
    if progress is not None:
        body["progress"] = progress
    assert progress_in_range(_reply(body)) is NOT_APPLICABLE


def test_a_body_without_a_resource_is_not_judged() -> None:
    for check in (progress_in_range, status_implies_fields, timestamps_ordered):
        assert check(_reply({"error": {"message": "gone"}}, status=404)) is NOT_APPLICABLE
        assert check(_reply(["not", "an", "object"])) is NOT_APPLICABLE


def test_a_resource_in_a_list_is_named_by_its_place() -> None:
    healthy, broken = {**DONE, "id": "video_0"}, {**DONE, "id": "video_1", "progress": 140, "status": "in_progress"}
    violation = _raised(progress_in_range, _list_reply([healthy, broken]))
    assert (violation.message, violation.evidence) == (
        "data[1].progress is 140",
        {"field": "data[1].progress", "value": 140},
    )
    violation = _raised(status_implies_fields, _list_reply([healthy, {**DONE, "completed_at": None}]))
    assert violation.message == "data[1].status is 'completed' but data[1].completed_at is None"
    assert violation.evidence == {"field": "data[1].completed_at", "value": None}
    violation = _raised(timestamps_ordered, _list_reply([healthy, {**DONE, "created_at": 99}]))
    assert violation.message == "data[1].created_at=99 > data[1].completed_at=20"
    assert violation.evidence == {"field": "data[1].completed_at", "value": 20}
    for check in (progress_in_range, status_implies_fields, timestamps_ordered):
        assert check(_list_reply([healthy, healthy])) is None
        assert check(_list_reply([])) is NOT_APPLICABLE


def _raised(check: Any, reply: Reply) -> SemanticViolation:
    with pytest.raises(SemanticViolation) as raised:
        check(reply)
    return raised.value


def test_status_implies_fields_says_what_the_field_holds() -> None:
    violation = _violation(status_implies_fields, {**DONE, "status": "failed", "error": None})
    assert violation.evidence == {"field": "error", "value": None}
    violation = _violation(status_implies_fields, {**DONE, "progress": 90})
    assert violation.evidence == {"field": "progress", "value": 90}
    assert _violation(status_implies_fields, {**DONE, "progress": None}).key == "completed:progress=100"


def test_states_with_values_but_no_required_fields_are_judged() -> None:
    rules = Lifecycle(name="job", ranks={"done": 1}, terminal=frozenset({"done"}), values={"done": {"size": 3}})
    spec = facts_for(status_resource_spec("/t/{t_id}", "T", ["done"]))
    facts = spec.operation("GET /t/{t_id}")
    assert facts is not None
    reply = Reply(facts, spec, "GET", {"t_id": "1"}, 200, "application/json", b'{"status": "done", "size": 4}')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "rules_for", lambda states: rules)
        violation = _raised(status_implies_fields, reply)
        assert (violation.title, violation.key) == ("Done job with size 4", "done:size=3")
        assert violation.message == "status is 'done' but size is 4 (expected 3)"
        ok = Reply(facts, spec, "GET", {"t_id": "1"}, 200, "application/json", b'{"status": "done", "size": 3}')
        assert status_implies_fields(ok) is None


def test_equal_timestamps_are_in_order_and_the_later_one_is_the_evidence() -> None:
    assert timestamps_ordered(_reply({**DONE, "completed_at": 10})) is None
    violation = _violation(timestamps_ordered, {**DONE, "completed_at": 5, "expires_at": 30})
    assert violation.evidence == {"field": "completed_at", "value": 5}
    assert violation.operation == LABEL


def test_the_first_pair_out_of_order_is_the_one_reported() -> None:
    violation = _violation(timestamps_ordered, {**DONE, "created_at": 50, "completed_at": 40, "expires_at": 30})
    assert violation.key == "created_at>completed_at"


def test_a_different_id_is_a_violation_that_shows_both() -> None:
    violation = _violation(response_id_matches_request, {**DONE, "id": "video_2"})
    assert (violation.title, violation.message, violation.key, violation.operation) == (
        "Response id differs from the requested id",
        "asked for video_id='video_1', got id='video_2'",
        "id",
        LABEL,
    )
    assert violation.evidence == {"field": "id", "asked": "video_1", "got": "video_2"}


def test_the_id_check_stays_out_of_bodies_without_an_id() -> None:
    assert response_id_matches_request(_reply({"object": "video"})) is NOT_APPLICABLE
    assert response_id_matches_request(_reply(["video_2"])) is NOT_APPLICABLE
    assert response_id_matches_request(_reply({"id": "video_2"}, status=404)) is NOT_APPLICABLE
    assert response_id_matches_request(_reply(DONE)) is None
    listing = _list_reply([{**DONE, "id": "video_9"}])
    assert response_id_matches_request(listing) is NOT_APPLICABLE  # not addressed by an id


def test_the_id_check_needs_an_id_property_in_the_schema() -> None:
    spec = facts_for(status_resource_spec("/t/{t_id}", "T", ["open"]))
    facts = spec.operation("GET /t/{t_id}")
    assert facts is not None
    reply = Reply(facts, spec, "GET", {"t_id": "1"}, 200, "application/json", b'{"id": "2", "status": "open"}')
    assert response_id_matches_request(reply) is NOT_APPLICABLE


def _client_failure(check: Any, body: Any) -> ClientIncompatibility:
    with pytest.raises(ClientIncompatibility) as raised:
        check(_reply(body))
    return raised.value


def test_the_tolerant_client_failing_names_the_model_and_the_body() -> None:
    failure = _client_failure(client_tolerant_parse, ["video_1"])
    assert failure.title == "Tolerant client rejects the response"
    assert failure.operation == LABEL
    assert failure.key == "tolerant:response body is an array, expected a JSON object"
    assert failure.evidence == {"field": "(body)", "value": ["video_1"], "model": "VideoStatusResponse"}
    assert failure.message == (
        "response body is an array, expected a JSON object"
        " [tokenops.parse_model(VideoStatusResponse, strict=False) raises ResponseValidationError]"
    )


def test_the_strict_client_failing_keys_on_the_field_and_the_problem() -> None:
    failure = _client_failure(client_strict_parse, {**DONE, "progress": "half"})
    assert failure.title == "The generated model rejects what the server sends"
    assert failure.key == "strict:progress:must be an integer"  # the value ('half') is not part of the identity
    assert failure.evidence == {"field": "progress", "value": "half", "model": "VideoStatusResponse"}
    assert failure.message == (
        "field 'progress' must be an integer (got 'half')"
        " [tokenops.parse_model(VideoStatusResponse, strict=True) raises ResponseValidationError]"
    )
    assert client_tolerant_parse(_reply({**DONE, "progress": "half"})) is None  # the tolerant client copes


def test_a_body_the_client_reads_holds_and_other_bodies_are_not_parsed() -> None:
    assert client_tolerant_parse(_reply(DONE)) is None
    assert client_strict_parse(_reply(DONE)) is None
    for check in (client_tolerant_parse, client_strict_parse):
        assert check(_reply(DONE, status=404)) is NOT_APPLICABLE  # not a 2xx: no body is parsed
        text = Reply(FACTS.operation(LABEL), FACTS, "GET", {}, 200, "text/plain", b"{}")  # type: ignore[arg-type]
        assert check(text) is NOT_APPLICABLE


def test_a_registered_check_reads_the_case_and_response_schemathesis_passes() -> None:
    registered = REGISTERED["response_id_matches_request"]
    assert registered.__name__ == "response_id_matches_request"
    assert registered.__doc__ == response_id_matches_request.__doc__
    case = types.SimpleNamespace(
        operation=types.SimpleNamespace(label=LABEL, schema=types.SimpleNamespace(raw_schema=FACTS.raw)),
        method="GET",
        path_parameters={"video_id": "video_1"},
    )
    answer = types.SimpleNamespace(
        status_code=200,
        headers={"content-type": ["application/json"]},
        content=json.dumps({**DONE, "id": "x"}).encode(),
    )
    with pytest.raises(SemanticViolation, match="got id='x'"):
        registered(None, answer, case)
    answer.content = json.dumps(DONE).encode()
    assert registered(None, answer, case) is None
    assert registered(None, answer, None) is NOT_APPLICABLE
    assert REGISTERED["client_strict_parse"](None, answer, case) is None


def test_a_reply_carries_the_facts_of_its_operation_and_the_content_type() -> None:
    response = types.SimpleNamespace(status_code=200, headers={"content-type": "application/json"}, content=b"{}")
    reply = reply_from(_case(LABEL), response)
    assert reply is not None
    assert (reply.facts, reply.spec.raw, reply.media_type) == (FACTS.operation(LABEL), FACTS.raw, "application/json")


def test_the_adapter_hands_schemathesis_case_and_response_to_the_check_as_a_reply() -> None:
    seen: list[Reply] = []

    def response_id_matches_request(reply: Reply) -> bool | None:  # same name: re-registers the same check
        """Recorded."""
        seen.append(reply)
        return None

    adapted = checks._registered(response_id_matches_request)
    try:
        assert (adapted.__name__, adapted.__doc__) == ("response_id_matches_request", "Recorded.")
        case = _case(LABEL)
        answer = types.SimpleNamespace(status_code=201, headers={"content-type": "application/json"}, content=b"{}")
        assert adapted(None, answer, case) is None
        assert adapted(None, answer, None) is NOT_APPLICABLE
        assert [(reply.facts.label, reply.status, reply.content) for reply in seen] == [(LABEL, 201, b"{}")]
    finally:
        checks._registered(checks.response_id_matches_request)  # the suite's own again


def test_a_non_number_or_stateless_resource_before_a_broken_one_does_not_hide_it() -> None:
    no_progress = {key: value for key, value in DONE.items() if key != "progress"}
    broken = {**DONE, "status": "in_progress", "progress": 101}
    assert _raised(progress_in_range, _list_reply([no_progress, broken])).evidence["field"] == "data[1].progress"
    unjudged = {**DONE, "status": "in_progress", "completed_at": None}
    missing = {**DONE, "completed_at": None}
    assert _raised(status_implies_fields, _list_reply([unjudged, missing])).key == "completed:completed_at"
    one_stamp = {"id": "video_0", "status": "queued", "created_at": 5}
    backwards = {**DONE, "created_at": 30}
    assert _raised(timestamps_ordered, _list_reply([one_stamp, backwards])).key == "created_at>completed_at"


def test_progress_without_bounds_in_the_schema_is_never_out_of_range() -> None:
    document = copy.deepcopy(FACTS.raw)
    progress = document["components"]["schemas"]["VideoStatusResponse"]["properties"]["progress"]
    del progress["minimum"], progress["maximum"]
    spec = facts_for(document)
    facts = spec.operation(LABEL)
    assert facts is not None
    for value in (-5, 1000):
        body = json.dumps({**DONE, "status": "in_progress", "progress": value}).encode()
        assert progress_in_range(Reply(facts, spec, "GET", {}, 200, "application/json", body)) is None


def test_a_resource_whose_states_no_lifecycle_knows_does_not_hide_one_that_is_known() -> None:
    document = copy.deepcopy(FACTS.raw)
    schemas = document["components"]["schemas"]
    schemas["Ticket"] = {"type": "object", "properties": {"status": {"type": "string", "enum": ["open", "shut"]}}}
    both = {
        "ticket": {"$ref": "#/components/schemas/Ticket"},
        "video": {"$ref": "#/components/schemas/VideoStatusResponse"},
    }
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": both}}}}
    document["paths"]["/v1/pairs"] = {"get": {"operationId": "getPair", "responses": {"200": ok}}}
    spec = facts_for(document)
    facts = spec.operation("GET /v1/pairs")
    assert facts is not None
    assert [site.schema_name for site in facts.resource_sites] == ["Ticket", "VideoStatusResponse"]
    body = {"ticket": {"status": "open"}, "video": {**DONE, "status": "in_progress", "progress": 101}}
    reply = Reply(facts, spec, "GET", {}, 200, "application/json", json.dumps(body).encode())
    assert _raised(progress_in_range, reply).evidence == {"field": "video.progress", "value": 101}


def test_a_state_with_required_fields_and_no_fixed_values_holds_when_they_are_set() -> None:
    assert status_implies_fields(_reply({**DONE, "status": "failed", "error": {"message": "no"}})) is None


def test_the_client_keys_stop_at_the_value_and_at_sixty_characters() -> None:
    tricky = _client_failure(client_strict_parse, {**DONE, "progress": "x (got y)"})
    assert tricky.key == "strict:progress:must be an integer"
    long = _client_failure(client_strict_parse, {**DONE, "status": "weird"})
    assert long.key == "strict:status:is not one of the values the spec allows (completed, failed,"


def test_the_repo_config_names_the_suite_hooks() -> None:
    """Plain ``schemathesis run --config-file schemathesis.toml`` imports the config's ``hooks`` module, and that
    module registers the suite's checks when imported. (The console script itself, as a process, runs in the release
    tier: test_plain_schemathesis_with_the_repo_config_runs_the_suite_checks.)"""
    import tomllib  # noqa: PLC0415

    import schemathesis  # noqa: PLC0415

    text = (ROOT / "schemathesis.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["hooks"] == checks.__name__
    schemathesis.Config.from_str(text)  # a config schemathesis accepts as it is
    assert sorted(checks.REGISTERED) == sorted(checks.SUITE_CHECKS)
