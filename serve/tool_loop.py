"""/generate for a run trained with tools: the multi-turn episode loop of evaluation (components/tools/rollout.py),
over the server's shared batcher.

Every open rollout's next turn is one Job; they are submitted together, so they share generate calls with each
other and with concurrent requests. Tool calls run in a worker thread (the Python tool waits on its sandbox).
The rollouts are scored on the whole episode with the run's reward, where tool results never count as the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from components.reward.base import completion_text
from components.tools.rollout import parse_turn
from serve.engine import Completion
from serve.schemas import GenerateResponse, generate_response


async def episodes(
    service: Any, tools: Any, messages: list[dict], num_rollouts: int, temperature: float, max_new: int
) -> tuple[list[list[dict]], list[Completion]]:
    """num_rollouts episodes; max_new counts the model's own tokens over every turn (tool results do not)."""
    engine = service.engine

    def locked(fn, *args):  # tokenizer work off the event loop, one at a time (fast tokenizers are not thread-safe)
        with engine.tokenizer_lock:
            return fn(*args)

    # The tool-capable template and parser the run trained with (idempotent; the first call imports TRL's parser).
    await asyncio.to_thread(locked, tools.prepare, engine.tokenizer)
    functions = tools.functions()
    histories = [list(messages) for _ in range(num_rollouts)]
    trajectories: list[list[dict]] = [[] for _ in histories]
    used, cut = [0] * num_rollouts, [False] * num_rollouts
    open_ = list(range(num_rollouts))
    for turn in range(tools.max_turns):
        open_ = [i for i in open_ if used[i] < max_new]
        if not open_:
            break
        rendered = [await asyncio.to_thread(locked, _render, engine.tokenizer, histories[i], functions) for i in open_]
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
                locked, parse_turn, engine.tokenizer, completion.text, prompt_text, functions
            )
            histories[i].append(message)
            trajectories[i].append(message)
            calls = message.get("tool_calls") or []
            if not calls or turn + 1 == tools.max_turns:
                continue
            for call in calls:
                function = call.get("function", call)
                result = await asyncio.to_thread(tools.call, function.get("name"), function.get("arguments"))
                tool_message = {"role": "tool", "name": function.get("name"), "content": result}
                histories[i].append(tool_message)
                trajectories[i].append(tool_message)
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
    trajectories, completions = await episodes(service, tools, messages, body.num_rollouts, body.temperature, max_new)
    # The whole episode goes to the reward (selection.py hands lists of messages through unchanged).
    chosen = await service.score(messages, body.prompt, trajectories, body.ground_truth)
    service.record("/generate", completions, chosen)
    return generate_response(completions, chosen, body.temperature, service.engine.source, trajectories)
