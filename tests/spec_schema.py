"""A jsonschema validator for the spec's response schema, built straight from openapi.yaml."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import ROOT


@cache
def video_validator() -> Draft202012Validator:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "urn:tokenops:openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    schema = spec["paths"]["/v1/videos/{video_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    ref = "urn:tokenops:openapi" + schema["$ref"]
    return Draft202012Validator({"$ref": ref}, registry=registry)


def spec_errors(body: Any) -> list[str]:
    """Every way ``body`` violates the spec's 200 schema (empty when it conforms)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in video_validator().iter_errors(body)]
