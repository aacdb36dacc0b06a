"""The proxy's checker process: checks run on the other side of a queue, so they never delay a response.

The proxy (one event loop) hands each finished exchange to :class:`CheckerProcess`; a separate process (spawned,
so nothing of the proxy's loop is inherited) checks it, records it and rewrites the reports every
``report_every`` seconds. Memory stays bounded on both sides: the proxy pickles each exchange as it hands it over
(bytes, so queued exchanges cost exactly their size and nothing for the garbage collector to walk; the exchanges
that end in one turn of the proxy's loop cross together, up to 64), counts the bytes
it queued, the checker counts the bytes it took out (shared counters), and an exchange that would take the queue
past ``budget`` bytes is forwarded but not checked (counted, and said in the report). When the proxy stops it
sends *stop*; the checker drains the queue, writes the final reports and exits with the verdict's code, which the
proxy returns.

The checker runs at a lower scheduling priority (``nice`` 10): on a busy machine the traffic comes first and the
checks catch up (or, past the budget, skip). It ignores SIGINT (a Ctrl-C reaches the whole process group: the
proxy stops first, then tells it); a SIGTERM sent to the checker alone makes it finish the same way, and so does
the proxy's death (it never outlives the proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import attrs

from contract_tests.cassette import Exchange
from contract_tests.suite.traffic.session import Session, SessionConfig

__all__ = ["DEFAULT_BUDGET", "Channels", "CheckerError", "CheckerProcess", "serve_checks"]

DEFAULT_BUDGET = 16 * 1024 * 1024
STOP = "stop"
BATCH = 64  # exchanges handed over in one message at most
HEAD_COST = 512  # what an exchange weighs beyond its bodies until it is pickled (its headers, the record)
NICENESS = 10
USAGE_EXIT = 2


class CheckerError(Exception):
    """The checker process could not start (bad spec, baseline, or recording path); the message says why."""


@attrs.frozen
class Channels:
    """What connects the proxy and its checker process: the queue, the two byte counters, the ready pipe, and the
    proxy's pid (when the checker's parent is no longer it, the proxy died)."""

    inbox: Any
    consumed: Any
    skipped: Any
    ready: Connection
    proxy: int


def serve_checks(config: SessionConfig, channels: Channels) -> int:
    """The checker process's main loop (see the module docstring); returns the verdict's exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # checks are background work: the proxy forwarding traffic comes first for the CPU
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        session = Session(config)
    except Exception as exc:
        channels.ready.send(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return USAGE_EXIT
    channels.ready.send(None)
    last = time.monotonic()
    dirty = False
    while True:
        try:
            item = channels.inbox.get(timeout=0.2)
        except queue.Empty:
            item = None
            if stop.is_set() or os.getppid() != channels.proxy:  # told to stop, or the proxy died without saying so
                break
        if item == STOP:
            break
        if isinstance(item, bytes):
            for exchange in pickle.loads(item):  # noqa: S301 - our own proxy process pickled it
                session.add(exchange)
            channels.consumed.value += len(item)
            dirty = True
        if dirty and time.monotonic() - last >= config.report_every:
            session.write(skipped=channels.skipped.value)
            last, dirty = time.monotonic(), False
    return session.finish(skipped=channels.skipped.value)


def _main(config: SessionConfig, channels: Channels) -> None:
    raise SystemExit(serve_checks(config, channels))


class CheckerProcess:
    """The sink the proxy hands exchanges to (call it with one), backed by the checker process.

    Args:
        config: the session the process runs.
        budget: the most bytes of exchanges waiting in the queue.
    """

    def __init__(self, config: SessionConfig, *, budget: int = DEFAULT_BUDGET) -> None:
        context = multiprocessing.get_context("spawn")
        self.budget = budget
        self._inbox: Any = context.Queue()
        self._consumed: Any = context.Value("q", 0, lock=False)
        self._skipped: Any = context.Value("q", 0, lock=False)
        self._queued = 0
        self._pending: list[Exchange] = []
        self._pending_cost = 0
        self._flush_soon = False
        self._ready, child = context.Pipe(duplex=False)
        channels = Channels(self._inbox, self._consumed, self._skipped, child, os.getpid())
        self.process = context.Process(target=_main, args=(config, channels), name="tokenops-conformance-checker")

    def start(self, timeout: float = 120.0) -> None:
        """Start the process and wait until it is ready.

        Raises:
            CheckerError: it could not start (the message says why).
        """
        self.process.start()
        if not self._ready.poll(timeout):
            self.process.terminate()
            raise CheckerError(f"the checker process did not start within {timeout:g} s")
        try:
            problem = self._ready.recv()
        except EOFError:  # it died before it could say
            self.process.join(10)
            raise CheckerError(
                f"the checker process exited while starting (exit code {self.process.exitcode})"
            ) from None
        if problem is not None:
            self.process.join(10)
            raise CheckerError(problem)

    def __call__(self, exchange: Exchange) -> None:
        cost = exchange.size + HEAD_COST
        if self._queued + self._pending_cost - self._consumed.value + cost > self.budget:
            self._skipped.value += 1
            return
        self._pending.append(exchange)
        self._pending_cost += cost
        if len(self._pending) >= BATCH:
            self._flush()
            return
        if not self._flush_soon:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside the proxy's loop: hand it over now
                self._flush()
                return
            self._flush_soon = True
            loop.call_soon(self._flush)  # the exchanges that end in this turn of the loop cross together

    def _flush(self) -> None:
        self._flush_soon = False
        if not self._pending:
            return
        batch, self._pending, self._pending_cost = self._pending, [], 0
        if not self.process.is_alive():
            self._skipped.value += len(batch)
            return
        data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        self._queued += len(data)
        self._inbox.put_nowait(data)

    @property
    def skipped(self) -> int:
        """Exchanges forwarded but not checked (the queue was full)."""
        return int(self._skipped.value)

    def stop(self, timeout: float = 120.0) -> int:
        """Tell the checker to finish, wait for its final reports; returns its exit code (2 if it died)."""
        self._flush()
        if self.process.is_alive():
            self._inbox.put(STOP)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)
            return USAGE_EXIT
        self._inbox.close()
        self._inbox.join_thread()
        code = self.process.exitcode
        return code if code is not None and code >= 0 else USAGE_EXIT
