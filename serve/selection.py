"""Score rollouts with the training reward and pick the best: by reward with a ground truth, else by majority vote."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from components.evaluation.evaluator import as_completions

# The verifiers extract an answer only while comparing it with a gold one, so without a ground truth they are
# handed this placeholder gold: the verdict is thrown away, only the extracted answer is used for the vote.
PLACEHOLDER_GOLD = "0"


@dataclass(frozen=True)
class Selection:
    rewards: list[float | None]
    answers: list[str | None]
    best: int
    selection: str  # reward | majority_vote | first
    majority_answer: str | None
    per_function: dict[str, list[float | None]] | None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def majority(answers: list[str | None]) -> tuple[int, str | None]:
    """Index of the first rollout holding the most common answer (ties: the answer seen first).

    >>> majority(["3", None, "4", "4"])
    (2, '4')
    >>> majority([None, None])
    (0, None)
    """
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return 0, None
    top = max(counts.values())
    winner = next(a for a in answers if a is not None and counts[a] == top)
    return answers.index(winner), winner


def select(
    reward: Any,
    prompt_messages: Any,
    question: str,
    texts: list[str],
    ground_truth: str | None,
    columns: dict[str, list] | None = None,
) -> Selection:
    """`reward` is the RewardSet of the training config; prompt_messages what the prompt builder produced.

    columns: more per-rollout columns for the reward, as training passes them (`environments`: each rollout's own
    environment instance, which holds the episode's verdict, so the rollouts are scored without a ground truth).
    """
    k = len(texts)
    completions = as_completions([prompt_messages] * k, texts)
    judged = bool(columns)
    columns = {"question": [question] * k, "prompts": [prompt_messages] * k, **(columns or {})}
    if ground_truth is not None or judged:
        gold = {"answer": [ground_truth] * k} if ground_truth is not None else {}
        scores = reward.score(completions, **gold, **columns)
        rewards = [_finite(t) for t in scores.total]
        try:
            answers = reward.extract_answers(completions, **gold, **columns)
        except ValueError:  # the reward set has no correctness verifier: nothing to extract
            answers = [None] * k
        best = max(range(k), key=lambda i: -math.inf if rewards[i] is None else rewards[i])
        per_function = {n: [_finite(v) for v in vs] for n, vs in scores.per_function.items()}
        return Selection(rewards, answers, best, "reward", None, per_function)
    try:
        answers = reward.extract_answers(completions, answer=[PLACEHOLDER_GOLD] * k, **columns)
    except ValueError:
        answers = [None] * k
    best, winner = majority(answers)
    return Selection([None] * k, answers, best, "majority_vote" if winner is not None else "first", winner, None)


def ranked(chosen: Selection) -> list[int]:
    """Rollout indices, best first: by reward (unscored last, ties in order), or the majority answer's first.

    >>> ranked(Selection([0.1, None, 1.1, 1.1], [None] * 4, 2, "reward", None, None))
    [2, 3, 0, 1]
    >>> ranked(Selection([None] * 3, ["3", "4", "4"], 1, "majority_vote", "4", None))
    [1, 2, 0]
    """
    k = len(chosen.rewards)
    if chosen.selection == "reward":
        return sorted(range(k), key=lambda i: (chosen.rewards[i] is None, -(chosen.rewards[i] or 0.0)))
    if chosen.selection == "majority_vote":
        return sorted(range(k), key=lambda i: chosen.answers[i] != chosen.majority_answer)
    return list(range(k))
