"""Pre-flight power check: will GRPO's groups carry any signal on this task, with this model?

GRPO learns only from groups whose completions got different rewards. Before training, the base model samples
K completions (K = train.num_generations by default) for each of a few train prompts, with the trainer's
temperature, top-p and completion cap; the run's reward set grades them. For a prompt whose completions pass
with rate p, a group of G completions carries signal with probability 1 - p^G - (1-p)^G (not all fail, not
all pass); the mean over prompts is the expected share of informative groups. Rewards with more than two
values (shaped rewards, half credit for cut-off completions) have no such closed form, so the share is then
the observed share of prompts whose K rewards are not all equal (`power_check/method` says which).

It runs before the trainer is built, with the evaluator's generation code (components/model/generation.py)
and its own RNG (the training RNG stream is untouched). Unlike the preflight callback (preflight.py), which
reads the first real training steps, it can suggest a fix before any optimisation runs; it warns, and stops
the run only with `train.power_check_fatal=true`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import torch

from components.bounds import Ge, Interval, check_fields
from components.evaluation.estimators import pass_at_k
from components.evaluation.evaluator import as_completions
from components.model.generation import generate
from components.run_files import write_json
from components.training.guards import TrainingStopped

log = logging.getLogger(__name__)
POWER_CHECK_FILE = "power_check.json"
MAX_SUGGESTED_GENERATIONS = 64  # beyond this a CPU step is impractical; suggest other fixes instead


def informative_share(p: float, group_size: int) -> float:
    """Chance that a group of `group_size` completions with pass rate p holds both a pass and a fail.

    >>> informative_share(0.5, 2), informative_share(0.0, 8), informative_share(1.0, 8)
    (0.5, 0.0, 0.0)
    """
    if not 0.0 <= p <= 1.0 or group_size < 1:
        raise ValueError(f"informative_share needs 0 <= p <= 1 and group_size >= 1, got p={p}, G={group_size}")
    return 1.0 - p**group_size - (1.0 - p) ** group_size


def estimate(
    rewards: Sequence[Sequence[float]], correct: Sequence[Sequence[bool | None]], group_size: int
) -> dict[str, Any]:
    """The power figures from K graded samples per prompt (rewards: totals as GRPO sees them).

    Binary rewards (at most two values over all samples): p per prompt = its share of samples at the higher
    value, and the share is the binomial expectation for groups of `group_size`. Otherwise: the observed share
    of prompts whose samples' rewards differ (an estimate for groups of K, not of `group_size`).

    >>> est = estimate([[0, 1], [0, 0]], [[False, True], [False, False]], group_size=2)
    >>> est["informative_share"], est["pass_rate"], est["pass_at_k"], est["method"]
    (0.25, 0.25, 0.5, 'binomial')
    """
    if not rewards or any(len(r) != len(rewards[0]) or len(r) < 1 for r in rewards) or len(correct) != len(rewards):
        raise ValueError("power check: every prompt needs the same number (>= 1) of graded samples")
    k = len(rewards[0])
    values = sorted({round(float(x), 9) for row in rewards for x in row})
    binary = len(values) <= 2
    top = values[-1]
    high = [sum(round(float(x), 9) == top for x in row) / k if len(values) == 2 else 0.0 for row in rewards]
    if binary:
        shares = [informative_share(q, group_size) for q in high]
    else:
        shares = [float(len({round(float(x), 9) for x in row}) > 1) for row in rewards]
    passes = [sum(c is True for c in row) for row in correct]
    return {
        "method": "binomial" if binary else "observed",
        "informative_share": sum(shares) / len(shares),
        "pass_rate": sum(c / k for c in passes) / len(passes),  # the verifier's pass@1 estimate
        "pass_at_k": sum(pass_at_k(k, c, k) for c in passes) / len(passes),  # unbiased (Chen et al. 2021)
        "k": k,
        "prompts_never_pass": sum(c == 0 for c in passes) / len(passes),
        "prompts_always_pass": sum(c == k for c in passes) / len(passes),
        "reward_high_rates": high if binary else None,  # per prompt; feeds the num_generations suggestion
    }


def generations_needed(high_rates: Sequence[float], target: float, current: int) -> int | None:
    """The smallest group size above `current` whose expected informative share reaches `target`, or None."""
    for g in range(current + 1, MAX_SUGGESTED_GENERATIONS + 1):
        if sum(informative_share(q, g) for q in high_rates) / len(high_rates) >= target:
            return g
    return None


def advice(est: dict[str, Any], group_size: int, target: float, truncation_rate: float) -> str | None:
    """A one-line warning with concrete fixes when fewer than `target` of the groups would carry signal."""
    share = est["informative_share"]
    if share >= target:
        return None
    how = (
        "binomial estimate from each prompt's share of samples at the higher reward"
        if est["method"] == "binomial"
        else f"observed share of prompts whose {est['k']} rewards differ, as the reward is not binary"
    )
    fixes = []
    if truncation_rate >= 0.5:
        fixes.append(
            f"{truncation_rate:.0%} of the samples hit train.max_completion_length: raise it or ask for shorter answers"
        )
    if est["prompts_never_pass"] >= 0.5:
        fixes.append(
            "most prompts never pass: pick an easier subset, a stronger model, or a shaped reward with partial credit"
        )
    if est["prompts_always_pass"] >= 0.5:
        fixes.append("most prompts always pass: pick a harder subset")
    if est["reward_high_rates"] is not None:
        g = generations_needed(est["reward_high_rates"], target, group_size)
        if g is not None:
            fixes.append(f"train.num_generations={g} (with a batch divisible by it) would reach {target:.0%}")
    if not fixes:
        fixes.append("raise train.num_generations or train.temperature, or use a shaped reward")
    return (
        f"power check: only {share:.0%} of GRPO groups of {group_size} are expected to carry any learning signal "
        f"({how}; verifier pass rate {est['pass_rate']:.1%} over {est['k']} samples per prompt); " + "; ".join(fixes)
    )


def _per_prompt(values: Sequence[Any], samples: int) -> list[list[Any]]:
    return [list(values[i : i + samples]) for i in range(0, len(values), samples)]


def run_power_check(
    model: Any,
    tokenizer: Any,
    dataset: Any,
    reward: Any,
    *,
    prompts: int,
    samples: int,
    group_size: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    batch_size: int,
    truncated_reward_scale: float = 1.0,
    min_informative: float = 0.5,
    seed: int = 0,
) -> dict[str, Any]:
    """Sample, grade and estimate; returns summary.json's `power_check/*` keys (warning None when fine)."""

    rows = dataset.select(range(min(prompts, len(dataset)))).to_list()
    if not rows:
        return {}
    sampling = {"temperature": temperature, "top_p": top_p, "num_return_sequences": samples}
    gen = _sample(model, tokenizer, [row["prompt"] for row in rows], batch_size, max_new_tokens, sampling, seed)
    totals, verdicts = _grade(reward, rows, samples, gen, truncated_reward_scale)
    est = estimate(_per_prompt(totals, samples), _per_prompt(verdicts, samples), group_size)
    truncation = sum(gen.truncated) / len(gen.truncated)
    warning = advice(est, group_size, min_informative, truncation)
    _log(est, warning)
    out = {key: est[key] for key in _REPORTED}
    out.update(
        prompts=len(rows),
        samples_per_prompt=samples,
        group_size=group_size,
        truncation_rate=truncation,
        mean_reward=sum(totals) / len(totals),
        min_informative=min_informative,
        warning=warning,
        time_s=gen.seconds,
    )
    return {f"power_check/{key}": value for key, value in out.items()}


