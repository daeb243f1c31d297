"""In-training evaluation: greedy accuracy on a fixed probe subset every N steps, best checkpoint by it.

TRL cannot compute task metrics during GRPO (its eval loop reports rewards and loss only), so this
callback generates with the live model (kwargs["model"]), scores with the run's RewardSet and logs
`eval/...` keys to the observers. The best adapter is kept by probe accuracy, not by training reward,
which a policy can raise by gaming a format bonus.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from components.evaluation.history import EVAL_HISTORY, append_eval, read_history
from components.model.zero3 import zero3_params

log = logging.getLogger(__name__)


class ProbeCallback(TrainerCallback):
    def __init__(
        self, evaluator: Any, dataset: Any, reward: Any, tokenizer: Any, run_dir: Path, observer: Any, every_steps: int
    ) -> None:
        self.evaluator, self.dataset, self.reward, self.tokenizer = evaluator, dataset, reward, tokenizer
        self.run_dir, self.observer, self.every_steps = Path(run_dir), observer, every_steps
        self.best_accuracy: float | None = None
        self.best_step: int | None = None
        self.evaluations = 0
        self._restore_from_history()
        self.listeners: list = []  # callables (step, accuracy): the training loop's guard subscribes here
        self.zero3_skipped = False

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.every_steps and state.global_step % self.every_steps == 0 and state.is_world_process_zero:
            if zero3_params(model):  # rank 0 alone cannot gather ZeRO-3's partitioned weights: that is a collective
                if not self.zero3_skipped:
                    log.warning(
                        "eval.probe_every_steps: in-training probes are skipped under DeepSpeed ZeRO-3 "
                        "(weights partitioned across ranks); the evaluation after training still runs"
                    )
                self.zero3_skipped = True
                return control
            self.run_probe(model, state.global_step)
        return control

    def run_probe(self, model: Any, step: int) -> dict[str, float]:
        result = self.evaluator.evaluate(model, self.tokenizer, self.dataset, self.reward)
        self.evaluations += 1
        append_eval(self.run_dir, result.samples, tag="probe", step=step)
        metrics = {f"eval/{k}": v for k, v in result.metrics.items()}
        accuracy = result.metrics["accuracy"]
        for listener in self.listeners:
            listener(step, accuracy)
        # Strictly better only: on a tie the earlier (less trained, cheaper to reach) checkpoint stays.
        if self.best_accuracy is None or accuracy > self.best_accuracy:
            self.best_accuracy, self.best_step = accuracy, step
            self._save_best(model)
        metrics["eval/best_accuracy"] = self.best_accuracy
        self.observer.log_metrics(metrics, step=step)
        log.info(
            "probe at step %d: accuracy %.3f (best %.3f at step %d)", step, accuracy, self.best_accuracy, self.best_step
        )
        return metrics

    def _restore_from_history(self) -> None:
        """A resumed run: its history was rewound to the checkpoint, so the probes logged up to there say which
        step is best. Without this the first probe after resuming would replace best_model whatever it scored."""
        per_step: dict[int, list[bool]] = {}
        for row in read_history(self.run_dir / EVAL_HISTORY):
            if row.get("tag") == "probe" and row.get("sample") is None:
                per_step.setdefault(row["step"], []).append(bool(row.get("correct")))
        for step in sorted(per_step):
            accuracy = sum(per_step[step]) / len(per_step[step])
            if self.best_accuracy is None or accuracy > self.best_accuracy:
                self.best_accuracy, self.best_step = accuracy, step
        self.evaluations = len(per_step)

    def _save_best(self, model: Any) -> None:
        target = self.run_dir / "best_model"
        model.save_pretrained(str(target))  # the LoRA adapter only, when LoRA is on; overwrites the older best
        self.tokenizer.save_pretrained(str(target))

    def summary(self) -> dict[str, Any]:
        """Keys for summary.json (empty when no probe ran)."""
        if not self.evaluations:
            return {}
        return {
            "best_probe_accuracy": self.best_accuracy,
            "best_probe_step": self.best_step,
            "best_model": str(self.run_dir / "best_model"),
            "probe_evaluations": self.evaluations,
        }
