"""Run in a subprocess against a package regenerated from the grown spec (``tests/test_pagination_grown.py``): the
client lists every video of the mock (which serves that spec) over TCP, sync and async, through
``client.videos.list()`` and ``client.operations.call("listVideos")``, and stops on a looping cursor.

Usage: ``PYTHONPATH=<grown>/generated:<repo> python tests/grown_list_calls.py SPEC LOG``; prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

import tokenops
from contract_tests.mock.process import mock_process

KEY = "sk-grown-lists-0c1e"
JOBS = 23


async def _async_lists(base_url: str) -> dict[str, Any]:
    async with tokenops.AsyncTokenOps(api_key=KEY, base_url=base_url) as client:
        listed = [video.id async for video in client.videos.list(limit=5, order="asc")]
        first = await client.videos.list(limit=4)
        page = await client.operations.call("listVideos", limit=6)
        called = [video.id async for video in page]
        pages = [len(p.items) async for p in page.iter_pages()]
        return {
            "listed": listed,
            "first_page": [type(first).__name__, len(first.items), first.has_next_page()],
            "called": called,
            "pages": pages,
        }


def main(spec: Path, log: Path) -> dict[str, Any]:
    with (
        mock_process(["--spec", str(spec), "--api-key", KEY, "--quiet"], log=log) as mock,
        httpx.Client(base_url=mock.base_url) as control,
    ):
        control.post("/_mock/jobs", json=[{"id": f"video_list_{n:02d}", "created_at": 100 - n} for n in range(JOBS)])
        jobs = control.get("/_mock/jobs").json()["jobs"]  # the store's order: creation, for equal times
        live = [job["id"] for job in sorted(jobs, key=lambda job: job["created_at"])]  # oldest first
        with tokenops.TokenOps(api_key=KEY, base_url=mock.base_url) as client:
            page = client.videos.list(limit=5)
            sync = {
                "first_page": [type(page).__name__, len(page.items), page.next_cursor, page.has_more],
                "listed": [video.id for video in page],
                "types": sorted({type(video).__name__ for video in page}),
                "called": [video.id for video in client.operations.call("listVideos", limit=7)],
                "after": [video.id for video in client.videos.list(after=page.next_cursor, limit=50)],
                "pages": [p.index for p in page.iter_pages()],
            }
            control.post("/_mock/faults", json={"kind": "page_loop", "path": "/v1/videos"})
            try:
                list(client.videos.list(limit=5))
                looped: Any = "no error"
            except tokenops.PaginationError as exc:
                looped = [exc.cursor, exc.page, str(exc)]
            control.delete("/_mock/faults")
        result_async = asyncio.run(_async_lists(mock.base_url))
    return {"live": live, "sync": sync, "async": result_async, "looped": looped}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))  # noqa: T201 - the test reads this line
