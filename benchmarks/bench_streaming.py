"""Server-sent events over real TCP: the mock's events per CPU-second, and the client's CPU per event.

The mock runs as its own process on 127.0.0.1 serving a chat-completions page (events whose data is a
``ChatCompletionChunk``), ``--stream-events`` per response, one uvicorn worker: the mock's CPU is read from
``/proc/<pid>/stat``, so the figure is events per second of one core. The client side reads the same streams in this
process (``time.process_time``), rounds interleaved, minimum over rounds (noise only adds):

- ``httpx-sse + json.loads``: the baseline the issue names (``httpx_sse.connect_sse(...).iter_sse()``);
- ``tokenops Stream``: :class:`tokenops.Stream` over the same response (``tokenops.sse`` decoding, each event's data
  decoded as JSON, ``[DONE]`` ending the stream).

Goals: the mock >= 5,000 events/s on one core; the client <= 1.2x the baseline's CPU per event.

Usage: ``python benchmarks/bench_streaming.py [--events N] [--streams S] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contract_tests.mock.process import mock_process
from tokenops import Stream
from tokenops._models import ResponseInfo
from tokenops._streaming import event_parser

KEY = "sk-bench-streaming"
GOAL_MOCK_EVENTS, GOAL_CLIENT = 5000.0, 1.2
BASELINE, OURS = "httpx-sse + json.loads", "tokenops Stream"
CHUNK = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string", "example": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"},
        "object": {"type": "string", "enum": ["chat.completion.chunk"]},
        "created": {"type": "integer", "example": 1741570283},
        "model": {"type": "string", "example": "gpt-4o-2024-08-06"},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "delta"],
                "properties": {
                    "index": {"type": "integer", "example": 0},
                    "delta": {"type": "object", "properties": {"content": {"type": "string", "example": "你好"}}},
                    "finish_reason": {"type": ["string", "null"], "example": None},
                },
            },
        },
    },
}


def _spec(path: Path) -> Path:
    data = {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": "#/components/schemas/C"},
    }
    event = {"type": "object", "properties": {"data": {"anyOf": [{"type": "string", "enum": ["[DONE]"]}, data]}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            "/v1/chat/completions": {
                "post": {
                    "operationId": "createChatCompletion",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object", "properties": {"stream": {}}}}}
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/C"}},
                                "text/event-stream": {"schema": event},
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"C": CHUNK}},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _readers(client: httpx.Client) -> dict[str, Callable[[], int]]:
    """Each candidate: read one whole stream, return the events seen."""
    body = {"stream": True}

    def baseline() -> int:
        import httpx_sse  # noqa: PLC0415 - the `dev` extra

        count = 0
        with httpx_sse.connect_sse(client, "POST", "/v1/chat/completions", json=body) as source:
            for event in source.iter_sse():
                if event.data == "[DONE]":
                    break
                json.loads(event.data)
                count += 1
        return count

    def ours() -> int:
        count = 0
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            stream: Stream[Any] = Stream(
                ResponseInfo(response, timedelta(0)), event_parser(None, False, response), max_event_bytes=1 << 22
            )
            for _item in stream:
                count += 1
        return count

    return {BASELINE: baseline, OURS: ours}


def measure(events: int = 2000, streams: int = 20, rounds: int = 5) -> dict[str, Any]:
    """The mock's events per CPU-second and each reader's CPU per event (µs, minimum over rounds)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = _spec(Path(tmp) / "spec.json")
        args = ["--api-key", KEY, "--quiet", "--spec", str(spec), "--stream-events", str(events)]
        with mock_process(args, log=Path(tmp) / "mock.log") as mock:
            client = httpx.Client(base_url=mock.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
            readers = _readers(client)
            for name, read in readers.items():  # warm up: connections, imports, the mock's first stream
                if (seen := read()) != events:
                    raise RuntimeError(f"{name} read {seen} events of {events}")
            samples: dict[str, list[float]] = {name: [] for name in readers}
            mock_cpu = 0.0
            total = 0
            for _ in range(rounds):
                for name, read in readers.items():
                    gc.collect()
                    served = _cpu_seconds(mock.pid)
                    start = time.process_time()
                    seen = sum(read() for _ in range(streams))
                    samples[name].append((time.process_time() - start) / seen * 1e6)
                    mock_cpu += _cpu_seconds(mock.pid) - served
                    total += seen
            client.close()
    per_event = {name: min(values) for name, values in samples.items()}
    return {
        "mock_events_per_cpu_second": total / mock_cpu if mock_cpu else float("inf"),
        "per_event_us": per_event,
        "median_us": {name: statistics.median(values) for name, values in samples.items()},
        "ratio": per_event[OURS] / per_event[BASELINE],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    result = measure(args.events, args.streams, args.rounds)
    print(f"mock: {result['mock_events_per_cpu_second']:.0f} events per CPU-second (goal >= {GOAL_MOCK_EVENTS:.0f})")
    for name, value in result["per_event_us"].items():
        print(f"client {name}: {value:.2f} us/event (median {result['median_us'][name]:.2f})")
    print(f"ratio tokenops / baseline: {result['ratio']:.2f}x (goal <= {GOAL_CLIENT}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
