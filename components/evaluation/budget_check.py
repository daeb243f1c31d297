"""Budget check: does the trained model's accuracy hold when it is given more room to write?

A policy trained with a short completion cap can learn to put a right answer in its first tokens and then
go on, contradicting itself ("45 + 38 = 83 ... The answer is: 45 + 38 = 71"). Evaluated at the training
cap it looks good; served with a normal budget it is wrong. This check re-evaluates the first
`probe_samples` held-out problems greedily at `factor` times the evaluation budget and compares accuracy on
the same problems. A drop of more than `tolerance` is a warning: in the log, in summary.json
(`budget_check/warning`) and in the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from components.types import EvalResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BudgetCheck:
    budget: int  # the evaluation's max_new_tokens
    larger_budget: int
    accuracy: float  # on the checked problems, at `budget` (from the evaluation already run)
    accuracy_larger: float  # the same problems at `larger_budget`
    truncation_larger: float
    problems: int
    tolerance: float

    @property
    def drop(self) -> float:
        return self.accuracy - self.accuracy_larger

    @property
    def warning(self) -> str | None:
        if self.drop <= self.tolerance:
            return None
        return (
            f"accuracy falls from {self.accuracy:.1%} at {self.budget} new tokens to {self.accuracy_larger:.1%} at "
            f"{self.larger_budget} on the same {self.problems} held-out problems: the model does not stop after "
            "its answer (it goes on and contradicts it); train with a completion cap that leaves room to stop, "
            "train.truncated_reward_scale < 1 (or train.mask_truncated_completions=true), and a reward that grades "
            "the last answer stated"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "budget_check/budget": self.budget,
            "budget_check/larger_budget": self.larger_budget,
            "budget_check/problems": self.problems,
            "budget_check/accuracy": self.accuracy,
            "budget_check/accuracy_larger": self.accuracy_larger,
            "budget_check/truncation_rate_larger": self.truncation_larger,
            "budget_check/warning": self.warning,
        }


def check_budget(
    evaluator: Any,
    model: Any,
    tokenizer: Any,
    dataset: Any,
    reward: Any,
    evaluated: EvalResult,
    factor: float,
    problems: int,
    tolerance: float,
) -> BudgetCheck:
    """Greedy accuracy of the first `problems` rows at `factor` x the budget `evaluated` was run at."""
    problems = min(problems, len(evaluated.samples))
    larger = max(evaluator.max_new_tokens + 1, int(evaluator.max_new_tokens * factor))
    at_budget = sum(s["correct"] is True for s in evaluated.samples[:problems]) / problems
    rerun = evaluator.evaluate(model, tokenizer, dataset.select(range(problems)), reward, max_new_tokens=larger)
    result = BudgetCheck(
        evaluator.max_new_tokens,
        larger,
        at_budget,
        rerun.metrics["accuracy"],
        rerun.metrics["truncation_rate"],
        problems,
        tolerance,
    )
    if result.warning:
        log.warning("budget check: %s", result.warning)
    else:
        log.info(
            "budget check: %.1f%% at %d new tokens, %.1f%% at %d on %d problems",
            100 * result.accuracy,
            result.budget,
            100 * result.accuracy_larger,
            result.larger_budget,
            problems,
        )
    return result
