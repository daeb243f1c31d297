"""The pre-flight power check alone, on any config: its estimate and how long it takes, without training.

    python bench/power_check.py                                             # the default run's settings
    python bench/power_check.py train.power_check.batch_size=64             # all 64 sequences in one generate call
    python bench/power_check.py experiment=gsm8k_smollm2 train.power_check.prompts=4

Builds the run's reward, training loop (for num_generations, temperature, top_p, max_completion_length and the
train.power_check.* settings), prompts, data and model as run_pipeline.py does, then calls the same
`PowerCheckSettings.measure` a run calls before its first step, and prints the machine line, the wall time and the
power_check/* figures. Nothing is written.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from common import compose, print_machine


def main(overrides: list[str]) -> None:
    from components.runtime import build, seed_everything

    cfg = compose(overrides)
    print_machine()
    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    loop = build(cfg.train, output_dir=tempfile.mkdtemp(prefix="power_check_"))
    splits = build(cfg.data).load(build(cfg.prompts))
    loaded = build(cfg.model).load()
    settings = loop.power_check
    start = time.perf_counter()
    found = settings.measure(loaded, splits.train, reward, loop.args, loop.truncated_reward_scale)
    batch = settings.sizes(loop.args)[1]
    print(f"power check: {time.perf_counter() - start:.1f} s wall, batch {batch}, overrides {overrides}")
    for key, value in found.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as run_pipeline.py takes them")
    main(parser.parse_args().overrides)
