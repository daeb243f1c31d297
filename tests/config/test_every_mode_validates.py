"""Every mode (train, eval, score, check_rewards) and the server reject bad input the same way: one line naming
the key, exit code 2, before any model loads. Types come from the constructors' signatures, so ints stay ints.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from components import validation
from tests.config.test_malformed_configs import composed
from tests.conftest import REPO, run_pipeline

NO_FILE = "/no/such/file.jsonl"
PER_MODE = {  # mode -> [(overrides, the key the one line must name)]
    "train": [
        (["train.max_steps=2.5"], "train.max_steps=2.5"),
        (["model.lora.r=2.5"], "model.lora.r"),
        (["eval.batch_size=true"], "eval.batch_size"),
        (["memory_check=maybe"], "memory_check"),
        (["cost.num_accelerators=1.5"], "cost.num_accelerators"),
        (["+observer.observers[0].every=3"], "observer.observers[0].every"),
        (["tools_component=lookup", f"tools.tools.lookup.corpus={NO_FILE}"], "tools.tools.lookup.corpus"),
    ],
    "eval": [
        (["eval.max_new_tokens=1.5"], "eval.max_new_tokens"),
        (["eval_run.run_dir=/no/such/run"], "eval_run.run_dir"),
        (["eval_run.task_from_run=maybe"], "eval_run.task_from_run"),
        (["+eval_run.model_dir=model"], "eval_run.model_dir"),
        (["data_component=jsonl", f"data.train_file={NO_FILE}"], "data.train_file"),
        (["data.num_eval=-2"], "data.num_eval"),
    ],
    "score": [
        ([], "score.input"),
        ([f"score.input={NO_FILE}", "score.output=out.jsonl"], "score.input"),
        (["score.input=pyproject.toml", "score.output=pyproject.toml"], "score.output"),
        (["score.input=[a]", "score.output=out.jsonl"], "score.input"),
        (
            [
                "score.input=pyproject.toml",
                "score.output=out.jsonl",
                "reward.reward_functions[0].params.correct_reward=abc",
            ],
            "correct_reward",
        ),
    ],
    "check_rewards": [
        (["check_rewards.max_samples=-4"], "check_rewards.max_samples=-4"),
        (["check_rewards.max_samples=2.5"], "check_rewards.max_samples"),
        (["check_rewards.dataset=nope"], "check_rewards.dataset"),
        ([f"check_rewards.path={NO_FILE}"], "check_rewards.path"),
        (["+reward.reward_functions[0].params.nope=1"], "nope"),
    ],
}
CASES = [(mode, overrides, key) for mode, cases in PER_MODE.items() for overrides, key in cases]


@pytest.fixture(scope="module", autouse=True)
def imported_targets() -> None:
    validation.validate(composed([]))  # imports the targets' modules once (torch included)


@pytest.mark.parametrize("mode,overrides,key", CASES, ids=[f"{m}:{' '.join(o)}" for m, o, _ in CASES])
def test_each_mode_rejects_with_one_line_naming_the_key(mode: str, overrides: list[str], key: str) -> None:
    with pytest.raises(ValueError) as err:
        validation.validate(composed([f"mode={mode}", *overrides]))
    message = str(err.value)
    assert key in message and "\n" not in message, message


def test_a_mode_checks_only_what_it_uses() -> None:
    # check_rewards builds only the reward: a training key it never reads does not stop it
    validation.validate(composed(["mode=check_rewards", "train.max_steps=2.5"]))
    # the seed's override, verbatim, keeps working in every mode that builds the reward
    for mode in ("train", "eval", "check_rewards"):
        validation.validate(composed([f"mode={mode}", "reward.reward_functions[0].params.correct_reward=5.0"]))


SUBPROCESS = [  # one per mode through the real entry point: exit code 2, one `error:` line, nothing loaded
    (["train.max_steps=2.5"], "train.max_steps=2.5"),
    (["mode=eval", "eval.max_new_tokens=1.5"], "eval.max_new_tokens"),
    (["mode=score", f"score.input={NO_FILE}", "score.output=out.jsonl"], "score.input"),
    (["mode=check_rewards", "check_rewards.max_samples=-4"], "check_rewards.max_samples=-4"),
]


@pytest.mark.parametrize("overrides,key", SUBPROCESS, ids=[o[-1] for o, _ in SUBPROCESS])
def test_entry_point_exits_2_in_every_mode(overrides: list[str], key: str, tmp_path) -> None:
    out = run_pipeline(*overrides, f"hydra.run.dir={tmp_path}/run", timeout=180)
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and key in errors[0], out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run" / "provenance.json").exists()


def test_server_rejects_bad_config_with_one_line() -> None:
    for overrides, key in [
        (["serve.port=http"], "serve.port"),
        (["model.lora.r=2.5"], "model.lora.r"),
        (["+serve.bogus=1"], "serve.bogus"),
        (["environment_component=guess_number", "environment.max_turns=many"], "environment.max_turns"),
    ]:
        out = subprocess.run(
            [sys.executable, "-m", "serve", "model_component=tiny_random", *overrides],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 2, out.stderr[-2000:]
        errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and key in errors[0], out.stderr[-2000:]
