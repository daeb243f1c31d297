"""evaluation_component=lm_eval: EleutherAI's lm-evaluation-harness, run in-process on the loaded model.

lm-eval's HFLM wraps the model and tokenizer this process already holds (the base model, a finished run loaded by
`mode=eval eval_run.run_dir=...`, or an exported folder as model.model_name_or_path), so the harness evaluates
exactly what the project's own evaluator would. Its per-task results land in the metrics as lm_eval/<task>/<metric>
and its logged samples become the usual per-row records (completions_eval.jsonl, the report, the observers).
The local tasks in components/evaluation/lm_eval_tasks/ read ../shared/data offline with the project's prompts and
grade with the project's RewardSet; any task lm-eval itself ships can be named too (it may need the Hub).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Annotated, Any

import torch

from components.bounds import Ge, checked
from components.evaluation.by_group import GROUP_COLUMN, group_metrics
from components.model.generation_weights import generation_weights
from components.types import EvalResult

LOCAL_TASKS = Path(__file__).resolve().parent / "lm_eval_tasks"
MISSING = (
    "evaluation_component=lm_eval needs the optional lm_eval dependency group (lm-evaluation-harness): "
    "run `make install-lm-eval` (scripts/install.sh --lm-eval)"
)


class LMEvalHarness:
    """The Evaluator interface for finished models: config validation stops `mode=train evaluation_component=lm_eval`
    before any model loads (components/validation.py), so the training hooks below are never reached in a run."""

    @checked("eval")
    def __init__(
        self,
        tasks: list[str],
        max_new_tokens: Annotated[int, Ge(1)] = 128,
        batch_size: Annotated[int, Ge(1)] = 64,
        max_samples: Annotated[int, Ge(1)] | None = None,
        metric: str = "exact_match",
        include_path: str | None = None,
        data_dir: str | None = None,
        seed: int = 42,
        apply_chat_template: bool = True,
        tools: Any = None,
    ) -> None:
        """tasks: lm-eval task (or group/tag) names; the local ones are named rlvr_* (lm_eval_tasks/).

        max_new_tokens: each task's max_gen_toks (the project's completion budget); max_samples: lm-eval's
        `limit`, the first N rows of each task. metric: the per-row metric read as the row's verdict (accuracy).
        include_path: a folder of extra task YAMLs (null = only lm_eval_tasks/ and lm-eval's own). data_dir:
        where the local tasks read ../shared/data-style folders (null = ../shared/data beside the repo). seed:
        the seed the local arithmetic task generates its rows with (the pipeline's `seed`).
        """
        if importlib.util.find_spec("lm_eval") is None:
            raise ValueError(MISSING)
        if not tasks:
            raise ValueError("eval.tasks is empty: name at least one lm-eval task, e.g. 'eval.tasks=[rlvr_arithmetic]'")
        if tools is not None and getattr(tools, "enabled", False):
            raise ValueError("evaluation_component=lm_eval evaluates single-turn tasks: set tools_component=none")
        self.tasks, self.max_new_tokens = list(tasks), max_new_tokens
        self.batch_size, self.max_samples = batch_size, max_samples
        self.metric, self.seed, self.apply_chat_template = metric, seed, apply_chat_template
        self.include_path = [str(LOCAL_TASKS)] + ([include_path] if include_path else [])
        self.data_dir = data_dir

    def evaluate(
        self, model: Any, tokenizer: Any, dataset: Any = None, reward: Any = None, max_new_tokens: int | None = None
    ) -> EvalResult:
        """Run eval.tasks on `model`; `dataset` and `reward` are the tasks' own (each task names its rows and grader)."""
        from lm_eval import simple_evaluate
        from lm_eval.tasks import TaskManager

        from components.evaluation.lm_eval_model import CountingHFLM  # imports lm_eval: the optional lm_eval group

        budget = max_new_tokens or self.max_new_tokens
        metadata = {"seed": self.seed, **({"data_dir": self.data_dir} if self.data_dir else {})}
        manager = TaskManager(include_path=self.include_path, metadata=metadata)
        unknown = [name for name in self.tasks if name not in manager.all_tasks]
        if unknown:
            local = sorted(n for n in manager.all_tasks if n.startswith("rlvr_"))
            raise ValueError(f"eval.tasks: {unknown} are not lm-eval tasks, groups or tags; the local ones: {local}")
        was_training = model.training
        model.eval()
        start = time.perf_counter()
        try:
            # The same weight arrangement the project's evaluator generates with (LoRA folded into W, contiguous
            # W^T on CPU: components/model/generation_weights.py), so both compute the same logits.
            with torch.inference_mode(), generation_weights(model, merge_lora=True, transpose=True):
                lm = CountingHFLM(
                    pretrained=model, tokenizer=tokenizer, batch_size=self.batch_size, device=str(model.device)
                )
                out = simple_evaluate(
                    model=lm,
                    tasks=self.tasks,
                    task_manager=manager,
                    limit=self.max_samples,
                    apply_chat_template=self.apply_chat_template,
                    gen_kwargs={"max_gen_toks": budget},
                    log_samples=True,
                    # greedy decoding needs no seed, and the training RNG streams are left as they are
                    random_seed=None,
                    numpy_random_seed=None,
                    torch_random_seed=None,
                )
        finally:
            model.train(was_training)
        seconds = time.perf_counter() - start
        samples = self._samples(out["samples"], lm.counts)
        return EvalResult(self._metrics(out["results"], samples, budget, seconds), samples)

    def _samples(self, logged: dict[str, list[dict]], counts: dict[str, tuple[int, bool]]) -> list[dict[str, Any]]:
        records = []
        for task, rows in logged.items():
            for row in sorted(rows, key=lambda r: r["doc_id"]):
                if self.metric not in row:
                    raise ValueError(f"eval.metric={self.metric}: task {task} logs no such per-row metric")
                doc, completion, context = row["doc"], row["filtered_resps"][0], row["arguments"][0][0]
                tokens, truncated = counts[context]
                parsed = row.get("parsed", 1.0)
                records.append(
                    {
                        "index": len(records),
                        "doc_id": row["doc_id"],
                        GROUP_COLUMN: task,
                        "prompt": context,  # as lm-eval rendered it (chat template applied)
                        "question": doc.get("question"),
                        "answer": doc.get("answer", row.get("target")),
                        "completion": completion,
                        "reward": float(row.get("reward", row[self.metric])),
                        "correct": bool(row[self.metric]) if parsed else None,
                        "completion_tokens": tokens,
                        "truncated": truncated,
                    }
                )
        if not records:
            raise ValueError(f"eval.tasks={self.tasks}: lm-eval produced no rows")
        return records

    def _metrics(self, results: dict[str, dict], samples: list[dict], budget: int, seconds: float) -> dict[str, Any]:
        n = len(samples)
        tokens = sum(s["completion_tokens"] for s in samples)
        metrics: dict[str, Any] = {
            "accuracy": sum(s["correct"] is True for s in samples) / n,  # pooled over every task's rows
            "mean_reward": sum(s["reward"] for s in samples) / n,
            "unparseable_rate": sum(s["correct"] is None for s in samples) / n,
            "mean_completion_length": tokens / n,
            "max_completion_length": max(s["completion_tokens"] for s in samples),
            "truncation_rate": sum(s["truncated"] for s in samples) / n,
            "max_new_tokens": budget,
            "num_samples": n,
            "tokens_per_second": tokens / seconds if seconds > 0 else 0.0,
            "seconds": seconds,
        }
        for task, values in results.items():  # lm-eval's own figures, e.g. lm_eval/rlvr_gsm8k/exact_match
            for key, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    metrics[f"lm_eval/{task}/{key.removesuffix(',none')}"] = float(value)
        metrics.update(group_metrics(samples))  # task/<name>/accuracy, the same as the project's evaluator names it
        return metrics

    # --- the training hooks: lm_eval evaluates finished models only (see `trains`) -------------------------------

    def probe(self, dataset: Any, reward: Any, tokenizer: Any, run_dir: Path, observer: Any) -> Any:
        raise ValueError("evaluation_component=lm_eval does not probe during training; use evaluation_component=greedy")

    def recording(self, reward: Any, run_dir: Path) -> Any:
        return reward

    def check_budget(self, model: Any, tokenizer: Any, dataset: Any, reward: Any, evaluated: EvalResult) -> dict:
        return {}
