"""The trainer class a run uses: TRL's GRPOTrainer, with this pipeline's rollout savings in front of it.

Each saving is a small mixin that overrides one TRL hook and calls TRL's own code for the rest, so the GRPO
math stays TRL's: `ZeroSignalPruning` (training/pruning.py), `DynamicSampling` (training/dynamic_sampling.py),
`SharedPromptForward` (training/shared_prompt.py), `FastRollouts` and `TruncatedCredit` (below).
"""

from __future__ import annotations

import torch

from components.model.generation_weights import generation_weights
from components.model.sampling import inverse_cdf_sampling
from components.training.dynamic_sampling import DynamicSampling
from components.training.environment_metrics import EnvironmentEpisodeMetrics
from components.training.pruning import ZeroSignalPruning
from components.training.shared_prompt import SharedPromptForward
from components.training.tool_metrics import ToolTrajectoryMetrics


class FastRollouts:
    """TRL's rollouts run with LoRA folded into a copy of the base weights and/or, on CPU, with transposed weights
    (components/model/generation_weights.py) and inverse-CDF sampling (components/model/sampling.py); TRL's own
    generation code does the rest."""

    merge_lora_for_generation = False
    transpose_weights_for_generation = False
    inverse_cdf_sampling = False

    def _generate_single_turn(self, *args, **kwargs):
        with (
            generation_weights(
                self.model, merge_lora=self.merge_lora_for_generation, transpose=self.transpose_weights_for_generation
            ),
            inverse_cdf_sampling(self.inverse_cdf_sampling),
        ):
            return super()._generate_single_turn(*args, **kwargs)


class TruncatedCredit:
    """Completions cut off at max_completion_length earn `truncated_reward_scale` x their rewards.

    A termination term in the reward, which TRL lacks (it offers only `mask_truncated_completions`, which drops a
    cut-off completion's gradient altogether). Multiplicative on purpose: a right answer that was cut off still
    beats any wrong answer, so the dense "right equation first" signal survives, but a right answer that ends
    on its own beats it; a wrong answer earns nothing either way, so a group of wrong answers carries no
    "stop anyway" signal (an additive stop bonus taught the policy to stop on wrong answers: RECIPE_NOTES.md).
    Reward functions see only text, so this lives where the completion's tokens are known.
    """

    truncated_reward_scale = 1.0

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        ended = [*self.eos_token_ids, self._tokenizer.pad_token_id]
        cut = torch.tensor([not ids or ids[-1] not in ended for ids in completion_ids_list], device=rewards.device)
        cut = self.accelerator.gather(cut)  # rewards come back gathered across processes, in the same order
        rewards[cut] = rewards[cut] * self.truncated_reward_scale
        return rewards


def grpo_trainer_class(
    prune_zero_signal: bool = False,
    merge_lora_for_generation: bool = False,
    transpose_weights_for_generation: bool = False,
    inverse_cdf_sampling: bool = False,
    shared_prompt_forward: bool = False,
    truncated_reward_scale: float = 1.0,
    dynamic_sampling: dict | None = None,
    tool_metrics: bool = False,
    environment_set: object = None,
) -> type:
    """dynamic_sampling: None = off, else {"min_informative": share of groups, "max_rounds": n} (opt-in).

    tool_metrics: per-rollout tools/* metrics when the run trains with tools (components/training/tool_metrics.py).
    environment_set: the run's EnvironmentSet when it trains on environments: env/* metrics per rollout batch.
    """
    from trl import GRPOTrainer

    mixins = [
        m
        for m, on in (
            (ZeroSignalPruning, prune_zero_signal),
            (DynamicSampling, dynamic_sampling),
            (SharedPromptForward, shared_prompt_forward),
            (FastRollouts, merge_lora_for_generation or transpose_weights_for_generation or inverse_cdf_sampling),
            (TruncatedCredit, truncated_reward_scale != 1.0),
            (ToolTrajectoryMetrics, tool_metrics or environment_set is not None),
            (EnvironmentEpisodeMetrics, environment_set is not None),
        )
        if on
    ]
    if not mixins:
        return GRPOTrainer
    settings = {
        "__module__": __name__,
        "truncated_reward_scale": truncated_reward_scale,
        "merge_lora_for_generation": merge_lora_for_generation,
        "transpose_weights_for_generation": transpose_weights_for_generation,
        "inverse_cdf_sampling": inverse_cdf_sampling,
        "environment_set": environment_set,
    }
    if dynamic_sampling:
        settings["dynamic_sampling_min_informative"] = dynamic_sampling["min_informative"]
        settings["dynamic_sampling_max_rounds"] = dynamic_sampling["max_rounds"]
    return type("RLVRGRPOTrainer", (*mixins, GRPOTrainer), settings)
