"""Dynamic batching: concurrent requests wait a few milliseconds in a bounded queue, then share one generate call.

The queue is the back-pressure: when it is full a request is refused at once (503) instead of piling up.
Generation runs in a worker thread so the event loop keeps answering /health, /metrics and new requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from serve.engine import BatchStats, Job

log = logging.getLogger("serve")


class QueueFull(Exception):
    pass


Sink = Callable[[list[tuple[int, int]]], None]  # a streaming request's [(row in request, token_id), ...] per step
Item = tuple[Job, asyncio.Future, Sink | None]


class DynamicBatcher:
    def __init__(
        self,
        run_batch: Callable[[list[Job], Sink | None], BatchStats],
        max_rows: int,
        wait_s: float,
        max_queue: int,
        enabled: bool = True,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        self.run_batch = run_batch
        self.max_rows = max_rows if enabled else 1  # unbatched: a job alone per call (num_rollouts may exceed 1)
        self.wait_s = wait_s if enabled else 0.0
        self.enabled = enabled
        self.on_batch = on_batch
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=max_queue)
        self._carry: Item | None = None  # took from the queue but did not fit the last batch
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="dynamic-batcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        while not self.queue.empty():
            _, future, _ = self.queue.get_nowait()
            if not future.done():
                future.set_exception(QueueFull("server is shutting down"))

    def depth(self) -> int:
        return self.queue.qsize()

    async def submit(self, job: Job, timeout: float, sink: Sink | None = None) -> list[Any]:
        """The job's completions; raises QueueFull when the queue is full and TimeoutError after `timeout` s.

        `sink` (streaming jobs) is called from the generate thread with each step's new tokens of this job.
        """
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((job, future, sink))
        except asyncio.QueueFull:
            raise QueueFull(f"queue full ({self.queue.maxsize} requests waiting); retry later") from None
        try:
            return await asyncio.wait_for(future, timeout)
        except (TimeoutError, asyncio.CancelledError):
            job.cancelled = True  # its rows stop at the next generated token; the rest of the batch goes on
            raise

    async def _next(self, timeout: float | None) -> Item | None:
        if self._carry is not None:
            item, self._carry = self._carry, None
            return item
        if timeout is None:
            return await self.queue.get()
        try:
            return self.queue.get_nowait() if timeout <= 0 else await asyncio.wait_for(self.queue.get(), timeout)
        except (asyncio.QueueEmpty, TimeoutError):
            return None

    async def _collect(self) -> list[Item]:
        first = await self._next(None)
        batch, rows = [first], first[0].num_rollouts
        deadline = time.monotonic() + self.wait_s
        while rows < self.max_rows:
            item = await self._next(deadline - time.monotonic())
            if item is None:
                break
            if rows + item[0].num_rollouts > self.max_rows:
                self._carry = item
                break
            batch.append(item)
            rows += item[0].num_rollouts
        return batch

    async def _loop(self) -> None:
        while True:
            batch = await self._collect()
            live = [(job, fut, sink) for job, fut, sink in batch if not fut.done() and not job.cancelled]
            if not live:
                continue
            try:
                stats = await asyncio.to_thread(self.run_batch, [job for job, _, _ in live], _router(live))
            except Exception as err:  # a failed generate call fails its requests, never the loop
                log.exception("generate failed for a batch of %d requests", len(live))
                for _, fut, _ in live:
                    if not fut.done():
                        fut.set_exception(err)
                continue
            if self.on_batch:
                self.on_batch(stats)
            for (_, fut, _), completions in zip(live, stats.per_job):
                if not fut.done():
                    fut.set_result(completions)


def _router(live: list[Item]) -> Sink | None:
    """One emit for the batch: rows are numbered across it, job after job; each job's tokens go to its sink."""
    owners = [(sink, r) for job, _, sink in live for r in range(job.num_rollouts)]
    if all(sink is None for sink, _ in owners):
        return None

    def emit(items: list[tuple[int, int]]) -> None:
        per_sink: dict[int, tuple[Sink, list[tuple[int, int]]]] = {}
        for row, token in items:
            sink, r = owners[row]
            if sink is not None:
                per_sink.setdefault(id(sink), (sink, []))[1].append((r, token))
        for sink, tokens in per_sink.values():
            sink(tokens)

    return emit
