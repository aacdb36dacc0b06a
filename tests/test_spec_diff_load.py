"""The spec diff on real-world input: tolerant loading, warnings, --strict, normalised rewrites, readable lines."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from contract_tests.toolchain.load import VALIDATION_LIMIT, load_pair, parse_tolerant
from contract_tests.toolchain.rules import describe, diff_documents
from contract_tests.toolchain.spec import SpecError
from scripts import spec_diff
from tests.conftest import ROOT
from tests.spec_edits import edit_schema, frozen_spec_text

FIXTURES = ROOT / "tests" / "fixtures" / "spec_diff"
BASE, REWRITE = FIXTURES / "real-world-base.yaml", FIXTURES / "real-world-rewrite.json"


def test_a_spec_with_bare_int_keys_duplicates_and_inf_loads_with_warnings() -> None:
    loaded = parse_tolerant(BASE.read_text(encoding="utf-8"), "base.yaml")
    responses = loaded.document["paths"]["/v1/videos/{video_id}"]["get"]["responses"]
    assert list(responses) == ["200"]
    assert math.isinf(loaded.document["paths"]["/v1/videos/{video_id}"]["get"]["parameters"][1]["schema"]["default"])
    text = "\n".join(loaded.warnings)
    assert "1 non-string mapping key(s) read as strings, first 200 (line 13)" in text
    assert "YAML anchor(s) defined twice, the later definition used: limit" in text
    assert "not a valid OpenAPI document" in text


def test_the_four_line_int_key_spec_from_the_issue_is_diffed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {responses: {200: {description: ok}}}}\n"
    )
    assert spec_diff.main([str(spec), str(spec), "--no-surface"]) == 0
    assert "note: " in capsys.readouterr().out
    assert spec_diff.main([str(spec), str(spec), "--no-surface", "--strict"]) == 2
    assert "Dict key must be str" in capsys.readouterr().err  # what strict validation says


def test_rewrites_of_the_same_api_are_not_changes() -> None:
    """Path parameter renamed, `$ref` + nullable as allOf, duplicate required, media type parameters, JSON vs YAML."""
    old, new = load_pair(BASE, REWRITE)
    rules = sorted(change.rule for change in diff_documents(old.document, new.document))
    assert rules == [
        "media-type-parameters-changed",
        "request-parameter-default-changed",
        "request-path-parameter-renamed",
    ]


def test_json_output_keeps_pointer_rule_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_diff.main([str(BASE), str(REWRITE), "--no-surface", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    default = next(c for c in report["changes"] if c["rule"] == "request-parameter-default-changed")
    assert default["location"] == "/paths/~1v1~1videos~1{id}/get/parameters/query/limit/schema"
    assert default["where"] == "GET /v1/videos/{id}, query parameter `limit`"
    assert default["severity"] == "breaking"
    assert any("non-string mapping key" in warning for warning in report["warnings"])


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            "/paths/~1v1~1videos~1{video_id}/get/responses/200/content/application~1json/schema/properties/progress",
            "GET /v1/videos/{video_id}, 200 response, application/json, property `progress`",
        ),
        (
            "/paths/~1v/post/requestBody/content/application~1json/schema/properties/a/items/properties/b",
            "POST /v, request body, application/json, property `a[].b`",
        ),
        ("/paths/~1v/get/responses/200/headers/X-Rate/schema", "GET /v, 200 response, header `X-Rate`"),
        (
            "/webhooks/done/post/requestBody/content/application~1json/schema",
            "webhook `done` POST, request body, application/json",
        ),
        ("/components/securitySchemes/OpenAIAuth", "security scheme `OpenAIAuth`"),
        ("tokenops_client.models.Video", "tokenops_client.models.Video"),
    ],
)
def test_locations_are_said_in_api_terms(location: str, expected: str) -> None:
    assert describe(location) == expected


def test_text_lines_say_where_in_api_terms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = frozen_spec_text()
    progress = "progress:\n          type: "
    changed = edit_schema(text, "VideoStatusResponse", progress + "integer", progress + "string")
    (tmp_path / "old.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(changed, encoding="utf-8")
    assert spec_diff.main([str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--no-surface"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "BREAKING response-body-type-changed  GET /v1/videos/{video_id}, 200 response, application/json, "
        "property `progress`: type integer → string"
    )


def test_large_documents_are_not_validated_but_say_so() -> None:
    filler = "x-pad: '" + "p" * VALIDATION_LIMIT + "'\n"
    loaded = parse_tolerant("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n" + filler, "big.yaml")
    assert loaded.warnings == (
        f"big.yaml: not validated: 0.3 MB is over the {VALIDATION_LIMIT // 1024} KB limit (--strict validates)",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: [", "is not valid YAML"), ("- 1\n", "not an OpenAPI document"), ("swagger: '2.0'\n", "swagger: '2.0'")],
)
def test_what_cannot_be_read_at_all_is_still_refused(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_tolerant(text, "bad.yaml")


@pytest.mark.parametrize(
    "body",
    [
        "paths: {}\ncomponents:\n  responses:\n    200:\n      description: ok\n",  # an unquoted integer key
        "paths: {}\nx-a: &v 1\nx-b: &v 2\nx-c: *v\n",  # an anchor defined twice: the later one wins
        "paths: {}\nx-default: .inf\nx-text: inf\nx-day: 2024-01-01\n",
        "paths: {}\nx-base: &b {k: 1}\nx-merged:\n  <<: *b\n  m: 2\n",  # a YAML 1.1 merge key: PyYAML resolves it
        "paths: {}\nx-twice: 1\nx-twice: 2\n",  # a duplicate key: the Rust parser refuses, PyYAML keeps the last
    ],
)
def test_the_fast_parser_and_pyyaml_read_the_same_document(body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    text = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n" + body
    fast = load.parse_tolerant(text, "spec.yaml")
    monkeypatch.setattr(load, "_yaml_rs", None)
    slow = load.parse_tolerant(text, "spec.yaml")
    assert fast.document == slow.document
    assert [w.split(" (line")[0] for w in fast.warnings] == [w.split(" (line")[0] for w in slow.warnings]


def test_the_fast_parser_is_used_when_installed() -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    assert load._yaml_rs is not None  # the `contract` extra brings it (pyproject.toml)
    assert load._fast_yaml("a: 1\n", load._Notes()) == {"a": 1}
    assert load._fast_yaml("a: &b {k: 1}\nc:\n  <<: *b\n", load._Notes()) is None  # merge keys: PyYAML's job


HEAD = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + "x-a: *nowhere\n", r"is not valid YAML \(line 4, column 6\): found undefined alias"),
    ],
)
def test_yaml_the_tolerant_loader_cannot_read_either_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_tolerant(text, "bad.yaml")


def test_a_sequence_as_mapping_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    text = HEAD + "x-a:\n  ? [a, b]\n  : c\n"
    fast = load.parse_tolerant(text, "odd.yaml")  # yaml-rs reads it as a tuple: one more key made a string
    assert fast.document["x-a"] == {"('a', 'b')": "c"}
    assert fast.warnings[0] == "odd.yaml: 1 non-string mapping key(s) read as strings, first ('a', 'b')"
    monkeypatch.setattr(load, "_yaml_rs", None)
    with pytest.raises(SpecError, match=r"is not valid YAML \(line 5, column 5\): found unhashable key"):
        load.parse_tolerant(text, "odd.yaml")  # PyYAML cannot build it at all


def test_yaml_flow_mapping_that_is_not_json_is_read_as_yaml() -> None:
    loaded = parse_tolerant("{openapi: 3.1.0, info: {title: t, version: '1'}, paths: {}}", "flow.yaml")
    assert loaded.document == {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    assert loaded.warnings == ()


def test_a_document_the_validator_cannot_handle_is_a_warning_not_an_error() -> None:
    loaded = parse_tolerant(HEAD.replace("3.1.0", "3.9.0"), "future.yaml")
    assert loaded.document["openapi"] == "3.9.0"
    (warning,) = loaded.warnings
    assert warning.startswith("future.yaml: not validated: the validator failed (")


@pytest.mark.integration  # a process pool
def test_two_large_documents_load_in_parallel_with_the_same_result(tmp_path: Path) -> None:
    from contract_tests.toolchain.load import PARALLEL_MIN_BYTES, load_spec  # noqa: PLC0415

    pad = "x-pad: '" + "p" * PARALLEL_MIN_BYTES + "'\n"
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(HEAD + pad, encoding="utf-8")
    new.write_text(HEAD.replace("version: '1'", "version: '2'") + pad, encoding="utf-8")
    first, second = load_pair(old, new)
    assert (first, second) == (load_spec(old), load_spec(new))
    assert second.document["info"]["version"] == "2"
    assert second.warnings[0].startswith(f"{new}: not validated: 1.0 MB is over")


def test_a_text_is_validated_once_per_process_and_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    calls: list[int] = []
    real = load._validation_warnings

    def counting(document: dict[str, Any], size: int) -> list[str]:
        calls.append(size)
        return real(document, size)

    monkeypatch.setattr(load, "_validation_warnings", counting)
    monkeypatch.setattr(load, "_VALIDATED", {})
    text = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    first = load.parse_tolerant(text, "a.yaml")
    again = load.parse_tolerant(text, "b.yaml")
    assert len(calls) == 1
    assert again.warnings == first.warnings == ()
    broken = text.replace("paths: {}", "paths: []")
    assert load.parse_tolerant(broken, "c.yaml").warnings  # another text: validated, and its warning kept
    assert len(calls) == 2
    for n in range(load._VALIDATED_MAX + 5):
        load.parse_tolerant(text + f"x-n: {n}\n", "d.yaml")
    assert len(load._VALIDATED) <= load._VALIDATED_MAX
