"""Per-episode metrics of environment rollouts: success, turns, tool calls, invalid actions, per environment.

Read from each rollout's environment instance (its `Outcome`) and its messages, the same way in TRL's training
batches (`self.environments`) and in the evaluation loop, so `env/<name>/...` means the same in both.
"""

from __future__ import annotations

from typing import Any

from components.tools.trajectory import trajectory_stats


def final_text(completion: Any) -> str:
    """The model's last message: the text an environment judges (a tool result is never the model's answer)."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion or []):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return str(message.get("content") or "")
    return ""


def episode_metrics(environments: list[Any], names: list[Any], completions: list[Any]) -> dict[str, float]:
    """`env/<name>/{success,turns,tool_calls,invalid_actions,solved_tool_calls,episodes}` means per environment."""
    groups: dict[str, list[tuple[Any, int]]] = {}
    for environment, name, completion in zip(environments, names, completions):
        outcome = environment(final_text(completion))
        groups.setdefault(str(name), []).append((outcome, trajectory_stats(completion).turns))
    out: dict[str, float] = {}
    for name, episodes in groups.items():
        n = len(episodes)
        solved = [o.tool_calls for o, _ in episodes if o.success]
        out[f"env/{name}/episodes"] = float(n)
        out[f"env/{name}/success"] = sum(o.success for o, _ in episodes) / n
        out[f"env/{name}/turns"] = sum(t for _, t in episodes) / n
        out[f"env/{name}/tool_calls"] = sum(o.tool_calls for o, _ in episodes) / n
        out[f"env/{name}/invalid_actions"] = sum(o.invalid_actions for o, _ in episodes) / n
        if solved:  # for a game: the policy's cost of a win, to set beside the optimal strategy's
            out[f"env/{name}/solved_tool_calls"] = sum(solved) / len(solved)
    return out


def environment_summary(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """summary.json keys: every env/* evaluation metric before and after training ({} without environments)."""
    out = {}
    for key in sorted(k for k in after if k.startswith("env/")):
        out[f"{key}_before"] = before.get(key)
        out[f"{key}_after"] = after[key]
    return out
