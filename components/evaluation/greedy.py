"""Greedy (pass@1) evaluation: accuracy from the reward's own verifier, mean reward, lengths, throughput."""

from __future__ import annotations

from typing import Any

from components.evaluation.generation import generate
from components.types import EvalResult


def as_completions(prompts: list[Any], texts: list[str]) -> list[Any]:
    """Hand completions to rewards in the shape TRL uses: messages for chat prompts, strings otherwise."""
    return [text if isinstance(p, str) else [{"role": "assistant", "content": text}] for p, text in zip(prompts, texts)]


class GreedyEvaluator:
    def __init__(self, batch_size: int = 32, max_new_tokens: int = 64, max_samples: int | None = None) -> None:
        if batch_size <= 0 or max_new_tokens <= 0:
            raise ValueError("eval.batch_size and eval.max_new_tokens must be > 0")
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.max_samples = max_samples

    def evaluate(self, model: Any, tokenizer: Any, dataset: Any, reward: Any) -> EvalResult:
        if self.max_samples is not None:
            dataset = dataset.select(range(min(self.max_samples, len(dataset))))
        rows = dataset.to_list()
        prompts = [row["prompt"] for row in rows]
        gen = generate(model, tokenizer, prompts, self.batch_size, self.max_new_tokens)
        completions = as_completions(prompts, gen.completions)
        columns = {key: [row[key] for row in rows] for key in rows[0] if key != "prompt"}
        scores = reward.score(completions, prompts=prompts, **columns)
        correct = reward.is_correct(completions, prompts=prompts, **columns)
        n = len(rows)
        metrics = {
            "accuracy": sum(c is True for c in correct) / n,
            "mean_reward": sum(scores.total) / n,
            "unparseable_rate": sum(c is None for c in correct) / n,
            "mean_completion_length": sum(gen.completion_tokens) / n,
            "max_completion_length": max(gen.completion_tokens),
            "truncation_rate": sum(gen.truncated) / n,
            "num_samples": n,
            "tokens_per_second": gen.tokens_per_second,
            "seconds": gen.seconds,
        }
        for name, values in scores.per_function.items():
            present = [v for v in values if v is not None]
            metrics[f"reward/{name}"] = sum(present) / len(present) if present else 0.0
        samples = [
            {"question": row.get("question"), "answer": row.get("answer"), "completion": text,
             "reward": total, "correct": ok}
            for row, text, total, ok in zip(rows, gen.completions, scores.total, correct)
        ]
        return EvalResult(metrics, samples)
