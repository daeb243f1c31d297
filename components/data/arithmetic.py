"""Procedurally generated arithmetic problems: seeded, offline, with configurable difficulty.

The embedded default task: a small model can learn it on CPU in minutes, and the answer is exact.
Held-out problems never appear in the training split.
"""

from __future__ import annotations

import operator
import random
from typing import Annotated

from components.bounds import Ge, checked
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits
from components.types import DatasetSplits

OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
WORD_TEMPLATES = {
    "+": "{name} has {a} apples and buys {b} more. How many apples does {name} have now?",
    "-": "{name} has {a} apples and gives away {b}. How many apples does {name} have left?",
    "*": "{name} buys {a} boxes with {b} apples each. How many apples does {name} buy?",
}
NAMES = ["Ava", "Ben", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana"]


class ArithmeticData:
    @checked("data")
    def __init__(
        self,
        num_train: Annotated[int, Ge(1)] = 2000,
        num_eval: Annotated[int, Ge(1)] = 64,
        min_digits: int = 1,
        max_digits: int = 2,
        operations: list[str] | None = None,
        word_problems: bool = False,
        allow_negative: bool = False,
        seed: int = 0,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
    ) -> None:
        self.operations = list(operations or ["+"])
        unknown = [op for op in self.operations if op not in OPERATIONS]
        if unknown:
            raise ValueError(f"data.operations: unknown {unknown}; choose from {list(OPERATIONS)}")
        if not 1 <= min_digits <= max_digits:
            raise ValueError(f"data.min_digits={min_digits} and data.max_digits={max_digits} need 1 <= min <= max")
        capacity = (10**max_digits) ** 2 * len(self.operations)
        if num_train + num_eval > capacity // 2:
            raise ValueError(
                f"data.num_train + data.num_eval = {num_train + num_eval} is too many distinct problems "
                f"for max_digits={max_digits}; lower them or raise data.max_digits"
            )
        self.num_train, self.num_eval = num_train, num_eval
        self.min_digits, self.max_digits = min_digits, max_digits
        self.word_problems = word_problems
        self.allow_negative = allow_negative
        self.seed = seed
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples

    def _operand(self, rng: random.Random) -> int:
        digits = rng.randint(self.min_digits, self.max_digits)
        low = 0 if digits == 1 else 10 ** (digits - 1)
        return rng.randint(low, 10**digits - 1)

    def _problem(self, rng: random.Random) -> dict:
        op = rng.choice(self.operations)
        a, b = self._operand(rng), self._operand(rng)
        if op == "-" and not self.allow_negative and b > a:
            a, b = b, a
        if self.word_problems:
            question = WORD_TEMPLATES[op].format(name=rng.choice(NAMES), a=a, b=b)
        else:
            question = f"What is {a} {op} {b}?"
        return {"question": question, "answer": str(OPERATIONS[op](a, b))}

    def generate(self) -> tuple[list[dict], list[dict]]:
        rng = random.Random(self.seed)
        seen: set[str] = set()
        rows: list[dict] = []
        while len(rows) < self.num_eval + self.num_train:
            row = self._problem(rng)
            if row["question"] not in seen:  # keeps held-out questions out of training
                seen.add(row["question"])
                rows.append(row)
        return rows[self.num_eval :], rows[: self.num_eval]

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train, evaluation = self.generate()
        return make_splits(train, evaluation, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
