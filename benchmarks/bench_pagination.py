"""Iterating a list of 10,000 videos over 100 pages from the mock over real TCP: the client's CPU.

The list operation exists in the grown spec only, so the script builds it first, as the growth check does (a copy of
the repo's inputs, ``spec_sync`` with the video pages, ``regenerate``: a few seconds), then measures in a process of
its own with the grown ``tokenops_client`` first on ``PYTHONPATH``. The mock runs as its own process on 127.0.0.1
serving that spec, with 10,000 jobs (plus its well-known ones), so the CPU measured (``time.process_time`` of the
measuring process) is the client's alone. Every candidate walks the whole list, 100 per page; rounds are
interleaved and the figure is the minimum over rounds (noise only adds; the median is printed too):

- ``raw httpx + from_dict``: the goal's baseline: a hand-written loop of ``httpx.Client.get`` on the same pages
  (``after=<last_id>`` while ``has_more``), each item built with the generated ``VideoStatusResponse.from_dict``:
  the same typed items the client gives;
- ``raw httpx, dicts``: the same loop keeping the decoded JSON (no typed items; shown, no goal);
- ``TokenOps.videos.list``: ``for video in client.videos.list(limit=100)``: typed ``Video`` items through the
  tolerant parse, every page through the one request path with the walk's loop checks.

Goal (issue 25): ``videos.list`` <= 1.1x the raw loop's CPU.

Usage: ``python benchmarks/bench_pagination.py [--items N] [--page-size P] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "sk-bench-pagination"
GOAL = 1.1
RAW, DICTS, OURS = "raw httpx + from_dict", "raw httpx, dicts", "TokenOps.videos.list"
VIDEO_PAGES = sorted((ROOT / "tests" / "fixtures" / "upstream" / "videos-api").glob("*.md"))
INPUTS = ("openapi.yaml", "generator-config.yaml", "spec.lock.json", "upstream", "generated", "templates")


def grow(into: Path) -> Path:
    """A copy of the repo's inputs that took the video pages (``spec_sync`` + ``regenerate``); its root."""
    import shutil  # noqa: PLC0415

    from scripts import regenerate, spec_sync  # noqa: PLC0415

    root = into / "repo"
    root.mkdir(parents=True)
    for name in (*INPUTS, "CHANGELOG.md", "overlays"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copyfile(source, root / name)
    pages = ["upstream/get-video-status.md", *(str(page) for page in VIDEO_PAGES)]
    with contextlib.redirect_stdout(io.StringIO()):
        if spec_sync.main(["--root", str(root), *pages]) != 0 or regenerate.main(["--root", str(root)]) != 0:
            raise RuntimeError("could not build the grown spec and package")
    return root


def _candidates(base_url: str, page_size: int) -> dict[str, Callable[[], int]]:
    import httpx  # noqa: PLC0415

    from tokenops import TokenOps  # noqa: PLC0415
    from tokenops_client.models import VideoStatusResponse  # noqa: PLC0415

    def raw_loop(typed: bool) -> Callable[[], int]:
        http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"})

        def walk() -> int:
            items: list[Any] = []
            params: dict[str, Any] = {"limit": page_size}
            while True:
                page = http.get("/v1/videos", params=params).json()
                if typed:
                    items.extend(VideoStatusResponse.from_dict(item) for item in page["data"])
                else:
                    items.extend(page["data"])
                if not page["has_more"]:
                    return len(items)
                params = {"limit": page_size, "after": page["last_id"]}

        return walk

    client = TokenOps(api_key=KEY, base_url=base_url)

    def ours() -> int:
        return len([video for video in client.videos.list(limit=page_size)])  # noqa: C416 - the user's loop

    return {RAW: raw_loop(typed=True), DICTS: raw_loop(typed=False), OURS: ours}


def _cpu(walk: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    start = time.process_time()
    count = walk()
    return time.process_time() - start, count


def inner(spec: Path, items: int, page_size: int, rounds: int) -> dict[str, Any]:
    """The measurement, in a process whose ``tokenops_client`` is the grown one."""
    import httpx  # noqa: PLC0415

    from contract_tests.mock.process import mock_process  # noqa: PLC0415

    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process(
            ["--spec", str(spec), "--api-key", KEY, "--quiet", "--max-jobs", str(items + 100)],
            log=Path(tmp) / "mock.log",
        ) as mock,
        httpx.Client(base_url=mock.base_url, timeout=60) as control,
    ):
        wanted = items - len(control.get("/_mock/jobs").json()["jobs"])
        for start in range(0, wanted, 1000):
            batch = [{"id": f"video_bench_{n:05d}", "created_at": n} for n in range(start, min(wanted, start + 1000))]
            control.post("/_mock/jobs", json=batch).raise_for_status()
        walks = _candidates(mock.base_url, page_size)
        counts = {name: walk() for name, walk in walks.items()}  # warm-up: connections open, caches filled
        if len(set(counts.values())) != 1:
            raise RuntimeError(f"the candidates listed different numbers of items: {counts}")
        samples: dict[str, list[float]] = {name: [] for name in walks}
        for _ in range(rounds):
            for name, walk in walks.items():
                seconds, _ = _cpu(walk)
                samples[name].append(seconds)
    return {"items": counts[OURS], "pages": -(-counts[OURS] // page_size), "samples": samples}


def measure(items: int = 10_000, page_size: int = 100, rounds: int = 5) -> dict[str, Any]:
    """Build the grown package, measure in a subprocess; the figures (CPU seconds per walk, per candidate)."""
    with tempfile.TemporaryDirectory(prefix="bench-pagination-") as tmp:
        root = grow(Path(tmp))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "generated"), str(ROOT)])}
        env.pop("TOKENOPS_API_KEY", None)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--inner",
            str(root / "openapi.yaml"),
            "--items",
            str(items),
            "--page-size",
            str(page_size),
            "--rounds",
            str(rounds),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(f"the measurement failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    samples = result["samples"]
    result["best"] = {name: min(values) for name, values in samples.items()}
    result["median"] = {name: statistics.median(values) for name, values in samples.items()}
    result["ratio"] = result["best"][OURS] / result["best"][RAW]
    result["ratio_dicts"] = result["best"][OURS] / result["best"][DICTS]
    return result


def report(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(measurement, figure, goal, met) rows, for this script and benchmarks/run_all.py (met None: no goal)."""
    per_item = result["best"][OURS] / result["items"] * 1e6
    return [
        (
            f"list {result['items']} videos / {result['pages']} pages: client CPU / raw httpx + from_dict",
            f"{result['ratio']:.2f}x ({per_item:.1f} us/item)",
            f"<= {GOAL}x",
            result["ratio"] <= GOAL,
        ),
        (
            "list: client CPU / raw httpx keeping dicts (untyped)",
            f"{result['ratio_dicts']:.2f}x",
            "-",
            None,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner is not None:
        print(json.dumps(inner(args.inner, args.items, args.page_size, args.rounds)))
        return 0
    result = measure(args.items, args.page_size, args.rounds)
    print(f"client CPU to iterate {result['items']} videos over {result['pages']} pages from the mock over TCP")
    print(f"({args.rounds} interleaved rounds; minimum and median CPU seconds per walk)")
    for name in (RAW, DICTS, OURS):
        best, middle = result["best"][name], result["median"][name]
        print(f"{name:24} {best:8.3f} s {best / result['best'][RAW]:6.2f}x  median {middle:8.3f} s")
    for name, figure, goal, met in report(result):
        print(f"{name}: {figure} (goal {goal}: {'-' if met is None else 'met' if met else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
