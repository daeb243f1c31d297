"""Pre-flight power check: the estimator against hand-computed cases, the advice, the settings, the fatal switch,
and end to end on the tiny model (summary.json keys, the warning on a reward that is always 0)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from components.training import power_check
from components.training.guards import TrainingStopped
from components.training.power_check import PowerCheckSettings, advice, estimate, generations_needed, informative_share
from tests.conftest import TINY_TRAIN, run_pipeline


@pytest.mark.parametrize(
    "p,g,expected",
    [
        (0.5, 2, 0.5),  # 1 - 1/4 - 1/4
        (0.25, 4, 1 - 0.25**4 - 0.75**4),  # 0.6796875
        (0.1, 8, 1 - 0.1**8 - 0.9**8),
        (0.0, 8, 0.0),  # never passes: every group all-fail
        (1.0, 8, 0.0),  # always passes: every group all-pass
        (0.3, 1, 0.0),  # a group of one never has a spread
    ],
)
def test_informative_share_is_one_minus_p_to_the_g_minus_q_to_the_g(p, g, expected) -> None:
    assert informative_share(p, g) == pytest.approx(expected, abs=1e-12)


def test_informative_share_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        informative_share(1.5, 4)


def test_binary_rewards_use_the_binomial_expectation_for_the_group_size() -> None:
    # K=4 samples, G=8: p is estimated from 4 samples and extrapolated to groups of 8.
    est = estimate(
        [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]],
        [[True, False, False, False], [True, True, False, False], [False] * 4],
        group_size=8,
    )
    assert est["method"] == "binomial"
    assert est["informative_share"] == pytest.approx(((1 - 0.25**8 - 0.75**8) + (1 - 0.5**8 - 0.5**8) + 0.0) / 3)
    assert est["pass_rate"] == pytest.approx((0.25 + 0.5 + 0.0) / 3)
    # unbiased pass@4 from 4 samples: 1 when any sample passed, else 0
    assert est["pass_at_k"] == pytest.approx(2 / 3) and est["k"] == 4
    assert est["prompts_never_pass"] == pytest.approx(1 / 3) and est["prompts_always_pass"] == 0.0


def test_binary_rewards_need_not_be_zero_one() -> None:
    # half credit for a cut-off answer makes {0, 0.5}: still two values, p = share at the higher one
    est = estimate([[0.5, 0.0], [0.0, 0.0]], [[True, False], [False, False]], group_size=2)
    assert est["method"] == "binomial" and est["informative_share"] == pytest.approx(0.25)


def test_non_binary_rewards_use_the_observed_share_of_groups_with_a_spread() -> None:
    est = estimate(
        [[0.0, 0.5, 1.0], [0.5, 0.5, 0.5], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
        [[False, False, True], [False] * 3, [True, True, False], [False] * 3],
        group_size=8,
    )
    assert est["method"] == "observed"
    assert est["informative_share"] == pytest.approx(2 / 4)
    assert est["reward_high_rates"] is None


def test_a_reward_that_is_always_zero_has_no_informative_group_and_warns() -> None:
    est = estimate([[0.0] * 4] * 3, [[False] * 4] * 3, group_size=4)
    assert est["informative_share"] == 0.0 and est["pass_at_k"] == 0.0
    message = advice(est, group_size=4, target=0.5, truncation_rate=0.0)
    assert message and "0% of GRPO groups of 4" in message and "easier subset" in message
    assert "num_generations=" not in message  # no group size helps when nothing ever passes


def test_advice_names_the_group_size_that_would_reach_the_target() -> None:
    # p = 0.1 everywhere: 1 - 0.9^6 = 0.469 < 0.5 <= 1 - 0.9^7 = 0.522
    assert generations_needed([0.1] * 5, target=0.5, current=2) == 7
    est = estimate([[1] + [0] * 9] * 5, [[True] + [False] * 9] * 5, group_size=2)
    message = advice(est, group_size=2, target=0.5, truncation_rate=0.9)
    assert "train.num_generations=7" in message and "max_completion_length" in message
    assert advice(est, group_size=2, target=0.15, truncation_rate=0.0) is None  # 1 - 0.01 - 0.81 = 0.18


@pytest.mark.parametrize(
    "settings,match",
    [
        ({"prompts": 0}, "power_check.prompts"),
        ({"samples": 1}, "power_check.samples"),
        ({"min_informative": 0.0}, "power_check.min_informative"),
        ({"batch_size": 0}, "power_check.batch_size"),
    ],
)
def test_settings_refuse_bad_values_naming_the_key(settings, match) -> None:
    with pytest.raises(ValueError, match=match):
        PowerCheckSettings(**settings)


ARGS = SimpleNamespace(
    num_generations=4, temperature=1.0, top_p=1.0, max_completion_length=8, generation_batch_size=4, seed=0
)
LOADED = SimpleNamespace(model=None, tokenizer=None)


def test_fatal_stops_the_run_and_keeps_the_figures(tmp_path, monkeypatch) -> None:
    found = {"power_check/informative_share": 0.0, "power_check/warning": "power check: only 0% ..."}
    monkeypatch.setattr(power_check, "run_power_check", lambda *a, **k: found)
    warned, stopped = tmp_path / "warned", tmp_path / "stopped"
    warned.mkdir(), stopped.mkdir()
    assert PowerCheckSettings(enabled=True).run(LOADED, None, None, ARGS, warned, resuming=False) == found
    with pytest.raises(TrainingStopped) as stop:
        PowerCheckSettings(enabled=True, fatal=True).run(LOADED, None, None, ARGS, stopped, resuming=False)
    assert stop.value.status == "power_check_failed" and stop.value.exit_code == 2
    assert "power_check.fatal=true" in str(stop.value)
    assert json.loads((stopped / "power_check.json").read_text()) == found  # the figures survive the stop


def test_a_resumed_run_reads_its_figures_back_and_off_means_nothing(tmp_path, monkeypatch) -> None:
    (tmp_path / "power_check.json").write_text(json.dumps({"power_check/informative_share": 0.25}))
    monkeypatch.setattr(power_check, "run_power_check", lambda *a, **k: pytest.fail("must not sample again"))
    got = PowerCheckSettings(enabled=True).run(LOADED, None, None, ARGS, tmp_path, resuming=True)
    assert got == {"power_check/informative_share": 0.25}
    assert PowerCheckSettings(enabled=False).run(LOADED, None, None, ARGS, tmp_path, resuming=False) == {}


def test_end_to_end_a_reward_that_is_always_zero_warns_in_summary_and_report(tmp_path) -> None:
    run_dir = tmp_path / "run"
    result = run_pipeline(
        *TINY_TRAIN,
        "train.max_steps=1",
        "train.power_check.enabled=true",
        "train.power_check.prompts=3",
        "reward.reward_functions[0].weight=0.0",  # the verifier still grades; the reward total is always 0
        "reward.reward_functions[1].params.regex='^NEVER_MATCHED$'",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["power_check/informative_share"] == 0.0
    assert summary["power_check/prompts"] == 3 and summary["power_check/samples_per_prompt"] == 4
    for key in ("power_check/pass_rate", "power_check/pass_at_k", "power_check/method", "power_check/time_s"):
        assert key in summary
    assert "only 0% of GRPO groups" in summary["power_check/warning"]
    assert "power check: only 0%" in result.stderr + result.stdout
    report = (run_dir / "report.md").read_text()
    assert "## Pre-flight power check" in report and "WARNING: power check" in report
