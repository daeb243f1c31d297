"""Tool use: a reward that reads the whole episode (tool calls, tool results, final answer), not just its text.

Shaping for multi-turn runs: `call_reward` when the episode made at least one call that returned a result and then
answered in its own words, minus `error_penalty` per failed call (unknown tool, bad arguments, tool error, timeout)
and `malformed_penalty` per turn that opened a call the parser could not read. Pair it with a correctness reward at
a small weight: it pays for using the tool, never for what the tool returned.
"""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge
from components.reward.base import Verdict, register_reward, verdict_reward
from components.tools.trajectory import trajectory_stats


@register_reward("tool_use", full_marks="call_reward")
@verdict_reward
def tool_use(
    completions,
    *,
    call_reward: Annotated[float, Ge(0)] = 1.0,
    error_penalty: Annotated[float, Ge(0)] = 0.0,
    malformed_penalty: Annotated[float, Ge(0)] = 0.0,
    **_,
) -> list[Verdict]:
    """>>> call = {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
    ...         "function": {"name": "calculator", "arguments": {"expression": "2*3"}}}]}
    >>> [v.score for v in tool_use([[call, {"role": "tool", "name": "calculator", "content": "6"},
    ...                               {"role": "assistant", "content": "6"}], "6"])]
    [1.0, 0.0]
    """
    out = []
    for completion in completions:
        s = trajectory_stats(completion)
        good = s.tool_calls - s.tool_errors > 0 and s.answered
        score = (call_reward if good else 0.0) - error_penalty * s.tool_errors - malformed_penalty * s.malformed
        out.append(Verdict(score, "scored"))
    return out