_REPORTED = ("informative_share", "method", "pass_rate", "pass_at_k", "k", "prompts_never_pass", "prompts_always_pass")


def _sample(model: Any, tokenizer: Any, texts: list[str], batch_size: int, max_new_tokens: int, sampling, seed: int):
    """`num_return_sequences` completions per prompt, from the power check's own seeded RNG."""
    gpus = list(range(torch.cuda.device_count()))  # their RNG too: manual_seed below seeds every device
    with torch.random.fork_rng(devices=gpus):  # reproducible, and the training RNG stream is left untouched
        torch.manual_seed(seed)
        return generate(model, tokenizer, texts, batch_size, max_new_tokens, **sampling)


def _grade(reward: Any, rows: list[dict], samples: int, gen: Any, truncated_reward_scale: float):
    """(reward totals as the trainer scores them, correctness verdicts), one per completion."""
    repeated = [row["prompt"] for row in rows for _ in range(samples)]
    columns = {key: [row[key] for row in rows for _ in range(samples)] for key in rows[0] if key != "prompt"}
    completions = as_completions(repeated, gen.completions)
    totals = reward.score(completions, prompts=repeated, **columns).total
    # As the trainer scores them: a completion cut at the cap earns train.truncated_reward_scale x its reward.
    totals = [t * truncated_reward_scale if cut else t for t, cut in zip(totals, gen.truncated)]
    return totals, reward.is_correct(completions, prompts=repeated, **columns)


