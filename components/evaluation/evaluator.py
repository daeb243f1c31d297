"""Task evaluation: greedy pass@1 plus, optionally, n sampled completions per problem for pass@k / maj@k.

Every verdict comes from the run's RewardSet (score / is_correct / extract_answers), so "reward" and
"accuracy" cannot drift apart. The same object builds the in-training probe callback and the recorder of
training completions, so all evaluation settings live in one YAML (conf/evaluation_component/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import torch

from components.bounds import Ge, Interval, Predicate, checked
from components.environments.environment_set import environment_tools
from components.environments.replay import episode_record
from components.evaluation.budget_check import check_budget
from components.evaluation.by_group import GROUP_COLUMN, group_metrics
from components.evaluation.estimators import any_correct_of_k, best_of_k, maj_at_k, pass_at_k
from components.evaluation.history import TrainingCompletionRecorder
from components.model.generation import Generations, generate
from components.reward.base import CORRECT
from components.tools.rollout import run_episodes
from components.tools.trajectory import batch_metrics
from components.types import EvalResult


def as_completions(prompts: list[Any], texts: list[str]) -> list[Any]:
    """Hand completions to rewards in the shape TRL uses: messages for chat prompts, strings otherwise.

    A multi-turn episode (a list of messages, components/tools/rollout.py) is already in that shape.
    """
    return [
        text if isinstance(p, str) or not isinstance(text, str) else [{"role": "assistant", "content": text}]
        for p, text in zip(prompts, texts)
    ]


def _off_or_above_one(value: float) -> bool:
    """must be > 1 (or 0 = off)"""
    return value == 0 or value > 1


class TaskEvaluator:
    @checked("eval")
    def __init__(
        self,
        batch_size: Annotated[int, Ge(1)] = 32,
        max_new_tokens: Annotated[int, Ge(1)] = 64,
        max_samples: Annotated[int, Ge(1)] | None = None,
        n_samples: Annotated[int, Ge(0)] = 0,
        k: list[int] | None = None,
        temperature: float = 1.0,  # > 0 when sampling (check_sampling); greedy ignores it
        top_p: Annotated[float, Interval(gt=0, le=1)] = 1.0,
        seed: int = 0,
        format_reward: str | None = None,
        probe_every_steps: Annotated[int, Ge(0)] = 0,  # 0 = off
        probe_samples: Annotated[int, Ge(1)] = 16,
        train_completions_every_steps: Annotated[int, Ge(0)] = 0,  # 0 = off
        budget_check_factor: Annotated[float, Predicate(_off_or_above_one)] = 2.0,
        budget_check_tolerance: Annotated[float, Interval(ge=0, le=1)] = 0.1,
        tools: Any = None,
        environment: Any = None,
    ) -> None:
        """n_samples=0: greedy only. n_samples=n: also n sampled completions per problem, scored at each k.

        format_reward: the reward function whose full marks mean "format followed"; null = the function
        named `format` if configured, else "the verifier could extract an answer".
        probe_every_steps: evaluate greedily on the first probe_samples eval problems every N training
        steps (0 = off) and keep the best adapter by that accuracy in <run_dir>/best_model.
        tools: the run's ToolSet (injected by the orchestrator); with tools every evaluation runs TRL-style
        multi-turn episodes (components/tools/rollout.py) and reports tools/* metrics.
        environment: the run's EnvironmentSet (injected); with environments every evaluation runs each row's
        episode in a fresh instance of its environment (the loop above) and reports env/<name>/* metrics.
        """
        ks = list(k) if k is not None else ([1] if n_samples else [])
        check_sampling(n_samples, ks, temperature)
        self.batch_size, self.max_new_tokens, self.max_samples = batch_size, max_new_tokens, max_samples
        self.n_samples, self.ks, self.temperature, self.top_p, self.seed = n_samples, ks, temperature, top_p, seed
        self.format_reward = format_reward
        self.probe_every_steps, self.probe_samples = probe_every_steps, probe_samples
        self.train_completions_every_steps = train_completions_every_steps
        self.budget_check_factor, self.budget_check_tolerance = budget_check_factor, budget_check_tolerance
        self.tools = tools if tools is not None and tools.enabled else None
        self.environment = environment if environment is not None and environment.enabled else None
        if self.environment is not None and self.tools is not None:
            raise ValueError("tools_component and environment_component are both set: an environment brings its tools")
        if self.environment is not None and n_samples:
            raise ValueError(f"eval.n_samples={n_samples}: sampled evaluation is not available with an environment")

    def evaluate(
        self, model: Any, tokenizer: Any, dataset: Any, reward: Any, max_new_tokens: int | None = None
    ) -> EvalResult:
        """max_new_tokens: this call's budget (the budget check's larger one); None = eval.max_new_tokens."""
        if self.max_samples is not None:
            dataset = dataset.select(range(min(self.max_samples, len(dataset))))
        rows = dataset.to_list()
        prompts = [row["prompt"] for row in rows]
        columns = {key: [row[key] for row in rows] for key in rows[0] if key != "prompt"}
        budget = max_new_tokens or self.max_new_tokens
        gen, prompts = self._rollouts(model, tokenizer, rows, prompts, columns, budget)
        judged = self._judge(reward, prompts, self._answers(gen), columns)
        n = len(rows)
        metrics = {
            "accuracy": sum(c is True for c in judged["correct"]) / n,
            "mean_reward": sum(judged["reward"]) / n,
            "format_compliance_rate": sum(judged["format_ok"]) / n,
            "unparseable_rate": sum(c is None for c in judged["correct"]) / n,
            "mean_completion_length": sum(gen.completion_tokens) / n,
            "max_completion_length": max(gen.completion_tokens),
            "truncation_rate": sum(gen.truncated) / n,
            "max_new_tokens": budget,
            "num_samples": n,
            "tokens_per_second": gen.tokens_per_second,
            "seconds": gen.seconds,
        }
        metrics.update(judged["per_function_means"])
        if self.tools or self.environment:  # tool-call rate, turns per episode, errors, timeouts, malformed calls
            metrics.update(batch_metrics(gen.trajectories, prefix="tools/"))
        if self.environment:  # success, turns, tool calls, invalid actions per environment (and a game's optimum)
            metrics.update(
                self.environment.outcome_metrics(columns["environments"], columns["environment"], gen.trajectories)
            )
        samples = self._records(rows, prompts, gen, judged)
        if self.environment:  # what mode=score needs to replay each episode (components/environments/replay.py)
            for record, row, instance in zip(samples, rows, columns["environments"]):
                record.update(episode_record(row, instance, record["trajectory"]))
        metrics.update(group_metrics(samples))  # task/<name>/accuracy when the rows name their test set
        if self.n_samples:
            metrics.update(self._sampled(model, tokenizer, prompts, columns, reward, samples))
        return EvalResult(metrics, samples)

    def _rollouts(self, model, tokenizer, rows, prompts, columns, budget) -> tuple[Generations, list]:
        """Greedy completions; with an environment each row's episode runs in a fresh instance of its environment
        (added to `columns`), and the prompts are the episodes' opening messages."""
        if self.environment is not None:  # each row's episode in a fresh instance of its own environment
            instances, prompts = self.environment.start(rows)
            columns["environments"] = instances
            gen = run_episodes(
                model,
                tokenizer,
                prompts,
                self.environment,
                self.batch_size,
                budget,
                episode_tools=[environment_tools(e) for e in instances],
            )
        else:
            gen = self._generate(model, tokenizer, prompts, self.batch_size, budget)
        return gen, prompts

    def _records(self, rows, prompts, gen, judged) -> list[dict]:
        """One record per evaluated row: completions_eval.jsonl's and the report's."""
        return [
            {
                "index": i,
                "prompt": prompts[i],
                "question": row.get("question"),
                "answer": row.get("answer"),
                **({GROUP_COLUMN: row[GROUP_COLUMN]} if GROUP_COLUMN in row else {}),
                "completion": gen.completions[i],
                "extracted": judged["extracted"][i],
                "reward": judged["reward"][i],
                "correct": judged["correct"][i],
                "format_ok": judged["format_ok"][i],
                "completion_tokens": gen.completion_tokens[i],
                "truncated": gen.truncated[i],
                **({"trajectory": gen.trajectories[i]} if self.tools or self.environment else {}),
                **({"environment": row["environment"]} if self.environment else {}),
            }
            for i, row in enumerate(rows)
        ]

    def _sampled(self, model, tokenizer, prompts, columns, reward, samples) -> dict[str, float]:
        """n samples per problem; adds them to each problem's record under `samples`."""
        n = self.n_samples
        with torch.random.fork_rng(devices=[]):  # reproducible, and training's RNG stream is left untouched
            torch.manual_seed(self.seed)
            gen: Generations = self._generate(
                model,
                tokenizer,
                prompts,
                self.batch_size,
                self.max_new_tokens,
                temperature=self.temperature,
                top_p=self.top_p,
                num_return_sequences=n,
            )
        repeated = [p for p in prompts for _ in range(n)]
        judged = self._judge(
            reward, repeated, self._answers(gen), {c: [v for v in vs for _ in range(n)] for c, vs in columns.items()}
        )
        out: dict[str, list[float]] = {}
        for i, record in enumerate(samples):
            span = slice(i * n, (i + 1) * n)
            correct, answers, rewards = judged["correct"][span], judged["extracted"][span], judged["reward"][span]
            record["samples"] = [
                {"completion": t, "extracted": a, "reward": r, "correct": c}
                for t, a, r, c in zip(gen.completions[span], answers, rewards, correct)
            ]
            for k in self.ks:
                out.setdefault(f"pass@{k}", []).append(pass_at_k(n, sum(c is True for c in correct), k))
                out.setdefault(f"maj@{k}", []).append(maj_at_k(answers, correct, k))
                out.setdefault(f"best_of_{k}_reward", []).append(best_of_k(rewards, k))
                out.setdefault(f"any_correct@{k}", []).append(any_correct_of_k(correct, k))
        metrics = {key: sum(values) / len(values) for key, values in out.items()}
        metrics["sampled/mean_reward"] = sum(judged["reward"]) / len(judged["reward"])
        metrics["sampled/accuracy"] = sum(c is True for c in judged["correct"]) / len(judged["correct"])
        metrics["sampled/truncation_rate"] = sum(gen.truncated) / len(gen.truncated)
        metrics["sampled/tokens_per_second"] = gen.tokens_per_second
        metrics["sampled/seconds"] = gen.seconds
        if self.tools:  # the same tools/* metrics over the sampled episodes
            metrics.update(batch_metrics(gen.trajectories, prefix="sampled/tools/"))
        return metrics

    def _generate(
        self, model: Any, tokenizer: Any, prompts: list[Any], batch_size: int, max_new_tokens: int, **sampling: Any
    ) -> Any:
        """Single-turn generations, or with tools multi-turn episodes (same fields, plus `trajectories`)."""
        if self.tools is None:
            return generate(model, tokenizer, prompts, batch_size, max_new_tokens, **sampling)
        return run_episodes(model, tokenizer, prompts, self.tools, batch_size, max_new_tokens, **sampling)

    def _answers(self, gen: Any) -> list[Any]:
        """What the rewards judge: the text, or the whole episode (tool results are never the model's answer)."""
        return gen.trajectories if self.tools or self.environment else gen.completions

    def _judge(self, reward: Any, prompts: list[Any], texts: list[str], columns: dict[str, list]) -> dict[str, Any]:
        completions = as_completions(prompts, texts)
        scores = reward.score(completions, prompts=prompts, **columns)
        correct = reward.is_correct(completions, prompts=prompts, **columns)
        extracted = reward.extract_answers(completions, prompts=prompts, **columns)
        means = {}
        for name, values in scores.per_function.items():
            present = [v for v in values if v is not None]
            means[f"reward/{name}"] = sum(present) / len(present) if present else 0.0
        return {
            "reward": scores.total,
            "correct": correct,
            "extracted": extracted,
            "per_function_means": means,
            "format_ok": self._format_ok(reward, scores, extracted),
        }

    def _format_ok(self, reward: Any, scores: Any, extracted: list) -> list[bool]:
        name = self.format_reward or ("format" if "format" in reward.names else None)
        if name is None:
            return [a is not None for a in extracted]
        if name not in reward.names:
            raise ValueError(f"eval.format_reward={name!r} is not a configured reward; configured: {reward.names}")
        return [
            s == CORRECT or (s == "scored" and (v or 0) > 0)
            for s, v in zip(scores.statuses[name], scores.per_function[name])
        ]

    # --- hooks the training recipe uses (one line each in run_pipeline.py) ---------------------------

    def check_budget(
        self, model: Any, tokenizer: Any, dataset: Any, reward: Any, evaluated: EvalResult
    ) -> dict[str, Any]:
        """summary.json keys of the budget check (components/evaluation/budget_check.py); {} when it is off."""
        if not self.budget_check_factor:
            return {}

        return check_budget(
            self,
            model,
            tokenizer,
            dataset,
            reward,
            evaluated,
            self.budget_check_factor,
            self.probe_samples,
            self.budget_check_tolerance,
        ).summary()

    def probe(self, dataset: Any, reward: Any, tokenizer: Any, run_dir: Path, observer: Any) -> Any:
        """TrainerCallback: greedy evaluation on a fixed probe subset every probe_every_steps; keeps best_model."""
        from components.evaluation.probe import ProbeCallback  # transformers loads only when a run trains

        subset = dataset.select(range(min(self.probe_samples, len(dataset))))
        return ProbeCallback(self, subset, reward, tokenizer, Path(run_dir), observer, self.probe_every_steps)

    def recording(self, reward: Any, run_dir: Path) -> Any:
        """The reward set, wrapped to append training completions to completions_train.jsonl every K steps."""
        if not self.train_completions_every_steps:
            return reward

        return TrainingCompletionRecorder(
            reward, Path(run_dir) / "completions_train.jsonl", self.train_completions_every_steps
        )


def check_sampling(n_samples: int, ks: list[int], temperature: float) -> None:
    """Rules across keys (each key's own range is declared on the constructor's parameter)."""
    if n_samples and temperature <= 0:
        raise ValueError(f"eval.temperature={temperature}: sampling n_samples={n_samples} needs temperature > 0")
    bad = [x for x in ks if not 1 <= x <= n_samples]
    if bad:
        raise ValueError(
            f"eval.k={ks}: every k must be in 1..eval.n_samples={n_samples}; set eval.n_samples >= {max(bad)}"
        )
