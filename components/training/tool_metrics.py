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

from components.tools.trajectory import batch_metrics


class ToolTrajectoryMetrics:
    """GRPOTrainer mixin: tools/* metrics of every rollout batch (reads the messages TRL's loop produced)."""

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        mode = "train" if self.model.training else "eval"
        for key, value in batch_metrics(completions, prefix="tools/").items():
            self._metrics[mode][key].append(value)
        return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
