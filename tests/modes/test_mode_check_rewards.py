"""mode=check_rewards run(): the rewards give the datasets' own gold solutions full marks (100%)."""

import json

import pytest
from omegaconf import OmegaConf

from components.modes import check_rewards
from tests.conftest import REPO, shared_data


def _cfg(reward: str, dataset: str, path=None, max_samples=None):
    return OmegaConf.create(
        {
            "reward": OmegaConf.load(REPO / "conf" / "reward_component" / f"{reward}.yaml"),
            "check_rewards": {
                "dataset": dataset,
                "path": None if path is None else str(path),
                "max_samples": max_samples,
            },
        }
    )


@pytest.mark.parametrize("reward", ["gsm8k", "answer_format"])
def test_gsm8k_test_gold_is_100_percent(reward):
    path = shared_data("gsm8k/test.jsonl")
    summary = check_rewards.run(_cfg(reward, "gsm8k", path))
    assert summary["check_rewards/rows"] == 1319
    assert summary["check_rewards/full_marks_fraction"] == 1.0
    assert summary["check_rewards/unparseable"] == 0


def test_humaneval_gold_is_100_percent():
    path = shared_data("humaneval/HumanEval.jsonl.gz")
    summary = check_rewards.run(_cfg("code", "humaneval", path))  # worker pool of 2 (code.yaml)
    assert summary["check_rewards/rows"] == 164
    assert summary["check_rewards/full_marks_fraction"] == 1.0


def test_default_path_and_max_samples():
    shared_data("gsm8k/test.jsonl")
    summary = check_rewards.run(_cfg("gsm8k", "gsm8k", max_samples=10))
    assert summary["check_rewards/rows"] == 10 and summary["check_rewards/full_marks_fraction"] == 1.0


def test_bad_dataset_and_rows(tmp_path):
    with pytest.raises(ValueError, match="check_rewards.dataset"):
        check_rewards.run(_cfg("gsm8k", "mmlu"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "answer": "no final line"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl: row 1: field 'answer' has no '#### N'"):
        check_rewards.run(_cfg("gsm8k", "gsm8k", bad))
