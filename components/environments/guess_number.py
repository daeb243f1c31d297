"""Guess the number: a hidden integer in 1..high, one `guess` tool answering higher / lower / correct.

The optimal strategy is known (binary search), and so is its mean number of guesses over a uniform secret
(`optimal_mean_guesses`), so a report can set the policy's mean guesses beside the optimum. Each episode's secret
comes from its row's `seed` alone: the same seed is the same game in any process; training seeds and evaluation
seeds are disjoint ranges, so no evaluated game is ever trained on.
"""

from __future__ import annotations

import random
from typing import Annotated, Any

from components.bounds import Ge, Interval, checked
from components.environments.base import Environment, Outcome

EVAL_SEED_OFFSET = 1_000_000_000  # evaluation games use seeds from here on; training seeds stay below


def secret_for(seed: int, high: int) -> int:
    return random.Random(f"guess_number/{seed}").randint(1, high)


def optimal_mean_guesses(high: int) -> float:
    """Mean guesses of binary search over a uniform secret in 1..high: the mean depth (+1) of a balanced tree.

    >>> optimal_mean_guesses(1), optimal_mean_guesses(3), optimal_mean_guesses(7)
    (1.0, 1.6666666666666667, 2.4285714285714284)
    """

    def total(n: int, depth: int) -> int:  # sum of (depth + 1) over a balanced tree of n nodes
        if n == 0:
            return 0
        left = (n - 1) // 2
        return depth + 1 + total(left, depth + 1) + total(n - 1 - left, depth + 1)

    return total(high, 0) / high


class GuessNumberGame(Environment):
    def __init__(self, high: int) -> None:
        self.high = high
        self.secret: int | None = None
        self.guesses: list[int] = []
        self.invalid = 0
        self.solved = False

    def reset(self, seed: int, **_: Any) -> str | None:
        self.secret = secret_for(int(seed), self.high)
        self.guesses, self.invalid, self.solved = [], 0, False
        return None  # the question already states the rules

    def guess(self, number: str) -> str:
        """Guess the hidden number. The reply says whether the hidden number is higher, lower, or correct.

        Args:
            number: Your guess, a whole number in the game's range, written in digits.
        """
        # A string parameter, parsed here: with an integer one SmolLM2-135M's greedy calls ran on past the number
        # with made-up keys ({"number": 4, "message": ...}) in 32 of 32 games; its string calls close (calculator).
        if self.secret is None:
            raise RuntimeError("guess() before reset(): TRL resets every instance before its episode")
        if self.solved:
            self.invalid += 1
            return "invalid: the game is over, you already found the number"
        # Every reply names the range still possible (what the answers so far imply), as a game host would, so an
        # invalid guess is answered with something to go on: SmolLM2-135M's first guess is one past the range
        # ("10" for 1..8) in most sampled games, and it repeated it as long as the reply only said "outside".
        try:
            value = int(str(number).strip())
        except ValueError:
            self.invalid += 1
            return f"invalid: {number!r} is not a whole number; {self._still_possible()}"
        if not 1 <= value <= self.high:
            self.invalid += 1
            return f"invalid: {value} is outside 1..{self.high}; {self._still_possible()}"
        self.guesses.append(value)
        if value == self.secret:
            self.solved = True
            return f"correct: the number is {value}"
        direction = "higher" if self.secret > value else "lower"
        return f"{direction}: {self._still_possible()}"

    def _still_possible(self) -> str:
        low = max([1] + [g + 1 for g in self.guesses if g < self.secret])
        high = min([self.high] + [g - 1 for g in self.guesses if g > self.secret])
        return f"the number is from {low} to {high}"

    def __call__(self, final_text: str) -> Outcome:
        return Outcome(
            success=self.solved,
            reward=1.0 if self.solved else 0.0,
            tool_calls=len(self.guesses) + self.invalid,
            invalid_actions=self.invalid,
        )


class GuessNumber:
    """The spec conf/environment_component/guess_number.yaml builds."""

    @checked("environment.environments.guess_number")
    def __init__(
        self,
        high: Annotated[int, Ge(2)] = 16,
        # train episodes are seeds 0..num_train-1, eval episodes start at EVAL_SEED_OFFSET: they never meet
        num_train: Annotated[int, Interval(ge=1, le=EVAL_SEED_OFFSET)] = 2000,
        num_eval: Annotated[int, Ge(1)] = 64,
    ) -> None:
        self.high, self.num_train, self.num_eval = high, num_train, num_eval

    @property
    def optimal_mean_guesses(self) -> float:
        return optimal_mean_guesses(self.high)

    def make(self) -> GuessNumberGame:
        return GuessNumberGame(self.high)

    def rows(self, split: str) -> list[dict[str, Any]]:
        start, count = (0, self.num_train) if split == "train" else (EVAL_SEED_OFFSET, self.num_eval)
        question = f"Find my secret number. It is a whole number from 1 to {self.high}."
        return [
            {"question": question, "answer": str(secret_for(s, self.high)), "seed": s}
            for s in range(start, start + count)
        ]
