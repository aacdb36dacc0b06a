"""Every operation of the generated client, called through the overlay's low-level path against the mock over TCP.

``python -m tests.growth_calls`` (``scripts/growth_check.py`` runs it in a copy of the repository that took new
vendor pages). Nothing here names an operation: arguments are built from the spec (path parameters get a
fresh completed job of the mock, bodies the required properties from the spec's examples, enums, defaults or
types), and each result must be what the operation documents. Exit 0 when every call succeeded, else 1.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

from contract_tests._paths import spec_path
from contract_tests.mock.process import mock_process
from tokenops import Download, TokenOps, operations
from tokenops_client.types import Endpoint

KEY = "sk-growth-calls"


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _value(spec: dict[str, Any], schema: Any) -> Any:  # noqa: PLR0911 - one answer per JSON type
    schema = _resolve(spec, schema)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "string":
        return b"growth check file" if schema.get("format") == "binary" else "growth check"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value(spec, schema.get("items", {}))]
    required = schema.get("required", [])
    return {name: _value(spec, prop) for name, prop in schema.get("properties", {}).items() if name in required}


def _operation(spec: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][endpoint.path][endpoint.method.lower()]
    return operation


def _arguments(spec: dict[str, Any], endpoint: Endpoint, new_job: Any) -> dict[str, Any]:
    operation = _operation(spec, endpoint)
    arguments: dict[str, Any] = {}
    for parameter in (_resolve(spec, p) for p in operation.get("parameters", [])):
        python_name = {**endpoint.path_parameters, **endpoint.query_parameters, **endpoint.header_parameters}.get(
            parameter["name"]
        )
        if parameter["in"] == "path":
            arguments[str(python_name)] = new_job()
        elif parameter.get("required"):
            arguments[str(python_name)] = _value(spec, parameter.get("schema", {}))
    if endpoint.bodies:
        content_type, _, body_type = endpoint.bodies[0]
        schema = operation["requestBody"]["content"][content_type]["schema"]
        arguments["body"] = body_type.from_dict(_value(spec, schema))
    return arguments


def main() -> int:
    spec = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    failures = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process(["--api-key", KEY, "--quiet"], log=Path(tmp) / "m.log") as mock,
    ):
        control = httpx.Client(base_url=mock.base_url, timeout=10)

        def new_job() -> str:
            job = control.post("/_mock/jobs", json={"pending_seconds": 0, "running_seconds": 0}).json()
            return str(job["id"])

        with TokenOps(api_key=KEY, base_url=mock.base_url) as client:
            for endpoint in operations.all_endpoints().values():
                label = f"{endpoint.method} {endpoint.path}"
                try:
                    result = client.operations.call(endpoint, **_arguments(spec, endpoint, new_job))
                    documented = endpoint.response_for(200)
                    if isinstance(result, Download):
                        with result:
                            size = len(result.read())
                        print(f"ok   {label}: {size} bytes downloaded")
                    elif (
                        documented is not None
                        and isinstance(documented.type, type)
                        and not isinstance(result, documented.type)
                    ):
                        failures += 1
                        print(f"FAIL {label}: got {type(result).__name__}, expected {documented.type.__name__}")
                    else:
                        print(f"ok   {label}: {type(result).__name__}")
                except Exception as exc:  # every failure is reported, then the next operation runs
                    failures += 1
                    print(f"FAIL {label}: {type(exc).__name__}: {exc}")
        control.close()
    print(f"{len(operations.all_endpoints()) - failures} of {len(operations.all_endpoints())} operations called")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
