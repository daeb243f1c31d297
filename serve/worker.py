"""The model in a child process: the HTTP server and the generate loop stop competing for one GIL.

`generate` with a small model is mostly Python (module calls, logits processors, cache bookkeeping), and so is
FastAPI's request handling; in one process they take turns on the GIL, so requests parsed or answered delay the
batch being generated, and a long batch delays every answer, /health included. vLLM splits its API server from
its engine core for the same reason. Measured on a 2-core VM with the tiny model at concurrency 16
(BENCHMARKS.md, Serving): same median latency, but p99 216-264 ms instead of 365-441 ms, and the slowest
/health answer under load 85-165 ms instead of 211-276 ms.

The parent keeps a copy of the tokenizer (sent by the child once loaded), so prompts are rendered and measured on
the event loop without a round trip. A batch goes to the child as plain Jobs and comes back as BatchStats; a
request cancelled while its batch runs is forwarded on a second pipe and its rows stop at the next token.
A child that dies fails its batch and every later one with an error naming its exit code; /ready and /health
then answer 503 so an orchestrator restarts the server.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from serve.engine import BatchStats, Engine, Job

log = logging.getLogger("serve")

CANCEL_POLL_S = 0.005  # while a batch runs, the parent checks this often for requests to cancel


class WorkerDied(RuntimeError):
    pass


class _Batches:
    """Child side: the jobs of the batch being generated, and cancellations that arrived before their batch."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: dict[tuple[int, int], Job] = {}  # (batch number, index in batch) -> job
        self.early: set[tuple[int, int]] = set()
        self.finished = 0  # batches up to this number are done: a cancel for them came too late to matter

    def start(self, batch_no: int, jobs: list[Job]) -> None:
        with self.lock:
            for i, job in enumerate(jobs):
                self.live[(batch_no, i)] = job
                job.cancelled = (batch_no, i) in self.early
                self.early.discard((batch_no, i))

    def finish(self, batch_no: int) -> None:
        with self.lock:
            self.live.clear()
            self.finished = batch_no

    def cancel(self, key: tuple[int, int]) -> None:
        with self.lock:
            if key in self.live:
                self.live[key].cancelled = True  # RowBudget reads it at the next generated token
            elif key[0] > self.finished:
                self.early.add(key)


def _forward_cancels(cancels: Connection, batches: _Batches) -> None:
    while True:
        try:
            batches.cancel(cancels.recv())
        except (EOFError, OSError):
            return


def _child_main(
    conn: Connection,
    cancels: Connection,
    model_component: Any,
    run_dir: Path | None,
    merge_adapter: bool,
    compile: bool,
    torch_threads: int | None,
    log_level: str,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent shuts us down
    logging.basicConfig(level=log_level.upper(), format="[%(asctime)s][serve.worker][%(levelname)s] - %(message)s")
    engine = Engine(model_component, run_dir, merge_adapter, compile, torch_threads)
    try:
        engine.load()
    except Exception as err:
        log.exception("model failed to load")
        conn.send(("error", f"{type(err).__name__}: {err}"))
        return
    conn.send(("ready", engine.tokenizer, engine.source, engine.max_positions))
    batches = _Batches()
    threading.Thread(target=_forward_cancels, args=(cancels, batches), daemon=True).start()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        batch_no, jobs = message
        batches.start(batch_no, jobs)
        # Streaming rows' tokens go up the same pipe as they are generated, ahead of the batch's reply.
        emit = (lambda items: conn.send(("tokens", items))) if any(j.stream for j in jobs) else None
        try:
            reply = ("ok", engine.generate(jobs, emit))
        except Exception as err:
            log.exception("generate failed for a batch of %d requests", len(jobs))
            reply = ("error", f"{type(err).__name__}: {err}")
        finally:
            batches.finish(batch_no)
        conn.send(reply)


class EngineProcess(Engine):
    """An Engine whose weights and generate loop live in a child process; render runs here."""

    def __init__(
        self,
        model_component: Any,
        run_dir: Path | None = None,
        merge_adapter: bool = True,
        compile: bool = False,
        torch_threads: int | None = None,
        log_level: str = "info",
    ) -> None:
        super().__init__(model_component, run_dir, merge_adapter, compile, torch_threads)
        self.log_level = log_level
        self.process: Any = None
        self.failure: str | None = None  # set once the child has died
        self._conn: Connection | None = None
        self._cancels: Connection | None = None
        self._batch_no = 0
        self._lock = threading.Lock()

    def load(self) -> None:
        # spawn, not fork: the parent already runs threads (event loop, batcher), and CUDA cannot be forked
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        child_cancels, self._cancels = ctx.Pipe(duplex=False)  # (receive end, send end)
        self.process = ctx.Process(
            target=_child_main,
            name="serve-model",
            args=(
                child_conn,
                child_cancels,
                self.model_component,
                self.run_dir,
                self.merge_adapter,
                self.compile,
                self.torch_threads,
                self.log_level,
            ),
            daemon=True,
        )
        self.process.start()
        child_conn.close()
        child_cancels.close()
        try:
            message = self._conn.recv()
        except (EOFError, OSError):
            self.process.join(timeout=5)
            raise WorkerDied(f"model process exited with code {self.process.exitcode} while loading") from None
        if message[0] == "error":
            self.process.join(timeout=5)
            raise RuntimeError(message[1])
        _, self.tokenizer, self.source, self.max_positions = message
        log.info("Serving %s from model process %d", self.source, self.process.pid)

    def generate(self, jobs: list[Job], emit: Callable[[list[tuple[int, int]]], None] | None = None) -> BatchStats:
        with self._lock:  # the batcher runs one batch at a time; the lock keeps replies paired with requests
            if self.failure:
                raise WorkerDied(self.failure)
            self._batch_no += 1
            forwarded: set[int] = set()
            try:
                self._conn.send((self._batch_no, jobs))
                kind = "tokens"
                while kind == "tokens":
                    while not self._conn.poll(CANCEL_POLL_S):
                        for i, job in enumerate(jobs):
                            if job.cancelled and i not in forwarded:
                                self._cancels.send((self._batch_no, i))
                                forwarded.add(i)
                        if not self.process.is_alive():
                            break
                    kind, payload = self._conn.recv()
                    if kind == "tokens" and emit is not None:
                        emit(payload)
            except (EOFError, OSError):
                self.process.join(timeout=5)
                code = self.process.exitcode
                if code is None:  # alive but its pipe broke: it cannot be talked to again
                    self.process.terminate()
                self.failure = (
                    f"model process exited with code {code}"
                    if code is not None
                    else "lost the pipe to the model process"
                )
                log.error("%s; every request now fails until the server is restarted", self.failure)
                raise WorkerDied(self.failure) from None
        if kind == "error":
            raise RuntimeError(payload)
        return payload

    def close(self) -> None:
        if self.process is None:
            return
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
