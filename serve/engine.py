"""The model side of serving: load (base + merged adapter), render prompts, and run one shared generate call.

One `generate` call serves many requests at once: each row carries its own temperature (a logits processor)
and its own token budget and cancellation flag (a per-row stopping criterion), so requests with different
settings still share a batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from serve.sampling import (
    MIN_TEMPERATURE,
    RowSeeds,
    RowStops,
    RowStream,
    RowTemperature,
    RowTopP,
    find_stop,
    row_generator,
    tokens_before_stop,
)

log = logging.getLogger("serve")


@dataclass
class Job:
    """One request's share of a batch."""

    rendered: str  # prompt after the prompt builder and the chat template
    num_rollouts: int
    temperature: float
    max_new_tokens: int
    deadline: float  # time.monotonic() after which the request has been answered 504
    cancelled: bool = False  # set by the event loop on timeout; read by the stopping criterion
    top_p: float = 1.0
    seed: int | None = None  # sampled rows draw from their own generator: repeatable whatever shares the batch
    stop: tuple[str, ...] = ()  # the text ends before the first of these
    stream: bool = False  # its tokens are handed to `emit` as they are generated


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int
    truncated: bool  # stopped by its token budget, not by end of sequence or a stop string

    @property
    def finish_reason(self) -> str:  # OpenAI's names
        return "length" if self.truncated else "stop"


@dataclass
class BatchStats:
    rows: int = 0
    requests: int = 0
    new_tokens: int = 0
    seconds: float = 0.0
    per_job: list[list[Completion]] = field(default_factory=list)


class RowBudget(StoppingCriteria):
    """A row stops at its own max_new_tokens, or as soon as its request was cancelled or is past its deadline."""

    def __init__(self, prompt_len: int, budgets: torch.Tensor, row_jobs: list[Job]) -> None:
        self.prompt_len = prompt_len
        self.budgets = budgets
        self.row_jobs = row_jobs

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        done = (input_ids.shape[1] - self.prompt_len) >= self.budgets
        now = time.monotonic()
        cancelled = torch.tensor([j.cancelled or now > j.deadline for j in self.row_jobs], device=input_ids.device)
        return (done.to(input_ids.device) | cancelled).bool()


def _row_processors(row_jobs: list[Job], row_index: list[int], device: Any) -> LogitsProcessorList:
    """Each row's temperature, top-p and seed as logits processors; empty when every row is greedy."""
    processors = LogitsProcessorList()
    temperatures = torch.tensor([j.temperature for j in row_jobs], dtype=torch.float32, device=device)
    if not bool((temperatures >= MIN_TEMPERATURE).any()):
        return processors
    processors.append(RowTemperature(temperatures))
    top_ps = torch.tensor([j.top_p for j in row_jobs], dtype=torch.float32, device=device)
    if bool((top_ps < 1).any()):
        processors.append(RowTopP(top_ps))
    gens = [
        row_generator(j.seed, r, device) if j.seed is not None and j.temperature >= MIN_TEMPERATURE else None
        for j, r in zip(row_jobs, row_index)
    ]
    if any(g is not None for g in gens):
        processors.append(RowSeeds(gens))
    return processors


def _per_job(jobs: list[Job], completions: list[Completion]) -> list[list[Completion]]:
    """The flat rows back into one list per job (a job's rows are consecutive)."""
    per_job, i = [], 0
    for job in jobs:
        per_job.append(completions[i : i + job.num_rollouts])
        i += job.num_rollouts
    return per_job


