"""`stream=true` for the OpenAI routes: server-sent events with the text as it is generated, ending `data: [DONE]`.

The tokens come from the shared batch while it runs (the engine's `emit`, across the model process's pipe, then
`call_soon_threadsafe` into this request's queue); each row's tokens are decoded here and sent as deltas. Text that
may still turn into a stop string, or half of a multi-byte character, is held back until it is settled. The
engine's final text for each row is the truth: whatever the deltas have not sent of it goes in the last delta.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from serve.core import ServeError, Service
from serve.engine import Completion, Job
from serve.openai_schemas import error_body
from serve.sampling import stream_safe


class RowText:
    """One choice's text so far, and how much of it has been sent."""

    def __init__(self, decode: Callable[[list[int]], str], stops: tuple[str, ...]) -> None:
        self.decode, self.stops = decode, stops
        self.ids: list[int] = []
        self.sent = ""
        self.stopped = False

    def feed(self, tokens: list[int]) -> str:
        if self.stopped:
            return ""
        self.ids.extend(tokens)
        safe, self.stopped = stream_safe(self.decode(self.ids), self.stops)
        if not safe.startswith(self.sent) or len(safe) == len(self.sent):
            return ""  # nothing new, or a decode that rewrote earlier text (the final text settles it)
        delta, self.sent = safe[len(self.sent) :], safe
        return delta

    def finish(self, final: str) -> str:
        return final[len(self.sent) :] if final.startswith(self.sent) else ""


def sse(payload: Any) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


class Stream:
    def __init__(self, service: Service, kind: str, endpoint: str, head: dict, job: Job, arrived: float) -> None:
        self.service, self.kind, self.endpoint, self.head, self.job, self.arrived = (
            service,
            kind,
            endpoint,
            head,
            job,
            arrived,
        )
        self.object = "chat.completion.chunk" if kind == "chat" else "text_completion"
        self.queue: asyncio.Queue = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        engine = service.engine

        def decode(ids: list[int]) -> str:
            with engine.tokenizer_lock:  # the tokenizer is shared with prompt rendering (not thread-safe)
                return engine.tokenizer.decode(ids, skip_special_tokens=True)

        self.rows = [RowText(decode, job.stop) for _ in range(job.num_rollouts)]
        self.task: asyncio.Task | None = None
        self.first: list | None = None
        self.first_sent = False  # whether time to first token was observed

    def _sink(self, items: list[tuple[int, int]]) -> None:  # called from the generate thread
        self.loop.call_soon_threadsafe(self.queue.put_nowait, items)

    async def start(self) -> None:
        """Submit the job and wait for its first tokens; a failure before them raises its ServeError here."""
        self.task = asyncio.create_task(self.service.run(self.job, self._sink))
        self.first = await self._next()
        if self.first is None:
            self.task.result()

    async def _next(self) -> list | None:
        """The next step's tokens, or None once the job is done and every queued step was taken."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        if self.task.done():
            return None
        getter = asyncio.ensure_future(self.queue.get())
        await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return self.queue.get_nowait() if not self.queue.empty() else None

    def _chunk(
        self,
        index: int,
        text: str | None = None,
        role: bool = False,
        finish: str | None = None,
        extra: dict | None = None,
    ) -> dict:
        if self.kind == "chat":
            delta = {"role": "assistant", "content": ""} if role else ({"content": text} if text else {})
            choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        else:
            choice = {"index": index, "text": text or "", "logprobs": None, "finish_reason": finish}
        return {**self.head, "object": self.object, "choices": [dict(choice, **(extra or {}))]}

    async def events(
        self, prompt_tokens: int, include_usage: bool, scored: Callable[[list[Completion]], Awaitable[tuple[list, Any]]]
    ) -> AsyncIterator[str]:
        try:
            if self.kind == "chat":  # OpenAI opens every choice with its role
                for i in range(len(self.rows)):
                    yield sse(self._chunk(i, role=True))
            items = self.first
            while items is not None:
                for event in self._deltas(items):
                    yield event
                items = await self._next()
            try:
                completions = self.task.result()
                choices, verifier = await scored(completions)
            except ServeError as err:  # the status line has gone out: the error travels as an event
                yield sse(
                    error_body(
                        err.message,
                        "server_error" if err.status >= 500 else "invalid_request_error",
                        err.param,
                        err.code,
                    )
                )
                return
            self._first_token()
            for event in self._endings(completions, choices, verifier, prompt_tokens, include_usage):
                yield event
        finally:
            if self.task is not None and not self.task.done():
                self.task.cancel()  # the client went away: its rows stop at the next token (batcher.submit)

    def _first_token(self) -> None:
        """Time to first token, observed once: at the first delta, or at the end when nothing was sent before."""
        if not self.first_sent:
            self.first_sent = True
            self.service.metrics.first_token.labels(self.endpoint).observe(time.perf_counter() - self.arrived)

    def _deltas(self, items: list[tuple[int, int]]) -> Iterator[str]:
        """One step's tokens as text deltas, one event per row that has settled new text."""
        per_row: dict[int, list[int]] = {}
        for row, token in items:
            per_row.setdefault(row, []).append(token)
        for row, tokens in per_row.items():
            delta = self.rows[row].feed(tokens)
            if delta:
                self._first_token()
                yield sse(self._chunk(row, delta))

    def _endings(
        self, completions: list[Completion], choices: list, verifier: Any, prompt_tokens: int, include_usage: bool
    ) -> Iterator[str]:
        """Each row's unsent text and finish reason (and verdict), the usage chunk when asked for, then [DONE]."""
        for i, (c, choice) in enumerate(zip(completions, choices)):
            rest = self.rows[i].finish(c.text)
            if rest:
                yield sse(self._chunk(i, rest))
            extra = (
                {k: v for k, v in choice.model_dump().items() if k in ("reward", "answer", "reward_per_function")}
                if verifier
                else None
            )
            chunk = self._chunk(i, finish=c.finish_reason, extra=extra)
            yield sse(dict(chunk, verifier=verifier.model_dump()) if verifier else chunk)
        if include_usage:  # OpenAI's stream_options.include_usage: one last chunk with no choices
            generated = sum(c.tokens for c in completions)
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": generated,
                "total_tokens": prompt_tokens + generated,
            }
            yield sse({**self.head, "object": self.object, "choices": [], "usage": usage})
        yield "data: [DONE]\n\n"
