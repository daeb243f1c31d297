"""The multi-turn tool loop outside training: evaluation and the server run episodes the way TRL's trainer does.

TRL's loop (`GRPOTrainer._tool_call_loop`) is a method of the trainer, bound to its generation backend and
state, so evaluation and serving cannot call it; this is the same loop over `generate`: render the chat with the
tools, generate every open episode's next turn in one batch, parse it with TRL's `parse_response` (a malformed call
falls back to plain text, as in training), run the calls (`ToolSet.call`, errors become `{'error': ...}` results as
TRL writes them), append the `tool` turns and continue until no episode calls a tool or `max_turns` is reached.
The budget `max_new_tokens` counts the model's own tokens over all turns; tool results do not use it up.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from components.model.generation import generate
from components.tools.toolset import call_function


@dataclass(frozen=True)
class Episodes:
    trajectories: list[list[dict]]  # the messages after the prompt: assistant turns and tool turns
    completion_tokens: list[int]  # model-generated tokens, every turn
    truncated: list[bool]  # a turn ran out of budget before it ended
    seconds: float

    @property
    def completions(self) -> list[str]:
        """Readable text of each episode (reports, drift): calls, results and answers in order."""
        return [render_trajectory(t) for t in self.trajectories]

    @property
    def tokens_per_second(self) -> float:
        return sum(self.completion_tokens) / self.seconds if self.seconds > 0 else 0.0


def render_trajectory(messages: list[dict]) -> str:
    parts = []
    for message in messages:
        if message.get("role") == "tool":
            parts.append(f"[{message.get('name', 'tool')} -> {message.get('content', '')}]")
            continue
        text = str(message.get("content") or "")
        calls = "".join(
            f"<tool_call>{json.dumps(c.get('function', c))}</tool_call>" for c in message.get("tool_calls") or []
        )
        parts.append((text + calls).strip())
    return "\n".join(p for p in parts if p)


def parse_turn(tokenizer: Any, text: str, rendered_prompt: str, tools: list) -> dict:
    """TRL's parse: tool calls and content, or the plain text when the call is malformed."""
    from trl.chat_template_utils import parse_response

    ids = tokenizer(text + (tokenizer.eos_token or ""), add_special_tokens=False)["input_ids"]
    prefix = tokenizer(rendered_prompt, add_special_tokens=False)["input_ids"]
    message = parse_response(tokenizer, ids, prefix=prefix, tools=tools)
    message.setdefault("content", "")
    return message


def cut_to_room(tokenizer: Any, text: str, used: int, room: int) -> tuple[str, int]:
    """A row's share of a shared budget: a turn that generated past what the row had left is cut to it."""
    if used <= room:
        return text, used
    return tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"][:room]), room


def tool_messages(functions: list, calls: list[dict]) -> list[dict]:
    """The tool role's answer to each call of one turn, in order."""
    messages = []
    for call in calls:
        function = call.get("function", call)
        result = call_function(functions, function.get("name"), function.get("arguments"))
        messages.append({"role": "tool", "name": function.get("name"), "content": result})
    return messages


def take_turn(history: list[dict], trajectory: list[dict], message: dict, functions: list, last_turn: bool) -> bool:
    """Append the model's turn and, unless it is the episode's last, its calls' results; True when it goes on.

    One step of TRL's loop, shared by evaluation (below) and the server (serve/tool_loop.py).
    """
    history.append(message)
    trajectory.append(message)
    calls = message.get("tool_calls") or []
    if not calls or last_turn:
        return False
    for tool_message in tool_messages(functions, calls):
        history.append(tool_message)
        trajectory.append(tool_message)
    return True


def run_episodes(
    model: Any,
    tokenizer: Any,
    prompts: list[list[dict]],
    toolset: Any,
    batch_size: int,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    num_return_sequences: int = 1,
    episode_tools: list[list] | None = None,
) -> Episodes:
    """One episode per prompt (num_return_sequences each, grouped per prompt, in order).

    episode_tools: each episode's own functions (an environment instance's bound tools, already reset), in the
    order of the episodes; None = the toolset's functions for every episode. `toolset` supplies max_turns and
    the chat format either way (a ToolSet or an EnvironmentSet).
    """
    toolset.prepare(tokenizer)
    if any(isinstance(p, str) for p in prompts):
        raise ValueError("tools need chat prompts: set prompts.chat=true")
    histories = [list(p) for p in prompts for _ in range(num_return_sequences)]
    if episode_tools is not None and len(episode_tools) != len(histories):
        raise ValueError(f"episode_tools has {len(episode_tools)} entries for {len(histories)} episodes")
    per_episode = episode_tools if episode_tools is not None else [toolset.functions()] * len(histories)
    trajectories: list[list[dict]] = [[] for _ in histories]
    tokens, truncated = [0] * len(histories), [False] * len(histories)
    open_ = list(range(len(histories)))
    start = time.perf_counter()
    for turn in range(toolset.max_turns):
        open_ = [i for i in open_ if tokens[i] < max_new_tokens]
        if not open_:
            break
        rendered = [
            tokenizer.apply_chat_template(
                histories[i], tools=per_episode[i], tokenize=False, add_generation_prompt=True
            )
            for i in open_
        ]
        budget = max(max_new_tokens - min(tokens[i] for i in open_), 1)
        gen = generate(model, tokenizer, rendered, batch_size, budget, temperature=temperature, top_p=top_p)
        still_open = []
        for i, text, used, prompt_text in zip(open_, gen.completions, gen.completion_tokens, rendered):
            room = max_new_tokens - tokens[i]
            text, used = cut_to_room(tokenizer, text, used, room)
            tokens[i] += used
            message = parse_turn(tokenizer, text, prompt_text, per_episode[i])
            truncated[i] = used >= room  # out of budget: no room left for another turn either
            if take_turn(histories[i], trajectories[i], message, per_episode[i], turn + 1 == toolset.max_turns):
                still_open.append(i)
        open_ = still_open
    return Episodes(trajectories, tokens, truncated, time.perf_counter() - start)
