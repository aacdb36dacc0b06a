"""Print a short summary of the vendored spec: operations, schemas, provenance.

Usage: ``python scripts/spec_info.py [--root DIR]``. Exit 0, or 2 when the spec is missing or invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/spec_info.py`: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.toolchain.spec import HTTP_METHODS, SpecError, load_openapi, sha256_file

ROOT = Path(__file__).resolve().parents[1]


def summarise(root: Path) -> list[str]:
    """Human-readable lines describing ``root/openapi.yaml``.

    Raises:
        SpecError: the spec is missing or invalid.
    """
    spec = root / "openapi.yaml"
    document = load_openapi(spec)
    info = document.get("info", {})
    lines = [
        f"spec: openapi.yaml  OpenAPI {document['openapi']}  {info.get('title')} {info.get('version')}",
        f"sha256: {sha256_file(spec)}",
        f"servers: {', '.join(str(s.get('url')) for s in document.get('servers', [])) or '(none)'}",
        "operations:",
    ]
    for path, item in sorted((document.get("paths") or {}).items()):
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                statuses = ", ".join(sorted(str(code) for code in operation.get("responses", {})))
                lines.append(f"  {method.upper():6} {path}  {operation.get('operationId')}  responses: {statuses}")
    schemas = sorted((document.get("components") or {}).get("schemas", {}))
    lines.append(f"schemas: {', '.join(schemas) or '(none)'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec_info", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        print("\n".join(summarise(args.root)))
    except SpecError as exc:
        print(f"spec_info: error: {exc}", file=sys.stderr)
        print("To fix: restore openapi.yaml (git checkout openapi.yaml) or see README 'Updating the spec'.")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
