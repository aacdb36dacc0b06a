"""Many flows, a few workers: ``wait_many``'s scheduler (sans-IO flows in, outcomes out).

Each flow (``_flows.wait_flow``: a generator of :class:`~tokenops._flows.Send` and
:class:`~tokenops._flows.Sleep` actions) is started at once, so every deadline runs from the call. A flow that sleeps
waits in a heap by its due time (the server's poll-after hint, or the flow's backoff); one timer sleeps until the
earliest is due and hands due flows, earliest first, to the workers, one per connection slot. A worker drives a
flow until it sleeps again or ends. Waiting costs a heap entry per flow, not a task; CPU and memory grow with the
requests made, not with the jobs waiting.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tokenops._clock import Clock
from tokenops._errors import TokenOpsError
from tokenops._flows import Failure, Flow, Received, Send, Sleep

__all__ = ["EARLY", "FlowScheduler", "settle", "until_done"]

EARLY = 0.001  # a flow due this close is due now: timers fire a hair early and re-arming for it costs a loop turn
Sender = Callable[[Send], Awaitable[Received | Failure]]
_RESUME = None  # a flow's pending action after a sleep: resume it to get its next one


class FlowScheduler:
    """Drives ``flows`` with at most ``workers`` requests in flight, through ``send``.

    After :meth:`run`, ``outcomes[i]`` is flow ``i``'s return value, the :class:`TokenOpsError` it raised, or
    ``None`` while it had not ended (the caller decides what an unfinished flow means).
    """

    def __init__(self, clock: Clock, send: Sender, flows: Sequence[Flow], workers: int) -> None:
        self._clock = clock
        self._send = send
        self._flows = list(flows)
        self._workers = max(1, min(workers, len(self._flows)))
        self.outcomes: list[Any] = [None] * len(self._flows)
        self.ended: list[bool] = [False] * len(self._flows)
        self.first_error: TokenOpsError | None = None
        self._pending: list[Send | None] = [_RESUME] * len(self._flows)
        self._open = len(self._flows)
        self._heap: list[tuple[float, int]] = []
        self._ready: collections.deque[int] = collections.deque()
        self._parked: collections.deque[asyncio.Future[int]] = collections.deque()
        self._timer: asyncio.Task[None] | None = None
        self._target = 0.0
        self._fatal: BaseException | None = None
        self._stop_on_error = False
        self._done: asyncio.Future[None] | None = None

    async def run(self, hard_stop: float, *, stop_on_error: bool = False) -> None:
        """Run until every flow ended (or, with ``stop_on_error``, one raised), or ``hard_stop`` seconds of real
        time passed; then stop every worker and close every flow.

        Raises:
            Exception: what a flow raised that is not a :class:`TokenOpsError` (a callback's error, a bug).
        """
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        self._stop_on_error = stop_on_error
        for index in range(len(self._flows)):  # started now: each wait's deadline runs from the call
            first = self._step(index, None)
            if first is not None:
                self._pending[index] = first
                self._ready.append(index)
        workers = [] if self._done.done() else [loop.create_task(self._work()) for _ in range(self._workers)]
        try:
            if workers:
                # Each flow ends at its deadline by itself; this is the net for requests that ignore timeouts.
                await asyncio.wait([self._done], timeout=hard_stop)
        finally:
            await settle([*workers, *([self._timer] if self._timer is not None else [])])
            for flow in self._flows:
                flow.close()
        if self._fatal is not None:
            raise self._fatal

    # --- the workers -------------------------------------------------------------------------------------------

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._ready:
                index = self._ready.popleft()
            else:
                waiter: asyncio.Future[int] = loop.create_future()
                self._parked.append(waiter)
                try:
                    index = await waiter
                except asyncio.CancelledError:
                    if waiter.done() and not waiter.cancelled():
                        self._ready.appendleft(waiter.result())  # handed a flow as it was stopped: keep it
                    raise
            await self._advance(index)

    async def _advance(self, index: int) -> None:
        """Drive flow ``index`` until it sleeps or ends."""
        send = self._pending[index]
        self._pending[index] = _RESUME
        reply: Received | Failure | None = None
        if send is None:
            send = self._step(index, None)
        while send is not None:
            reply = await self._send(send)
            send = self._step(index, reply)

    def _step(self, index: int, reply: Received | Failure | None) -> Send | None:
        """Resume flow ``index`` with ``reply``: the request it makes next, or None (it sleeps, or it ended)."""
        try:
            action = self._flows[index].send(reply)
        except StopIteration as stop:
            self._end(index, stop.value)
            return None
        except TokenOpsError as exc:
            self._end(index, exc)
            if self.first_error is None:
                self.first_error = exc
            if self._stop_on_error:
                self._finish()
            return None
        except Exception as exc:  # a callback's error or a bug: the whole call fails with it
            self._end(index, None)
            self._fatal = self._fatal or exc
            self._finish()
            return None
        if isinstance(action, Sleep):
            self._sleep(index, action.seconds)
            return None
        return action

    def _end(self, index: int, outcome: Any) -> None:
        self.outcomes[index] = outcome
        self.ended[index] = True
        self._open -= 1
        if self._open == 0:
            self._finish()

    def _finish(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    # --- the heap and its timer ----------------------------------------------------------------------------------

    def _sleep(self, index: int, seconds: float) -> None:
        due = self._clock.monotonic() + seconds
        heapq.heappush(self._heap, (due, index))
        if self._timer is None or due < self._target:
            self._arm(due)

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._target = due
        self._timer = asyncio.get_running_loop().create_task(self._fire(due))

    async def _fire(self, due: float) -> None:
        await self._clock.asleep(max(0.0, due - self._clock.monotonic()))
        self._timer = None
        heap, now = self._heap, self._clock.monotonic() + EARLY
        while heap and heap[0][0] <= now:
            self._dispatch(heapq.heappop(heap)[1])
        if heap:
            self._arm(heap[0][0])

    def _dispatch(self, index: int) -> None:
        """Hand flow ``index`` to an idle worker, else queue it (earliest due first)."""
        while self._parked:
            waiter = self._parked.popleft()
            if not waiter.done():
                waiter.set_result(index)
                return
        self._ready.append(index)


async def settle(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended, however often this task is cancelled meanwhile (the
    first cancellation is raised once they have)."""
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    await until_done(asyncio.gather(*tasks, return_exceptions=True))


async def until_done(awaitable: Awaitable[Any]) -> None:
    """Await ``awaitable`` to its end, shielded: cancelling this task meanwhile does not stop it, and the first
    cancellation is raised once it has ended (closing pools, stopping workers: cleanup that must finish)."""
    running = asyncio.ensure_future(awaitable)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError as exc:
            cancelled = cancelled or exc
            continue
        break
    if cancelled is not None:
        raise cancelled
