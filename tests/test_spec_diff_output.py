"""scripts/spec_diff.py output: one line per change, worst and totals first, byte-identical under any hash seed,
locations that resolve, ``--all-sites``, ``--page`` and a quiet broken pipe."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract_tests.toolchain.diff import LINE_LIMIT
from contract_tests.toolchain.rules import diff_documents
from contract_tests.toolchain.rules.model import unescape
from scripts import spec_diff
from tests.conftest import ROOT

SCHEMAS = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _spec(operations: int = 40) -> dict[str, Any]:
    """``operations`` operations sharing a recursive component and a union, each with its own inline body."""
    paths: dict[str, Any] = {}
    for index in range(operations):
        body = {"type": "object", "properties": {"item": _ref("Item"), f"own{index}": {"type": "string"}}}
        paths[f"/v1/things{index}/{{id}}"] = {
            "post": {
                "operationId": f"thing{index}",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": body}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": _ref("Item")}}}},
            }
        }
    schemas = {
        "Item": {
            "type": "object",
            "required": ["id", "kind"],
            "properties": {
                "id": {"type": "string"},
                "kind": {"anyOf": [{"type": "string"}, _ref("Kind"), {"type": "null"}]},
                "children": {"type": "array", "items": _ref("Item")},
                "size": {"type": "integer"},
            },
        },
        "Kind": {"oneOf": [_ref("A"), _ref("B")]},
        "A": {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "required": ["a"],
            "additionalProperties": False,
        },
        "B": {
            "type": "object",
            "properties": {"b": {"type": "string"}},
            "required": ["b"],
            "additionalProperties": False,
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _next(old: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(old)
    item = new["components"]["schemas"]["Item"]
    item["properties"]["kind"] = {"anyOf": [_ref("Kind"), {"type": "null"}]}  # the string alternative goes
    item["properties"]["size"] = {"type": "number"}  # widened: breaking in responses, info in requests
    del new["paths"]["/v1/things3/{id}"]
    new["paths"]["/v1/things4/{id}"]["post"]["parameters"].append(
        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50}}
    )
    return new


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = _spec(), _next(_spec())
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    return tmp_path / "old.json", tmp_path / "new.json"


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer[1:].split("/"):
        key = unescape(token)
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def test_a_change_reached_from_many_operations_is_one_line(pair: tuple[Path, Path], capsys: Any) -> None:
    assert spec_diff.main([str(pair[0]), str(pair[1]), "--no-surface"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "spec diff: 3 breaking, 0 warning, 3 info",
        "BREAKING POST /v1/things3/{id} removed  [operation-removed]",
        "BREAKING `Item.kind`: `string` alternative removed (39 operations: POST /v1/things0/{id}, +38)"
        "  [request-body-variant-removed]",
        "BREAKING `Item.size`: type integer → number (39 operations: POST /v1/things0/{id}, +38)"
        "  [response-body-type-widened]",
        "INFO     POST /v1/things4/{id}, query parameter `limit`: optional query parameter `limit` added"
        "  [request-parameter-added-optional]",
        "INFO     `Item.kind`: `string` alternative removed (39 operations: POST /v1/things0/{id}, +38)"
        "  [response-body-variant-removed]",
        "INFO     `Item.size`: type integer → number (39 operations: POST /v1/things0/{id}, +38)"
        "  [request-body-type-widened]",
    ]
    assert all(len(line) <= LINE_LIMIT for line in lines)


def test_json_locations_resolve_in_the_document_they_name(pair: tuple[Path, Path], capsys: Any) -> None:
    spec_diff.main([str(pair[0]), str(pair[1]), "--no-surface", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    documents = {
        name: json.loads(path.read_text(encoding="utf-8")) for name, path in zip(("old", "new"), pair, strict=True)
    }
    assert {c["document"] for c in report["changes"]} == {"old", "new"}
    for change in report["changes"]:
        _resolve(documents[change["document"]], change["location"])  # raises when it does not resolve
        assert change["operations"] == sorted(change["operations"])
    kind = next(c for c in report["changes"] if c["rule"] == "request-body-variant-removed")
    assert kind["location"] == "/components/schemas/Item/properties/kind/anyOf/0"
    assert len(kind["operations"]) == 39
    assert len(kind["sites"]) == 39


def test_all_sites_lists_every_place_a_change_shows(pair: tuple[Path, Path], capsys: Any) -> None:
    spec_diff.main([str(pair[0]), str(pair[1]), "--no-surface", "--all-sites"])
    lines = capsys.readouterr().out.splitlines()
    at = lines.index(next(line for line in lines if "`Item.size`" in line))
    assert lines[at + 1] == "    at POST /v1/things0/{id}, 200 response"
    assert sum(1 for line in lines if line.startswith("    at ")) > 39


def test_a_default_added_to_an_optional_parameter_is_info() -> None:
    old = _spec(2)
    new = copy.deepcopy(old)
    parameter = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    old["paths"]["/v1/things0/{id}"]["post"]["parameters"].append(parameter)
    new["paths"]["/v1/things0/{id}"]["post"]["parameters"].append(
        {**parameter, "schema": {"type": "integer", "default": 50}}
    )
    assert [(c.rule, c.severity) for c in diff_documents(old, new)] == [("request-parameter-default-added", "info")]
    changed = copy.deepcopy(new)
    changed["paths"]["/v1/things0/{id}"]["post"]["parameters"][1]["schema"]["default"] = 20
    assert [(c.rule, c.severity) for c in diff_documents(new, changed)] == [
        ("request-parameter-default-changed", "breaking")
    ]


@pytest.mark.release  # reproducibility across hash seeds, in fresh processes
def test_every_format_is_byte_identical_under_any_hash_seed(pair: tuple[Path, Path]) -> None:
    outputs: dict[str, set[bytes]] = {}
    for seed in ("0", "1", "12345"):
        for fmt in ("text", "json"):
            result = subprocess.run(
                [sys.executable, "scripts/spec_diff.py", str(pair[0]), str(pair[1]), "--no-surface", "--format", fmt],
                cwd=ROOT,
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                check=False,
                timeout=120,
            )
            assert result.returncode == 1, result.stderr
            outputs.setdefault(fmt, set()).add(result.stdout)
    assert {fmt: len(found) for fmt, found in outputs.items()} == {"text": 1, "json": 1}


@pytest.mark.e2e
def test_a_closed_pipe_is_quiet(pair: tuple[Path, Path]) -> None:
    command = f"'{sys.executable}' scripts/spec_diff.py '{pair[0]}' '{pair[1]}' --no-surface --all-sites | head -1"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.stdout == "spec diff: 3 breaking, 0 warning, 3 info\n"
    assert result.stderr == ""


@pytest.mark.integration  # over 12 ms: too slow for the unit tier
@pytest.mark.committed_spec
def test_a_page_is_diffed_as_the_spec_it_would_make(capsys: Any) -> None:
    page = ROOT / "tests" / "fixtures" / "upstream" / "videos-api" / "create-video.md"
    assert spec_diff.main([str(ROOT / "openapi.yaml"), "--page", str(page), "--no-surface"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "spec diff: 0 breaking, 0 warning, 1 info",
        "INFO     POST /v1/videos added  [operation-added]",
    ]
    assert spec_diff.main([str(ROOT / "openapi.yaml")]) == 2  # neither NEW nor --page
