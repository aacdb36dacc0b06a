"""The categorisation rules (contract_tests/suite/categories.py), one case per rule and its boundaries."""

from __future__ import annotations

import json

import pytest

from contract_tests.suite.categories import REASONABLE_UNDOCUMENTED, Category, categorize

ERROR = json.dumps({"error": {"message": "nope", "type": "invalid_request_error", "code": "x"}}).encode()


@pytest.mark.parametrize(
    ("check", "status", "body", "expected"),
    [
        ("client_strict_parse", 200, b"{}", Category.CLIENT_INCOMPATIBILITY),
        ("client_tolerant_parse", 200, b"[]", Category.CLIENT_INCOMPATIBILITY),
        ("lifecycle_progress_monotonic", 200, b"{}", Category.LIFECYCLE_VIOLATION),
        ("lifecycle_terminal_stable", 200, b"{}", Category.LIFECYCLE_VIOLATION),
        ("status_code_conformance", 401, ERROR, Category.SPEC_GAP),
        ("status_code_conformance", 404, ERROR, Category.SPEC_GAP),
        ("status_code_conformance", 429, ERROR, Category.SPEC_GAP),
        ("status_code_conformance", 404, b"<html>not found</html>", Category.SERVER_NONCONFORMANCE),
        ("status_code_conformance", 404, b'{"detail": "x"}', Category.SERVER_NONCONFORMANCE),
        ("status_code_conformance", 418, ERROR, Category.SERVER_NONCONFORMANCE),
        ("status_code_conformance", 503, ERROR, Category.SERVER_NONCONFORMANCE),
        ("status_code_conformance", 302, ERROR, Category.SERVER_NONCONFORMANCE),
        ("positive_data_acceptance", 404, ERROR, Category.SPEC_GAP),
        ("positive_data_acceptance", 404, b"<html>not found</html>", Category.SERVER_NONCONFORMANCE),
        ("positive_data_acceptance", 401, b"", Category.SERVER_NONCONFORMANCE),
        ("positive_data_acceptance", 422, ERROR, Category.SERVER_NONCONFORMANCE),
        ("not_a_server_error", 500, ERROR, Category.SERVER_NONCONFORMANCE),
        ("response_schema_conformance", 200, b"{}", Category.SERVER_NONCONFORMANCE),
        ("content_type_conformance", 200, b"{}", Category.SERVER_NONCONFORMANCE),
        ("progress_in_range", 200, b"{}", Category.SERVER_NONCONFORMANCE),
        ("failed_has_error", 200, b"{}", Category.SERVER_NONCONFORMANCE),
    ],
)
def test_rules(check: str, status: int, body: bytes, expected: Category) -> None:
    assert categorize(check, status, body) is expected


def test_a_refused_valid_request_is_a_spec_gap_only_where_ids_may_not_exist() -> None:
    # POST /v1/videos has no path parameter: a 404 to a valid request is the server's fault, not the spec's.
    assert categorize("positive_data_acceptance", 404, ERROR, path_parameters=False) is Category.SERVER_NONCONFORMANCE
    assert categorize("positive_data_acceptance", 404, ERROR, path_parameters=True) is Category.SPEC_GAP


def test_transport_failures_and_non_api_pages_are_server_nonconformance() -> None:
    for check in ("transport_error", "not_an_api_response", "auth_enforced", "path_edge_handled"):
        assert categorize(check, None, None) is Category.SERVER_NONCONFORMANCE


def test_reasonable_undocumented_statuses_are_client_errors_only() -> None:
    assert all(400 <= status < 500 for status in REASONABLE_UNDOCUMENTED)
    assert {401, 404, 405, 429} <= REASONABLE_UNDOCUMENTED


def test_every_category_has_a_title_and_meaning() -> None:
    for category in Category:
        assert category.label
        assert category.meaning


@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_page_cursor_the_server_never_issued_may_be_refused(status: int) -> None:
    # GET /v1beta/models?pageToken=<generated>: the spec cannot say which tokens exist (like ids), so a well-formed
    # but unknown token is rightly refused with an error body; without one, or with a 5xx, the server is at fault.
    assert categorize("positive_data_acceptance", status, ERROR, path_parameters=False, cursor_sent=True) is (
        Category.SPEC_GAP
    )
    assert categorize("positive_data_acceptance", status, ERROR, path_parameters=False) is (
        Category.SERVER_NONCONFORMANCE
    )
    assert categorize("positive_data_acceptance", status, b"<html/>", path_parameters=False, cursor_sent=True) is (
        Category.SERVER_NONCONFORMANCE
    )
    assert categorize("positive_data_acceptance", 500, ERROR, path_parameters=False, cursor_sent=True) is (
        Category.SERVER_NONCONFORMANCE
    )
