"""Shared-prompt forward: each distinct prompt of a micro-batch runs through the model once, not once per completion.

GRPO scores G completions of the same prompt. TRL's log-prob pass (`_get_per_token_logps_and_entropies`) runs
every row as prompt + completion, so the prompt's forward (and, in training, its backward) is computed G times,
and on CPU TRL's fused head scores every prompt position too. When prompts are long next to completions (the
default CPU recipe: a ~50-token chat prompt, completions of ~10-30 tokens) most of the optimisation step is that
repeated prompt. Here the prompt minus its last token runs once per distinct prompt with a KV cache, the cache is
indexed out to the rows (an index_select, so in training each row's gradient flows back into the one shared
prefix and is summed there, as the G copies' gradients would be), and the rows then run only
[last prompt token + completion] through TRL's own fused head with the same labels, positions and mask TRL builds.

Same function as TRL's pass (positions continue from the cache exactly as in one full-length forward): log-probs
and gradients agree to float rounding (tests/training/test_shared_prompt.py). Where it does not apply, TRL's pass
runs unchanged: multimodal inputs, the MoE auxiliary loss, gradient checkpointing (transformers drops the cache
inside checkpointed layers), or a chunk whose prompts are all distinct; the trainer turns it off for several
processes (DDP, FSDP, DeepSpeed: components/training/grpo.py), where a second forward per backward is untested.
"""

from __future__ import annotations

from typing import Any

import torch


def _same_as_trl(multimodal: dict[str, Any], compute_aux_loss: bool, model: Any) -> bool:
    """True where TRL's own pass must run."""
    if compute_aux_loss or any(v is not None for v in multimodal.values()):
        return True
    checkpointing = getattr(model, "is_activation_checkpointing", None)  # transformers >= 5.x's name
    return bool(checkpointing if checkpointing is not None else getattr(model, "is_gradient_checkpointing", False))


class SharedPromptForward:
    """GRPOTrainer mixin (components/training/trainer_class.py puts it in front of TRL's class)."""

    def _get_per_token_logps_and_entropies(
        self,
        model,
        input_ids,
        attention_mask,
        logits_to_keep,
        batch_size=None,
        compute_entropy=False,
        compute_aux_loss=False,
        **multimodal,
    ):
        prefix_len = input_ids.size(1) - logits_to_keep - 1  # the prompt minus its last token
        if prefix_len < 1 or _same_as_trl(multimodal, compute_aux_loss, self.accelerator.unwrap_model(model)):
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, compute_aux_loss,
                **multimodal,
            )  # fmt: skip
        batch_size = batch_size or input_ids.size(0)
        logps, entropies = [], []
        for start in range(0, input_ids.size(0), batch_size):
            ids, mask = input_ids[start : start + batch_size], attention_mask[start : start + batch_size]
            prefix = torch.cat([ids[:, :prefix_len], mask[:, :prefix_len]], dim=1)
            distinct, row_prompt = torch.unique(prefix, dim=0, return_inverse=True)
            if len(distinct) == len(ids):  # nothing shared in this chunk
                chunk = super()._get_per_token_logps_and_entropies(
                    model, ids, mask, logits_to_keep, None, compute_entropy, False
                )
                logps.append(chunk[0])
                entropies.append(chunk[1])
                continue
            with self.accelerator.autocast():
                cache = model(
                    input_ids=distinct[:, :prefix_len],
                    attention_mask=distinct[:, prefix_len:],
                    use_cache=True,
                    logits_to_keep=1,  # the prefix's logits are not needed: its last token's come from the rows
                ).past_key_values
                cache.reorder_cache(row_prompt)  # index_select per layer: differentiable, gradients summed per prompt
                rest = ids[:, prefix_len:]
                labels = rest.masked_fill(mask[:, prefix_len:] == 0, -100)
                labels[:, 0] = -100  # the last prompt token is input only; TRL's head scores the tokens after it
                outputs = model(
                    input_ids=rest, attention_mask=mask, past_key_values=cache, labels=labels, fused_lm_head=True
                )
            logps.append(outputs.log_probs[:, -logits_to_keep:])
            if compute_entropy:
                entropies.append(outputs.entropy[:, -logits_to_keep:])
        return torch.cat(logps), torch.cat(entropies) if compute_entropy else None, None
