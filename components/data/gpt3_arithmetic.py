"""GPT-3's arithmetic test sets (Brown et al. 2020, section 3.9.1): published rows for evaluation, fresh ones for training.

Evaluation reads the authors' released files as they are (a fixed prefix of each, `eval_rows` per task; the
same files lm-evaluation-harness's `arithmetic_*` tasks load) and grades the integer by exact match. Training
rows are generated, seeded, in the same question wording and operand ranges, and none of them is a question of
any published file (every file is read whole for that). Each training row carries a worked `solution`
(components/data/worked_solutions.py) for a supervised warm start (`training_loop_component=sft`).

Local copy: ../shared/data/gpt3_synthetic (relative to the directory you run from); otherwise the hub's
`EleutherAI/arithmetic` (its `validation` split, the same rows).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Annotated

from components.bounds import Ge, checked
from components.data import worked_solutions as ws
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records, require_field
from components.data.source import local_source
from components.types import DatasetSplits


@dataclass(frozen=True)
class Task:
    file: str  # file name in the local folder
    hub_config: str  # EleutherAI/arithmetic config of the same rows
    kind: str  # plus | minus | times | three_ops | digit_sum
    digits: int  # operands are uniform in [0, 10**digits), as in the published files


TASKS = {
    "2D+": Task("two_digit_addition.jsonl", "arithmetic_2da", "plus", 2),
    "2D-": Task("two_digit_subtraction.jsonl", "arithmetic_2ds", "minus", 2),
    "3D+": Task("three_digit_addition.jsonl", "arithmetic_3da", "plus", 3),
    "3D-": Task("three_digit_subtraction.jsonl", "arithmetic_3ds", "minus", 3),
    "4D+": Task("four_digit_addition.jsonl", "arithmetic_4da", "plus", 4),
    "4D-": Task("four_digit_subtraction.jsonl", "arithmetic_4ds", "minus", 4),
    "5D+": Task("five_digit_addition.jsonl", "arithmetic_5da", "plus", 5),
    "5D-": Task("five_digit_subtraction.jsonl", "arithmetic_5ds", "minus", 5),
    "2Dx": Task("two_digit_multiplication.jsonl", "arithmetic_2dm", "times", 2),
    "1DC": Task("single_digit_three_ops.jsonl", "arithmetic_1dc", "three_ops", 1),
    "6D+": Task("six_digit_addition.jsonl", "", "plus", 6),
    "6D-": Task("six_digit_subtraction.jsonl", "", "minus", 6),
    "SD": Task("sum_of_digits.jsonl", "", "digit_sum", 4),
}
PAPER_TASKS = ["2D+", "2D-", "3D+", "3D-", "4D+", "4D-", "5D+", "5D-", "2Dx", "1DC"]  # the paper's table

_CONTEXT = re.compile(r"^\s*Q:\s*(?P<question>.+?)\s*A:\s*$", re.S)
_THREE_OPS = re.compile(r"What is \((\d) ([-+*]) (\d)\) ([-+*]) (\d)\?")
_TWO_OPERANDS = re.compile(r"What is (\d+) (?:plus|minus|times) (\d+)\?")
_DIGIT_SUM = re.compile(r"the number (\d+)\?")


def parse_published(record: dict, where: str, index: int) -> dict:
    """{"context": "\\n\\nQ: What is 98 plus 45?\\n\\nA:", "completion": " 143"} -> question and integer answer."""
    context = require_field(record, "context", where, index)
    completion = str(require_field(record, "completion", where, index)).strip()
    match = _CONTEXT.match(context)
    if not match:
        raise ValueError(f"{where}: row {index + 1} field 'context' is not of the form 'Q: ... A:'")
    if not re.fullmatch(r"-?\d+", completion):
        raise ValueError(f"{where}: row {index + 1} field 'completion' is not an integer: {completion!r}")
    return {"question": match.group("question"), "answer": str(int(completion))}


def solve(question: str) -> tuple[int, str]:
    """The integer answer and worked solution of a question in one of the published forms."""
    if m := _THREE_OPS.fullmatch(question):
        a, op1, b, op2, c = m.groups()
        solution = ws.three_ops(int(a), op1, int(b), op2, int(c))
    elif m := _TWO_OPERANDS.fullmatch(question):
        a, b = int(m.group(1)), int(m.group(2))
        kind = question.split()[3]
        solution = {"plus": ws.addition, "minus": ws.subtraction, "times": ws.multiplication}[kind](a, b)
    elif m := _DIGIT_SUM.search(question):
        solution = ws.digit_sum(int(m.group(1)))
    else:
        raise ValueError(f"not a GPT-3 arithmetic question: {question!r}")
    return int(solution.rsplit("Answer: ", 1)[1]), solution


def generate_question(task: Task, rng: random.Random) -> str:
    """A fresh question in the task's published wording and operand range."""
    if task.kind == "three_ops":
        a, b, c = (rng.randint(1, 9) for _ in range(3))  # the published 1DC rows use digits 1-9
        op1, op2 = rng.choice("+-*"), rng.choice("+-*")
        return f"What is ({a} {op1} {b}) {op2} {c}?"
    if task.kind == "digit_sum":
        return f"What is the sum of the digits of the number {rng.randrange(10**task.digits)}?"
    a, b = rng.randrange(10**task.digits), rng.randrange(10**task.digits)
    return f"What is {a} {task.kind} {b}?"


