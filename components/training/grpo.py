"""GRPO through TRL: this component only configures and drives `trl.GRPOTrainer`.

Every `trl.GRPOConfig` field is a constructor keyword (and so a `train.<field>` key); the config object is
built in `__init__` so that TRL's own validation, and ours, run before any model loads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import torch

from components.bounds import Ge, Interval, check_bounds, checked
from components.distributed import needs_cpu_backend, sharding_engine, world_size
from components.evaluation.base import Probe
from components.model.zero3 import keep_whole, zero3_params
from components.training.batch_checks import check_batch_geometry
from components.training.checkpoints import checkpoints_dir, latest_checkpoint, resolve_resume
from components.training.dynamic_sampling import dynamic_blocker
from components.training.export_grpo_fields import grpo_field_defaults, grpo_field_types
from components.training.guards import GuardSettings, TrainingGuard, TrainingStopped
from components.training.multi_turn import trainer_multi_turn
from components.training.power_check import PowerCheckSettings
from components.training.preflight import PreflightCallback, check_context
from components.training.pruning import forward_dropout, pruning_blocker
from components.training.trainer_class import grpo_trainer_class
from components.training.vllm_check import check_vllm
from components.types import LoadedModel, TrainResult

log = logging.getLogger(__name__)


def default_bf16() -> bool:
    # TRL defaults to bf16=True; CPUs without native bf16 matmuls then run a GRPO step ~14x slower.
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def cpu_rollouts(grpo_args: dict) -> bool:
    return bool(grpo_args.get("use_cpu")) or not torch.cuda.is_available()


def cpu_backend(grpo_args: dict, engine: str | None) -> None:
    """Several ranks without CUDA: pick the gloo path the launch's engine can actually run on."""
    if engine == "fsdp":
        import accelerate

        # accelerate applies its FSDP plugin only to GPU-type launches (state.py: MULTI_GPU/XPU/NPU/...): with
        # use_cpu the launch becomes MULTI_CPU and the plugin is dropped, so the run would train unsharded (DDP)
        # under an FSDP config. torch's own FSDP2 runs on CPU with gloo; accelerate does not route to it.
        raise ValueError(
            f"conf/accelerate/fsdp.yaml needs CUDA GPUs: accelerate {accelerate.__version__} drops its FSDP "
            "plugin on CPU (distributed_type MULTI_CPU) and would train unsharded; on CPU use "
            "conf/accelerate/cpu_2proc.yaml (DDP) or conf/accelerate/zero3.yaml (sharded, DeepSpeed)"
        )
    if engine == "deepspeed":
        # accelerate drops DeepSpeed when told use_cpu (state.py: `if not cpu` guards it); DeepSpeed's own CPU
        # accelerator runs ZeRO over torch.distributed with the backend accelerate passes, so name gloo.
        grpo_args["use_cpu"] = False
        grpo_args["ddp_backend"] = grpo_args.get("ddp_backend") or "gloo"
        log.info(
            "WORLD_SIZE=%s, DeepSpeed, no CUDA: DeepSpeed's CPU accelerator over %s",
            world_size(),
            grpo_args["ddp_backend"],
        )
    elif not grpo_args.get("use_cpu"):
        log.info("WORLD_SIZE=%s without CUDA: train.use_cpu=true (gloo)", world_size())
        grpo_args["use_cpu"] = True


def changed_grpo_fields(grpo_args: dict[str, Any], static_cache_for_generation: bool) -> dict[str, Any]:
    """The `train.<GRPOConfig field>` values to pass to TRL: this machine's defaults filled in, TRL's own
    defaults left out, the batch geometry checked."""
    defaults = grpo_field_defaults()
    # conf/trl/grpo_config.yaml is generated from one TRL release; under another release, fields that
    # release lacks are dropped while unset (null), and named when a user actually set them.
    unknown = sorted(k for k in set(grpo_args) - set(defaults) if grpo_args[k] is not None)
    grpo_args = {k: v for k, v in grpo_args.items() if k in defaults}
    if unknown:
        raise ValueError(f"train.{unknown[0]}: not a trl.GRPOConfig field")
    if needs_cpu_backend():
        cpu_backend(grpo_args, sharding_engine())
    if grpo_args.get("bf16") is None:
        grpo_args["bf16"] = default_bf16()
    if static_cache_for_generation and grpo_args.get("cache_implementation") is None and cpu_rollouts(grpo_args):
        # CPU rollouts: a preallocated KV cache instead of a concatenation per layer per token (BENCHMARKS.md)
        grpo_args["cache_implementation"] = "static"
    # Only fields that differ from TRL's defaults are passed, so deprecated aliases stay silent.
    changed = {k: v for k, v in grpo_args.items() if v != defaults[k]}
    check_batch_geometry(changed, defaults, world_size=int(os.environ.get("WORLD_SIZE", "1")))
    return changed