def _log(est: dict[str, Any], warning: str | None) -> None:
    if warning:
        log.warning("%s", warning)
    else:
        log.info(
            "power check: %.0f%% of groups expected informative (pass rate %.1f%%, %s)",
            100 * est["informative_share"],
            100 * est["pass_rate"],
            est["method"],
        )


@dataclass(frozen=True)
class PowerCheckSettings:
    """`train.power_check.*` (conf/training_loop_component/grpo.yaml)."""

    enabled: bool = False
    prompts: Annotated[int, Ge(1)] = 8  # the first N train prompts
    samples: Annotated[int, Ge(2)] | None = None  # completions per prompt; None = train.num_generations
    batch_size: Annotated[int, Ge(1)] | None = None  # sequences per generate() call; None = the generation batch
    min_informative: Annotated[float, Interval(gt=0, le=1)] = 0.5  # warn below this expected informative share
    fatal: bool = False  # stop the run (status power_check_failed) instead of warning

    def __post_init__(self) -> None:
        check_fields(self, "train.power_check")
        if self.samples is not None and (isinstance(self.samples, bool) or int(self.samples) != self.samples):
            raise ValueError(
                f"train.power_check.samples={self.samples!r} must be an integer (or null = train.num_generations)"
            )

    def sizes(self, args: Any) -> tuple[int, int]:
        """(completions per prompt, sequences per generate call) under the trainer's arguments."""
        samples = int(self.samples or args.num_generations)
        return samples, int(self.batch_size or max(args.generation_batch_size or 1, samples))

    def measure(
        self, loaded: Any, dataset: Any, reward: Any, args: Any, truncated_reward_scale: float = 1.0
    ) -> dict[str, Any]:
        """`run_power_check` with these settings and the trainer's sampling arguments; nothing is written."""
        samples, batch_size = self.sizes(args)
        return run_power_check(
            loaded.model,
            loaded.tokenizer,
            dataset,
            reward,
            prompts=int(self.prompts),
            samples=samples,
            group_size=args.num_generations,
            temperature=args.temperature,
            top_p=args.top_p,
            max_new_tokens=args.max_completion_length,
            batch_size=batch_size,
            truncated_reward_scale=truncated_reward_scale,
            min_informative=self.min_informative,
            seed=args.seed,
        )

    def run(
        self,
        loaded: Any,
        dataset: Any,
        reward: Any,
        args: Any,
        run_dir: Path,
        resuming: bool,
        truncated_reward_scale: float = 1.0,
    ) -> dict[str, Any]:
        """summary.json's power_check/* keys: measured now and kept in <run_dir>/power_check.json, or read
        back from it when the run resumes ({} when off, or when a resumed run never ran it)."""

        path = Path(run_dir) / POWER_CHECK_FILE
        if not self.enabled:
            return {}
        if resuming:
            return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        result = self.measure(loaded, dataset, reward, args, truncated_reward_scale)
        write_json(path, result)
        if self.fatal and result["power_check/warning"]:
            raise TrainingStopped(
                "power_check_failed",
                result["power_check/warning"] + " (train.power_check.fatal"
                "=true stopped the run; set it false to train anyway)",
                0,
                None,
            )
        return result