class GPT3ArithmeticData:
    @checked("data")
    def __init__(
        self,
        tasks: list[str] | dict[str, float] | None = None,
        eval_rows: int | str = 200,
        num_train: Annotated[int, Ge(1)] = 4000,
        local_path: str | None = "../shared/data/gpt3_synthetic",
        hub_path: str | None = "EleutherAI/arithmetic",
        hub_split: str = "validation",
        seed: int = 0,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
    ) -> None:
        """tasks: names of TASKS (equal weights) or {name: weight} (training mix); null = the paper's ten.
        eval_rows: the first N published rows of each task (`all` = 2,000)."""
        weights = dict(tasks) if isinstance(tasks, dict) else {t: 1.0 for t in (tasks or PAPER_TASKS)}
        unknown = [t for t in weights if t not in TASKS]
        if unknown or not weights:
            raise ValueError(f"data.tasks: unknown {unknown or 'empty'}; choose from {list(TASKS)}")
        if any(float(w) < 0 for w in weights.values()) or sum(map(float, weights.values())) <= 0:
            raise ValueError(f"data.tasks: weights must be >= 0 with a positive sum, got {weights}")
        if eval_rows != "all" and (not isinstance(eval_rows, int) or eval_rows <= 0):
            raise ValueError(f"data.eval_rows={eval_rows!r}: a positive number of rows per task, or all")
        self.weights = {t: float(w) for t, w in weights.items()}
        self.eval_rows, self.num_train, self.seed = eval_rows, num_train, seed
        self.local_path, self.hub_path, self.hub_split = local_path, hub_path, hub_split
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples

    def published(self, name: str) -> list[dict]:
        """Every published row of one task, in file order, with question, answer and task."""
        task = TASKS[name]
        local = local_source(self.local_path, self.hub_path)
        if local is not None:
            where = str(local / task.file)
            records = read_records(local / task.file)
        else:
            if not task.hub_config:
                raise ValueError(f"data.tasks: {name} is not in {self.hub_path}; it needs data.local_path")
            where = f"{self.hub_path}[{task.hub_config}]"
            records = load_hub_split(self.hub_path, task.hub_config, self.hub_split, key="data.hub_path")
        return [dict(parse_published(r, where, i), task=name) for i, r in enumerate(records)]

    def held_out(self) -> list[dict]:
        rows = []
        for name in self.weights:
            published = self.published(name)
            rows += published if self.eval_rows == "all" else published[: self.eval_rows]
        return rows

    def train_rows(self, excluded: set[str]) -> list[dict]:
        """num_train fresh problems, tasks drawn by weight; never a question in `excluded`, never repeated."""
        rng = random.Random(self.seed)
        names = [n for n, w in self.weights.items() if w > 0]
        weights = [self.weights[n] for n in names]
        seen, rows = set(excluded), []
        attempts = 0
        while len(rows) < self.num_train:
            attempts += 1
            if attempts > 50 * self.num_train:
                raise ValueError(f"data.num_train={self.num_train}: too few fresh questions for data.tasks")
            name = rng.choices(names, weights)[0]
            question = generate_question(TASKS[name], rng)
            if question in seen:
                continue
            seen.add(question)
            answer, solution = solve(question)
            rows.append({"question": question, "answer": str(answer), "task": name, "solution": solution})
        return rows

    def all_published_questions(self) -> set[str]:
        """Every question of every published file this source has: none may be trained on."""
        available = TASKS if local_source(self.local_path, self.hub_path) else self.weights
        return {row["question"] for name in available for row in self.published(name)}

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        evaluation = self.held_out()
        train = self.train_rows(self.all_published_questions())
        return make_splits(train, evaluation, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
