"""An Engine stand-in whose every reply is scripted from the rendered conversation: the server's episode loops
(tools and environments) run for real around it, without a model that would have to learn to call a tool."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

from components.model.tiny_random import build_tokenizer
from serve.engine import BatchStats, Completion

REPLY_TOKENS = 10  # every reply counts as 10 tokens, cut to the job's budget as generate would cut it


class ScriptedEngine:
    def __init__(self, reply: Callable[[str], str]) -> None:
        self.reply, self.source, self.max_positions = reply, "scripted", None
        self.tokenizer = copy.deepcopy(build_tokenizer(512))
        self.tokenizer_lock = threading.Lock()
        self.rendered: list[str] = []
        self.budgets: list[int] = []

    def load(self) -> None:
        pass

    def render(self, messages) -> tuple[str, int]:
        text = str(messages)
        return text, len(text.split())

    def generate(self, jobs, emit=None) -> BatchStats:
        self.rendered += [j.rendered for j in jobs]
        self.budgets += [j.max_new_tokens for j in jobs]
        per_job = [
            [
                Completion(
                    self.reply(j.rendered),
                    min(REPLY_TOKENS, j.max_new_tokens),
                    j.max_new_tokens < REPLY_TOKENS,
                )
            ]
            * j.num_rollouts
            for j in jobs
        ]
        rows = sum(j.num_rollouts for j in jobs)
        return BatchStats(rows, len(jobs), REPLY_TOKENS * rows, 0.0, per_job)
