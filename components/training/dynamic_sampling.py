"""Dynamic sampling (DAPO): refill the batch with groups that carry a learning signal. Opt-in: it changes GRPO.

A group whose completions all got the same reward has advantage 0 everywhere and teaches nothing. With a weak
base model most early groups are like that (all wrong), and a one-prompt step then moves nothing but the
learning-rate schedule. DAPO (Yu et al., 2025) over-samples and keeps only informative groups; TRL has no
such option (its issues #3708, #3973, #4764), so this mixin adds it around TRL's own generation and scoring:

after TRL has generated and scored the step's groups, while fewer than `dynamic_sampling_min_informative`
(0 < x <= 1: share of the batch's groups) carry a signal and fewer than `dynamic_sampling_max_rounds` rounds
ran, it draws fresh prompts from the training set (seeded), lets TRL generate and score them, and builds the
batch from informative groups first, filling up with the rest. The batch keeps its configured size, and the
draws do not touch the global RNG (their own generator), so the rest of the run's randomness is TRL's.

What changes against plain GRPO (why it is opt-in): the prompts a step trains on are no longer the sampler's
alone, and TRL's logged reward/length means cover every generated group, kept or not (`dynamic/*` says how
many rounds and informative groups a step had). Needs one process, `scale_rewards` "group" or "none" (a
batch-level std would mix rounds) and text-only inputs; `pruning_blocker`-style checks are in `dynamic_blocker`.
"""

from __future__ import annotations

from typing import Any

import torch

_LEFT_PADDED = ("prompt_ids", "prompt_mask")  # everything else with a token axis is right-padded


def dynamic_blocker(args: Any, world_size: int) -> str | None:
    if world_size > 1:
        return f"WORLD_SIZE={world_size}: refilled batches would differ in size across ranks"
    if args.scale_rewards not in ("group", "none", False):
        return f"train.scale_rewards={args.scale_rewards}: a batch-level std would mix groups of different rounds"
    return None


def merge_groups(outputs: list[dict], picks: list[tuple[int, int]], group: int, pad_id: int) -> dict:
    """One batch from (round, group) picks of several TRL outputs, padding token axes to a common width."""
    merged: dict[str, Any] = {}
    for key, first in outputs[0].items():
        if not (torch.is_tensor(first) and first.dim() >= 1 and first.shape[0] == len(outputs[0]["advantages"])):
            continue
        parts = [outputs[r][key][g * group : (g + 1) * group] for r, g in picks]
        if first.dim() >= 2:
            width = max(p.shape[1] for p in parts)
            fill = pad_id if key == "prompt_ids" else 0
            side = "left" if key in _LEFT_PADDED else "right"
            parts = [_pad(p, width, fill, side) for p in parts]
        merged[key] = torch.cat(parts)
    loss_mask = merged["completion_mask"] * merged["tool_mask"] if "tool_mask" in merged else merged["completion_mask"]
    merged["num_items_in_batch"] = loss_mask.sum()  # as TRL computes it, for the rows kept (one process)
    return merged


def _pad(t: torch.Tensor, width: int, fill: float, side: str) -> torch.Tensor:
    if t.shape[1] == width:
        return t
    extra = t.new_full((t.shape[0], width - t.shape[1], *t.shape[2:]), fill)
    return torch.cat([extra, t] if side == "left" else [t, extra], dim=1)


class DynamicSampling:
    """GRPOTrainer mixin (components/training/trainer_class.py)."""

    dynamic_sampling_min_informative = 1.0
    dynamic_sampling_max_rounds = 4

    def _generate_and_score_completions(self, inputs):
        outputs = [super()._generate_and_score_completions(inputs)]
        group = self.num_generations
        groups = len(outputs[0]["advantages"]) // group
        wanted = max(1, round(self.dynamic_sampling_min_informative * groups))
        informative = [(0, g) for g in range(groups) if _informative(outputs[0], g, group)]
        while len(informative) < wanted and len(outputs) < self.dynamic_sampling_max_rounds:
            outputs.append(super()._generate_and_score_completions(self._fresh_rows(len(inputs))))
            informative += [(len(outputs) - 1, g) for g in range(groups) if _informative(outputs[-1], g, group)]
        metrics = self._metrics["train"]
        metrics["dynamic/rounds"].append(float(len(outputs)))
        metrics["dynamic/informative_groups"].append(float(min(len(informative), groups)))
        if len(outputs) == 1:
            return outputs[0]
        rest = [(r, g) for r in range(len(outputs)) for g in range(groups) if (r, g) not in informative]
        return merge_groups(outputs, (informative + rest)[:groups], group, self._tokenizer.pad_token_id)

    def _fresh_rows(self, rows: int) -> list[dict]:
        """rows // G new prompts from the training set, each repeated G times as TRL's sampler lays them out."""
        self._draws = getattr(self, "_draws", 0) + 1  # reproducible with the seed, and never the same draw twice
        generator = torch.Generator().manual_seed(self.args.seed * 1_000_003 + self._draws)
        picks = torch.randint(len(self.train_dataset), (rows // self.num_generations,), generator=generator).tolist()
        return [self.train_dataset[i] for i in picks for _ in range(self.num_generations)]


def _informative(output: dict, g: int, group: int) -> bool:
    return bool(output["advantages"][g * group : (g + 1) * group].ne(0).any())
