"""The spec diff on real-world input: tolerant loading, warnings, --strict, normalised rewrites, readable lines."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from contract_tests.toolchain.load import load_pair, parse_tolerant
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
    assert "a mapping key is not a string: 200 (at /paths/~1a/get/responses)" in capsys.readouterr().err


def test_rewrites_of_the_same_api_are_not_changes() -> None:
    """Path parameter renamed, `$ref` + nullable as allOf, duplicate required, media type parameters, JSON vs YAML."""
    old, new = load_pair(BASE, REWRITE)
    rules = sorted(change.rule for change in diff_documents(old.document, new.document))
    assert rules == [
        "media-type-parameters-changed",
        "request-parameter-default-removed",
        "request-path-parameter-renamed",
    ]


def test_json_output_keeps_pointer_rule_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_diff.main([str(BASE), str(REWRITE), "--no-surface", "--format", "json", "--fail-on", "warning"]) == 1
    report = json.loads(capsys.readouterr().out)
    default = next(c for c in report["changes"] if c["rule"] == "request-parameter-default-removed")
    # Removed: the pointer resolves in the old document (where the path parameter had its old name).
    assert (default["location"], default["document"]) == (
        "/paths/~1v1~1videos~1{video_id}/get/parameters/1/schema",
        "old",
    )
    assert default["where"] == "GET /v1/videos/{video_id}, query parameter `limit`"
    assert default["operations"] == ["GET /v1/videos/{id}"]
    assert default["severity"] == "warning"
    assert any("non-string mapping key" in warning for warning in report["warnings"])


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            "/paths/~1v1~1videos~1{video_id}/get/responses/200/content/application~1json/schema/properties/progress",
            "GET /v1/videos/{video_id}, 200 response, property `progress`",
        ),
        (
            "/paths/~1v/post/requestBody/content/application~1json/schema/properties/a/items/properties/b",
            "POST /v, request body, property `a[].b`",
        ),
        ("/paths/~1v/get/responses/200/headers/X-Rate/schema", "GET /v, 200 response, header `X-Rate`"),
        (
            "/webhooks/done/post/requestBody/content/application~1json/schema",
            "webhook `done` POST, request body",
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
    assert capsys.readouterr().out.splitlines() == [
        "spec diff: 1 breaking, 0 warning, 0 info",
        "BREAKING `VideoStatusResponse.progress`: type integer → string (1 operation: GET /v1/videos/{video_id})  "
        "[response-body-type-changed]",
    ]


def _big(operations: int, *, broken: bool = False) -> dict[str, Any]:
    """A document of ``operations`` operations (about 1 MB for 3,000); ``broken``: without a title."""
    paths: dict[str, Any] = {
        f"/v1/thing{index}": {
            "get": {"operationId": f"thing{index}", "responses": {"200": {"description": "ok " * 80}}}
        }
        for index in range(operations)
    }
    info = {"version": "1"} if broken else {"title": "\U0001f44d", "version": "1"}
    return {"openapi": "3.1.0", "info": info, "paths": paths}


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_large_documents_are_validated_too() -> None:
    text = json.dumps(_big(3000, broken=True))
    assert len(text) > 1_000_000
    loaded = parse_tolerant(text, "big.json")
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith("big.json: not a valid OpenAPI document: ")
    assert '"title" is a required property' in loaded.warnings[0]


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_strict_accepts_valid_json_with_surrogate_pair_escapes_and_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_big(300)), encoding="utf-8")  # ensure_ascii: the 👍 title as "\ud83d\udc4d"
    assert "\\ud83d\\udc4d" in good.read_text(encoding="utf-8")
    bad.write_text(json.dumps(_big(300, broken=True)), encoding="utf-8")
    assert spec_diff.main([str(good), str(good), "--no-surface", "--strict"]) == 0
    assert spec_diff.main([str(good), str(bad), "--no-surface", "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"spec_diff: error: {bad} is not a valid OpenAPI 3.1.0 document")


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


def test_an_unknown_openapi_version_is_a_warning_not_an_error() -> None:
    loaded = parse_tolerant(HEAD.replace("3.1.0", "3.9.0"), "future.yaml")
    assert loaded.document["openapi"] == "3.9.0"
    (warning,) = loaded.warnings
    assert warning.startswith('future.yaml: not a valid OpenAPI document: "3.9.0" does not match')


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
    assert second.warnings == ()  # 1 MB each, validated


def test_a_text_is_validated_once_per_process_and_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    calls: list[int] = []
    real = load._validation_warnings

    def counting(document: dict[str, Any]) -> list[str]:
        calls.append(len(document))
        return real(document)

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


def _minimal(extra: str = "") -> str:
    return "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n" + extra


def test_strict_is_the_schema_check_by_jsonschema_rs_plus_references_and_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    good = _minimal(
        "        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n"
    )
    good += "components: {schemas: {A: {type: string}}}\n"
    assert load.parse_strict(good, "good.yaml").document["components"]["schemas"]["A"] == {"type": "string"}
    with pytest.raises(SpecError, match=r"^dangling.yaml: \$ref '#/components/schemas/B' does not resolve \(at /paths"):
        load.parse_strict(good.replace("schemas/A'", "schemas/B'"), "dangling.yaml")
    with pytest.raises(
        SpecError, match=r"^keys.yaml: a mapping key is not a string: 200 \(at /paths/~1a/get/responses\)"
    ):
        load.parse_strict(_minimal("        200: {description: ok}\n"), "keys.yaml")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(_minimal("        '200': {}\n"), encoding="utf-8")
    assert spec_diff.main([str(invalid), str(invalid), "--no-surface", "--strict"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"spec_diff: error: {invalid} is not a valid OpenAPI 3.0.3 document: ")
    assert (
        "{} is not valid under any of the schemas listed in the 'oneOf' keyword at /paths/~1a/get/responses/200" in line
    )


def test_values_json_would_have_read_as_text_do_not_stop_validation() -> None:
    # A merge key sends the text to PyYAML, which reads `2024-01-01` as a date; JSON would have a string there.
    text = _minimal("        '200': {}\n") + "x-base: &base {since: 2024-01-01}\nx-more: {<<: *base}\n"
    loaded = parse_tolerant(text, "dates.yaml")
    assert loaded.document["x-base"]["since"].isoformat() == "2024-01-01"  # PyYAML's reading is kept for the diff
    (warning,) = [warning for warning in loaded.warnings if "OpenAPI" in warning or "validated" in warning]
    assert "is not valid under any of the schemas" in warning


def test_a_document_the_validator_cannot_read_is_one_line_that_says_why() -> None:
    from contract_tests.toolchain.load import _validation_warnings  # noqa: PLC0415

    (warning,) = _validation_warnings({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "x": 1j})
    assert warning.startswith("not validated: jsonschema-rs cannot read the document (")
    assert "\n" not in warning


def test_strict_checks_the_schema_objects_of_a_3_1_document_against_json_schema_2020_12() -> None:
    from contract_tests.toolchain import load  # noqa: PLC0415

    text = (
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
        "        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n"
        "components: {schemas: {A: {type: object, required: [id, id]}}}\n"
    )
    with pytest.raises(SpecError, match=r"has non-unique elements at /components/schemas/A/required"):
        load.parse_strict(text, "dup.yaml")
    loaded = parse_tolerant(text, "dup.yaml")
    assert any("has non-unique elements at /components/schemas/A/required" in warning for warning in loaded.warnings)