def dynamic_sampling_settings(enabled: bool, min_informative: float, max_rounds: int, args: Any) -> dict | None:
    """None when off, else what the dynamic-sampling mixin reads; refuses a setup it cannot run."""
    blocker = dynamic_blocker(args, world_size()) if enabled else None
    if blocker:
        raise ValueError(f"train.dynamic_sampling=true cannot run here: {blocker}")
    return {"min_informative": min_informative, "max_rounds": max_rounds} if enabled else None


class GRPOTrainingLoop:
    # `**grpo_args` are trl.GRPOConfig fields: config validation checks each `train.<field>` against TRL's type.
    extra_parameters = staticmethod(grpo_field_types)

    @checked("train")
    def __init__(
        self,
        output_dir: str,
        save_final_model: bool = True,
        preflight: bool = True,
        preflight_steps: Annotated[int, Ge(1)] = 3,
        preflight_max_truncated: Annotated[float, Interval(gt=0, le=1)] = 0.9,
        guards: GuardSettings | dict | None = None,
        prune_zero_signal: bool = True,
        merge_lora_for_generation: bool = True,
        transpose_weights_for_generation: bool = True,
        inverse_cdf_sampling: bool = False,
        static_cache_for_generation: bool = True,
        shared_prompt_forward: bool = True,
        truncated_reward_scale: Annotated[float, Interval(ge=0, le=1)] = 1.0,  # 1 = off
        dynamic_sampling: bool = False,
        dynamic_sampling_min_informative: Annotated[float, Interval(gt=0, le=1)] = 1.0,
        dynamic_sampling_max_rounds: Annotated[int, Ge(2)] = 4,
        power_check: PowerCheckSettings | dict | None = None,
        tools: Any = None,
        environment: Any = None,
        **grpo_args: Any,
    ) -> None:
        from trl import GRPOConfig

        check_bounds("train", grpo_args, {k: hint for k, (hint, _) in grpo_field_types().items()})
        changed = changed_grpo_fields(grpo_args, static_cache_for_generation)
        self.output_dir = Path(output_dir)
        self.environment = environment if environment is not None and environment.enabled else None
        if self.environment is not None and tools is not None and tools.enabled:
            raise ValueError("tools_component and environment_component are both set: an environment brings its tools")
        self.tools = tools  # a ToolSet (components/tools/) injected by the orchestrator; None or empty = single-turn
        self.save_final_model = save_final_model
        self.preflight, self.preflight_steps, self.preflight_max_truncated = (
            preflight,
            preflight_steps,
            preflight_max_truncated,
        )
        self.guards = guards if isinstance(guards, GuardSettings) else GuardSettings(**(guards or {}))
        self.power_check = (
            power_check if isinstance(power_check, PowerCheckSettings) else PowerCheckSettings(**(power_check or {}))
        )
        # TRL takes a path or a bool; `auto` (the latest checkpoint of this run dir, if any) is resolved here.
        self.resume_from = resolve_resume(changed.pop("resume_from_checkpoint", None), self.output_dir)
        try:
            self.args = GRPOConfig(output_dir=str(self.output_dir / "checkpoints"), **changed)
        except ValueError as err:
            raise ValueError(f"train: {' '.join(str(err).split())}") from None
        check_vllm(self.args.use_vllm, self.args.vllm_mode)
        self.prune_zero_signal, self.merge_lora_for_generation = prune_zero_signal, merge_lora_for_generation
        self.transpose_weights_for_generation = transpose_weights_for_generation
        self.inverse_cdf_sampling, self.shared_prompt_forward = inverse_cdf_sampling, shared_prompt_forward
        self.truncated_reward_scale = truncated_reward_scale
        self.dynamic_sampling = dynamic_sampling_settings(
            dynamic_sampling, dynamic_sampling_min_informative, dynamic_sampling_max_rounds, self.args
        )

    def _multi_turn(self, tokenizer: Any, train_dataset: Any) -> dict[str, Any]:
        """GRPOTrainer's `tools=` / `environment_factory=` (nothing for a provider that is off)."""
        arguments = trainer_multi_turn(self.tools, self.args, tokenizer, train_dataset, "tools", "tools.max_turns")
        environment_key = "environment.max_turns"
        arguments.update(
            trainer_multi_turn(self.environment, self.args, tokenizer, train_dataset, "environments", environment_key)
        )
        return arguments

    def fit(self, loaded: LoadedModel, train_dataset: Any, reward: Any, callbacks: list[Any]) -> TrainResult:
        trainer_class = self.trainer_class(loaded)
        self.args.reward_weights = list(reward.weights)
        guard = TrainingGuard(self.guards)
        for callback in callbacks:  # in-training evaluations (ProbeCallback) feed the reward-up/eval-down check
            if isinstance(callback, Probe):
                callback.listeners.append(guard.observe_eval)
        preflight = None
        if self.preflight:
            check_context(loaded.model, loaded.tokenizer, train_dataset, self.args.max_completion_length)
            if loaded.random_weights:  # the wiring check (tiny_random): any number of steps must run
                log.info(
                    "preflight's learnability checks are off for %s: random weights never stop and "
                    "rarely earn a reward, which is what those checks would stop",
                    loaded.source,
                )
            else:
                preflight = PreflightCallback(
                    self.preflight_steps, self.preflight_max_truncated, self.args.max_completion_length
                )
        power = self.power_check.run(
            loaded,
            train_dataset,
            reward,
            self.args,
            self.output_dir,  # before any step
            self.resume_from is not None,
            self.truncated_reward_scale,
        )
        callbacks = [guard, *([preflight] if preflight else []), *callbacks]
        tools = self._multi_turn(loaded.tokenizer, train_dataset)
        trainer = trainer_class(
            model=loaded.model,
            reward_funcs=list(reward.funcs),
            args=self.args,
            train_dataset=train_dataset,
            processing_class=loaded.tokenizer,
            peft_config=loaded.peft_config,
            callbacks=callbacks,
            **tools,
        )
        output = trainer.train(resume_from_checkpoint=str(self.resume_from) if self.resume_from else None)
        failure = preflight.failure if preflight else None
        if guard.stop or failure:
            status, message = guard.stop or ("preflight_failed", failure)
            last = trainer.state.global_step if status == "interrupted" else None
            raise TrainingStopped(status, message, trainer.state.global_step, self._checkpoint(last))
        saved_to = ""
        if self.save_final_model:
            saved_to = str(self.output_dir / "model")
            # Every rank calls save_model (FSDP / ZeRO-3 gather the sharded weights); it writes on rank 0 only.
            trainer.save_model(saved_to)  # the LoRA adapter only, when LoRA is on
            if trainer.is_world_process_zero():
                loaded.tokenizer.save_pretrained(saved_to)
        if trainer.is_deepspeed_enabled and zero3_params(trainer.model):
            keep_whole(trainer)  # evaluation and the rank-0 budget check then run on a plain model (model/zero3.py)
        # world_size as the trainer saw it: proves a launch really ran N processes (not N silent copies of one).
        metrics = dict(output.metrics, world_size=trainer.accelerator.num_processes, **power)
        return TrainResult(trainer.model, trainer.state.global_step, metrics, saved_to)

    def trainer_class(self, loaded: LoadedModel) -> type:
        """TRL's GRPOTrainer with the rollout savings this run can use exactly (components/training/trainer_class.py)."""
        prune = self.prune_zero_signal
        if prune:  # exact by construction or off, with the reason in the log (training/pruning.py)
            blocker = pruning_blocker(self.args, world_size(), forward_dropout(loaded.model, loaded.peft_config))
            if blocker:
                log.warning("train.prune_zero_signal is off for this run: %s", blocker)
            prune = blocker is None
        return grpo_trainer_class(
            prune_zero_signal=prune,
            merge_lora_for_generation=self.merge_lora_for_generation and not self._sharded(),
            transpose_weights_for_generation=self.transpose_weights_for_generation and not self._sharded(),
            inverse_cdf_sampling=self.inverse_cdf_sampling,
            # one process only: a second forward before DDP's/DeepSpeed's backward bookkeeping is not what they expect
            shared_prompt_forward=self.shared_prompt_forward and world_size() == 1 and not self._sharded(),
            truncated_reward_scale=self.truncated_reward_scale,
            dynamic_sampling=self.dynamic_sampling,
            tool_metrics=bool(self.tools and self.tools.enabled),
            environment_set=self.environment,
        )

    def _sharded(self) -> bool:
        # FSDP / DeepSpeed shard the weights a merged copy would need in full: generate unmerged there.
        # Under `accelerate launch --config_file <fsdp|zero*>.yaml` only the launch's env says so.
        return bool(self.args.fsdp) or self.args.deepspeed is not None or sharding_engine() is not None

    def _checkpoint(self, step: int | None) -> str | None:
        folder = checkpoints_dir(self.output_dir)
        found = folder / f"checkpoint-{step}" if step is not None else latest_checkpoint(folder)
        return str(found) if found and found.exists() else None
