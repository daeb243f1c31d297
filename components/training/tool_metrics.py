"""Tools in TRL's GRPOTrainer: its own multi-turn loop, plus per-rollout tool metrics from a small mixin.

TRL runs the loop (`tools=`, `max_tool_calling_iterations`): it parses each turn with `parse_response`, calls the
functions, appends `tool` turns, regenerates, masks tool-result tokens out of the loss (`tool_mask`) and logs
`tools/call_frequency` and `tools/failure_frequency`. What TRL lacks, added here: malformed calls, timeouts,
turns per episode and the share of episodes that called a tool or ended on an answer (`ToolTrajectoryMetrics`).

The pipeline's other mixins keep working with tools, checked against TRL 1.16's loop: merged-LoRA rollouts wrap
`_generate_single_turn`, which the loop calls for every turn; pruning drops whole rows of every batch tensor,
`tool_mask` included; dynamic sampling merges `tool_mask` with the rest; truncated credit reads the last token of
the whole multi-turn completion, which is the final turn's.
"""

from __future__ import annotations

import logging
from typing import Any

from components.tools.trajectory import batch_metrics

log = logging.getLogger(__name__)


class ToolTrajectoryMetrics:
    """GRPOTrainer mixin: tools/* metrics of every rollout batch (reads the messages TRL's loop produced)."""

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        mode = "train" if self.model.training else "eval"
        for key, value in batch_metrics(completions, prefix="tools/").items():
            self._metrics[mode][key].append(value)
        return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)


def trainer_tools(toolset: Any, args: Any, tokenizer: Any, train_dataset: Any) -> dict[str, Any]:
    """Keyword arguments for GRPOTrainer (`{}` without tools); sets TRL's turn limit on `args`."""
    if toolset is None or not toolset.enabled:
        return {}
    set_turn_limit(toolset, args, tokenizer, train_dataset, what="tools", key="tools.max_turns")
    log.info(
        "tools: %s, up to %d turns per episode (TRL's multi-turn loop)",
        ", ".join(f.__name__ for f in toolset.functions()),
        toolset.max_turns,
    )
    return {"tools": toolset.functions()}


def set_turn_limit(provider: Any, args: Any, tokenizer: Any, train_dataset: Any, what: str, key: str) -> None:
    """What TRL's multi-turn loop needs from a tool set or an environment set: chat prompts, the provider's chat
    template on the tokenizer, and its turn limit as `max_tool_calling_iterations` (a user's own value is replaced)."""
    if isinstance(train_dataset[0]["prompt"], str):
        raise ValueError(f"{what} need chat prompts (TRL's tool loop works on messages): set prompts.chat=true")
    provider.prepare(tokenizer)
    if args.max_tool_calling_iterations not in (None, provider.max_tool_calling_iterations):
        log.warning(
            "train.max_tool_calling_iterations=%s is replaced by %s=%s (= %s rounds of calls)",
            args.max_tool_calling_iterations,
            key,
            provider.max_turns,
            provider.max_tool_calling_iterations,
        )
    args.max_tool_calling_iterations = provider.max_tool_calling_iterations
