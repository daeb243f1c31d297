"""Hooks for the local lm-evaluation-harness tasks in this folder: the project's rows and the project's verdict.

Each task's `custom_dataset` builds its rows with the project's own data and prompt components (the YAMLs in
conf/data_component and conf/prompts), so lm-eval sees exactly the held-out rows and the system + user messages
that `mode=eval` sees; `process_results` grades each completion with the project's RewardSet
(conf/reward_component), so an lm-eval verdict and a project verdict are the same function of the same text.
lm-eval passes the task's `metadata` (plus TaskManager(metadata=...), e.g. `data_dir`, `seed`) to custom_dataset.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from datasets import Dataset
from hydra.utils import instantiate
from omegaconf import OmegaConf

from components.evaluation.evaluator import as_completions

CONF = Path(__file__).resolve().parents[3] / "conf"
DEFAULT_DATA_DIR = CONF.parents[1] / "shared" / "data"  # ../shared/data beside the repo


def component(group: str, name: str, seed: int = 42, **overrides: Any) -> Any:
    """conf/<group>/<name>.yaml instantiated as the pipeline would (with `seed`), plus `overrides`."""
    node = OmegaConf.load(CONF / group / f"{name}.yaml")
    root = OmegaConf.create({"seed": seed, "node": node})
    node = OmegaConf.merge(OmegaConf.to_container(root, resolve=True)["node"], overrides)
    return instantiate(node)


def project_rows(data: str, prompts: str, seed: int = 42, **data_overrides: Any) -> dict[str, Dataset]:
    """The eval split of data_component=`data` with prompts=`prompts`, as lm-eval's `test` split.

    Each doc keeps the project's columns (question, answer, ...) plus `system` and `user`: the two messages of the
    project's prompt, which the task YAML hands to lm-eval as its description (system turn) and doc_to_text.
    """
    builder = component("prompts", prompts, seed)
    if builder.few_shot or not builder.chat:
        raise ValueError(f"prompts={prompts}: the lm-eval tasks take a chat prompt without few-shot turns")
    eval_split = component("data_component", data, seed, **data_overrides).load(builder).eval

    def split(row: dict[str, Any]) -> dict[str, str]:
        by_role = {m["role"]: m["content"] for m in row["prompt"]}
        return {"system": by_role.get("system", ""), "user": by_role["user"]}

    return {"test": eval_split.map(split)}


def _data_dir(metadata: dict[str, Any]) -> Path:
    return Path(metadata.get("data_dir") or DEFAULT_DATA_DIR)


def _seed(metadata: dict[str, Any]) -> int:
    return int(metadata.get("seed", 42))


# --- custom_dataset hooks (one per dataset; lm-eval calls them with the task's metadata) -------------------------


def arithmetic_rows(**metadata: Any) -> dict[str, Dataset]:
    """The default run's held-out problems: data_component=arithmetic (seeded), prompts=arithmetic."""
    return project_rows("arithmetic", "arithmetic", _seed(metadata))


def gsm8k_rows(**metadata: Any) -> dict[str, Dataset]:
    """GSM8K's test split from <data_dir>/gsm8k (all 1,319 rows; lm-eval's --limit takes the first N)."""
    path = str(_data_dir(metadata) / "gsm8k")
    return project_rows("gsm8k", "gsm8k", _seed(metadata), path=path, max_eval_samples=None)


def gpt3_rows(**metadata: Any) -> dict[str, Dataset]:
    """One of GPT-3's arithmetic test sets (metadata `gpt3_task`, e.g. 2D+) from <data_dir>/gpt3_synthetic."""
    local = str(_data_dir(metadata) / "gpt3_synthetic")
    overrides = dict(local_path=local, tasks=[metadata["gpt3_task"]], eval_rows=2000, num_train=1)
    return project_rows("gpt3_arithmetic", "gpt3_arithmetic", _seed(metadata), **overrides)


# --- process_results hooks: the project's RewardSet gives the verdict -------------------------------------------


@cache
def reward_set(name: str) -> Any:
    return component("reward_component", name)


def verdict(reward_name: str, doc: dict[str, Any], completion: str) -> dict[str, float]:
    """exact_match = the project's `correct` (True -> 1; False or unparseable -> 0), reward = its weighted total."""
    reward = reward_set(reward_name)
    prompt = [{"role": "system", "content": doc["system"]}, {"role": "user", "content": doc["user"]}]
    columns = {k: [v] for k, v in doc.items() if k not in ("prompt", "system", "user")}
    completions = as_completions([prompt], [completion])
    correct = reward.is_correct(completions, prompts=[prompt], **columns)[0]
    total = reward.score(completions, prompts=[prompt], **columns).total[0]
    return {"exact_match": float(correct is True), "parsed": float(correct is not None), "reward": float(total)}


def answer_format_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """reward_component=answer_format: the default arithmetic reward, also the GPT-3 arithmetic runs' reward."""
    return verdict("answer_format", doc, results[0])


def gsm8k_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """reward_component=gsm8k."""
    return verdict("gsm8k", doc, results[0])