class Engine:
    def __init__(
        self,
        model_component: Any,
        run_dir: Path | None = None,
        merge_adapter: bool = True,
        compile: bool = False,
        torch_threads: int | None = None,
    ) -> None:
        self.model_component = model_component
        self.run_dir = run_dir
        self.merge_adapter = merge_adapter
        self.compile = compile
        self.torch_threads = torch_threads  # torch.set_num_threads in the process that loads the weights
        self.model: Any = None
        self.tokenizer: Any = None
        self.source = ""
        self.max_positions: int | None = None
        # Fast (Rust) tokenizers are not thread-safe: a padded batch call in the generate thread and a prompt
        # being measured on the event loop at the same time corrupt each other's padding state.
        self.tokenizer_lock = threading.Lock()

    def load(self) -> None:
        if self.torch_threads:
            torch.set_num_threads(self.torch_threads)
        model, tokenizer, source = self._load_weights()
        model.eval()
        self.max_positions = getattr(model.config, "max_position_embeddings", None)
        self.model, self.tokenizer, self.source = model, tokenizer, source
        log.info("Serving %s (%.1fM params)", source, sum(p.numel() for p in model.parameters()) / 1e6)
        if self.compile:
            self._compile()

    def _compile(self) -> None:
        """torch.compile the forward and decode into a static KV cache (transformers' documented recipe). With a
        small model most of a decode step is Python module calls, which the compiled graph removes: 16 tokens x
        16 rows of the tiny model take ~30 ms instead of 40-60 ms on a 2-core CPU (BENCHMARKS.md, Serving).
        Shapes are dynamic, so batch size and prompt length do not recompile; the warm-up below pays for the
        compiles (~20-35 s for the tiny model on 2 cores) before /ready turns 200."""
        start = time.perf_counter()
        self.model.forward = torch.compile(self.model.forward, dynamic=True)
        short, _ = self.render([{"role": "user", "content": "1 + 1"}])
        long, _ = self.render([{"role": "user", "content": "What is 12 + 34 + 56 + 78?"}])
        # Batches of 1-3 rows, with and without padding, sampled and greedy: every graph a request can need
        # (prefill and decode, batch 1 and a dynamic batch, masked or not) compiles here, not under a user's request.
        for rows in (1, 2, 3):
            for texts in ([short] * rows, [long] + [short] * (rows - 1)):
                for temperature in (0.7, 0.0):
                    self.generate([Job(text, 1, temperature, 3, time.monotonic() + 3600) for text in texts])
        log.info("Compiled the model for generation in %.0f s", time.perf_counter() - start)

    def _load_weights(self) -> tuple[Any, Any, str]:
        if self.run_dir is None:
            loaded = self.model_component.load()
        else:  # the same loader as `mode=eval`: the run's adapter on its base model, or its full checkpoint
            from components.model.finished_run import FinishedRun

            run = FinishedRun(self.run_dir, key="serve", subdir_is_a_key=False)
            loaded = run.load(self.model_component, merge_adapter=self.merge_adapter)
        return loaded.model, loaded.tokenizer, loaded.source

    def render(self, prompt: Any) -> tuple[str, int]:
        """The prompt as the model sees it, and its length in tokens."""
        from components.model.generation import render_prompt

        with self.tokenizer_lock:
            text = render_prompt(self.tokenizer, prompt)
            return text, len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @torch.inference_mode()
    def generate(self, jobs: list[Job], emit: Callable[[list[tuple[int, int]]], None] | None = None) -> BatchStats:
        """Every job's rollouts from one generate call; a job's rows are its prompt repeated num_rollouts times.

        `emit`, when given, receives [(row, token_id), ...] after every step for the rows of streaming jobs (rows
        numbered across the batch, job after job).
        """
        row_jobs = [job for job in jobs for _ in range(job.num_rollouts)]
        row_index = [r for job in jobs for r in range(job.num_rollouts)]  # the row's number within its job
        tok = self.tokenizer
        with self.tokenizer_lock:
            batch = tok([j.rendered for j in row_jobs], return_tensors="pt", padding=True, add_special_tokens=False)
        device = self.model.device
        batch = batch.to(device)
        prompt_len = batch["input_ids"].shape[1]
        budgets = torch.tensor([j.max_new_tokens for j in row_jobs])
        stop_ids = {tok.eos_token_id, tok.pad_token_id}
        processors = _row_processors(row_jobs, row_index, device)
        sampling = bool(processors)  # RowTemperature is there exactly when some row samples
        criteria = StoppingCriteriaList([RowBudget(prompt_len, budgets, row_jobs)])
        if any(j.stop for j in row_jobs):
            criteria.append(RowStops(prompt_len, [j.stop for j in row_jobs], self._decode))
        streaming = [i for i, j in enumerate(row_jobs) if j.stream]
        if emit is not None and streaming:
            criteria.append(RowStream(streaming, budgets.tolist(), stop_ids, emit))
        # Sampling knobs stay neutral (temperature 1, no top-k/top-p): the Row* processors do it per row.
        knobs = {"temperature": 1.0, "top_k": 0, "top_p": 1.0} if sampling else {}
        config = GenerationConfig(
            max_new_tokens=int(budgets.max()),
            do_sample=sampling,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            **knobs,
        )
        if self.compile:  # a KV cache sized for this batch: a static cache's shapes are what the compiled graph needs
            from transformers import StaticCache

            batch["past_key_values"] = StaticCache(
                config=self.model.config, max_cache_len=prompt_len + int(budgets.max())
            )
        start = time.perf_counter()
        output = self.model.generate(
            **batch, generation_config=config, logits_processor=processors or None, stopping_criteria=criteria
        )
        seconds = time.perf_counter() - start
        with self.tokenizer_lock:
            completions = [
                self._completion(row[:budget], budget, job.stop, stop_ids)
                for row, budget, job in zip(output[:, prompt_len:].tolist(), budgets.tolist(), row_jobs)
            ]
        return BatchStats(
            len(row_jobs), len(jobs), sum(c.tokens for c in completions), seconds, _per_job(jobs, completions)
        )

    def _completion(self, row: list[int], budget: int, stops: tuple[str, ...], stop_ids: set[int]) -> Completion:
        """A row's text up to end of sequence or its first stop string; tokens counts what the text used."""
        length = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
        text = self.tokenizer.decode(row[:length], skip_special_tokens=True)
        at = find_stop(text, stops) if stops else None
        if at is None:
            return Completion(text, length, length >= budget)
        return Completion(text[:at], tokens_before_stop(self._decode_locked, row[:length], stops), False)

    def _decode_locked(self, ids: list[int]) -> str:  # the caller holds tokenizer_lock
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _decode(self, ids: list[int]) -> str:
        with self.tokenizer_lock:  # in-process, prompts are rendered on the event loop meanwhile
            return self.tokenizer.decode(ids, skip_special_tokens=True)
