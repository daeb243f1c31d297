"""/generate for a run trained with tools or an environment: the multi-turn episode loop of evaluation
(components/tools/rollout.py), over the server's shared batcher.

Every open rollout's next turn is one Job; they are submitted together, so they share generate calls with each
other and with concurrent requests. Each turn is parsed and its calls answered by evaluation's own steps
(`parse_turn`, `take_turn`); the calls run in a worker thread (the Python tool waits on its sandbox). Each
episode has its own functions: the run's tools for every rollout, or the bound tools of the rollout's own
environment instance (serve/episode.py). The rollouts are scored on the whole episode with the run's reward,
where tool results never count as the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from components.reward.base import completion_text
from components.tools.rollout import parse_turn, take_turn
from serve.engine import Completion
from serve.schemas import GenerateResponse, generate_response


async def episodes(
    service: Any, provider: Any, histories: list[list[dict]], functions: list[list], temperature: float, max_new: int
) -> tuple[list[list[dict]], list[Completion]]:
    """One episode per history (its opening messages) with its own functions; `provider` (a ToolSet or an
    EnvironmentSet) gives max_turns and the chat format. max_new counts the model's own tokens over every turn
    (tool results do not)."""
    engine = service.engine

    def locked(fn, *args):  # tokenizer work off the event loop, one at a time (fast tokenizers are not thread-safe)
        with engine.tokenizer_lock:
            return fn(*args)

    # The tool-capable template and parser the run trained with (idempotent; the first call imports TRL's parser).
    await asyncio.to_thread(locked, provider.prepare, engine.tokenizer)
    histories = [list(h) for h in histories]
    trajectories: list[list[dict]] = [[] for _ in histories]
    used, cut = [0] * len(histories), [False] * len(histories)
    open_ = list(range(len(histories)))
    for turn in range(provider.max_turns):
        open_ = [i for i in open_ if used[i] < max_new]
        if not open_:
            break
        rendered = [
            await asyncio.to_thread(locked, _render, engine.tokenizer, histories[i], functions[i]) for i in open_
        ]
        lengths = [await asyncio.to_thread(locked, _length, engine.tokenizer, r) for r in rendered]
        jobs = [
            service.job(r, n, max_new - used[i], "prompt", num_rollouts=1, temperature=temperature)
            for i, r, n in zip(open_, rendered, lengths)
        ]
        results = await asyncio.gather(*(service.run(job) for job in jobs))
        still_open = []
        for i, prompt_text, (completion,) in zip(open_, rendered, results):
            used[i] += completion.tokens
            cut[i] = completion.truncated
            message = await asyncio.to_thread(
                locked, parse_turn, engine.tokenizer, completion.text, prompt_text, functions[i]
            )
            last = turn + 1 == provider.max_turns
            if await asyncio.to_thread(take_turn, histories[i], trajectories[i], message, functions[i], last):
                still_open.append(i)
        open_ = still_open
    completions = [Completion(completion_text(t), n, c) for t, n, c in zip(trajectories, used, cut)]
    return trajectories, completions


def _render(tokenizer: Any, history: list[dict], functions: list) -> str:
    return tokenizer.apply_chat_template(history, tools=functions, tokenize=False, add_generation_prompt=True)


def _length(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


async def generate_with_tools(
    service: Any, tools: Any, body: Any, messages: list[dict], max_new: int
) -> GenerateResponse:
    n = body.num_rollouts
    histories, functions = [messages] * n, [tools.functions()] * n
    trajectories, completions = await episodes(service, tools, histories, functions, body.temperature, max_new)
    # The whole episode goes to the reward (selection.py hands lists of messages through unchanged).
    chosen = await service.score(messages, body.prompt, trajectories, body.ground_truth)
    service.record("/generate", completions, chosen)
    return generate_response(completions, chosen, body.temperature, service.engine.source, trajectories)
