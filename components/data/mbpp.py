"""MBPP (Mostly Basic Python Problems): local ``mbpp.jsonl`` or the hub's google-research-datasets/mbpp.

Splits are MBPP's own, by task id (the upstream README): prompt 1-10 (few-shot examples), test 11-510,
validation 511-600, train 601-974. The hub's ``full`` config has the same four splits, so a local and a
hub run train and evaluate on the same problems, and train/test are disjoint by construction.
Each row keeps ``test_list``/``test_setup_code`` for reward_component=code, which runs the completion
followed by the asserts in the sandbox. The question shows the task and its asserts (``shown_tests`` of
them; 3 = all, as in the MBPP paper's prompt), so the model knows the function name the tests call.
"""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records, require_field
from components.data.source import local_source
from components.types import DatasetSplits

TASK_ID_SPLITS = {"prompt": (1, 10), "test": (11, 510), "validation": (511, 600), "train": (601, 1000)}
DEFAULT_INSTRUCTION = "Write a Python function for this task. Reply with the code in one ```python code block."


class MBPPData:
    @checked("data")
    def __init__(
        self,
        local_path: str | None = "../shared/data/mbpp/mbpp.jsonl",
        hub_path: str | None = "google-research-datasets/mbpp",
        hub_config: str | None = "full",
        train_splits: list[str] = ("train", "validation"),
        eval_split: str = "test",
        shown_tests: int = 3,
        instruction: str = DEFAULT_INSTRUCTION,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        for name in [*train_splits, eval_split]:
            if name not in TASK_ID_SPLITS:
                raise ValueError(f"data split {name!r} is not one of MBPP's {sorted(TASK_ID_SPLITS)}")
        if eval_split in train_splits:
            raise ValueError(
                f"data.eval_split={eval_split} is also in data.train_splits; held-out rows would be trained on"
            )
        self.local_path, self.hub_path, self.hub_config = local_path, hub_path, hub_config
        self.train_splits, self.eval_split = list(train_splits), eval_split
        self.shown_tests, self.instruction = shown_tests, instruction
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _records(self, split: str) -> tuple[list[dict], str]:
        local = local_source(self.local_path, self.hub_path)
        if local is None:
            return load_hub_split(
                self.hub_path, self.hub_config, split, key="data.hub_path"
            ), f"{self.hub_path}[{split}]"
        file = local / "mbpp.jsonl" if local.is_dir() else local
        low, high = TASK_ID_SPLITS[split]
        return [r for r in read_records(file) if low <= int(r.get("task_id", 0)) <= high], str(file)

    def rows(self, split: str) -> list[dict]:
        records, where = self._records(split)
        rows = []
        for i, r in enumerate(records):
            tests = list(require_field(r, "test_list", where, i))
            shown = "\n".join(tests[: self.shown_tests])
            text = require_field(r, "text", where, i) if "text" in r else require_field(r, "prompt", where, i)
            rows.append(
                {
                    "task_id": int(r["task_id"]),
                    "question": f"{self.instruction}\n\n{text}\nYour code should pass these tests:\n{shown}",
                    "test_list": tests,
                    "test_setup_code": r.get("test_setup_code") or "",
                    "answer": str(require_field(r, "code", where, i)).replace("\r\n", "\n"),
                }
            )
        return rows

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train = [row for split in self.train_splits for row in self.rows(split)]
        # Eval keeps task-id order when capped (the first N test problems), comparable across runs.
        held_out = (
            self.rows(self.eval_split)[: self.max_eval_samples] if self.max_eval_samples else self.rows(self.eval_split)
        )
        return make_splits(train, held_out, prompts, self.max_train_samples, None, self.seed)
