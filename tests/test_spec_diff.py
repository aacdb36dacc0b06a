"""scripts/spec_diff.py: every rule fires on its mutation fixture and on nothing else; formats; exit codes."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.toolchain.rules import RULES, describe, diff_documents
from contract_tests.toolchain.surface import SURFACE_RULES
from scripts import spec_diff
from tests.conftest import ROOT
from tests.spec_edits import FROZEN_PAGE, frozen_spec_text

FIXTURES = yaml.safe_load((ROOT / "tests" / "fixtures" / "spec_mutations.yaml").read_text(encoding="utf-8"))
# A frozen spec (today's page), not the live openapi.yaml: the mutations point into it, and it must not grow.
BASE = yaml.safe_load(frozen_spec_text())
P = "/paths/~1v1~1videos~1{video_id}/get/responses/200/content/application~1json/schema"


def _expand(pointer: str, site: str | None = None) -> list[str]:
    if site is not None and (pointer == "X" or pointer.startswith("X/")):
        pointer = FIXTURES["sites"][site] + pointer[1:]
    for name, value in FIXTURES["vars"].items():
        if pointer.startswith(name + "/") or pointer == name:
            pointer = value + pointer[len(name) :]
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.lstrip("/").split("/")]


def _parent(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def apply(document: dict[str, Any], ops: list[dict[str, Any]], site: str | None = None) -> dict[str, Any]:
    result = json.loads(json.dumps(document))  # a deep copy of plain JSON, ~5x faster than copy.deepcopy
    for op in ops:
        kind = next(k for k in ("set", "add", "remove", "move") if k in op)
        *parents, last = _expand(op[kind], site)
        node = _parent(result, parents)
        if kind == "move":
            value = node.pop(last)
            *to_parents, to_last = _expand(op["to"], site)
            _parent(result, to_parents)[to_last] = value
        elif kind == "remove":
            del node[int(last) if isinstance(node, list) else last]
        elif kind == "add" and last == "-":
            node.append(copy.deepcopy(op["value"]))
        elif isinstance(node, list):
            node[int(last)] = copy.deepcopy(op["value"])
        else:
            node[last] = copy.deepcopy(op["value"])
    return result


def _pair(mutation: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old = apply(BASE, mutation.get("base", []))
    return old, apply(old, mutation["ops"])


SCHEMA_CASES = [
    pytest.param(site, mutation, id=f"{site}-{mutation['fact']}")
    for mutation in FIXTURES["schema_mutations"]
    for site in FIXTURES["sites"]
]


def _site_pair(site: str, mutation: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old = apply(apply(BASE, FIXTURES["site_base"]), mutation.get("base", []), site)
    return old, apply(old, mutation["ops"], site)


def test_every_rule_has_a_mutation_fixture() -> None:
    static = {m["rule"] for m in FIXTURES["mutations"]}
    generated = {f"{site}-{m['fact']}" for m in FIXTURES["schema_mutations"] for site in FIXTURES["sites"]}
    assert static.isdisjoint(generated)
    assert static | generated == set(RULES)
    assert len(RULES) >= 100


def _check_cli(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    # JSON files: the same CLI path at well under YAML's cost (YAML files: _write below, and test_spec_diff_load).
    (tmp_path / "old.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    code = spec_diff.main([str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--no-surface", "--fail-on", "info"])
    assert code == 1


@pytest.mark.parametrize("mutation", FIXTURES["mutations"], ids=lambda m: m["rule"])
def test_each_mutation_is_reported_as_exactly_its_rule(mutation: dict[str, Any], tmp_path: Path) -> None:
    old, new = _pair(mutation)
    changes = diff_documents(old, new)
    assert {c.rule for c in changes} == {mutation["rule"]}, [(c.rule, c.location) for c in changes]
    assert all(c.location.startswith("/") for c in changes)
    assert {c.severity for c in changes} == {RULES[mutation["rule"]][0]}
    _check_cli(tmp_path, old, new)


@pytest.mark.parametrize(("site", "mutation"), SCHEMA_CASES)
def test_each_schema_fact_is_reported_at_each_site(site: str, mutation: dict[str, Any]) -> None:
    old, new = _site_pair(site, mutation)
    changes = diff_documents(old, new)
    rule = f"{site}-{mutation['fact']}"
    assert [c.rule for c in changes] == [rule], [(c.rule, c.location, c.message) for c in changes]
    assert describe(changes[0].location).startswith("POST /v1/videos, ")


def test_identical_documents_have_no_changes() -> None:
    assert diff_documents(BASE, copy.deepcopy(BASE)) == []


def test_a_moved_schema_is_one_rename_not_removed_and_added() -> None:
    moved = copy.deepcopy(BASE)
    schemas = moved["components"]["schemas"]
    schemas["VideoJob"] = schemas.pop("VideoStatusResponse")
    operation = moved["paths"]["/v1/videos/{video_id}"]["get"]
    operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] = "#/components/schemas/VideoJob"
    (change,) = diff_documents(BASE, moved)
    assert (change.rule, change.location) == ("schema-renamed", "/components/schemas/VideoJob")
    assert change.message.startswith("model `VideoStatusResponse` renamed to `VideoJob`")


def test_a_change_inside_a_component_is_located_in_the_component_once() -> None:
    new = apply(BASE, [{"remove": "/components/schemas/OpenAIVideoError/properties/code"}])
    (change,) = diff_documents(BASE, new)
    assert change.rule == "response-body-property-removed-optional"
    # Where the change is made (resolving in the old document: the property is gone from the new one) ...
    assert (change.location, change.document) == ("/components/schemas/OpenAIVideoError/properties/code", "old")
    # ... and where it shows.
    assert change.operations == ("GET /v1/videos/{video_id}",)
    assert describe(change.location, BASE) == "`OpenAIVideoError.code`"


def _write(tmp_path: Path, mutation_rule: str) -> tuple[Path, Path]:
    mutation = next(m for m in FIXTURES["mutations"] if m["rule"] == mutation_rule)
    old, new = _pair(mutation)
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    return tmp_path / "old.yaml", tmp_path / "new.yaml"


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.parametrize(
    ("rule", "fail_on", "expected"),
    [
        ("response-media-type-added", "warning", 0),
        ("response-media-type-added", "info", 1),
        ("server-url-changed", "breaking", 0),
        ("server-url-changed", "warning", 1),
        ("operation-removed", "breaking", 1),
    ],
)
def test_fail_on_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str, fail_on: str, expected: int
) -> None:
    old, new = _write(tmp_path, rule)
    assert spec_diff.main([str(old), str(new), "--no-surface", "--fail-on", fail_on]) == expected
    assert rule in capsys.readouterr().out


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
def test_output_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _write(tmp_path, "operation-removed")
    spec_diff.main([str(old), str(new), "--no-surface", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["breaking"] == 1
    assert report["changes"][0]["rule"] == "operation-removed"
    assert report["changes"][0]["location"] == "/paths/~1v1~1videos~1{video_id}/get"
    assert report["changes"][0]["where"] == "GET /v1/videos/{video_id}"
    spec_diff.main([str(old), str(new), "--no-surface", "--format", "junit"])
    suite = ET.fromstring(capsys.readouterr().out.split("?>", 1)[1])
    assert suite.get("failures") == "1"
    spec_diff.main([str(old), str(new), "--no-surface", "--format", "github"])
    assert capsys.readouterr().out.splitlines() == [
        "::notice title=spec diff::1 breaking, 0 warning, 0 info",
        f"::error file={new},title=operation-removed::GET /v1/videos/{{video_id}} removed",
    ]
    spec_diff.main([str(old), str(new), "--no-surface", "--format", "markdown"])
    assert "| breaking | GET /v1/videos/{video_id} | GET /v1/videos/{video_id} removed | - | `operation-removed` |" in (
        capsys.readouterr().out
    )
    spec_diff.main([str(old), str(new), "--no-surface"])
    assert capsys.readouterr().out.splitlines() == [
        "spec diff: 1 breaking, 0 warning, 0 info",
        "BREAKING GET /v1/videos/{video_id} removed  [operation-removed]",
    ]


def test_docs_pages_are_accepted_as_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "openapi.yaml").write_text(frozen_spec_text(), encoding="utf-8")
    assert spec_diff.main([str(FROZEN_PAGE), str(tmp_path / "openapi.yaml"), "--no-surface", "--fail-on", "info"]) == 0
    removed = tmp_path / "removed.yaml"
    removed.write_text(yaml.safe_dump(apply(BASE, [{"remove": "/paths/~1v1~1videos~1{video_id}"}])), encoding="utf-8")
    assert spec_diff.main([str(FROZEN_PAGE), str(removed), "--no-surface"]) == 1  # the page was read, not ignored
    assert "operation-removed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot be read"), ("a: [", "is not valid YAML"), ("title: x\n", "is not an OpenAPI 3.x document")],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert spec_diff.main([str(FROZEN_PAGE), str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_diff.main(["--list-rules"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(RULES) + len(SURFACE_RULES)
    assert any(line.split()[:2] == ["breaking", "request-body-property-added-required"] for line in lines)
    assert all(len(line.split()) > 2 for line in lines)  # every rule says why
