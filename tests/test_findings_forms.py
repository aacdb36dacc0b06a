"""Findings judged by what the request carried. A negative case that only changed a string form field's JSON type
is no evidence against the server
(``contract_tests.suite.findings._undecidable_on_a_form``): on the wire a form field is text."""

from __future__ import annotations

from pathlib import Path

import pytest
from schemathesis.core.failures import Failure

from contract_tests.suite.baseline import KnownDeviations
from contract_tests.suite.categories import Category
from contract_tests.suite.evidence import Outcome
from contract_tests.suite.findings import CheckResult, Ledger
from contract_tests.suite.records import Received, Sent
from contract_tests.suite.spec_facts import OperationFacts, facts_for
from contract_tests.toolchain.spec import extract_fenced_block
from tokenops import spec

MESSAGE = "Invalid component: in body - violates `type` at /properties/prompt (was string, became boolean)"
OK = Received(200, (("content-type", "application/json"),), b'{"text": "hi"}')


def _sent(content_type: str) -> Sent:
    return Sent("POST", "http://t/v1/audio/transcriptions", (("Content-Type", content_type),), b"--x--")


@pytest.mark.parametrize(
    ("content_type", "message", "findings"),
    [
        ("multipart/form-data; boundary=x", MESSAGE, 0),
        ("application/x-www-form-urlencoded", MESSAGE, 0),
        ("application/json", MESSAGE, 1),  # in JSON a boolean is not a string: the server should refuse
        ("multipart/form-data; boundary=x", "violates `maxLength` at /properties/prompt", 1),
        ("multipart/form-data; boundary=x", "violates `type` at /properties/n (was integer, became string)", 1),
    ],
)
def test_only_a_string_form_field_made_another_type_is_undecidable(
    content_type: str, message: str, findings: int
) -> None:
    ledger = Ledger(KnownDeviations(None), "sk-forms")
    failure = Failure(
        operation="POST /v1/audio/transcriptions", title="Schema-violating request accepted", message=message
    )
    produced = ledger.exchange(
        facts=None,
        label="POST /v1/audio/transcriptions",
        method="POST",
        path_params={},
        phase="fuzzing",
        sent=_sent(content_type),
        received=OK,
        results=[CheckResult("negative_data_rejection", Outcome.FAILED, failure)],
    )
    assert len(produced) == findings
    counts = ledger.evidence.operation("POST /v1/audio/transcriptions").checks.get("negative_data_rejection")
    assert (counts.failed if counts is not None else 0) == findings  # not applicable is not counted as failed


def _gemini_list_facts() -> OperationFacts:
    page = Path(__file__).parent / "fixtures/upstream/catalog/list-gemini-models.md"
    document = spec.from_text(extract_fenced_block(page.read_text(encoding="utf-8")), page.name).document
    facts = facts_for(document).operation("GET /v1beta/models")
    assert facts is not None
    return facts


@pytest.mark.parametrize(
    ("query", "category"),
    [("?pageToken=h%24%C2%85&pageSize=2", Category.SPEC_GAP), ("?pageSize=2", Category.SERVER_NONCONFORMANCE)],
    ids=["generated-token", "no-token"],
)
def test_a_valid_request_refused_for_its_page_token_is_a_spec_gap(query: str, category: Category) -> None:
    ledger = Ledger(KnownDeviations(None), "sk-forms")
    refused = Received(
        400, (("content-type", "application/json"),), b'{"error": {"code": 400, "message": "Invalid page token."}}'
    )
    failure = Failure(operation="GET /v1beta/models", title="Schema-valid request rejected", message="400")
    (finding,) = ledger.exchange(
        facts=_gemini_list_facts(),
        label="GET /v1beta/models",
        method="GET",
        path_params={},
        phase="fuzzing",
        sent=Sent("GET", f"http://t/v1beta/models{query}"),
        received=refused,
        results=[CheckResult("positive_data_acceptance", Outcome.FAILED, failure)],
    )
    assert finding.category is category
