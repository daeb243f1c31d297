"""Zero-signal pruning: completions whose advantage is 0 skip the forward and backward pass.

GRPO's advantage is a completion's reward minus its group's mean. When every completion of a group got the
same reward (all right or all wrong), every advantage is 0, the policy-gradient loss of those rows is exactly
0, and their forward/backward computes nothing. TRL runs it anyway; on the default CPU run that is the whole
optimisation half of 45% of the steps (issue 15). TRL has no such option (its issues #3708, #3973, #4764).

Exactness (what `pruning_blocker` checks, and why pruning is off otherwise):
- beta == 0: with a reference model the KL term of a zero-advantage row is not 0.
- no entropy bonus, no MoE router auxiliary loss: both add terms that do not vanish with the advantage.
- one process: under DDP every rank must run the same backward for the gradient all-reduce.
- no dropout in the forward pass (LoRA dropout, attention/hidden dropout): dropout draws its masks from the
  global RNG, so a smaller (or skipped) forward leaves a different RNG stream and different masks for the
  completions that are kept; the update is then equal only in expectation, not bit for bit.
- several iterations per generation (num_iterations > 1) stay exact: the importance ratio multiplies the
  advantage, so a zero-advantage row's loss is 0 in every iteration.
A micro-batch with no signal left is not simply skipped: its backward runs on a zero built from the trainable
parameters, so every gradient is a zero tensor exactly as after TRL's own backward, and the optimizer steps
(momentum, weight decay, schedule) exactly as in TRL's unpruned step. Dropping single rows from a micro-batch
is exact only for the loss types that divide by the generation batch's token count (dapo, TRL's default, and
cispo); for the others only whole micro-batches without signal are pruned.
"""

from __future__ import annotations

import time
from typing import Any

import torch

ROW_PRUNABLE_LOSSES = ("dapo", "cispo")  # normalised by num_items_in_batch, not by the micro-batch
_MULTIMODAL = ("pixel_values", "image_grid_thw", "pixel_attention_mask", "spatial_shapes", "image_sizes")


def forward_dropout(model: Any, peft_config: Any = None) -> float:
    """The largest dropout probability a training forward pass of this model (plus its LoRA adapters) applies."""
    config = getattr(model, "config", None)
    rates = [getattr(peft_config, "lora_dropout", 0.0) or 0.0]
    rates += [
        getattr(config, key, 0.0) or 0.0
        for key in ("attention_dropout", "hidden_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop", "dropout")
    ]
    rates += [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    return max(float(r) for r in rates if isinstance(r, (int, float)))


def pruning_blocker(args: Any, world_size: int, dropout: float = 0.0) -> str | None:
    """Why pruning would not be exact for these GRPOConfig settings, or None when it is."""
    if args.beta != 0.0:
        return f"train.beta={args.beta}: the KL term of a zero-advantage completion is not zero"
    if getattr(args, "entropy_coef", 0.0) or getattr(args, "use_adaptive_entropy", False):
        return "an entropy bonus (train.entropy_coef / use_adaptive_entropy) does not vanish with the advantage"
    if getattr(args, "router_aux_loss_coef", None):
        return "train.router_aux_loss_coef: the MoE auxiliary loss does not vanish with the advantage"
    if world_size > 1:
        return f"WORLD_SIZE={world_size}: every rank must run the same backward for DDP's all-reduce"
    if dropout > 0:
        return (
            f"dropout {dropout} in the forward pass (e.g. model.lora.dropout): pruned forwards draw different "
            "dropout masks, so the update would match TRL's only in expectation; set it to 0 for exact pruning"
        )
    return None


class ZeroSignalPruning:
    """GRPOTrainer mixin (components/training/trainer_class.py puts it in front of TRL's class)."""

    _pruned_rows = _total_rows = _last_rows = _last_pruned = 0
    _computed_seconds = _computed_rows = _generation_seconds = 0.0

    def _generate_and_score_completions(self, inputs):
        start = time.perf_counter()
        output = super()._generate_and_score_completions(inputs)
        self._generation_seconds += time.perf_counter() - start
        return output

    def training_step(self, model, inputs, num_items_in_batch):
        self._generation_seconds, start = 0.0, time.perf_counter()
        output = super().training_step(model, inputs, num_items_in_batch)
        computed = self._last_rows - self._last_pruned
        if computed:  # forward + backward seconds per completion, to estimate what pruning saved
            self._computed_seconds += time.perf_counter() - start - self._generation_seconds
            self._computed_rows += computed
        self._pruned_rows += self._last_pruned
        self._total_rows += self._last_rows
        if self._step % self.current_gradient_accumulation_steps == 0:  # one optimizer step done: log it
            per_row = self._computed_seconds / self._computed_rows if self._computed_rows else 0.0
            metrics = self._metrics["train"]
            metrics["prune/completions_pruned"].append(float(self._pruned_rows))
            metrics["prune/fraction_pruned"].append(self._pruned_rows / max(self._total_rows, 1))
            metrics["prune/optimisation_skipped"].append(float(self._pruned_rows == self._total_rows))
            metrics["prune/time_saved_s"].append(per_row * self._pruned_rows)
            self._pruned_rows = self._total_rows = 0
        return output

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        keep = inputs["advantages"].reshape(len(inputs["advantages"]), -1).ne(0).any(dim=1)
        self._last_rows, self._last_pruned = len(keep), int((~keep).sum())
        if not self._last_pruned:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if not keep.any():  # no signal: zero gradients without a forward pass (see module doc)
            trainable = [p for p in model.parameters() if p.requires_grad]
            return sum(p.reshape(-1)[0] * 0.0 for p in trainable)
        if self.loss_type not in ROW_PRUNABLE_LOSSES or any(k in inputs for k in _MULTIMODAL):
            self._last_pruned = 0
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        rows = len(keep)
        kept = {k: v[keep] if hasattr(v, "shape") and v.dim() and v.shape[0] == rows else v for k, v in inputs.items()}
        return super().compute_loss(model, kept, return_outputs, num_items_in_batch)
