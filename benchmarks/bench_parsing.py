"""Parsing cost: ``parse_video`` (tolerance pre-pass + generated ``from_dict``) against its baselines.

Three bodies (a completed job, a failed job with a nested error, a messy one that needs coercion), tolerant and
strict, timed in one process and one run, interleaved. Baselines:

* the bare generated ``VideoStatusResponse.from_dict`` (no checks at all: the floor);
* with ``--baseline REV``: ``overlays/tokenops/_models.py`` as it was at git revision ``REV``, loaded from
  ``git show`` next to today's (e.g. ``--baseline 82290a6``, the hand-fitted parser issue 11 replaced).

Usage: ``python benchmarks/bench_parsing.py [--baseline REV] [--number N] [--rounds R]``. Goal: <= 1.2x the
baseline revision.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenops import parse_video
from tokenops_client.models import VideoStatusResponse

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.2
_JOB = {"id": "video_123", "object": "video", "created_at": 1741570283, "model": "sora-2", "seconds": "8"}
BODIES: dict[str, dict[str, Any]] = {
    "completed": {**_JOB, "status": "completed", "progress": 100, "completed_at": 1741570400, "size": "720x1280"},
    "failed": {**_JOB, "status": "failed", "progress": 40, "error": {"code": "moderation", "message": "no"}},
    "messy": {**_JOB, "status": "queued", "progress": "40", "size": None, "tier": {"name": "pro"}},
}


def _load_baseline(revision: str) -> Callable[..., Any]:
    source = subprocess.run(
        ["git", "show", f"{revision}:overlays/tokenops/_models.py"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("tokenops._models_baseline", handle.name)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load _models.py of {revision}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    Path(handle.name).unlink()
    return module.parse_video  # type: ignore[no-any-return]


def run(baseline: str | None, number: int, rounds: int) -> list[tuple[str, dict[str, float]]]:
    """Best-of-``rounds`` microseconds per call for each body/mode and implementation."""
    contenders: dict[str, Callable[[Any, bool], Any]] = {
        "generated from_dict": lambda body, strict: VideoStatusResponse.from_dict(body),
        "parse_video": lambda body, strict: parse_video(body, strict=strict),
    }
    if baseline:
        old = _load_baseline(baseline)
        contenders[f"parse_video@{baseline}"] = lambda body, strict: old(body, strict=strict)
    rows = []
    for name, body in BODIES.items():
        for strict in (False, True) if name != "messy" else (False,):
            best = dict.fromkeys(contenders, float("inf"))
            for _ in range(rounds):
                for label, call in contenders.items():
                    seconds = timeit.timeit(functools.partial(call, body, strict), number=number)
                    best[label] = min(best[label], seconds / number * 1e6)
            rows.append((f"{name} {'strict' if strict else 'tolerant'}", best))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", help="git revision whose parse_video to compare with")
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    rows = run(args.baseline, args.number, args.rounds)
    worst = 0.0
    for label, best in rows:
        figures = "  ".join(f"{name} {micro:6.2f} us" for name, micro in best.items())
        ratio = ""
        if args.baseline:
            value = best["parse_video"] / best[f"parse_video@{args.baseline}"]
            worst = max(worst, value)
            ratio = f"  ratio {value:.2f}"
        print(f"{label:20} {figures}{ratio}")
    if args.baseline:
        print(f"worst ratio parse_video / parse_video@{args.baseline}: {worst:.2f} (goal <= {GOAL})")
        return 0 if worst <= GOAL else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
