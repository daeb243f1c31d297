"""GPT-3 arithmetic with a calculator the model must use: the published test rows, the answer copied from the tool.

Evaluation episodes are the first `eval_rows` published rows of one GPT-3 arithmetic task (Brown et al. 2020,
3.9.1; ../shared/data/gpt3_synthetic); training episodes are fresh questions of the same form, never one of any
published file (components/data/gpt3_arithmetic.py draws and excludes them). The environment holds the gold answer
and every calculator result of the episode; an episode succeeds when the last number of the model's final message
is the gold answer and, with `require_tool`, the calculator returned that number during the episode (the model
copied it rather than computing in its head).
"""

from __future__ import annotations

import re
from typing import Any

from components.data.gpt3_arithmetic import TASKS, GPT3ArithmeticData
from components.environments.base import Environment, Outcome
from components.tools.base import ToolError
from components.tools.calculator import Calculator

_NUMBER = re.compile(r"-?\d[\d,]*")


def last_integer(text: str) -> int | None:
    found = _NUMBER.findall(text or "")
    return int(found[-1].replace(",", "")) if found else None


class CalculatorEpisode(Environment):
    def __init__(self, require_tool: bool) -> None:
        self.require_tool = require_tool
        self._calculator = Calculator()
        self.answer: int | None = None
        self.results: list[str] = []
        self.calls = 0
        self.invalid = 0

    def reset(self, answer: str, **_: Any) -> str | None:
        self.answer = int(answer)
        self.results, self.calls, self.invalid = [], 0, 0
        return None

    def calculator(self, expression: str) -> str:
        """Evaluate an arithmetic expression exactly, e.g. 1234 * 5678.

        Args:
            expression: The arithmetic expression (numbers, + - * / and parentheses).
        """
        self.calls += 1
        try:
            result = self._calculator.evaluate(expression)
        except ToolError as err:
            self.invalid += 1
            raise ToolError(str(err)) from None  # TRL and the evaluation loop show it as {'error': ...}
        self.results.append(result)
        return result

    def __call__(self, final_text: str) -> Outcome:
        stated = last_integer(final_text)
        correct = stated is not None and stated == self.answer
        copied = stated is not None and str(stated) in self.results
        success = correct and (copied or not self.require_tool)
        return Outcome(success, 1.0 if success else 0.0, self.calls, self.invalid)


class GPT3Calculator:
    """The spec conf/environment_component/gpt3_calculator.yaml builds."""

    def __init__(
        self,
        task: str = "2Dx",
        eval_rows: int = 64,
        num_train: int = 2000,
        require_tool: bool = True,
        local_path: str = "../shared/data/gpt3_synthetic",
        seed: int = 0,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"environment.environments.gpt3_calculator.task={task!r}: choose from {list(TASKS)}")
        self.require_tool = require_tool
        self._data = GPT3ArithmeticData(
            tasks=[task], eval_rows=eval_rows, num_train=num_train, local_path=local_path, hub_path=None, seed=seed
        )

    def make(self) -> CalculatorEpisode:
        return CalculatorEpisode(self.require_tool)

    def rows(self, split: str) -> list[dict[str, Any]]:
        if split == "train":  # never a question of any published file, evaluated or not
            rows = self._data.train_rows(self._data.all_published_questions())
        else:
            rows = self._data.held_out()
        return [{"question": r["question"], "answer": r["answer"], "task": r["task"]} for r in rows]
