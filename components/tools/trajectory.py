"""What one rollout did with its tools, read from its messages (TRL's multi-turn completion or our own loop).

A completion with tools is a list of messages: assistant turns (with `tool_calls` when the model called a tool)
and `tool` turns holding the results. TRL writes a failed call's result as `str({"error": message})`; our loop
(components/tools/rollout.py) writes it the same way, so both are read by this one function.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass
from typing import Any

from components.tools.chat_format import CALL_OPEN


@dataclass(frozen=True)
class TrajectoryStats:
    turns: int  # assistant turns
    tool_calls: int  # parsed calls, good or bad
    tool_errors: int  # calls whose result is an error (unknown tool, bad arguments, tool failure, timeout)
    timeouts: int  # of those, the ones that ran out of time
    malformed: int  # assistant turns that opened a tool call the parser could not read
    answered: bool  # the last turn is the model's own text, not a pending tool call

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def error_message(content: Any) -> str | None:
    """The error text of a tool turn written as `{'error': ...}`, else None."""
    if not isinstance(content, str) or not content.startswith("{'error'"):
        return None
    try:
        value = ast.literal_eval(content)
    except (ValueError, SyntaxError):
        return None
    return str(value.get("error")) if isinstance(value, dict) and "error" in value else None


def trajectory_stats(completion: Any) -> TrajectoryStats:
    if isinstance(completion, str):  # a plain-text completion: one turn, no tools
        return TrajectoryStats(1, 0, 0, 0, int(CALL_OPEN in completion), CALL_OPEN not in completion)
    messages = [m for m in completion or [] if isinstance(m, dict)]
    turns = calls = errors = timeouts = malformed = 0
    for message in messages:
        if message.get("role") == "assistant":
            turns += 1
            made = len(message.get("tool_calls") or [])
            calls += made
            malformed += int(not made and CALL_OPEN in str(message.get("content") or ""))
        elif message.get("role") == "tool":
            error = error_message(message.get("content"))
            errors += error is not None
            timeouts += error is not None and error.startswith("timeout")
    last = messages[-1] if messages else {}
    answered = last.get("role") == "assistant" and not last.get("tool_calls")
    return TrajectoryStats(turns, calls, errors, timeouts, malformed, answered)


def batch_metrics(completions: list[Any], prefix: str = "tools/") -> dict[str, float]:
    """Per-rollout stats averaged over a batch (rates are shares of rollouts, errors a share of calls)."""
    stats = [trajectory_stats(c) for c in completions]
    n = max(1, len(stats))
    calls = sum(s.tool_calls for s in stats)
    return {
        f"{prefix}call_rate": sum(s.tool_calls > 0 for s in stats) / n,
        f"{prefix}calls_per_episode": calls / n,
        f"{prefix}turns_per_episode": sum(s.turns for s in stats) / n,
        f"{prefix}error_rate": sum(s.tool_errors for s in stats) / calls if calls else 0.0,
        f"{prefix}timeout_rate": sum(s.timeouts for s in stats) / calls if calls else 0.0,
        f"{prefix}malformed_rate": sum(s.malformed > 0 for s in stats) / n,
        f"{prefix}answered_rate": sum(s.answered for s in stats) / n,
    }


def tool_summary(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """summary.json keys: every tools/* evaluation metric before and after training ({} without tools)."""
    keys = [k for k in after if k.startswith("tools/")]
    return {**{f"{k}_before": before.get(k) for k in keys}, **{f"{k}_after": after[k] for k in keys}}
