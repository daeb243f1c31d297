"""COMPONENT_GUIDE.md followed literally for a new data source, reward and observer: the guide's own code blocks
are written, as they stand, into a throwaway package and run through `run_pipeline.py` on the tiny model.

A guide that drifts from the code (a helper renamed, a hook's signature changed, a bound spelled another way)
fails here. The only edits are the ones the guide itself names for code kept outside the repo: the module path
`components.<group>.<name>` becomes `guide_pkg.<group>.<name>`, and the reward is named by `function:` because
discovery scans components/reward/ only (this test checks discovery on the written folder separately).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from components.config_schema import GROUPS
from components.reward.discovery import _discovered
from components.reward.reward_set import RewardSet
from tests.conftest import REPO

BLOCK = re.compile(r"^```(python|yaml)\n(.*?)^```", re.S | re.M)
GROUP_OF = {key: group for group, key in GROUPS.items()}


def guide_files(root: Path) -> dict[str, Path]:
    """Write every `# components/<group>/<name>.py` and `# @package <key>` block of the guide under `root`."""
    text = (REPO / "COMPONENT_GUIDE.md").read_text(encoding="utf-8")
    modules, yamls = {}, []
    for kind, body in BLOCK.findall(text):
        first = body.splitlines()[0]
        if kind == "python" and re.fullmatch(r"# components/\w+/\w+\.py", first):
            group, name = first.removeprefix("# components/").removesuffix(".py").split("/")
            modules[f"components.{group}.{name}"] = f"guide_pkg.{group}.{name}"
            path = root / "guide_pkg" / group / f"{name}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            for package in (path.parent, path.parent.parent):
                (package / "__init__.py").touch()
            path.write_text(body, encoding="utf-8")
        elif kind == "yaml" and first.startswith("# @package "):
            yamls.append(body)
    written = {}
    for body in yamls:
        group = GROUP_OF[body.splitlines()[0].removeprefix("# @package ").strip()]
        name = re.search(rf"^# Run: .*\b{group}=(\w+)", body, re.M)
        if name is None or not any(m in body for m in modules) and "- name: " not in body:
            continue  # an example of a YAML shape, not one for a component this page writes
        for module, moved in modules.items():
            body = body.replace(f"_target_: {module}.", f"_target_: {moved}.")
        reward = re.search(r"- name: (\w+)", body)
        if reward and f"components.reward.{reward.group(1)}" in modules:
            body = body.replace(reward.group(0), f"- function: guide_pkg.reward.{reward.group(1)}.{reward.group(1)}")
        path = root / "conf" / group / f"{name.group(1)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        written[group] = path
    return written


@pytest.fixture
def guide(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    written = guide_files(tmp_path)
    assert {"data_component", "reward_component", "observer_component"} <= set(written), written
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}", HYDRA_FULL_ERROR="0", WANDB_MODE="offline")
    return tmp_path, env


def test_discovery_finds_the_guides_reward_in_a_new_file(guide) -> None:
    root, _ = guide
    sys.path.insert(0, str(root))
    try:
        found = _discovered("guide_pkg.reward", (str(root / "guide_pkg" / "reward"),))
        # the guide's bounded param: refused from the YAML's params and from a direct call, by the one bound
        with pytest.raises(ValueError, match=r"\(countdown\): params\.wrong_score=0\.5: must be <= 0$"):
            RewardSet([{"function": "guide_pkg.reward.countdown.countdown", "params": {"wrong_score": 0.5}}])
        with pytest.raises(ValueError, match=r"^countdown: params\.wrong_score=0\.5: must be <= 0$"):
            found["countdown"].fn(["it is 41"], answer=["41"], wrong_score=0.5)
    finally:
        sys.path.remove(str(root))
    assert found["countdown"].correctness  # what makes evaluation's accuracy this verifier's verdict
    assert found["countdown"].fn(["it is 41", "no"], answer=["41", "41"], wrong_score=-0.5) == [1.0, -0.5]


def test_guides_data_source_reward_and_observer_train_and_evaluate(guide) -> None:
    root, env = guide
    run = root / "run"
    args = [
        "model_component=tiny_random",
        "data_component=countdown",
        "reward_component=countdown",
        "observer_component=sample_counts",
        f"hydra.searchpath=[file://{root / 'conf'}]",
        "train.max_steps=1",
        "train.per_device_train_batch_size=4",
        "train.num_generations=4",
        "train.max_completion_length=8",
        "data.num_train=16",
        "data.num_eval=4",
        "eval.max_new_tokens=8",
    ]
    command = [sys.executable, str(REPO / "run_pipeline.py"), *args]
    out = subprocess.run(
        [*command, f"hydra.run.dir={run}"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["global_step"] == 1 and summary["grader"] == "countdown"
    counts = json.loads((run / "sample_counts.json").read_text(encoding="utf-8"))
    assert counts and set(counts.values()) == {4}, counts  # every evaluation logged its 4 eval rows

    # The data source's declared bound refuses a bad value through the entry point, like a built-in's.
    bad = subprocess.run(
        [*command, "data.num_eval=0", f"hydra.run.dir={root / 'bad'}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "data.num_eval=0: must be >= 1" in bad.stderr, bad.stderr[-2000:]
